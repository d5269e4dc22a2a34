//! What the operator page counts of the findings, made in one pass over them. A fleet has
//! millions of findings and a pass over them costs more than the rest of the page, so the
//! summary's tables and the timeline's deadlines share the one pass, made on every core.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use super::Sources;
use super::by_customer::Shown;
use crate::plan::{PlanFinding, Status};
use crate::risk::{Assessment, Decision};
use crate::schedule::Unscheduled;

/// The decisions as the summary lists them, most urgent first.
pub const DECISIONS: [Decision; 4] = [
    Decision::Act,
    Decision::Attend,
    Decision::TrackStar,
    Decision::Track,
];
pub const STATUSES: [Status; 5] = [
    Status::Open,
    Status::Excepted,
    Status::Informational,
    Status::NotAffected,
    Status::Fixed,
];

/// Findings counted at a time on one core.
const CHUNK: usize = 1 << 16;

/// The counts, each over every finding of the plan.
pub struct Tally {
    /// Findings by decision and status, in the order of [`DECISIONS`] and [`STATUSES`].
    pub by_decision: [[usize; STATUSES.len()]; DECISIONS.len()],
    /// Open findings in no window, by reason ([`Unscheduled::ALL`]'s order) and decision.
    pub unscheduled: [[usize; DECISIONS.len()]; Unscheduled::ALL.len()],
    /// The deadlines of each shown customer's open findings, each once, in order.
    pub deadlines: Vec<Vec<DateTime<Utc>>>,
}

impl Tally {
    pub fn of(src: &Sources, shown: &Shown) -> Tally {
        let customer = shown_customer_of_environment(src, shown);
        let empty = || Tally {
            by_decision: Default::default(),
            unscheduled: Default::default(),
            deadlines: vec![Vec::new(); shown.shares.len()],
        };
        let mut tally = (src.plan.findings.par_chunks(CHUNK))
            .fold(empty, |mut tally, chunk| {
                chunk
                    .iter()
                    .for_each(|f| tally.add(src.plan.risk(f), f, &customer));
                tally
            })
            .reduce(empty, Tally::merge);
        for d in &mut tally.deadlines {
            d.sort_unstable();
            d.dedup();
        }
        tally
    }

    /// Counts `f` (ranked `risk`), whose environment's customer has the place
    /// `customer[f.target]` among the shown.
    fn add(&mut self, risk: &Assessment, f: &PlanFinding, customer: &[Option<usize>]) {
        let decision = index(&DECISIONS, risk.decision);
        self.by_decision[decision][index(&STATUSES, f.status)] += 1;
        if f.status != Status::Open {
            return;
        }
        if !f.in_window {
            let reason = f.unscheduled_reason.unwrap_or(Unscheduled::NoUsableWindow);
            self.unscheduled[index(&Unscheduled::ALL, reason)][decision] += 1;
        }
        if let (Some(d), Some(&Some(c))) = (risk.deadline, customer.get(f.target as usize)) {
            self.deadlines[c].push(d);
        }
    }

    /// These counts and deadlines with `other`'s.
    fn merge(mut self, other: Tally) -> Tally {
        let counts = (self.by_decision.as_flattened_mut().iter_mut())
            .zip(other.by_decision.as_flattened())
            .chain(
                (self.unscheduled.as_flattened_mut().iter_mut())
                    .zip(other.unscheduled.as_flattened()),
            );
        for (n, m) in counts {
            *n += m;
        }
        for (d, more) in self.deadlines.iter_mut().zip(other.deadlines) {
            d.extend(more);
        }
        self
    }

    /// Open findings in no window.
    pub fn unscheduled_total(&self) -> usize {
        self.unscheduled.iter().flatten().sum()
    }
}

/// For each environment of the inventory (a finding's `target`), its customer's place among
/// the shown, if shown.
fn shown_customer_of_environment(src: &Sources, shown: &Shown) -> Vec<Option<usize>> {
    let place: HashMap<&str, usize> = (shown.shares.iter().enumerate())
        .map(|(i, s)| (s.customer.id.as_str(), i))
        .collect();
    (src.inv.environments.iter())
        .map(|e| place.get(e.customer.as_str()).copied())
        .collect()
}

/// The place of `x` in `all`, which lists every value.
fn index<T: PartialEq + Copy>(all: &[T], x: T) -> usize {
    all.iter()
        .position(|&a| a == x)
        .expect("every value is listed")
}
