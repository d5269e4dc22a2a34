//! The ledger: re-plans issue only what changed (new finding, upgraded component, blackout over
//! an announced window), reminders once, dry runs record nothing; every state change of a
//! window; bad ledger files refused untouched; export/import round trip; two plans at once; and
//! plans killed at random moments over a larger generated inventory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{NOW, command, example_copy, run_in, stderr, stdout, tree, upgrade_selfcare};

/// `plan` in `dir` at `now`; returns plan.json.
fn plan_at(dir: &Path, now: &str) -> Value {
    let o = run_in(dir, &["plan", "--now", now, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan = crate::common::read_plan(&dir.join("out/plan.json"));
    check_calendars(dir, &plan);
    plan
}

/// Every notice the plan issued but reminders has a calendar file carrying its UID and SEQUENCE,
/// with METHOD:CANCEL exactly for a cancellation; a reminder has none (the invitation's alarms
/// remind).
fn check_calendars(dir: &Path, plan: &Value) {
    for n in plan["notices"].as_array().unwrap() {
        let files = n["files"].as_array().unwrap();
        let ics = files
            .iter()
            .find_map(|f| f.as_str().filter(|f| f.ends_with(".ics")));
        if n["kind"] == "reminder" {
            assert_eq!(ics, None, "{n}");
            continue;
        }
        let ics = ics.unwrap_or_else(|| panic!("no calendar in {n}"));
        let text = std::fs::read_to_string(dir.join("out").join(ics)).unwrap();
        let unfolded = text.replace("\r\n ", "");
        let (uid, seq) = (n["uid"].as_str().unwrap(), n["sequence"].as_u64().unwrap());
        assert!(
            unfolded.contains(&format!("\r\nUID:{uid}\r\n")),
            "{ics}: {unfolded}"
        );
        assert!(
            unfolded.contains(&format!("\r\nSEQUENCE:{seq}\r\n")),
            "{ics}: {unfolded}"
        );
        let cancel = unfolded.contains("\r\nMETHOD:CANCEL\r\n");
        assert_eq!(cancel, n["kind"] == "cancelled", "{ics}");
    }
}

/// Each notice this plan issued as (kind, window, uid, sequence).
fn issued(plan: &Value) -> Vec<(String, String, String, u64)> {
    let s = |v: &Value| v.as_str().unwrap().to_string();
    plan["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                s(&n["kind"]),
                s(&n["window"]),
                s(&n["uid"]),
                n["sequence"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn notice(kind: &str, window: &str, key: &str, seq: u64) -> (String, String, String, u64) {
    (
        kind.into(),
        window.into(),
        format!("{key}@wispgate.example"),
        seq,
    )
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let o = run_in(dir, args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

const OUTBACK: &str = "outback-wireless.sunday-dawn.2026-11-01";
const SELFCARE: &str = "hudson-fiber.sunday-early.2026-11-01";

const EXPRESS_ADVISORY: &str = r#"id = "WG-2026-031"
summary = "Open redirect in the billing callback"
published = "2026-10-26"
severity = "CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N"

[[affected]]
ecosystem = "npm"
name = "express"
ranges = [">=4.0.0, <4.21.2"]
"#;

/// A cancelled occurrence needed again is a new window under a new key (a new UID): its notice
/// files are named after that key, so the key is a valid file name. (It was `ID~2`, and the run
/// that planned the occurrence again stopped with exit 2: "cannot name a notice file".)
#[test]
fn an_occurrence_cancelled_then_needed_again_is_a_new_window_with_its_notices() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan_at(dir, NOW);
    let stack = dir.join("inventory/stacks/selfcare-portal-3.4.toml");
    let lock = dir.join("inventory/locks/portal.Cargo.lock");
    let before = (
        std::fs::read(&stack).unwrap(),
        std::fs::read(&lock).unwrap(),
    );
    upgrade_selfcare(dir);
    assert_eq!(
        issued(&plan_at(dir, NOW)),
        vec![notice("cancelled", SELFCARE, SELFCARE, 1)]
    );
    // The upgrade rolled back: the same occurrence is needed again.
    std::fs::write(&stack, &before.0).unwrap();
    std::fs::write(&lock, &before.1).unwrap();
    let again = plan_at(dir, NOW);
    let key = format!("{SELFCARE}.2");
    let got = issued(&again);
    assert!(
        got.contains(&notice("scheduled", SELFCARE, &key, 0)),
        "{got:?}"
    );
    let scheduled = (again["notices"].as_array().unwrap().iter())
        .find(|n| n["uid"] == format!("{key}@wispgate.example") && n["kind"] == "scheduled")
        .unwrap();
    let files = scheduled["files"].as_array().unwrap();
    assert!(!files.is_empty());
    for f in files {
        let f = f.as_str().unwrap();
        assert!(f.contains(&format!("/{key}.scheduled.")), "{f}");
        assert!(dir.join("out").join(f).is_file(), "{f}");
    }
    // Nothing new a second time.
    assert_eq!(issued(&plan_at(dir, NOW)), vec![]);
}

#[test]
fn replanning_issues_only_what_changed() {
    let tmp = example_copy();
    let dir = tmp.path();
    let first = plan_at(dir, NOW);
    let kinds: Vec<String> = issued(&first).into_iter().map(|n| n.0).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "scheduled").count(), 7);
    assert_eq!(kinds.iter().filter(|k| *k == "emergency").count(), 5);
    assert!(
        issued(&first)
            .iter()
            .all(|n| n.3 == 0 && n.2 == format!("{}@wispgate.example", n.1))
    );
    // The same inputs again: nothing to tell anyone.
    assert_eq!(issued(&plan_at(dir, NOW)), vec![]);

    // A new finding: express joins outback's window (a new service there) and the windows of
    // the detailed-disclosure customers whose lists of changes grow; andes (summary, same
    // services) hears nothing.
    std::fs::write(
        dir.join("inventory/advisories/WG-2026-031.toml"),
        EXPRESS_ADVISORY,
    )
    .unwrap();
    let got: BTreeSet<_> = issued(&plan_at(dir, NOW)).into_iter().collect();
    let want: BTreeSet<_> = [
        notice("scheduled", OUTBACK, OUTBACK, 1),
        notice(
            "scheduled",
            "iberia-conecta.martes-jueves.2026-11-03",
            "iberia-conecta.martes-jueves.2026-11-03",
            1,
        ),
        notice(
            "scheduled",
            "hudson-fiber.tue-thu-late.2026-11-03",
            "hudson-fiber.tue-thu-late.2026-11-03",
            1,
        ),
        notice(
            "scheduled",
            "hudson-fiber.sunday-early.2026-11-08",
            "hudson-fiber.sunday-early.2026-11-08",
            1,
        ),
    ]
    .into();
    // Each window announced again brings its reminders still ahead with it.
    let reminders: BTreeSet<_> = want
        .iter()
        .map(|n| notice("reminder", &n.1, &n.1, n.3))
        .collect();
    let want: BTreeSet<_> = want.union(&reminders).cloned().collect();
    assert_eq!(got, want);

    // Upgraded components: the self-care window has nothing left to do.
    upgrade_selfcare(dir);
    assert_eq!(
        issued(&plan_at(dir, NOW)),
        vec![notice("cancelled", SELFCARE, SELFCARE, 1)]
    );

    // A blackout over outback's announced window: it moves a week, same UID, SEQUENCE + 1.
    let customer = dir.join("inventory/customers/outback-wireless.toml");
    let mut text = std::fs::read_to_string(&customer).unwrap();
    text.push_str(
        "\n[[blackouts]]\nfrom = \"2026-11-01\"\nto = \"2026-11-01\"\nreason = \"Crane works\"\n",
    );
    std::fs::write(&customer, text).unwrap();
    let moved = plan_at(dir, NOW);
    assert_eq!(
        issued(&moved),
        vec![
            notice(
                "rescheduled",
                "outback-wireless.sunday-dawn.2026-11-08",
                OUTBACK,
                2
            ),
            // The reminder of the moved window, at its new time.
            notice(
                "reminder",
                "outback-wireless.sunday-dawn.2026-11-08",
                OUTBACK,
                2
            ),
        ]
    );
    let file = moved["notices"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f.as_str().unwrap().ends_with(".json"))
        .unwrap();
    let body: Value = serde_json::from_slice(
        &std::fs::read(dir.join("out").join(file.as_str().unwrap())).unwrap(),
    )
    .unwrap();
    assert_eq!(
        (body["kind"].as_str(), body["sequence"].as_u64()),
        (Some("rescheduled"), Some(2))
    );
    assert_eq!(body["uid"], format!("{OUTBACK}@wispgate.example"));
    assert_eq!(body["previous"]["start"], "2026-10-31T17:00:00Z");
    assert_eq!(body["window"]["start"], "2026-11-07T17:00:00Z");
    let text = std::fs::read_to_string(
        dir.join("out")
            .join(file.as_str().unwrap().replace(".json", ".txt")),
    )
    .unwrap();
    assert!(text.contains("8 November 2026"), "{text}");
}

#[test]
fn reminders_once_dry_run_records_nothing_missing_files_rewritten() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan_at(dir, NOW);
    let runs = |dir: &Path| {
        json(dir, &["history", "--format", "json"])["runs"]
            .as_array()
            .unwrap()
            .len()
    };
    // Reminders are issued with the window's announcement, to be sent at their time: outback's
    // 24h reminder goes out at 2026-10-30T17:00Z and is never issued again.
    let first = json(dir, &["history", "--format", "json"]);
    let reminder = |n: &&Value| n["kind"] == "reminder" && n["window"] == OUTBACK;
    let sent: Vec<&Value> = first["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(reminder)
        .collect();
    assert_eq!(sent.len(), 1, "{first:#}");
    let o = run_in(
        dir,
        &[
            "plan",
            "--now",
            "2026-10-30T18:00:00Z",
            "--dry-run",
            "--format",
            "json",
        ],
    );
    let dry: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        issued(&dry).iter().all(|n| n.0 != "reminder"),
        "{:?}",
        issued(&dry)
    );
    assert_eq!(runs(dir), 1, "a dry run records nothing");
    let again = plan_at(dir, "2026-10-30T19:00:00Z");
    assert!(
        issued(&again).iter().all(|n| n.0 != "reminder"),
        "{:?}",
        issued(&again)
    );
    // A notice file lost after it was recorded is written again by the next run.
    let lost = dir.join(format!(
        "out/notices/outback-wireless/{OUTBACK}.scheduled.txt"
    ));
    std::fs::remove_file(&lost).unwrap();
    plan_at(dir, "2026-10-30T19:00:00Z");
    assert!(lost.is_file());
}

/// Planned -> in_progress (its start passes) -> completed; planned -> failed, whose upgrades
/// return with their original deadlines; planned -> cancelled; no change after a final state.
#[test]
fn every_state_change_of_a_window() {
    let tmp = example_copy();
    let dir = tmp.path();
    let first = plan_at(dir, NOW);
    let deadline = |plan: &Value, id: &str| {
        plan["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()["deadline"]
            .clone()
    };
    let later = "2026-11-01T06:00:00Z"; // inside the self-care window, after outback's
    let mid = plan_at(dir, later);
    let state = |key: &str| {
        let h = json(dir, &["history", "--format", "json"]);
        h["windows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["key"] == key)
            .unwrap()["state"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(state(OUTBACK), "in_progress");
    assert_eq!(state(SELFCARE), "in_progress");
    // Its upgrades are held, not planned again, while it is in progress.
    let axios = "hudson-selfcare:axios:GHSA-x639-jrgf-8x3r";
    let held = mid["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == axios)
        .unwrap();
    assert_eq!(held["window"], Value::Null);
    let o = run_in(
        dir,
        &[
            "complete", OUTBACK, "--note", "all done", "--now", later, "--format", "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rec: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (rec["kind"].as_str(), rec["uid"].as_str()),
        (
            Some("completed"),
            Some(&*format!("{OUTBACK}@wispgate.example"))
        )
    );
    assert_eq!(state(OUTBACK), "completed");
    let o = run_in(
        dir,
        &[
            "complete", SELFCARE, "--failed", "--note", "rollback", "--now", later,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(state(SELFCARE), "failed");
    // The failed window's upgrade is planned again, with the deadline from its first sighting.
    let next = plan_at(dir, "2026-11-01T07:00:00Z");
    let back = next["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == axios)
        .unwrap();
    assert_ne!(back["window"], Value::Null);
    assert_eq!(deadline(&next, axios), deadline(&first, axios));
    // Final states do not change; unknown windows are named.
    let again = run_in(
        dir,
        &["complete", SELFCARE, "--now", "2026-11-01T07:00:00Z"],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already failed"),
        "{}",
        stderr(&again)
    );
    let unknown = run_in(dir, &["complete", "no-such-window"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("no window `no-such-window`"));
}

#[test]
fn a_cancelled_window_stays_cancelled() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan_at(dir, NOW);
    upgrade_selfcare(dir);
    plan_at(dir, NOW);
    let o = run_in(dir, &["complete", SELFCARE]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already cancelled"), "{}", stderr(&o));
}

#[test]
fn a_bad_ledger_is_refused_and_left_untouched() {
    let tmp = example_copy();
    let dir = tmp.path();
    let ledger = dir.join("bad.db");
    std::fs::write(
        &ledger,
        "this is not a database, just text that is long enough to look like a header",
    )
    .unwrap();
    let before = std::fs::read(&ledger).unwrap();
    for args in [
        &["plan", "--now", NOW][..],
        &["ledger", "check"],
        &["history"],
    ] {
        let o = run_in(dir, &[args, &["--ledger", "bad.db"]].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("not a patchplan ledger"),
            "{}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"));
    }
    assert_eq!(std::fs::read(&ledger).unwrap(), before);
    // A ledger from a newer patchplan.
    let o = run_in(
        dir,
        &["plan", "--now", NOW, "--quiet", "--ledger", "new.db"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let conn = rusqlite::Connection::open(dir.join("new.db")).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    drop(conn);
    let before = std::fs::read(dir.join("new.db")).unwrap();
    let o = run_in(dir, &["plan", "--now", NOW, "--ledger", "new.db"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("schema version 99 is newer"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(dir.join("new.db")).unwrap(), before);
}

#[test]
fn check_export_and_import_round_trip() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan_at(dir, NOW);
    plan_at(dir, "2026-10-30T18:00:00Z");
    let check = run_in(dir, &["ledger", "check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(stdout(&check).contains("ok (schema version 7)"));
    let export = run_in(dir, &["ledger", "export"]);
    assert_eq!(export.status.code(), Some(0));
    std::fs::write(dir.join("backup.json"), &export.stdout).unwrap();
    let o = run_in(
        dir,
        &["ledger", "import", "backup.json", "--ledger", "restored.db"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let again = run_in(dir, &["ledger", "export", "--ledger", "restored.db"]);
    assert_eq!(again.stdout, export.stdout);
    // The restored ledger plans like the original: nothing new to issue.
    let o = run_in(
        dir,
        &[
            "plan",
            "--now",
            "2026-10-30T18:00:00Z",
            "--ledger",
            "restored.db",
            "--format",
            "json",
        ],
    );
    assert_eq!(issued(&serde_json::from_slice(&o.stdout).unwrap()), vec![]);
    // Never over an existing ledger.
    let o = run_in(
        dir,
        &["ledger", "import", "backup.json", "--ledger", "restored.db"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already here"));
}

#[test]
fn two_plans_at_once_never_both_write() {
    let tmp = example_copy();
    let dir = tmp.path();
    // Output is piped, so that a refusal's message can be read below.
    let spawn = || {
        command(dir, &["plan", "--now", NOW, "--quiet"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for o in [&a, &b] {
        let ok = o.status.code() == Some(0)
            || (o.status.code() == Some(2)
                && stderr(o).contains("locked by another patchplan run"));
        assert!(ok, "{:?}: {}", o.status, stderr(o));
    }
    let h = json(dir, &["history", "--format", "json"]);
    let issued: usize = h["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["notices"].as_u64().unwrap() as usize)
        .sum();
    // The example's first plan: 12 windows and 12 reminders still ahead.
    assert_eq!((issued, h["notices"].as_array().unwrap().len()), (24, 24));
}

/// A larger inventory: the example plus `n` more environments of outback, each with components
/// that the example's advisories match.
fn grow(dir: &Path, n: usize) {
    std::fs::write(
        dir.join("inventory/advisories/WG-2026-031.toml"),
        EXPRESS_ADVISORY,
    )
    .unwrap();
    for i in 0..n {
        let env = format!(
            "id = \"gen-{i:04}\"\ncustomer = \"outback-wireless\"\nname = \"Generated {i}\"\nexposure = \"internal\"\ncriticality = \"low\"\nstacks = [\"wispgate-edge-7.2\"]\n\n[[components]]\nname = \"express\"\necosystem = \"npm\"\nversion = \"4.21.1\"\n"
        );
        std::fs::write(
            dir.join(format!("inventory/environments/gen-{i:04}.toml")),
            env,
        )
        .unwrap();
    }
}

/// kill -9 during plans at pseudo-random moments, then `ledger check` and a clean re-plan: the
/// ledger holds exactly what one uninterrupted run records, and every notice file is there.
#[test]
fn plans_killed_at_random_moments_leave_a_sound_ledger() {
    let reference = example_copy();
    grow(reference.path(), 150);
    let started = Instant::now();
    plan_at(reference.path(), NOW);
    let full = started.elapsed();
    let tmp = example_copy();
    let dir = tmp.path();
    grow(dir, 150);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        | 1;
    eprintln!("crash test seed {seed}, a full plan takes {full:?}");
    for _ in 0..6 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = Duration::from_millis((seed >> 33) % (full.as_millis() as u64 + 50));
        let mut child = command(dir, &["plan", "--now", NOW, "--quiet"])
            .spawn()
            .unwrap();
        std::thread::sleep(at);
        let _ = child.kill();
        let _ = child.wait();
    }
    let check = run_in(dir, &["ledger", "check"]);
    if check.status.code() == Some(2) {
        assert!(
            stderr(&check).contains("no ledger here"),
            "{}",
            stderr(&check)
        );
    } else {
        assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    }
    plan_at(dir, NOW);
    let notices = |dir: &Path| {
        let h = json(dir, &["history", "--format", "json"]);
        let all: BTreeSet<(String, String, u64, String)> = h["notices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["id"].as_str().unwrap().into(),
                    n["uid"].as_str().unwrap().into(),
                    n["sequence"].as_u64().unwrap(),
                    n["content_sha256"].as_str().unwrap().into(),
                )
            })
            .collect();
        all
    };
    assert_eq!(notices(dir), notices(reference.path()));
    let export = json(dir, &["ledger", "export"]);
    let contents: BTreeMap<&str, &str> = (export["tables"]["notice_contents"].as_array())
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["sha256"].as_str().unwrap(),
                c["content"].as_str().unwrap(),
            )
        })
        .collect();
    for f in export["tables"]["notice_files"].as_array().unwrap() {
        let path = dir.join("out").join(f["path"].as_str().unwrap());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            contents[f["content_sha256"].as_str().unwrap()]
        );
    }
    assert_eq!(run_in(dir, &["ledger", "check"]).status.code(), Some(0));
}

/// A first sighting: (environment, package, advisory, first seen).
type Sighting = (String, String, String, String);

/// Each first sighting in the ledger at `ledger` as (environment, package, advisory, first
/// seen), read from its export.
fn first_sightings(dir: &Path, ledger: &str) -> BTreeSet<Sighting> {
    let export = json(dir, &["ledger", "export", "--ledger", ledger]);
    let rows = |table: &str| export["tables"][table].as_array().unwrap().clone();
    let text = |v: &Value| v.as_str().unwrap().to_string();
    let envs: BTreeMap<i64, String> = (rows("sighting_envs").iter())
        .map(|e| (e["id"].as_i64().unwrap(), text(&e["name"])))
        .collect();
    let vulns: BTreeMap<i64, (String, String)> = (rows("sighting_vulns").iter())
        .map(|v| {
            let id = v["id"].as_i64().unwrap();
            (id, (text(&v["package"]), text(&v["advisory"])))
        })
        .collect();
    let mut all = BTreeSet::new();
    for s in rows("sightings") {
        let ids: Vec<i64> = serde_json::from_str(s["vulns"].as_str().unwrap()).unwrap();
        for id in ids {
            let (package, advisory) = vulns[&id].clone();
            let env = envs[&s["env"].as_i64().unwrap()].clone();
            all.insert((env, package, advisory, text(&s["first_seen"])));
        }
    }
    all
}

/// A re-plan that finds nothing new records no sighting, and one that finds something new
/// records only that, first seen at its own `now`: every earlier first sighting stays as it was.
#[test]
fn a_replan_records_only_the_sightings_it_had_not_seen() {
    let tmp = example_copy();
    let dir = tmp.path();
    let db = "inventory/.patchplan/ledger.db";
    plan_at(dir, NOW);
    let first = first_sightings(dir, db);
    assert!(!first.is_empty());
    let seen_at: BTreeSet<&str> = first.iter().map(|s| s.3.as_str()).collect();
    assert_eq!(seen_at.len(), 1, "{seen_at:?}");
    plan_at(dir, "2026-10-28T09:00:00Z");
    assert_eq!(first_sightings(dir, db), first);
    // The same components under a new environment id: each of its findings is new.
    let envs = dir.join("inventory/environments");
    let text = std::fs::read_to_string(envs.join("hudson-selfcare.toml")).unwrap();
    let copy = text.replacen("id = \"hudson-selfcare\"", "id = \"hudson-selfcare-b\"", 1);
    assert_ne!(copy, text);
    std::fs::write(envs.join("hudson-selfcare-b.toml"), copy).unwrap();
    let new = sightings_added(dir, db, &first, "2026-10-29T09:00:00Z", |s| {
        s.0 == "hudson-selfcare-b"
    });
    let vulns = |all: &BTreeSet<Sighting>, env: &str| -> BTreeSet<_> {
        (all.iter().filter(|s| s.0 == env))
            .map(|s| (s.1.clone(), s.2.clone()))
            .collect()
    };
    assert_eq!(
        vulns(&new, "hudson-selfcare-b"),
        vulns(&first, "hudson-selfcare")
    );
}

/// Plans at `now` and returns the sightings it added (those `is_new` picks), after checking
/// that there are some, that each was first seen at `now`, and that every sighting of `first`
/// (the ledger's before) is kept as it was.
fn sightings_added(
    dir: &Path,
    db: &str,
    first: &BTreeSet<Sighting>,
    now: &str,
    is_new: impl Fn(&Sighting) -> bool,
) -> BTreeSet<Sighting> {
    plan_at(dir, now);
    let (new, old): (BTreeSet<_>, BTreeSet<_>) =
        (first_sightings(dir, db).into_iter()).partition(|s| is_new(s));
    assert_eq!(&old, first);
    assert!(!new.is_empty());
    let day = now.trim_end_matches('Z');
    assert!(new.iter().all(|s| s.3.starts_with(day)), "{new:?}");
    new
}

/// A new advisory for a package that environments the ledger knows already have: each of them
/// records the new vulnerability, first seen at the run that found it, and keeps the rest.
#[test]
fn a_replan_records_a_new_advisory_in_known_environments() {
    let tmp = example_copy();
    let dir = tmp.path();
    let db = "inventory/.patchplan/ledger.db";
    plan_at(dir, NOW);
    let first = first_sightings(dir, db);
    let osv = dir.join("inventory/feeds/osv");
    let old = "GHSA-x639-jrgf-8x3r";
    let record = std::fs::read_to_string(osv.join(format!("{old}.json"))).unwrap();
    let new = "GHSA-2222-3333-4444";
    std::fs::write(osv.join(format!("{new}.json")), record.replace(old, new)).unwrap();
    let found = sightings_added(dir, db, &first, "2026-10-29T09:00:00Z", |s| s.2 == new);
    let had = |all: &BTreeSet<Sighting>, advisory: &str| -> BTreeSet<_> {
        (all.iter().filter(|s| s.2 == advisory))
            .map(|s| (s.0.clone(), s.1.clone()))
            .collect()
    };
    assert_eq!(had(&found, new), had(&first, old));
}

/// A ledger that patchplan wrote at schema version 3 (a row per finding id, each notice file
/// with its content) is migrated by the next plan: every first sighting survives, a Maven
/// package keeps the `:` in its name, deadlines still count from the first sighting, and the
/// notice files are rewritten from the migrated contents.
#[test]
fn a_version_3_ledger_keeps_its_first_sightings_and_notice_files() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan_at(dir, NOW);
    let db = dir.join("inventory/.patchplan/ledger.db");
    std::fs::copy(&db, dir.join("v4.db")).unwrap();
    let mut before = first_sightings(dir, "v4.db");
    assert!(!before.is_empty());
    crate::common::as_older_ledger(&db, 3);
    let maven = "hudson-prod:org.apache.logging.log4j:log4j-core:GHSA-jfh8-c2jp-5v3q";
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "INSERT INTO findings VALUES (?1, '2026-10-20T09:00:00Z', 1, 1)",
        [maven],
    )
    .unwrap();
    drop(conn);
    before.insert((
        "hudson-prod".into(),
        "org.apache.logging.log4j:log4j-core".into(),
        "GHSA-jfh8-c2jp-5v3q".into(),
        "2026-10-20T09:00:00Z".into(),
    ));
    std::fs::remove_dir_all(dir.join("out")).unwrap();
    let later = "2026-11-20T09:00:00Z";
    let migrated = plan_at(dir, later);
    assert_eq!(
        first_sightings(dir, "inventory/.patchplan/ledger.db"),
        before
    );
    let check = run_in(dir, &["ledger", "check"]);
    assert!(
        stdout(&check).contains("ok (schema version 7)"),
        "{}",
        stderr(&check)
    );
    // The same plan as from the ledger that was never migrated, and not the plan of a first
    // sighting now.
    let plan_with = |ledger: &str, out: &str| {
        let args = [
            "plan", "--now", later, "--quiet", "--ledger", ledger, "--out", out,
        ];
        let o = run_in(dir, &args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        crate::common::read_plan(&dir.join(out).join("plan.json"))
    };
    let deadlines = |plan: &Value| -> BTreeMap<String, Value> {
        (plan["findings"].as_array().unwrap().iter())
            .map(|f| (f["id"].as_str().unwrap().to_string(), f["deadline"].clone()))
            .collect()
    };
    let unmigrated = plan_with("v4.db", "out-v4");
    assert_eq!(deadlines(&migrated), deadlines(&unmigrated));
    assert_ne!(
        deadlines(&migrated),
        deadlines(&plan_with("fresh.db", "out-fresh"))
    );
    let notices = dir.join("out/notices");
    let mut compared = 0;
    for customer in std::fs::read_dir(dir.join("out-v4/notices")).unwrap() {
        for file in std::fs::read_dir(customer.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let rel = path.strip_prefix(dir.join("out-v4/notices")).unwrap();
            assert_eq!(
                std::fs::read(notices.join(rel)).unwrap(),
                std::fs::read(&path).unwrap(),
                "{}",
                rel.display()
            );
            compared += 1;
        }
    }
    assert!(compared > 10, "{compared} notice files");
}

/// How many values of `column` of `table` the ledger at `db` stores as each SQLite type.
fn stored_types(db: &Path, table: &str, column: &str) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let sql = format!("SELECT typeof({column}), count(*) FROM {table} GROUP BY 1");
    conn.prepare(&sql)
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The example's plan a week on, with `ledger` and into `out`: its stdout.
fn plan_a_week_on(dir: &Path, ledger: &str, out: &str) -> String {
    let args = [
        "plan",
        "--now",
        "2026-11-04T09:00:00Z",
        "--quiet",
        "--ledger",
        ledger,
        "--out",
        out,
    ];
    let o = run_in(dir, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

/// The example's ledger checks out, at the current schema version.
fn assert_current_ledger(dir: &Path) {
    let check = run_in(dir, &["ledger", "check"]);
    assert!(
        stdout(&check).contains("ok (schema version 7)"),
        "{}",
        stderr(&check)
    );
}

/// The same files, byte for byte, under `a` and `b` (and more than a handful).
fn assert_same_files(a: &Path, b: &Path) {
    let (a, b) = (tree(a), tree(b));
    assert!(a.len() > 20, "{} files", a.len());
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    for ((name, v), (_, w)) in a.iter().zip(&b) {
        assert!(v == w, "{name} differs");
    }
}

/// A ledger at schema version 4 (window snapshots as text) is migrated by the next plan: its
/// snapshots are compressed, and the plan, its notices and its report are those of the ledger
/// that was never at version 4.
#[test]
fn a_version_4_ledger_has_its_window_snapshots_compressed() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan_at(dir, NOW);
    let db = dir.join("inventory/.patchplan/ledger.db");
    std::fs::copy(&db, dir.join("v5.db")).unwrap();
    crate::common::as_version_4_ledger(&db);
    let windows = stored_types(&db, "windows", "snapshot");
    assert!(
        matches!(&windows[..], [(t, n)] if t == "text" && *n > 5),
        "{windows:?}"
    );
    let migrated = plan_a_week_on(dir, db.to_str().unwrap(), "out-v4");
    assert_current_ledger(dir);
    let after = stored_types(&db, "windows", "snapshot");
    assert!(
        matches!(&after[..], [(t, n)] if t == "blob" && *n >= windows[0].1),
        "{after:?}"
    );
    assert_eq!(migrated, plan_a_week_on(dir, "v5.db", "out-v5"));
    assert_same_files(&dir.join("out-v4"), &dir.join("out-v5"));
}

/// A ledger at schema version 5 (notice contents zlib-compressed) is migrated by the next plan
/// and reads as before: its compressed contents stay and still read (`ledger export`, `ledger
/// check`, a deleted notice file written back from one), the plan's new notices are stored as
/// text, and the plan, its notices and its report are those of the ledger never at version 5.
#[test]
fn a_version_5_ledger_keeps_its_compressed_notice_contents() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan_at(dir, NOW);
    let db = dir.join("inventory/.patchplan/ledger.db");
    std::fs::copy(&db, dir.join("v6.db")).unwrap();
    let contents = |db: &Path| -> BTreeMap<String, String> {
        let o = run_in(dir, &["ledger", "export", "--ledger", db.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let export: Value = serde_json::from_str(&stdout(&o)).unwrap();
        (export["tables"]["notice_contents"]
            .as_array()
            .unwrap()
            .iter())
        .map(|c| {
            let text = c["content"].as_str().unwrap().to_string();
            (c["sha256"].as_str().unwrap().to_string(), text)
        })
        .collect()
    };
    let types = |db: &Path| stored_types(db, "notice_contents", "content");
    let written = contents(&db);
    assert!(written.len() > 10, "{} contents", written.len());
    assert!(
        matches!(&types(&db)[..], [(t, n)] if t == "text" && *n as usize == written.len()),
        "{:?}",
        types(&db)
    );
    crate::common::as_version_5_ledger(&db);
    assert!(
        matches!(&types(&db)[..], [(t, _)] if t == "blob"),
        "{:?}",
        types(&db)
    );
    // A notice file lost from the output is written back from its compressed content.
    let lost = tree(&dir.join("out/notices"))[0].clone();
    std::fs::remove_file(dir.join("out/notices").join(&lost.0)).unwrap();
    let migrated = plan_a_week_on(dir, db.to_str().unwrap(), "out");
    assert_current_ledger(dir);
    assert_eq!(
        std::fs::read(dir.join("out/notices").join(&lost.0)).unwrap(),
        lost.1
    );
    let after = contents(&db);
    assert!(written.iter().all(|(k, v)| after.get(k) == Some(v)));
    let new = after.len() - written.len();
    assert!(new > 0, "the later plan issued no notice");
    let after_types = types(&db);
    assert!(
        after_types.contains(&("text".to_string(), new as i64)),
        "{after_types:?}"
    );
    assert_eq!(migrated, plan_a_week_on(dir, "v6.db", "out-v6"));
    assert_eq!(after, contents(&dir.join("v6.db")));
    assert_same_files(&dir.join("out"), &dir.join("out-v6"));
}

/// A ledger at schema version 6 (window snapshots without their hashes) is migrated by the next
/// plan: every snapshot gets the SHA-256 of its JSON, `ledger check` finds them all right, and
/// the plan, its notices and its report are those of the ledger never at version 6. A hash
/// changed by hand is damage `ledger check` names (exit 2).
#[test]
fn a_version_6_ledger_has_its_window_snapshots_hashed() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan_at(dir, NOW);
    let db = dir.join("inventory/.patchplan/ledger.db");
    std::fs::copy(&db, dir.join("v7.db")).unwrap();
    crate::common::as_version_6_ledger(&db);
    let migrated = plan_a_week_on(dir, db.to_str().unwrap(), "out-v6");
    assert_current_ledger(dir);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let hashes: Vec<(Vec<u8>, String)> = conn
        .prepare("SELECT snapshot, snapshot_sha256 FROM windows")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(hashes.len() > 5, "{} windows", hashes.len());
    for (snapshot, sha256) in &hashes {
        let json = patchplan::ledger::contents::inflate(snapshot).unwrap();
        assert_eq!(*sha256, patchplan::digest::sha256_hex(json.as_bytes()));
    }
    assert_eq!(migrated, plan_a_week_on(dir, "v7.db", "out-v7"));
    assert_same_files(&dir.join("out-v6"), &dir.join("out-v7"));
    let changed = conn
        .execute(
            "UPDATE windows SET snapshot_sha256 = ?1 WHERE key = ?2",
            [&patchplan::digest::sha256_hex(b"another window"), OUTBACK],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let check = run_in(dir, &["ledger", "check"]);
    assert_eq!(check.status.code(), Some(2), "{}", stderr(&check));
    let said = stderr(&check);
    assert!(
        said.contains(&format!(
            "window {OUTBACK}: its snapshot does not have the SHA-256"
        )),
        "{said}"
    );
}

/// A re-plan at the same instant finds nothing new: it records its run, and no first sighting
/// and no window (a fleet's are millions of findings and tens of MB of window snapshots).
#[test]
fn a_replan_with_nothing_new_writes_only_its_run() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan_at(dir, NOW);
    // The run's log is copied into the database (beside the run's last steps, then at the
    // close) and removed: the ledger is one file between runs.
    let db = dir.join("inventory/.patchplan/ledger.db");
    assert!(db.is_file());
    assert!(!dir.join("inventory/.patchplan/ledger.db-wal").exists());
    let before = json(dir, &["ledger", "export"]);
    plan_at(dir, NOW);
    let after = json(dir, &["ledger", "export"]);
    let tables = |e: &Value| e["tables"].as_object().unwrap().clone();
    for (table, rows) in tables(&after) {
        match table.as_str() {
            "runs" => assert_eq!(rows.as_array().unwrap().len(), 2),
            _ => assert_eq!(rows, before["tables"][&table], "{table}"),
        }
    }
    let windows = after["tables"]["windows"].as_array().unwrap();
    assert!(!windows.is_empty());
    assert!(windows.iter().all(|w| w["updated_run"] == 1));
}

/// A re-plan reads most announced windows from their rows (id, times, the environments their
/// facts name) and their snapshots only when it needs them. A row whose facts name no
/// environments (written by hand, or imported) is read from its snapshot instead: the window is
/// compared as before, and only the facts that changed are announced again.
#[test]
fn a_window_whose_facts_name_no_environments_is_read_from_its_snapshot() {
    let tmp = example_copy();
    let dir = tmp.path();
    plan_at(dir, NOW);
    let db = dir.join("inventory/.patchplan/ledger.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let changed = conn
        .execute("UPDATE windows SET facts = '{}' WHERE key = ?1", [OUTBACK])
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let got: BTreeSet<_> = issued(&plan_at(dir, NOW)).into_iter().collect();
    let want: BTreeSet<_> = [
        notice("scheduled", OUTBACK, OUTBACK, 1),
        notice("reminder", OUTBACK, OUTBACK, 1),
    ]
    .into();
    assert_eq!(got, want);
    // Its facts are whole again, and the next plan has nothing to say.
    assert_eq!(issued(&plan_at(dir, NOW)), vec![]);
}

/// A customer removed from the inventory: the cancellations of its windows cannot be rendered,
/// so they are not issued (a warning each), and the run's ledger row counts only the notices it
/// issued. (The run is recorded while its notices render, so that count is set once they have.)
#[test]
fn notices_of_a_customer_who_left_are_not_issued_nor_counted() {
    let tmp = example_copy();
    let dir = tmp.path();
    let first = plan_at(dir, NOW);
    let inv = dir.join("inventory");
    std::fs::remove_file(inv.join("customers/hudson-fiber.toml")).unwrap();
    for env in ["hudson-prod", "hudson-selfcare", "hudson-staging"] {
        std::fs::remove_file(inv.join(format!("environments/{env}.toml"))).unwrap();
    }
    let moved = r#"environments = ["andes-prod"]"#;
    crate::common::edit(
        &inv.join("overrides.toml"),
        r#"environments = ["hudson-selfcare"]"#,
        moved,
    );
    let vex = inv.join("vex/wispgate-psirt.openvex.json");
    crate::common::edit(
        &vex,
        r#""@id": "hudson-selfcare""#,
        r#""@id": "andes-prod""#,
    );
    let o = run_in(dir, &["plan", "--now", "2026-10-28T09:00:00Z"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let not_issued = (stderr(&o).lines())
        .filter(|l| l.contains("customer `hudson-fiber` is no longer in the inventory: notice"))
        .count();
    assert!(not_issued > 0, "{}", stderr(&o));
    let again = crate::common::read_plan(&dir.join("out/plan.json"));
    let issued = again["notices"].as_array().unwrap().len() as u64;
    assert!(
        !(again["notices"].as_array().unwrap().iter()).any(|n| n["customer"] == "hudson-fiber")
    );
    let export = json(dir, &["ledger", "export"]);
    let runs = export["tables"]["runs"].as_array().unwrap();
    let counts: Vec<u64> = runs
        .iter()
        .map(|r| r["notices"].as_u64().unwrap())
        .collect();
    let first_issued = first["notices"].as_array().unwrap().len() as u64;
    assert_eq!(counts, [first_issued, issued]);
}

/// The run records its inventory's hash; plan output written inside the inventory is not part
/// of it. (It was: the second run hashed the first one's plan.json and notices, and could read
/// the inventory while the earlier run's leftovers there were being deleted.)
#[test]
fn output_inside_the_inventory_is_not_part_of_its_hash() {
    let tmp = example_copy();
    let dir = tmp.path();
    let hashes = |dir: &Path| -> Vec<String> {
        let h = json(dir, &["history", "--format", "json"]);
        let runs = h["runs"].as_array().unwrap();
        runs.iter()
            .map(|r| r["inventory_sha256"].as_str().unwrap().to_string())
            .collect()
    };
    let plan = |now: &str, out: &str| {
        let o = run_in(dir, &["plan", "--now", now, "--quiet", "--out", out]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    };
    plan(NOW, "out");
    let outside = hashes(dir);
    plan("2026-10-28T09:00:00Z", "inventory/out");
    plan("2026-10-29T09:00:00Z", "./inventory/../inventory/out");
    assert!(dir.join("inventory/out/plan.json").is_file());
    let runs = hashes(dir);
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert_eq!(outside[0].len(), 64, "{outside:?}");
    assert!(runs.iter().all(|h| *h == outside[0]), "{runs:?}");
}
