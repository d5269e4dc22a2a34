//! `patchplan windows`, window rules that cannot work, and `[[pins]]`: the DST change in the
//! example, blackouts marked, and each bad window or pin reported at its place with exit 2.

use std::path::Path;

use serde_json::Value;

use crate::common::{NOW, edit, example_copy, position, run, run_in, stderr, stdout};

fn json(out: &std::process::Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn windows_shows_new_yorks_dst_change_inside_a_window() {
    let out = run(&[
        "--now",
        NOW,
        "windows",
        "hudson-fiber",
        "--next",
        "6",
        "--format",
        "json",
    ]);
    let report = json(&out);
    assert_eq!(report["schema"], "patchplan.windows/v1");
    assert_eq!(report["customer"], "hudson-fiber");
    let occ = report["occurrences"].as_array().unwrap();
    assert_eq!(occ.len(), 6);
    let sunday = |date: &str| {
        occ.iter()
            .find(|o| {
                o["window"] == "sunday-early"
                    && o["local_start"].as_str().unwrap().starts_with(date)
            })
            .unwrap_or_else(|| panic!("no sunday-early on {date}: {report:#}"))
            .clone()
    };
    // 01:30 on the night clocks fall back is ambiguous: the first (EDT) is taken, and the three
    // hours are elapsed time, so the window ends at 03:30 EST.
    let first = sunday("2026-11-01");
    assert_eq!(first["local_start"], "2026-11-01T01:30-04:00");
    assert_eq!(
        (first["start"].as_str(), first["end"].as_str()),
        (Some("2026-11-01T05:30:00Z"), Some("2026-11-01T08:30:00Z"))
    );
    assert_eq!(first["utc_offset"], "-04:00");
    let next = sunday("2026-11-08");
    assert_eq!(next["start"], "2026-11-08T06:30:00Z");
    assert_eq!(next["utc_offset"], "-05:00");
}

#[test]
fn windows_marks_blackouts_and_rejects_unknown_customers() {
    let from = [
        "windows",
        "andes-telecom",
        "--from",
        "2026-11-28T00:00:00Z",
        "--next",
        "3",
        "--format",
        "json",
    ];
    let report = json(&run(&from));
    let blocked: Vec<&Value> = report["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| !o["blocked_by"].is_null())
        .collect();
    assert!(!blocked.is_empty(), "{report:#}");
    assert_eq!(
        blocked[0]["blocked_by"]["reason"],
        "Cyberlunes: pico de tráfico de comercio electrónico"
    );
    assert_eq!(blocked[0]["blocked_by"]["hard"], false);
    let table = run(&[
        "--now",
        NOW,
        "windows",
        "andes-telecom",
        "--from",
        "2026-11-28T00:00:00Z",
        "--next",
        "3",
    ]);
    assert!(
        stdout(&table).contains("Cyberlunes") && stdout(&table).contains("(soft)"),
        "{}",
        stdout(&table)
    );
    let unknown = run(&["windows", "nobody"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("no customer `nobody`; the customers are: andes-telecom"),
        "{}",
        stderr(&unknown)
    );
}

/// Replaces `from` with `to` in a copy of the example's `file`, then expects `validate` to fail
/// with `message` at the position of `at`.
fn rejects(file: &str, from: &str, to: &str, at: &str, message: &str) {
    let tmp = example_copy();
    let path = tmp.path().join("inventory").join(file);
    edit(&path, from, to);
    let out = run_in(tmp.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let want = format!("inventory/{file}:{}: {message}", position(&path, at));
    assert!(
        stderr(&out).contains(&want),
        "`{want}` not in:\n{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
}

const ANDES: &str = "customers/andes-telecom.toml";
const RULE: &str = "rrule = \"FREQ=WEEKLY;BYDAY=SU\"";

#[test]
fn an_rrule_with_an_unknown_part_is_an_error() {
    let bad = "rrule = \"FREQ=WEEKLY;BYDAY=SU;BYHOUR=2\"";
    rejects(
        ANDES,
        RULE,
        bad,
        "\"FREQ=WEEKLY;BYDAY=SU;BYHOUR=2\"",
        "invalid RRULE: unsupported RRULE part `BYHOUR`",
    );
}

#[test]
fn an_rrule_that_never_occurs_is_an_error() {
    let bad = "rrule = \"FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2\"";
    rejects(
        ANDES,
        RULE,
        bad,
        "\"FREQ=MONTHLY;BYMONTHDAY=31",
        "this RRULE gives no date in the 10 years from 2026-01-01",
    );
}

#[test]
fn a_window_longer_than_its_interval_is_an_error() {
    let (tmp, path) = with_window(RULE, "8d");
    let out = run_in(tmp.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let want = "the window lasts 8d, longer than the 7d between its occurrences at 2026-01-04 02:00 and 2026-01-11 02:00: they would overlap";
    assert!(stderr(&out).contains(want), "{}", stderr(&out));
    let at = format!(
        "inventory/{ANDES}:{}: the window",
        position(&path, "\"8d\"")
    );
    assert!(stderr(&out).contains(&at), "{}", stderr(&out));
}

/// Occurrences years apart: the overlap of the first two is found although the second falls
/// past the two years whose occurrences are compared (the rule is then expanded in full).
#[test]
fn a_window_longer_than_years_between_its_occurrences_is_an_error() {
    let (tmp, _) = with_window("rrule = \"FREQ=MONTHLY;INTERVAL=36;BYMONTHDAY=4\"", "1200d");
    let out = run_in(tmp.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let want = "the window lasts 1200d, longer than the 1096d between its occurrences at 2026-01-04 02:00 and 2029-01-04 02:00: they would overlap";
    assert!(stderr(&out).contains(want), "{}", stderr(&out));
}

/// A copy of the example whose andes window has rule line `rule` and lasts `duration`; the
/// copy and the customer file's path.
fn with_window(rule: &str, duration: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = example_copy();
    let path = tmp.path().join("inventory").join(ANDES);
    let text = std::fs::read_to_string(&path).unwrap();
    let at = text.find(RULE).unwrap();
    let start = at + text[at..].find("duration = \"").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    let edited = format!(
        "{}duration = \"{duration}\"{}",
        &text[..start],
        &text[end..]
    );
    std::fs::write(&path, edited.replacen(RULE, rule, 1)).unwrap();
    (tmp, path)
}

/// Appends `pin` to a copy of the example's overrides.toml.
fn with_pin(pin: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = example_copy();
    let overrides = tmp.path().join("inventory/overrides.toml");
    let mut text = std::fs::read_to_string(&overrides).unwrap();
    text.push_str(pin);
    std::fs::write(&overrides, text).unwrap();
    (tmp, overrides)
}

fn pin(env: &str, component: &str, window: &str, date: &str) -> String {
    format!(
        "\n[[pins]]\nenvironment = \"{env}\"\ncomponent = \"{component}\"\nwindow = \"{window}\"\ndate = \"{date}\"\nreason = \"batched with the portal release\"\n"
    )
}

#[test]
fn a_pin_to_an_occurrence_that_does_not_exist_is_an_error() {
    let (tmp, overrides) = with_pin(&pin("andes-prod", "axios", "sunday-early", "2026-11-17"));
    let out = run_in(tmp.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let want = format!(
        "inventory/overrides.toml:{}: window `sunday-early` has no occurrence on 2026-11-17 (Tue); the nearest: 2026-11-15 (Sun), 2026-11-22 (Sun)",
        position(&overrides, "\"2026-11-17\"")
    );
    assert!(
        stderr(&out).contains(&want),
        "`{want}` not in:\n{}",
        stderr(&out)
    );
    let (tmp, overrides) = with_pin(&pin("andes-prod", "axios", "martes-jueves", "2026-11-19"));
    let out = run_in(tmp.path(), &["validate"]);
    let want = format!(
        "inventory/overrides.toml:{}: environment `andes-prod` does not use window `martes-jueves`",
        position(&overrides, "\"martes-jueves\"")
    );
    assert!(
        stderr(&out).contains(&want),
        "`{want}` not in:\n{}",
        stderr(&out)
    );
}

fn plan_in(dir: &Path) -> Value {
    let out_dir = dir.join("out");
    let out = run_in(
        dir,
        &["--now", NOW, "plan", "--out", out_dir.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    crate::common::read_plan(&out_dir.join("plan.json"))
}

fn finding<'a>(plan: &'a Value, env: &str, package: &str) -> &'a Value {
    plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["environment"] == env && f["package"] == package && f["status"] == "open")
        .unwrap_or_else(|| panic!("no open {package} finding in {env}"))
}

#[test]
fn a_pin_moves_an_upgrade_into_its_occurrence_or_is_refused_with_the_reason() {
    // Normally andes-prod's axios goes to 2026-11-08; the pin moves it a week later.
    let (tmp, _) = with_pin(&pin("andes-prod", "axios", "sunday-early", "2026-11-15"));
    let plan = plan_in(tmp.path());
    let f = finding(&plan, "andes-prod", "axios");
    assert_eq!(
        f["window"], "andes-telecom.sunday-early.2026-11-15",
        "{f:#}"
    );
    let reasons = f["reasons"].to_string();
    assert!(
        reasons.contains(
            "pinned by override to sunday-early on 2026-11-15: batched with the portal release"
        ),
        "{reasons}"
    );
    // Inside the customer's 5-day notice: refused, and placed as if there were no pin.
    let (tmp, _) = with_pin(&pin("andes-prod", "axios", "sunday-early", "2026-11-01"));
    let plan = plan_in(tmp.path());
    let f = finding(&plan, "andes-prod", "axios");
    assert_eq!(
        f["window"], "andes-telecom.sunday-early.2026-11-08",
        "{f:#}"
    );
    let reasons = f["reasons"].to_string();
    assert!(reasons.contains("pin refused: the occurrence of sunday-early on 2026-11-01 cannot take it: inside the 5d notice period"), "{reasons}");
}

#[test]
fn planned_windows_carry_their_reminders() {
    let tmp = example_copy();
    let plan = plan_in(tmp.path());
    let w = plan["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == "hudson-fiber.sunday-early.2026-11-01")
        .unwrap();
    let reminders = w["reminders"].as_array().unwrap();
    let at: Vec<&str> = reminders
        .iter()
        .map(|r| r["at"].as_str().unwrap())
        .collect();
    assert_eq!(at, ["2026-10-31T05:30:00Z", "2026-11-01T04:30:00Z"]);
    let emergency = plan["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "emergency")
        .unwrap();
    assert_eq!(emergency["reminders"].as_array().unwrap().len(), 0);
}
