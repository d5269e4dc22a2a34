//! Cargo.lock, formats v1 to v4. Only packages from the crates.io registry are matched: the
//! workspace's own crates and path or git dependencies are not crates.io packages, even when an
//! advisory names a crate of the same name. The format's versions differ in how they record
//! checksums and dependencies (v1's `[metadata]` table, v2+'s `checksum` keys), never in
//! `name`, `version` and `source`, the only keys read here.

use serde::Deserialize;

use super::{Inputs, Package};
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
pub fn parse(source: &Source) -> Result<Inputs> {
    let locked = match super::cargo_lock_fast::read(&source.text) {
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
    let packages: Vec<Package> = locked
        .into_iter()
        .filter(|p| p.source.as_deref().is_some_and(|s| CRATES_IO.contains(&s)))
        .map(|p| Package::new("crates.io", p.name, p.version))
        .collect();
    let mut inputs: Inputs = packages.into();
    if let Some(v) = format_version(&source.text).filter(|v| *v > 4) {
        inputs.warnings.push(format!(
            "{}: Cargo.lock format version {v} is newer than patchplan knows (1 to 4); its packages were read as version 4's",
            source.path.display()
        ));
    }
    Ok(inputs)
}

/// The top-level `version = N` of a lockfile (v3 and later write it before any table).
fn format_version(text: &str) -> Option<u64> {
    text.lines()
        .take_while(|l| !l.trim_start().starts_with('['))
        .find_map(|l| l.trim().strip_prefix("version")?.trim().strip_prefix('='))
        .and_then(|v| v.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Host, fixture, read_lockfile, triples};

    fn parse_text(text: &str) -> Vec<(String, String)> {
        parse(&Source::new("Cargo.lock", text.into()))
            .unwrap()
            .packages
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect()
    }

    #[test]
    fn a_format_version_past_4_is_a_warning() {
        let text = "version = 99\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        let inputs = parse(&Source::new("Cargo.lock", text.into())).unwrap();
        assert_eq!(inputs.packages.len(), 1);
        assert!(
            inputs.warnings[0].contains("Cargo.lock format version 99 is newer"),
            "{:?}",
            inputs.warnings
        );
        let v3 = text.replace("version = 99", "version = 3");
        let inputs = parse(&Source::new("Cargo.lock", v3)).unwrap();
        assert!(inputs.warnings.is_empty(), "{:?}", inputs.warnings);
    }

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
        assert_eq!(parse_text(text), [("smallvec".into(), "1.6.0".into())]);
    }

    #[test]
    fn reads_v1_with_a_metadata_table_of_checksums() {
        let text = r#"
[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "smallvec 0.6.13 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "smallvec"
version = "0.6.13"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum smallvec 0.6.13 (registry+https://github.com/rust-lang/crates.io-index)" = "f7b0758c52e15a8b5e3691eae6cc559f08eee9406e548a4477ba4e67770a82b6"
"#;
        assert_eq!(parse_text(text), [("smallvec".into(), "0.6.13".into())]);
    }

    #[test]
    fn reads_v4_and_the_sparse_crates_io_index() {
        let text = r#"
version = 4

[[package]]
name = "smallvec"
version = "1.6.0"
source = "sparse+https://index.crates.io/"
checksum = "fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c"

[[package]]
name = "internal"
version = "2.0.0"
source = "sparse+https://crates.example.com/index/"
"#;
        assert_eq!(parse_text(text), [("smallvec".into(), "1.6.0".into())]);
    }

    #[test]
    fn reads_the_fixtures() {
        let v1 = read_lockfile(&fixture("v1.Cargo.lock"), &Host::default()).unwrap();
        assert_eq!(
            triples(&v1),
            [
                ("crates.io", "cfg-if", "0.1.10"),
                ("crates.io", "libc", "0.2.66"),
                ("crates.io", "log", "0.4.8"),
                ("crates.io", "maybe-uninit", "2.0.0"),
                ("crates.io", "smallvec", "0.6.13"),
            ]
        );
        let v4 = read_lockfile(&fixture("v4.Cargo.lock"), &Host::default()).unwrap();
        assert_eq!(
            triples(&v4),
            [
                ("crates.io", "cfg-if", "1.0.0"),
                ("crates.io", "libc", "0.2.155"),
                ("crates.io", "log", "0.4.22"),
                ("crates.io", "smallvec", "1.6.0"),
            ]
        );
    }

    /// The fast line reader and the TOML parser agree on every real lockfile.
    #[test]
    fn both_readers_agree_on_real_lockfiles() {
        let data = std::env::var_os("PATCHPLAN_SHARED_DATA").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
            std::path::PathBuf::from,
        );
        let dir = data.join("lockfiles");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            let required = std::env::var("PATCHPLAN_REQUIRE_SHARED").as_deref() == Ok("1");
            assert!(!required, "{} is missing", dir.display());
            // Past libtest's capture; listed in tests/cli/zz_real_data.rs.
            let test = std::thread::current().name().unwrap_or("?").to_string();
            let line = format!("skipped {test}: {} not found (real data)\n", dir.display());
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
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
