//! `scan --format cyclonedx`: a CycloneDX 1.6 JSON BOM of what was scanned. Each target (an
//! environment, a lockfile, an SBOM) is an `application` component holding its packages, each
//! with its purl; each advisory is a vulnerability that `affects` the packages it was found in,
//! with its CVSS rating, the upgrade as its recommendation, and, where the operator said
//! something about it, an `analysis` (CycloneDX's VEX): an exception in force or a VEX
//! `not_affected` is `not_affected`, VEX `fixed` is `resolved`, VEX `affected` is `exploitable`,
//! `under_investigation` is `in_triage`. Findings with different analyses of one advisory are
//! separate vulnerabilities, since an analysis belongs to the vulnerability, not to what it
//! affects. The serial number is a hash of the content, so the same scan gives the same BOM.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{ScanFinding, ScanReport, help_uri, is_native, one_line};
use crate::advisory::Advisory;
use crate::inventory::vex::{Justification, VexStatus};
use crate::matching::Target;
use crate::plan::Status;
use crate::purl;

/// The BOM of a scan of `targets`.
pub fn build(
    report: &ScanReport,
    targets: &[Target],
    advisories: &[Advisory],
    now: DateTime<Utc>,
) -> Value {
    let components: Vec<Value> = targets.iter().map(target_component).collect();
    let mut groups: BTreeMap<(String, String), Vec<&ScanFinding>> = BTreeMap::new();
    for f in super::worst_first(&report.findings) {
        let key = (f.finding.advisory.to_string(), analysis(f).to_string());
        groups.entry(key).or_default().push(f);
    }
    let vulnerabilities: Vec<Value> = groups
        .values()
        .enumerate()
        .map(|(i, group)| vulnerability(i, group, advisories))
        .collect();
    let body = json!([components, vulnerabilities]);
    let digest = Sha256::digest(body.to_string().as_bytes());
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial(&digest),
        "version": 1,
        "metadata": {
            "timestamp": now.to_rfc3339_opts(SecondsFormat::Secs, true),
            "tools": {"components": [{
                "type": "application",
                "name": "patchplan",
                "version": env!("CARGO_PKG_VERSION"),
            }]},
        },
        "components": components,
        "vulnerabilities": vulnerabilities,
    })
}

/// `urn:uuid:` of the first 16 bytes of a hash, marked as a name-based (version 5 style) UUID.
fn serial(digest: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = crate::digest::hex(&b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A package's `bom-ref`: unique in the BOM, since one package may be in many targets.
fn bom_ref(target: &str, ecosystem: &str, name: &str, version: &str) -> String {
    format!("{target}#{}", purl::build(ecosystem, name, version))
}

fn target_component(t: &Target) -> Value {
    let mut seen = std::collections::BTreeSet::new();
    let packages: Vec<Value> = t
        .components
        .iter()
        .filter(|c| seen.insert(bom_ref(&t.id, &c.ecosystem, &c.name, &c.version)))
        .map(|c| {
            json!({
                "type": "library",
                "bom-ref": bom_ref(&t.id, &c.ecosystem, &c.name, &c.version),
                "name": c.name,
                "version": c.version,
                "purl": purl::build(&c.ecosystem, &c.name, &c.version),
            })
        })
        .collect();
    json!({
        "type": "application",
        "bom-ref": format!("target:{}", t.id),
        "name": t.id,
        "components": packages,
    })
}

fn vulnerability(index: usize, group: &[&ScanFinding], advisories: &[Advisory]) -> Value {
    let first = group[0];
    let x = first.finding;
    let native = is_native(x, advisories);
    let mut v = json!({
        "bom-ref": format!("vulnerability-{}", index + 1),
        "id": x.advisory,
        "source": source(&x.advisory, native, advisories, x),
        "description": one_line(&x.summary),
        "affects": affects(group),
    });
    if !x.aliases.is_empty() {
        v["references"] = x
            .aliases
            .iter()
            .map(|a| json!({"id": a, "source": source(a, false, advisories, x)}))
            .collect();
    }
    if let Some(cvss) = &first.cvss {
        v["ratings"] = json!([rating(cvss)]);
    }
    if let Some(to) = &first.recommended {
        v["recommendation"] = json!(format!("Upgrade {} to {to}", x.package));
    }
    if let Some(a) = analysis_value(first) {
        v["analysis"] = a;
    }
    v
}

fn source(id: &str, native: bool, advisories: &[Advisory], x: &crate::matching::Finding) -> Value {
    let name = if native {
        super::primary(x, advisories).map_or("patchplan", |a| a.feed.as_str())
    } else if id.starts_with("GHSA-") {
        "GitHub"
    } else if id.starts_with("CVE-") {
        "NVD"
    } else {
        "OSV"
    };
    let mut s = json!({"name": name});
    if id.starts_with("CVE-") && !native {
        s["url"] = json!(format!("https://nvd.nist.gov/vuln/detail/{id}"));
    } else if let Some(url) = help_uri(id, &[], native) {
        s["url"] = json!(url);
    }
    s
}

fn affects(group: &[&ScanFinding]) -> Vec<Value> {
    let mut refs: Vec<(String, &str)> = group
        .iter()
        .map(|f| {
            let x = f.finding;
            (
                bom_ref(&x.target, &x.ecosystem, &x.package, &x.version),
                x.version.as_str(),
            )
        })
        .collect();
    refs.sort();
    refs.dedup();
    refs.into_iter()
        .map(|(r, version)| json!({"ref": r, "versions": [{"version": version, "status": "affected"}]}))
        .collect()
}

fn rating(cvss: &crate::risk::CvssInfo) -> Value {
    let method = match cvss.version.as_str() {
        "2.0" => "CVSSv2",
        "3.0" => "CVSSv3",
        "4.0" => "CVSSv4",
        _ => "CVSSv31",
    };
    let severity = match cvss.score {
        s if s >= 9.0 => "critical",
        s if s >= 7.0 => "high",
        s if s >= 4.0 => "medium",
        s if s > 0.0 => "low",
        _ => "none",
    };
    json!({"score": cvss.score, "severity": severity, "method": method, "vector": cvss.vector})
}

/// The analysis state a finding gets, `""` for none: the grouping key.
fn analysis(f: &ScanFinding) -> &'static str {
    match (f.status, f.vex.as_ref().map(|v| v.status)) {
        (Status::Excepted | Status::NotAffected, _) => "not_affected",
        (Status::Fixed, _) => "resolved",
        (Status::Open, Some(VexStatus::Affected)) => "exploitable",
        (Status::Open, Some(VexStatus::UnderInvestigation)) => "in_triage",
        (Status::Open, _) if f.exception.as_ref().is_some_and(|e| e.expired) => "exploitable",
        _ => "",
    }
}

fn analysis_value(f: &ScanFinding) -> Option<Value> {
    let state = analysis(f);
    if state.is_empty() {
        return None;
    }
    let mut a = json!({"state": state});
    let mut detail = Vec::new();
    if let Some(v) = f.vex.as_ref().filter(|_| f.status != Status::Excepted) {
        if let Some(j) = v.justification {
            a["justification"] = json!(justification(j));
        }
        detail.extend(
            v.impact_statement
                .iter()
                .chain(&v.action_statement)
                .cloned(),
        );
        detail.push(format!("VEX statement at {}", v.location));
    }
    let excepted = f
        .exception
        .as_ref()
        .filter(|_| f.status == Status::Excepted);
    if let Some(j) = excepted.and_then(|e| e.justification) {
        a["justification"] = json!(justification(j));
    }
    if let Some(e) = &f.exception {
        let how = if e.expired { "expired on" } else { "until" };
        detail.push(format!(
            "exception {how} {} by {}: {}",
            e.until, e.owner, e.reason
        ));
    }
    if state == "exploitable" && f.recommended.is_some() {
        a["response"] = json!(["update"]);
    }
    if !detail.is_empty() {
        let parts: Vec<&str> = detail.iter().map(|d| d.trim_end_matches('.')).collect();
        a["detail"] = json!(one_line(&parts.join("; ")));
    }
    Some(a)
}

/// OpenVEX's justification in CycloneDX's words.
fn justification(j: Justification) -> &'static str {
    match j {
        Justification::ComponentNotPresent => "requires_dependency",
        Justification::VulnerableCodeNotPresent => "code_not_present",
        Justification::VulnerableCodeNotInExecutePath => "code_not_reachable",
        Justification::VulnerableCodeCannotBeControlledByAdversary => "protected_at_runtime",
        Justification::InlineMitigationsAlreadyExist => "protected_by_mitigating_control",
    }
}
