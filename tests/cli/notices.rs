//! Notices: every kind x locale x format of the notice fixture as insta snapshots; disclosure
//! both ways on the example; hostile feed and operator text inert in every format; email-safe
//! html; template overrides and broken templates (exit 2 at file:line:col); `notices` re-rendering
//! a saved plan, issuing rescheduled, cancelled and completed notices, and refusing bad flags.
//! The calendar files are also read by an independent parser in `tests/ics/check.py` (CI).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common::{NOW, edit, inventory_copy, position, run_in, stderr, stdout};

pub(crate) const FIXTURE: &str = "tests/fixtures/notices/inventory";
const FORMATS: [&str; 5] = ["txt", "md", "html", "ics", "json"];
const HOSTILE: &str = "<script>alert(1)</script> [x](http://evil) \r\nBCC: a@b";

pub(crate) fn ok(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    stdout(o)
}

fn exit_2(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// `plan` of the inventory in `dir` into `dir/out`; returns plan.json.
pub(crate) fn plan(dir: &Path) -> Value {
    ok(&run_in(
        dir,
        &["plan", "--now", NOW, "--out", "out", "--quiet"],
    ));
    crate::common::read_plan(&dir.join("out/plan.json"))
}

/// `notices --plan out/plan.json ARGS` in `dir`.
pub(crate) fn notices(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["notices", "--plan", "out/plan.json", "--quiet"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

/// Per customer of the fixture: its planned window, the window it moved from (and that
/// window's times), and the operator's notes.
pub(crate) const OPERATOR: [(&str, [&str; 7]); 2] = [
    (
        "harbor",
        [
            "harbor.tuesday-late.2026-11-03",
            "harbor.tuesday-late.2026-11-10",
            "2026-11-11T04:00:00Z",
            "2026-11-11T07:00:00Z",
            "The week of 10 November clashes with your billing run.",
            "The updates were applied in the emergency intervention of 27 October.",
            "done",
        ],
    ),
    (
        "altiplano",
        [
            "altiplano.domingo-madrugada.2026-11-01",
            "altiplano.domingo-madrugada.2026-11-08",
            "2026-11-08T05:00:00Z",
            "2026-11-08T08:00:00Z",
            "La semana del 8 de noviembre coincide con su cierre de facturación.",
            "Las actualizaciones ya se aplicaron en la intervención de emergencia del 27 de octubre.",
            "partial",
        ],
    ),
];

/// The fixture planned in `dir`, plus each customer's rescheduled and cancelled notice for its
/// planned window and completed notice for its emergency.
pub(crate) fn scenario(dir: &Path) -> Value {
    let plan = plan(dir);
    for (customer, [window, from, start, end, moved, cancelled, outcome]) in OPERATOR {
        let emergency = format!("emergency.{customer}-core.20261027T1100Z");
        let (w, e) = (["--window", window], ["--window", emergency.as_str()]);
        let runs: [Vec<&str>; 3] = [
            [
                &w[..],
                &["--kind", "rescheduled", "--previous-window", from],
            ]
            .concat(),
            [&w[..], &["--kind", "cancelled", "--note", cancelled]].concat(),
            [&e[..], &["--kind", "completed", "--outcome", outcome]].concat(),
        ];
        for args in runs {
            let mut args = args;
            if args.contains(&"rescheduled") {
                args.extend([
                    "--previous-start",
                    start,
                    "--previous-end",
                    end,
                    "--note",
                    moved,
                ]);
            }
            if outcome == "partial" && args.contains(&"completed") {
                args.extend([
                    "--note",
                    "El reinicio de la pasarela de Oruro queda para la próxima ventana.",
                ]);
            }
            ok(&notices(dir, &args));
        }
    }
    plan
}

/// The notice files of `customer` under `dir/out`, by file name.
pub(crate) fn files(dir: &Path, customer: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir.join("out/notices").join(customer)).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        out.insert(name, std::fs::read_to_string(&p).unwrap());
    }
    out
}

#[test]
fn every_kind_locale_and_format_matches_its_snapshot() {
    let tmp = inventory_copy(FIXTURE);
    scenario(tmp.path());
    for (customer, locale, reminder) in [("harbor", "en", "24h"), ("altiplano", "es", "48h")] {
        let all = files(tmp.path(), customer);
        let window = OPERATOR.iter().find(|(c, _)| *c == customer).unwrap().1[0];
        let emergency = format!("emergency.{customer}-core.20261027T1100Z");
        let ids = [
            ("scheduled", format!("{window}.scheduled")),
            ("reminder", format!("{window}.reminder-{reminder}")),
            ("emergency", format!("{emergency}.emergency")),
            ("rescheduled", format!("{window}.rescheduled")),
            ("cancelled", format!("{window}.cancelled")),
            ("completed", format!("{emergency}.completed")),
        ];
        for (kind, id) in ids {
            for format in FORMATS {
                let Some(text) = all.get(&format!("{id}.{format}")) else {
                    assert_eq!((kind, format), ("reminder", "ics"), "{id}.{format} missing");
                    continue;
                };
                if format == "ics" {
                    // insta compares with line ends normalised: check them here.
                    assert!(text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'));
                }
                insta::assert_snapshot!(format!("{locale}_{kind}_{format}"), text);
            }
        }
    }
}

#[test]
fn plan_records_every_notice_it_writes() {
    let tmp = inventory_copy(FIXTURE);
    let plan = plan(tmp.path());
    let records = plan["notices"].as_array().unwrap();
    // 4 windows, and 2 reminders before each of the 2 planned ones.
    assert_eq!(records.len(), 8, "{records:?}");
    for r in records {
        let files = r["files"].as_array().unwrap();
        // A reminder is a plain mail: no calendar file re-sending the invitation.
        let calendar = files.iter().any(|f| f.as_str().unwrap().ends_with(".ics"));
        assert_eq!(calendar, r["kind"] != "reminder", "{r}");
        assert_eq!(files.len(), if calendar { 5 } else { 4 }, "{r}");
        for f in files {
            assert!(
                tmp.path().join("out").join(f.as_str().unwrap()).is_file(),
                "{f}"
            );
        }
        let window = (plan["windows"].as_array().unwrap().iter())
            .find(|w| w["id"] == r["window"])
            .unwrap();
        let uid = format!("{}@cordillera.example", window["id"].as_str().unwrap());
        assert_eq!(
            (r["uid"].as_str(), r["sequence"].as_u64()),
            (Some(&*uid), Some(0))
        );
        let start: chrono::DateTime<chrono::Utc> =
            window["start"].as_str().unwrap().parse().unwrap();
        let lead = match r["id"].as_str().unwrap().rsplit_once(".reminder-") {
            Some((_, lead)) => lead.trim_end_matches('h').parse().unwrap(),
            None => 0,
        };
        let send_at = match lead {
            0 => NOW.to_string(),
            h => (start - chrono::TimeDelta::hours(h))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        assert_eq!(r["send_at"], send_at, "{r}");
    }
}

/// Text as a reader sees it: html entities decoded, Markdown escapes removed, ics unfolded and
/// unescaped.
pub(crate) fn as_read(name: &str, text: &str) -> String {
    if name.ends_with(".ics") {
        let unfolded = text.replace("\r\n ", "");
        return unfolded
            .replace("\\n", "\n")
            .replace("\\,", ",")
            .replace("\\;", ";");
    }
    if name.ends_with(".html") {
        let entities = [
            ("&lt;", "<"),
            ("&gt;", ">"),
            ("&quot;", "\""),
            ("&#x27;", "'"),
        ];
        let mut t = text.replace("&#x3D;", "=").replace("&#x60;", "`");
        for (e, c) in entities {
            t = t.replace(e, c);
        }
        return t.replace("&amp;", "&");
    }
    if name.ends_with(".md") {
        let mut out = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match chars.peek() {
                Some(n) if c == '\\' && n.is_ascii_punctuation() => {}
                _ => out.push(c),
            }
        }
        return out;
    }
    text.to_string()
}

/// The words a finding's notice names under `detailed`: component, versions, advisory ids.
fn secrets(plan: &Value, customer: &str) -> Vec<String> {
    let mut words = Vec::new();
    for f in plan["findings"].as_array().unwrap() {
        if f["customer"] != customer {
            continue;
        }
        for key in ["package", "version", "advisory", "fixed", "recommended"] {
            words.extend(f[key].as_str().map(str::to_string));
        }
        for a in f["aliases"].as_array().unwrap() {
            words.push(a.as_str().unwrap().to_string());
        }
        words.extend(f["cvss"]["vector"].as_str().map(str::to_string));
    }
    words
}

/// Whether `word` appears in `text` as a word of its own (not inside a longer one).
fn names(text: &str, word: &str) -> bool {
    let boundary =
        |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || "-_./@:".contains(c)));
    text.match_indices(word).any(|(i, _)| {
        boundary(text[..i].chars().next_back()) && boundary(text[i + word.len()..].chars().next())
    })
}

#[test]
fn summary_disclosure_names_nothing_and_detailed_names_every_change() {
    let tmp = crate::common::example_copy();
    let plan = plan(tmp.path());
    for customer in ["andes-telecom", "outback-wireless"] {
        let words = secrets(&plan, customer);
        assert!(words.len() > 10, "{words:?}");
        for (name, text) in files(tmp.path(), customer) {
            let read = as_read(&name, &text);
            for w in &words {
                assert!(!names(&read, w), "{customer} {name} names `{w}`");
            }
        }
    }
    let detailed = files(tmp.path(), "hudson-fiber");
    let windows = plan["windows"].as_array().unwrap();
    for w in windows.iter().filter(|w| w["customer"] == "hudson-fiber") {
        let kind = if w["kind"] == "planned" {
            "scheduled"
        } else {
            "emergency"
        };
        for format in FORMATS {
            let name = format!("{}.{kind}.{format}", w["id"].as_str().unwrap());
            let read = as_read(&name, &detailed[&name]);
            for t in w["tasks"].as_array().unwrap() {
                for key in ["package", "from", "to"] {
                    let word = t[key].as_str().unwrap();
                    assert!(
                        names(&read, word),
                        "{name} lacks the change's {key} `{word}`"
                    );
                }
            }
        }
    }
}

#[test]
fn hostile_text_is_inert_in_every_format() {
    let tmp = inventory_copy(FIXTURE);
    let inv = tmp.path().join("inventory");
    let toml = serde_json::to_string(HOSTILE).unwrap();
    for adv in ["CR-2026-001", "CR-2026-002"] {
        let path = inv.join(format!("advisories/{adv}.toml"));
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text.lines().find(|l| l.starts_with("summary = ")).unwrap();
        edit(&path, line, &format!("summary = {toml}"));
    }
    edit(
        &inv.join("environments/harbor-core.toml"),
        "name = \"Core routing\"",
        &format!("name = {toml}"),
    );
    scenario(tmp.path());
    let mut seen = 0;
    for customer in ["harbor", "altiplano"] {
        for (name, text) in files(tmp.path(), customer) {
            let lines: Vec<&str> = text.split('\n').collect();
            assert!(
                !lines.iter().any(|l| l.trim_start().starts_with("BCC")),
                "{name}: BCC starts a line"
            );
            assert!(!text.contains("http://"), "{name} keeps a live URL");
            let ext = name.rsplit('.').next().unwrap();
            match ext {
                "ics" => assert!(!text.replace("\r\n", "").contains('\r'), "{name}"),
                _ => assert!(!text.contains('\r'), "{name} keeps a CR"),
            }
            if !text.contains("alert") {
                continue;
            }
            seen += 1;
            match ext {
                "html" => {
                    assert!(
                        !text.contains("<script") && !text.contains("</script"),
                        "{name}"
                    );
                    assert!(
                        text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                        "{name}"
                    );
                }
                "md" => {
                    assert!(text.contains(r"\<script\>alert(1)\</script\>"), "{name}");
                    assert!(
                        text.contains(r"\[x\](http\[:\]//evil)") && !text.contains("[x]("),
                        "{name}"
                    );
                }
                "json" => {
                    assert!(!text.contains('<') && !text.contains('>'), "{name}");
                    let v: Value = serde_json::from_str(&text).unwrap();
                    assert!(
                        v.to_string()
                            .contains("<script>alert(1)</script> [x](http[:]//evil) BCC: a@b"),
                        "{name}"
                    );
                }
                "txt" => assert!(text.contains("[x](http[:]//evil) BCC: a@b"), "{name}"),
                _ => {
                    let unfolded = text.replace("\r\n ", "");
                    assert!(unfolded.contains("[x](http[:]//evil) BCC: a@b"), "{name}");
                }
            }
        }
    }
    // Every format of every detailed notice of both customers carries the hostile summary.
    assert!(seen >= 40, "only {seen} files carry the hostile text");
}

#[test]
fn html_is_email_safe() {
    let tmp = inventory_copy(FIXTURE);
    scenario(tmp.path());
    let widths = regex_lite_px();
    for customer in ["harbor", "altiplano"] {
        for (name, html) in files(tmp.path(), customer)
            .into_iter()
            .filter(|(n, _)| n.ends_with(".html"))
        {
            assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\""), "{name}");
            assert!(
                html.contains(
                    r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#
                ),
                "{name}"
            );
            let lower = html.to_lowercase();
            for banned in [
                "<script",
                "<style",
                "<link",
                "<img",
                "<iframe",
                "<form",
                "<object",
                "<a ",
                "src=",
                "href=",
                "url(",
                "@import",
                "http:",
                "https:",
                "javascript:",
                "class=",
            ] {
                assert!(!lower.contains(banned), "{name} contains `{banned}`");
            }
            assert!(
                html.matches("<table role=\"presentation\"").count() >= 2,
                "{name}"
            );
            for px in widths(&html) {
                assert!(
                    px <= 320,
                    "{name}: a fixed width of {px}px does not fit 320px"
                );
            }
        }
    }
}

/// The fixed pixel widths of `html` (`width:Npx` in styles, `width="N"` attributes), except
/// `max-width`, which only caps the layout on wide screens.
fn regex_lite_px() -> impl Fn(&str) -> Vec<u32> {
    |html: &str| {
        let mut out = Vec::new();
        for (i, _) in html.match_indices("width") {
            if html[..i].ends_with("max-") || html[..i].ends_with("device-") {
                continue;
            }
            let rest = html[i + 5..].trim_start_matches([':', '=', '"', ' ']);
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let unit = &rest[digits.len()..];
            if !digits.is_empty() && !unit.starts_with('%') {
                out.push(digits.parse().unwrap());
            }
        }
        out
    }
}

#[test]
fn an_inventory_template_overrides_its_file_only() {
    let tmp = inventory_copy(FIXTURE);
    let dir = tmp.path().join("inventory/templates/en");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("scheduled.txt.hbs"),
        "OUR OWN {{title}} for {{customer.name}}, {{datetime window.start zone=customer.timezone style=\"short\"}}\n",
    )
    .unwrap();
    ok(&run_in(tmp.path(), &["validate"]));
    plan(tmp.path());
    let harbor = files(tmp.path(), "harbor");
    assert_eq!(
        harbor["harbor.tuesday-late.2026-11-03.scheduled.txt"],
        "OUR OWN Planned maintenance for Harbor Broadband, Inc., 3 Nov 2026, 22:00 CST (GMT-6)\n"
    );
    assert!(harbor["harbor.tuesday-late.2026-11-03.scheduled.md"].contains("**Reference:**"));
    assert!(harbor["harbor.tuesday-late.2026-11-03.reminder-24h.txt"].contains("Dear Harbor"));
    let altiplano = files(tmp.path(), "altiplano");
    assert!(
        altiplano["altiplano.domingo-madrugada.2026-11-01.scheduled.txt"]
            .contains("Estimado equipo")
    );
}

#[test]
fn a_broken_template_exits_2_naming_its_file_and_line() {
    let tmp = inventory_copy(FIXTURE);
    let dir = tmp.path().join("inventory/templates/es");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("reminder.md.hbs");
    std::fs::write(
        &path,
        "# {{title}}\n\nComienza en {{duration reminder.lead_minutes}}.\nTermina: {{window.fin}}\n",
    )
    .unwrap();
    let at = format!(
        "inventory/templates/es/reminder.md.hbs:{}",
        position(&path, "{{window.fin}}")
    );
    let message = format!("{at}: `window.fin` is not in the notice");
    exit_2(&run_in(tmp.path(), &["validate"]), &message);
    exit_2(
        &run_in(tmp.path(), &["plan", "--now", NOW, "--out", "out"]),
        &message,
    );
    // A helper's error, and a template that does not parse, are reported the same way.
    std::fs::write(
        &path,
        "# {{title}}\n{{datetime window.start zone=\"Andes/Altiplano\"}}\n",
    )
    .unwrap();
    let at = position(&path, "{{datetime");
    exit_2(
        &run_in(tmp.path(), &["validate"]),
        &format!("reminder.md.hbs:{at}: `datetime`: unknown time zone `Andes/Altiplano`"),
    );
    std::fs::write(&path, "# {{title}}\n\n{{#each services}}\n- {{this}}\n").unwrap();
    exit_2(
        &run_in(tmp.path(), &["plan", "--now", NOW, "--out", "out"]),
        "inventory/templates/es/reminder.md.hbs:",
    );
    std::fs::write(&path, "# {{title}}\n\n{{{reason}}}\n").unwrap();
    exit_2(
        &run_in(tmp.path(), &["validate"]),
        "reminder.md.hbs:3:1: unescaped output",
    );
}

/// A run whose notices cannot render (a template broken since the last plan) records nothing,
/// though its ledger took the run, sightings and windows while the notices rendered, and leaves
/// the last plan.json in place.
#[test]
fn a_run_whose_notices_fail_to_render_records_nothing() {
    let tmp = inventory_copy(FIXTURE);
    plan(tmp.path());
    let before = std::fs::read(tmp.path().join("out/plan.json")).unwrap();
    let runs = |dir: &Path, ledger: &str| {
        let o = run_in(dir, &["history", "--format", "json", "--ledger", ledger]);
        let v: Value = serde_json::from_str(&ok(&o)).unwrap();
        v["runs"].as_array().unwrap().len()
    };
    let kept = "inventory/.patchplan/ledger.db";
    assert_eq!(runs(tmp.path(), kept), 1);
    for locale in ["en", "es"] {
        let dir = tmp.path().join("inventory/templates").join(locale);
        std::fs::create_dir_all(&dir).unwrap();
        for kind in [
            "scheduled",
            "rescheduled",
            "reminder",
            "emergency",
            "cancelled",
            "completed",
        ] {
            std::fs::write(dir.join(format!("{kind}.txt.hbs")), "{{window.fin}}\n").unwrap();
        }
    }
    // A second ledger: every notice is new to it, so the run renders them all.
    let later = [
        "plan",
        "--now",
        NOW,
        "--out",
        "out",
        "--ledger",
        "second.db",
    ];
    exit_2(
        &run_in(tmp.path(), &later),
        "`window.fin` is not in the notice",
    );
    assert_eq!(runs(tmp.path(), kept), 1);
    assert_eq!(runs(tmp.path(), "second.db"), 0);
    let after = std::fs::read(tmp.path().join("out/plan.json")).unwrap();
    assert!(before == after, "plan.json was replaced");
    let left: Vec<_> = (std::fs::read_dir(tmp.path().join("out")).unwrap())
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn notices_renders_a_saved_plan_byte_for_byte() {
    let tmp = inventory_copy(FIXTURE);
    plan(tmp.path());
    let o = run_in(
        tmp.path(),
        &[
            "notices",
            "--plan",
            "out/plan.json",
            "--out",
            "again",
            "--now",
            NOW,
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_str(&ok(&o)).unwrap();
    assert_eq!(report["notices"].as_array().unwrap().len(), 8);
    for customer in ["harbor", "altiplano"] {
        let first = files(tmp.path(), customer);
        let mut again = BTreeMap::new();
        for e in std::fs::read_dir(tmp.path().join("again/notices").join(customer)).unwrap() {
            let p = e.unwrap().path();
            again.insert(
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(p).unwrap(),
            );
        }
        assert_eq!(first, again, "{customer}");
    }
    // Filters: one customer's reminders.
    let o = notices(
        tmp.path(),
        &[
            "--customer",
            "harbor",
            "--kind",
            "reminder",
            "--format",
            "json",
            "--out",
            "only",
        ],
    );
    let report: Value = serde_json::from_str(&ok(&o)).unwrap();
    let ids: Vec<&str> = report["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "harbor.tuesday-late.2026-11-03.reminder-24h",
            "harbor.tuesday-late.2026-11-03.reminder-1h"
        ]
    );
}

#[test]
fn operator_notices_keep_the_event_and_bump_its_sequence() {
    let tmp = inventory_copy(FIXTURE);
    scenario(tmp.path());
    let harbor = files(tmp.path(), "harbor");
    let ics = |id: &str| harbor[&format!("{id}.ics")].replace("\r\n ", "");
    let moved = ics("harbor.tuesday-late.2026-11-03.rescheduled");
    // The event keeps the UID it was announced under, and the new times supersede it.
    for line in [
        "UID:harbor.tuesday-late.2026-11-10@cordillera.example",
        "SEQUENCE:1",
        "METHOD:REQUEST",
        "DTSTART:20261104T040000Z",
    ] {
        assert!(moved.contains(&format!("{line}\r\n")), "{line}\n{moved}");
    }
    let cancelled = ics("harbor.tuesday-late.2026-11-03.cancelled");
    for line in [
        "METHOD:CANCEL",
        "STATUS:CANCELLED",
        "SEQUENCE:1",
        "UID:harbor.tuesday-late.2026-11-03@cordillera.example",
    ] {
        assert!(
            cancelled.contains(&format!("{line}\r\n")),
            "{line}\n{cancelled}"
        );
    }
    let done = ics("emergency.harbor-core.20261027T1100Z.completed");
    assert!(
        done.contains("SEQUENCE:0\r\n") && done.contains("METHOD:REQUEST\r\n"),
        "{done}"
    );
    let o = notices(
        tmp.path(),
        &[
            "--kind",
            "cancelled",
            "--window",
            "harbor.tuesday-late.2026-11-03",
            "--sequence",
            "3",
        ],
    );
    ok(&o);
    assert!(
        files(tmp.path(), "harbor")["harbor.tuesday-late.2026-11-03.cancelled.ics"]
            .contains("SEQUENCE:3\r\n")
    );
}

#[test]
fn notices_refuses_flags_that_do_not_fit() {
    let tmp = inventory_copy(FIXTURE);
    plan(tmp.path());
    let w = "harbor.tuesday-late.2026-11-03";
    let e = "emergency.harbor-core.20261027T1100Z";
    let cases: [(&[&str], &str); 11] = [
        (
            &["--customer", "altiplano", "--window", w],
            "window `harbor.tuesday-late.2026-11-03` is for customer `harbor`, not `altiplano`",
        ),
        (&["--window", "nope"], "no window `nope` in out/plan.json"),
        (
            &["--kind", "cancelled"],
            "--kind cancelled needs --window ID",
        ),
        (
            &["--kind", "cancelled", "--window", "nope"],
            "no window `nope` in out/plan.json",
        ),
        (
            &["--kind", "rescheduled", "--window", w],
            "needs --previous-start and --previous-end",
        ),
        (
            &[
                "--kind",
                "rescheduled",
                "--window",
                w,
                "--previous-start",
                "2026-11-11T07:00:00Z",
                "--previous-end",
                "2026-11-11T04:00:00Z",
            ],
            "is not after --previous-start",
        ),
        (
            &["--kind", "cancelled", "--window", w, "--outcome", "done"],
            "--outcome is for --kind completed",
        ),
        (
            &["--kind", "scheduled", "--window", e],
            "is an emergency intervention: it has no scheduled notice",
        ),
        (
            &["--note", "hello"],
            "--note is for --kind rescheduled, cancelled or completed",
        ),
        (
            &["--kind", "completed", "--window", e, "--outcome", "maybe"],
            "unknown outcome `maybe`",
        ),
        (&["--customer", "nobody"], "no customer `nobody`"),
    ];
    for (args, message) in cases {
        exit_2(&notices(tmp.path(), args), message);
    }
    exit_2(
        &notices(tmp.path(), &["--kind", "memo"]),
        "unknown notice kind `memo`",
    );
    std::fs::write(tmp.path().join("out/plan.json"), "{\"now\": 7}").unwrap();
    exit_2(&notices(tmp.path(), &[]), "out/plan.json:1:");
}

#[test]
fn a_reminder_whose_time_has_passed_is_a_warning() {
    let tmp = inventory_copy(FIXTURE);
    let customer = tmp.path().join("inventory/customers/harbor.toml");
    edit(
        &customer,
        "reminders = [\"24h\", \"1h\"]",
        "reminders = [\"10d\", \"1h\"]",
    );
    let o = run_in(tmp.path(), &["plan", "--now", NOW, "--out", "out"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let note = "reminder 10d before harbor.tuesday-late.2026-11-03 not issued: its time, 2026-10-25 04:00 UTC, is before now (2026-10-27 09:00 UTC)";
    assert!(err.contains(note), "{err}");
    let plan: Value = crate::common::read_plan(&tmp.path().join("out/plan.json"));
    assert!(
        plan["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == note)
    );
    let names: Vec<String> = files(tmp.path(), "harbor").into_keys().collect();
    assert!(names.iter().any(|n| n.ends_with("reminder-1h.txt")));
    assert!(
        !names.iter().any(|n| n.contains("reminder-240h")),
        "{names:?}"
    );
}
