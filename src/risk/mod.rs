//! Risk: each finding -> inputs -> decision points -> SSVC decision, BOD 26-04 deadline, score,
//! reasons.
//!
//! Decision points are derived as DESIGN.md ("Risk") says, each with its source; a point that
//! cannot be derived takes the policy's assumed value and says so. Everything the ranking used is
//! kept in an [`Explanation`] (what `patchplan explain` shows); the finding's `reasons` are the
//! same facts as sentences, as plan.json carries them.

pub mod cvss;
mod deadline;
mod evidence;
mod points;
pub mod score;
pub mod tables;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::feeds::Feeds;
use crate::inventory::{Criticality, Exposure, Policy, Tier};
use crate::matching::Vuln as Finding;
pub use cvss::CvssInfo;
pub use deadline::{DeadlineCalc, SlaDeadline};
pub use points::{Point, Points};
pub use score::ScoreTerm;
pub use tables::{Decision, Exploitation, Mission, Timeline};

/// What risk needs to know about where a finding lives.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub exposure: Exposure,
    pub criticality: Criticality,
    pub tier: Tier,
}

/// The context assumed for ad-hoc scans (a lockfile with no environment): the worst exposure,
/// medium criticality, standard tier.
pub const ADHOC: Context = Context {
    exposure: Exposure::Internet,
    criticality: Criticality::Medium,
    tier: Tier::Standard,
};

/// The ranked finding.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub decision: Decision,
    /// `None`: no deadline (fix on system upgrade, or informational).
    pub deadline: Option<DateTime<Utc>>,
    pub timeline: Option<Timeline>,
    pub score: f64,
    pub cvss: Option<CvssInfo>,
    pub epss: Option<Epss>,
    pub kev: bool,
    pub points: Points,
    pub reasons: Vec<String>,
    /// Everything the ranking used, for `explain`; not repeated in plan.json.
    #[serde(skip)]
    pub explanation: Explanation,
    /// Problems with the finding's records (an invalid CVSS vector), for the plan's warnings.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// EPSS of the finding, as serialised.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Epss {
    pub probability: f64,
    pub percentile: f64,
}

/// One input of the ranking: its value and where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    pub name: &'static str,
    pub value: String,
    pub source: String,
}

/// The SSVC table row a decision came from.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRow {
    pub table: &'static str,
    pub row: usize,
    /// The table's decision, before an informational advisory lowers it to `track`.
    pub table_decision: Decision,
    pub decision: Decision,
}

/// Why a finding has its decision, deadline and score.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub inputs: Vec<Input>,
    pub points: Vec<Point>,
    pub decision: DecisionRow,
    /// `None` for informational advisories, which have no deadline.
    pub deadline: Option<DeadlineCalc>,
    pub score: Vec<ScoreTerm>,
}

/// The SSVC coordinator table's name, as reasons cite it.
const SSVC_TABLE: &str = "CISA SSVC coordinator v2.0.3";

/// How urgent a finding is, as one orderable key: its decision, then its score (to a
/// thousandth). What chooses between upgrades when fixes lie on different branches.
pub fn urgency(decision: Decision, score: f64) -> (Decision, i64) {
    (decision, (score * 1000.0).round() as i64)
}

impl Assessment {
    /// [`urgency`] of this assessment.
    pub fn urgency(&self) -> (Decision, i64) {
        urgency(self.decision, self.score)
    }
}

/// Ranks one finding, detected at `detected` (`--now` until the ledger records first sightings).
pub fn assess(
    finding: &Finding,
    feeds: &Feeds,
    cx: Context,
    policy: &Policy,
    detected: DateTime<Utc>,
) -> Assessment {
    let ev = evidence::gather(finding, feeds);
    let (points, explanation) = explain(finding, &ev, feeds, cx, policy, detected);
    Assessment {
        decision: explanation.decision.decision,
        deadline: explanation.deadline.as_ref().and_then(|d| d.deadline),
        timeline: explanation.deadline.as_ref().map(|d| d.timeline),
        score: score::total(&explanation.score),
        cvss: ev.cvss.as_ref().map(|(c, _)| c.clone()),
        epss: ev.epss.map(|(_, s)| Epss {
            probability: s.probability,
            percentile: s.percentile,
        }),
        kev: ev.kev.is_some(),
        points,
        reasons: reasons(finding, &ev, &explanation),
        warnings: ev.warnings(),
        explanation,
    }
}

/// Decision points, the SSVC row, the deadline and the score's terms of one finding.
fn explain(
    finding: &Finding,
    ev: &evidence::Evidence,
    feeds: &Feeds,
    cx: Context,
    policy: &Policy,
    detected: DateTime<Utc>,
) -> (Points, Explanation) {
    let (points, point_reasons) = points::derive(ev, cx, policy);
    let p = &points;
    let (row, table_decision) = tables::ssvc(
        p.exploitation,
        p.automatable,
        p.technical_impact_total,
        p.mission,
    );
    let decision = match finding.informational {
        Some(_) => table_decision.min(Decision::Track),
        None => table_decision,
    };
    let deadline = finding.informational.is_none().then(|| {
        let sla = policy
            .sla(cx.tier, decision)
            .map(|d| (cx.tier, decision, d));
        deadline::compute(ev, p, sla, detected)
    });
    let (cvss, epss) = (ev.score_basis(), ev.epss_percentile());
    let explanation = Explanation {
        inputs: ev.inputs(feeds, cx),
        points: point_reasons,
        decision: DecisionRow {
            table: SSVC_TABLE,
            row,
            table_decision,
            decision,
        },
        deadline,
        score: score::terms(cvss, epss, p, cx.exposure, ev.ransomware()),
    };
    (points, explanation)
}

/// The explanation as sentences: each decision point, the decision, the deadline arithmetic.
fn reasons(finding: &Finding, ev: &evidence::Evidence, x: &Explanation) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(kind) = &finding.informational {
        out.push(format!(
            "informational advisory ({kind}): reported, never an emergency"
        ));
    }
    out.extend(
        ev.invalid
            .iter()
            .map(|(r, e)| format!("ignored: {e} ({})", evidence::record_source(r))),
    );
    out.extend(x.points.iter().map(Point::sentence));
    if let Some((c, _)) = &ev.cvss {
        out.push(format!("CVSS {} base score {:.1}", c.version, c.score));
    } else if let Some(severity) = x.inputs.iter().find(|i| i.name == "severity") {
        out.push(format!("severity {}", severity.value));
    }
    let d = &x.decision;
    out.push(format!(
        "decision: {} ({} row {})",
        d.table_decision.as_str(),
        d.table,
        d.row
    ));
    if d.decision != d.table_decision {
        out.push(
            "decision lowered to track: informational advisories are not vulnerabilities".into(),
        );
    }
    if let Some(calc) = &x.deadline {
        out.extend(calc.steps.iter().map(|s| format!("deadline: {s}")));
    }
    out
}
