//! Risk: each finding -> decision points -> SSVC decision, BOD 26-04 deadline, score, reasons.
//!
//! Decision points are derived as DESIGN.md ("Risk") says, each with its source; a point that
//! cannot be derived takes the policy's assumed value and the reasons say so. The score orders
//! findings within a decision (see [`score`]).

pub mod cvss;
pub mod tables;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::advisory::epss::EpssScore;
use crate::feeds::Feeds;
use crate::inventory::{Criticality, Exposure, Policy, Tier};
use crate::matching::Finding;
pub use cvss::CvssInfo;
pub use tables::{Decision, Exploitation, Mission, Timeline};

/// What risk needs to know about where a finding lives.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub exposure: Exposure,
    pub criticality: Criticality,
    pub tier: Tier,
}

/// The context assumed for ad-hoc scans (a lockfile with no environment): the worst exposure,
/// medium criticality, standard tier.
pub const ADHOC: Context = Context {
    exposure: Exposure::Internet,
    criticality: Criticality::Medium,
    tier: Tier::Standard,
};

/// The ranked finding.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub decision: Decision,
    /// `None`: fix on system upgrade (no deadline).
    pub deadline: Option<DateTime<Utc>>,
    pub timeline: Option<Timeline>,
    pub score: f64,
    pub cvss: Option<CvssInfo>,
    pub epss: Option<Epss>,
    pub kev: bool,
    pub points: Points,
    pub reasons: Vec<String>,
}

/// EPSS of the finding, as serialised.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Epss {
    pub probability: f64,
    pub percentile: f64,
}

/// The SSVC decision points.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Points {
    pub exploitation: Exploitation,
    pub automatable: bool,
    pub technical_impact_total: bool,
    pub mission: Mission,
    pub publicly_exposed: bool,
}

/// Ranks one finding.
pub fn assess(
    finding: &Finding,
    feeds: &Feeds,
    cx: Context,
    policy: &Policy,
    now: DateTime<Utc>,
) -> Assessment {
    let records: Vec<_> = finding
        .records
        .iter()
        .map(|&i| &feeds.advisories[i])
        .collect();
    let mut reasons = Vec::new();
    let (cvss, notes) = cvss::best(
        records
            .iter()
            .flat_map(|r| r.severity.iter().map(String::as_str)),
    );
    reasons.extend(notes.into_iter().map(|n| format!("ignored: {n}")));
    let cves: Vec<&str> = records.iter().flat_map(|r| r.cves()).collect();
    let kev = cves.iter().find_map(|c| feeds.kev.entries.get(*c));
    let epss = cves
        .iter()
        .filter_map(|c| feeds.epss.scores.get(*c).map(|s| (*c, *s)))
        .max_by(|a, b| a.1.percentile.total_cmp(&b.1.percentile));
    let native_exploited = records.iter().find(|r| r.exploited);

    if let Some(kind) = &finding.informational {
        reasons.push(format!(
            "informational advisory ({kind}): reported, never an emergency"
        ));
    }
    let exploitation = if let Some(k) = kev {
        reasons.push(format!(
            "exploitation: active ({} is in CISA KEV, added {})",
            k.cve, k.date_added
        ));
        Exploitation::Active
    } else if let Some(r) = native_exploited {
        reasons.push(format!(
            "exploitation: active (advisory {} says exploited)",
            r.id
        ));
        Exploitation::Active
    } else if let Some((cve, s)) = epss.filter(|(_, s)| s.percentile >= policy.epss_threshold) {
        reasons.push(format!(
            "exploitation: public poc (EPSS percentile {:.3} for {cve} >= {})",
            s.percentile, policy.epss_threshold
        ));
        Exploitation::PublicPoc
    } else {
        reasons.push(
            "exploitation: none (not in KEV, not marked exploited, EPSS below threshold)".into(),
        );
        Exploitation::None
    };
    let (automatable, total) = vector_points(cvss.as_ref(), policy, &mut reasons);
    let mission = mission(cx, &mut reasons);
    let exposed = cx.exposure == Exposure::Internet;
    reasons.push(format!(
        "publicly exposed: {} (environment exposure {})",
        yes_no(exposed),
        cx.exposure.as_str()
    ));

    let (row, mut decision) = tables::ssvc(exploitation, automatable, total, mission);
    reasons.push(format!(
        "decision: {} (SSVC coordinator table row {row})",
        decision.as_str()
    ));
    if finding.informational.is_some() && decision > Decision::Track {
        decision = Decision::Track;
        reasons.push(
            "decision lowered to track: informational advisories are not vulnerabilities".into(),
        );
    }
    let in_kev = kev.is_some() || native_exploited.is_some();
    let (timeline, deadline) = deadline(
        finding,
        in_kev,
        exposed,
        automatable,
        total,
        kev.and_then(|k| k.due_date),
        now,
        &mut reasons,
    );
    let points = Points {
        exploitation,
        automatable,
        technical_impact_total: total,
        mission,
        publicly_exposed: exposed,
    };
    Assessment {
        score: score(
            cvss.as_ref().map(|c| c.score),
            epss.map(|e| e.1),
            &points,
            cx.exposure,
            kev.is_some_and(|k| k.ransomware),
        ),
        decision,
        deadline,
        timeline,
        cvss,
        epss: epss.map(|(_, s)| Epss {
            probability: s.probability,
            percentile: s.percentile,
        }),
        kev: kev.is_some(),
        points,
        reasons,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn vector_points(
    cvss: Option<&CvssInfo>,
    policy: &Policy,
    reasons: &mut Vec<String>,
) -> (bool, bool) {
    match cvss {
        Some(c) => {
            let (a, t) = (c.automatable(), c.total_impact());
            reasons.push(format!(
                "automatable: {} (CVSS {} vector {})",
                yes_no(a),
                c.version,
                c.vector
            ));
            reasons.push(format!(
                "technical impact: {} (CVSS confidentiality and integrity impact)",
                if t { "total" } else { "partial" }
            ));
            reasons.push(format!("CVSS {} base score {:.1}", c.version, c.score));
            (a, t)
        }
        None => {
            let (a, t) = (policy.assume_automatable, policy.assume_total_impact);
            reasons.push(format!(
                "automatable: {} (assumed: the record has no CVSS vector)",
                yes_no(a)
            ));
            reasons.push(format!(
                "technical impact: {} (assumed: the record has no CVSS vector)",
                if t { "total" } else { "partial" }
            ));
            (a, t)
        }
    }
}

fn mission(cx: Context, reasons: &mut Vec<String>) -> Mission {
    let base = match cx.criticality {
        Criticality::Low => Mission::Low,
        Criticality::Medium => Mission::Medium,
        Criticality::High => Mission::High,
    };
    let raised = match (cx.tier, base) {
        (Tier::Critical, Mission::Low) => Mission::Medium,
        (Tier::Critical, _) => Mission::High,
        _ => base,
    };
    let why = if raised != base {
        "; raised one step for tier critical"
    } else {
        ""
    };
    reasons.push(format!(
        "mission and well-being: {} (environment criticality {}{why})",
        format!("{raised:?}").to_lowercase(),
        cx.criticality.as_str()
    ));
    raised
}

#[allow(clippy::too_many_arguments)]
fn deadline(
    finding: &Finding,
    in_kev: bool,
    exposed: bool,
    automatable: bool,
    total: bool,
    kev_due: Option<chrono::NaiveDate>,
    now: DateTime<Utc>,
    reasons: &mut Vec<String>,
) -> (Option<Timeline>, Option<DateTime<Utc>>) {
    if finding.informational.is_some() {
        return (None, None);
    }
    let (row, timeline) = tables::bod(in_kev, exposed, automatable, total);
    let mut deadline = timeline.days().map(|d| now + TimeDelta::days(d));
    match deadline {
        Some(d) => reasons.push(format!(
            "deadline: {} after detection at {} = {} (BOD 26-04 row {row})",
            timeline.as_str(),
            now.format("%Y-%m-%d %H:%M UTC"),
            d.format("%Y-%m-%d %H:%M UTC")
        )),
        None => reasons.push(format!(
            "deadline: none, fix on system upgrade (BOD 26-04 row {row})"
        )),
    }
    if let Some(due) = kev_due {
        let due_at = due.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
        if deadline.is_none_or(|d| due_at < d) {
            let when = if due_at <= now {
                "already passed"
            } else {
                "is earlier"
            };
            reasons.push(format!(
                "deadline shortened: CISA KEV due date {due} {when}"
            ));
            deadline = Some(due_at.max(now));
        }
    }
    (Some(timeline), deadline)
}

/// The score, 0-100, ordering findings within a decision. A weighted sum, monotone in every
/// input: 30 x CVSS base score / 10 (5.0 when unknown), 20 x EPSS percentile (0 when unknown),
/// 25 x exploitation (none 0, public poc 0.5, active 1), 10 x exposure (isolated 0, internal 0.5,
/// internet 1), 10 x mission (low 0, medium 0.5, high 1), 5 x known ransomware use.
pub fn score(
    cvss: Option<f64>,
    epss: Option<EpssScore>,
    p: &Points,
    exposure: Exposure,
    ransomware: bool,
) -> f64 {
    let level = |x: usize| x as f64 / 2.0;
    let exploitation = level(p.exploitation as usize);
    let exposure = match exposure {
        Exposure::Isolated => 0.0,
        Exposure::Internal => 0.5,
        Exposure::Internet => 1.0,
    };
    let raw = 30.0 * cvss.unwrap_or(5.0) / 10.0
        + 20.0 * epss.map_or(0.0, |e| e.percentile)
        + 25.0 * exploitation
        + 10.0 * exposure
        + 10.0 * level(p.mission as usize)
        + 5.0 * f64::from(u8::from(ransomware));
    (raw * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(e: Exploitation, m: Mission) -> Points {
        Points {
            exploitation: e,
            automatable: true,
            technical_impact_total: true,
            mission: m,
            publicly_exposed: true,
        }
    }

    #[test]
    fn score_is_bounded_and_monotone() {
        let top = score(
            Some(10.0),
            Some(EpssScore {
                probability: 1.0,
                percentile: 1.0,
            }),
            &points(Exploitation::Active, Mission::High),
            Exposure::Internet,
            true,
        );
        assert_eq!(top, 100.0);
        let bottom = score(
            Some(0.0),
            None,
            &points(Exploitation::None, Mission::Low),
            Exposure::Isolated,
            false,
        );
        assert_eq!(bottom, 0.0);
        let base = |c: f64, e: Exploitation, m: Mission, x: Exposure| {
            score(Some(c), None, &points(e, m), x, false)
        };
        assert!(
            base(7.0, Exploitation::None, Mission::Low, Exposure::Internal)
                < base(7.5, Exploitation::None, Mission::Low, Exposure::Internal)
        );
        assert!(
            base(7.0, Exploitation::None, Mission::Low, Exposure::Internal)
                < base(
                    7.0,
                    Exploitation::PublicPoc,
                    Mission::Low,
                    Exposure::Internal
                )
        );
        assert!(
            base(7.0, Exploitation::None, Mission::Low, Exposure::Internal)
                < base(7.0, Exploitation::None, Mission::Medium, Exposure::Internal)
        );
        assert!(
            base(7.0, Exploitation::None, Mission::Low, Exposure::Internal)
                < base(7.0, Exploitation::None, Mission::Low, Exposure::Internet)
        );
    }
}
