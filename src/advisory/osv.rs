//! OSV records (schema 1.x) into [`Advisory`]. Ranges of type SEMVER and ECOSYSTEM are read;
//! GIT ranges are skipped without dropping the others; withdrawn records are dropped.
//!
//! Distribution records name their CVEs elsewhere than `aliases`: Ubuntu's keep them in
//! `upstream` (as `UBUNTU-CVE-2024-1234`) and some in `related`, and their CVSS vectors and
//! priorities in `affected[].database_specific.cves_map`; AlmaLinux's and Rocky's list them in
//! `related`. The CVE ids of `upstream` (and, for these distributions' records, of `related`)
//! become aliases, so that KEV and EPSS join them and records of
//! one CVE merge; `cves_map` vectors become the record's severity, and its priority the
//! record's distribution priority.

use serde::Deserialize;

use super::{Advisory, Affected};
use crate::version::{Event, Range, Scheme, canonical_ecosystem, canonical_name, ecosystem_base};

#[derive(Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    upstream: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Vec<Severity>,
    #[serde(default)]
    affected: Vec<RecordAffected>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Severity {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    score: String,
}

impl Severity {
    /// A CVSS vector (types `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, or untyped), not a word such as
    /// Ubuntu's priority.
    fn is_vector(&self) -> bool {
        self.kind.as_deref().is_none_or(|k| k.starts_with("CVSS"))
    }
}

/// `database_specific.cves_map` of an Ubuntu `affected[]` entry.
#[derive(Deserialize)]
struct CvesMap {
    #[serde(default)]
    cves: Vec<MappedCve>,
}

#[derive(Deserialize)]
struct MappedCve {
    #[serde(default)]
    severity: Vec<Severity>,
}

#[derive(Deserialize)]
struct RecordAffected {
    package: Option<Package>,
    #[serde(default)]
    ranges: Vec<RecordRange>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Package {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct RecordRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// What became of one OSV record.
pub enum Loaded {
    Advisory(Box<Advisory>),
    Withdrawn,
}

/// Parses one OSV JSON record. Versions a scheme cannot read are collected in `notes` (the record
/// still loads with the rest of its ranges); an unreadable record is an error.
pub fn parse(bytes: &[u8], feed: &str, notes: &mut Vec<String>) -> Result<Loaded, String> {
    let record: Record = serde_json::from_slice(crate::files::strip_bom(bytes))
        .map_err(|e| format!("not an OSV record: {e}"))?;
    if record.withdrawn.is_some() {
        return Ok(Loaded::Withdrawn);
    }
    let mut informational = None;
    let mut affected = Vec::new();
    for a in &record.affected {
        if let Some(kind) = informational_kind(a.database_specific.as_ref()) {
            informational = Some(kind);
        }
        if let Some(x) = convert_affected(&record.id, a, notes) {
            affected.push(x);
        }
    }
    let summary = record
        .summary
        .filter(|s| !s.trim().is_empty())
        .or_else(|| record.details.map(|d| first_line(&d)))
        .unwrap_or_default();
    // Ubuntu's, AlmaLinux's and Rocky's records list the CVEs they fix in `related`.
    let distribution = affected.iter().any(|a| {
        matches!(
            ecosystem_base(&a.ecosystem),
            "Ubuntu" | "AlmaLinux" | "Rocky Linux"
        )
    });
    let (mapped, distro_priority) = cves_map(&record.id, &record.affected, notes);
    let mut severity: Vec<String> = Vec::new();
    for s in record.severity.iter().chain(&mapped) {
        if s.is_vector() && !severity.contains(&s.score) {
            severity.push(s.score.clone());
        }
    }
    let related = record.related.iter().filter(|_| distribution);
    let mut aliases = record.aliases;
    for id in record
        .upstream
        .iter()
        .chain(related)
        .filter_map(|i| cve_of(i))
    {
        if !aliases.iter().any(|a| a == id) && id != record.id {
            aliases.push(id.to_string());
        }
    }
    Ok(Loaded::Advisory(Box::new(Advisory {
        severity_text: severity_text(record.database_specific.as_ref()),
        distro_priority,
        severity,
        published: record.published.map(|p| p.chars().take(10).collect()),
        id: record.id,
        aliases,
        summary,
        exploited: false,
        informational,
        affected,
        feed: feed.to_string(),
    })))
}

fn convert_affected(id: &str, a: &RecordAffected, notes: &mut Vec<String>) -> Option<Affected> {
    let Some(package) = a.package.as_ref() else {
        // Only a record about a git repository (GIT ranges alone) may go without a package.
        if !a.ranges.iter().all(|r| r.kind == "GIT") || !a.versions.is_empty() {
            notes.push(format!(
                "{id}: an affected entry has no package, so it cannot match anything"
            ));
        }
        return None;
    };
    let ecosystem = canonical_ecosystem(&package.ecosystem);
    let scheme = Scheme::for_ecosystem(&ecosystem);
    let mut range = Range::default();
    for (i, r) in a.ranges.iter().enumerate() {
        let (kind, name) = (&r.kind, &package.name);
        match kind.as_str() {
            "SEMVER" | "ECOSYSTEM" => {}
            "GIT" => continue,
            _ => {
                notes.push(format!(
                    "{id}: range {} of `{name}` skipped: unknown range type `{}` (expected SEMVER, ECOSYSTEM or GIT)",
                    i + 1,
                    crate::diag::excerpt(kind)
                ));
                continue;
            }
        }
        match convert_events(scheme, &r.events) {
            // Evaluating what is left would be a guess (a lost `fixed` widens the range, a lost
            // `introduced` hides it), so the whole range is skipped, and said so.
            Err(why) => notes.push(format!(
                "{id}: range {} ({kind}) of `{name}` skipped: {why}",
                i + 1
            )),
            Ok(events) => range.add_osv_events(events),
        }
    }
    let mut unreadable = Vec::new();
    for text in &a.versions {
        match scheme.parse(text) {
            Ok(v) => range.versions.push(v),
            Err(e) => unreadable.push(e),
        }
    }
    if let Some(first) = unreadable.first() {
        // Feeds list every release, legacy spellings included: one note per package, not one
        // per version, and the ranges still decide.
        let (n, name) = (unreadable.len(), &package.name);
        notes.push(format!(
            "{id}: {n} listed version(s) of `{name}` ignored, e.g. {first}"
        ));
    }
    Some(Affected {
        name: canonical_name(&ecosystem, &package.name),
        ecosystem,
        scheme,
        range,
    })
}

/// A range's events, or why the range cannot be read: per the OSV schema each event is an
/// object with exactly one of `introduced`, `fixed`, `last_affected` or `limit`, whose value is
/// a version string, and a range has at least one event.
fn convert_events(
    scheme: Scheme,
    events: &[serde_json::Map<String, serde_json::Value>],
) -> Result<Vec<Event>, String> {
    if events.is_empty() {
        return Err("it has no events".into());
    }
    events
        .iter()
        .enumerate()
        .map(|(i, e)| convert_event(scheme, e).map_err(|why| format!("event {}: {why}", i + 1)))
        .collect()
}

fn convert_event(
    scheme: Scheme,
    event: &serde_json::Map<String, serde_json::Value>,
) -> Result<Event, String> {
    const KINDS: &str = "exactly one of introduced, fixed, last_affected or limit";
    let mut keys = event.iter();
    let (Some((kind, value)), None) = (keys.next(), keys.next()) else {
        return Err(format!("expected {KINDS}, found {} keys", event.len()));
    };
    let Some(text) = value.as_str() else {
        return Err(format!(
            "`{kind}` is {}, expected a version string",
            crate::diag::excerpt(&value.to_string())
        ));
    };
    if kind == "introduced" && text == "0" {
        return Ok(Event::Introduced(None));
    }
    let make = match kind.as_str() {
        "introduced" => |v| Event::Introduced(Some(v)),
        "fixed" => Event::Fixed,
        "last_affected" => Event::LastAffected,
        "limit" => Event::Limit,
        other => {
            return Err(format!(
                "unknown event `{}`, expected {KINDS}",
                crate::diag::excerpt(other)
            ));
        }
    };
    scheme.parse(text).map(make).map_err(|e| e.to_string())
}

/// The CVE id an `upstream` or `related` entry names: `CVE-2024-1234`, also as a distribution
/// spells it (`UBUNTU-CVE-2024-1234`); `None` for other ids.
fn cve_of(id: &str) -> Option<&str> {
    let at = id.find("CVE-")?;
    let prefix = &id[..at];
    let spelt = prefix.is_empty()
        || prefix
            .strip_suffix('-')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_uppercase()));
    spelt.then(|| &id[at..])
}

/// Ubuntu's priority words, lowest first.
const PRIORITIES: &[&str] = &["negligible", "low", "medium", "high", "critical"];

/// Every severity of every CVE in the entries' `cves_map`, and the highest priority among the
/// words (type `Ubuntu`). A map that cannot be read is a note, and gives nothing.
fn cves_map(
    id: &str,
    affected: &[RecordAffected],
    notes: &mut Vec<String>,
) -> (Vec<Severity>, Option<String>) {
    let mut all = Vec::new();
    for a in affected {
        let Some(map) = a.database_specific.as_ref().and_then(|d| d.get("cves_map")) else {
            continue;
        };
        match CvesMap::deserialize(map) {
            Ok(map) => all.extend(map.cves.into_iter().flat_map(|c| c.severity)),
            Err(e) => notes.push(format!("{id}: `cves_map` ignored: {e}")),
        }
    }
    let priority = all
        .iter()
        .filter(|s| !s.is_vector())
        .filter_map(|s| {
            PRIORITIES
                .iter()
                .position(|p| p.eq_ignore_ascii_case(&s.score))
        })
        .max()
        .map(|i| PRIORITIES[i].to_string());
    (all, priority)
}

fn informational_kind(db: Option<&serde_json::Value>) -> Option<String> {
    db?.get("informational")?.as_str().map(str::to_string)
}

fn severity_text(db: Option<&serde_json::Value>) -> Option<String> {
    db?.get("severity")?.as_str().map(str::to_string)
}

fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(json: &str) -> (Loaded, Vec<String>) {
        let mut notes = Vec::new();
        let loaded = parse(json.as_bytes(), "test", &mut notes).unwrap();
        (loaded, notes)
    }

    #[test]
    fn skips_git_ranges_but_keeps_the_others() {
        let (loaded, notes) = load(
            r#"{"id":"X-1","affected":[{"package":{"ecosystem":"crates.io","name":"a"},
            "ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"abc123"}]},
                      {"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}"#,
        );
        let Loaded::Advisory(adv) = loaded else {
            panic!("withdrawn")
        };
        assert!(notes.is_empty(), "{notes:?}");
        let v = Scheme::SemVer.parse("0.9.0").unwrap();
        assert!(adv.affected[0].range.contains(&v));
    }

    #[test]
    fn drops_withdrawn_records() {
        let (loaded, _) = load(r#"{"id":"X-2","withdrawn":"2024-01-01T00:00:00Z"}"#);
        assert!(matches!(loaded, Loaded::Withdrawn));
    }

    #[test]
    fn reads_informational_kind_and_notes_bad_versions() {
        let (loaded, notes) = load(
            r#"{"id":"X-3","affected":[{"package":{"ecosystem":"crates.io","name":"a"},
            "database_specific":{"informational":"unmaintained"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"not-a-version"}]}]}]}"#,
        );
        let Loaded::Advisory(adv) = loaded else {
            panic!("withdrawn")
        };
        assert_eq!(adv.informational.as_deref(), Some("unmaintained"));
        // The unreadable `fixed` skips its whole range rather than leaving it open.
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("X-3: range 1 (SEMVER) of `a` skipped: event 2: "),
            "{notes:?}"
        );
        assert!(adv.affected[0].range.intervals.is_empty());
    }

    /// A record with a malformed range (`bad`) next to a good one that affects 1.5.0 but not
    /// 2.5.0: the malformed range is skipped with a note naming it, the good one still counts.
    fn malformed(bad: &str, note: &str) {
        let json = format!(
            r#"{{"id":"X-4","affected":[{{"package":{{"ecosystem":"crates.io","name":"a"}},
            "ranges":[{bad},
                      {{"type":"SEMVER","events":[{{"introduced":"1.0.0"}},{{"fixed":"2.0.0"}}]}}]}}]}}"#
        );
        let (loaded, notes) = load(&json);
        let Loaded::Advisory(adv) = loaded else {
            panic!("withdrawn")
        };
        let range = &adv.affected[0].range;
        let v = |s| Scheme::SemVer.parse(s).unwrap();
        assert!(
            range.contains(&v("1.5.0")),
            "{bad}: the good range was lost"
        );
        assert!(!range.contains(&v("2.5.0")), "{bad}: the bad range widened");
        assert_eq!(notes.len(), 1, "{bad}: {notes:?}");
        assert!(
            notes[0].starts_with("X-4: range 1 ") && notes[0].contains(note),
            "{bad}: {notes:?}"
        );
    }

    #[test]
    fn a_malformed_event_skips_its_range_with_a_note_and_the_rest_counts() {
        let semver = |events: &str| format!(r#"{{"type":"SEMVER","events":[{events}]}}"#);
        malformed(
            &semver(r#"{"introduced":"2.0.0","fixed":"3.0.0"}"#),
            "event 1: expected exactly one of introduced",
        );
        malformed(
            &semver(r#"{"introduced":"0"},{"fixed":3}"#),
            "event 2: `fixed` is 3, expected a version string",
        );
        malformed(
            &semver(r#"{"introduced":"0"},{"fxied":"3.0.0"}"#),
            "event 2: unknown event `fxied`",
        );
        malformed(
            &semver(r#"{"introduced":"0"},{}"#),
            "event 2: expected exactly one",
        );
        malformed(&semver(""), "it has no events");
        malformed(
            r#"{"type":"SEMVR","events":[{"introduced":"0"}]}"#,
            "unknown range type `SEMVR`",
        );
    }

    #[test]
    fn an_affected_entry_without_a_package_is_a_note() {
        let (_, notes) = load(
            r#"{"id":"X-5","affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
        );
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("X-5: an affected entry has no package"),
            "{notes:?}"
        );
        let (_, notes) = load(
            r#"{"id":"X-6","affected":[{"ranges":[{"type":"GIT","repo":"r","events":[{"introduced":"0"}]}]}]}"#,
        );
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn ubuntu_records_name_their_cves_vectors_and_priority() {
        let (loaded, notes) = load(
            r#"{"id":"USN-7270-1","aliases":[],"upstream":["UBUNTU-CVE-2025-26465"],
            "related":["CVE-2025-26466","UBUNTU-CVE-2025-26466","USN-7000-1"],
            "affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"openssh"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:8.9p1-3ubuntu0.11"}]}],
              "database_specific":{"cves_map":{"ecosystem":"Ubuntu:22.04:LTS","cves":[
                {"id":"CVE-2025-26465","severity":[
                  {"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N"},
                  {"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N"},
                  {"type":"Ubuntu","score":"medium"}]},
                {"id":"CVE-2025-26466","severity":[
                  {"type":"CVSS_V4","score":"CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N/SA:N/E:P"},
                  {"type":"Ubuntu","score":"high"}]}]}}}]}"#,
        );
        let Loaded::Advisory(adv) = loaded else {
            panic!("withdrawn")
        };
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(adv.aliases, ["CVE-2025-26465", "CVE-2025-26466"]);
        assert_eq!(adv.cves().count(), 2);
        assert_eq!(
            adv.severity,
            [
                "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N",
                "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N/SA:N/E:P"
            ]
        );
        assert_eq!(adv.distro_priority.as_deref(), Some("high"));
        // `related` is only read as the same flaw in the distributions' records.
        let (loaded, _) = load(
            r#"{"id":"GHSA-x","related":["CVE-2020-1"],"upstream":["CVE-2020-2"],"affected":[]}"#,
        );
        let Loaded::Advisory(adv) = loaded else {
            panic!("withdrawn")
        };
        assert_eq!(adv.aliases, ["CVE-2020-2"]);
        // A malformed `cves_map` is a note; the record still loads.
        let (loaded, notes) = load(
            r#"{"id":"USN-1","affected":[{"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"a"},
            "database_specific":{"cves_map":{"cves":"none"}}}]}"#,
        );
        assert!(matches!(loaded, Loaded::Advisory(_)));
        assert!(
            notes[0].starts_with("USN-1: `cves_map` ignored"),
            "{notes:?}"
        );
    }

    #[test]
    fn rejects_what_is_not_a_record() {
        let mut notes = Vec::new();
        assert!(parse(b"{\"summary\": 1}", "t", &mut notes).is_err());
        assert!(parse(b"<html>", "t", &mut notes).is_err());
    }
}
