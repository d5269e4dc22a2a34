//! OSV records (schema 1.x) into [`Advisory`]. Ranges of type SEMVER and ECOSYSTEM are read;
//! GIT ranges are skipped without dropping the others; withdrawn records are dropped.

use serde::Deserialize;

use super::{Advisory, Affected};
use crate::version::{Event, Range, Scheme, canonical_ecosystem, canonical_name};

#[derive(Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
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
    score: String,
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
    Ok(Loaded::Advisory(Box::new(Advisory {
        severity_text: severity_text(record.database_specific.as_ref()),
        severity: record.severity.into_iter().map(|s| s.score).collect(),
        published: record.published.map(|p| p.chars().take(10).collect()),
        id: record.id,
        aliases: record.aliases,
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
    fn rejects_what_is_not_a_record() {
        let mut notes = Vec::new();
        assert!(parse(b"{\"summary\": 1}", "t", &mut notes).is_err());
        assert!(parse(b"<html>", "t", &mut notes).is_err());
    }
}
