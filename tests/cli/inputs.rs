//! Lockfiles and SBOMs of every format: `scan --lockfile` / `--sbom` on the fixtures in
//! `tests/fixtures/inputs/` against the small OSV directory beside them, environments' `sboms`,
//! and a bad file of each format (exit 2, `path:line:col`).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common::{edit, example_copy, position, root, run, run_in, stderr, stdout};

const OSV: &str = "tests/fixtures/inputs/osv";

fn fixture(name: &str) -> String {
    format!("tests/fixtures/inputs/{name}")
}

/// `scan --format json` of `inputs` (pairs of `--lockfile` or `--sbom` and a fixture name); the
/// command must succeed.
fn scan(inputs: &[(&str, &str)]) -> Value {
    let mut args = vec!["scan".to_string(), "--format".into(), "json".into()];
    for (flag, name) in inputs {
        args.extend([format!("--{flag}"), fixture(name)]);
    }
    args.extend(["--osv".into(), OSV.into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("scan prints JSON")
}

type Triple = (String, String, String);

fn triple(package: &str, version: &str, advisory: &str) -> Triple {
    (package.into(), version.into(), advisory.into())
}

/// The (package, version, advisory) of every finding, each checked to name `target`.
fn findings(report: &Value, target: &str) -> BTreeSet<Triple> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|f| assert_eq!(f["target"], target, "{f}"))
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("package"), s("version"), s("advisory"))
        })
        .collect()
}

fn warnings(report: &Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

/// Scans one fixture and asserts its findings are exactly `semver` (SemVer ecosystems) plus
/// `other` (ecosystem, package, version, advisory) in the other orderings.
fn assert_scan(
    flag: &str,
    name: &str,
    semver: &[(&str, &str, &str)],
    other: &[(&str, &str, &str, &str)],
) -> Value {
    let report = scan(&[(flag, name)]);
    let target = fixture(name);
    let found = findings(&report, &target);
    let expected: BTreeSet<Triple> = semver
        .iter()
        .map(|(p, v, a)| triple(p, v, a))
        .chain(other.iter().map(|(_, p, v, a)| triple(p, v, a)))
        .collect();
    assert_eq!(found, expected, "{name}");
    report
}

#[test]
fn cargo_lock_v1_and_v4_findings() {
    let report = assert_scan(
        "lockfile",
        "v1.Cargo.lock",
        &[("smallvec", "0.6.13", "RUSTSEC-2021-0003")],
        &[],
    );
    assert_eq!(report["findings"][0]["fixed"], "0.6.14");
    let report = assert_scan(
        "lockfile",
        "v4.Cargo.lock",
        &[("smallvec", "1.6.0", "RUSTSEC-2021-0003")],
        &[],
    );
    assert_eq!(report["findings"][0]["fixed"], "1.6.1");
}

#[test]
fn package_lock_findings_include_nested_copies() {
    assert_scan(
        "lockfile",
        "package-lock.json",
        &[
            ("minimist", "1.2.5", "GHSA-xvch-5gv4-984h"),
            ("minimist", "0.0.8", "GHSA-xvch-5gv4-984h"),
        ],
        &[],
    );
}

#[test]
fn go_mod_honours_replacements_and_go_sum_takes_the_selected_versions() {
    // gin 1.9.0 is affected by GO-2023-1737, but go.mod replaces it by 1.9.1, and go.sum's
    // highest gin is 1.9.1.
    for name in ["go.mod", "go.sum"] {
        assert_scan(
            "lockfile",
            name,
            &[("golang.org/x/net", "v0.15.0", "GO-2023-2102")],
            &[],
        );
    }
}

#[test]
fn python_lockfiles_are_read_and_ordered_by_pep_440() {
    let pypi = [("PyPI", "requests", "2.28.2", "PYSEC-2023-74")];
    let report = assert_scan("lockfile", "requirements.txt", &[], &pypi);
    let warnings = warnings(&report);
    let at = |line: usize, text: &str| {
        format!(
            "{}:{line}:1: `{text}` is not pinned",
            fixture("requirements.txt")
        )
    };
    for needle in [at(29, "gunicorn>=21"), at(30, "sentry-sdk")] {
        assert!(
            warnings.iter().any(|w| w.starts_with(&needle)),
            "{needle} in {warnings:#?}"
        );
    }
    assert_scan("lockfile", "poetry.lock", &[], &pypi);
}

#[test]
fn dpkg_status_is_read_by_source_package() {
    let report = assert_scan(
        "lockfile",
        "debian-12.dpkg-status",
        &[],
        &[("Debian:12", "openssl", "3.0.9-1", "DSA-5532-1")],
    );
    // libssl3 (amd64 and i386) and openssl collapse into their source package, once.
    let named = |needle: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["package"] == needle)
            .count()
    };
    assert_eq!(named("openssl"), 1, "{report:#}");
    assert_eq!(named("libssl3"), 0, "{report:#}");
}

#[test]
fn apk_and_rpm_package_lists_are_read_by_source_package_of_their_release() {
    // Each fixture's release comes from the `os-release` beside it; the records of other
    // releases (Alpine v3.19, AlmaLinux 8) in the same advisories do not apply.
    let report = assert_scan(
        "lockfile",
        "alpine-3.20/installed",
        &[],
        &[(
            "Alpine:v3.20",
            "openssl",
            "3.3.1-r3",
            "ALPINE-CVE-2024-6119",
        )],
    );
    let finding = &report["findings"][0];
    assert_eq!(finding["fixed"], "3.3.2-r0", "{finding:#}");
    assert_eq!(finding["aliases"][0], "CVE-2024-6119", "{finding:#}");
    // AlmaLinux's records name binary RPMs (`openssl-libs`, `openssh-server`): they are found
    // for the source package the host installed them from, once per advisory, and the CVE ids
    // they list in `related` are its aliases.
    let report = assert_scan(
        "lockfile",
        "almalinux-9/host.rpm-qa",
        &[],
        &[
            ("AlmaLinux:9", "openssl", "1:3.0.7-27.el9", "ALSA-2024:9333"),
            ("AlmaLinux:9", "openssh", "8.7p1-38.el9", "ALSA-2024:4312"),
        ],
    );
    let by_package = |p: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["package"] == p)
            .unwrap()
            .clone()
    };
    assert_eq!(by_package("openssl")["fixed"], "1:3.2.2-6.el9_5");
    assert_eq!(by_package("openssh")["fixed"], "8.7p1-38.el9_4.1");
    assert_eq!(by_package("openssh")["aliases"][0], "CVE-2024-6387");
}

#[test]
fn cyclonedx_findings_for_each_spec_version() {
    let report = assert_scan(
        "sbom",
        "cyclonedx-1.4.cdx.json",
        &[("minimist", "1.2.5", "GHSA-xvch-5gv4-984h")],
        &[],
    );
    let without_purl = format!(
        "{}: 1 component without a purl cannot be matched: dist/bundle.js",
        fixture("cyclonedx-1.4.cdx.json")
    );
    assert!(warnings(&report).contains(&without_purl));
    assert_scan(
        "sbom",
        "cyclonedx-1.5.cdx.json",
        &[("smallvec", "1.6.0", "RUSTSEC-2021-0003")],
        &[(
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "GHSA-jfh8-c2jp-5v3q",
        )],
    );
    assert_scan(
        "sbom",
        "cyclonedx-1.6.cdx.json",
        &[("golang.org/x/net", "v0.15.0", "GO-2023-2102")],
        &[
            ("PyPI", "requests", "2.28.2", "PYSEC-2023-74"),
            ("Debian", "openssl", "3.0.9-1", "DSA-5532-1"),
        ],
    );
}

#[test]
fn spdx_findings() {
    assert_scan(
        "sbom",
        "spdx-2.3.spdx.json",
        &[
            ("minimist", "1.2.5", "GHSA-xvch-5gv4-984h"),
            ("golang.org/x/net", "v0.15.0", "GO-2023-2102"),
        ],
        &[
            (
                "Maven",
                "org.apache.logging.log4j:log4j-core",
                "2.14.1",
                "GHSA-jfh8-c2jp-5v3q",
            ),
            ("Debian", "openssl", "3.0.9-1", "DSA-5532-1"),
        ],
    );
}

#[test]
fn lockfiles_and_sboms_mix_each_file_its_own_target() {
    let report = scan(&[
        ("lockfile", "v4.Cargo.lock"),
        ("sbom", "cyclonedx-1.4.cdx.json"),
        ("lockfile", "go.sum"),
        ("sbom", "spdx-2.3.spdx.json"),
    ]);
    let targets: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["target"].as_str().unwrap())
        .collect();
    let expected: BTreeSet<String> = [
        "v4.Cargo.lock",
        "cyclonedx-1.4.cdx.json",
        "go.sum",
        "spdx-2.3.spdx.json",
    ]
    .into_iter()
    .map(fixture)
    .collect();
    assert_eq!(
        targets,
        expected.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    // crates.io, npm and Go findings, and the SPDX document's Maven and Debian ones.
    assert_eq!(report["findings"].as_array().unwrap().len(), 7);
}

/// Adds `sboms = [...]` to the example's `hudson-selfcare` environment, after its `lockfiles`.
fn with_sbom(inventory: &Path, sbom: &str) -> std::path::PathBuf {
    let env = inventory.join("environments/hudson-selfcare.toml");
    edit(
        &env,
        "lockfiles = [",
        &format!("sboms = [\"{sbom}\"]\nlockfiles = ["),
    );
    env
}

#[test]
fn an_environments_sboms_are_its_components() {
    let tmp = example_copy();
    let inventory = tmp.path().join("inventory");
    std::fs::create_dir(inventory.join("sboms")).unwrap();
    std::fs::copy(
        root().join(fixture("cyclonedx-1.4.cdx.json")),
        inventory.join("sboms/portal.cdx.json"),
    )
    .unwrap();
    with_sbom(&inventory, "sboms/portal.cdx.json");
    let o = run_in(tmp.path(), &["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("portal.cdx.json: 1 component without a purl"),
        "{}",
        stderr(&o)
    );
    let osv = root().join(OSV);
    let o = run_in(
        tmp.path(),
        &["scan", "--format", "json", "--osv", osv.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(
        report["findings"].as_array().unwrap().iter().any(|f| {
            f["target"] == "hudson-selfcare"
                && f["package"] == "minimist"
                && f["advisory"] == "GHSA-xvch-5gv4-984h"
        }),
        "{report:#}"
    );
    assert!(
        warnings(&report)
            .iter()
            .any(|w| w.contains("portal.cdx.json: 1 component without a purl")),
        "{report:#}"
    );
}

#[test]
fn a_missing_sbom_is_an_error_at_the_key_and_a_broken_one_at_its_own_position() {
    let tmp = example_copy();
    let inventory = tmp.path().join("inventory");
    let env = with_sbom(&inventory, "sboms/missing.cdx.json");
    let o = run_in(tmp.path(), &["validate"]);
    let at = position(&env, "\"sboms/missing.cdx.json\"");
    let needle = format!("environments/hudson-selfcare.toml:{at}: cannot read SBOM");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(&needle), "{needle} in {}", stderr(&o));

    std::fs::create_dir(inventory.join("sboms")).unwrap();
    std::fs::write(
        inventory.join("sboms/missing.cdx.json"),
        "{\"bomFormat\": \"CycloneDX\",\n \"components\": [{\"purl\": 7}]}",
    )
    .unwrap();
    let o = run_in(tmp.path(), &["validate"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("sboms/missing.cdx.json:2:"),
        "{}",
        stderr(&o)
    );
}

/// Writes `text` as `dir/name`, scans it with `flag`, and asserts a clean failure whose message
/// starts with the file's path, then `line:col` when `line` is given.
fn assert_bad(dir: &Path, flag: &str, name: &str, text: &[u8], line: Option<usize>) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    let osv = root().join(OSV);
    let o: Output = run(&[
        "scan",
        flag,
        path.to_str().unwrap(),
        "--osv",
        osv.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{name}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let rest = err
        .strip_prefix(&format!("error: {}:", path.display()))
        .unwrap_or_else(|| panic!("{name}: the message does not start with the path: {err}"));
    if let Some(line) = line {
        let (l, rest) = rest.split_once(':').unwrap();
        let (col, _) = rest.split_once(':').unwrap();
        assert_eq!(l, line.to_string(), "{name}: {err}");
        assert!(col.parse::<usize>().is_ok_and(|c| c > 0), "{name}: {err}");
    }
}

#[test]
fn a_bad_file_of_each_format_is_a_clean_error_with_its_position() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // OS package lists are read with the release named by the `os-release` beside them.
    for (sub, release) in [
        ("deb", "ubuntu\nVERSION_ID=\"22.04\""),
        ("apk", "alpine\nVERSION_ID=3.20.3"),
        ("rpm", "rocky\nVERSION_ID=\"9.4\""),
    ] {
        std::fs::create_dir(dir.join(sub)).unwrap();
        std::fs::write(dir.join(sub).join("os-release"), format!("ID={release}\n")).unwrap();
    }
    let cases: &[(&str, &str, &[u8], Option<usize>)] = &[
        ("--lockfile", "Cargo.lock", b"[[package]]\nname = \"a\"\nversion = 1\n", Some(3)),
        (
            "--lockfile",
            "package-lock.json",
            b"{\"lockfileVersion\": 3, \"packages\": {\n\"node_modules/a\": {\"version\": \"1.0",
            Some(2),
        ),
        (
            "--lockfile",
            "web.package-lock.json",
            b"{\"lockfileVersion\": 3,\n\"packages\": {\"node_modules/a\": {\"link\": \"yes\"}}}",
            Some(2),
        ),
        (
            "--lockfile",
            "old.package-lock.json",
            b"{\n  \"lockfileVersion\": 1,\n  \"dependencies\": {}\n}",
            Some(2),
        ),
        (
            "--lockfile",
            "requirements.txt",
            b"requests==2.31.0\n<<<<<<< HEAD\n",
            Some(2),
        ),
        ("--lockfile", "poetry.lock", b"[[package]\nname = \"a\"\n", Some(1)),
        (
            "--lockfile",
            "go.mod",
            b"module example.com/a\n\nrequire golang.org/x/net\n",
            Some(3),
        ),
        ("--lockfile", "go.sum", b"golang.org/x/net v0.15.0\n", Some(1)),
        (
            "--lockfile",
            "deb/prod.dpkg-status",
            b"Package: curl\nStatus: install ok installed\nVersion 7.88.1\n",
            Some(3),
        ),
        ("--lockfile", "deb/status", b"\xff\xfe\x00binary", None),
        (
            "--lockfile",
            "apk/installed",
            b"P:musl\nV:1.2.5-r0\n\nP:busybox\nbusybox 1.36\n",
            Some(5),
        ),
        ("--lockfile", "apk/edge.apk-installed", b"P:musl\n", Some(1)),
        (
            "--lockfile",
            "rpm/host.rpm-qa",
            b"bash (none):5.1.8-9.el9 bash-5.1.8-9.el9.src.rpm\nopenssl 3.0.7\n",
            Some(2),
        ),
        (
            "--lockfile",
            "rpm/db.rpm-qa",
            b"openssl 1:3.0.7-27.el9 openssl.rpm\n",
            Some(1),
        ),
        // A release that does not use the format, and no release at all.
        ("--lockfile", "rpm/status", b"Package: a\n", None),
        ("--lockfile", "status", b"Package: a\n", None),
        (
            "--sbom",
            "truncated.cdx.json",
            b"{\"bomFormat\": \"CycloneDX\",\n\"components\": [{\"purl\": \"pkg:npm/a@1",
            Some(2),
        ),
        (
            "--sbom",
            "types.cdx.json",
            b"{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\",\n\"components\": {\"a\": 1}}",
            Some(2),
        ),
        (
            "--sbom",
            "types.spdx.json",
            b"{\"spdxVersion\": \"SPDX-2.3\",\n\"packages\": [{\"externalRefs\": \"purl\"}]}",
            Some(2),
        ),
        ("--sbom", "garbage.json", b"PK\x03\x04 not json", Some(1)),
        ("--sbom", "empty.json", b"{}", None),
    ];
    for (flag, name, text, line) in cases {
        assert_bad(dir, flag, name, text, *line);
    }
}
