//! The report `plan` writes under `out/report/`: written after the ledger commits and never by
//! a dry run; the same inputs and `--now` give the same bytes; customer pages at the customer's
//! disclosure level; hostile text inert on both pages; findings carried whole as compact rows;
//! each customer's `maintenance.ics` read by Python's icalendar. The browser tests are in
//! `browser.rs`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{NOW, edit, example_copy, inventory_copy, root, run_in, stderr};
use crate::notices::{FIXTURE, ok, plan};

/// What a hostile advisory summary or service name tries: markup that would run script.
pub(crate) const HOSTILE: &str = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','1')\"><script>document.documentElement.setAttribute('data-pwned','1')</script>";

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join("out/report").join(rel))
        .unwrap_or_else(|e| panic!("out/report/{rel}: {e}"))
}

/// Every file under `dir`, by path relative to it, with its bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
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

/// The fixture of the notice tests with `HOSTILE` as two advisory summaries and a service name.
pub(crate) fn hostile_copy() -> tempfile::TempDir {
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
    tmp
}

#[test]
fn report_is_written_after_the_ledger_commits_and_never_by_a_dry_run() {
    let tmp = example_copy();
    let dry = ["plan", "--now", NOW, "--out", "out", "--dry-run", "--quiet"];
    ok(&run_in(tmp.path(), &dry));
    assert!(!tmp.path().join("out").exists(), "a dry run wrote files");
    let plan = plan(tmp.path());
    let mut expected = vec!["report/index.html".to_string()];
    for w in plan["windows"].as_array().unwrap() {
        let c = w["customer"].as_str().unwrap();
        for f in ["index.html", "maintenance.ics", "notices.atom"] {
            expected.push(format!("report/customers/{c}/{f}"));
        }
    }
    for f in &expected {
        assert!(tmp.path().join("out").join(f).is_file(), "{f} missing");
    }
}

#[test]
fn report_is_byte_identical_for_the_same_inputs_and_now() {
    let (a, b) = (example_copy(), example_copy());
    plan(a.path());
    plan(b.path());
    let first = tree(&a.path().join("out/report"));
    assert_eq!(first, tree(&b.path().join("out/report")));
    // A re-plan at the same instant issues nothing new; the report shows the same ledger.
    plan(a.path());
    assert_eq!(first, tree(&a.path().join("out/report")));
    assert!(first.len() >= 9, "{} files", first.len());
}

#[test]
fn customer_pages_under_summary_disclosure_name_no_component_version_or_advisory() {
    let tmp = example_copy();
    let plan = plan(tmp.path());
    let findings = plan["findings"].as_array().unwrap();
    let mut checked = 0;
    for (customer, disclosure) in [
        ("andes-telecom", "summary"),
        ("outback-wireless", "summary"),
        ("hudson-fiber", "detailed"),
    ] {
        let page = read(tmp.path(), &format!("customers/{customer}/index.html"));
        let ics = read(tmp.path(), &format!("customers/{customer}/maintenance.ics"));
        let atom = read(tmp.path(), &format!("customers/{customer}/notices.atom"));
        let unfolded = ics.replace("\r\n ", "");
        let scheduled: Vec<&Value> = findings
            .iter()
            .filter(|f| f["customer"] == customer && f["window"].is_string())
            .collect();
        assert!(
            !scheduled.is_empty(),
            "{customer} has no scheduled findings"
        );
        for f in scheduled {
            let words = [&f["advisory"], &f["package"]];
            for word in words.iter().filter_map(|w| w.as_str()) {
                let named = [&page, &unfolded, &atom].iter().any(|t| t.contains(word));
                match disclosure {
                    "summary" => assert!(!named, "{customer}'s pages name `{word}`"),
                    _ => assert!(page.contains(word), "{customer}'s page lacks `{word}`"),
                }
                checked += 1;
            }
        }
        let lang = if customer == "andes-telecom" {
            "es"
        } else {
            "en"
        };
        assert!(
            page.contains(&format!("<html lang=\"{lang}\">")),
            "{customer}"
        );
    }
    assert!(checked >= 10, "{checked}");
}

#[test]
fn hostile_text_is_inert_on_both_report_pages() {
    let tmp = hostile_copy();
    plan(tmp.path());
    let operator = read(tmp.path(), "index.html");
    let customer = read(tmp.path(), "customers/harbor/index.html");
    let atom = read(tmp.path(), "customers/harbor/notices.atom");
    for (name, text) in [
        ("operator", &operator),
        ("customer", &customer),
        ("atom", &atom),
    ] {
        assert!(!text.contains("<img"), "{name} carries a live <img>");
        assert!(!text.contains("data-pwned','1')</script>"), "{name}");
        assert!(
            text.contains("&lt;img src&#x3D;x onerror&#x3D;") || text.contains("\\u003cimg src=x"),
            "{name} lacks the escaped hostile text"
        );
    }
    // The operator page's only scripts are its own: the findings rows and the page script.
    assert_eq!(operator.matches("<script").count(), 2);
    assert_eq!(operator.matches("</script>").count(), 2);
    assert_eq!(customer.matches("<script").count(), 0);
    // The rows' JSON carries the text intact, as data.
    let start = operator.find("id=\"findings-data\">").unwrap() + "id=\"findings-data\">".len();
    let end = start + operator[start..].find("</script>").unwrap();
    let data: Value = serde_json::from_str(&operator[start..end]).unwrap();
    let summaries = data["advisories"].as_array().unwrap();
    assert!(
        summaries.iter().any(|a| a[1] == HOSTILE),
        "the summary is not carried whole"
    );
}

#[test]
fn findings_travel_whole_as_compact_rows() {
    let tmp = example_copy();
    let plan = plan(tmp.path());
    let page = read(tmp.path(), "index.html");
    let start = page.find("id=\"findings-data\">").unwrap() + "id=\"findings-data\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    let data: Value = serde_json::from_str(&page[start..end]).unwrap();
    let rows = data["rows"].as_array().unwrap();
    let findings = plan["findings"].as_array().unwrap();
    assert_eq!(rows.len(), findings.len());
    let col = |name: &str| {
        (data["columns"].as_array().unwrap().iter())
            .position(|c| c == name)
            .unwrap()
    };
    let strings = data["strings"].as_array().unwrap();
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| {
            let at = |c: &str| r[col(c)].as_u64().unwrap() as usize;
            let env = data["environments"][at("environment")][0].as_str().unwrap();
            let adv = data["advisories"][at("advisory")][0].as_str().unwrap();
            format!("{env}:{}:{adv}", strings[at("package")].as_str().unwrap())
        })
        .collect();
    let mut want: Vec<String> = findings
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    want.sort();
    assert_eq!(ids, want);
    // Without script, the table still lists the findings (the first 100), most urgent first.
    let table = &page[page.find("id=\"findings-table\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(table.matches("<tr><td>").count(), findings.len().min(100));
    let first = &table[table.find("<tr><td>").unwrap()..];
    assert!(
        first[..first.find("</tr>").unwrap()].contains("<td>act</td>"),
        "{first}"
    );
}

#[test]
fn maintenance_ics_reads_in_python_icalendar_with_the_notices_uids() {
    let test = "report::maintenance_ics_reads_in_python_icalendar_with_the_notices_uids";
    let has = Command::new("python3")
        .args(["-c", "import icalendar"])
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        if std::env::var("PATCHPLAN_REQUIRE_SHARED").as_deref() == Ok("1") {
            panic!("{test}: python3 with icalendar is missing and PATCHPLAN_REQUIRE_SHARED=1");
        }
        eprintln!("SKIPPED {test}: python3 with icalendar is not installed");
        return;
    }
    let tmp = example_copy();
    plan(tmp.path());
    let o = Command::new("python3")
        .arg(root().join("tests/ics/report.py"))
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    assert!(out.contains("12 events, 0 failures"), "{out}");
}

#[test]
fn a_replan_shows_completed_work_and_the_calendar_follows_the_ledger() {
    let tmp = example_copy();
    plan(tmp.path());
    let done = "emergency.andes-prod.20261027T1100Z";
    let later = "2026-10-27T12:00:00Z";
    let complete = [
        "complete", done, "--note", "deployed", "--now", later, "--quiet",
    ];
    ok(&run_in(tmp.path(), &complete));
    let next = "2026-10-28T09:00:00Z";
    ok(&run_in(
        tmp.path(),
        &["plan", "--now", next, "--out", "out", "--quiet"],
    ));
    let page = read(tmp.path(), "customers/andes-telecom/index.html");
    let recent = &page[page.find("id=\"completed\"").unwrap()..];
    assert!(
        recent.contains(&format!("data-window=\"{done}\"")),
        "{recent}"
    );
    assert!(
        recent.contains("Se completó todo el trabajo previsto."),
        "{recent}"
    );
    // The calendar holds exactly the windows the ledger still has open, by their UIDs.
    let history = ok(&run_in(
        tmp.path(),
        &[
            "history",
            "--customer",
            "andes-telecom",
            "--format",
            "json",
            "--now",
            next,
        ],
    ));
    let history: Value = serde_json::from_str(&history).unwrap();
    let mut open: Vec<&str> = history["windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["state"] == "planned" || w["state"] == "in_progress")
        .map(|w| w["uid"].as_str().unwrap())
        .collect();
    let ics = read(tmp.path(), "customers/andes-telecom/maintenance.ics").replace("\r\n ", "");
    let mut uids: Vec<&str> = ics.lines().filter_map(|l| l.strip_prefix("UID:")).collect();
    open.sort();
    uids.sort();
    assert_eq!(uids, open);
    assert!(!uids.contains(&format!("{done}@wispgate.example").as_str()));
    // The feed has the completed notice, newest first.
    let atom = read(tmp.path(), "customers/andes-telecom/notices.atom");
    let first = &atom[atom.find("<entry>").unwrap()..];
    assert!(
        first.contains(&format!("notices/{done}.completed")),
        "{first}"
    );
}
