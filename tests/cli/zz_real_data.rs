//! The tests that need the real data in `../shared/data`, and the line that says how many of them
//! skipped. Without that directory (a fresh clone) they return early and libtest counts them as
//! passed, so each one names itself on stderr as it skips, and the last test of this binary in
//! name order (this module's, hence its name) prints one summary line. libtest has no hook at the
//! end of a run; starting last is the closest a test gets, and a real-data test without its data
//! returns at once, so every one started before has already said so.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use crate::common::root;

/// Every test that reads `../shared/data`: (file that defines it, test name as libtest prints
/// it). The unit tests of `src/` run in the library's test binary, before this one; they are
/// counted here too, so the summary covers the whole of `cargo test`.
pub const REAL_DATA_TESTS: [(&str, &str); 16] = [
    (
        "tests/cli/os_packages.rs",
        "os_packages::an_ubuntu_pro_host_also_matches_the_pro_records",
    ),
    (
        "tests/cli/os_packages.rs",
        "os_packages::the_release_comes_from_an_os_release_file_beside_the_list",
    ),
    (
        "tests/cli/os_packages.rs",
        "os_packages::the_shared_ubuntu_host_reproduces_the_reference_evaluator",
    ),
    (
        "tests/cli/trust.rs",
        "trust::missing_or_wrong_advisory_data_is_never_a_clean_result",
    ),
    (
        "tests/cli/trust.rs",
        "trust::warnings_about_records_nobody_has_are_one_line_per_feed",
    ),
    (
        "tests/cli/bad_input.rs",
        "bad_input::scan_needs_no_inventory_for_a_lockfile",
    ),
    (
        "tests/cli/real_feeds.rs",
        "real_feeds::go_and_pypi_exports_load_without_dropping_records",
    ),
    (
        "tests/cli/real_feeds.rs",
        "real_feeds::pypi_listed_versions_lie_inside_their_ranges",
    ),
    (
        "tests/cli/reference.rs",
        "reference::a_cached_feed_index_gives_the_same_report",
    ),
    (
        "tests/cli/reference.rs",
        "reference::every_shared_lockfile_reproduces_cargo_audit",
    ),
    (
        "tests/cli/reference.rs",
        "reference::informational_advisories_are_reported_as_their_own_class",
    ),
    (
        "tests/cli/risk.rs",
        "risk::every_cvss_vector_in_the_shared_osv_exports_scores_as_the_reference",
    ),
    (
        "tests/cli/risk.rs",
        "risk::salt_3000_1_on_an_exposed_critical_master_is_an_emergency",
    ),
    (
        "src/inputs/cargo_lock.rs",
        "inputs::cargo_lock::tests::both_readers_agree_on_real_lockfiles",
    ),
    (
        "src/risk/tables.rs",
        "risk::tables::tests::every_bod_row_matches_the_csv",
    ),
    (
        "src/risk/tables.rs",
        "risk::tables::tests::every_coordinator_row_matches_the_csv",
    ),
];

/// The real data: `$PATCHPLAN_SHARED_DATA`, else `../shared/data` beside the repository.
pub fn data_dir() -> std::path::PathBuf {
    match std::env::var_os("PATCHPLAN_SHARED_DATA") {
        Some(dir) => dir.into(),
        None => root().join("../shared/data"),
    }
}

/// The tests of this binary that skipped, each named once.
static SKIPPED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// The running test's name (libtest names each test's thread after it), which must be listed in
/// [`REAL_DATA_TESTS`].
pub fn current_test() -> String {
    let name = std::thread::current().name().unwrap_or("?").to_string();
    assert!(
        REAL_DATA_TESTS.iter().any(|(_, t)| *t == name),
        "{name} reads ../shared/data: list it in REAL_DATA_TESTS (tests/cli/zz_real_data.rs)"
    );
    name
}

/// Records that `test` skipped for want of `path`, and says so once, on stderr past libtest's
/// capture so that a user sees it.
pub fn skip(test: &str, path: &Path) {
    let first = SKIPPED.lock().unwrap().insert(test.to_string());
    if first {
        let _ = writeln!(
            std::io::stderr(),
            "skipped {test}: {} not found (real data; see README, \"Tests\")",
            path.display()
        );
    }
}

/// The data directory's absence, once per run, as one line: how many real-data tests skipped
/// (and so count as passed without having checked anything).
#[test]
fn zz_summary_of_skipped_real_data_tests() {
    for (file, test) in REAL_DATA_TESTS {
        let name = test.rsplit("::").next().unwrap();
        let source = std::fs::read_to_string(root().join(file)).unwrap();
        assert!(
            source.contains(&format!("fn {name}()")),
            "{file} has no test `{name}`: update REAL_DATA_TESTS"
        );
    }
    let data = data_dir();
    if data.is_dir() {
        assert!(
            SKIPPED.lock().unwrap().is_empty(),
            "skipped with {} present",
            data.display()
        );
        return;
    }
    let _ = writeln!(
        std::io::stderr(),
        "{} real-data tests skipped: {} not found (they count as passed; see README, \"Tests\")",
        REAL_DATA_TESTS.len(),
        shown(&data)
    );
}

/// `../shared/data` as the user knows it, else the path given.
fn shown(data: &Path) -> String {
    match std::env::var_os("PATCHPLAN_SHARED_DATA") {
        Some(_) => data.display().to_string(),
        None => "../shared/data".into(),
    }
}

/// This binary's own tests run again without the data (`PATCHPLAN_SHARED_DATA` pointing at an
/// empty directory): a real-data test names itself as it skips, and the summary counts them all.
#[test]
fn without_the_data_each_skip_is_named_and_counted() {
    let empty = tempfile::tempdir().unwrap();
    let missing = empty.path().join("data");
    let run = |test: &str| {
        let o = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--test-threads", "1"])
            .env("PATCHPLAN_SHARED_DATA", &missing)
            .env_remove("PATCHPLAN_REQUIRE_SHARED")
            .output()
            .unwrap();
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        assert!(o.status.success(), "{out}\n{err}");
        assert!(out.contains("1 passed"), "{test}: {out}");
        err.into_owned()
    };
    let test = "bad_input::scan_needs_no_inventory_for_a_lockfile";
    let err = run(test);
    let lock = missing.join("lockfiles/fd-2022.Cargo.lock");
    assert_eq!(
        err,
        format!(
            "skipped {test}: {} not found (real data; see README, \"Tests\")\n",
            lock.display()
        ),
    );
    let err = run("zz_real_data::zz_summary_of_skipped_real_data_tests");
    assert_eq!(
        err,
        format!(
            "{} real-data tests skipped: {} not found (they count as passed; see README, \"Tests\")\n",
            REAL_DATA_TESTS.len(),
            missing.display()
        )
    );
}
