//! SemVer 2.0 as the ecosystems write it: a leading `v` (Go), missing minor or patch parts
//! (`1.2`, common in vendor bulletins), and `+incompatible` build metadata (Go modules).

use std::cmp::Ordering;
use std::fmt;

/// A SemVer version, compared by SemVer precedence (build metadata ignored).
#[derive(Debug, Clone)]
pub struct SemVerVersion(semver::Version);

impl SemVerVersion {
    /// Parses `text` leniently (see the module docs).
    pub fn parse(text: &str) -> Result<SemVerVersion, String> {
        parse(text).map(SemVerVersion)
    }
}

impl Ord for SemVerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0)
    }
}

super::by_precedence!(SemVerVersion);

impl fmt::Display for SemVerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Parses `text` leniently into a SemVer version.
fn parse(text: &str) -> Result<semver::Version, String> {
    let trimmed = text.trim();
    let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
    if let Ok(v) = semver::Version::parse(bare) {
        return Ok(v);
    }
    // Pad `1` and `1.2` to three parts, keeping any pre-release or build suffix.
    let split = bare.find(['-', '+']).unwrap_or(bare.len());
    let (core, rest) = bare.split_at(split);
    let parts = core.split('.').count();
    if (1..3).contains(&parts) && core.split('.').all(|p| !p.is_empty()) {
        let padded = format!("{core}{}{rest}", ".0".repeat(3 - parts));
        if let Ok(v) = semver::Version::parse(&padded) {
            return Ok(v);
        }
    }
    semver::Version::parse(bare).map_err(|e| format!("not a SemVer version ({e})"))
}

#[cfg(test)]
mod tests {
    use super::parse;
    use std::cmp::Ordering;

    fn case(a: &str, b: &str, expected: Ordering) {
        let (va, vb) = (parse(a).unwrap(), parse(b).unwrap());
        assert_eq!(va.cmp_precedence(&vb), expected, "{a} vs {b}");
    }

    #[test]
    fn orders_by_semver_precedence() {
        use Ordering::*;
        // The precedence examples of SemVer 2.0, section 11.
        case("1.0.0", "2.0.0", Less);
        case("2.0.0", "2.1.0", Less);
        case("2.1.0", "2.1.1", Less);
        case("1.0.0-alpha", "1.0.0", Less);
        case("1.0.0-alpha", "1.0.0-alpha.1", Less);
        case("1.0.0-alpha.1", "1.0.0-alpha.beta", Less);
        case("1.0.0-alpha.beta", "1.0.0-beta", Less);
        case("1.0.0-beta", "1.0.0-beta.2", Less);
        case("1.0.0-beta.2", "1.0.0-beta.11", Less);
        case("1.0.0-beta.11", "1.0.0-rc.1", Less);
        case("1.0.0-rc.1", "1.0.0", Less);
        // Build metadata does not take part in precedence.
        case("1.0.0+build.1", "1.0.0+build.2", Equal);
        case("v2.0.0+incompatible", "2.0.0", Equal);
        // Go's leading v, and short versions.
        case("v1.2.3", "1.2.3", Equal);
        case("1.2", "1.2.0", Equal);
        case("7", "7.0.0", Equal);
        case("0.0.0-0", "0.0.0", Less);
    }

    #[test]
    fn rejects_what_is_not_semver() {
        for bad in ["", "one", "1.2.3.4.5", "1..2", "01.2.3", "1.2.3-"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
