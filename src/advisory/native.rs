//! Native advisories: the operator's own TOML bulletins (`advisories/*.toml`), for in-house
//! components and vendor bulletins that no public feed carries.

use serde::Deserialize;
use toml::Spanned;

use super::{Advisory, Affected};
use crate::diag::{Diagnostic, Source};
use crate::version::{Range, Scheme, canonical_ecosystem, canonical_name};

/// `advisories/ID.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdvisory {
    /// Unique advisory id, such as `WG-2026-014`.
    id: Spanned<String>,
    /// One line for humans; shown only under `detailed` disclosure.
    summary: String,
    /// Publication date, `YYYY-MM-DD`.
    published: Option<Spanned<String>>,
    /// Other ids for the same flaw (CVE, GHSA, ...): KEV and EPSS join through them.
    #[serde(default)]
    aliases: Vec<String>,
    /// A CVSS v2, v3.x or v4.0 vector.
    severity: Option<Spanned<String>>,
    /// Known exploitation, as KEV would say.
    #[serde(default)]
    exploited: bool,
    /// The packages and version ranges affected.
    #[serde(default)]
    affected: Vec<RawAffected>,
}

/// One `[[affected]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAffected {
    ecosystem: String,
    name: String,
    /// Intervals such as `">=7.0.0, <7.2.3"`, by the ecosystem's version precedence.
    ranges: Vec<Spanned<String>>,
}

/// Reads one native advisory file, reporting every problem in it; returns the advisory and the
/// span of its id (where a duplicate id is reported).
pub fn load(
    source: &Source,
    feed: &str,
) -> Result<(Advisory, std::ops::Range<usize>), Vec<Diagnostic>> {
    let raw: RawAdvisory = source.parse_toml().map_err(|d| vec![d])?;
    let mut problems = Vec::new();
    if let Some(date) = &raw.published
        && date.get_ref().parse::<chrono::NaiveDate>().is_err()
    {
        problems.push(source.at(date.span(), "expected a date `YYYY-MM-DD`"));
    }
    if let Some(vector) = &raw.severity
        && let Err(e) = vector.get_ref().parse::<cvss::Cvss>()
    {
        let text = vector.get_ref();
        problems.push(source.at(vector.span(), format!("invalid CVSS vector `{text}`: {e}")));
    }
    let affected = raw
        .affected
        .iter()
        .filter_map(|a| convert_affected(source, a, &mut problems))
        .collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    let span = raw.id.span();
    let advisory = Advisory {
        distro_priority: None,
        id: raw.id.into_inner(),
        aliases: raw.aliases,
        summary: raw.summary,
        published: raw.published.map(Spanned::into_inner),
        severity: raw.severity.map(Spanned::into_inner).into_iter().collect(),
        severity_text: None,
        exploited: raw.exploited,
        informational: None,
        affected,
        feed: feed.to_string(),
    };
    Ok((advisory, span))
}

fn convert_affected(
    source: &Source,
    raw: &RawAffected,
    problems: &mut Vec<Diagnostic>,
) -> Option<Affected> {
    let ecosystem = canonical_ecosystem(&raw.ecosystem);
    let scheme = Scheme::for_ecosystem(&ecosystem);
    let mut range = Range::default();
    for text in &raw.ranges {
        if let Err(e) = range.add_native(scheme, text.get_ref()) {
            problems.push(source.at(text.span(), e));
        }
    }
    Some(Affected {
        name: canonical_name(&ecosystem, &raw.name),
        ecosystem,
        scheme,
        range,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_a_bulletin() {
        let text = r#"
id = "WG-2026-014"
summary = "Authentication bypass"
published = "2026-11-10"
aliases = ["CVE-2026-41234"]
severity = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
exploited = true
[[affected]]
ecosystem = "wispgate"
name = "wispgate-core"
ranges = [">=7.0.0, <7.2.3"]
"#;
        let (adv, _) = load(&Source::new("a.toml", text.into()), "native").unwrap();
        assert!(adv.exploited);
        let v = Scheme::SemVer.parse("7.2.1").unwrap();
        assert!(adv.affected[0].range.contains(&v));
    }

    #[test]
    fn reports_every_problem_with_its_position() {
        let text = "id = \"X\"\nsummary = \"s\"\npublished = \"10/11/2026\"\nseverity = \"CVSS:3.1/AV:Q\"\n\
                    [[affected]]\necosystem = \"npm\"\nname = \"a\"\nranges = [\"~1.0\"]\n";
        let errs = load(&Source::new("a.toml", text.into()), "native").unwrap_err();
        let lines: Vec<usize> = errs.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![3, 4, 8], "{errs:?}");
    }
}
