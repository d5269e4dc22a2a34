//! A plan you can trust on real data (issue 12): no fix silently dropped by an advisory nobody
//! has fixed, every unscheduled finding with its reason, no clean result from missing advisory
//! data, time that only moves forward, and windows whose outcome was never recorded.

use std::path::Path;

use serde_json::Value;

use crate::common::{NOW, example_copy, run_in, stderr, stdout};

/// An advisory with no fix for every `wispgate-portal` from 7.0.0 on: low severity, and
/// nothing anyone can upgrade to.
const UNFIXED: &str = r#"id = "WG-2026-099"
summary = "Portal issue nobody has fixed yet"
published = "2026-10-01"
severity = "CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"

[[affected]]
ecosystem = "wispgate"
name = "wispgate-portal"
ranges = [">=7.0.0"]
"#;

/// Plans the inventory in `dir` into `dir/out` with its own ledger; returns plan.json.
fn plan(dir: &Path, now: &str) -> Value {
    let o = run_in(dir, &["plan", "--now", now, "--out", "out", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&std::fs::read(dir.join("out/plan.json")).unwrap()).unwrap()
}

fn findings(plan: &Value) -> impl Iterator<Item = &Value> {
    plan["findings"].as_array().unwrap().iter()
}

fn emergencies(plan: &Value) -> Vec<String> {
    let windows = plan["windows"].as_array().unwrap();
    windows
        .iter()
        .filter(|w| w["kind"] == "emergency")
        .map(|w| w["environments"][0].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_unfixed_advisory_never_holds_back_an_emergency_fix() {
    let tmp = example_copy();
    let before = plan(tmp.path(), NOW);
    let inv = tmp.path().join("inventory");
    std::fs::write(inv.join("advisories/WG-2026-099.toml"), UNFIXED).unwrap();
    std::fs::remove_dir_all(tmp.path().join("out")).unwrap();
    std::fs::remove_dir_all(inv.join(".patchplan")).unwrap();
    let after = plan(tmp.path(), NOW);
    assert_eq!(emergencies(&after), emergencies(&before));
    assert_eq!(emergencies(&after).len(), 5);
    // The actively exploited WG-2026-017 is still fixed, in the same windows, wherever it was.
    let placed = |p: &Value| {
        findings(p)
            .filter(|f| f["advisory"] == "WG-2026-017")
            .map(|f| (f["id"].to_string(), f["window"].to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(placed(&after), placed(&before));
    assert!(placed(&after).iter().all(|(_, w)| w != "null"));
    // The unfixed one stays open, ranked, without a window and says why.
    let unfixed: Vec<&Value> = findings(&after)
        .filter(|f| f["advisory"] == "WG-2026-099")
        .collect();
    assert!(!unfixed.is_empty());
    for f in unfixed {
        assert_eq!(f["status"], "open");
        assert_eq!(f["window"], Value::Null);
        assert_eq!(f["unscheduled_reason"], "no_fix");
        assert_eq!(f["fixed"], Value::Null);
        assert!(f["decision"].is_string());
    }
}
