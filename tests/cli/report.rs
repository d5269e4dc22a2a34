//! The report `plan` writes under `out/report/`: written after the ledger commits and never by
//! a dry run; the same inputs and `--now` give the same bytes; customer pages at the customer's
//! disclosure level; hostile text inert on both pages; findings carried whole as compact rows;
//! each customer's `maintenance.ics` read by Python's icalendar; a generated fleet larger than
//! the operator page shows: its most urgent findings and customers, what is left out said on
//! the page, and the counts over everything. The browser tests are in `browser.rs`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{NOW, edit, example_copy, inventory_copy, root, run_in, stderr, tree};
use crate::notices::{FIXTURE, ok, plan};

/// What a hostile advisory summary or service name tries: markup that would run script.
pub(crate) const HOSTILE: &str = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','1')\"><script>document.documentElement.setAttribute('data-pwned','1')</script>";

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join("out/report").join(rel))
        .unwrap_or_else(|e| panic!("out/report/{rel}: {e}"))
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

/// Writes a fleet larger than the operator page shows under `dir/inventory`: 150 customers of
/// one environment each, every environment with the same eight packages, each package with 25
/// advisories (30,000 findings). Only every third environment has `pkg7`, whose advisories are
/// known exploited: those customers get emergencies.
pub(crate) fn write_large_fleet(dir: &Path) {
    let inv = dir.join("inventory");
    for sub in ["customers", "environments", "advisories"] {
        std::fs::create_dir_all(inv.join(sub)).unwrap();
    }
    let write = |rel: &str, text: String| std::fs::write(inv.join(rel), text).unwrap();
    write(
        "patchplan.toml",
        "[organisation]\nname = \"Fleet Operator\"\nemail = \"ops@fleet.example\"\ndomain = \"fleet.example\"\n\n\
[defaults]\nnotice = \"48h\"\nhorizon = \"30d\"\n"
            .into(),
    );
    let vectors = [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N",
    ];
    for a in 0..200 {
        let pkg = a % 8;
        write(
            &format!("advisories/GEN-{a:03}.toml"),
            format!(
                "id = \"GEN-{a:03}\"\nsummary = \"Generated flaw {a}\"\npublished = \"2026-10-01\"\nseverity = \"{}\"\n\
exploited = {}\n\n[[affected]]\necosystem = \"acme\"\nname = \"pkg{pkg}\"\nranges = [\">=1.0.0, <1.9.0\"]\n",
                vectors[usize::from(pkg != 7)],
                pkg == 7
            ),
        );
    }
    let days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    for c in 0..150 {
        write(
            &format!("customers/c{c:03}.toml"),
            format!(
                "id = \"c{c:03}\"\nname = \"Customer {c}\"\ntimezone = \"Europe/Madrid\"\ntier = \"standard\"\n\
contacts = [{{ name = \"NOC\", email = \"noc@c{c}.example\" }}]\n\n\
[[windows]]\nid = \"weekly\"\nrrule = \"FREQ=WEEKLY;BYDAY={}\"\nstart = \"02:00\"\nduration = \"4h\"\n",
                days[c % 7]
            ),
        );
        let mut env = format!(
            "id = \"e{c:03}\"\ncustomer = \"c{c:03}\"\nname = \"Environment {c}\"\nexposure = \"internal\"\ncriticality = \"medium\"\n"
        );
        for p in (0..8).filter(|&p| p < 7 || c % 3 == 0) {
            env.push_str(&format!(
                "\n[[components]]\nname = \"pkg{p}\"\necosystem = \"acme\"\nversion = \"1.{}.0\"\n",
                c % 5
            ));
        }
        write(&format!("environments/e{c:03}.toml"), env);
    }
}

/// The value of the attribute `name` in the first tag of `html` that has `marker`.
fn attr_of(html: &str, marker: &str, name: &str) -> String {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker}"));
    let tag = &html[html[..at].rfind('<').unwrap()..];
    let tag = &tag[..tag.find('>').unwrap()];
    let start = tag.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    tag[start..start + tag[start..].find('"').unwrap()].to_string()
}

#[test]
fn a_fleet_report_carries_the_most_urgent_findings_and_counts_them_all() {
    let tmp = tempfile::tempdir().unwrap();
    write_large_fleet(tmp.path());
    let plan = plan(tmp.path());
    let page = read(tmp.path(), "index.html");
    let findings = plan["findings"].as_array().unwrap();
    let windows = plan["windows"].as_array().unwrap();
    assert!(findings.len() > 20_000, "{} findings", findings.len());

    // The summary counts every finding, the findings table carries the 20,000 most urgent and
    // says so.
    let total = findings.len().to_string();
    let card = &page[page.find("data-count=\"findings\">").unwrap() + 22..];
    assert_eq!(&card[..card.find('<').unwrap()], total);
    let decisions = &page[page.find("Findings by decision and status").unwrap()..];
    let decisions = &decisions[..decisions.find("</table>").unwrap()];
    let totals: usize = (decisions.split("<tr>").skip(2))
        .map(|row| {
            let last = row.rsplit("<td>").next().unwrap();
            last[..last.find('<').unwrap()].parse::<usize>().unwrap()
        })
        .sum();
    assert_eq!(totals, findings.len());
    assert_eq!(attr_of(&page, "id=\"findings-cap\"", "data-total"), total);
    assert_eq!(attr_of(&page, "id=\"findings-cap\"", "data-rows"), "20000");
    assert!(page.contains(&format!(
        "There are {total} findings; this page carries the 20000 most urgent, and plan.json has every one."
    )));
    let start = page.find("id=\"findings-data\">").unwrap() + "id=\"findings-data\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    let data: Value = serde_json::from_str(&page[start..end]).unwrap();
    assert_eq!(data["total"], findings.len());
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 20_000);
    // The rows are plan.json's first (most urgent) findings, in its order.
    let env = |r: &Value| data["environments"][r[0].as_u64().unwrap() as usize][0].clone();
    for (i, r) in rows.iter().enumerate().step_by(997) {
        assert_eq!(env(r), findings[i]["environment"], "row {i}");
    }

    // The timeline details 100 of the 150 customers, those with emergencies first; every bar
    // links to a row of the windows table; the other customers' pages are linked.
    assert_eq!(attr_of(&page, "id=\"timeline-cap\"", "data-shown"), "100");
    assert_eq!(
        attr_of(&page, "id=\"timeline-cap\"", "data-customers"),
        "150"
    );
    let shown: Vec<&str> = (page.match_indices("<div class=\"tl-row\" data-customer=\""))
        .map(|(i, m)| {
            let id = &page[i + m.len()..];
            &id[..id.find('"').unwrap()]
        })
        .collect();
    assert_eq!(shown.len(), 100);
    let emergency =
        |c: &str| (windows.iter()).any(|w| w["customer"] == c && w["kind"] == "emergency");
    let with = (0..150).filter(|c| emergency(&format!("c{c:03}"))).count();
    assert!(with > 0 && with < 100, "{with} customers with emergencies");
    assert!(shown[..with].iter().all(|c| emergency(c)), "{shown:?}");
    assert!(!shown[with..].iter().any(|c| emergency(c)), "{shown:?}");
    let bars: Vec<&str> = (page.match_indices("<a class=\"bar "))
        .map(|(i, _)| &page[i..])
        .collect();
    let of_shown = (windows.iter())
        .filter(|w| shown.contains(&w["customer"].as_str().unwrap()))
        .count();
    assert_eq!(bars.len(), of_shown);
    for bar in bars {
        let id = attr_of(bar, "data-window", "data-window");
        assert!(page.contains(&format!("<span id=\"w-{id}\">")), "{id}");
    }
    assert!(page.contains(&format!(
        "The {of_shown} windows of the 100 customers on the timeline, of {} in all; plan.json has every one.",
        windows.len()
    )));
    let others = &page[page.find("id=\"other-customers\"").unwrap()..];
    for c in (0..150).map(|c| format!("c{c:03}")) {
        let link = format!("href=\"customers/{c}/index.html\"");
        assert_eq!(page.matches(&link).count(), 1, "{c}");
        assert_eq!(others.contains(&link), !shown.contains(&c.as_str()), "{c}");
        assert!(
            tmp.path()
                .join(format!("out/report/customers/{c}/notices.atom"))
                .is_file()
        );
    }
}
