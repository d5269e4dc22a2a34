//! Component lists read from lockfiles and SBOMs, for `scan --lockfile` / `--sbom` and
//! environments' `lockfiles` / `sboms`.
//!
//! One module per format turns a file's text into [`Inputs`]: the packages it pins, in OSV's
//! spelling of their ecosystem, and warnings for what it names but cannot be matched (an
//! unpinned requirement, an SBOM component without a purl). Only registry packages are kept: a
//! project's own, path, git or local packages are not the registry's package of the same name.
//! A file that cannot be read at all is an error that points at `path:line:col`.
//!
//! Lockfiles are told apart by file name, SBOMs by content (`bomFormat` or `spdxVersion`). OS
//! package lists (dpkg status, apk installed, `rpm -qa`) also need the host's distribution
//! release (see [`distro`]): without one they are an error, never read as some release.

pub mod apk_installed;
pub mod cargo_lock;
mod cargo_lock_fast;
pub mod cyclonedx;
pub mod distro;
pub mod dpkg_status;
pub mod go_mod;
pub mod go_sum;
pub mod npm_lock;
pub mod os_package;
pub mod poetry_lock;
pub mod requirements;
pub mod restart;
pub mod rpm_qa;
pub mod spdx;

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;

use crate::diag::Source;
use crate::error::{Error, Result};
use crate::purl;
use crate::version::canonical_name;
use distro::{Distro, PackageFormat};
pub use os_package::OsPackage;

/// A package an input file pins.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Package {
    /// OSV ecosystem: `crates.io`, `npm`, `PyPI`, `Go`, `Maven`, `Ubuntu:22.04:LTS`, ...
    pub ecosystem: String,
    pub name: String,
    pub version: String,
    /// For an OS package (a source package), what the host has installed from it.
    pub os: Option<OsPackage>,
}

impl Package {
    pub fn new(ecosystem: &str, name: impl Into<String>, version: impl Into<String>) -> Self {
        Package {
            ecosystem: ecosystem.to_string(),
            name: name.into(),
            version: version.into(),
            os: None,
        }
    }
}

/// What is known of the host a package list comes from: its release (an inventory's `distro`,
/// `scan --distro` or `--os-release`) and whether it has Ubuntu Pro. Without a release, an
/// `os-release` file beside the package list names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Host {
    pub distro: Option<Distro>,
    pub pro: bool,
}

impl Host {
    /// A host of the release `text` (`ubuntu:22.04`), for tests.
    #[cfg(test)]
    pub fn distro(text: &str) -> Host {
        Host {
            distro: Some(text.parse().expect("a valid release")),
            pro: false,
        }
    }

    /// The release of the package list at `path` in `format`: the host's, else the one an
    /// `os-release` file beside it names; an error when neither says, or when the release does
    /// not use that format.
    fn release_of(&self, path: &Path, format: PackageFormat) -> Result<Distro> {
        let distro = match &self.distro {
            Some(d) => d.clone(),
            None => os_release_beside(path)?.ok_or_else(|| {
                Error::input(
                    path,
                    format!(
                        "the distribution release of this package list is unknown, and OS \
                         packages are matched only against their own release's advisories: \
                         pass `--distro ID:VERSION` (such as `--distro ubuntu:22.04`) or \
                         `--os-release FILE` to `scan`, set `distro = \"ubuntu:22.04\"` on the \
                         environment, or put the host's /etc/os-release beside it as `{}`",
                        path.with_file_name("os-release").display()
                    ),
                )
            })?,
        };
        let distro = distro
            .with_pro(self.pro)
            .map_err(|e| Error::input(path, e))?;
        if distro.family.format() != format {
            let message = format!(
                "this is {}, which `{distro}` does not use (Ubuntu and Debian use dpkg, Alpine \
                 apk, AlmaLinux and Rocky rpm)",
                format.noun()
            );
            return Err(Error::input(path, message));
        }
        Ok(distro)
    }

    /// An SBOM's OS packages (`pkg:deb/ubuntu/...`, which name no release) as packages of the
    /// host's release, when the host has one of that distribution.
    fn narrow(&self, mut inputs: Inputs) -> Inputs {
        let Some(Ok(distro)) = self.distro.clone().map(|d| d.with_pro(self.pro)) else {
            return inputs;
        };
        let ecosystem = distro.ecosystem();
        let base = crate::version::ecosystem_base(&ecosystem);
        for p in inputs.packages.iter_mut().filter(|p| p.ecosystem == base) {
            p.ecosystem = ecosystem.clone();
        }
        inputs
    }
}

/// The release named by an `os-release` file in the same directory as `path`, if there is one.
fn os_release_beside(path: &Path) -> Result<Option<Distro>> {
    let beside = path.with_file_name("os-release");
    if !beside.is_file() {
        return Ok(None);
    }
    read_os_release(&beside).map(Some)
}

/// Reads an `/etc/os-release` file's release.
pub fn read_os_release(path: &Path) -> Result<Distro> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Distro::from_os_release(&text).map_err(|e| Error::input(path, e))
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
    /// Reads `path` as this kind of file; an OS package list is read as a package list of
    /// `host`.
    pub fn read(self, path: &Path, host: &Host) -> Result<Inputs> {
        match self {
            Kind::Lockfile => read_lockfile(path, host),
            Kind::Sbom => read_sbom(path).map(|inputs| host.narrow(inputs)),
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
    ApkInstalled,
    RpmQa,
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
    ("status", Lockfile::DpkgStatus),
    ("apk-installed", Lockfile::ApkInstalled),
    ("rpm-qa", Lockfile::RpmQa),
];

impl Lockfile {
    fn by_name(name: &str) -> Option<Lockfile> {
        if name == "installed" {
            return Some(Lockfile::ApkInstalled);
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

    fn parse(self, path: &Path, host: &Host) -> Result<Inputs> {
        let source = &read(path)?;
        let release = |format| host.release_of(path, format).map(|d| d.ecosystem());
        match self {
            Lockfile::Cargo => cargo_lock::parse(source),
            Lockfile::Npm => npm_lock::parse(source),
            Lockfile::Requirements => requirements::parse(source),
            Lockfile::Poetry => poetry_lock::parse(source),
            Lockfile::GoMod => go_mod::parse(source),
            Lockfile::GoSum => go_sum::parse(source),
            Lockfile::DpkgStatus => dpkg_status::parse(source, &release(PackageFormat::Dpkg)?),
            Lockfile::ApkInstalled => apk_installed::parse(source, &release(PackageFormat::Apk)?),
            Lockfile::RpmQa => rpm_qa::parse(source, &release(PackageFormat::Rpm)?),
        }
    }
}

const ACCEPTED: &str = "expected `Cargo.lock`, `package-lock.json`, `npm-shrinkwrap.json`, \
`requirements*.txt` (or another `.txt` of `name==version` pins), `poetry.lock`, `go.mod`, \
`go.sum`, a dpkg `status` file (also `*.status`, `*.dpkg-status`), an apk `installed` database or \
`*.apk-installed`, an `rpm -qa` listing named `*.rpm-qa`; a lockfile may be prefixed as in \
`portal.Cargo.lock`. SBOMs (CycloneDX or SPDX JSON) are read with `--sbom` or `sboms`";

/// Whether `path` names an OS package list (dpkg status, apk installed, `rpm -qa`), which is
/// read with its host's release.
pub fn is_os_package_list(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    matches!(
        Lockfile::by_name(name),
        Some(Lockfile::DpkgStatus | Lockfile::ApkInstalled | Lockfile::RpmQa)
    )
}

/// Reads the packages of a lockfile (or OS package list, of `host`), choosing the format by
/// file name.
pub fn read_lockfile(path: &Path, host: &Host) -> Result<Inputs> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let inputs = match Lockfile::by_name(name) {
        Some(format) => format.parse(path, host)?,
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
        case("ubuntu-22.04.status", Some(DpkgStatus));
        case("installed", Some(ApkInstalled));
        case("edge.apk-installed", Some(ApkInstalled));
        case("db.rpm-qa", Some(RpmQa));
        case("myCargo.lock", None);
        case("yarn.lock", None);
        case("bom.json", None);
    }

    #[test]
    fn an_unknown_file_name_lists_what_is_accepted() {
        let err = read_lockfile(Path::new("locks/yarn.lock"), &Host::default()).unwrap_err();
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
        let inputs = read_lockfile(&pins, &Host::default()).unwrap();
        assert_eq!(triples(&inputs), [("PyPI", "django", "4.2.1")]);
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "remember the milk\n").unwrap();
        let err = read_lockfile(&notes, &Host::default())
            .unwrap_err()
            .to_string();
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
    fn an_sboms_os_packages_take_the_hosts_release() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vm.cdx.json");
        std::fs::write(
            &path,
            r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
                {"name": "libssl3", "purl": "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?upstream=openssl"},
                {"name": "zlib", "purl": "pkg:deb/debian/zlib1g@1.2.13"},
                {"name": "x", "purl": "pkg:npm/x@1.0.0"}]}"#,
        )
        .unwrap();
        let read = |host: &Host| Kind::Sbom.read(&path, host).unwrap();
        let ecosystems = |inputs: &Inputs| -> Vec<String> {
            inputs
                .packages
                .iter()
                .map(|p| p.ecosystem.clone())
                .collect()
        };
        assert_eq!(
            ecosystems(&read(&Host::distro("ubuntu:22.04"))),
            ["Ubuntu:22.04:LTS", "Debian", "npm"]
        );
        assert_eq!(
            ecosystems(&read(&Host::default())),
            ["Ubuntu", "Debian", "npm"]
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
