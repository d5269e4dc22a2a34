//! The formats other tools read: `scan --format sarif` against the SARIF 2.1.0 schema,
//! `--format cyclonedx` read back by cyclonedx-python-lib, `--format markdown`, and the OpenVEX
//! round trip of `vex export`.

use serde_json::Value;

use crate::common::{NOW, example_copy, python, python_with, root, run, run_in, stderr, stdout};

const LOCK: &str = "inventory/locks/portal.Cargo.lock";

fn scan(args: &[&str]) -> String {
    let mut all = vec!["scan", "--now", NOW];
    all.extend(args);
    let o = run(&all);
    assert_eq!(o.status.code(), Some(0), "{all:?}: {}", stderr(&o));
    stdout(&o)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

/// The SARIF of the example inventory and of an ad-hoc lockfile.
fn sarif_logs() -> [Value; 2] {
    [
        json(&scan(&["--format", "sarif"])),
        json(&scan(&[
            "--lockfile",
            LOCK,
            "--osv",
            "inventory/feeds/osv",
            "--format",
            "sarif",
        ])),
    ]
}

#[test]
fn sarif_has_a_rule_per_advisory_and_a_result_per_finding_at_its_line() {
    let [inventory, lockfile] = sarif_logs();
    let findings = json(&scan(&["--format", "json"]))["findings"].clone();
    let run0 = &inventory["runs"][0];
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), findings.as_array().unwrap().len());
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "one rule per advisory");
    for r in results {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
    }
    let h2 = rules
        .iter()
        .find(|r| r["id"] == "RUSTSEC-2026-0041")
        .unwrap();
    assert_eq!(
        h2["helpUri"],
        "https://osv.dev/vulnerability/RUSTSEC-2026-0041"
    );
    let severity: f64 = h2["properties"]["security-severity"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.0..=10.0).contains(&severity));
    // Worst first: the first result is an `act` finding, an error.
    assert_eq!(results[0]["level"], "error");
    assert_eq!(results[0]["properties"]["decision"], "act");
    // Excepted and VEX-suppressed findings are results with an accepted suppression.
    let suppressed = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .count();
    let not_open = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "open" && f["status"] != "informational")
        .count();
    assert_eq!((suppressed, suppressed > 0), (not_open, true));
    // Each lockfile result points at its package's `name = ` line.
    let text = std::fs::read_to_string(root().join(LOCK)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for r in lockfile["runs"][0]["results"].as_array().unwrap() {
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], LOCK);
        let line = loc["region"]["startLine"].as_u64().unwrap() as usize;
        let package = r["properties"]["package"].as_str().unwrap();
        assert_eq!(lines[line - 1], format!("name = \"{package}\""), "{r}");
    }
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema_needs_python_jsonschema() {
    let test = "formats::sarif_validates_against_the_sarif_2_1_0_schema_needs_python_jsonschema";
    if !python_with("jsonschema", test) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let logs = sarif_logs();
    let mut paths = Vec::new();
    for (i, log) in logs.iter().enumerate() {
        let path = tmp.path().join(format!("{i}.sarif"));
        std::fs::write(&path, log.to_string()).unwrap();
        paths.push(path);
    }
    let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    let o = python("tests/sarif/check.py", &refs);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // The check is not vacuous: a log with a bad level fails it.
    let mut bad = logs[0].clone();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    let path = tmp.path().join("bad.sarif");
    std::fs::write(&path, bad.to_string()).unwrap();
    let o = python("tests/sarif/check.py", &[&path]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

#[test]
fn cyclonedx_reads_back_in_cyclonedx_python_lib_with_vex_analysis() {
    let test = "formats::cyclonedx_reads_back_in_cyclonedx_python_lib_with_vex_analysis";
    let text = scan(&["--format", "cyclonedx"]);
    let bom = json(&text);
    assert_eq!(
        (bom["bomFormat"].as_str(), bom["specVersion"].as_str()),
        (Some("CycloneDX"), Some("1.6"))
    );
    assert_eq!(text, scan(&["--format", "cyclonedx"]), "deterministic");
    let findings = json(&scan(&["--format", "json"]))["findings"].clone();
    let mut advisories: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["advisory"].as_str().unwrap())
        .collect();
    advisories.sort();
    advisories.dedup();
    if !python_with("cyclonedx.validation.json", test) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("scan.cdx.json");
    std::fs::write(&path, &text).unwrap();
    let o = python("tests/cyclonedx/check.py", &[&path]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let read = json(&stdout(&o));
    assert_eq!(read["ids"], serde_json::json!(advisories));
    assert_eq!(read["dangling"], serde_json::json!([]));
    assert_eq!(
        read["affects"].as_u64(),
        Some(findings.as_array().unwrap().len() as u64)
    );
    // The example's exception and VEX statements, and its expired exception.
    assert_eq!(
        read["states"],
        serde_json::json!(["exploitable", "in_triage", "not_affected"])
    );
    assert!(
        read["purls"]
            .as_array()
            .unwrap()
            .contains(&"pkg:cargo/h2@0.4.6".into())
    );
}

#[test]
fn markdown_lists_findings_worst_first_with_their_fixes() {
    let md = scan(&["--format", "markdown"]);
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(
        rows[0],
        "| Decision | Package | Version | Advisory | Fixed in | Upgrade to | Target | Status |"
    );
    let rank = |row: &str| match row.split(" | ").next().unwrap() {
        "| **act**" => 4,
        "| attend" => 3,
        "| track\\*" => 2,
        "| track" => 1,
        _ => 0,
    };
    let open: Vec<u8> = rows[1..]
        .iter()
        .filter(|r| r.ends_with("| open |"))
        .map(|r| rank(r))
        .collect();
    assert!(open.windows(2).all(|w| w[0] >= w[1]), "{open:?}");
    assert_eq!(open[0], 4);
    assert!(rows[1].contains("| `h2` | `0.4.6` |") && rows[1].contains("| `0.4.9` | `0.4.9` |"));
    assert!(md.contains("**42 findings**: 39 open (3 act, 9 attend, 7 track\\*, 20 track)"));
}

#[test]
fn scan_only_formats_are_refused_by_other_commands() {
    let o = run(&["plan", "--now", NOW, "--format", "sarif", "--dry-run"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--format sarif is only for `scan`"),
        "{}",
        stderr(&o)
    );
}

/// Each finding's id with whether it is in the plan (open) and its window.
fn plan_effect(dir: &std::path::Path) -> Vec<(String, bool, Value)> {
    let o = run_in(
        dir,
        &["plan", "--now", NOW, "--dry-run", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan = json(&stdout(&o));
    let mut out: Vec<(String, bool, Value)> = plan["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let id = f["id"].as_str().unwrap().to_string();
            (id, f["status"] == "open", f["window"].clone())
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn vex_export_reads_back_with_the_same_effect_as_the_exceptions() {
    let tmp = example_copy();
    let dir = tmp.path();
    let before = plan_effect(dir);
    let exported = dir.join("inventory/vex/exceptions.openvex.json");
    let o = run_in(
        dir,
        &[
            "vex",
            "export",
            "--now",
            NOW,
            "--output",
            exported.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = json(&std::fs::read_to_string(&exported).unwrap());
    let statuses: Vec<&str> = doc["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["affected", "not_affected"],
        "expired first, in force last"
    );
    assert_eq!(
        doc["statements"][1]["products"],
        serde_json::json!([{"@id": "outback-billing"}])
    );
    assert_eq!(
        doc["statements"][1]["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    // The exceptions go; the document that replaces them is read by `vex = ["vex/*.json"]`.
    let overrides = dir.join("inventory/overrides.toml");
    let text = std::fs::read_to_string(&overrides).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&overrides, kept).unwrap();
    let after = plan_effect(dir);
    assert_eq!(before, after);
    let excepted = before.iter().filter(|f| !f.1).count();
    assert!(excepted >= 2, "the example has findings out of the plan");
}

#[test]
fn vex_export_of_an_inventory_without_exceptions_is_an_empty_document() {
    let tmp = example_copy();
    let dir = tmp.path();
    std::fs::write(dir.join("inventory/overrides.toml"), "").unwrap();
    let o = run_in(dir, &["vex", "export", "--now", NOW]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc = json(&stdout(&o));
    assert_eq!(doc["statements"], serde_json::json!([]));
    assert_eq!(doc["@context"], "https://openvex.dev/ns/v0.2.0");
}

#[test]
fn an_exception_justification_must_be_one_of_openvex_s_five() {
    let tmp = example_copy();
    let dir = tmp.path();
    let overrides = dir.join("inventory/overrides.toml");
    crate::common::edit(
        &overrides,
        "justification = \"vulnerable_code_not_in_execute_path\"",
        "justification = \"because\"",
    );
    let o = run_in(dir, &["validate"]);
    assert_eq!(o.status.code(), Some(2));
    let at = crate::common::position(&overrides, "\"because\"");
    assert!(
        stderr(&o).contains(&format!("overrides.toml:{at}: unknown variant `because`")),
        "{}",
        stderr(&o)
    );
}
