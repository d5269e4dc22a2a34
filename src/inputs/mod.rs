//! Component lists read from lockfiles and SBOMs, for `scan --lockfile` / `--sbom` and
//! environments' `lockfiles` / `sboms`.
//!
//! One module per format turns a file's text into [`Inputs`]: the packages it pins, in OSV's
//! spelling of their ecosystem, and warnings for what it names but cannot be matched (an
//! unpinned requirement, an SBOM component without a purl). Only registry packages are kept: a
//! project's own, path, git or local packages are not the registry's package of the same name.
//! A file that cannot be read at all is an error that points at `path:line:col`.
//!
//! Lockfiles are told apart by file name, SBOMs by content (`bomFormat` or `spdxVersion`).

pub mod cargo_lock;
mod cargo_lock_fast;
pub mod cyclonedx;
pub mod dpkg_status;
pub mod go_mod;
pub mod go_sum;
pub mod npm_lock;
pub mod poetry_lock;
pub mod requirements;
pub mod spdx;

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use crate::diag::Source;
use crate::error::{Error, Result};
use crate::inventory::purl;
use crate::version::canonical_name;

/// A package an input file pins.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Package {
    /// OSV ecosystem: `crates.io`, `npm`, `PyPI`, `Go`, `Maven`, `Debian`, ...
    pub ecosystem: String,
    pub name: String,
    pub version: String,
}

impl Package {
    pub fn new(ecosystem: &str, name: impl Into<String>, version: impl Into<String>) -> Self {
        Package {
            ecosystem: ecosystem.to_string(),
            name: name.into(),
            version: version.into(),
        }
    }
}

/// What an input file yields: its packages, and one warning for each thing it names that cannot
/// be matched (`path:line:col: message` where the format has lines).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    pub packages: Vec<Package>,
    pub warnings: Vec<String>,
}

impl From<Vec<Package>> for Inputs {
    fn from(packages: Vec<Package>) -> Self {
        Inputs {
            packages,
            warnings: Vec::new(),
        }
    }
}

impl Inputs {
    /// Names in their canonical form (PEP 503 for PyPI), each package once, in file order.
    fn finish(mut self) -> Self {
        for p in &mut self.packages {
            p.name = canonical_name(&p.ecosystem, &p.name);
        }
        let mut seen = HashSet::new();
        self.packages.retain(|p| seen.insert(p.clone()));
        self
    }
}

/// The two kinds of input file: a lockfile, told apart by name, or an SBOM, told apart by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Lockfile,
    Sbom,
}

impl Kind {
    /// Reads `path` as this kind of file.
    pub fn read(self, path: &Path) -> Result<Inputs> {
        match self {
            Kind::Lockfile => read_lockfile(path),
            Kind::Sbom => read_sbom(path),
        }
    }

    /// What to call it in a message.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Lockfile => "lockfile",
            Kind::Sbom => "SBOM",
        }
    }
}

/// The lockfile formats, told apart by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lockfile {
    Cargo,
    Npm,
    Requirements,
    Poetry,
    GoMod,
    GoSum,
    DpkgStatus,
}

/// Lockfile names, each also accepted as `NAME.<file>` (`portal.Cargo.lock`).
const LOCKFILES: &[(&str, Lockfile)] = &[
    ("Cargo.lock", Lockfile::Cargo),
    ("package-lock.json", Lockfile::Npm),
    ("npm-shrinkwrap.json", Lockfile::Npm),
    ("poetry.lock", Lockfile::Poetry),
    ("go.mod", Lockfile::GoMod),
    ("go.sum", Lockfile::GoSum),
    ("dpkg-status", Lockfile::DpkgStatus),
];

impl Lockfile {
    fn by_name(name: &str) -> Option<Lockfile> {
        if name == "status" {
            return Some(Lockfile::DpkgStatus);
        }
        if name.starts_with("requirements") && name.ends_with(".txt") {
            return Some(Lockfile::Requirements);
        }
        LOCKFILES
            .iter()
            .find(|(file, _)| {
                name.strip_suffix(file)
                    .is_some_and(|prefix| prefix.is_empty() || prefix.ends_with('.'))
            })
            .map(|(_, format)| *format)
    }

    fn parse(self, source: &Source) -> Result<Inputs> {
        match self {
            Lockfile::Cargo => cargo_lock::parse(source),
            Lockfile::Npm => npm_lock::parse(source),
            Lockfile::Requirements => requirements::parse(source),
            Lockfile::Poetry => poetry_lock::parse(source),
            Lockfile::GoMod => go_mod::parse(source),
            Lockfile::GoSum => go_sum::parse(source),
            Lockfile::DpkgStatus => dpkg_status::parse(source),
        }
    }
}

const ACCEPTED: &str = "expected `Cargo.lock`, `package-lock.json`, `npm-shrinkwrap.json`, \
`requirements*.txt` (or another `.txt` of `name==version` pins), `poetry.lock`, `go.mod`, \
`go.sum`, a dpkg `status` file or `*.dpkg-status`; a lockfile may be prefixed as in \
`portal.Cargo.lock`. SBOMs (CycloneDX or SPDX JSON) are read with `--sbom` or `sboms`";

/// Reads the packages of a lockfile, choosing the format by file name.
pub fn read_lockfile(path: &Path) -> Result<Inputs> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let inputs = match Lockfile::by_name(name) {
        Some(format) => format.parse(&read(path)?)?,
        // Any other `.txt` is read as requirements when it pins something.
        None if name.ends_with(".txt") => match requirements::parse(&read(path)?) {
            Ok(inputs) if !inputs.packages.is_empty() => inputs,
            _ => {
                return Err(unknown_lockfile(
                    path,
                    "a `.txt` that pins no `name==version`",
                ));
            }
        },
        None => return Err(unknown_lockfile(path, "no format has this file name")),
    };
    Ok(inputs.finish())
}

fn unknown_lockfile(path: &Path, why: &str) -> Error {
    Error::input(path, format!("unknown lockfile format ({why}): {ACCEPTED}"))
}

/// Reads the packages of an SBOM: CycloneDX JSON (1.4 to 1.6) or SPDX 2.x JSON, told apart by
/// content.
pub fn read_sbom(path: &Path) -> Result<Inputs> {
    let source = read(path)?;
    let start = source.text.trim_start();
    let unsupported = if start.starts_with('<') {
        Some("XML SBOMs are not supported: use CycloneDX or SPDX JSON")
    } else if start.starts_with("SPDXVersion:") {
        Some("SPDX tag-value documents are not supported: use SPDX JSON")
    } else {
        None
    };
    if let Some(message) = unsupported {
        return Err(Error::input(path, message));
    }
    // A first, shallow pass only to tell the formats apart; each format then reads its fields.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        bom_format: Option<String>,
        spdx_version: Option<String>,
    }
    let probe: Probe = source.parse_json().map_err(|d| Error::Invalid(vec![d]))?;
    let inputs = match (probe.bom_format.as_deref(), probe.spdx_version) {
        (Some("CycloneDX"), _) => cyclonedx::parse(&source)?,
        (_, Some(_)) => spdx::parse(&source)?,
        _ => {
            return Err(Error::input(
                path,
                "not an SBOM patchplan reads: expected CycloneDX JSON (`\"bomFormat\": \"CycloneDX\"`) \
                 or SPDX 2.x JSON (`\"spdxVersion\"`)",
            ));
        }
    };
    Ok(inputs.finish())
}

fn read(path: &Path) -> Result<Source> {
    let text = crate::files::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(Source::new(path, text))
}

/// The package an SBOM's purl names; `version` stands in when the purl has none. A Debian or
/// Ubuntu package is named by its source package, as their advisories name it, when the purl's
/// `upstream` qualifier gives it (`upstream=openssl` or `upstream=glibc@2.36-9`), like a dpkg
/// status file's `Source:`.
fn purl_package(text: &str, version: Option<&str>) -> std::result::Result<Package, String> {
    let purl = purl::parse(text)?;
    let mut name = purl.name.clone();
    let mut version = purl.version.clone().or(version.map(str::to_string));
    if let ("Debian" | "Ubuntu", Some(upstream)) =
        (purl.ecosystem.as_str(), purl.qualifier("upstream"))
    {
        match upstream.split_once('@') {
            Some((source, source_version)) => {
                (name, version) = (source.to_string(), Some(source_version.to_string()));
            }
            None => name = upstream.to_string(),
        }
    }
    let version = version
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("`{text}` has no version"))?;
    Ok(Package::new(&purl.ecosystem, name, version))
}

/// The warning for an SBOM's packages that name no purl (`names`), or none.
fn without_purl(source: &Source, noun: &str, names: &[String]) -> Option<String> {
    const SHOWN: usize = 5;
    if names.is_empty() {
        return None;
    }
    let mut list = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    Some(format!(
        "{}: {} {noun}{} without a purl cannot be matched: {list}",
        source.path.display(),
        names.len(),
        if names.len() == 1 { "" } else { "s" },
    ))
}

/// The `tests/fixtures/inputs/` file `name`, for the format modules' tests.
#[cfg(test)]
fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inputs")
        .join(name)
}

/// The (ecosystem, name, version) triples of `inputs`, for compact assertions.
#[cfg(test)]
fn triples(inputs: &Inputs) -> Vec<(&str, &str, &str)> {
    inputs
        .packages
        .iter()
        .map(|p| (p.ecosystem.as_str(), p.name.as_str(), p.version.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, expected: Option<Lockfile>) {
        assert_eq!(Lockfile::by_name(name), expected, "{name}");
    }

    #[test]
    fn picks_the_lockfile_format_by_name() {
        use Lockfile::*;
        case("Cargo.lock", Some(Cargo));
        case("portal.Cargo.lock", Some(Cargo));
        case("package-lock.json", Some(Npm));
        case("web.package-lock.json", Some(Npm));
        case("npm-shrinkwrap.json", Some(Npm));
        case("requirements.txt", Some(Requirements));
        case("requirements-dev.txt", Some(Requirements));
        case("poetry.lock", Some(Poetry));
        case("go.mod", Some(GoMod));
        case("go.sum", Some(GoSum));
        case("status", Some(DpkgStatus));
        case("gateway.dpkg-status", Some(DpkgStatus));
        case("myCargo.lock", None);
        case("yarn.lock", None);
        case("bom.json", None);
    }

    #[test]
    fn an_unknown_file_name_lists_what_is_accepted() {
        let err = read_lockfile(Path::new("locks/yarn.lock")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("locks/yarn.lock: unknown lockfile format (no format has"),
            "{text}"
        );
        assert!(text.contains("`package-lock.json`") && text.contains("--sbom"));
    }

    #[test]
    fn any_txt_of_pins_is_read_as_requirements() {
        let dir = tempfile::tempdir().unwrap();
        let pins = dir.path().join("constraints.txt");
        std::fs::write(&pins, "Django==4.2.1\n").unwrap();
        let inputs = read_lockfile(&pins).unwrap();
        assert_eq!(triples(&inputs), [("PyPI", "django", "4.2.1")]);
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "remember the milk\n").unwrap();
        let err = read_lockfile(&notes).unwrap_err().to_string();
        assert!(
            err.contains("a `.txt` that pins no `name==version`"),
            "{err}"
        );
    }

    #[test]
    fn finishing_normalises_names_and_drops_duplicates() {
        let inputs = Inputs::from(vec![
            Package::new("PyPI", "Zope.Interface", "6.0"),
            Package::new("npm", "Left_Pad", "1.3.0"),
            Package::new("PyPI", "zope-interface", "6.0"),
            Package::new("npm", "Left_Pad", "1.3.0"),
            Package::new("npm", "Left_Pad", "1.2.0"),
        ])
        .finish();
        assert_eq!(
            triples(&inputs),
            [
                ("PyPI", "zope-interface", "6.0"),
                ("npm", "Left_Pad", "1.3.0"),
                ("npm", "Left_Pad", "1.2.0"),
            ]
        );
    }

    #[test]
    fn sboms_are_told_apart_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let cdx = write(
            "a.json",
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5",
                "components": [{"name": "x", "purl": "pkg:npm/x@1.0.0"}]}"#,
        );
        assert_eq!(triples(&read_sbom(&cdx).unwrap()), [("npm", "x", "1.0.0")]);
        let spdx = write(
            "b.json",
            r#"{"spdxVersion": "SPDX-2.3", "packages": [{"name": "y", "externalRefs": [
                {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                 "referenceLocator": "pkg:pypi/Y_Z@2.0"}]}]}"#,
        );
        assert_eq!(
            triples(&read_sbom(&spdx).unwrap()),
            [("PyPI", "y-z", "2.0")]
        );
        for (text, needle) in [
            (r#"{"bomFormat": "Other"}"#, "not an SBOM patchplan reads"),
            (
                "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"/>",
                "XML SBOMs",
            ),
            ("SPDXVersion: SPDX-2.3\n", "tag-value"),
        ] {
            let err = read_sbom(&write("c.json", text)).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
        let err = read_sbom(&write("d.json", "{\"bomFormat\": ")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("{}:1:", dir.path().join("d.json").display()))
        );
    }

    #[test]
    fn a_purl_without_a_version_takes_the_sbom_version() {
        let p = purl_package("pkg:maven/org.example/lib", Some("1.2")).unwrap();
        assert_eq!(p, Package::new("Maven", "org.example:lib", "1.2"));
        assert!(purl_package("pkg:maven/org.example/lib", None).is_err());
        assert!(purl_package("not-a-purl", Some("1")).is_err());
    }

    #[test]
    fn a_debian_purl_names_its_source_package() {
        let case = |purl: &str, name: &str, version: &str| {
            let p = purl_package(purl, None).unwrap();
            assert_eq!(
                (p.name.as_str(), p.version.as_str()),
                (name, version),
                "{purl}"
            );
        };
        case(
            "pkg:deb/debian/libssl3@3.0.9-1?arch=amd64&upstream=openssl",
            "openssl",
            "3.0.9-1",
        );
        case(
            "pkg:deb/debian/bash@5.2.15-2%2Bb2?upstream=bash%405.2.15-2",
            "bash",
            "5.2.15-2",
        );
        case("pkg:deb/debian/curl@7.88.1-10", "curl", "7.88.1-10");
        case("pkg:npm/a@1.0.0?upstream=b", "a", "1.0.0");
    }
}
