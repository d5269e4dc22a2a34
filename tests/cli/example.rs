//! The shipped example: `plan` writes plan.json and notices, with every decision, emergencies and
//! Spanish notices; the same `--now` gives byte-identical output. The expected decisions were
//! worked out independently of the code from DESIGN.md's rules and the SSVC tables, when the
//! example was written.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::common::{NOW, example_copy, root, run, run_in, stderr};

/// Plans the shipped example into `out`, with a fresh ledger of its own there (`.ledger.db`), so
/// that every test's plan is a first plan and tests do not share the repository's ledger.
fn plan_into(out: &Path) -> Value {
    let out_arg = out.to_str().unwrap();
    let ledger = out.join(".ledger.db");
    let ledger = ledger.to_str().unwrap();
    let o = run(&[
        "plan", "--now", NOW, "--out", out_arg, "--quiet", "--ledger", ledger,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    crate::common::read_plan(&out.join("plan.json"))
}

fn findings(plan: &Value) -> &Vec<Value> {
    plan["findings"].as_array().unwrap()
}

#[test]
fn plan_ranks_schedules_and_writes_notices() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan_into(tmp.path());
    assert_eq!(plan["schema"], "patchplan.plan/v2");
    assert_eq!(plan["now"], "2026-10-27T09:00:00Z");
    let mut decisions: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings(&plan).iter().filter(|f| f["status"] == "open") {
        *decisions
            .entry(f["decision"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    // Open findings only, from tests/fixtures/example_decisions.py (see the test below): 9
    // attend includes the tower-http finding whose exception expired; the excepted, VEX-suppressed
    // and informational findings are counted apart.
    let expected: BTreeMap<String, usize> =
        [("act", 3), ("attend", 9), ("track*", 7), ("track", 20)]
            .map(|(k, v)| (k.to_string(), v))
            .into();
    assert_eq!(decisions, expected);
    let status = |s: &str| findings(&plan).iter().filter(|f| f["status"] == s).count();
    assert_eq!(
        (
            status("excepted"),
            status("not_affected"),
            status("informational")
        ),
        (1, 1, 1)
    );
    for f in findings(&plan) {
        for key in [
            "id",
            "environment",
            "customer",
            "ecosystem",
            "package",
            "version",
            "advisory",
            "aliases",
            "fixed",
            "decision",
            "deadline",
            "score",
            "emergency",
            "window",
            "reasons",
        ] {
            assert!(f.get(key).is_some(), "finding lacks `{key}`: {f}");
        }
        if f["decision"] == "act" {
            assert_eq!(f["emergency"], true, "{f}");
        }
    }
    let emergencies: Vec<&Value> = plan["windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "emergency")
        .collect();
    assert!(!emergencies.is_empty());
    for w in plan["windows"].as_array().unwrap() {
        let customer = w["customer"].as_str().unwrap();
        let id = w["id"].as_str().unwrap();
        let kind = if w["kind"] == "planned" {
            "scheduled"
        } else {
            "emergency"
        };
        for ext in ["txt", "md", "html", "ics", "json"] {
            let file = tmp
                .path()
                .join(format!("notices/{customer}/{id}.{kind}.{ext}"));
            assert!(file.is_file(), "missing {}", file.display());
        }
    }
    let spanish = std::fs::read_to_string(
        tmp.path()
            .join("notices/andes-telecom/emergency.andes-prod.20261027T1100Z.emergency.txt"),
    )
    .unwrap();
    assert!(
        spanish.starts_with(
            "Intervención de seguridad de emergencia: Gateway production (Bogotá, Medellín) – martes, 27 de octubre de 2026, 06:00 hora de Bogotá (GMT-5)\n"
        ) && spanish.contains("WISPGate Networks realizará una intervención"),
        "{spanish}"
    );
    // One notice per window, and a reminder per customer reminder time before each planned
    // window: hudson-fiber 3 windows x 2, andes-telecom 2 x 2, iberia-conecta and
    // outback-wireless 1 x 1.
    assert_eq!(
        plan["notices"].as_array().unwrap().len(),
        plan["windows"].as_array().unwrap().len() + 12
    );
}

/// Every finding's status, decision and deadline is what the independent Python model of
/// DESIGN.md's rules (`tests/fixtures/example_decisions.py`) worked out: BOD 26-04 from `--now`,
/// KEV due dates, the premium tier's SLA, the expired exception and the VEX statements.
#[test]
fn every_finding_matches_the_independent_model() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan_into(tmp.path());
    let tsv = std::fs::read_to_string(root().join("tests/fixtures/example_decisions.tsv")).unwrap();
    let expected: BTreeMap<&str, Vec<&str>> = tsv
        .lines()
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            (cells[0], cells[1..].to_vec())
        })
        .collect();
    let got: BTreeMap<&str, Vec<&str>> = findings(&plan)
        .iter()
        .map(|f| {
            let cells = vec![
                f["status"].as_str().unwrap(),
                f["decision"].as_str().unwrap(),
                f["deadline"].as_str().unwrap_or("-"),
            ];
            (f["id"].as_str().unwrap(), cells)
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn matching_follows_the_osv_rules_on_the_example() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan_into(tmp.path());
    let by_id = |id: &str| findings(&plan).iter().find(|f| f["id"] == id).cloned();
    // Two records of one flaw (RUSTSEC and GHSA, sharing a CVE) are one finding; the RUSTSEC
    // record's events are out of order and the GHSA record has a GIT range.
    let h2 = by_id("hudson-selfcare:h2:RUSTSEC-2026-0041").expect("h2 finding");
    assert_eq!(
        h2["aliases"],
        serde_json::json!(["CVE-2026-41502", "GHSA-6368-x8m5-922q"])
    );
    assert_eq!(h2["fixed"], "0.4.9");
    assert_eq!(
        findings(&plan)
            .iter()
            .filter(|f| f["package"] == "h2")
            .count(),
        1
    );
    // A pre-release inside a native `<7.2.3` range is affected.
    assert!(
        findings(&plan)
            .iter()
            .any(|f| f["environment"] == "andes-lab" && f["version"] == "7.2.3-rc.1")
    );
    // Withdrawn records and ranges that end below the installed version do not match.
    assert!(
        !findings(&plan)
            .iter()
            .any(|f| f["package"] == "express" || f["package"] == "tokio")
    );
    // `last_affected` has no fix: nothing to schedule, and it says so.
    let ip: Vec<&Value> = findings(&plan)
        .iter()
        .filter(|f| f["package"] == "ip")
        .collect();
    assert!(
        !ip.is_empty()
            && ip
                .iter()
                .all(|f| f["fixed"].is_null() && f["window"].is_null())
    );
    // The informational advisory is reported, never an emergency.
    let info = findings(&plan)
        .iter()
        .find(|f| f["informational"] == "unmaintained")
        .expect("informational finding");
    assert_eq!(
        (info["emergency"].as_bool(), info["decision"].as_str()),
        (Some(false), Some("track"))
    );
}

#[test]
fn the_ubuntu_gateway_upgrades_its_os_packages_with_a_reboot() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan_into(tmp.path());
    let tasks: Vec<&Value> = plan["windows"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|w| w["tasks"].as_array().unwrap())
        .filter(|t| t["environment"] == "iberia-gateway")
        .collect();
    let task = |package: &str| *tasks.iter().find(|t| t["package"] == package).unwrap();
    // Matched as source packages of Ubuntu 22.04, against that release's notices only.
    let systemd = task("systemd");
    assert_eq!(systemd["ecosystem"], "Ubuntu:22.04:LTS");
    assert_eq!(
        (&systemd["from"], &systemd["to"]),
        (&"249.11-0ubuntu3.16".into(), &"249.11-0ubuntu3.19".into())
    );
    // systemd means a reboot (10 minutes of downtime, and of window time on top of the 15).
    assert_eq!(systemd["restart"], "reboot");
    assert_eq!(
        (
            systemd["downtime_minutes"].as_u64(),
            systemd["minutes"].as_u64()
        ),
        (Some(10), Some(25))
    );
    assert_eq!(
        systemd["install"],
        "apt-get install --only-upgrade libsystemd0 systemd systemd-sysv"
    );
    // openssh-server is a service; two notices without a shared CVE are one upgrade.
    let openssh = task("openssh");
    assert_eq!(openssh["restart"], "service");
    assert_eq!(openssh["to"], "1:8.9p1-3ubuntu0.14");
    assert_eq!(openssh["findings"].as_array().unwrap().len(), 2);
    // openssl is installed at the fixed version, and squid is only config files.
    assert!(
        !findings(&plan)
            .iter()
            .any(|f| f["environment"] == "iberia-gateway"
                && (f["package"] == "openssl" || f["package"] == "squid"))
    );
    let window = plan["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["tasks"].as_array().unwrap().iter().any(|t| t == systemd))
        .unwrap();
    // iberia-conecta's notices are detailed: they say what to install and that the host reboots.
    let notice = std::fs::read_to_string(tmp.path().join(format!(
        "notices/iberia-conecta/{}.scheduled.txt",
        window["id"].as_str().unwrap()
    )))
    .unwrap();
    assert!(
        notice.contains(
            "Actualizar con: apt-get install --only-upgrade libsystemd0 systemd systemd-sysv (el equipo se reinicia)"
        ),
        "{notice}"
    );
    assert!(notice.contains("USN-8119-1 (CVE-2026-29111)"), "{notice}");
    // explain lists the binaries, the command, the restart and why, and Ubuntu's priority.
    let o = run(&[
        "explain",
        "iberia-gateway:systemd:USN-8119-1",
        "--now",
        NOW,
        "--ledger",
        tmp.path().join(".ledger.db").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "binaries",
        "libsystemd0, systemd, systemd-sysv",
        "upgrade with",
        "reboot (`systemd` is only replaced by a reboot); 10 min of downtime",
        "distribution priority",
        "medium (shown beside the CVSS",
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H",
    ] {
        assert!(text.contains(needle), "{needle}: {text}");
    }
}

#[test]
fn the_dst_change_is_inside_a_planned_window() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan_into(tmp.path());
    let w = plan["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == "hudson-fiber.sunday-early.2026-11-01")
        .expect("window across the DST change");
    // 01:30 is ambiguous in New York that night: the first (EDT) occurrence; 3h elapsed.
    assert_eq!(
        (w["start"].as_str(), w["end"].as_str()),
        (Some("2026-11-01T05:30:00Z"), Some("2026-11-01T08:30:00Z"))
    );
    let md = std::fs::read_to_string(
        tmp.path()
            .join("notices/hudson-fiber/hudson-fiber.sunday-early.2026-11-01.scheduled.md"),
    )
    .unwrap();
    assert!(
        md.contains(
            "Sunday, 1 November 2026, 01:30 EDT (GMT-4) to Sunday, 1 November 2026, 03:30 EST (GMT-5)"
        ),
        "{md}"
    );
}

#[test]
fn summary_notices_name_no_component_version_or_advisory() {
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan_into(tmp.path());
    for customer in ["andes-telecom", "outback-wireless"] {
        let dir = tmp.path().join("notices").join(customer);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for f in findings(&plan).iter().filter(|f| f["customer"] == customer) {
                for secret in [&f["package"], &f["advisory"]] {
                    let s = secret.as_str().unwrap();
                    assert!(!text.contains(s), "{customer} notice leaks `{s}`");
                }
                assert!(!text.contains(&format!(" {} ", f["version"].as_str().unwrap())));
            }
        }
    }
}

#[test]
fn the_same_now_gives_byte_identical_output() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    plan_into(a.path());
    plan_into(b.path());
    let files = |root: &Path| {
        let mut out = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy();
                if name.starts_with(".ledger.db") {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.insert(
                        p.strip_prefix(root).unwrap().to_path_buf(),
                        std::fs::read(&p).unwrap(),
                    );
                }
            }
        }
        out
    };
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert!(fa.len() > 10);
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{} differs between runs", k.display());
    }
}

#[test]
fn fail_on_sets_exit_code_one() {
    let tmp = example_copy();
    let o = run_in(
        tmp.path(),
        &["scan", "--now", NOW, "--fail-on", "act", "--quiet"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = run_in(
        tmp.path(),
        &[
            "--quiet",
            "scan",
            "--fail-on",
            "act",
            "--now",
            NOW,
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["schema"], "patchplan.scan/v1");
}
