//! `scan --format sarif`: SARIF 2.1.0, as code-scanning dashboards read it. One rule per
//! advisory (its summary, a help URI, the CVSS base score as `security-severity`), one result per
//! finding, located at the file that declared the package and at its line where one is found
//! (see [`super::locate`]). Findings that VEX or an exception take out of the plan are results
//! with an accepted external suppression, so dashboards show them as dismissed, not as absent.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::locate::Files;
use super::{ScanFinding, ScanReport, help_uri, is_native, one_line, primary};
use crate::advisory::Advisory;
use crate::plan::Status;
use crate::risk::Decision;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The SARIF log of a scan.
pub fn build(report: &ScanReport, advisories: &[Advisory]) -> Value {
    let findings = super::worst_first(&report.findings);
    let mut rules: BTreeMap<&str, (usize, Value)> = BTreeMap::new();
    for f in &findings {
        let next = rules.len();
        rules
            .entry(&*f.finding.advisory)
            .or_insert_with(|| (next, rule(f, advisories)));
    }
    let mut files = Files::default();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| result(f, rules[&*f.finding.advisory].0, &mut files))
        .collect();
    let mut rules: Vec<(usize, Value)> = rules.into_values().collect();
    rules.sort_by_key(|(i, _)| *i);
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "patchplan",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn rule(f: &ScanFinding, advisories: &[Advisory]) -> Value {
    let x = f.finding;
    let summary = match one_line(&x.summary) {
        s if s.is_empty() => x.advisory.to_string(),
        s => s,
    };
    let mut help = format!("{summary}\n\nAliases: {}", aliases(&x.aliases));
    let mut properties = json!({
        "tags": ["security", "vulnerability", x.ecosystem],
        "precision": "very-high",
    });
    if let Some(cvss) = &f.cvss {
        properties["security-severity"] = json!(format!("{:.1}", cvss.score));
        help.push_str(&format!(
            "\nCVSS {} {}: {:.1}",
            cvss.version, cvss.vector, cvss.score
        ));
    }
    let mut rule = json!({
        "id": x.advisory,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": summary},
        "help": {"text": help},
        "defaultConfiguration": {"level": level(f)},
        "properties": properties,
    });
    if let Some(uri) = help_uri(&x.advisory, &x.aliases, is_native(x, advisories)) {
        rule["helpUri"] = json!(uri);
    }
    if let Some(a) = primary(x, advisories).filter(|a| a.informational.is_some()) {
        rule["properties"]["tags"] = json!(["security", a.informational]);
    }
    rule
}

fn aliases(list: &[String]) -> String {
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

/// error for act and attend, warning for track*, note for track and informational advisories.
fn level(f: &ScanFinding) -> &'static str {
    match (f.finding.informational.is_some(), f.decision) {
        (true, _) => "note",
        (false, Decision::Act | Decision::Attend) => "error",
        (false, Decision::TrackStar) => "warning",
        (false, Decision::Track) => "note",
    }
}

fn result(f: &ScanFinding, rule_index: usize, files: &mut Files) -> Value {
    let x = f.finding;
    let mut message = format!("{} {} is affected by {}", x.package, x.version, x.advisory);
    match (&x.fixed, &f.recommended) {
        (Some(fixed), Some(to)) => {
            message.push_str(&format!(": fixed in {fixed}, upgrade to {to}"))
        }
        (Some(fixed), None) => message.push_str(&format!(": fixed in {fixed}")),
        (None, _) => message.push_str(": no fixed version"),
    }
    message.push_str(&format!(
        " (decision {}, in {})",
        f.decision.as_str(),
        x.target
    ));
    let mut result = json!({
        "ruleId": x.advisory,
        "ruleIndex": rule_index,
        "level": level(f),
        "message": {"text": message},
        "locations": [location(f, files)],
        "partialFingerprints": {
            "patchplan/finding/v1": format!("{}:{}:{}:{}", x.target, x.ecosystem, x.package, x.advisory),
        },
        "properties": {
            "target": x.target,
            "ecosystem": x.ecosystem,
            "package": x.package,
            "version": x.version,
            "fixed": x.fixed,
            "recommended": f.recommended,
            "decision": f.decision,
            "score": f.score,
            "status": f.status,
        },
    });
    if let Some(s) = suppression(f) {
        result["suppressions"] = json!([s]);
    }
    result
}

fn location(f: &ScanFinding, files: &mut Files) -> Value {
    let x = f.finding;
    let path = f.origin.as_deref().unwrap_or(Path::new(&*x.target));
    let mut physical = json!({"artifactLocation": {"uri": uri(path)}});
    if let Some(line) = files.line(path, &x.package, &x.version) {
        physical["region"] = json!({"startLine": line});
    }
    json!({"physicalLocation": physical})
}

/// Findings that are not open: accepted by the operator (an exception) or by a VEX statement.
fn suppression(f: &ScanFinding) -> Option<Value> {
    let justification = match f.status {
        Status::Open | Status::Informational => return None,
        Status::Excepted => f.exception.as_ref().map(|e| {
            format!(
                "exception until {} by {}: {}",
                e.until,
                e.owner,
                one_line(&e.reason)
            )
        }),
        Status::NotAffected | Status::Fixed => f.vex.as_ref().map(|v| {
            let why = v
                .justification
                .map(|j| j.as_str().to_string())
                .or_else(|| v.impact_statement.clone())
                .unwrap_or_default();
            format!(
                "VEX {} ({}) {}",
                v.status.as_str(),
                v.location,
                one_line(&why)
            )
        }),
    };
    let mut s = json!({"kind": "external", "status": "accepted"});
    if let Some(j) = justification {
        s["justification"] = json!(j.trim_end());
    }
    Some(s)
}

/// A relative URI reference for a relative path (`/` separators, reserved bytes escaped), a
/// `file://` URI for an absolute one.
pub fn uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::new();
    if path.is_absolute() {
        out.push_str("file://");
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
