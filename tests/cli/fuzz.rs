//! Structured fuzzing of every parser of outside data, on stable Rust with proptest: each target
//! starts from real files (`../shared/data` where it exists, else the repository's fixtures),
//! mutates them (bytes flipped, slices cut, duplicated or moved, hostile strings spliced in) and
//! asserts that the parser returns (a value, warnings or an error) without panicking, each case
//! within a time bound, and the binary's runs within a memory bound.
//!
//! CI runs a bounded number of cases per target (64 by default). Run longer locally with
//! `PROPTEST_CASES=20000 cargo test --release --test cli fuzz::`; a failure prints the smallest
//! input proptest found, and proptest saves its seed under `proptest-regressions/`.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::common::root;

/// Text an attacker would splice in: terminal escapes, bidi overrides, path climbing, JSON and
/// TOML structure, huge numbers, a byte-order mark, invalid UTF-8.
const HOSTILE: &[&[u8]] = &[
    b"\x1b[2J\x1b]0;owned\x07",
    "\u{202e}".as_bytes(),
    b"../../../../tmp/x",
    b"{\"introduced\":\"1.0.0\",\"fixed\":\"3.0.0\"}",
    b"{}",
    b"[[[[[[[[[[[[[[[[",
    b"99999999999999999999999999",
    b"\xef\xbb\xbf",
    b"\xff\xfe\x00",
    b"\"\\u0000\"",
    b"a.a.a.a.a.a.a.a.a.a.a.a.a.a.a = 1\n",
    b"version = 99\n",
    b"\r\n\r\n",
];

/// One change to a seed.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize, usize),
    Duplicate(usize, usize),
    Splice(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        (any::<usize>(), 0usize..512).prop_map(|(at, n)| Mutation::Cut(at, n)),
        (any::<usize>(), 0usize..512).prop_map(|(at, n)| Mutation::Duplicate(at, n)),
        (any::<usize>(), 0..HOSTILE.len()).prop_map(|(at, i)| Mutation::Splice(at, i)),
    ]
}

fn apply(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Flip(at, b) if !bytes.is_empty() => bytes[at % len] = b,
            Mutation::Flip(..) => bytes.push(0),
            Mutation::Cut(at, n) => {
                let at = at % len.min(bytes.len() + 1);
                let end = (at + n).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            Mutation::Duplicate(at, n) => {
                let at = (at % len).min(bytes.len());
                let end = (at + n).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(end..end, copy);
            }
            Mutation::Splice(at, i) => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, HOSTILE[i].iter().copied());
            }
        }
    }
    bytes
}

/// How long one case may take: far more than any parser needs on a seed of this size, even in a
/// debug build on a loaded machine; a case past it is a hang or a blow-up, and fails.
const CASE_TIME: std::time::Duration = std::time::Duration::from_secs(20);

/// The address space a fuzzed run of the binary may use (through `prlimit`, where the machine
/// has it): past it an allocation fails and the run aborts, which the target reports.
const RUN_MEMORY: &str = "--as=4294967296";

/// Runs `target` on mutations of each seed, `PROPTEST_CASES` (default 64) cases in all; each
/// case must end within [`CASE_TIME`].
fn fuzz(seeds: &[Vec<u8>], target: impl Fn(&[u8])) {
    assert!(!seeds.is_empty(), "no seeds");
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (0..seeds.len(), prop::collection::vec(mutation(), 0..6));
    runner
        .run(&strategy, |(i, mutations)| {
            let started = std::time::Instant::now();
            target(&apply(&seeds[i], &mutations));
            let took = started.elapsed();
            prop_assert!(took < CASE_TIME, "a case took {took:?}");
            Ok(())
        })
        .unwrap();
}

/// The real files under `../shared/data/REL` with a name ending in `suffix` (at most `max`), or
/// the repository's fixtures when shared data is absent.
fn seeds(rel: &str, suffix: &str, max: usize, fallback: &[&str]) -> Vec<Vec<u8>> {
    let shared = root().join("../shared/data").join(rel);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&shared)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.retain(|p| p.to_string_lossy().ends_with(suffix));
    paths.sort();
    paths.truncate(max);
    if paths.is_empty() {
        paths = fallback.iter().map(|f| root().join(f)).collect();
    }
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// `bytes` written as `name` in a fresh temporary directory, for the readers that take a path.
fn with_file(name: &str, bytes: &[u8], read: impl Fn(&Path)) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    read(&path);
}

#[test]
fn fuzz_osv_records() {
    let seeds = seeds(
        "ubuntu/osv",
        ".json",
        8,
        &["inventory/feeds/osv/RUSTSEC-2026-0041.json"],
    );
    fuzz(&seeds, |bytes| {
        let _ = patchplan::advisory::osv::parse(bytes, "fuzz", &mut Vec::new());
    });
}

#[test]
fn fuzz_kev_and_epss() {
    let kev = seeds("kev", ".json", 1, &["inventory/feeds/kev.json"]);
    fuzz(&kev, |bytes| {
        let _ = patchplan::advisory::kev::parse(bytes, &mut Vec::new());
    });
    let epss = vec![std::fs::read(root().join("inventory/feeds/epss.csv")).unwrap()];
    fuzz(&epss, |bytes| {
        let _ = patchplan::advisory::epss::parse_bytes(bytes, &mut Vec::new());
    });
}

#[test]
fn fuzz_cargo_lockfiles() {
    let seeds = seeds(
        "lockfiles",
        ".Cargo.lock",
        4,
        &["tests/fixtures/inputs/v4.Cargo.lock"],
    );
    fuzz(&seeds, |bytes| {
        with_file("Cargo.lock", bytes, |p| {
            let _ = patchplan::inputs::read_lockfile(p, &host());
        })
    });
}

/// An Ubuntu 22.04 host, so that OS package lists are read rather than refused for want of a
/// release.
fn host() -> patchplan::inputs::Host {
    patchplan::inputs::Host {
        distro: "ubuntu:22.04".parse().ok(),
        pro: false,
    }
}

#[test]
fn fuzz_other_lockfiles_and_sboms() {
    let fixtures = root().join("tests/fixtures/inputs");
    for name in [
        "package-lock.json",
        "requirements.txt",
        "poetry.lock",
        "go.mod",
        "go.sum",
        "debian-12.dpkg-status",
    ] {
        let seed = vec![std::fs::read(fixtures.join(name)).unwrap()];
        fuzz(&seed, |bytes| {
            with_file(name, bytes, |p| {
                let _ = patchplan::inputs::read_lockfile(p, &host());
            })
        });
    }
    for name in ["cyclonedx-1.6.cdx.json", "spdx-2.3.spdx.json"] {
        let seed = vec![std::fs::read(fixtures.join(name)).unwrap()];
        fuzz(&seed, |bytes| {
            with_file(name, bytes, |p| {
                let _ = patchplan::inputs::read_sbom(p);
            })
        });
    }
}

/// Zip feeds through the binary, so that the index cache goes where the tests keep it (never
/// into the user's own cache).
#[test]
fn fuzz_zip_feeds() {
    let seeds = seeds("ubuntu", ".zip", 1, &[]);
    let seeds = match seeds.is_empty() {
        true => vec![
            std::fs::read(root().join("tests/fixtures/inputs/osv/RUSTSEC-2021-0003.json")).unwrap(),
        ],
        false => seeds,
    };
    let status = root().join("tests/fixtures/inputs/debian-12.dpkg-status");
    let tmp = tempfile::tempdir().unwrap();
    let n = std::sync::atomic::AtomicUsize::new(0);
    fuzz(&seeds, |bytes| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let zip = tmp.path().join(format!("feed-{i}.zip"));
        std::fs::write(&zip, bytes).unwrap();
        let args = [
            "scan",
            "--lockfile",
            status.to_str().unwrap(),
            "--osv",
            zip.to_str().unwrap(),
        ];
        let o = bounded(tmp.path(), &args);
        let err = String::from_utf8_lossy(&o.stderr);
        // A panic is 101; running out of the memory bound aborts (no exit code).
        assert!(o.status.code().is_some_and(|c| c != 101), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    });
}

/// Runs the binary with `args` in `dir`, its address space capped at [`RUN_MEMORY`] where
/// `prlimit` exists (util-linux; on every Debian machine).
fn bounded(dir: &Path, args: &[&str]) -> std::process::Output {
    let prlimit = Path::new("/usr/bin/prlimit");
    if !prlimit.exists() {
        return crate::common::run_in(dir, args);
    }
    let cmd = crate::common::command(dir, args);
    let program = cmd.get_program().to_owned();
    let mut capped = std::process::Command::new(prlimit);
    capped.arg(RUN_MEMORY).arg("--").arg(program).args(args);
    capped.current_dir(dir);
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => capped.env(k, v),
            None => capped.env_remove(k),
        };
    }
    capped.output().expect("the binary runs under prlimit")
}

#[test]
fn fuzz_inventory_files() {
    let inv = root().join("inventory");
    for rel in [
        "patchplan.toml",
        "customers/andes-telecom.toml",
        "environments/andes-lab.toml",
        "overrides.toml",
    ] {
        let seed = std::fs::read(inv.join(rel)).unwrap();
        let cases = std::env::var("PROPTEST_CASES").ok();
        // An inventory load is heavier than one parser: a quarter of the cases.
        let n = cases.and_then(|c| c.parse::<u32>().ok()).unwrap_or(64) / 4;
        let mut runner = TestRunner::new(Config {
            cases: n.max(1),
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = prop::collection::vec(mutation(), 0..6);
        runner
            .run(&strategy, |mutations| {
                let copy = crate::common::example_copy();
                let path = copy.path().join("inventory").join(rel);
                std::fs::write(&path, apply(&seed, &mutations)).unwrap();
                let _ = patchplan::inventory::load(&copy.path().join("inventory"));
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn fuzz_ledger_import() {
    let tmp = crate::common::example_copy();
    let dir = tmp.path();
    let o = crate::common::run_in(dir, &["plan", "--now", crate::common::NOW, "--quiet"]);
    assert_eq!(o.status.code(), Some(0));
    let o = crate::common::run_in(dir, &["ledger", "export"]);
    let seed = vec![o.stdout];
    let n = std::sync::atomic::AtomicUsize::new(0);
    fuzz(&seed, |bytes| {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return;
        };
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = dir.join(format!("fuzz-{i}.db"));
        let _ = patchplan::ledger::export::import(&path, &value, Path::new("fuzz.json"));
    });
}
