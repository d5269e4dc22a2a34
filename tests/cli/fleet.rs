//! Generated fleets (issue 12): inventories made from a seed, with what real feeds contain
//! (advisories without a fix, fixes on two branches, KEV entries, exploited flaws) and what real
//! operators have (blackouts soft and hard, rollout chains, zones with DST). On each, the plan
//! must account for every finding: every open act or attend finding that has a fix is in a
//! window or says why not, no finding without a window lacks `unscheduled_reason`, and adding
//! an advisory nobody has fixed never takes another advisory's fix out of the plan.

use std::fmt::Write as _;
use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;

use crate::common::{NOW, run_in, stderr};

/// A small deterministic generator (xorshift64*), so a failing seed reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const PACKAGES: usize = 8;
const ZONES: [&str; 4] = [
    "America/New_York",
    "Europe/Madrid",
    "Australia/Sydney",
    "America/Bogota",
];
const VECTORS: [&str; 4] = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N",
    "CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:L/A:N",
];

/// Writes a fleet for `seed` under `dir/inventory`.
fn generate(dir: &Path, seed: u64) {
    let mut rng = Rng(seed | 1);
    let inv = dir.join("inventory");
    for sub in ["customers", "environments", "advisories", "feeds"] {
        std::fs::create_dir_all(inv.join(sub)).unwrap();
    }
    let write = |rel: &str, text: &str| std::fs::write(inv.join(rel), text).unwrap();
    write(
        "patchplan.toml",
        r#"[organisation]
name = "Fleet Operator"
email = "ops@fleet.example"
domain = "fleet.example"

[defaults]
notice = "48h"
horizon = "30d"

[[feed]]
id = "kev"
kind = "kev"
source = "feeds/kev.json"

[policy]
emergency_on_missed_deadline = "3d"
"#,
    );
    let mut kev = Vec::new();
    for a in 0..14 {
        let pkg = rng.below(PACKAGES);
        let ranges = match rng.below(6) {
            // A fix on one branch.
            0 | 1 => format!(r#"[">=1.0.0, <1.{}.0"]"#, 2 + rng.below(6)),
            // Fixes on two branches.
            2 => format!(
                r#"[">=1.0.0, <1.{}.1", ">=2.0.0, <2.{}.0"]"#,
                3 + rng.below(5),
                1 + rng.below(4)
            ),
            // Fixed only on the 1.x line; every 2.x stays affected.
            3 => format!(r#"[">=1.0.0, <1.{}.5", ">=2.0.0"]"#, 4 + rng.below(4)),
            // Fixed only by moving to the 2.x line.
            4 => format!(r#"[">=1.0.0, <2.{}.0"]"#, 1 + rng.below(3)),
            // Nobody has fixed it.
            _ => format!(r#"[">=1.{}.0"]"#, rng.below(4)),
        };
        let cve = format!("CVE-2026-{:05}", 10_000 + a);
        if rng.below(4) == 0 {
            kev.push(format!(
                r#"{{"cveID": "{cve}", "dueDate": "2026-11-{:02}", "knownRansomwareCampaignUse": "Unknown"}}"#,
                3 + rng.below(20)
            ));
        }
        let exploited = rng.below(6) == 0;
        write(
            &format!("advisories/GEN-{a:03}.toml"),
            &format!(
                "id = \"GEN-{a:03}\"\nsummary = \"Generated flaw {a}\"\npublished = \"2026-10-01\"\naliases = [\"{cve}\"]\nseverity = \"{}\"\nexploited = {exploited}\n\n[[affected]]\necosystem = \"acme\"\nname = \"pkg{pkg}\"\nranges = {ranges}\n",
                rng.pick(&VECTORS)
            ),
        );
    }
    write(
        "feeds/kev.json",
        &format!(
            r#"{{"catalogVersion": "2026.10.26", "vulnerabilities": [{}]}}"#,
            kev.join(",")
        ),
    );
    let customers = 3;
    for c in 0..customers {
        let mut text = format!(
            "id = \"c{c}\"\nname = \"Customer {c}\"\ntimezone = \"{}\"\ntier = \"{}\"\ndisclosure = \"{}\"\ncontacts = [{{ name = \"NOC\", email = \"noc@c{c}.example\" }}]\n",
            ZONES[rng.below(ZONES.len())],
            rng.pick(&["standard", "premium", "critical"]),
            rng.pick(&["summary", "detailed"]),
        );
        let days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
        let _ = write!(
            text,
            "\n[[windows]]\nid = \"weekly\"\nrrule = \"FREQ=WEEKLY;BYDAY={}\"\nstart = \"0{}:30\"\nduration = \"{}h\"\n",
            rng.pick(&days),
            1 + rng.below(4),
            1 + rng.below(3)
        );
        if rng.below(2) == 0 {
            let from = 1 + rng.below(20);
            let _ = write!(
                text,
                "\n[[blackouts]]\nfrom = \"2026-11-{from:02}\"\nto = \"2026-11-{:02}\"\nreason = \"Freeze {c}\"\nhard = {}\n",
                from + rng.below(8),
                rng.below(3) == 0
            );
        }
        write(&format!("customers/c{c}.toml"), &text);
    }
    for e in 0..9 {
        let customer = e % customers;
        let after = if e >= customers && rng.below(2) == 0 {
            format!("after = \"e{}\"\nsoak = \"24h\"\n", e - customers)
        } else {
            String::new()
        };
        let mut text = format!(
            "id = \"e{e}\"\ncustomer = \"c{customer}\"\nname = \"Environment {e}\"\nexposure = \"{}\"\ncriticality = \"{}\"\n{after}",
            rng.pick(&["internet", "internal", "isolated"]),
            rng.pick(&["low", "medium", "high"]),
        );
        for p in 0..PACKAGES {
            if rng.below(3) == 0 {
                continue;
            }
            let _ = write!(
                text,
                "\n[[components]]\nname = \"pkg{p}\"\necosystem = \"acme\"\nversion = \"{}.{}.{}\"\n",
                1 + rng.below(2),
                rng.below(5),
                rng.below(3)
            );
        }
        write(&format!("environments/e{e}.toml"), &text);
    }
}

fn plan(dir: &Path) -> Value {
    let o = run_in(
        dir,
        &["plan", "--now", NOW, "--quiet", "--ledger", "ledger.db"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    crate::common::read_plan(&dir.join("out/plan.json"))
}

/// Every open finding is accounted for: in a window, or with a reason; an act or attend one
/// with a fix is in a window unless the reason is one the schedule gives.
fn check_accounted(plan: &Value) {
    for f in plan["findings"].as_array().unwrap() {
        if f["status"] != "open" {
            assert_eq!(f["unscheduled_reason"], Value::Null, "{f}");
            continue;
        }
        match (&f["window"], &f["unscheduled_reason"]) {
            (Value::String(_), Value::Null) => {}
            (Value::Null, Value::String(reason)) => {
                if f["fixed"].is_null() {
                    assert_eq!(reason, "no_fix", "{f}");
                }
                let urgent = f["decision"] == "act" || f["decision"] == "attend";
                if urgent && !f["fixed"].is_null() {
                    let known = [
                        "fix_on_other_branch",
                        "rollout_predecessor",
                        "blocked_by_blackout",
                        "no_usable_window",
                        "no_fix",
                    ];
                    assert!(known.contains(&reason.as_str()), "{f}");
                }
            }
            _ => panic!("a finding with both a window and a reason, or neither: {f}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn generated_fleets_account_for_every_finding(seed in any::<u64>()) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        generate(dir, seed);
        let before = plan(dir);
        check_accounted(&before);
        prop_assert!(!before["findings"].as_array().unwrap().is_empty());
        // An advisory nobody has fixed, on every package of the fleet.
        let mut text = String::from("id = \"GEN-UNFIXED\"\nsummary = \"Nobody has fixed this\"\npublished = \"2026-10-01\"\nseverity = \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"\n");
        for p in 0..PACKAGES {
            let _ = write!(text, "\n[[affected]]\necosystem = \"acme\"\nname = \"pkg{p}\"\nranges = [\">=0.0.0\"]\n");
        }
        std::fs::write(dir.join("inventory/advisories/GEN-UNFIXED.toml"), text).unwrap();
        std::fs::remove_dir_all(dir.join("out")).unwrap();
        std::fs::remove_file(dir.join("ledger.db")).unwrap();
        let after = plan(dir);
        check_accounted(&after);
        // Every fix planned before is planned the same way after: the same windows.
        prop_assert_eq!(&before["windows"], &after["windows"]);
        let unfixed = after["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["advisory"] == "GEN-UNFIXED")
            .count();
        prop_assert!(unfixed > 0);
    }
}
