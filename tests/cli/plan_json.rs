//! plan.json is `patchplan.plan/v2`: what findings share (advisories, assessments, placements,
//! environments) is written once and every finding row refers to it; rows are one per line; a
//! dry run prints the very document a run writes; and the README's `jq` examples work on it.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

use crate::common::{NOW, example_copy, run_in, stderr, stdout};

/// The README's jq examples, run as shown (a test below checks the README holds them verbatim).
const ACT_OF_CUSTOMER: &str = r#".advisories as $a | .findings[] | select(.customer == "andes-telecom" and .decision == "act") | {id, window, summary: $a[.advisory].summary}"#;
const WINDOWS_OF_ENVIRONMENT: &str =
    r#".windows[] | select(.environments | index("andes-prod")) | {id, kind, start, "end": .end}"#;

/// Plans the example in `dir` (fresh ledger) and returns plan.json as written.
fn planned(dir: &std::path::Path) -> (String, Value) {
    let o = run_in(dir, &["plan", "--now", NOW, "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.join("out/plan.json")).unwrap();
    let v = serde_json::from_str(&text).expect("plan.json is JSON");
    (text, v)
}

#[test]
fn plan_json_holds_shared_parts_once_and_findings_as_rows() {
    let tmp = example_copy();
    let (text, plan) = planned(tmp.path());
    assert_eq!(plan["schema"], "patchplan.plan/v2");
    let advisories = plan["advisories"].as_object().expect("advisories");
    let assessments = plan["assessments"].as_object().expect("assessments");
    let placements = plan["placements"].as_array().expect("placements");
    let environments = plan["environments"].as_object().expect("environments");
    let findings = plan["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    let (mut used_adv, mut used_assessment) = (BTreeSet::new(), BTreeSet::new());
    for f in findings {
        for key in [
            "id",
            "environment",
            "customer",
            "ecosystem",
            "package",
            "version",
            "advisory",
            "fixed",
            "decision",
            "deadline",
            "score",
            "emergency",
            "window",
            "status",
            "unscheduled_reason",
            "assessment",
            "placement",
        ] {
            assert!(f.get(key).is_some(), "finding lacks `{key}`: {f}");
        }
        let id = format!(
            "{}:{}:{}",
            f["environment"].as_str().unwrap(),
            f["package"].as_str().unwrap(),
            f["advisory"].as_str().unwrap()
        );
        assert_eq!(f["id"], id.as_str());
        // Each reference resolves, and the row's ranking is its assessment's.
        let adv = f["advisory"].as_str().unwrap();
        assert!(advisories.contains_key(adv), "{adv} is listed");
        used_adv.insert(adv.to_string());
        let key = f["assessment"].as_u64().expect("a number").to_string();
        let a = &assessments[&key];
        for same in ["decision", "deadline", "score"] {
            assert_eq!(f[same], a[same], "{same} of {id} is its assessment's");
        }
        used_assessment.insert(key);
        if let Some(p) = f["placement"].as_u64() {
            assert!((p as usize) < placements.len(), "{id}'s placement exists");
        } else {
            assert!(
                f["window"].is_null() && f["status"] != "open"
                    || f["unscheduled_reason"].is_string(),
                "{f}"
            );
        }
        let env = &environments[f["environment"].as_str().unwrap()];
        assert_eq!(env["customer"], f["customer"], "{id}");
    }
    // Written once: every advisory and assessment listed is one a finding refers to.
    assert_eq!(used_adv.len(), advisories.len());
    assert_eq!(used_assessment.len(), assessments.len());
    assert!(assessments.len() < findings.len(), "assessments are shared");
    for a in advisories.values() {
        assert!(a["aliases"].is_array() && a["summary"].is_string(), "{a}");
        assert!(!a["records"].as_array().unwrap().is_empty(), "{a}");
    }
    // One finding per line, in plan order.
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("{\"id\":")).collect();
    assert_eq!(rows.len(), findings.len());
    for (row, f) in rows.iter().zip(findings) {
        let parsed: Value = serde_json::from_str(row.trim_end_matches(',')).unwrap();
        assert_eq!(&parsed, f);
    }
}

#[test]
fn a_dry_run_prints_the_document_a_run_writes() {
    let tmp = example_copy();
    let o = run_in(
        tmp.path(),
        &["plan", "--now", NOW, "--dry-run", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dry = stdout(&o);
    let (written, _) = planned(tmp.path());
    assert_eq!(dry, written);
    // And the same inputs give the same bytes.
    let again = example_copy();
    assert_eq!(planned(again.path()).0, written);
}

/// Everything before the findings is padded with spaces to a multiple of 4,096 bytes (a
/// fleet's findings are written while its start is made, and put after it in whole blocks);
/// the padding is whitespace after the windows, and less than a block.
#[test]
fn the_findings_start_at_a_multiple_of_4096_bytes() {
    let tmp = example_copy();
    let (text, plan) = planned(tmp.path());
    let at = text.find(",\n\"findings\": [").unwrap();
    assert_eq!(at % 4096, 0, "{at}");
    let start = text[..at].trim_end_matches(' ');
    assert!(start.ends_with(']'), "{}", &start[start.len() - 40..]);
    assert!(at - start.len() < 4096);
    assert!(start.contains("\n\"windows\": ["));
    assert!(!plan["findings"].as_array().unwrap().is_empty());
}

/// Under a file size limit (`ulimit -f`: 2 GB here), a run writes its plan in order, not in two
/// parts far into the file (a write past the limit would end the process with SIGXFSZ): the
/// same document as without the limit.
#[cfg(unix)]
#[test]
fn a_file_size_limit_is_kept_to() {
    let tmp = example_copy();
    let (free, _) = planned(tmp.path());
    let limited = example_copy();
    let o = Command::new("sh")
        .args(["-c", "ulimit -f 2000000 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_patchplan"))
        .args(["--ledger", "limited.db", "plan", "--now", NOW, "--quiet"])
        .current_dir(limited.path())
        .env("NO_COLOR", "1")
        .env_remove("PATCHPLAN_INVENTORY")
        .env(
            "PATCHPLAN_CACHE_DIR",
            crate::common::root().join("target/test-cache"),
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{:?} {}", o.status, stderr(&o));
    let written = std::fs::read_to_string(limited.path().join("out/plan.json")).unwrap();
    assert_eq!(written, free);
}

fn jq(filter: &str, plan: &std::path::Path) -> Vec<Value> {
    let o = Command::new("jq")
        .args(["-c", filter])
        .arg(plan)
        .output()
        .expect("jq runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_readme_jq_examples_work() {
    let readme = std::fs::read_to_string(crate::common::root().join("README.md")).unwrap();
    for filter in [ACT_OF_CUSTOMER, WINDOWS_OF_ENVIRONMENT] {
        assert!(
            readme.contains(&format!("jq '{filter}' out/plan.json")),
            "README shows `{filter}`"
        );
    }
    let have = Command::new("jq")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            std::env::var("PATCHPLAN_REQUIRE_SHARED").as_deref() != Ok("1"),
            "plan_json::the_readme_jq_examples_work: jq is not installed and PATCHPLAN_REQUIRE_SHARED=1"
        );
        eprintln!(
            "skipped plan_json::the_readme_jq_examples_work: jq not found (apt-get install jq; .ci/run does)"
        );
        return;
    }
    let tmp = example_copy();
    let (_, raw) = planned(tmp.path());
    let path = tmp.path().join("out/plan.json");
    let view = crate::common::plan_view(raw.clone());
    // All act findings of one customer, with their advisory's summary.
    let expected: Vec<Value> = (view["findings"].as_array().unwrap().iter())
        .filter(|f| f["customer"] == "andes-telecom" && f["decision"] == "act")
        .map(|f| serde_json::json!({"id": f["id"], "window": f["window"], "summary": f["summary"]}))
        .collect();
    assert!(
        !expected.is_empty(),
        "the example has act findings at andes-telecom"
    );
    assert_eq!(jq(ACT_OF_CUSTOMER, &path), expected);
    // Every window of one environment.
    let expected: Vec<Value> = (raw["windows"].as_array().unwrap().iter())
        .filter(|w| w["environments"].as_array().unwrap().iter().any(|e| e == "andes-prod"))
        .map(|w| serde_json::json!({"id": w["id"], "kind": w["kind"], "start": w["start"], "end": w["end"]}))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(jq(WINDOWS_OF_ENVIRONMENT, &path), expected);
}

/// plan.json is written while the run records itself: a run that fails after the plan is made
/// (here, its notice files cannot be written) leaves the previous plan.json as it was, and no
/// half-written one beside it.
#[test]
fn a_run_that_fails_keeps_the_previous_plan_json() {
    let tmp = example_copy();
    let (before, _) = planned(tmp.path());
    let notices = tmp.path().join("out/notices");
    std::fs::remove_dir_all(&notices).unwrap();
    std::fs::write(&notices, "not a directory").unwrap();
    // A new ledger, so every notice is issued again and has to be written; a day later, so the
    // plan differs from the one written before.
    let later = "2026-10-28T09:00:00Z";
    assert_ne!(later, NOW);
    let o = run_in(
        tmp.path(),
        &["--ledger", "other.db", "plan", "--now", later, "--quiet"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("notices"), "{}", stderr(&o));
    let after = std::fs::read_to_string(tmp.path().join("out/plan.json")).unwrap();
    assert!(after == before, "plan.json was replaced by a failed run");
    let left: Vec<_> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!left.iter().any(|n| n.contains("tmp")), "{left:?}");
}

/// A run killed while writing plan.json leaves its temporary file: the next run deletes it once
/// its process is gone and it has not been written for ten minutes, and leaves a live run's (or
/// a recent one) alone. A small plan replaced is not kept beside the new one.
#[test]
fn the_next_run_deletes_what_a_killed_run_left() {
    let tmp = example_copy();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    // Above the kernel's largest process id (2^22): no process has it.
    let killed = out.join("plan.json.4194999.tmp");
    std::fs::write(&killed, "{\"schema\": \"patchplan.pl").unwrap();
    let f = std::fs::File::options().write(true).open(&killed).unwrap();
    f.set_modified(long_ago).unwrap();
    drop(f);
    let recent = out.join("plan.json.4194998.tmp");
    std::fs::write(&recent, "{").unwrap();
    // A process that is alive (this test) keeps its file, however long untouched.
    let live = out.join(format!("plan.json.{}.tmp", std::process::id()));
    std::fs::write(&live, "{").unwrap();
    let f = std::fs::File::options().write(true).open(&live).unwrap();
    f.set_modified(long_ago).unwrap();
    drop(f);
    planned(tmp.path());
    planned(tmp.path());
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    if cfg!(target_os = "linux") {
        assert!(!killed.exists(), "{left:?}");
    }
    assert!(recent.exists(), "{left:?}");
    assert!(live.exists(), "{left:?}");
    assert!(!left.iter().any(|n| n.ends_with(".old")), "{left:?}");
}
