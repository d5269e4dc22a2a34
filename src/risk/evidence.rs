//! What the feeds say about one finding: its best CVSS vector, severity word, KEV entry, EPSS
//! score and native exploitation flag, each with the record and feed it came from.

use crate::advisory::Advisory;
use crate::advisory::epss::EpssScore;
use crate::advisory::kev::KevEntry;
use crate::feeds::{FeedKind, Feeds};
use crate::matching::Vuln as Finding;

use super::cvss::{self, CvssInfo};
use super::{Context, Input};

/// The evidence behind one finding.
pub(super) struct Evidence<'a> {
    pub records: Vec<&'a Advisory>,
    /// The preferred valid vector and the record that carries it.
    pub cvss: Option<(CvssInfo, &'a Advisory)>,
    /// With no valid vector: a severity word and its record.
    pub severity_text: Option<(&'a str, &'a Advisory)>,
    /// The distribution's own priority (the highest of the records') and its record.
    pub priority: Option<(&'a str, &'a Advisory)>,
    pub kev: Option<&'a KevEntry>,
    /// The CVE with the highest EPSS percentile, and its score.
    pub epss: Option<(&'a str, EpssScore)>,
    /// A native record that says `exploited = true`.
    pub exploited: Option<&'a Advisory>,
    /// Invalid vectors: the record and why.
    pub invalid: Vec<(&'a Advisory, String)>,
}

pub(super) fn gather<'a>(finding: &Finding, feeds: &'a Feeds) -> Evidence<'a> {
    let records: Vec<&Advisory> = finding
        .records
        .iter()
        .map(|&i| &feeds.advisories[i])
        .collect();
    let vectors = records
        .iter()
        .flat_map(|r| r.severity.iter().map(move |v| (*r, v.as_str())));
    let (cvss, invalid) = cvss::best(vectors);
    let severity_text = records
        .iter()
        .find_map(|r| r.severity_text.as_deref().map(|t| (t, *r)))
        .filter(|_| cvss.is_none());
    let priority = records
        .iter()
        .filter_map(|r| r.distro_priority.as_deref().map(|p| (p, *r)))
        .max_by_key(|(p, _)| cvss::severity_text_score(p).map(|s| (s * 10.0) as i64));
    let cves: Vec<&str> = records.iter().flat_map(|r| r.cves()).collect();
    Evidence {
        priority,
        kev: cves.iter().find_map(|c| feeds.kev.entries.get(*c)),
        epss: cves
            .iter()
            .filter_map(|c| feeds.epss.scores.get(*c).map(|s| (*c, *s)))
            .max_by(|a, b| a.1.percentile.total_cmp(&b.1.percentile)),
        exploited: records.iter().find(|r| r.exploited).copied(),
        records,
        cvss,
        severity_text,
        invalid,
    }
}

impl Evidence<'_> {
    /// The base score the score uses: the vector's, else the severity word's stand-in, else the
    /// distribution priority's.
    pub fn score_basis(&self) -> Option<f64> {
        match (&self.cvss, self.severity_text) {
            (Some((c, _)), _) => Some(c.score),
            (None, Some((text, _))) => cvss::severity_text_score(text),
            (None, None) => self
                .priority
                .and_then(|(p, _)| cvss::severity_text_score(p)),
        }
    }

    pub fn epss_percentile(&self) -> Option<f64> {
        self.epss.map(|(_, s)| s.percentile)
    }

    pub fn ransomware(&self) -> bool {
        self.kev.is_some_and(|k| k.ransomware)
    }

    /// The invalid vectors as warnings naming their record.
    pub fn warnings(&self) -> Vec<String> {
        self.invalid
            .iter()
            .map(|(r, e)| {
                format!(
                    "advisory {} (feed {}): {e}; ranked as if the record had no vector",
                    r.id, r.feed
                )
            })
            .collect()
    }

    /// Every input with its value and source, in the order `explain` lists them.
    pub fn inputs(&self, feeds: &Feeds, cx: Context) -> Vec<Input> {
        let mut out: Vec<Input> = self
            .records
            .iter()
            .map(|r| input("advisory", r.id.clone(), format!("feed {}", r.feed)))
            .collect();
        out.extend(self.invalid.iter().map(|(r, e)| {
            input(
                "CVSS vector (invalid)",
                format!("{e}: ignored"),
                record_source(r),
            )
        }));
        out.push(self.severity_input());
        out.extend(self.priority_input());
        out.push(self.kev_input(feeds));
        out.push(self.epss_input(feeds));
        if let Some(r) = self.exploited {
            out.push(input("exploited", "yes".into(), record_source(r)));
        }
        out.extend([
            input(
                "exposure",
                cx.exposure.as_str().into(),
                "environment".into(),
            ),
            input(
                "criticality",
                cx.criticality.as_str().into(),
                "environment".into(),
            ),
            input("tier", cx.tier.as_str().into(), "customer".into()),
        ]);
        out
    }

    /// The vector used, else the severity word, else unknown.
    fn severity_input(&self) -> Input {
        match (&self.cvss, self.severity_text) {
            (Some((c, r)), _) => input(
                "CVSS",
                format!("{} base score {:.1} ({})", c.version, c.score, c.vector),
                record_source(r),
            ),
            (None, Some((text, r))) => input(
                "severity",
                format!(
                    "{text} (no CVSS vector; the score counts it as {})",
                    word_score(text)
                ),
                format!("{}, database_specific.severity", record_source(r)),
            ),
            (None, None) if self.priority.is_some() => input(
                "CVSS",
                "none: no record has a CVSS vector (see the distribution priority)".into(),
                "every record of the finding".into(),
            ),
            (None, None) => input(
                "CVSS",
                "unknown: no record has a CVSS vector or a severity (the score counts 5.0)".into(),
                "every record of the finding".into(),
            ),
        }
    }

    /// The distribution's priority, beside the vector or standing in for it.
    fn priority_input(&self) -> Option<Input> {
        let (p, r) = self.priority?;
        let role = if self.cvss.is_some() || self.severity_text.is_some() {
            "shown beside the CVSS; the score does not use it".to_string()
        } else {
            format!("no CVSS vector; the score counts it as {}", word_score(p))
        };
        Some(input(
            "distribution priority",
            format!("{p} ({role})"),
            format!("{}, database_specific.cves_map", record_source(r)),
        ))
    }

    fn kev_input(&self, feeds: &Feeds) -> Input {
        let source = feed_label(feeds, FeedKind::Kev);
        let value = match self.kev {
            Some(k) => format!(
                "{} listed: added {}, due {}, ransomware use {}",
                k.cve,
                k.date_added,
                k.due_date.map_or("none".into(), |d| d.to_string()),
                if k.ransomware { "known" } else { "not known" }
            ),
            None => "not listed (no CVE alias is in the catalog)".into(),
        };
        Input {
            name: "KEV",
            value,
            source,
        }
    }

    fn epss_input(&self, feeds: &Feeds) -> Input {
        let value = match self.epss {
            Some((cve, s)) => format!(
                "{cve}: probability {:.5}, percentile {:.5}",
                s.probability, s.percentile
            ),
            None => "no score for any CVE alias".into(),
        };
        Input {
            name: "EPSS",
            value,
            source: feed_label(feeds, FeedKind::Epss),
        }
    }
}

fn input(name: &'static str, value: String, source: String) -> Input {
    Input {
        name,
        value,
        source,
    }
}

fn word_score(text: &str) -> String {
    cvss::severity_text_score(text).map_or("unknown (5.0)".into(), |s| format!("{s:.1}"))
}

/// `feed F, record R`.
pub(super) fn record_source(r: &Advisory) -> String {
    format!("feed {}, record {}", r.feed, r.id)
}

/// The loaded feeds of `kind` with their snapshot identity: `feed kev (2025.08.25)`.
fn feed_label(feeds: &Feeds, kind: FeedKind) -> String {
    let names: Vec<String> = feeds
        .snapshots
        .iter()
        .filter(|s| s.kind == kind)
        .map(|s| match &s.identity {
            Some(id) => format!("feed {} ({id})", s.id),
            None => format!("feed {}", s.id),
        })
        .collect();
    if names.is_empty() {
        "no feed of this kind is configured".into()
    } else {
        names.join(", ")
    }
}
