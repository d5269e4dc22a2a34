//! Helpers: run the binary, find the shared data, copy the example inventory to edit it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const NOW: &str = "2026-10-27T09:00:00Z";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `patchplan` with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("the binary runs")
}

/// The command `run_in` runs: no colour, tables at full width, and feed indexes cached under `target/`, not in the
/// user's own cache.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_patchplan"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("PATCHPLAN_INVENTORY")
        .env_remove("COLUMNS")
        .env("PATCHPLAN_CACHE_DIR", root().join("target/test-cache"));
    cmd
}

/// Runs `patchplan` with `args` from the repository root.
pub fn run(args: &[&str]) -> Output {
    run_in(&root(), args)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `../shared/data/REL` (or `$PATCHPLAN_SHARED_DATA/REL`), or `None` when shared data is absent
/// (a user's fresh clone). With
/// `PATCHPLAN_REQUIRE_SHARED=1` (CI), its absence fails the test. Only the tests listed in
/// [`crate::zz_real_data::REAL_DATA_TESTS`] may call it, so that the summary printed at the end
/// of the run counts every test that skipped.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let test = crate::zz_real_data::current_test();
    let path = crate::zz_real_data::data_dir().join(rel);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("PATCHPLAN_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!(
            "{} is missing and PATCHPLAN_REQUIRE_SHARED=1",
            path.display()
        );
    }
    crate::zz_real_data::skip(&test, &path);
    None
}

/// A fresh copy of the example inventory in a temporary directory.
pub fn example_copy() -> tempfile::TempDir {
    inventory_copy("inventory")
}

/// A fresh copy of the inventory at `rel` (from the repository root), as `inventory/` in a
/// temporary directory.
pub fn inventory_copy(rel: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("temp dir");
    copy_dir(&root().join(rel), &tmp.path().join("inventory"));
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".patchplan" {
            continue;
        }
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// Replaces `from` with `to` in `path`, asserting that `from` is there.
pub fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// Adds `text` at the end of the file at `path`.
pub fn append(path: &Path, text: &str) {
    let mut all = std::fs::read_to_string(path).unwrap();
    all.push_str(text);
    std::fs::write(path, all).unwrap();
}

/// The 1-based `line:col` of the value in the first `KEY = VALUE` of `path` that is
/// `assignment`: where a diagnostic about the value points.
pub fn value_position(path: &Path, assignment: &str) -> String {
    let at = position(path, assignment);
    let (line, col) = at.split_once(':').unwrap();
    let (key, _) = assignment.split_once("= ").unwrap();
    format!("{line}:{}", col.parse::<usize>().unwrap() + key.len() + 2)
}

/// The 1-based `line:col` of the first occurrence of `needle` in `path`.
pub fn position(path: &Path, needle: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("no `{needle}` in {}", path.display()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{line}:{col}")
}

/// Whether `python3` can import `module`, for tests that check an output with a Python library.
/// When it cannot, the test `test` says on stderr that it skipped; with
/// `PATCHPLAN_REQUIRE_SHARED=1` (CI, whose .ci/run installs the library) it fails instead.
pub fn python_with(module: &str, test: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("PATCHPLAN_REQUIRE_SHARED").as_deref() != Ok("1"),
            "{test}: python3 cannot import {module} and PATCHPLAN_REQUIRE_SHARED=1"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped {test}: python3 with {module} not found (pip install it; .ci/run does)"
        );
    }
    ok
}

/// Runs `python3 SCRIPT ARGS...` from the repository root.
pub fn python(script: &str, args: &[&Path]) -> Output {
    Command::new("python3")
        .arg(root().join(script))
        .args(args)
        .current_dir(root())
        .output()
        .expect("python3 runs")
}

/// Upgrades hudson-selfcare's axios and tower-http: its Sunday window has nothing left to do.
pub fn upgrade_selfcare(dir: &Path) {
    edit(
        &dir.join("inventory/stacks/selfcare-portal-3.4.toml"),
        "version = \"1.7.7\"",
        "version = \"1.8.2\"",
    );
    edit(
        &dir.join("inventory/locks/portal.Cargo.lock"),
        "name = \"tower-http\"\nversion = \"0.6.1\"",
        "name = \"tower-http\"\nversion = \"0.6.2\"",
    );
}

/// Reads plan.json (`patchplan.plan/v2`) and joins each finding with what it refers to (see
/// [`plan_view`]).
pub fn read_plan(path: &Path) -> serde_json::Value {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    plan_view(serde_json::from_slice(&text).expect("plan.json is JSON"))
}

/// A `patchplan.plan/v2` document with each finding joined to its advisory (`aliases`,
/// `summary`, `informational`), its assessment (`timeline`, `cvss`, `epss`, `kev`, `points`) and its reasons (the
/// assessment's, its own `notes`, then its placement's as `schedule: ...`): every finding one
/// object, as the tests read it. The shape of v2 itself is checked in `plan_json.rs`.
pub fn plan_view(mut plan: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    assert_eq!(plan["schema"], "patchplan.plan/v2", "plan.json's schema");
    let advisories = plan["advisories"].take();
    let assessments = plan["assessments"].take();
    let placements = plan["placements"].take();
    for f in plan["findings"].as_array_mut().expect("findings") {
        let adv = &advisories[f["advisory"].as_str().expect("advisory")];
        assert!(adv.is_object(), "finding's advisory is listed: {f}");
        f["aliases"] = adv["aliases"].clone();
        f["summary"] = adv["summary"].clone();
        f["informational"] = adv["informational"].clone();
        let a = &assessments[f["assessment"].to_string()];
        assert!(a.is_object(), "finding's assessment is listed: {f}");
        for key in ["timeline", "cvss", "epss", "kev", "points"] {
            f[key] = a[key].clone();
        }
        let mut reasons: Vec<Value> = a["reasons"].as_array().expect("reasons").clone();
        if let Some(notes) = f.get("notes").and_then(Value::as_array) {
            reasons.extend(notes.iter().cloned());
        }
        if let Some(p) = f["placement"].as_u64() {
            let placed = placements[p as usize].as_array().expect("placement");
            reasons.extend(
                (placed.iter()).map(|r| Value::from(format!("schedule: {}", r.as_str().unwrap()))),
            );
        }
        f["reasons"] = Value::from(reasons);
    }
    plan
}

/// Window snapshots as text, as schema versions 1 to 4 stored them (5 compresses them).
fn uncompress_snapshots(conn: &rusqlite::Connection) {
    let blobs: Vec<(String, Vec<u8>)> = conn
        .prepare("SELECT key, snapshot FROM main.windows WHERE typeof(snapshot) = 'blob'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (key, blob) in blobs {
        let text = patchplan::ledger::contents::inflate(&blob).unwrap();
        conn.execute(
            "UPDATE main.windows SET snapshot = ?2 WHERE key = ?1",
            rusqlite::params![key, text],
        )
        .unwrap();
    }
}

/// Notice contents zlib-compressed, as schema versions 4 and 5 stored them (6 stores text).
fn compress_notice_contents(conn: &rusqlite::Connection) {
    let texts: Vec<(String, String)> = conn
        .prepare("SELECT sha256, content FROM notice_contents WHERE typeof(content) = 'text'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut z = patchplan::ledger::contents::Deflater::default();
    for (sha256, text) in texts {
        conn.execute(
            "UPDATE notice_contents SET content = ?2 WHERE sha256 = ?1",
            rusqlite::params![sha256, z.deflate(&text)],
        )
        .unwrap();
    }
}

/// Window snapshots without their hashes, as schema versions up to 6 stored them.
fn drop_snapshot_hashes(conn: &rusqlite::Connection) {
    conn.execute_batch("ALTER TABLE windows DROP COLUMN snapshot_sha256")
        .unwrap();
}

/// Rewrites the ledger at `db` in place, in one transaction: `change`, then `version`.
fn rewrite_as(db: &Path, version: i64, change: impl FnOnce(&rusqlite::Connection)) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("BEGIN").unwrap();
    change(&conn);
    conn.execute_batch(&format!("PRAGMA user_version = {version}; COMMIT"))
        .unwrap();
}

/// Rewrites the ledger at `db` (in place) as schema version 6 had it: window snapshots without
/// their hashes.
pub fn as_version_6_ledger(db: &Path) {
    rewrite_as(db, 6, drop_snapshot_hashes);
}

/// Rewrites the ledger at `db` (in place) as schema version 5 had it: notice contents
/// compressed.
pub fn as_version_5_ledger(db: &Path) {
    rewrite_as(db, 5, |conn| {
        drop_snapshot_hashes(conn);
        compress_notice_contents(conn);
    });
}

/// Rewrites the ledger at `db` (in place) as schema version 4 had it: window snapshots as text,
/// notice contents compressed.
pub fn as_version_4_ledger(db: &Path) {
    rewrite_as(db, 4, |conn| {
        drop_snapshot_hashes(conn);
        uncompress_snapshots(conn);
        compress_notice_contents(conn);
    });
}

/// Rewrites the ledger at `db` as schema `version` (1 to 3) had it, as an older patchplan would
/// have written it: a finding per first sighting (`ENV:PACKAGE:ADVISORY`), each notice file
/// with its content; the rows of the tables both versions have are copied as they are.
pub fn as_older_ledger(db: &Path, version: i64) {
    let old = db.with_extension("older");
    let _ = std::fs::remove_file(&old);
    let conn = rusqlite::Connection::open(&old).unwrap();
    conn.execute_batch("BEGIN").unwrap();
    patchplan::ledger::schema::migrate(&conn, 0, version).unwrap();
    conn.execute("ATTACH ?1 AS cur", [db.to_str().unwrap()])
        .unwrap();
    for table in ["runs", "windows", "window_events", "notices", "outbox"] {
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info(?1, 'main')")
            .unwrap()
            .query_map([table], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        if columns.is_empty() {
            continue;
        }
        let columns = columns.join(", ");
        conn.execute_batch(&format!(
            "INSERT INTO main.{table} ({columns}) SELECT {columns} FROM cur.{table}"
        ))
        .unwrap();
    }
    conn.execute_batch(
        "INSERT INTO main.findings (id, first_seen, first_run, last_run)
         SELECT e.name || ':' || v.package || ':' || v.advisory, s.first_seen, s.first_run, s.first_run
         FROM cur.sightings s, json_each(s.vulns) j
         JOIN cur.sighting_vulns v ON v.id = j.value JOIN cur.sighting_envs e ON e.id = s.env",
    )
    .unwrap();
    let files: Vec<(i64, String, String)> = conn
        .prepare(
            "SELECT f.notice, f.path, c.content FROM cur.notice_files f
             JOIN cur.notice_contents c ON c.sha256 = f.content_sha256",
        )
        .unwrap()
        .query_map([], |r| {
            let text = patchplan::ledger::contents::stored_text(r.get_ref(2)?).unwrap();
            Ok((r.get(0)?, r.get(1)?, text))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (notice, path, content) in files {
        conn.execute(
            "INSERT INTO main.notice_files (notice, path, content) VALUES (?1, ?2, ?3)",
            rusqlite::params![notice, path, content],
        )
        .unwrap();
    }
    uncompress_snapshots(&conn);
    conn.execute_batch("COMMIT; DETACH cur").unwrap();
    drop(conn);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::rename(&old, db).unwrap();
}

/// Every file under `dir`, by path relative to it, with its bytes.
pub fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}
