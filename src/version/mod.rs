//! Version orderings, one per version scheme, and the one [`Range`] type every feed is turned into.
//!
//! An ecosystem name picks a [`Scheme`]; the scheme parses version strings into [`Version`]s that
//! compare by that scheme's precedence. Parsing never panics: a version a scheme cannot read is an
//! error the caller reports as a warning naming the component or record.

mod pep440;
mod range;
mod semver_scheme;

pub use range::{Bound, Event, Interval, Range};

use std::cmp::Ordering;
use std::fmt;

/// A version ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// SemVer 2.0 precedence: crates.io, npm, Go (with or without `v`), Hex, Pub, and every
    /// ecosystem patchplan does not know (in-house components).
    SemVer,
    /// PEP 440: PyPI.
    Pep440,
}

/// Ecosystems whose orderings are not implemented yet. Matching them would be a guess, so their
/// components are reported as a warning rather than silently treated as SemVer.
const UNORDERED: &[&str] = &[
    "Maven",
    "NuGet",
    "RubyGems",
    "Packagist",
    "Debian",
    "Ubuntu",
    "Alpine",
    "Red Hat",
    "Rocky Linux",
    "AlmaLinux",
    "SUSE",
    "openSUSE",
];

impl Scheme {
    /// The scheme that orders versions of `ecosystem` (already canonical, see
    /// [`canonical_ecosystem`]), or `None` when patchplan cannot order it yet.
    pub fn for_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let base = ecosystem_base(ecosystem);
        match base {
            _ if UNORDERED.contains(&base) => None,
            "PyPI" => Some(Scheme::Pep440),
            _ => Some(Scheme::SemVer),
        }
    }

    /// Parses `text` as a version of this scheme.
    pub fn parse(self, text: &str) -> Result<Version, VersionError> {
        match self {
            Scheme::SemVer => semver_scheme::parse(text).map(Version::SemVer),
            Scheme::Pep440 => pep440::Pep440Version::parse(text).map(Version::Pep440),
        }
        .map_err(|reason| VersionError {
            text: text.to_string(),
            reason,
        })
    }
}

/// The ecosystem without a release suffix: `Debian:12` is ordered and matched as `Debian`.
pub fn ecosystem_base(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or(ecosystem)
}

/// The canonical spelling of a known ecosystem (OSV's), matched case-insensitively, with common
/// aliases (`cargo`, `golang`, `pypi`). Unknown ecosystems are kept as written.
pub fn canonical_ecosystem(ecosystem: &str) -> String {
    let (base, suffix) = match ecosystem.split_once(':') {
        Some((b, s)) => (b, Some(s)),
        None => (ecosystem, None),
    };
    let known = match base.to_ascii_lowercase().as_str() {
        "crates.io" | "cargo" => "crates.io",
        "npm" => "npm",
        "go" | "golang" => "Go",
        "pypi" => "PyPI",
        "maven" => "Maven",
        "nuget" => "NuGet",
        "rubygems" | "gem" => "RubyGems",
        "packagist" | "composer" => "Packagist",
        "hex" => "Hex",
        "pub" => "Pub",
        "debian" => "Debian",
        "ubuntu" => "Ubuntu",
        "alpine" => "Alpine",
        _ => base,
    };
    match suffix {
        Some(s) => format!("{known}:{s}"),
        None => known.to_string(),
    }
}

/// The canonical form of a package name in `ecosystem`: PEP 503 for PyPI, as written elsewhere.
pub fn canonical_name(ecosystem: &str, name: &str) -> String {
    if ecosystem_base(ecosystem) == "PyPI" {
        let mut out = String::with_capacity(name.len());
        let mut last_sep = false;
        for c in name.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !last_sep {
                    out.push('-');
                }
                last_sep = true;
            } else {
                out.push(c.to_ascii_lowercase());
                last_sep = false;
            }
        }
        out
    } else {
        name.to_string()
    }
}

/// A parsed version; compares (and is equal) by its scheme's precedence.
#[derive(Debug, Clone)]
pub enum Version {
    SemVer(semver::Version),
    Pep440(pep440::Pep440Version),
}

impl Version {
    /// The position of the scheme, to order versions of different schemes (which never meet in
    /// matching: ecosystems never cross) totally and deterministically.
    fn rank(&self) -> u8 {
        match self {
            Version::SemVer(_) => 0,
            Version::Pep440(_) => 1,
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Version::SemVer(a), Version::SemVer(b)) => a.cmp_precedence(b),
            (Version::Pep440(a), Version::Pep440(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::SemVer(v) => v.fmt(f),
            Version::Pep440(v) => v.fmt(f),
        }
    }
}

/// A version string that its scheme cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read version `{text}`: {reason}")]
pub struct VersionError {
    pub text: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalises_ecosystems_and_names() {
        assert_eq!(canonical_ecosystem("cargo"), "crates.io");
        assert_eq!(canonical_ecosystem("debian:12"), "Debian:12");
        assert_eq!(canonical_ecosystem("wispgate"), "wispgate");
        assert_eq!(
            canonical_name("PyPI", "Zope.Interface__x"),
            "zope-interface-x"
        );
        assert_eq!(canonical_name("npm", "Left_Pad"), "Left_Pad");
        assert_eq!(ecosystem_base("Debian:12"), "Debian");
    }

    #[test]
    fn unordered_ecosystems_have_no_scheme() {
        assert_eq!(Scheme::for_ecosystem("Debian:12"), None);
        assert_eq!(Scheme::for_ecosystem("crates.io"), Some(Scheme::SemVer));
        assert_eq!(Scheme::for_ecosystem("PyPI"), Some(Scheme::Pep440));
        assert_eq!(Scheme::for_ecosystem("wispgate"), Some(Scheme::SemVer));
    }
}
