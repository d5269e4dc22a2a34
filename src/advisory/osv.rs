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
    let record: Record =
        serde_json::from_slice(bytes).map_err(|e| format!("not an OSV record: {e}"))?;
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
    let package = a.package.as_ref()?;
    let ecosystem = canonical_ecosystem(&package.ecosystem);
    let scheme = Scheme::for_ecosystem(&ecosystem);
    let mut range = Range::default();
    for r in a.ranges.iter().filter(|r| r.kind != "GIT") {
        let before = notes.len();
        let events = r
            .events
            .iter()
            .filter_map(|e| convert_event(scheme, e, id, notes))
            .collect();
        if notes.len() > before {
            // Evaluating what is left would be a guess (a lost `fixed` widens the range, a lost
            // `introduced` hides it), so the whole range is skipped, and said so.
            let (kind, name) = (&r.kind, &package.name);
            notes.push(format!(
                "{id}: a {kind} range of `{name}` was skipped: an event could not be read"
            ));
            continue;
        }
        range.add_osv_events(events);
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

fn convert_event(
    scheme: Scheme,
    event: &serde_json::Map<String, serde_json::Value>,
    id: &str,
    notes: &mut Vec<String>,
) -> Option<Event> {
    let (kind, value) = event.iter().next()?;
    let text = value.as_str()?;
    if kind == "introduced" && text == "0" {
        return Some(Event::Introduced(None));
    }
    let version = match scheme.parse(text) {
        Ok(v) => v,
        Err(e) => {
            notes.push(format!("{id}: {e}"));
            return None;
        }
    };
    match kind.as_str() {
        "introduced" => Some(Event::Introduced(Some(version))),
        "fixed" => Some(Event::Fixed(version)),
        "last_affected" => Some(Event::LastAffected(version)),
        "limit" => Some(Event::Limit(version)),
        _ => None,
    }
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
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[1].contains("range of `a` was skipped"), "{notes:?}");
        assert!(adv.affected[0].range.intervals.is_empty());
    }

    #[test]
    fn rejects_what_is_not_a_record() {
        let mut notes = Vec::new();
        assert!(parse(b"{\"summary\": 1}", "t", &mut notes).is_err());
        assert!(parse(b"<html>", "t", &mut notes).is_err());
    }
}
