//! Scan reports in the formats other tools read: SARIF 2.1.0 for code-scanning dashboards,
//! CycloneDX 1.6 for SBOM and VEX tooling, Markdown for pull-request comments. Each takes the
//! same [`ScanReport`] that `scan --format json` prints, so every format says the same thing;
//! only `cli/` prints them.

pub mod cyclonedx;
pub mod locate;
pub mod markdown;
pub mod sarif;

use serde::Serialize;

use crate::advisory::Advisory;
use crate::inventory::vex::VexStatement;
use crate::matching::{self, Finding};
use crate::plan::{ExceptionNote, Status};
use crate::risk::{CvssInfo, Decision};

/// `scan --format json`, and the input of every other scan format.
#[derive(Serialize)]
pub struct ScanReport<'a> {
    pub schema: &'static str,
    pub findings: Vec<ScanFinding<'a>>,
    pub coverage: &'a [matching::Coverage],
    pub warnings: &'a [String],
}

/// One finding of a scan, ranked.
#[derive(Serialize)]
pub struct ScanFinding<'a> {
    #[serde(flatten)]
    pub finding: &'a Finding,
    /// `open`, or for an inventory what its VEX statements and exceptions make of it.
    pub status: Status,
    pub recommended: Option<String>,
    pub cvss: Option<CvssInfo>,
    pub decision: Decision,
    pub score: f64,
    /// The file that declared the component (a lockfile, an SBOM, an environment's or a stack's
    /// TOML), for formats that point at a location.
    #[serde(skip)]
    pub origin: Option<std::path::PathBuf>,
    /// The exception naming it (inventory scans).
    #[serde(skip)]
    pub exception: Option<ExceptionNote>,
    /// The VEX statement that applies to it (inventory scans).
    #[serde(skip)]
    pub vex: Option<VexStatement>,
}

/// Findings worst first: open before the rest, then decision, score, and names for a stable
/// order.
pub fn worst_first<'r, 'a>(findings: &'r [ScanFinding<'a>]) -> Vec<&'r ScanFinding<'a>> {
    let mut out: Vec<&ScanFinding> = findings.iter().collect();
    out.sort_by(|a, b| {
        (b.status == Status::Open)
            .cmp(&(a.status == Status::Open))
            .then(b.decision.cmp(&a.decision))
            .then(b.score.total_cmp(&a.score))
            .then_with(|| a.finding.advisory.cmp(&b.finding.advisory))
            .then_with(|| a.finding.target.cmp(&b.finding.target))
            .then_with(|| a.finding.package.cmp(&b.finding.package))
            .then_with(|| a.finding.version.cmp(&b.finding.version))
    });
    out
}

/// A page about an advisory: OSV's for the ids it publishes, GitHub's for GHSA, cve.org for a
/// CVE; none for an operator's own advisory without a CVE alias.
pub fn help_uri(id: &str, aliases: &[String], native: bool) -> Option<String> {
    if !native {
        return Some(if id.starts_with("GHSA-") {
            format!("https://github.com/advisories/{id}")
        } else {
            format!("https://osv.dev/vulnerability/{id}")
        });
    }
    aliases
        .iter()
        .find(|a| a.starts_with("CVE-"))
        .map(|cve| format!("https://www.cve.org/CVERecord?id={cve}"))
}

/// The primary record of a finding, if the feeds still hold it.
pub fn primary<'f>(f: &Finding, advisories: &'f [Advisory]) -> Option<&'f Advisory> {
    f.records.first().and_then(|&i| advisories.get(i))
}

/// Whether a finding's primary record is one of the operator's own (native) advisories.
pub fn is_native(f: &Finding, advisories: &[Advisory]) -> bool {
    primary(f, advisories).is_some_and(|a| a.feed == "inventory" || !looks_like_osv(&a.id))
}

fn looks_like_osv(id: &str) -> bool {
    [
        "GHSA-", "RUSTSEC-", "PYSEC-", "GO-", "CVE-", "OSV-", "DSA-", "DLA-", "USN-", "ALSA-",
        "MAL-",
    ]
    .iter()
    .any(|p| id.starts_with(p))
}

/// A cell of text from outside (feeds, lockfiles): control characters dropped, one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
