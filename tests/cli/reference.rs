//! Matching against real data: every shared lockfile reproduces cargo-audit's vulnerability list.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{run, shared, stderr};

type Triple = (String, String, String);

fn ours(lockfile: &str, osv: &str) -> BTreeSet<Triple> {
    let out = run(&[
        "scan",
        "--lockfile",
        lockfile,
        "--osv",
        osv,
        "--format",
        "json",
        "--now",
        "2026-10-27T09:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "patchplan.scan/v1");
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["informational"].is_null())
        .map(|f| (s(&f["advisory"]), s(&f["package"]), s(&f["version"])))
        .collect()
}

fn theirs(json: &std::path::Path) -> BTreeSet<Triple> {
    let report: Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    report["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                s(&v["advisory"]["id"]),
                s(&v["package"]["name"]),
                s(&v["package"]["version"]),
            )
        })
        .collect()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

#[test]
fn every_shared_lockfile_reproduces_cargo_audit() {
    let Some(dir) = shared("lockfiles") else {
        return;
    };
    let osv = shared("osv/crates.io-all.zip").unwrap();
    let mut checked = 0;
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for lock in names
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".Cargo.lock"))
    {
        let reference = lock
            .to_string_lossy()
            .replace(".Cargo.lock", ".cargo-audit.json");
        let expected = theirs(std::path::Path::new(&reference));
        let got = ours(lock.to_str().unwrap(), osv.to_str().unwrap());
        assert!(!expected.is_empty(), "{reference} lists no vulnerabilities");
        assert_eq!(got, expected, "{}", lock.display());
        checked += 1;
    }
    assert_eq!(checked, 4, "expected the 4 shared lockfiles");
}

#[test]
fn informational_advisories_are_reported_as_their_own_class() {
    let (Some(lock), Some(osv)) = (
        shared("lockfiles/alacritty-2020.Cargo.lock"),
        shared("osv/crates.io-all.zip"),
    ) else {
        return;
    };
    let out = run(&[
        "scan",
        "--lockfile",
        lock.to_str().unwrap(),
        "--osv",
        osv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["informational"].as_str().map(str::to_string))
        .collect();
    assert!(kinds.contains("unmaintained"), "{kinds:?}");
    let reference: Value = serde_json::from_slice(
        &std::fs::read(
            lock.to_string_lossy()
                .replace(".Cargo.lock", ".cargo-audit.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let unmaintained: BTreeSet<String> = reference["warnings"]["unmaintained"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| s(&w["advisory"]["id"]))
        .collect();
    let ours: BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["informational"] == "unmaintained")
        .map(|f| s(&f["advisory"]))
        .collect();
    assert_eq!(ours, unmaintained);
}

/// The cached index of a zip feed changes nothing in the report: the first run (which writes
/// it), a run that reads it, and a run after the cache file was damaged all print the same bytes.
#[test]
fn a_cached_feed_index_gives_the_same_report() {
    let (Some(lock), Some(osv)) = (
        shared("lockfiles/alacritty-2020.Cargo.lock"),
        shared("osv/crates.io-all.zip"),
    ) else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let (lock, osv) = (lock.display().to_string(), osv.display().to_string());
    let scan = || {
        let args = [
            "scan",
            "--lockfile",
            &lock,
            "--osv",
            &osv,
            "--format",
            "json",
        ];
        let out = crate::common::command(&crate::common::root(), &args)
            .env("PATCHPLAN_CACHE_DIR", cache.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        out.stdout
    };
    let cold = scan();
    let index_dir = cache.path().join("osv-index");
    let files: Vec<_> = std::fs::read_dir(&index_dir).unwrap().collect();
    assert_eq!(files.len(), 1, "one index file, no temporary left behind");
    let index = files[0].as_ref().unwrap().path();
    let written = std::fs::read(&index).unwrap();
    assert_eq!(scan(), cold, "a run reading the index");
    assert_eq!(
        std::fs::read(&index).unwrap(),
        written,
        "a warm run does not rewrite it"
    );
    std::fs::write(&index, &written[..written.len() / 2]).unwrap();
    assert_eq!(scan(), cold, "a run after the index was cut short");
    assert_eq!(
        std::fs::read(&index).unwrap(),
        written,
        "the damaged index is rebuilt"
    );
}
