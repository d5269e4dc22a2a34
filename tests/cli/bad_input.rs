//! Bad input of every kind: a clear message naming the file and where, exit 2 for inputs that
//! cannot be used, a warning (and the rest loaded) for one bad record in a feed. Never a panic.

use std::process::Output;

use crate::common::{NOW, example_copy, run, run_in, shared, stderr};

fn assert_clean_failure(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_malformed_osv_record_is_a_warning_and_the_rest_loads() {
    let tmp = example_copy();
    let osv = tmp.path().join("inventory/feeds/osv");
    std::fs::write(
        osv.join("BROKEN-1.json"),
        "{\"id\": \"BROKEN-1\", \"affected\": 7}",
    )
    .unwrap();
    std::fs::write(osv.join("BROKEN-2.json"), "<html>not json</html>").unwrap();
    let out = tmp.path().join("out");
    let o = run_in(
        tmp.path(),
        &["plan", "--now", NOW, "--out", out.to_str().unwrap()],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("BROKEN-1.json: not an OSV record")
            && err.contains("BROKEN-2.json: not an OSV record"),
        "{err}"
    );
    let plan: serde_json::Value = crate::common::read_plan(&out.join("plan.json"));
    assert!(
        plan["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["package"] == "h2")
    );
    let feed = plan["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "osv")
        .unwrap();
    assert_eq!(feed["skipped"], 2);
}

#[test]
fn a_bad_kev_entry_is_a_warning_but_a_broken_kev_file_is_an_error() {
    let tmp = example_copy();
    let kev = tmp.path().join("inventory/feeds/kev.json");
    let text = std::fs::read_to_string(&kev).unwrap();
    std::fs::write(
        &kev,
        text.replacen(
            "\"vulnerabilities\": [",
            "\"vulnerabilities\": [{\"cveID\": 12},",
            1,
        ),
    )
    .unwrap();
    let o = run_in(tmp.path(), &["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("feed kev:") && stderr(&o).contains("entry 0:"),
        "{}",
        stderr(&o)
    );
    std::fs::write(&kev, "<html>503</html>").unwrap();
    assert_clean_failure(
        &run_in(tmp.path(), &["validate"]),
        "kev.json: not a KEV catalog",
    );
}

#[test]
fn a_broken_epss_file_is_an_error_naming_it() {
    let tmp = example_copy();
    std::fs::write(tmp.path().join("inventory/feeds/epss.csv"), "hello\n").unwrap();
    assert_clean_failure(
        &run_in(tmp.path(), &["validate"]),
        "epss.csv: not an EPSS file",
    );
}

#[test]
fn a_broken_lockfile_names_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let lock = tmp.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        "version = 3\n\n[[package]]\nname = \"a\"\nversion = 1.0\n",
    )
    .unwrap();
    let osv = tmp.path().join("osv");
    std::fs::create_dir(&osv).unwrap();
    let o = run_in(
        tmp.path(),
        &["scan", "--lockfile", "Cargo.lock", "--osv", "osv"],
    );
    assert_clean_failure(&o, "Cargo.lock:5:11:");
}

#[test]
fn an_unknown_lockfile_or_missing_osv_path_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("deps.txt"), "x").unwrap();
    std::fs::create_dir(tmp.path().join("osv")).unwrap();
    assert_clean_failure(
        &run_in(
            tmp.path(),
            &["scan", "--lockfile", "deps.txt", "--osv", "osv"],
        ),
        "unknown lockfile format",
    );
    std::fs::write(tmp.path().join("Cargo.lock"), "version = 3\n").unwrap();
    assert_clean_failure(
        &run_in(
            tmp.path(),
            &["scan", "--lockfile", "Cargo.lock", "--osv", "nope.zip"],
        ),
        "nope.zip: no such file",
    );
}

#[test]
fn a_non_zip_served_as_a_zip_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("all.zip"), "<html>Not Found</html>").unwrap();
    std::fs::write(tmp.path().join("Cargo.lock"), "version = 3\n").unwrap();
    assert_clean_failure(
        &run_in(
            tmp.path(),
            &["scan", "--lockfile", "Cargo.lock", "--osv", "all.zip"],
        ),
        "all.zip: not a zip archive",
    );
}

#[test]
fn bad_usage_exits_two() {
    assert_eq!(run(&["plan", "--now", "yesterday"]).status.code(), Some(2));
    assert_eq!(run(&["scan", "--fail-on", "panic"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn scan_needs_no_inventory_for_a_lockfile() {
    let (Some(lock), Some(osv)) = (
        shared("lockfiles/fd-2022.Cargo.lock"),
        shared("osv/crates.io-all.zip"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let o = run_in(
        tmp.path(),
        &[
            "scan",
            "--lockfile",
            lock.to_str().unwrap(),
            "--osv",
            osv.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("RUSTSEC-2020-0159"));
}
