//! Version orderings, one per version scheme, and the one [`Range`] type every feed is turned into.
//!
//! An ecosystem name picks a [`Scheme`]; the scheme parses version strings into [`Version`]s that
//! compare by that scheme's precedence. Parsing never panics: a version a scheme cannot read is an
//! error the caller reports as a warning naming the component or record.

/// `PartialOrd`, `PartialEq` and `Eq` of a version type from its `Ord` (two versions are equal
/// when their scheme says they are: `1.0` and `1.0.0` in Maven), and with `original`, `Display`
/// as the text it was read from.
macro_rules! by_precedence {
    ($ty:ty) => {
        impl PartialOrd for $ty {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.cmp(other).is_eq()
            }
        }

        impl Eq for $ty {}
    };
    ($ty:ty, original) => {
        super::by_precedence!($ty);

        impl std::fmt::Display for $ty {
            /// The version as written, without surrounding whitespace.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.original)
            }
        }
    };
}
use by_precedence;

mod apk;
mod dpkg;
mod maven;
mod nuget;
mod packagist;
mod pep440;
mod range;
mod rpm;
mod rubygems;
mod semver_scheme;
#[cfg(test)]
mod table;

pub use range::{Bound, Event, Interval, Range};

use std::cmp::Ordering;
use std::fmt;

/// Declares every scheme once: the [`Scheme`] variant, the [`Version`] variant holding that
/// scheme's parsed type, and the dispatch between them. Each type has `parse(&str) ->
/// Result<Self, String>`, a total `Ord` by the scheme's precedence, and `Display`.
macro_rules! schemes {
    ($($(#[$doc:meta])* $scheme:ident($ty:ty),)*) => {
        /// A version ordering.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Scheme {
            $($(#[$doc])* $scheme,)*
        }

        /// A parsed version; compares (and is equal) by its scheme's precedence.
        #[derive(Debug, Clone)]
        pub enum Version {
            $($scheme($ty),)*
        }

        impl Scheme {
            fn parse_as(self, text: &str) -> Result<Version, String> {
                match self {
                    $(Scheme::$scheme => <$ty>::parse(text).map(Version::$scheme),)*
                }
            }
        }

        impl Version {
            /// The scheme this version was read by.
            pub fn scheme(&self) -> Scheme {
                match self {
                    $(Version::$scheme(_) => Scheme::$scheme,)*
                }
            }
        }

        impl Ord for Version {
            fn cmp(&self, other: &Self) -> Ordering {
                match (self, other) {
                    $((Version::$scheme(a), Version::$scheme(b)) => a.cmp(b),)*
                    // Ecosystems never cross in matching; this only keeps the order total.
                    _ => (self.scheme() as u8).cmp(&(other.scheme() as u8)),
                }
            }
        }

        impl fmt::Display for Version {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(Version::$scheme(v) => v.fmt(f),)*
                }
            }
        }
    };
}

schemes! {
    /// SemVer 2.0 precedence: crates.io, npm, Go (with or without `v`), Hex, Pub, and every
    /// ecosystem patchplan does not know (in-house components).
    SemVer(semver_scheme::SemVerVersion),
    /// PEP 440: PyPI.
    Pep440(pep440::Pep440Version),
    /// Maven's `ComparableVersion`.
    Maven(maven::MavenVersion),
    /// NuGet.Versioning: up to four numbers, case-insensitive labels.
    NuGet(nuget::NuGetVersion),
    /// RubyGems' `Gem::Version`.
    RubyGems(rubygems::GemVersion),
    /// Composer's normalisation compared as PHP's `version_compare`: Packagist.
    Packagist(packagist::PackagistVersion),
    /// dpkg: Debian, Ubuntu.
    Dpkg(dpkg::DpkgVersion),
    /// apk-tools: Alpine and the distributions built on apk.
    Apk(apk::ApkVersion),
    /// rpmvercmp: Red Hat and the RPM distributions.
    Rpm(rpm::RpmVersion),
}

/// OSV ecosystems (release suffixes stripped) and the scheme that orders their versions.
const KNOWN: &[(&str, Scheme)] = &[
    ("crates.io", Scheme::SemVer),
    ("npm", Scheme::SemVer),
    ("Go", Scheme::SemVer),
    ("Hex", Scheme::SemVer),
    ("Pub", Scheme::SemVer),
    ("PyPI", Scheme::Pep440),
    ("Maven", Scheme::Maven),
    ("NuGet", Scheme::NuGet),
    ("RubyGems", Scheme::RubyGems),
    ("Packagist", Scheme::Packagist),
    ("Debian", Scheme::Dpkg),
    ("Ubuntu", Scheme::Dpkg),
    ("Alpine", Scheme::Apk),
    ("Alpaquita", Scheme::Apk),
    ("BellSoft Hardened Containers", Scheme::Apk),
    ("Chainguard", Scheme::Apk),
    ("MinimOS", Scheme::Apk),
    ("Wolfi", Scheme::Apk),
    ("AlmaLinux", Scheme::Rpm),
    ("Azure Linux", Scheme::Rpm),
    ("Mageia", Scheme::Rpm),
    ("openEuler", Scheme::Rpm),
    ("openSUSE", Scheme::Rpm),
    ("Photon OS", Scheme::Rpm),
    ("Red Hat", Scheme::Rpm),
    ("Rocky Linux", Scheme::Rpm),
    ("SUSE", Scheme::Rpm),
];

impl Scheme {
    /// The scheme that orders versions of `ecosystem` (already canonical, see
    /// [`canonical_ecosystem`]); SemVer for an ecosystem patchplan does not know (see
    /// [`is_known_ecosystem`]).
    pub fn for_ecosystem(ecosystem: &str) -> Scheme {
        let base = ecosystem_base(ecosystem);
        KNOWN
            .iter()
            .find(|(name, _)| *name == base)
            .map_or(Scheme::SemVer, |(_, scheme)| *scheme)
    }

    /// Parses `text` as a version of this scheme.
    pub fn parse(self, text: &str) -> Result<Version, VersionError> {
        self.parse_as(text).map_err(|reason| VersionError {
            text: text.to_string(),
            reason,
        })
    }
}

/// Whether `ecosystem` (canonical) is one whose ordering patchplan knows, rather than an
/// in-house or unsupported one read as SemVer.
pub fn is_known_ecosystem(ecosystem: &str) -> bool {
    let base = ecosystem_base(ecosystem);
    KNOWN.iter().any(|(name, _)| *name == base)
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
    let alias = match base.to_ascii_lowercase().as_str() {
        "cargo" => "crates.io",
        "golang" => "Go",
        "gem" => "RubyGems",
        "composer" => "Packagist",
        "redhat" | "rhel" => "Red Hat",
        _ => base,
    };
    let known = KNOWN
        .iter()
        .map(|(name, _)| *name)
        .find(|name| name.eq_ignore_ascii_case(alias))
        .unwrap_or(alias);
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

by_precedence!(Version);

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
    fn every_ecosystem_has_its_scheme() {
        assert_eq!(Scheme::for_ecosystem("Debian:12"), Scheme::Dpkg);
        assert_eq!(Scheme::for_ecosystem("Ubuntu:22.04:LTS"), Scheme::Dpkg);
        assert_eq!(Scheme::for_ecosystem("Alpine:v3.20"), Scheme::Apk);
        assert_eq!(
            Scheme::for_ecosystem("Red Hat:rhel_aus:8.4::appstream"),
            Scheme::Rpm
        );
        assert_eq!(Scheme::for_ecosystem("crates.io"), Scheme::SemVer);
        assert_eq!(Scheme::for_ecosystem("PyPI"), Scheme::Pep440);
        assert_eq!(Scheme::for_ecosystem("Maven"), Scheme::Maven);
        assert_eq!(Scheme::for_ecosystem("NuGet"), Scheme::NuGet);
        assert_eq!(Scheme::for_ecosystem("RubyGems"), Scheme::RubyGems);
        assert_eq!(Scheme::for_ecosystem("Packagist"), Scheme::Packagist);
        assert_eq!(Scheme::for_ecosystem("wispgate"), Scheme::SemVer);
        assert!(!is_known_ecosystem("wispgate"));
        assert!(is_known_ecosystem("Rocky Linux:9"));
        assert_eq!(canonical_ecosystem("rocky linux:9"), "Rocky Linux:9");
        assert_eq!(canonical_ecosystem("composer"), "Packagist");
    }
}
