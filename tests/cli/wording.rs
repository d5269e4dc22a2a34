//! What customers read: notices speak in the customer's words and zone, subjects tell notices
//! apart, text notices line up, an emergency announced ahead says it *will* happen, a failed
//! window's notice says it failed, and reminders are plain mails (the invitation's alarms
//! remind). Regression tests for what a first reading of the example's notices found.

use std::path::Path;

use serde_json::Value;

use crate::common::{example_copy, inventory_copy};
use crate::notices::{FIXTURE, as_read, files, notices, ok, plan, scenario};

/// The SSVC decision words, as an operator uses them; none belongs in a notice.
const INTERNAL: [&str; 8] = [
    "act:",
    "attend",
    "track",
    "actuar",
    "atender",
    "seguimiento",
    "fix immediately",
    "routine maintenance)",
];

/// Every notice file of every customer under `dir/out`, as (name, text as read).
fn every_file(dir: &Path, customers: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in customers {
        for (name, text) in files(dir, c) {
            let read = as_read(&name, &text);
            out.push((name, read));
        }
    }
    out
}

#[test]
fn notices_name_priorities_not_internal_decision_labels() {
    let tmp = inventory_copy(FIXTURE);
    scenario(tmp.path());
    let example = example_copy();
    plan(example.path());
    let mut checked = 0;
    for (dir, customers) in [
        (tmp.path(), &["harbor", "altiplano"][..]),
        (example.path(), &["hudson-fiber", "iberia-conecta"][..]),
    ] {
        for (name, text) in every_file(dir, customers) {
            // The json view keeps the operator's `decision` for machines; its text is for people.
            let text = match name.ends_with(".json") {
                true => {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    let texts: Vec<&str> = (v["changes"].as_array().unwrap().iter())
                        .map(|c| c["decision_text"].as_str().unwrap())
                        .collect();
                    texts.join("\n")
                }
                false => text.to_lowercase().replace("attendee", ""),
            };
            for word in INTERNAL {
                assert!(!text.contains(word), "{name} says `{word}`:\n{text}");
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
    let hudson = files(example.path(), "hudson-fiber");
    let txt = &hudson["hudson-fiber.sunday-early.2026-11-01.scheduled.txt"];
    assert!(
        txt.contains("axios 1.7.7 -> 1.8.2 (high priority)"),
        "{txt}"
    );
}

#[test]
fn local_times_carry_the_zone_name_and_offset() {
    let example = example_copy();
    plan(example.path());
    let hudson = files(example.path(), "hudson-fiber");
    let txt = &hudson["hudson-fiber.sunday-early.2026-11-01.scheduled.txt"];
    assert!(
        txt.contains("When:      Sunday, 1 November 2026, 01:30 EDT (GMT-4)\n           to Sunday, 1 November 2026, 03:30 EST (GMT-5)\n"),
        "{txt}"
    );
    let andes = files(example.path(), "andes-telecom");
    let txt = &andes["emergency.andes-prod.20261027T1100Z.emergency.txt"];
    assert!(
        txt.contains("Inicio:       martes, 27 de octubre de 2026, 06:00 hora de Bogotá (GMT-5)\n"),
        "{txt}"
    );
}

/// The subject (txt first line, md heading, html title) names the kind, the services and the
/// local start, so no two windows' notices share one.
#[test]
fn subjects_say_what_which_services_and_when() {
    let example = example_copy();
    let plan = plan(example.path());
    let mut subjects = std::collections::BTreeSet::new();
    for n in plan["notices"].as_array().unwrap() {
        let customer = n["customer"].as_str().unwrap();
        let all = files(example.path(), customer);
        let id = n["id"].as_str().unwrap();
        let view: Value = serde_json::from_str(&all[&format!("{id}.json")]).unwrap();
        let subject = view["subject"].as_str().unwrap();
        let txt = &all[&format!("{id}.txt")];
        assert_eq!(txt.lines().next(), Some(subject), "{id}");
        let md = as_read("x.md", &all[&format!("{id}.md")]);
        assert!(md.starts_with(&format!("# {subject}\n")), "{id}: {md}");
        let html = as_read("x.html", &all[&format!("{id}.html")]);
        assert!(html.contains(&format!("<title>{subject}</title>")), "{id}");
        assert!(
            subject.starts_with(view["title"].as_str().unwrap()),
            "{subject}"
        );
        assert!(
            subject.ends_with(view["window"]["start_local"].as_str().unwrap()),
            "{subject}"
        );
        for s in view["services"].as_array().unwrap() {
            assert!(subject.contains(s.as_str().unwrap()), "{subject}");
        }
        assert!(
            !subject.contains(view["customer"]["name"].as_str().unwrap()),
            "{subject}"
        );
        subjects.insert((n["kind"].as_str().unwrap().to_string(), subject.to_string()));
    }
    // Reminders share their window's start, services and title; everything else differs.
    let reminders = (plan["notices"].as_array().unwrap().iter())
        .filter(|n| n["kind"] == "reminder")
        .count();
    let kinds_windows = plan["notices"].as_array().unwrap().len() - reminders;
    assert!(subjects.len() >= kinds_windows, "{subjects:#?}");
}

/// In the label block of a text notice (the lines around `UTC:`), every value starts in the
/// same column, whatever the label's length.
#[test]
fn text_notice_labels_line_up() {
    let tmp = inventory_copy(FIXTURE);
    scenario(tmp.path());
    let mut checked = 0;
    for (name, text) in every_file(tmp.path(), &["harbor", "altiplano"]) {
        if !name.ends_with(".txt") {
            continue;
        }
        let block = text
            .split("\n\n")
            .find(|b| b.lines().any(|l| l.starts_with("UTC:")))
            .unwrap_or_else(|| panic!("{name} has no times block"));
        let columns: Vec<usize> = block
            .lines()
            .map(|l| {
                let label = l
                    .find(':')
                    .filter(|_| !l.starts_with(' '))
                    .map_or(0, |i| i + 1);
                let rest = &l[label..];
                l[..label].chars().count() + rest.chars().take_while(|c| *c == ' ').count()
            })
            .collect();
        assert!(
            columns.windows(2).all(|w| w[0] == w[1]),
            "{name}: values start at columns {columns:?}:\n{block}"
        );
        checked += 1;
    }
    // Every kind in both languages, and each customer's second reminder.
    assert_eq!(checked, 14);
}

/// An emergency is announced `emergency_lead` before it starts: the notice says the work will
/// take place, in both languages and every template format.
#[test]
fn an_emergency_announced_ahead_says_it_will_take_place() {
    let tmp = inventory_copy(FIXTURE);
    scenario(tmp.path());
    for (customer, will, is) in [
        ("harbor", "will carry out", "is carrying out"),
        ("altiplano", "realizará", "está realizando"),
    ] {
        let all = files(tmp.path(), customer);
        for format in ["txt", "md", "html"] {
            let name = format!("emergency.{customer}-core.20261027T1100Z.emergency.{format}");
            let text = as_read(&name, &all[&name]);
            assert!(text.contains(will) && !text.contains(is), "{name}:\n{text}");
        }
    }
}

/// `completed --outcome rolled-back`: title, heading, calendar SUMMARY and text say the work
/// failed and was rolled back, never that it completed.
#[test]
fn a_rolled_back_window_says_it_failed_in_every_format_and_language() {
    let tmp = inventory_copy(FIXTURE);
    plan(tmp.path());
    for (customer, failed, never) in [
        ("harbor", "failed and rolled back", "completed"),
        ("altiplano", "fallida y revertida", "finalizad"),
    ] {
        let window = format!("emergency.{customer}-core.20261027T1100Z");
        let args = [
            "--kind",
            "completed",
            "--window",
            &window,
            "--outcome",
            "rolled-back",
        ];
        ok(&notices(tmp.path(), &args));
        let all = files(tmp.path(), customer);
        for format in ["txt", "md", "html", "ics", "json"] {
            let name = format!("{window}.completed.{format}");
            let mut text = as_read(&name, &all[&name]);
            if format == "json" {
                // What people read of the webhook body; `kind` stays `completed`.
                let v: Value = serde_json::from_str(&text).unwrap();
                text = format!("{}\n{}\n{}", v["title"], v["subject"], v["outcome"]["text"]);
            }
            let lower = text.to_lowercase();
            assert!(lower.contains(failed), "{name} lacks `{failed}`:\n{text}");
            assert!(!lower.contains(never), "{name} says `{never}`:\n{text}");
        }
        let locale = if customer == "harbor" { "en" } else { "es" };
        let txt = &all[&format!("{window}.completed.txt")];
        insta::assert_snapshot!(format!("{locale}_completed_rolled_back_txt"), txt);
        let ics = as_read("x.ics", &all[&format!("{window}.completed.ics")]);
        let summary = ics.lines().find(|l| l.starts_with("SUMMARY:")).unwrap();
        assert!(summary.to_lowercase().contains(failed), "{summary}");
        let view: Value = serde_json::from_str(&all[&format!("{window}.completed.json")]).unwrap();
        assert_eq!(view["outcome"]["status"], "rolled-back");
        assert_eq!(view["outcome"]["rolled_back"], true);
    }
}

/// The invitation carries one VALARM per customer reminder; a reminder notice has no calendar
/// file, so the REQUEST is not sent again with the same SEQUENCE.
#[test]
fn reminders_are_calendar_alarms_not_repeated_invitations() {
    let tmp = inventory_copy(FIXTURE);
    plan(tmp.path());
    let harbor = files(tmp.path(), "harbor");
    let ics = harbor["harbor.tuesday-late.2026-11-03.scheduled.ics"].replace("\r\n ", "");
    let alarms: Vec<&str> = ics
        .split("BEGIN:VALARM\r\n")
        .skip(1)
        .map(|a| a.split("END:VALARM").next().unwrap())
        .collect();
    assert_eq!(alarms.len(), 2, "{ics}");
    for (alarm, trigger) in alarms.iter().zip(["TRIGGER:-PT24H", "TRIGGER:-PT1H"]) {
        assert!(alarm.contains("ACTION:DISPLAY\r\n"), "{alarm}");
        assert!(alarm.contains(&format!("{trigger}\r\n")), "{alarm}");
    }
    let reminders: Vec<&String> = harbor.keys().filter(|k| k.contains(".reminder-")).collect();
    assert!(!reminders.is_empty());
    assert!(
        reminders.iter().all(|k| !k.ends_with(".ics")),
        "{reminders:?}"
    );
    let emergency = &harbor["emergency.harbor-core.20261027T1100Z.emergency.ics"];
    assert!(!emergency.contains("VALARM"), "{emergency}");
}

/// `complete` records the outcome in the ledger and issues the notice: `--failed` gives
/// `outcome.status` `rolled-back` and a title that says so, else `done` (as the README says).
#[test]
fn complete_issues_done_or_rolled_back_notices() {
    let example = example_copy();
    plan(example.path());
    let later = "2026-10-27T12:00:00Z";
    for (window, failed, status, title) in [
        (
            "emergency.andes-prod.20261027T1100Z",
            false,
            "done",
            "Intervención de seguridad de emergencia finalizada: ",
        ),
        (
            "emergency.hudson-prod.20261027T1100Z",
            true,
            "rolled-back",
            "Emergency security intervention failed and rolled back: ",
        ),
    ] {
        let mut args = vec!["complete", window, "--now", later, "--out", "out"];
        if failed {
            args.push("--failed");
        }
        ok(&crate::common::run_in(example.path(), &args));
        let customer = window.split('.').nth(1).unwrap().split('-').next().unwrap();
        let customer = match customer {
            "andes" => "andes-telecom",
            _ => "hudson-fiber",
        };
        let all = files(example.path(), customer);
        let view: Value = serde_json::from_str(&all[&format!("{window}.completed.json")]).unwrap();
        assert_eq!(view["outcome"]["status"], status, "{window}");
        let txt = &all[&format!("{window}.completed.txt")];
        assert!(txt.starts_with(title), "{txt}");
    }
}
