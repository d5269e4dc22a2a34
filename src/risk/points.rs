//! The five SSVC decision points, each derived from the evidence and the environment as DESIGN.md
//! ("Risk") says, with the reason and whether the value was assumed by policy.

use serde::Serialize;

use super::Context;
use super::cvss::CvssInfo;
use super::evidence::Evidence;
use super::tables::{Exploitation, Mission};
use crate::inventory::{Criticality, Exposure, Policy, Tier};

/// The SSVC decision points.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Points {
    pub exploitation: Exploitation,
    pub automatable: bool,
    pub technical_impact_total: bool,
    pub mission: Mission,
    pub publicly_exposed: bool,
}

/// One decision point's value and why.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub point: &'static str,
    pub value: &'static str,
    pub why: String,
    /// Taken from policy because nothing says.
    pub assumed: bool,
}

impl Point {
    /// `exploitation: active (CVE-... is in CISA KEV ...)`, as the finding's reasons say it.
    pub fn sentence(&self) -> String {
        let assumed = if self.assumed { "assumed: " } else { "" };
        format!("{}: {} ({assumed}{})", self.point, self.value, self.why)
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// Derives every point, in the order the SSVC tables name them.
pub(super) fn derive(ev: &Evidence, cx: Context, policy: &Policy) -> (Points, Vec<Point>) {
    let (exploitation, e) = exploitation(ev, policy);
    let (automatable, total, mut vector) = match &ev.cvss {
        Some((c, _)) => vector_points(c),
        None => assumed_points(policy),
    };
    let (mission, m) = mission(cx);
    let exposed = cx.exposure == Exposure::Internet;
    let x = Point {
        point: "publicly exposed",
        value: yes_no(exposed),
        why: format!("environment exposure {}", cx.exposure.as_str()),
        assumed: false,
    };
    let points = Points {
        exploitation,
        automatable,
        technical_impact_total: total,
        mission,
        publicly_exposed: exposed,
    };
    let mut all = vec![e];
    all.append(&mut vector);
    all.extend([m, x]);
    (points, all)
}

fn exploitation(ev: &Evidence, policy: &Policy) -> (Exploitation, Point) {
    let threshold = policy.epss_threshold;
    let (value, why) = if let Some(k) = ev.kev {
        let due = k.due_date.map_or(String::new(), |d| format!(", due {d}"));
        let why = format!("{} is in CISA KEV, added {}{due}", k.cve, k.date_added);
        (Exploitation::Active, why)
    } else if let Some(r) = ev.exploited {
        let why = format!("advisory {} says exploited = true", r.id);
        (Exploitation::Active, why)
    } else if let Some((cve, s)) = ev.epss.filter(|(_, s)| s.percentile >= threshold) {
        let why = format!(
            "EPSS percentile {:.3} for {cve} >= {threshold} (policy epss_threshold)",
            s.percentile
        );
        (Exploitation::PublicPoc, why)
    } else {
        let epss = match ev.epss {
            Some((cve, s)) => format!(
                "EPSS percentile {:.3} for {cve} < {threshold}",
                s.percentile
            ),
            None => "no EPSS score".into(),
        };
        let why = format!("not in KEV, not marked exploited, {epss}");
        (Exploitation::None, why)
    };
    let point = Point {
        point: "exploitation",
        value: value.as_str(),
        why,
        assumed: false,
    };
    (value, point)
}

/// Automatable and technical impact, read from the vector.
fn vector_points(c: &CvssInfo) -> (bool, bool, Vec<Point>) {
    let (a, t) = (c.automatable(), c.total_impact());
    // The metrics each point reads, and the values that make it yes / total.
    type Keys = &'static [&'static str];
    let (auto_keys, auto_needs, impact_keys, impact_needs): (Keys, _, Keys, _) =
        match c.version.as_str() {
            "2.0" => (&["AV", "Au"], "AV:N and Au:N", &["C", "I"], "C:C and I:C"),
            "4.0" => (
                &["AV", "PR", "UI"],
                "AV:N, PR:N and UI:N",
                &["VC", "VI"],
                "VC:H and VI:H",
            ),
            _ => (
                &["AV", "PR", "UI"],
                "AV:N, PR:N and UI:N",
                &["C", "I"],
                "C:H and I:H",
            ),
        };
    let shown = |keys: &[&str]| {
        let parts: Vec<String> = keys
            .iter()
            .map(|k| format!("{k}:{}", c.metric(k).unwrap_or("?")))
            .collect();
        parts.join("/")
    };
    let points = vec![
        Point {
            point: "automatable",
            value: yes_no(a),
            why: format!(
                "CVSS {} {}; yes needs {auto_needs}",
                c.version,
                shown(auto_keys)
            ),
            assumed: false,
        },
        Point {
            point: "technical impact",
            value: if t { "total" } else { "partial" },
            why: format!(
                "CVSS {} {}; total needs {impact_needs}",
                c.version,
                shown(impact_keys)
            ),
            assumed: false,
        },
    ];
    (a, t, points)
}

/// Automatable and technical impact when no record has a valid vector: the policy's values.
fn assumed_points(policy: &Policy) -> (bool, bool, Vec<Point>) {
    let (a, t) = (policy.assume_automatable, policy.assume_total_impact);
    let points = vec![
        Point {
            point: "automatable",
            value: yes_no(a),
            why: "the record has no CVSS vector; policy assume_automatable".into(),
            assumed: true,
        },
        Point {
            point: "technical impact",
            value: if t { "total" } else { "partial" },
            why: "the record has no CVSS vector; policy assume_technical_impact".into(),
            assumed: true,
        },
    ];
    (a, t, points)
}

/// The environment's criticality, one step higher for tier `critical`.
fn mission(cx: Context) -> (Mission, Point) {
    let base = match cx.criticality {
        Criticality::Low => Mission::Low,
        Criticality::Medium => Mission::Medium,
        Criticality::High => Mission::High,
    };
    let raised = match (cx.tier, base) {
        (Tier::Critical, Mission::Low) => Mission::Medium,
        (Tier::Critical, _) => Mission::High,
        _ => base,
    };
    let why = if raised != base {
        "; raised one step for tier critical"
    } else {
        ""
    };
    let point = Point {
        point: "mission and well-being",
        value: raised.as_str(),
        why: format!("environment criticality {}{why}", cx.criticality.as_str()),
        assumed: false,
    };
    (raised, point)
}
