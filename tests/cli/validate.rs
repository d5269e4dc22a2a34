//! `patchplan validate`: the example is valid; broken inventories report every problem at once,
//! each with file, line and column, and exit 2.

use std::path::Path;

use crate::common::{
    append, edit, example_copy, position, run, run_in, stderr, stdout, value_position,
};

/// Runs `validate` in `dir`, asserts its exit code, and returns what it printed on stderr.
fn validate(dir: &Path, code: i32) -> String {
    let out = run_in(dir, &["validate"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    err
}

/// Asserts that `err` (a command's stderr) has `line` in it.
fn says(err: &str, line: &str) {
    assert!(err.contains(line), "missing `{line}` in:\n{err}");
}

#[test]
fn the_example_inventory_is_valid() {
    let out = run(&["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("ok (4 customers"), "{}", stdout(&out));
}

#[test]
fn reports_a_misspelt_key_a_misspelt_zone_and_a_dangling_stack_together() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    let env = inv.join("environments/andes-lab.toml");
    let customer = inv.join("customers/outback-wireless.toml");
    let stacked = inv.join("environments/hudson-prod.toml");
    edit(&env, "criticality =", "criticallity =");
    edit(&customer, "\"Australia/Sydney\"", "\"Australia/Sydny\"");
    edit(&stacked, "\"wispgate-edge-7.2\"", "\"wispgate-edge-9.9\"");
    let err = validate(tmp.path(), 2);
    let expect = [
        (
            env.clone(),
            position(&env, "criticallity"),
            "unknown field `criticallity`",
        ),
        (
            customer.clone(),
            position(&customer, "\"Australia/Sydny\""),
            "unknown time zone `Australia/Sydny`; did you mean `Australia/Sydney`?",
        ),
        (
            stacked.clone(),
            position(&stacked, "\"wispgate-edge-9.9\""),
            "unknown stack `wispgate-edge-9.9`",
        ),
    ];
    for (path, at, message) in expect {
        let rel = format!("inventory/{}", path.strip_prefix(&inv).unwrap().display());
        let line = format!("{rel}:{at}: {message}");
        says(&err, &line);
    }
    assert!(err.contains("3 problems found"), "{err}");
}

#[test]
fn reports_bad_values_and_references() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    let customer = inv.join("customers/hudson-fiber.toml");
    edit(&customer, "rrule = \"", "rrule = \"FREQ=HOURLY;");
    edit(&customer, "duration = \"", "duration = \"x");
    let staging = inv.join("environments/hudson-staging.toml");
    edit(
        &staging,
        "customer = \"hudson-fiber\"",
        "customer = \"hudson-fibre\"",
    );
    let prod = inv.join("environments/hudson-prod.toml");
    edit(
        &prod,
        "after = \"hudson-staging\"",
        "after = \"hudson-prod\"",
    );
    let err = validate(tmp.path(), 2);
    for needle in [
        "invalid RRULE",
        "invalid duration `x",
        "unknown customer `hudson-fibre`",
        "an environment cannot come after itself",
    ] {
        says(&err, needle);
    }
    assert!(err.lines().all(|l| !l.contains("panicked")), "{err}");
}

#[test]
fn reports_duplicate_ids_and_rollout_cycles() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    std::fs::copy(
        inv.join("customers/andes-telecom.toml"),
        inv.join("customers/zz-copy.toml"),
    )
    .unwrap();
    let staging = inv.join("environments/andes-staging.toml");
    let text = std::fs::read_to_string(&staging).unwrap();
    let with_after = text.replacen("customer =", "after = \"andes-prod\"\ncustomer =", 1);
    std::fs::write(&staging, with_after).unwrap();
    let err = validate(tmp.path(), 2);
    assert!(
        err.contains("inventory/customers/zz-copy.toml:")
            && err.contains("duplicate customer id `andes-telecom`"),
        "{err}"
    );
    assert!(
        err.contains("rollout order has a cycle: andes-prod -> andes-staging -> andes-prod"),
        "{err}"
    );
}

#[test]
fn a_missing_inventory_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_in(tmp.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not an inventory: no patchplan.toml here"),
        "{}",
        stderr(&out)
    );
}

/// Regression: values that once reached a panic (a duplicate id inside a rollout cycle, a
/// non-ASCII BYDAY, patch minutes past chrono's range) are ordinary errors.
#[test]
fn hostile_values_are_errors_not_panics() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    let envs = inv.join("environments");
    std::fs::write(envs.join("x1.toml"), "id = \"x\"\ncustomer = \"andes-telecom\"\nname = \"x\"\nexposure = \"internal\"\ncriticality = \"low\"\nafter = \"y\"\n").unwrap();
    std::fs::write(envs.join("x2.toml"), "id = \"x\"\ncustomer = \"andes-telecom\"\nname = \"x\"\nexposure = \"internal\"\ncriticality = \"low\"\n").unwrap();
    std::fs::write(envs.join("y.toml"), "id = \"y\"\ncustomer = \"andes-telecom\"\nname = \"y\"\nexposure = \"internal\"\ncriticality = \"low\"\nafter = \"x\"\n").unwrap();
    let customer = inv.join("customers/andes-telecom.toml");
    edit(&customer, "offset = \"4d\"", "offset = \"4d12h\"");
    edit(
        &inv.join("customers/hudson-fiber.toml"),
        "BYDAY=SU",
        "BYDAY=éU",
    );
    edit(
        &inv.join("stacks/wispgate-edge-7.2.toml"),
        "patch_minutes = 30",
        "patch_minutes = 4294967295",
    );
    let err = validate(tmp.path(), 2);
    for needle in [
        "duplicate environment id `x`",
        "an offset is a whole number of days",
        "BYDAY: `éU`",
        "patch_minutes must be at most 10080",
    ] {
        says(&err, needle);
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_os_package_list_needs_a_known_release() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    let env = inv.join("environments/iberia-gateway.toml");
    // A misspelt release is an error at its value.
    edit(&env, "\"ubuntu:22.04\"", "\"ubunto:22.04\"");
    let err = validate(tmp.path(), 2);
    let at = position(&env, "\"ubunto:22.04\"");
    let line = format!(
        "inventory/environments/iberia-gateway.toml:{at}: unknown distribution `ubunto:22.04`: expected ID:VERSION"
    );
    says(&err, &line);
    // Reported once, at the key, not again at the status file.
    assert!(!err.contains("cannot read lockfile"), "{err}");
    // Ubuntu Pro on Debian, at `ubuntu_pro`.
    edit(&env, "\"ubunto:22.04\"", "\"debian:12\"");
    edit(&env, "ubuntu_pro = false", "ubuntu_pro = true");
    let out = run_in(tmp.path(), &["validate"]);
    let err = stderr(&out);
    let at = position(&env, "true");
    assert!(
        err.contains(&format!(
            "iberia-gateway.toml:{at}: `ubuntu_pro` applies to Ubuntu only, not to `debian:12`"
        )),
        "{err}"
    );
    // No release at all: the list cannot be read, and the message says what to add.
    edit(&env, "distro = \"debian:12\"", "");
    edit(&env, "ubuntu_pro = true", "");
    let err = validate(tmp.path(), 2);
    let at = position(&env, "\"hosts/iberia-gateway.dpkg-status\"");
    assert!(
        err.contains(&format!("iberia-gateway.toml:{at}: cannot read lockfile: ")),
        "{err}"
    );
    assert!(
        err.contains("set `distro = \"ubuntu:22.04\"` on the environment"),
        "{err}"
    );
    // An os-release file beside the list names it instead.
    std::fs::write(
        inv.join("hosts/os-release"),
        "ID=ubuntu\nVERSION_ID=\"22.04\"\n",
    )
    .unwrap();
    validate(tmp.path(), 0);
    // A misspelt key is an unknown key, as everywhere.
    edit(
        &env,
        "customer =",
        "distro_id = \"ubuntu:22.04\"\ncustomer =",
    );
    let out = run_in(tmp.path(), &["validate"]);
    assert!(
        stderr(&out).contains("unknown field `distro_id`"),
        "{}",
        stderr(&out)
    );
}

/// What an exploratory run found `validate` let through, each now an error at its place: a
/// contact's address that is no address (send then gave up on the customer's every notice), a
/// line break in a contact's name or the organisation's email, two reminders of one length
/// (plan then failed on the ledger's unique notice ids), and a component whose fields say
/// another package than its purl (the vulnerable one went unchecked).
#[test]
fn contacts_reminders_and_purls_that_cannot_work_are_errors() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    let customer = inv.join("customers/hudson-fiber.toml");
    edit(
        &customer,
        "email = \"noc@hudsonfiber.example\"",
        "email = \"noc.hudsonfiber.example\"",
    );
    edit(
        &customer,
        "name = \"Dana Whitfield (CISO)\"",
        "name = \"Dana\\r\\nBcc: x@y.example\"",
    );
    edit(
        &customer,
        "reminders = [\"24h\", \"1h\"]",
        "reminders = [\"24h\", \"1h\", \"60m\"]",
    );
    let config = inv.join("patchplan.toml");
    edit(
        &config,
        "email = \"maintenance@wispgate.example\"",
        "email = \"m@wispgate.example\\n\"",
    );
    let env = inv.join("environments/hudson-prod.toml");
    let odd = "\n[[components]]\npurl = \"pkg:cargo/h2@0.4.6\"\nname = \"h2\"\necosystem = \"npm\"\nversion = \"0.4.6\"\n";
    append(&env, odd);
    let err = validate(tmp.path(), 2);
    let expect = [
        (
            &customer,
            "\"noc.hudsonfiber.example\"",
            "`noc.hudsonfiber.example` is not an email address",
        ),
        (
            &customer,
            "\"Dana\\r",
            "a contact's name and email may not hold control characters",
        ),
        (
            &customer,
            "\"60m\"",
            "reminder `60m` is as long as an earlier one: each once",
        ),
        (
            &config,
            "\"m@wispgate",
            "the organisation's name and email may not hold control characters",
        ),
        (
            &env,
            "\"npm\"",
            "`ecosystem` `npm` is not the purl's `crates.io`: give one",
        ),
    ];
    for (path, needle, message) in expect {
        let rel = format!("inventory/{}", path.strip_prefix(&inv).unwrap().display());
        let line = format!("{rel}:{}: {message}", position(path, needle));
        says(&err, &line);
    }
    assert!(err.contains("5 problems found"), "{err}");
    // The raw line break is not printed.
    assert!(!err.contains("m@wispgate.example\n\""), "{err}");
}

/// Hidden files in the inventory's directories (an editor's lock file, a backup copy) are not
/// read, as a shell's `customers/*.toml` would not name them.
#[test]
fn hidden_files_in_inventory_directories_are_not_read() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    let customers = inv.join("customers");
    std::fs::copy(
        customers.join("hudson-fiber.toml"),
        customers.join(".hudson-fiber.toml"),
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("root@host.1234:1", customers.join(".#hudson-fiber.toml")).unwrap();
    let out = run_in(tmp.path(), &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("ok (4 customers"), "{}", stdout(&out));
    // Nor hashed as the inventory: the run records its hash (the lock file is a dangling link).
    let out = run_in(
        tmp.path(),
        &["plan", "--now", crate::common::NOW, "--quiet"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run_in(tmp.path(), &["history", "--format", "json"]);
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        h["runs"][0]["inventory_sha256"].as_str().map(str::len),
        Some(64),
        "{h}"
    );
}

/// A window's length is elapsed time: a daily 24-hour window overlaps itself where the clocks
/// go forward (New York's local day of 2026-03-08 is 23 hours), and `validate` says so with the
/// elapsed gap; a 23-hour one does not.
#[test]
fn a_window_overlapping_itself_across_a_clock_change_is_an_error() {
    let tmp = example_copy();
    let customer = tmp.path().join("inventory/customers/hudson-fiber.toml");
    edit(
        &customer,
        "rrule = \"FREQ=WEEKLY;BYDAY=SU\"",
        "rrule = \"FREQ=DAILY\"",
    );
    edit(&customer, "start = \"01:30\"", "start = \"03:00\"");
    edit(&customer, "duration = \"3h\"", "duration = \"23h\"");
    validate(tmp.path(), 0);
    edit(&customer, "duration = \"23h\"", "duration = \"24h\"");
    let err = validate(tmp.path(), 2);
    let at = value_position(&customer, "duration = \"24h\"");
    let line = format!(
        "inventory/customers/hudson-fiber.toml:{at}: the window lasts 1d, longer than the 23h between its occurrences at 2026-03-07 03:00 and 2026-03-08 03:00: they would overlap"
    );
    says(&err, &line);
}

/// An environment's own `[[components]]` naming one package twice keep the last, and say so:
/// the earlier version is not checked, so it must not vanish unsaid.
#[test]
fn a_component_declared_twice_is_a_warning_naming_both_versions() {
    let tmp = example_copy();
    let env = tmp.path().join("inventory/environments/hudson-prod.toml");
    let twice = "\n[[components]]\npurl = \"pkg:cargo/h2@0.4.6\"\n\n[[components]]\nname = \"h2\"\necosystem = \"crates.io\"\nversion = \"0.4.7\"\n";
    append(&env, twice);
    let err = validate(tmp.path(), 0);
    let warning = "environment `hudson-prod`: component `h2` (crates.io) is declared twice in its [[components]], at 0.4.6 and 0.4.7; only the last is checked";
    says(&err, warning);
}

/// A customer no notice can reach (no contacts, no webhook, while notices are emailed) is a
/// warning: `send` would otherwise pass over its notices, emergencies included, in silence.
#[test]
fn a_customer_no_notice_can_reach_is_a_warning() {
    let tmp = example_copy();
    let customer = tmp.path().join("inventory/customers/hudson-fiber.toml");
    let text = std::fs::read_to_string(&customer).unwrap();
    let from = text.find("contacts = [").unwrap();
    let to = from + text[from..].find("\n]").unwrap() + 2;
    std::fs::write(
        &customer,
        format!("{}contacts = []{}", &text[..from], &text[to..]),
    )
    .unwrap();
    let err = validate(tmp.path(), 0);
    let warning = "customer `hudson-fiber` has no contacts and no webhook: its notices are written, but `send` delivers them to no one";
    says(&err, warning);
}

/// Fields beside a purl that say the same package in other words are not a contradiction (the
/// review of the check above found each of these refused): a release the purl cannot carry, a
/// name's case or `_`, a Go version's `v`, a PEP 440 version's trailing zero.
#[test]
fn fields_that_agree_with_their_purl_in_other_words_are_valid() {
    let tmp = example_copy();
    let env = tmp.path().join("inventory/environments/hudson-prod.toml");
    let same = [
        (
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2",
            "ecosystem = \"Debian:12\"",
        ),
        ("pkg:npm/jsonstream@1.3.5", "name = \"JSONStream\""),
        ("pkg:cargo/serde_json@1.0.100", "name = \"serde-json\""),
        (
            "pkg:golang/github.com/BurntSushi/toml@v1.3.2",
            "version = \"1.3.2\"",
        ),
        ("pkg:pypi/django@4.2", "version = \"4.2.0\""),
    ];
    let added: String = (same.iter())
        .map(|(purl, field)| format!("\n[[components]]\npurl = \"{purl}\"\n{field}\n"))
        .collect();
    append(&env, &added);
    validate(tmp.path(), 0);
}

/// Without `[delivery] smtp` nothing is emailed: a contact's unusable address is a warning there,
/// with a hint for the commonest mistake (a name written into `email`).
#[test]
fn an_unusable_contact_address_is_a_warning_when_nothing_is_emailed() {
    let tmp = example_copy();
    let inv = tmp.path().join("inventory");
    edit(
        &inv.join("patchplan.toml"),
        "smtp = \"smtp://127.0.0.1:2525\"",
        "",
    );
    let customer = inv.join("customers/hudson-fiber.toml");
    let bad = "email = \"NOC <noc@hudsonfiber.example>\"";
    edit(&customer, "email = \"noc@hudsonfiber.example\"", bad);
    let err = validate(tmp.path(), 0);
    let at = value_position(&customer, bad);
    let warning = format!(
        "inventory/customers/hudson-fiber.toml:{at}: `NOC <noc@hudsonfiber.example>` is not an email address"
    );
    says(&err, &warning);
    assert!(
        err.contains("put the name in `name` and only the address in `email`"),
        "{err}"
    );
}
