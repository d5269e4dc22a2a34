//! Hostile input (issue 13): data from feeds, lockfiles and ledgers that tries to crash the
//! program, hang it, hide a finding or write outside the output. Each test is named for what it
//! guards.

use std::process::Output;

use crate::common::{NOW, edit, example_copy, run_in, stderr, stdout};

/// Exit code and output of a run that must not have panicked.
fn no_panic(o: &Output) -> (Option<i32>, String, String) {
    let (out, err) = (stdout(o), stderr(o));
    assert_ne!(o.status.code(), Some(101), "panicked: {err}");
    assert!(!err.contains("panicked"), "{err}");
    (o.status.code(), out, err)
}

/// Every line of `text` is at most `max` characters and carries no raw escape or bidi control.
fn assert_terminal_safe(text: &str, max: usize) {
    for line in text.lines() {
        assert!(
            line.chars().count() <= max,
            "a line of {} chars",
            line.len()
        );
        assert!(
            !line.contains(['\u{1b}', '\u{202e}', '\r', '\u{7}']),
            "raw control in {line:?}"
        );
    }
}

const OSV: &str = "inventory/feeds/osv/RUSTSEC-2026-0041.json";

#[test]
fn a_70000_character_advisory_id_is_cut_in_the_scan_table() {
    let tmp = example_copy();
    let long = format!("RUSTSEC-{}", "9".repeat(70_000));
    edit(
        &tmp.path().join(OSV),
        "\"RUSTSEC-2026-0041\"",
        &format!("\"{long}\""),
    );
    let o = run_in(tmp.path(), &["scan", "--now", NOW]);
    let (code, out, err) = no_panic(&o);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("RUSTSEC-999") && out.contains('…'), "{out}");
    assert_terminal_safe(&out, 3000);
}

#[test]
fn a_long_kev_catalog_version_with_escapes_is_cut_in_feeds_status() {
    let tmp = example_copy();
    let version = format!("\u{1b}[2J{}", "7".repeat(70_000));
    let escaped = serde_json::to_string(&version).unwrap();
    edit(
        &tmp.path().join("inventory/feeds/kev.json"),
        "\"2026.10.26\"",
        &escaped,
    );
    let o = run_in(tmp.path(), &["feeds", "status", "--now", NOW]);
    let (code, out, err) = no_panic(&o);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\\u{1b}[2J777") && out.contains('…'), "{out}");
    assert_terminal_safe(&out, 3000);
}

#[test]
fn a_long_summary_with_terminal_controls_is_escaped_and_cut_in_explain() {
    let tmp = example_copy();
    let summary = format!("flood\u{1b}]0;owned\u{7}\u{202e}{}", "s".repeat(70_000));
    let escaped = serde_json::to_string(&summary).unwrap();
    edit(
        &tmp.path().join(OSV),
        "\"HTTP/2 CONTINUATION frame flood exhausts server memory\"",
        &escaped,
    );
    let o = run_in(tmp.path(), &["explain", "RUSTSEC-2026-0041", "--now", NOW]);
    let (code, out, err) = no_panic(&o);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("flood\\u{1b}]0;owned\\u{7}\\u{202e}sss"),
        "{out}"
    );
    assert_terminal_safe(&out, 3000);
}

#[test]
fn a_120000_character_note_is_cut_in_history() {
    let tmp = example_copy();
    let dir = tmp.path();
    let o = run_in(dir, &["plan", "--now", NOW, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let window = "outback-wireless.sunday-dawn.2026-11-01";
    let note = format!("line one\nwarning: forged\u{1b}[0m{}", "n".repeat(120_000));
    let later = "2026-11-01T06:00:00Z";
    let o = run_in(dir, &["complete", window, "--note", &note, "--now", later]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run_in(dir, &["history"]);
    let (code, out, err) = no_panic(&o);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("line one\\nwarning: forged\\u{1b}[0mnnn"),
        "{out}"
    );
    assert!(!out.lines().any(|l| l.starts_with("warning: forged")));
    assert_terminal_safe(&out, 3000);
}

#[test]
fn a_newline_in_a_feed_file_name_cannot_forge_a_warning_line() {
    let tmp = example_copy();
    let osv = tmp.path().join("inventory/feeds/osv");
    std::fs::write(osv.join("X\nwarning: forged.json"), "not json").unwrap();
    let o = run_in(tmp.path(), &["validate", "--now", NOW]);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("X\\nwarning: forged.json"), "{err}");
    assert!(
        !err.lines().any(|l| l.starts_with("warning: forged")),
        "{err}"
    );
}

/// Plans the example in `dir` and returns `ledger export` as JSON.
fn planned_export(dir: &std::path::Path) -> serde_json::Value {
    let o = run_in(dir, &["plan", "--now", NOW, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run_in(dir, &["ledger", "export"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Imports `export` into `restored.db` in `dir`.
fn import(dir: &std::path::Path, export: &serde_json::Value) -> Output {
    std::fs::write(dir.join("backup.json"), export.to_string()).unwrap();
    run_in(
        dir,
        &["ledger", "import", "backup.json", "--ledger", "restored.db"],
    )
}

#[test]
fn ledger_import_refuses_notice_paths_outside_the_output() {
    let tmp = example_copy();
    let dir = tmp.path();
    let export = planned_export(dir);
    for bad in [
        "../../escape.txt",
        "/tmp/escape.txt",
        "notices/x/../../../e.txt",
    ] {
        let mut e = export.clone();
        e["tables"]["notice_files"][0]["path"] = bad.into();
        let o = import(dir, &e);
        let (code, _, err) = no_panic(&o);
        assert_eq!(code, Some(2), "{bad}: {err}");
        assert!(err.contains("not a notice file path"), "{err}");
        // A failed import leaves no file, so the next one may use the same path.
        assert!(!dir.join("restored.db").exists());
    }
}

#[test]
fn a_ledger_edited_to_name_a_path_outside_the_output_is_never_written_there() {
    let tmp = example_copy();
    let dir = tmp.path();
    planned_export(dir);
    let db = dir.join("inventory/.patchplan/ledger.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE notice_files SET path = '../escaped.txt' WHERE rowid = (SELECT min(rowid) FROM notice_files)",
        [],
    )
    .unwrap();
    drop(conn);
    std::fs::remove_dir_all(dir.join("out")).unwrap();
    let o = run_in(dir, &["plan", "--now", NOW, "--quiet"]);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("not a path inside the output directory"),
        "{err}"
    );
    assert!(!dir.join("escaped.txt").exists());
}

#[test]
fn ledger_import_checks_every_value_type_and_foreign_key() {
    let tmp = example_copy();
    let dir = tmp.path();
    let export = planned_export(dir);
    let mut e = export.clone();
    e["tables"]["notices"][0]["sequence"] = "many".into();
    let (code, _, err) = no_panic(&import(dir, &e));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("column `sequence` holds a string") && err.contains("expected an integer"),
        "{err}"
    );
    // Values every later command would fail to read (it was: exit 2 from every plan after,
    // naming no table or row).
    for (table, column, value, needle) in [
        (
            "sightings",
            "first_seen",
            "garbage".into(),
            "column `first_seen` holds `garbage`, expected an RFC 3339 time",
        ),
        (
            "windows",
            "start",
            "2026-13-01T00:00:00Z".into(),
            "column `start` holds `2026-13-01T00:00:00Z`",
        ),
        (
            "notices",
            "sequence",
            serde_json::json!(i64::MAX),
            "column `sequence` holds 9223372036854775807, expected 0 to 4294967295",
        ),
    ] {
        let mut e = export.clone();
        e["tables"][table][0][column] = value;
        let (code, _, err) = no_panic(&import(dir, &e));
        assert_eq!(code, Some(2), "{err}");
        assert!(
            err.contains(&format!("{table}: {needle}")),
            "missing `{needle}` in {err}"
        );
        assert!(!dir.join("restored.db").exists());
    }
    let mut e = export.clone();
    e["tables"]["notices"][0]["window_key"] = "no-such-window".into();
    let (code, _, err) = no_panic(&import(dir, &e));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("FOREIGN KEY constraint failed"), "{err}");
}

/// What foreign keys cannot check is checked too: a notice content must have the SHA-256 it is
/// stored under, a window's snapshot the SHA-256 beside it (or none), and a sighting may name
/// only known vulnerabilities, in ascending order.
#[test]
fn ledger_import_checks_notice_contents_and_sightings() {
    let tmp = example_copy();
    let dir = tmp.path();
    let export = planned_export(dir);
    let refused = |e: &serde_json::Value, needle: &str| {
        let (code, _, err) = no_panic(&import(dir, e));
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains(needle), "missing `{needle}` in {err}");
        assert!(!dir.join("restored.db").exists());
    };
    let mut e = export.clone();
    e["tables"]["notice_contents"][0]["content"] = "Dear customer, nothing to see here".into();
    refused(&e, "does not have that SHA-256");
    let mut e = export.clone();
    let window = &mut e["tables"]["windows"][0];
    assert!(window["snapshot_sha256"].is_string(), "{window}");
    window["snapshot_sha256"] = patchplan::digest::sha256_hex(b"another window").into();
    refused(&e, "its snapshot does not have the SHA-256");
    // An export without the hashes (written by hand, or trimmed) is imported; the hashes come
    // with the next run that writes the window.
    let mut e = export.clone();
    for w in e["tables"]["windows"].as_array_mut().unwrap() {
        w.as_object_mut().unwrap().remove("snapshot_sha256");
    }
    let o = import(dir, &e);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::remove_file(dir.join("restored.db")).unwrap();
    for bad in ["[999999]", "[2,1]", "{}", "not json", "[1.5]"] {
        let mut e = export.clone();
        e["tables"]["sightings"][0]["vulns"] = bad.into();
        refused(&e, "is not an ascending array of sighting_vulns ids");
    }
    let o = import(dir, &export);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A ledger planned in `dir` at `name`, changed by `spoil` (with foreign keys off, as another
/// program would); then `plan`, `history` and `ledger check` must each exit 2 naming `needle`,
/// with the file untouched.
fn spoiled_ledger_is_refused(spoil: &str, needle: &str) {
    let tmp = example_copy();
    let dir = tmp.path();
    let o = run_in(dir, &["plan", "--now", NOW, "--quiet", "--ledger", "l.db"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let conn = rusqlite::Connection::open(dir.join("l.db")).unwrap();
    conn.execute_batch(spoil).unwrap();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    drop(conn);
    refused_untouched(dir, "l.db", needle);
}

fn refused_untouched(dir: &std::path::Path, ledger: &str, needle: &str) {
    let before = std::fs::read(dir.join(ledger)).unwrap();
    for args in [
        &["plan", "--now", NOW][..],
        &["history"],
        &["ledger", "check"],
    ] {
        let o = run_in(dir, &[args, &["--ledger", ledger]].concat());
        let (code, _, err) = no_panic(&o);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: missing `{needle}` in {err}"
        );
    }
    assert_eq!(std::fs::read(dir.join(ledger)).unwrap(), before);
}

#[test]
fn a_ledger_with_a_negative_schema_version_is_refused_not_a_panic() {
    spoiled_ledger_is_refused(
        "PRAGMA user_version = -1",
        "schema version -1 is not a ledger version",
    );
}

#[test]
fn a_ledger_with_a_dropped_table_is_refused_untouched() {
    spoiled_ledger_is_refused(
        "PRAGMA foreign_keys = OFF; DROP TABLE notice_files",
        "its tables are not those of ledger schema version",
    );
}

#[test]
fn a_ledger_with_foreign_key_violations_is_refused_untouched() {
    spoiled_ledger_is_refused(
        "PRAGMA foreign_keys = OFF; UPDATE notices SET window_key = 'gone'",
        "refer to missing rows",
    );
}

#[test]
fn a_ledger_with_another_application_id_is_refused_untouched() {
    spoiled_ledger_is_refused("PRAGMA application_id = 42", "belongs to another program");
}

#[test]
fn another_programs_sqlite_file_is_not_turned_into_a_ledger() {
    let tmp = example_copy();
    let dir = tmp.path();
    let conn = rusqlite::Connection::open(dir.join("app.db")).unwrap();
    conn.execute_batch("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x')")
        .unwrap();
    drop(conn);
    refused_untouched(dir, "app.db", "an SQLite database of another program");
}

#[test]
fn a_ledger_with_random_bytes_written_into_it_is_refused_untouched() {
    let tmp = example_copy();
    let dir = tmp.path();
    let o = run_in(dir, &["plan", "--now", NOW, "--quiet", "--ledger", "l.db"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let conn = rusqlite::Connection::open(dir.join("l.db")).unwrap();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    drop(conn);
    let path = dir.join("l.db");
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 3 * 4096);
    // Deterministic junk over the second page: a b-tree page of some table.
    for (i, b) in bytes[4096..8192].iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let o = run_in(dir, &["plan", "--now", NOW, "--ledger", "l.db"]);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("l.db"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

/// A zip archive of stored (uncompressed) entries written byte by byte, so that it can hold what
/// zip writers refuse to make: two entries of one name.
fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data) in entries {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let (crc, len, offset) = (crc.sum(), data.len() as u32, out.len() as u32);
        let common = |v: &mut Vec<u8>| {
            v.extend(20u16.to_le_bytes()); // version needed
            v.extend([0u8; 4]); // flags, method: stored
            v.extend([0u8; 4]); // time, date
            v.extend(crc.to_le_bytes());
            v.extend(len.to_le_bytes());
            v.extend(len.to_le_bytes());
            v.extend((name.len() as u16).to_le_bytes());
            v.extend(0u16.to_le_bytes()); // extra
        };
        out.extend(0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend(name.as_bytes());
        out.extend(*data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend([0u8; 6]); // comment length, disk, internal attributes
        central.extend([0u8; 4]); // external attributes
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let (cd_offset, cd_len, n) = (out.len() as u32, central.len() as u32, entries.len() as u16);
    out.extend(central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend(n.to_le_bytes());
    out.extend(n.to_le_bytes());
    out.extend(cd_len.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// `scan --lockfile` of the example's portal lockfile against `osv`, as JSON.
fn scan_portal(dir: &std::path::Path, osv: &std::path::Path) -> (serde_json::Value, String) {
    let lock = dir.join("inventory/locks/portal.Cargo.lock");
    let o = run_in(
        dir,
        &[
            "scan",
            "--lockfile",
            lock.to_str().unwrap(),
            "--osv",
            osv.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let (code, out, err) = no_panic(&o);
    assert_eq!(code, Some(0), "{err}");
    (serde_json::from_str(&out).unwrap(), err)
}

fn advisories(scan: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = scan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["advisory"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn a_zip_entry_hidden_under_a_duplicate_name_still_loads_with_a_warning() {
    let tmp = example_copy();
    let dir = tmp.path();
    let real = std::fs::read(dir.join(OSV)).unwrap();
    let decoy = br#"{"id":"DECOY-1","affected":[]}"#;
    let zip = dir.join("dup.zip");
    std::fs::write(
        &zip,
        stored_zip(&[
            ("RUSTSEC-2026-0041.json", &real),
            ("RUSTSEC-2026-0041.json", decoy),
        ]),
    )
    .unwrap();
    let (scan, err) = scan_portal(dir, &zip);
    assert_eq!(advisories(&scan), ["RUSTSEC-2026-0041"]);
    assert!(
        err.contains(
            "zip entry name `RUSTSEC-2026-0041.json` appears 2 times; every copy was loaded"
        ),
        "{err}"
    );
}

#[test]
fn symlink_loops_and_links_in_a_directory_feed_load_each_record_once() {
    let tmp = example_copy();
    let dir = tmp.path();
    let feed = dir.join("feed");
    std::fs::create_dir_all(feed.join("sub")).unwrap();
    std::fs::copy(dir.join(OSV), feed.join("sub/RUSTSEC-2026-0041.json")).unwrap();
    std::os::unix::fs::symlink(&feed, feed.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink("..", feed.join("sub/up")).unwrap();
    std::os::unix::fs::symlink(
        feed.join("sub/RUSTSEC-2026-0041.json"),
        feed.join("again.json"),
    )
    .unwrap();
    let (scan, err) = scan_portal(dir, &feed);
    let h2: Vec<_> = scan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["advisory"] == "RUSTSEC-2026-0041")
        .collect();
    assert_eq!(h2.len(), 1, "{scan}");
    assert!(
        err.contains("a link to a directory is not followed"),
        "{err}"
    );
}

/// A named pipe at `path`.
fn mkfifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
}

#[test]
fn a_named_pipe_as_an_input_is_an_error_naming_it_not_a_hang() {
    let tmp = example_copy();
    let dir = tmp.path();
    let (fifo, osv_fifo) = (dir.join("Cargo.lock"), dir.join("record.json"));
    let ledger = dir.join("ledger.fifo");
    for p in [&fifo, &osv_fifo, &ledger] {
        mkfifo(p);
    }
    let overrides = dir.join("inventory/overrides.toml");
    std::fs::remove_file(&overrides).unwrap();
    mkfifo(&overrides);
    let lock = dir.join("inventory/locks/portal.Cargo.lock");
    let (fifo, osv_fifo, lock) = (
        fifo.to_str().unwrap(),
        osv_fifo.to_str().unwrap(),
        lock.to_str().unwrap(),
    );
    let osv = "inventory/feeds/osv";
    let cases: [(&[&str], &str); 4] = [
        (&["scan", "--lockfile", fifo, "--osv", osv], "Cargo.lock"),
        (
            &["scan", "--lockfile", lock, "--osv", osv_fifo],
            "record.json",
        ),
        (&["validate"], "overrides.toml"),
        (
            &["history", "--ledger", ledger.to_str().unwrap()],
            "ledger.fifo",
        ),
    ];
    for (args, named) in cases {
        let o = run_bounded(dir, args, 20);
        let (code, _, err) = no_panic(&o);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains(named) && err.contains("not a regular file"),
            "{args:?}: {err}"
        );
    }
}

/// A plan reads its ledger early, beside the inventory, and reads the file ahead of SQLite: a
/// named pipe there is refused, not waited on for a writer.
#[test]
fn a_named_pipe_as_the_ledger_of_a_plan_is_an_error_not_a_hang() {
    let tmp = example_copy();
    let dir = tmp.path();
    let ledger = dir.join("ledger.fifo");
    mkfifo(&ledger);
    let ledger = ledger.to_str().unwrap();
    for dry_run in [false, true] {
        let mut args = vec!["plan", "--ledger", ledger, "--now", NOW];
        args.extend(dry_run.then_some("--dry-run"));
        let o = run_bounded(dir, &args, 20);
        let (code, _, err) = no_panic(&o);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains("ledger.fifo") && err.contains("not a regular file"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_kev_due_date_that_does_not_parse_is_a_warning_naming_the_cve() {
    let tmp = example_copy();
    edit(
        &tmp.path().join("inventory/feeds/kev.json"),
        "\"dueDate\": \"2026-11-12\"",
        "\"dueDate\": \"next tuesday\"",
    );
    let o = run_in(tmp.path(), &["validate", "--now", NOW]);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("CVE-2026-41502: dueDate `next tuesday` is not a date"),
        "{err}"
    );
}

#[test]
fn a_native_advisory_id_in_two_files_is_an_error_at_both() {
    let tmp = example_copy();
    let dir = tmp.path().join("inventory/advisories");
    let first = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .min()
        .unwrap();
    let copy = dir.join("zz-copy.toml");
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(&copy, format!("# a copy\n{text}")).unwrap();
    let o = run_in(tmp.path(), &["validate"]);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(2), "{err}");
    let rel = |p: &std::path::Path| {
        let name = p.file_name().unwrap().to_str().unwrap();
        let (line, col) = crate::common::position(p, "id = ")
            .split_once(':')
            .map(|(l, c)| (l.to_string(), c.parse::<usize>().unwrap() + 5))
            .unwrap();
        format!("inventory/advisories/{name}:{line}:{col}")
    };
    let (a, b) = (rel(&first), rel(&copy));
    for (here, there) in [(&a, &b), (&b, &a)] {
        let want = format!("{here}: advisory id `WG-2026-009` is also defined at {there}");
        assert!(err.contains(&want), "missing {want} in {err}");
    }
}

#[test]
fn an_edited_zip_index_is_rebuilt_not_trusted() {
    let tmp = example_copy();
    let dir = tmp.path();
    let real = std::fs::read(dir.join(OSV)).unwrap();
    let zip = dir.join("feed.zip");
    std::fs::write(&zip, stored_zip(&[("RUSTSEC-2026-0041.json", &real)])).unwrap();
    let cache = dir.join("index-cache");
    let lock = dir.join("inventory/locks/portal.Cargo.lock");
    let scan = || {
        let o = crate::common::command(
            dir,
            &[
                "scan",
                "--lockfile",
                lock.to_str().unwrap(),
                "--osv",
                zip.to_str().unwrap(),
                "--format",
                "json",
            ],
        )
        .env("PATCHPLAN_CACHE_DIR", &cache)
        .output()
        .unwrap();
        let (code, out, err) = no_panic(&o);
        assert_eq!(code, Some(0), "{err}");
        advisories(&serde_json::from_str(&out).unwrap())
    };
    assert_eq!(scan(), ["RUSTSEC-2026-0041"]);
    let index: Vec<_> = std::fs::read_dir(cache.join("osv-index"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .collect();
    assert_eq!(index.len(), 1, "{index:?}");
    // The record's text in the index now names another package; it still parses.
    let bytes = std::fs::read(&index[0]).unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let edited = text.replacen("\"name\": \"h2\"", "\"name\": \"h3\"", 1);
    assert_ne!(text, edited);
    std::fs::write(&index[0], edited).unwrap();
    assert_eq!(scan(), ["RUSTSEC-2026-0041"]);
}

#[test]
fn junk_zip_entries_do_not_grow_the_index() {
    let tmp = example_copy();
    let dir = tmp.path();
    let junk = vec![b'x'; 64 << 10];
    let names: Vec<String> = (0..50).map(|i| format!("junk-{i}.json")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &junk[..])).collect();
    let zip = dir.join("junk.zip");
    std::fs::write(&zip, stored_zip(&entries)).unwrap();
    let cache = dir.join("index-cache");
    let lock = dir.join("inventory/locks/portal.Cargo.lock");
    let o = crate::common::command(
        dir,
        &[
            "scan",
            "--lockfile",
            lock.to_str().unwrap(),
            "--osv",
            zip.to_str().unwrap(),
        ],
    )
    .env("PATCHPLAN_CACHE_DIR", &cache)
    .output()
    .unwrap();
    let (code, _, err) = no_panic(&o);
    // Nothing but junk: no record to check against, which is an error, not a clean result.
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no OSV advisory records here"), "{err}");
    assert_eq!(err.matches("not an OSV record").count(), 50, "{err}");
    let size: u64 = std::fs::read_dir(cache.join("osv-index"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(size < 32 << 10, "index of {size} bytes for 50 junk entries");
}

#[test]
fn ids_that_cannot_name_files_are_errors_at_their_place_in_validate() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    let long = "a".repeat(230);
    let cases = [
        (
            "customers/andes-telecom.toml",
            "\"andes-telecom\"",
            format!("\"{long}\""),
            "is 230 characters long; at most 64",
        ),
        (
            "customers/andes-telecom.toml",
            "\"sunday-early\"",
            "\"../sunday\"".into(),
            "id `../sunday`: expected letters",
        ),
        (
            "environments/andes-lab.toml",
            "\"andes-lab\"",
            "\".hidden\"".into(),
            "id `.hidden`: expected letters",
        ),
        (
            "environments/hudson-prod.toml",
            "\"hudson-prod\"",
            "\"\"".into(),
            "an id may not be empty",
        ),
        (
            "stacks/wispgate-edge-6.9.toml",
            "\"wispgate-edge-6.9\"",
            "\"bad\\u0007id\"".into(),
            "id `bad\\u{7}id`: expected",
        ),
        (
            "customers/outback-wireless.toml",
            "\"outback-wireless\"",
            "\"a\\\\b\"".into(),
            "id `a\\\\b`: expected",
        ),
    ];
    for (file, from, to, _) in &cases {
        edit(
            &inv.join(file),
            &format!("id = {from}"),
            &format!("id = {to}"),
        );
    }
    let o = run_in(tmp.path(), &["validate"]);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(2), "{err}");
    for (file, _, to, message) in &cases {
        let at = crate::common::position(&inv.join(file), &format!("id = {to}"));
        let (line, col) = at.split_once(':').unwrap();
        let col: usize = col.parse::<usize>().unwrap() + 5;
        let want = format!("inventory/{file}:{line}:{col}: ");
        let found = err
            .lines()
            .any(|l| l.contains(&want) && l.contains(message));
        assert!(found, "no `{want}...{message}` in:\n{err}");
    }
}

#[test]
fn no_run_is_recorded_when_its_notice_files_cannot_be_written() {
    let tmp = example_copy();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("out")).unwrap();
    std::fs::write(
        dir.join("out/notices"),
        "a file where the notices directory goes",
    )
    .unwrap();
    let o = run_in(dir, &["plan", "--now", NOW, "--quiet"]);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(2), "{err}");
    std::fs::remove_file(dir.join("out/notices")).unwrap();
    let o = run_in(dir, &["history", "--format", "json"]);
    let (code, out, err) = no_panic(&o);
    assert_eq!(code, Some(0), "{err}");
    let history: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(history["runs"].as_array().unwrap().len(), 0, "{history}");
    // Fixed, the next plan issues every notice.
    let o = run_in(dir, &["plan", "--now", NOW, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.join("out/notices/andes-telecom").is_dir());
}

#[test]
fn a_feed_cache_meta_naming_another_file_is_not_read_as_the_feed() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    let url = "https://feeds.example/kev.json";
    edit(
        &inv.join("patchplan.toml"),
        "source = \"feeds/kev.json\"",
        &format!("source = \"{url}\""),
    );
    let victim = tmp.path().join("victim.json");
    std::fs::copy(inv.join("feeds/kev.json"), &victim).unwrap();
    let dir = inv.join(".patchplan/feeds/kev");
    std::fs::create_dir_all(&dir).unwrap();
    for file in [victim.to_str().unwrap(), "../../../../victim.json"] {
        let meta = serde_json::json!({
            "url": url, "file": file, "fetched_at": "2026-10-27T08:00:00Z",
            "changed_at": "2026-10-27T08:00:00Z", "etag": null, "last_modified": null,
            "sha256": "00", "bytes": 1, "records": 4, "identity": "x"
        });
        std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
        let o = run_in(
            tmp.path(),
            &["feeds", "status", "--format", "json", "--now", NOW],
        );
        let (code, out, err) = no_panic(&o);
        assert_eq!(code, Some(0), "{err}");
        let status: serde_json::Value = serde_json::from_str(&out).unwrap();
        let kev = status["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == "kev")
            .unwrap();
        assert_eq!(kev["state"], "missing", "{file}: {kev}");
        assert_eq!(kev["records"], 0, "{file}: {kev}");
    }
    assert!(victim.is_file());
}

/// Runs `patchplan args` in `dir`, killing it past `limit` (a hang guard, not a benchmark).
fn run_bounded(dir: &std::path::Path, args: &[&str], limit: u64) -> Output {
    let mut child = crate::common::command(dir, args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(limit) {
            let _ = child.kill();
            panic!("{args:?} still running after {limit} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn forty_thousand_components_in_one_environment_validate_in_linear_time() {
    let tmp = example_copy();
    let env = tmp.path().join("inventory/environments/andes-lab.toml");
    let mut text = std::fs::read_to_string(&env).unwrap();
    for i in 0..40_000 {
        text.push_str(&format!(
            "\n[[components]]\nname = \"pkg-{i}\"\necosystem = \"crates.io\"\nversion = \"1.0.{i}\"\n"
        ));
    }
    std::fs::write(&env, text).unwrap();
    let o = run_bounded(tmp.path(), &["validate"], 60);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_10_mb_time_zone_name_is_a_short_error_not_a_stall() {
    let tmp = example_copy();
    let customer = tmp.path().join("inventory/customers/andes-telecom.toml");
    let huge = "Z".repeat(10 << 20);
    edit(
        &customer,
        "timezone = \"America/Bogota\"",
        &format!("timezone = \"{huge}\""),
    );
    let o = run_bounded(tmp.path(), &["validate"], 60);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(2), "{}", &err[..err.len().min(500)]);
    assert!(err.len() < 4000, "an error of {} bytes", err.len());
    assert!(err.contains("unknown time zone `ZZZZ"), "{err}");
}

#[test]
fn a_component_at_two_versions_in_one_environment_is_a_warning() {
    let tmp = example_copy();
    let env = tmp.path().join("inventory/environments/andes-lab.toml");
    edit(
        &env,
        "stacks = [\"wispgate-edge-7.2\"]",
        "stacks = [\"wispgate-edge-7.2\", \"wispgate-edge-6.9\"]",
    );
    let o = run_in(tmp.path(), &["validate"]);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("environment `andes-lab`: component `axios` (npm) is declared at two versions, 1.7.7 and 1.6.8"),
        "{err}"
    );
    // Its own components decide: wispgate-core is declared in andes-lab itself.
    assert!(!err.contains("component `wispgate-core`"), "{err}");
}

/// A UTF-8 byte-order mark (as Windows editors write) changes nothing: each input with one scans
/// exactly as without.
#[test]
fn a_byte_order_mark_is_accepted_in_every_input_format() {
    let fixtures = crate::common::root().join("tests/fixtures/inputs");
    let tmp = tempfile::tempdir().unwrap();
    let osv = fixtures.join("osv");
    let cases = [
        ("requirements.txt", "--lockfile"),
        ("go.mod", "--lockfile"),
        ("package-lock.json", "--lockfile"),
        ("cyclonedx-1.6.cdx.json", "--sbom"),
        ("spdx-2.3.spdx.json", "--sbom"),
    ];
    for (name, flag) in cases {
        let plain = fixtures.join(name);
        let dir = tmp.path().join(format!("bom-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        let bom = dir.join(name);
        let mut bytes = b"\xef\xbb\xbf".to_vec();
        bytes.extend(std::fs::read(&plain).unwrap());
        std::fs::write(&bom, bytes).unwrap();
        let scan = |file: &std::path::Path| {
            let o = run_in(
                tmp.path(),
                &[
                    flag,
                    file.to_str().unwrap(),
                    "--osv",
                    osv.to_str().unwrap(),
                    "--format",
                    "json",
                ]
                .iter()
                .fold(vec!["scan"], |mut v, a| {
                    v.push(a);
                    v
                }),
            );
            let (code, out, err) = no_panic(&o);
            assert_eq!(code, Some(0), "{name}: {err}");
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            let mut found: Vec<String> = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| format!("{} {} {}", f["package"], f["version"], f["advisory"]))
                .collect();
            found.sort();
            found
        };
        assert_eq!(scan(&bom), scan(&plain), "{name}");
    }
}

#[test]
fn unclear_inventory_shapes_get_clear_messages() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    // A 20,000-part dotted key: the parser's recursion limit, placed.
    std::fs::write(
        inv.join("overrides.toml"),
        format!("{}b = 1\n", "a.".repeat(20_000)),
    )
    .unwrap();
    let o = run_in(tmp.path(), &["validate"]);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("inventory/overrides.toml:1:1: nested too deeply"),
        "{err}"
    );
    // `customers` as a file.
    std::fs::remove_file(inv.join("overrides.toml")).unwrap();
    std::fs::remove_dir_all(inv.join("customers")).unwrap();
    std::fs::write(inv.join("customers"), "id = \"x\"\n").unwrap();
    let o = run_in(tmp.path(), &["validate"]);
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("inventory/customers: expected a directory of *.toml files, found a file"),
        "{err}"
    );
}

#[test]
fn a_now_near_year_9999_is_a_usage_error_not_a_template_error() {
    let tmp = example_copy();
    let o = run_in(
        tmp.path(),
        &["plan", "--dry-run", "--now", "9999-12-20T00:00:00Z"],
    );
    let (code, _, err) = no_panic(&o);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("--now") && err.contains("from 1970 to 8999"),
        "{err}"
    );
    assert!(!err.contains(".hbs"), "{err}");
}

/// Every file under `dir`, relative to it.
fn tree(dir: &std::path::Path) -> std::collections::BTreeSet<std::path::PathBuf> {
    let mut out = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            match p.is_dir() {
                true => stack.push(p),
                false => {
                    out.insert(p.strip_prefix(dir).unwrap().to_path_buf());
                }
            }
        }
    }
    out
}

/// The README's commands over `tests/hostile/`: scans of every hostile lockfile and SBOM against
/// the hostile OSV records, a plan, explain, validate and feeds status of the example with those
/// records as a feed, and an import of every hostile ledger export. None panics or hangs, each
/// exits 0 or 2, and nothing is written outside `--out`, the inventory's `.patchplan/` and the
/// ledgers the imports were told to create.
#[test]
fn the_hostile_directory_gives_no_panic_no_hang_and_no_write_outside_the_output() {
    let tmp = example_copy();
    let dir = tmp.path();
    let hostile = crate::common::root().join("tests/hostile");
    let osv = hostile.join("osv");
    let toml = dir.join("inventory/patchplan.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let feed = format!(
        "[[feed]]\nid = \"hostile\"\nkind = \"osv\"\nsource = \"{}\"\n\n[[feed]]",
        osv.display()
    );
    std::fs::write(&toml, text.replacen("[[feed]]", &feed, 1)).unwrap();
    let before = tree(dir);
    let hostile_before = tree(&hostile);
    let mut runs: Vec<Vec<String>> = Vec::new();
    for e in std::fs::read_dir(hostile.join("inputs")).unwrap().flatten() {
        let p = e.path().display().to_string();
        let flag = match p.ends_with(".cdx.json") || p.ends_with(".spdx.json") {
            true => "--sbom",
            false => "--lockfile",
        };
        runs.push(vec![
            "scan".into(),
            flag.into(),
            p,
            "--osv".into(),
            osv.display().to_string(),
        ]);
    }
    for args in [
        "validate",
        "feeds status",
        "scan",
        "plan --out out",
        "explain RUSTSEC-2026-0041",
        "history",
    ] {
        let mut v: Vec<String> = args.split(' ').map(String::from).collect();
        v.extend(["--now".into(), NOW.into()]);
        runs.push(v);
    }
    let mut ledgers = Vec::new();
    for (i, e) in std::fs::read_dir(hostile.join("ledger"))
        .unwrap()
        .flatten()
        .enumerate()
    {
        let db = format!("imported-{i}.db");
        ledgers.push(db.clone());
        let file = e.path().display().to_string();
        runs.push(vec![
            "ledger".into(),
            "import".into(),
            file,
            "--ledger".into(),
            db,
        ]);
    }
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run_bounded(dir, &args, 60);
        let (code, _, err) = no_panic(&o);
        assert!(matches!(code, Some(0 | 2)), "{args:?}: {code:?} {err}");
    }
    let allowed = |p: &std::path::Path| {
        p.starts_with("out")
            || p.starts_with("inventory/.patchplan")
            || ledgers
                .iter()
                .any(|l| p.to_string_lossy().starts_with(l.as_str()))
    };
    let written: Vec<_> = tree(dir)
        .difference(&before)
        .filter(|p| !allowed(p))
        .cloned()
        .collect();
    assert!(
        written.is_empty(),
        "written outside the output: {written:?}"
    );
    assert_eq!(tree(&hostile), hostile_before, "the hostile files changed");
    assert!(!std::path::Path::new("/tmp/hostile-escape.txt").exists());
}

#[test]
fn a_ledger_whose_version_was_reset_to_0_is_named_so() {
    spoiled_ledger_is_refused(
        "PRAGMA user_version = 0",
        "says version 0 (PRAGMA user_version was reset)",
    );
}
