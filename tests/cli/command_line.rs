//! The command line itself: finding the inventory, `init`, completions and the man page,
//! colour, and `--format json` with a `schema` key everywhere.

use std::path::Path;

use serde_json::Value;

use crate::common::{NOW, command, example_copy, root, run, run_in, stderr, stdout};

#[test]
fn the_inventory_is_found_from_a_nested_directory_and_verbose_says_which() {
    let tmp = example_copy();
    let nested = tmp.path().join("inventory/customers");
    let o = run_in(&nested, &["validate", "--verbose"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("..: ok ("), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("using inventory .. (the nearest patchplan.toml)"),
        "{}",
        stderr(&o)
    );
    // $PATCHPLAN_INVENTORY comes before the directories, --inventory before both.
    let o = command(&nested, &["validate", "--verbose"])
        .env("PATCHPLAN_INVENTORY", tmp.path().join("inventory"))
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("($PATCHPLAN_INVENTORY)"),
        "{}",
        stderr(&o)
    );
    let o = command(
        tmp.path(),
        &["validate", "--verbose", "--inventory", "inventory"],
    )
    .env("PATCHPLAN_INVENTORY", "/nonexistent")
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("using inventory inventory (--inventory)"));
    // Above it, with nothing nearer, the default ./inventory.
    let o = run_in(tmp.path(), &["validate", "--verbose"]);
    assert!(
        stderr(&o).contains("using inventory inventory (the default)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn init_writes_an_inventory_that_validate_accepts_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run_in(tmp.path(), &["init", "ops"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for file in [
        "patchplan.toml",
        "customers/example-customer.toml",
        "environments/example-prod.toml",
    ] {
        assert!(tmp.path().join("ops").join(file).is_file(), "{file}");
    }
    let o = run_in(
        &tmp.path().join("ops/environments"),
        &["validate", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["counts"]["environments"].as_u64()),
        (Some(true), Some(1))
    );
    let text = std::fs::read_to_string(tmp.path().join("ops/patchplan.toml")).unwrap();
    assert!(text.contains("https://osv-vulnerabilities.storage.googleapis.com/"));
    let o = run_in(tmp.path(), &["init", "ops"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("already an inventory"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _patchplan"),
        ("zsh", "#compdef patchplan"),
        ("fish", "complete -c patchplan"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(text.contains(marker), "{shell}: no `{marker}`");
        for sub in ["scan", "plan", "validate", "init"] {
            assert!(text.contains(sub), "{shell} completes no `{sub}`");
        }
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_man_page_documents_every_command() {
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(
        page.contains("\n.TH patchplan 1 "),
        "{}",
        &page[..200.min(page.len())]
    );
    for sub in [
        "validate",
        "scan",
        "plan",
        "explain",
        "vex",
        "init",
        "completions",
    ] {
        assert!(page.contains(sub), "man page has no `{sub}`");
    }
    let tmp = tempfile::tempdir().unwrap();
    let o = run(&["man", "--out-dir", tmp.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(tmp.path().join("patchplan.1").is_file());
    assert!(tmp.path().join("patchplan-scan.1").is_file());
}

fn has_escape(bytes: &[u8]) -> bool {
    bytes.contains(&0x1b)
}

#[test]
fn color_never_and_no_color_print_no_escape_codes_and_always_does() {
    let args = ["scan", "--now", NOW];
    let with = |extra: &[&str], no_color: bool| {
        let mut all = args.to_vec();
        all.extend(extra);
        let mut cmd = command(&root(), &all);
        if !no_color {
            cmd.env_remove("NO_COLOR");
        }
        cmd.output().unwrap()
    };
    let always = with(&["--color", "always"], false);
    assert!(has_escape(&always.stdout), "act and EMERGENCY are red");
    assert!(has_escape(&always.stderr), "warning: is yellow");
    // Colour never shifts the columns: without escape codes it is the plain table.
    let never = with(&["--color", "never"], false);
    assert!(!has_escape(&never.stdout) && !has_escape(&never.stderr));
    let stripped = String::from_utf8_lossy(&always.stdout)
        .replace("\x1b[1;31m", "")
        .replace("\x1b[0m", "");
    assert_eq!(stripped, stdout(&never));
    let auto = with(&["--color", "auto"], true);
    assert!(!has_escape(&auto.stdout) && !has_escape(&auto.stderr));
    // The plan's emergencies too, and only those cells.
    let tmp = example_copy();
    let plan = command(
        tmp.path(),
        &["plan", "--now", NOW, "--dry-run", "--color", "always"],
    )
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&plan.stdout);
    let emergency = text.lines().find(|l| l.contains("EMERGENCY")).unwrap();
    assert!(
        emergency.contains("\x1b[1;31mEMERGENCY\x1b[0m  "),
        "{emergency}"
    );
    assert!(emergency.contains("\x1b[1;31mact\x1b[0m  "), "{emergency}");
    let errors = command(
        &root(),
        &["validate", "--inventory", "nowhere", "--color", "always"],
    )
    .output()
    .unwrap();
    assert!(String::from_utf8_lossy(&errors.stderr).starts_with("\x1b[1;31merror:\x1b[0m"));
}

fn schema_of(dir: &Path, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["--format", "json", "--now", NOW]);
    let o = run_in(dir, &all);
    assert_eq!(o.status.code(), Some(0), "{all:?}: {}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{all:?} prints no JSON ({e}): {}", stdout(&o)));
    v["schema"].as_str().unwrap_or_default().to_string()
}

#[test]
fn every_command_honours_format_json_with_a_schema_key() {
    let tmp = example_copy();
    let dir = tmp.path();
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["validate"], "patchplan.validate/v1"),
        (vec!["scan"], "patchplan.scan/v1"),
        (vec!["plan", "--out", out], "patchplan.plan/v2"),
        (vec!["windows", "andes-telecom"], "patchplan.windows/v1"),
        (vec!["explain", "WG-2026-017"], "patchplan.explain/v1"),
        (vec!["feeds", "status"], "patchplan.feeds-status/v1"),
        (vec!["history"], "patchplan.history/v1"),
        (vec!["ledger", "check"], "patchplan.ledger-check/v1"),
        (vec!["ledger", "export"], "patchplan.ledger/v1"),
    ];
    for (args, schema) in cases {
        assert_eq!(schema_of(dir, &args), schema, "{args:?}");
    }
    let bad = run_in(
        dir,
        &["validate", "--inventory", "nowhere", "--format", "json"],
    );
    assert_eq!(bad.status.code(), Some(2));
    let init_dir = dir.join("fresh");
    let init = schema_of(dir, &["init", init_dir.to_str().unwrap()]);
    assert_eq!(init, "patchplan.init/v1");
}

#[test]
fn validate_json_lists_every_problem_with_its_position() {
    let tmp = example_copy();
    let dir = tmp.path();
    crate::common::edit(
        &dir.join("inventory/environments/andes-lab.toml"),
        "exposure = \"isolated\"",
        "exposure = \"orbit\"",
    );
    let o = run_in(dir, &["validate", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (v["schema"].as_str(), v["ok"].as_bool()),
        (Some("patchplan.validate/v1"), Some(false))
    );
    let p = &v["problems"][0];
    assert!(
        p["path"].as_str().unwrap().ends_with("andes-lab.toml"),
        "{p}"
    );
    assert!(
        p["line"].as_u64().unwrap() > 0 && p["column"].as_u64().unwrap() > 0,
        "{p}"
    );
}

#[test]
fn help_groups_global_options_and_ends_with_examples() {
    let o = run(&["--help"]);
    let help = stdout(&o);
    assert!(help.contains("Global options:"), "{help}");
    assert!(help.contains("Examples:"), "{help}");
    let o = run(&["scan", "--help"]);
    let help = stdout(&o);
    assert!(
        help.contains("Examples:") && help.contains("--format sarif"),
        "{help}"
    );
    for heading in [
        "Inputs (instead of the inventory):",
        "Feeds:",
        "Global options:",
    ] {
        assert!(help.contains(heading), "no `{heading}` in {help}");
    }
}

#[test]
fn tables_fit_80_columns_when_asked_and_are_never_cut_in_a_pipe() {
    let args = ["scan", "--now", NOW];
    let narrow = command(&root(), &args)
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    let text = stdout(&narrow);
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows.len() > 30, "{text}");
    for line in &rows {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    assert!(text.contains("…"), "something had to give: {text}");
    // Advisory ids stay whole where only outliers are long.
    assert!(text.contains("  WG-2026-017  "), "{text}");
    let piped = stdout(&run(&args));
    assert!(piped.lines().any(|l| l.chars().count() > 80) && !piped.contains('…'));
}

#[test]
fn quiet_silences_warnings_in_every_command_and_summaries_where_a_report_is_not_the_point() {
    let tmp = example_copy();
    let dir = tmp.path();
    let plan = run_in(dir, &["plan", "--now", NOW, "--quiet"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    // The example has an expired exception: every command that loads it warns, unless --quiet.
    let loud = run_in(dir, &["scan", "--now", NOW]);
    assert!(stderr(&loud).contains("warning:"), "{}", stderr(&loud));
    for (args, prints) in [
        (vec!["validate"], false),
        (vec!["scan"], false),
        (vec!["plan", "--dry-run"], false),
        (vec!["windows", "andes-telecom"], false),
        (vec!["feeds", "status"], false),
        (vec!["explain", "WG-2026-017"], true),
        (vec!["history"], true),
    ] {
        let mut all = args.clone();
        all.extend(["--quiet", "--now", NOW]);
        let o = run_in(dir, &all);
        assert_eq!(o.status.code(), Some(0), "{all:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{all:?}");
        assert_eq!(!o.stdout.is_empty(), prints, "{all:?}: {}", stdout(&o));
    }
}
