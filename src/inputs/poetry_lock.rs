//! `poetry.lock`: its `[[package]]` tables. Packages from a package index are kept (PyPI, or a
//! `legacy` private index); those from a local directory or file, a git repository or a URL are
//! not registry packages and are skipped.

use serde::Deserialize;

use super::{Inputs, Package};
use crate::diag::Source;
use crate::error::{Error, Result};

/// `[package.source] type`s that are not a package index.
const NOT_AN_INDEX: &[&str] = &["directory", "file", "git", "url"];

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
    source: Option<PackageSource>,
}

#[derive(Deserialize)]
struct PackageSource {
    #[serde(rename = "type")]
    kind: String,
}

/// The index packages of a poetry.lock.
pub fn parse(source: &Source) -> Result<Inputs> {
    let lock: Lockfile = source.parse_toml().map_err(|d| Error::Invalid(vec![d]))?;
    let packages: Vec<Package> = lock
        .package
        .into_iter()
        .filter(|p| {
            p.source
                .as_ref()
                .is_none_or(|s| !NOT_AN_INDEX.contains(&s.kind.as_str()))
        })
        .map(|p| Package::new("PyPI", p.name, p.version))
        .collect();
    Ok(packages.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Host, fixture, read_lockfile, triples};

    #[test]
    fn skips_packages_that_are_not_from_an_index() {
        let text = r#"
[[package]]
name = "requests"
version = "2.31.0"
description = "Python HTTP for Humans."
optional = false
python-versions = ">=3.7"
files = [{file = "requests-2.31.0.tar.gz", hash = "sha256:942c"}]

[[package]]
name = "internal-auth"
version = "3.1.0"
[package.source]
type = "legacy"
url = "https://pypi.billing.example.com/simple"
reference = "billing"

[[package]]
name = "billing-core"
version = "0.4.0"
develop = true
[package.source]
type = "directory"
url = "libs/billing-core"

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "ab12"
"#;
        let inputs = parse(&Source::new("poetry.lock", text.into())).unwrap();
        assert_eq!(
            triples(&inputs),
            [
                ("PyPI", "requests", "2.31.0"),
                ("PyPI", "internal-auth", "3.1.0")
            ]
        );
    }

    #[test]
    fn a_wrong_type_names_its_position() {
        let text = "[[package]]\nname = \"a\"\nversion = 2\n";
        let err = parse(&Source::new("poetry.lock", text.into()))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("poetry.lock:3:11:"), "{err}");
    }

    #[test]
    fn reads_the_fixture() {
        let inputs = read_lockfile(&fixture("poetry.lock"), &Host::default()).unwrap();
        assert_eq!(
            triples(&inputs),
            [
                ("PyPI", "anyio", "3.7.1"),
                ("PyPI", "certifi", "2023.7.22"),
                ("PyPI", "fastapi", "0.100.0"),
                ("PyPI", "idna", "3.4"),
                ("PyPI", "pydantic", "1.10.11"),
                ("PyPI", "requests", "2.28.2"),
                ("PyPI", "sniffio", "1.3.0"),
                ("PyPI", "starlette", "0.27.0"),
                ("PyPI", "typing-extensions", "4.7.1"),
                ("PyPI", "urllib3", "1.26.16"),
            ]
        );
    }
}
