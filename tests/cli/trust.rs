//! A plan you can trust on real data (issue 12): no fix silently dropped by an advisory nobody
//! has fixed, every unscheduled finding with its reason, no clean result from missing advisory
//! data, time that only moves forward, and windows whose outcome was never recorded.

use std::path::Path;

use serde_json::Value;

use crate::common::{NOW, as_older_ledger, example_copy, run_in, shared, stderr, stdout};

/// An advisory with no fix for every `wispgate-portal` from 7.0.0 on: low severity, and
/// nothing anyone can upgrade to.
const UNFIXED: &str = r#"id = "WG-2026-099"
summary = "Portal issue nobody has fixed yet"
published = "2026-10-01"
severity = "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"

[[affected]]
ecosystem = "wispgate"
name = "wispgate-portal"
ranges = [">=7.0.0"]
"#;

/// Plans the inventory in `dir` into `dir/out` with its own ledger; returns plan.json.
fn plan(dir: &Path, now: &str) -> Value {
    let o = run_in(dir, &["plan", "--now", now, "--out", "out", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    crate::common::read_plan(&dir.join("out/plan.json"))
}

fn findings(plan: &Value) -> impl Iterator<Item = &Value> {
    plan["findings"].as_array().unwrap().iter()
}

fn emergencies(plan: &Value) -> Vec<String> {
    let windows = plan["windows"].as_array().unwrap();
    windows
        .iter()
        .filter(|w| w["kind"] == "emergency")
        .map(|w| w["environments"][0].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_unfixed_advisory_never_holds_back_an_emergency_fix() {
    let tmp = example_copy();
    let before = plan(tmp.path(), NOW);
    let inv = tmp.path().join("inventory");
    std::fs::write(inv.join("advisories/WG-2026-099.toml"), UNFIXED).unwrap();
    std::fs::remove_dir_all(tmp.path().join("out")).unwrap();
    std::fs::remove_dir_all(inv.join(".patchplan")).unwrap();
    let after = plan(tmp.path(), NOW);
    assert_eq!(emergencies(&after), emergencies(&before));
    assert_eq!(emergencies(&after).len(), 5);
    // The actively exploited WG-2026-017 is still fixed, in the same windows, wherever it was.
    let placed = |p: &Value| {
        findings(p)
            .filter(|f| f["advisory"] == "WG-2026-017")
            .map(|f| (f["id"].to_string(), f["window"].to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(placed(&after), placed(&before));
    assert!(placed(&after).iter().all(|(_, w)| w != "null"));
    // The unfixed one stays open, ranked, without a window and says why.
    let unfixed: Vec<&Value> = findings(&after)
        .filter(|f| f["advisory"] == "WG-2026-099")
        .collect();
    assert!(!unfixed.is_empty());
    for f in unfixed {
        assert_eq!(f["status"], "open");
        assert_eq!(f["window"], Value::Null);
        assert_eq!(f["unscheduled_reason"], "no_fix");
        assert_eq!(f["fixed"], Value::Null);
        assert!(f["decision"].is_string());
    }
}

#[test]
fn missing_or_wrong_advisory_data_is_never_a_clean_result() {
    let Some(lock) = shared("lockfiles/fd-2022.Cargo.lock") else {
        return;
    };
    let Some(go) = shared("osv/Go-all.zip") else {
        return;
    };
    let empty = tempfile::tempdir().unwrap();
    let lock = lock.to_str().unwrap();
    let scan = |osv: &str, extra: &[&str]| {
        let mut args = vec!["scan", "--lockfile", lock, "--osv", osv];
        args.extend(extra);
        run_in(empty.path(), &args)
    };
    // An --osv path with no records is an error, with or without --fail-on.
    for osv in [empty.path().to_str().unwrap(), "/etc"] {
        let o = scan(osv, &["--fail-on", "track"]);
        assert_eq!(o.status.code(), Some(2), "{osv}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("no OSV advisory records"),
            "{}",
            stderr(&o)
        );
    }
    // Records of another ecosystem: a warning naming the ecosystem and the count, and with
    // --fail-on exit 2, not a clean 0.
    let o = scan(go.to_str().unwrap(), &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("81 crates.io components not checked"),
        "{}",
        stderr(&o)
    );
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let coverage = report["coverage"].as_array().unwrap();
    assert_eq!(coverage.len(), 1);
    assert_eq!(coverage[0]["ecosystem"], "crates.io");
    assert_eq!(coverage[0]["records"], 0);
    assert_eq!(coverage[0]["components"], 81);
    assert_eq!(coverage[0]["checked"], false);
    let o = scan(go.to_str().unwrap(), &["--fail-on", "track"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no loaded advisory feed covers crates.io"));
}

#[test]
fn plan_lists_coverage_and_fails_on_unfixed_or_late_findings() {
    let tmp = example_copy();
    let p = plan(tmp.path(), NOW);
    let coverage = p["coverage"].as_array().unwrap();
    assert!(!coverage.is_empty());
    assert!(
        coverage.iter().all(|c| c["checked"] == true),
        "{coverage:?}"
    );
    // The example misses two attend deadlines (andes-prod): --fail-on attend is exit 1, and
    // --fail-on act is 0 (every act finding is in an emergency on time).
    let fail_on = |d: &str| {
        let o = run_in(
            tmp.path(),
            &["plan", "--now", NOW, "--dry-run", "--fail-on", d],
        );
        (o.status.code(), stdout(&o))
    };
    let (code, text) = fail_on("attend");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Deadline misses (2):"), "{text}");
    assert!(text.contains("wispgate-core 7.2.1 -> 7.2.3"), "{text}");
    assert_eq!(fail_on("act").0, Some(0));
    // An unfixed attend-level advisory fails --fail-on attend on its own, named in the summary.
    let inv = tmp.path().join("inventory");
    let severe = UNFIXED.replace(
        "AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
        "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    );
    std::fs::write(inv.join("advisories/WG-2026-099.toml"), severe).unwrap();
    let (_, text) = fail_on("attend");
    assert!(text.contains("no_fix:"), "{text}");
    assert!(
        text.contains(":wispgate-portal:WG-2026-099 (no_fix)"),
        "{text}"
    );
}

#[test]
fn scan_of_the_inventory_honours_vex_and_exceptions() {
    let tmp = example_copy();
    let o = run_in(
        tmp.path(),
        &["scan", "--now", NOW, "--format", "json", "--quiet"],
    );
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let status = |s: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["status"] == s)
            .count()
    };
    // The same statuses plan gives (tests/cli/example.rs).
    assert_eq!(
        (
            status("excepted"),
            status("not_affected"),
            status("informational")
        ),
        (1, 1, 1)
    );
    let p = plan(tmp.path(), NOW);
    let act_open = findings(&p)
        .filter(|f| f["status"] == "open" && f["decision"] == "act")
        .count();
    let scan_act = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "open" && f["decision"] == "act")
        .count();
    assert_eq!(scan_act, act_open);
}

#[test]
fn warnings_about_records_nobody_has_are_one_line_per_feed() {
    let Some(pypi) = shared("osv/PyPI-all.zip") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let req = tmp.path().join("requirements.txt");
    std::fs::write(&req, "django==3.2.0\nrequests==2.19.0\n").unwrap();
    let o = run_in(
        tmp.path(),
        &[
            "scan",
            "--lockfile",
            req.to_str().unwrap(),
            "--osv",
            pypi.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The export's warnings are about packages nobody here has (how many depends on what a
    // record must hold to be read): one line, however many.
    let warnings: Vec<String> = stderr(&o).lines().map(str::to_string).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let (count, rest) = warnings[0]
        .strip_prefix("warning: feed osv-1: ")
        .and_then(|w| w.split_once(' '))
        .unwrap_or_else(|| panic!("{warnings:?}"));
    assert!(count.parse::<usize>().unwrap() > 10, "{warnings:?}");
    assert_eq!(
        rest,
        "warnings about records that affect none of the scanned packages (`patchplan feeds status --verbose` lists them)"
    );
}

/// `history --format json` at `now`: the window with ledger key `key`.
fn history_window(dir: &Path, now: &str, key: &str) -> Value {
    let o = run_in(dir, &["history", "--format", "json", "--now", now]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let h: Value = serde_json::from_slice(&o.stdout).unwrap();
    let windows = h["windows"].as_array().unwrap();
    windows
        .iter()
        .find(|w| w["key"] == key)
        .unwrap_or_else(|| panic!("no {key}"))
        .clone()
}

fn export(dir: &Path) -> Value {
    let o = run_in(dir, &["ledger", "export"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn a_now_before_the_ledgers_latest_run_is_refused() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan(dir, NOW);
    plan(dir, "2026-10-28T09:00:00Z");
    let before = export(dir);
    for args in [
        &["plan", "--now", "2026-10-20T09:00:00Z"][..],
        &["plan", "--now", "2026-10-20T09:00:00Z", "--dry-run"][..],
    ] {
        let o = run_in(dir, args);
        assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
        let e = stderr(&o);
        assert!(e.contains("2026-10-20T09:00:00+00:00"), "{e}");
        assert!(e.contains("latest run (2026-10-28T09:00:00+00:00)"), "{e}");
    }
    // Nothing moved: the same runs, first sightings and windows.
    assert_eq!(export(dir), before);
    let first_seen: Vec<&Value> = before["tables"]["sightings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["first_seen"])
        .collect();
    assert!(!first_seen.is_empty());
    assert!(first_seen.iter().all(|t| *t == "2026-10-27T09:00:00Z"));
    // The same instant again is fine: a re-plan.
    plan(dir, "2026-10-28T09:00:00Z");
}

/// An outcome or a reopening is recorded at `--now` too, and time only moves forward: neither
/// may go before the ledger's latest run or recorded outcome, nor a plan before an outcome.
/// (Found by an exploratory run: complete, reopen an hour before it, complete a day before
/// that, then plan before all three, each exit 0; `history` then listed them out of order.)
#[test]
fn outcomes_and_reopenings_do_not_go_back_in_time() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan(dir, NOW);
    let window = "emergency.andes-prod.20261027T1100Z";
    let ok = |args: &[&str]| {
        let o = run_in(dir, args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    };
    let refused = |args: &[&str], latest: &str, what: &str| {
        let o = run_in(dir, args);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{e}");
        assert!(e.contains(&format!("latest {what} ({latest})")), "{e}");
    };
    let done = "2026-10-28T11:00:00Z";
    ok(&["complete", window, "--failed", "--now", done]);
    let latest = "2026-10-28T11:00:00+00:00";
    refused(
        &["reopen", window, "--now", "2026-10-28T08:00:00Z"],
        latest,
        "recorded outcome or reopening",
    );
    refused(
        &["plan", "--now", "2026-10-27T12:00:00Z"],
        latest,
        "recorded outcome or reopening",
    );
    ok(&["reopen", window, "--now", "2026-10-28T12:00:00Z"]);
    let latest = "2026-10-28T12:00:00+00:00";
    refused(
        &["complete", window, "--now", "2026-10-27T11:05:00Z"],
        latest,
        "recorded outcome or reopening",
    );
    ok(&["complete", window, "--now", "2026-10-28T12:30:00Z"]);
    ok(&["plan", "--now", "2026-10-29T09:00:00Z", "--quiet"]);
    refused(
        &["complete", window, "--now", done],
        "2026-10-29T09:00:00+00:00",
        "run",
    );
}

#[test]
fn complete_refuses_a_window_that_has_not_started_and_writes_beside_the_plan() {
    let tmp = example_copy();
    let dir = tmp.path();
    let o = run_in(
        dir,
        &["plan", "--now", NOW, "--out", "elsewhere/run", "--quiet"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let sunday = "hudson-fiber.sunday-early.2026-11-08";
    let o = run_in(dir, &["complete", sunday, "--now", NOW]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("starts at 2026-11-08 06:30 (UTC), after now (2026-10-27 09:00)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(history_window(dir, NOW, sunday)["state"], "planned");
    // An emergency that has started: its notice goes where the plan wrote, named in full.
    let emergency = "emergency.andes-prod.20261027T1100Z";
    let o = run_in(
        dir,
        &["complete", emergency, "--now", "2026-10-27T12:00:00Z"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let file = dir.join(format!(
        "elsewhere/run/notices/andes-telecom/{emergency}.completed.txt"
    ));
    assert!(file.is_file(), "{}", stdout(&o));
    let shown = std::path::absolute(&file).unwrap();
    assert!(
        stdout(&o).contains(&shown.display().to_string()),
        "{}",
        stdout(&o)
    );
    assert!(!dir.join("out").exists());
}

#[test]
fn a_window_past_its_end_without_an_outcome_is_overdue_then_planned_again() {
    let tmp = example_copy();
    let dir = tmp.path();
    let first = plan(dir, NOW);
    let emergency = "emergency.andes-prod.20261027T1100Z";
    let act = "andes-prod:wispgate-portal:WG-2026-017";
    let finding = |p: &Value| findings(p).find(|f| f["id"] == act).unwrap().clone();
    assert_eq!(finding(&first)["window"], emergency);
    // An hour after it ended: overdue, named with the command, its upgrade still waits for it.
    let later = "2026-10-27T12:30:00Z";
    let o = run_in(dir, &["plan", "--now", later, "--out", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let warning = format!(
        "window {emergency} ended at 2026-10-27 11:20 UTC and is overdue: no outcome recorded; record it with `patchplan complete {emergency}`"
    );
    assert!(stderr(&o).contains(&warning), "{}", stderr(&o));
    let p: Value = crate::common::read_plan(&dir.join("out/plan.json"));
    assert_eq!(finding(&p)["window"], Value::Null);
    assert_eq!(finding(&p)["unscheduled_reason"], "awaiting_outcome");
    let h = history_window(dir, later, emergency);
    assert_eq!(h["overdue"], true);
    assert_eq!(
        h["record_with"],
        format!("patchplan complete {emergency} (add --failed if it did not go through)")
    );
    let o = run_in(dir, &["history", "--now", later]);
    assert!(stdout(&o).contains("overdue"), "{}", stdout(&o));
    // Past the 24h grace: treated as not done; the act finding is an emergency again, with its
    // original deadline, and a warning says why.
    let day_after = "2026-10-28T12:00:00Z";
    let o = run_in(dir, &["plan", "--now", day_after, "--out", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("with no recorded outcome for longer than outcome_grace (1d)"),
        "{}",
        stderr(&o)
    );
    let p: Value = crate::common::read_plan(&dir.join("out/plan.json"));
    assert_eq!(finding(&p)["window"], "emergency.andes-prod.20261028T1400Z");
    assert_eq!(finding(&p)["deadline"], finding(&first)["deadline"]);
}

#[test]
fn reopen_undoes_a_mistaken_outcome_and_keeps_it_in_history() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan(dir, NOW);
    let emergency = "emergency.hudson-prod.20261027T1100Z";
    let at = "2026-10-27T11:30:00Z";
    let o = run_in(dir, &["complete", emergency, "--now", at]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Not a closed window: refused.
    let o = run_in(
        dir,
        &["reopen", "emergency.andes-prod.20261027T1100Z", "--now", at],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("only a completed or failed window can be reopened"));
    let o = run_in(
        dir,
        &["reopen", emergency, "--note", "wrong window", "--now", at],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let w = history_window(dir, at, emergency);
    assert_eq!(w["state"], "in_progress");
    assert_eq!(w["outcome_note"], Value::Null);
    let events: Vec<String> = w["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["state"].as_str().unwrap(), e["note"]))
        .collect();
    assert_eq!(
        events[0],
        "in_progress \"reopened: the recorded outcome `completed` was undone: wrong window\""
    );
    assert!(events[1].starts_with("completed"), "{events:?}");
    // Recorded again (failed this time): a new notice, one SEQUENCE later.
    let o = run_in(
        dir,
        &[
            "complete", emergency, "--failed", "--now", at, "--format", "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rec: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rec["sequence"], 1);
    assert_eq!(rec["id"], format!("{emergency}.completed-1"));
    assert_eq!(history_window(dir, at, emergency)["state"], "failed");
}

#[test]
fn a_version_1_ledger_is_migrated_and_complete_then_falls_back_to_out() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan(dir, NOW);
    // Make it a ledger as an older patchplan wrote it: no outbox, no `out` column, version 1.
    as_older_ledger(&dir.join("inventory/.patchplan/ledger.db"), 1);
    // Read-only commands ask for the migration; complete (a write) migrates.
    let emergency = "emergency.iberia-prod.20261027T1100Z";
    let o = run_in(
        dir,
        &["complete", emergency, "--now", "2026-10-27T12:00:00Z"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // No run says where it wrote: the notice goes to `out`.
    assert!(
        dir.join(format!(
            "out/notices/iberia-conecta/{emergency}.completed.txt"
        ))
        .is_file()
    );
    let check = run_in(dir, &["ledger", "check"]);
    assert!(
        stdout(&check).contains("ok (schema version 7)"),
        "{}",
        stdout(&check)
    );
}

#[test]
fn detailed_notices_list_the_remaining_risk_and_summary_ones_do_not() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    std::fs::write(inv.join("advisories/WG-2026-099.toml"), UNFIXED).unwrap();
    plan(tmp.path(), NOW);
    let notices = tmp.path().join("out/notices");
    let read = |rel: &str| std::fs::read_to_string(notices.join(rel)).unwrap();
    // Hudson (detailed): its Sunday 8 window serves hudson-prod, whose portal has the flaw.
    let stem = "hudson-fiber/hudson-fiber.sunday-early.2026-11-08.scheduled";
    let txt = read(&format!("{stem}.txt"));
    assert!(
        txt.contains("Remaining risk (not fixed by this work):\n  - Gateway production (Poughkeepsie POP): wispgate-portal 7.2.1: WG-2026-099: Portal issue nobody has fixed yet (no fix is available yet)"),
        "{txt}"
    );
    assert!(read(&format!("{stem}.md")).contains("## Remaining risk"));
    assert!(read(&format!("{stem}.html")).contains("Remaining risk (not fixed by this work)"));
    let json: Value = serde_json::from_str(&read(&format!("{stem}.json"))).unwrap();
    assert_eq!(json["remaining"][0]["advisory"]["id"], "WG-2026-099");
    assert_eq!(json["remaining"][0]["reason"], "no_fix");
    // Andes (summary): no component, version or advisory, so no remaining risk either.
    for entry in std::fs::read_dir(notices.join("andes-telecom")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("WG-2026-099"));
        assert!(!text.contains("Riesgo pendiente"));
    }
}
