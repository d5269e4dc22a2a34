//! `patchplan explain` on the example: an emergency, a deadline miss, an excepted finding and a
//! VEX-suppressed one each come with the full reasoning; the JSON is the same model; an id that
//! names nothing is a usage error.

use serde_json::Value;

use crate::common::{NOW, run, stderr, stdout};

/// Runs `explain` with `args` on the example and returns its text output.
fn explain(args: &[&str]) -> String {
    let mut all = vec!["explain", "--now", NOW, "--quiet"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

/// Asserts that `text` holds every needle, with runs of spaces (column padding) read as one.
fn assert_lines(text: &str, needles: &[&str]) {
    let squeeze = |s: &str| {
        let lines: Vec<String> = s
            .split('\n')
            .map(|l| {
                l.split(' ')
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        lines.join("\n")
    };
    let squeezed = squeeze(text);
    for needle in needles {
        assert!(
            squeezed.contains(&squeeze(needle)),
            "missing `{needle}` in:\n{text}"
        );
    }
}

#[test]
fn explains_an_emergency() {
    let text = explain(&["WG-2026-017", "--environment", "andes-prod"]);
    assert_lines(
        &text,
        &[
            "andes-prod:wispgate-portal:WG-2026-017\n",
            "CVSS         3.1 base score 8.1 (CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N)  feed inventory, record WG-2026-017",
            "EPSS         CVE-2026-41377: probability 0.08514, percentile 0.92104",
            "exploited    yes",
            "exploitation            active  advisory WG-2026-017 says exploited = true",
            "automatable             no      CVSS 3.1 AV:N/PR:N/UI:R",
            "mission and well-being  high    environment criticality high",
            "Decision: act (CISA SSVC coordinator v2.0.3 row 29: active, no, total, high -> act)",
            "BOD 26-04 row 12 (in KEV yes, publicly exposed yes, automatable no, technical impact total): 3 days & forensic investigation after detection at 2026-10-27 09:00 UTC = 2026-10-30 09:00 UTC",
            "=> deadline 2026-10-30 09:00 UTC (set by BOD 26-04)",
            "Score 87.7",
            "EMERGENCY intervention emergency.andes-prod.20261027T1100Z: 2026-10-27 11:00 UTC",
            "decision act: an emergency intervention by policy (emergency = [act])",
        ],
    );
    // Only the environment asked for.
    assert_eq!(
        text.matches(":wispgate-portal:WG-2026-017").count(),
        1,
        "{text}"
    );
}

#[test]
fn explains_a_deadline_miss() {
    let text = explain(&["andes-prod:axios:GHSA-x639-jrgf-8x3r"]);
    assert_lines(
        &text,
        &[
            "status       open\n",
            "KEV          not listed (no CVE alias is in the catalog)",
            "exploitation            none    not in KEV, not marked exploited, EPSS percentile 0.771 for CVE-2026-41866 < 0.95",
            "Decision: attend (CISA SSVC coordinator v2.0.3 row 8: none, yes, partial, high -> attend)",
            "BOD 26-04 row 7 (in KEV no, publicly exposed yes, automatable yes, technical impact partial): 14 days after detection at 2026-10-27 09:00 UTC = 2026-11-10 09:00 UTC",
            "SLA for tier premium decision attend: 7d after detection = 2026-11-03 09:00 UTC is earlier: it is the deadline",
            "=> deadline 2026-11-03 09:00 UTC (set by SLA)",
            "planned window andes-telecom.sunday-early.2026-11-08: 2026-11-08 07:00 UTC",
            "DEADLINE MISSED",
            "not usable before it: sunday-early 2026-11-01: inside the 5d notice period (planned work from 2026-11-01 09:00 UTC)",
            "deadline miss: no usable window before 2026-11-03 09:00 UTC; placed in the earliest usable one after it (policy emergency_on_missed_deadline = \"3d\")",
        ],
    );
}

#[test]
fn explains_an_excepted_finding() {
    let text = explain(&["CVE-2026-41890"]);
    assert_lines(
        &text,
        &[
            "outback-billing:ip:GHSA-rx39-2q6v-69fw\n",
            "status       excepted; exception for GHSA-rx39-2q6v-69fw until 2027-01-31, owner secops@wispgate.example: billing-sync only calls ip.address()",
            "fix          no fixed version known",
            "Decision: track (CISA SSVC coordinator v2.0.3 row 9",
            "=> deadline 2026-12-26 09:00 UTC (set by BOD 26-04)",
            "not scheduled: status excepted",
        ],
    );
}

#[test]
fn explains_a_vex_suppressed_finding() {
    let text = explain(&["RUSTSEC-2026-0053"]);
    assert_lines(
        &text,
        &[
            "hudson-selfcare:jsonwebtoken:RUSTSEC-2026-0053\n",
            "declared in  locks/portal.Cargo.lock",
            "status       not_affected; VEX not_affected at vex/wispgate-psirt.openvex.json:9:5, justification vulnerable_code_not_in_execute_path: The self-care portal always validates tokens",
            "technical impact        total   CVSS 4.0 VC:H/VI:H; total needs VC:H and VI:H",
            "mission and well-being  high    environment criticality medium; raised one step for tier critical",
            "Decision: track* (CISA SSVC coordinator v2.0.3 row 5",
            "not scheduled: status not_affected",
        ],
    );
    // A statement that keeps the finding says so.
    let kept = explain(&["GO-2026-4389", "--environment", "andes-prod"]);
    assert_lines(
        &kept,
        &[
            "status       open; VEX under_investigation at vex/wispgate-psirt.openvex.json:24:5: radiusd reaches",
            "planned window andes-telecom.sunday-early.2026-11-08",
        ],
    );
}

#[test]
fn json_is_the_same_model() {
    let o = run(&[
        "explain",
        "--now",
        NOW,
        "--quiet",
        "CVE-2026-41502",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["schema"], "patchplan.explain/v1");
    let x = &report["findings"][0];
    assert_eq!(x["finding"]["id"], "hudson-selfcare:h2:RUSTSEC-2026-0041");
    assert_eq!(x["finding"]["decision"], "act");
    assert_eq!(x["decision"]["row"], 32);
    assert_eq!(x["deadline"]["bod_row"], 11);
    assert_eq!(x["deadline"]["kev_due"], "2026-11-12");
    assert_eq!(x["deadline"]["set_by"], "BOD 26-04");
    assert_eq!(x["schedule"]["window"]["kind"], "emergency");
    let kev = x["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "KEV")
        .unwrap();
    assert_eq!(kev["source"], "feed kev (2026.10.26)");
    let points: f64 = x["score"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["points"].as_f64().unwrap())
        .sum();
    assert_eq!((points * 10.0).round() / 10.0, x["finding"]["score"]);
}

#[test]
fn an_id_that_names_nothing_is_a_usage_error() {
    for args in [
        vec!["explain", "CVE-1999-0001", "--now", NOW],
        vec![
            "explain",
            "WG-2026-017",
            "--environment",
            "nowhere",
            "--now",
            NOW,
        ],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).starts_with("error: "), "{}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

/// A deferral of an `act` finding does not hold its emergency intervention, and `explain` says
/// so rather than dropping the deferral in silence (found by an exploratory run).
#[test]
fn a_deferral_of_an_emergency_is_explained_not_dropped() {
    let tmp = crate::common::example_copy();
    let overrides = tmp.path().join("inventory/overrides.toml");
    let deferral = "\n[[deferrals]]\nadvisory = \"WG-2026-017\"\nenvironments = [\"andes-prod\"]\nnot_before = \"2026-12-01\"\nreason = \"vendor asks to wait\"\n";
    crate::common::append(&overrides, deferral);
    let id = "andes-prod:wispgate-portal:WG-2026-017";
    let o = crate::common::run_in(tmp.path(), &["explain", id, "--now", crate::common::NOW]);
    let out = crate::common::stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", crate::common::stderr(&o));
    assert!(out.contains("emergency"), "{out}");
    let note = "deferral until 2026-12-01 (vendor asks to wait) does not hold an emergency intervention; an exception accepts the risk instead";
    assert!(out.contains(note), "missing `{note}` in:\n{out}");
}
