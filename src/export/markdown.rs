//! `scan --format markdown`: a pull-request comment. A one-line summary, then one table of the
//! findings, worst first (open before excepted or VEX-suppressed, then decision and score), each
//! with the version that fixes it and the one to upgrade to. Text from feeds and lockfiles is
//! escaped so that it cannot break the table or inject links.

use super::{ScanFinding, ScanReport, help_uri, is_native, one_line};
use crate::advisory::Advisory;
use crate::plan::Status;

/// The comment's Markdown.
pub fn render(report: &ScanReport, advisories: &[Advisory]) -> String {
    let findings = super::worst_first(&report.findings);
    let mut out = String::from("## patchplan scan\n\n");
    if findings.is_empty() {
        out.push_str("No known vulnerabilities found.\n");
        return out;
    }
    out.push_str(&summary(&findings));
    out.push_str("\n\n| Decision | Package | Version | Advisory | Fixed in | Upgrade to | Target | Status |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for f in findings {
        out.push_str(&row(f, advisories));
    }
    out
}

fn summary(findings: &[&ScanFinding]) -> String {
    let open = findings.iter().filter(|f| f.status == Status::Open).count();
    let info = findings
        .iter()
        .filter(|f| f.status == Status::Informational)
        .count();
    let mut by_decision = Vec::new();
    for d in ["act", "attend", "track*", "track"] {
        let n = findings
            .iter()
            .filter(|f| f.status == Status::Open && f.decision.as_str() == d)
            .count();
        if n > 0 {
            by_decision.push(format!("{n} {}", escape(d)));
        }
    }
    let mut text = format!("**{} findings**: {open} open", findings.len());
    if !by_decision.is_empty() {
        text.push_str(&format!(" ({})", by_decision.join(", ")));
    }
    let other = findings.len() - open - info;
    if other > 0 {
        text.push_str(&format!(", {other} excepted or not affected (VEX)"));
    }
    if info > 0 {
        text.push_str(&format!(", {info} informational"));
    }
    text.push('.');
    text
}

fn row(f: &ScanFinding, advisories: &[Advisory]) -> String {
    let x = f.finding;
    let decision = match (&x.informational, f.decision.as_str()) {
        (Some(kind), _) => escape(kind),
        (None, "act") => "**act**".to_string(),
        (None, d) => escape(d),
    };
    let advisory = match help_uri(&x.advisory, &x.aliases, is_native(x, advisories)) {
        Some(uri) => format!("[{}](<{uri}>)", escape(&x.advisory)),
        None => escape(&x.advisory),
    };
    let cells = [
        decision,
        code(&x.package),
        code(&x.version),
        advisory,
        x.fixed.as_deref().map_or("none".into(), code),
        f.recommended.as_deref().map_or("no fix".into(), code),
        escape(&x.target),
        f.status.as_str().replace('_', " "),
    ];
    format!("| {} |\n", cells.join(" | "))
}

/// Inline code that survives any content: backticks and pipes cannot end it or the cell.
fn code(text: &str) -> String {
    let text = one_line(text).replace('`', "'").replace('|', "\\|");
    format!("`{text}`")
}

/// Markdown's punctuation escaped, on one line.
pub fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in one_line(text).chars() {
        if "\\`*_{}[]()<>#+!|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table_or_make_links() {
        assert_eq!(escape("a|b [x](y)\n*z*"), "a\\|b \\[x\\]\\(y\\) \\*z\\*");
        assert_eq!(code("1.0|`x`"), "`1.0\\|'x'`");
    }
}
