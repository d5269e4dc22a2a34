//! The deadline: the BOD 26-04 timeline from the detection time, shortened by the KEV due date
//! and by the customer's contractual SLA, whichever comes first. Every step is kept as a sentence
//! so that `explain` can show the arithmetic.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use super::evidence::Evidence;
use super::points::Points;
use super::tables::{self, Decision, Timeline};
use crate::duration::Duration;
use crate::inventory::Tier;

/// How a deadline was reached.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineCalc {
    /// When the finding was first seen: `--now` until the ledger records first sightings.
    pub detected: DateTime<Utc>,
    pub bod_row: usize,
    pub timeline: Timeline,
    /// `detected` + the timeline; `None` for "fix on system upgrade".
    pub bod_deadline: Option<DateTime<Utc>>,
    /// The KEV due date (as 00:00 UTC that day), if the finding is in KEV.
    pub kev_due: Option<NaiveDate>,
    /// The contractual SLA that applies: tier, decision, time allowed and the instant it gives.
    pub sla: Option<SlaDeadline>,
    pub deadline: Option<DateTime<Utc>>,
    /// What set the deadline: `BOD 26-04`, `KEV due date` or `SLA`; `None` without a deadline.
    pub set_by: Option<&'static str>,
    /// The arithmetic, one sentence per step.
    pub steps: Vec<String>,
}

/// A contractual SLA as applied to one finding.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SlaDeadline {
    pub tier: Tier,
    pub decision: Decision,
    pub within: Duration,
    pub at: DateTime<Utc>,
}

fn at(t: DateTime<Utc>) -> String {
    crate::utc::minute(&t)
}

/// Computes the deadline of a non-informational finding.
pub(super) fn compute(
    ev: &Evidence,
    p: &Points,
    sla: Option<(Tier, Decision, Duration)>,
    detected: DateTime<Utc>,
) -> DeadlineCalc {
    let in_kev = ev.kev.is_some() || ev.exploited.is_some();
    let (row, timeline) = tables::bod(
        in_kev,
        p.publicly_exposed,
        p.automatable,
        p.technical_impact_total,
    );
    let bod = timeline.days().map(|d| detected + TimeDelta::days(d));
    let mut calc = DeadlineCalc {
        detected,
        bod_row: row,
        timeline,
        bod_deadline: bod,
        kev_due: ev.kev.and_then(|k| k.due_date),
        sla: sla.map(|(tier, decision, within)| SlaDeadline {
            tier,
            decision,
            within,
            at: detected + within.delta(),
        }),
        deadline: bod,
        set_by: bod.map(|_| "BOD 26-04"),
        steps: Vec::new(),
    };
    calc.steps.push(bod_step(&calc, in_kev, p));
    calc.apply_kev_due();
    calc.apply_sla();
    calc.steps.push(match calc.deadline {
        Some(d) => format!("{} (set by {})", at(d), calc.set_by.unwrap_or("?")),
        None => "none: fixed at the next usable window, if any within the horizon".into(),
    });
    calc
}

fn bod_step(calc: &DeadlineCalc, in_kev: bool, p: &Points) -> String {
    let yn = |b: bool| if b { "yes" } else { "no" };
    let inputs = format!(
        "in KEV {}, publicly exposed {}, automatable {}, technical impact {}",
        yn(in_kev),
        yn(p.publicly_exposed),
        yn(p.automatable),
        if p.technical_impact_total {
            "total"
        } else {
            "partial"
        }
    );
    let result = match calc.bod_deadline {
        Some(d) => format!(
            "{} after detection at {} = {}",
            calc.timeline.as_str(),
            at(calc.detected),
            at(d)
        ),
        None => "fix on system upgrade: no deadline".into(),
    };
    format!("BOD 26-04 row {} ({inputs}): {result}", calc.bod_row)
}

impl DeadlineCalc {
    /// A KEV due date earlier than the deadline so far replaces it (with `detected`, if passed).
    fn apply_kev_due(&mut self) {
        let Some(due) = self.kev_due else { return };
        let due_at = due.and_time(chrono::NaiveTime::MIN).and_utc();
        let earlier = self.deadline.is_none_or(|d| due_at < d);
        let when = match (earlier, due_at <= self.detected) {
            (false, _) => "is later: no change",
            (true, true) => "already passed: the deadline is the detection time",
            (true, false) => "is earlier: it is the deadline",
        };
        self.steps
            .push(format!("CISA KEV due date {due} (00:00 UTC) {when}"));
        if earlier {
            self.deadline = Some(due_at.max(self.detected));
            self.set_by = Some("KEV due date");
        }
    }

    /// A contractual SLA earlier than the deadline so far replaces it.
    fn apply_sla(&mut self) {
        let Some(sla) = self.sla else { return };
        let earlier = self.deadline.is_none_or(|d| sla.at < d);
        let when = if earlier {
            "is earlier: it is the deadline"
        } else {
            "is later: no change"
        };
        self.steps.push(format!(
            "SLA for tier {} decision {}: {} after detection = {} {when}",
            sla.tier.as_str(),
            sla.decision.as_str(),
            sla.within,
            at(sla.at)
        ));
        if earlier {
            self.deadline = Some(sla.at);
            self.set_by = Some("SLA");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::kev::KevEntry;
    use crate::risk::tables::{Exploitation, Mission};

    const NOW: &str = "2026-10-27T09:00:00Z";

    fn kev(due: &str) -> KevEntry {
        KevEntry {
            cve: "CVE-2026-1".into(),
            name: String::new(),
            date_added: "2026-10-01".into(),
            due_date: due.parse().ok(),
            ransomware: false,
        }
    }

    /// The deadline for a finding with these points, KEV due date and SLA.
    fn case(
        exposed: bool,
        automatable: bool,
        kev_due: Option<&str>,
        sla: Option<&str>,
        expected: Option<&str>,
        set_by: Option<&str>,
    ) {
        let entry = kev_due.map(kev);
        let ev = Evidence {
            records: Vec::new(),
            cvss: None,
            severity_text: None,
            priority: None,
            kev: entry.as_ref(),
            epss: None,
            exploited: None,
            invalid: Vec::new(),
        };
        let p = Points {
            exploitation: Exploitation::None,
            automatable,
            technical_impact_total: true,
            mission: Mission::High,
            publicly_exposed: exposed,
        };
        let sla = sla.map(|d| (Tier::Premium, Decision::Attend, d.parse().unwrap()));
        let calc = compute(&ev, &p, sla, NOW.parse().unwrap());
        let got = calc
            .deadline
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        assert_eq!(
            (got.as_deref(), calc.set_by),
            (expected, set_by),
            "{:?}",
            calc.steps
        );
    }

    #[test]
    fn the_earliest_of_bod_kev_due_date_and_sla() {
        // Not in KEV, internal, not automatable, total: fix on system upgrade.
        case(false, false, None, None, None, None);
        // ... unless a contractual SLA sets one.
        case(
            false,
            false,
            None,
            Some("30d"),
            Some("2026-11-26T09:00:00Z"),
            Some("SLA"),
        );
        // Exposed and automatable, not in KEV: 3 days.
        case(
            true,
            true,
            None,
            None,
            Some("2026-10-30T09:00:00Z"),
            Some("BOD 26-04"),
        );
        // In KEV, exposed: 3 days & forensic; a later due date changes nothing.
        case(
            true,
            false,
            Some("2026-11-20"),
            None,
            Some("2026-10-30T09:00:00Z"),
            Some("BOD 26-04"),
        );
        // An earlier due date wins, read as 00:00 UTC.
        case(
            false,
            false,
            Some("2026-10-29"),
            None,
            Some("2026-10-29T00:00:00Z"),
            Some("KEV due date"),
        );
        // A due date already passed: the deadline is now.
        case(
            false,
            false,
            Some("2022-05-03"),
            None,
            Some("2026-10-27T09:00:00Z"),
            Some("KEV due date"),
        );
        // An SLA shorter than both.
        case(
            true,
            false,
            Some("2026-11-20"),
            Some("1d"),
            Some("2026-10-28T09:00:00Z"),
            Some("SLA"),
        );
        // An SLA longer than the timeline changes nothing.
        case(
            true,
            true,
            None,
            Some("7d"),
            Some("2026-10-30T09:00:00Z"),
            Some("BOD 26-04"),
        );
    }
}
