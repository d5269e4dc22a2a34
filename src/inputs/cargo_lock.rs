//! Cargo.lock, formats v1 to v4. Only packages from the crates.io registry are matched: the
//! workspace's own crates and path or git dependencies are not crates.io packages, even when an
//! advisory names a crate of the same name.

use serde::Deserialize;

use super::Package;
use crate::diag::Source;
use crate::error::{Error, Result};

const CRATES_IO: &[&str] = &[
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

#[derive(Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
    source: Option<String>,
}

/// The crates.io packages of a Cargo.lock.
pub fn parse(source: &Source) -> Result<Vec<Package>> {
    let packages = match super::cargo_lock_fast::read(&source.text) {
        Some(fast) => fast
            .into_iter()
            .map(|l| LockedPackage {
                name: l.name,
                version: l.version,
                source: l.source,
            })
            .collect(),
        None => {
            let lock: Lockfile = source.parse_toml().map_err(|d| Error::Invalid(vec![d]))?;
            lock.package
        }
    };
    Ok(packages
        .into_iter()
        .filter(|p| p.source.as_deref().is_some_and(|s| CRATES_IO.contains(&s)))
        .map(|p| Package {
            ecosystem: "crates.io".into(),
            name: p.name,
            version: p.version,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_crates_io_packages() {
        let text = r#"
version = 3
[[package]]
name = "app"
version = "0.1.0"
dependencies = ["smallvec"]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c"

[[package]]
name = "local"
version = "0.2.0"
source = "git+https://example.com/local#abc"
"#;
        let pkgs = parse(&Source::new("Cargo.lock", text.into())).unwrap();
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].name, "smallvec");
    }

    /// The fast line reader and the TOML parser agree on every real lockfile.
    #[test]
    fn both_readers_agree_on_real_lockfiles() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/lockfiles");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            let required = std::env::var("PATCHPLAN_REQUIRE_SHARED").as_deref() == Ok("1");
            assert!(!required, "{} is missing", dir.display());
            return;
        };
        let mut checked = 0;
        for path in entries.map(|e| e.unwrap().path()) {
            if !path.to_string_lossy().ends_with(".Cargo.lock") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let fast = super::super::cargo_lock_fast::read(&text).expect("Cargo's own shape");
            let full: Lockfile = Source::new(&path, text).parse_toml().unwrap();
            let full: Vec<_> = full
                .package
                .iter()
                .map(|p| (&p.name, &p.version, &p.source))
                .collect();
            let fast: Vec<_> = fast
                .iter()
                .map(|p| (&p.name, &p.version, &p.source))
                .collect();
            assert_eq!(fast, full, "{}", path.display());
            checked += 1;
        }
        assert!(checked >= 4, "only {checked} lockfiles");
    }

    #[test]
    fn a_broken_lockfile_names_the_position() {
        let err = parse(&Source::new("Cargo.lock", "[[package]]\nname = 1\n".into())).unwrap_err();
        assert!(err.to_string().starts_with("Cargo.lock:2:"), "{err}");
    }
}
