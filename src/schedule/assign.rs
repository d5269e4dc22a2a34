//! Assignment of task requests to occurrences and emergency interventions.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};

use super::occurrence::{self, Occurrence};
use super::{Placement, Reminder, Schedule, Task, TaskRequest, Window, WindowKind};
use crate::inventory::{Environment, Inventory};
use crate::risk::Decision;

/// Places every request; see the module documentation of [`super`] for the rules.
pub fn schedule(inv: &Inventory, requests: &[TaskRequest], now: DateTime<Utc>) -> Schedule {
    let end = now + inv.defaults.horizon.delta();
    let occurrences: HashMap<&str, Vec<Occurrence>> = inv
        .customers
        .iter()
        .map(|c| (c.id.as_str(), occurrence::expand(c, now, end)))
        .collect();
    let mut s = State {
        inv,
        requests,
        now,
        occurrences,
        by_key: requests
            .iter()
            .enumerate()
            .rev()
            .map(|(i, r)| (key(r), i))
            .collect(),
        used: HashMap::new(),
        finish: HashMap::new(),
        placed: BTreeMap::new(),
        emergencies: BTreeMap::new(),
        blocked: HashMap::new(),
        pin_refused: HashMap::new(),
        placements: vec![None; requests.len()],
    };
    let mut order: Vec<usize> = (0..requests.len()).collect();
    order.sort_by(|&a, &b| {
        urgency(&requests[a])
            .partial_cmp(&urgency(&requests[b]))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for &i in &order {
        if requests[i].pin.is_some() && requests[i].forced.is_none() {
            s.pin(i);
        }
    }
    let unplaced: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| s.placements[i].is_none())
        .collect();
    for i in unplaced {
        let r = &requests[i];
        if let Some((reason, _)) = &r.forced {
            s.emergency(i, format!("forced by override: {reason}"));
        } else if r.decision == Decision::Act {
            s.emergency(
                i,
                "decision act: fixed without waiting for a planned window".into(),
            );
        }
    }
    for &i in &order {
        s.place(i, 0);
    }
    s.finish_schedule()
}

/// Sort key: decision (most urgent first), deadline (earliest first, none last), score (highest
/// first), then names for determinism.
fn urgency(
    r: &TaskRequest,
) -> (
    std::cmp::Reverse<Decision>,
    Option<i64>,
    f64,
    &str,
    &str,
    &str,
) {
    let deadline = r.deadline.map(|d| d.timestamp()).or(Some(i64::MAX));
    (
        std::cmp::Reverse(r.decision),
        deadline,
        -r.score,
        &r.environment,
        &r.ecosystem,
        &r.package,
    )
}

/// A planned task: request index and start.
type Slot = (usize, DateTime<Utc>);

struct State<'a> {
    inv: &'a Inventory,
    requests: &'a [TaskRequest],
    now: DateTime<Utc>,
    occurrences: HashMap<&'a str, Vec<Occurrence>>,
    /// Request index per (environment, ecosystem, package), for rollout predecessors.
    by_key: HashMap<(String, String, String), usize>,
    /// Minutes used per (customer, occurrence index, environment).
    used: HashMap<(String, usize, String), i64>,
    /// When each (environment, ecosystem, package) upgrade ends, for rollout order.
    finish: HashMap<(String, String, String), DateTime<Utc>>,
    /// Planned tasks per (customer, occurrence index): request index and start.
    placed: BTreeMap<(String, usize), Vec<Slot>>,
    /// Emergency requests per environment, with their reasons.
    emergencies: BTreeMap<String, Vec<(usize, String)>>,
    /// Requests whose emergency a hard blackout blocks, with why: they go to planned windows.
    blocked: HashMap<usize, String>,
    /// Pinned requests whose pin could not be honoured, with why.
    pin_refused: HashMap<usize, String>,
    placements: Vec<Option<Placement>>,
}

impl State<'_> {
    /// Adds request `i` to its environment's emergency intervention; `false` when a hard
    /// blackout blocks it (the request is then left for a planned window).
    fn emergency(&mut self, i: usize, reason: String) -> bool {
        let r = &self.requests[i];
        let Some(customer) = self.inv.customer(&r.customer) else {
            return false;
        };
        let lead = self.inv.defaults.emergency_lead.delta();
        let batch = self
            .emergencies
            .get(&r.environment)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let minutes: i64 = batch
            .iter()
            .map(|(j, _)| self.requests[*j].minutes)
            .sum::<i64>()
            + r.minutes;
        let (start, done) = (
            self.now + lead,
            self.now + lead + TimeDelta::minutes(minutes),
        );
        let hard = occurrence::blackout_for(&customer.blackouts, customer.timezone, start, done)
            .filter(|b| b.hard && !r.forced.as_ref().is_some_and(|f| f.1));
        if let Some(b) = hard {
            let why = format!(
                "{reason}; but hard blackout `{}` blocks emergency interventions (an [[emergencies]] override with override_hard_blackout = true lifts it), so it waits for a planned window",
                b.reason
            );
            self.blocked.insert(i, why);
            return false;
        }
        self.emergencies
            .entry(r.environment.clone())
            .or_default()
            .push((i, reason.clone()));
        self.finish.insert(key(r), done);
        self.placements[i] = Some(Placement {
            window: None,
            emergency: true,
            deadline_missed: false,
            reasons: vec![reason],
        });
        true
    }

    /// Places a pinned request in the occurrence it names, if usable; otherwise says why not and
    /// leaves it to the normal placement.
    fn pin(&mut self, i: usize) {
        let r = &self.requests[i];
        let Some((window, date, reason)) = r.pin.clone() else {
            return;
        };
        let (Some(env), Some(customer)) = (
            self.inv.environment(&r.environment),
            self.inv.customer(&r.customer),
        ) else {
            return;
        };
        let occs = self
            .occurrences
            .get(customer.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let tz = customer.timezone;
        let named = occs
            .iter()
            .position(|o| o.window == window && o.start.with_timezone(&tz).date_naive() == date);
        let after = self.rollout_after(i, env, 0);
        let usable = after
            .as_ref()
            .ok()
            .map(|a| self.usable(i, env, *a))
            .unwrap_or_default();
        match (named, usable.iter().find(|(o, _)| Some(*o) == named)) {
            (Some(_), Some(&(o, start))) => {
                let missed = r
                    .deadline
                    .is_some_and(|d| start + TimeDelta::minutes(r.minutes) > d);
                let why = format!("pinned by override to {window} on {date}: {reason}");
                self.assign(i, o, start, missed, vec![why]);
            }
            (None, _) => self.refuse_pin(
                i,
                format!(
                    "the occurrence of {window} on {date} is not within the {} horizon",
                    self.inv.defaults.horizon
                ),
            ),
            (Some(o), None) => {
                let why = after.err().unwrap_or_else(|| self.why_unusable(i, o));
                self.refuse_pin(
                    i,
                    format!("the occurrence of {window} on {date} cannot take it: {why}"),
                );
            }
        }
    }

    fn refuse_pin(&mut self, i: usize, why: String) {
        self.pin_refused
            .entry(i)
            .or_insert(format!("pin refused: {why}"));
    }

    /// Why occurrence `o` of the request's customer is not usable for it.
    fn why_unusable(&self, i: usize, o: usize) -> String {
        let r = &self.requests[i];
        let Some(customer) = self.inv.customer(&r.customer) else {
            return "unknown customer".into();
        };
        let occ = &self.occurrences[customer.id.as_str()][o];
        let used = self
            .used
            .get(&(r.customer.clone(), o, r.environment.clone()))
            .copied()
            .unwrap_or(0);
        if occ.start < self.now + customer.notice.delta() {
            format!(
                "it starts less than the customer's {} notice from now",
                customer.notice
            )
        } else if let Some(b) = &occ.blocked_by {
            format!("blackout `{}`", b.reason)
        } else if used + r.minutes > occ.capacity_minutes {
            "it is full (duration minus cutoff)".into()
        } else if occ
            .max_changes
            .is_some_and(|m| self.changes(&r.customer, o) >= m as usize)
        {
            "it has reached its max_changes".into()
        } else {
            "a deferral or the rollout order rules it out".into()
        }
    }

    fn changes(&self, customer: &str, o: usize) -> usize {
        self.placed
            .get(&(customer.to_string(), o))
            .map_or(0, Vec::len)
    }

    /// The earliest start the rollout order allows: the predecessor's same upgrade finished plus
    /// soak (placing the predecessor first), `None` without a predecessor upgrade, or why the
    /// successor must wait.
    fn rollout_after(
        &mut self,
        i: usize,
        env: &Environment,
        depth: usize,
    ) -> Result<Option<DateTime<Utc>>, String> {
        let Some(pred) = env.after.as_deref() else {
            return Ok(None);
        };
        let r = &self.requests[i];
        let pred_key = (pred.to_string(), r.ecosystem.clone(), r.package.clone());
        let Some(j) = self.by_key.get(&pred_key).copied() else {
            return Ok(None);
        };
        if depth < self.requests.len() {
            self.place(j, depth + 1);
        }
        match self.finish.get(&pred_key) {
            Some(f) => Ok(Some(*f + env.soak.delta())),
            None => Err(format!(
                "rollout: {pred} must take this upgrade first, and it is not scheduled"
            )),
        }
    }

    fn place(&mut self, i: usize, depth: usize) {
        if self.placements[i].is_some() {
            return;
        }
        let r = &self.requests[i];
        let Some(env) = self.inv.environment(&r.environment) else {
            return;
        };
        let mut reasons: Vec<String> = (self.pin_refused.get(&i).into_iter())
            .chain(self.blocked.get(&i))
            .cloned()
            .collect();
        let may_escalate = !self.blocked.contains_key(&i);
        let after = match self.rollout_after(i, env, depth) {
            Ok(after) => after,
            Err(why) => {
                reasons.push(format!("unscheduled: {why}"));
                self.placements[i] = Some(Placement {
                    window: None,
                    emergency: false,
                    deadline_missed: r.deadline.is_some(),
                    reasons,
                });
                return;
            }
        };
        if let (Some(a), Some(pred)) = (after, env.after.as_deref()) {
            reasons.push(format!(
                "rollout: not before {} ({pred}'s upgrade ends plus {} soak)",
                a.format("%Y-%m-%d %H:%M UTC"),
                env.soak
            ));
        }
        let candidates = self.usable(i, env, after);
        let meets = |(_, start): &(usize, DateTime<Utc>)| {
            r.deadline
                .is_none_or(|d| *start + TimeDelta::minutes(r.minutes) <= d)
        };
        let in_use = |s: &Self, o: usize| {
            s.used
                .contains_key(&(r.customer.clone(), o, r.environment.clone()))
        };
        let on_time: Vec<(usize, DateTime<Utc>)> =
            candidates.iter().copied().filter(meets).collect();
        let choice = on_time
            .iter()
            .find(|(o, _)| in_use(self, *o))
            .or(on_time.first())
            .copied();
        match (choice, candidates.first().copied(), r.deadline) {
            (Some((o, start)), _, _) => {
                reasons.push("earliest usable window that meets the deadline".into());
                self.assign(i, o, start, false, reasons);
            }
            (None, Some(_), Some(deadline))
                if may_escalate && self.inv.policy.emergency_on_missed_deadline =>
            {
                let reason = format!(
                    "no planned window meets the deadline {}: emergency intervention (policy emergency_on_missed_deadline)",
                    deadline.format("%Y-%m-%d %H:%M UTC")
                );
                if !self.emergency(i, reason) {
                    self.place(i, depth);
                }
            }
            (None, Some((o, start)), Some(deadline)) => {
                reasons.push(format!("deadline miss: no usable window before {}; placed in the earliest usable one after it", deadline.format("%Y-%m-%d %H:%M UTC")));
                self.assign(i, o, start, true, reasons);
            }
            (None, None, Some(_))
                if may_escalate && self.inv.policy.emergency_on_missed_deadline =>
            {
                let reason = "no usable planned window within the horizon before the deadline";
                if !self.emergency(i, reason.into()) {
                    self.place(i, depth);
                }
            }
            (None, _, _) => {
                reasons.push(format!(
                    "unscheduled: no usable window within the {} horizon",
                    self.inv.defaults.horizon
                ));
                self.placements[i] = Some(Placement {
                    window: None,
                    emergency: false,
                    deadline_missed: r.deadline.is_some(),
                    reasons,
                });
            }
        }
    }

    /// Usable occurrences for request `i`, in time order, with the task's start in each.
    fn usable(
        &self,
        i: usize,
        env: &Environment,
        after: Option<DateTime<Utc>>,
    ) -> Vec<(usize, DateTime<Utc>)> {
        let r = &self.requests[i];
        let Some(customer) = self.inv.customer(&r.customer) else {
            return Vec::new();
        };
        let earliest = self.now + customer.notice.delta();
        let occs = self
            .occurrences
            .get(customer.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        occs.iter()
            .enumerate()
            .filter(|(_, o)| env.windows.is_empty() || env.windows.contains(&o.window))
            .filter(|(_, o)| o.start >= earliest && o.blocked_by.is_none())
            .filter(|(_, o)| after.is_none_or(|a| o.start >= a))
            .filter(|(_, o)| {
                r.not_before.as_ref().is_none_or(|(d, _)| {
                    o.start.with_timezone(&customer.timezone).date_naive() >= *d
                })
            })
            .filter(|(idx, o)| {
                o.max_changes
                    .is_none_or(|m| self.changes(&r.customer, *idx) < m as usize)
            })
            .filter_map(|(idx, o)| {
                let used = self
                    .used
                    .get(&(r.customer.clone(), idx, r.environment.clone()))
                    .copied()
                    .unwrap_or(0);
                (used + r.minutes <= o.capacity_minutes)
                    .then(|| (idx, o.start + TimeDelta::minutes(used)))
            })
            .collect()
    }

    fn assign(
        &mut self,
        i: usize,
        o: usize,
        start: DateTime<Utc>,
        missed: bool,
        reasons: Vec<String>,
    ) {
        let r = &self.requests[i];
        *self
            .used
            .entry((r.customer.clone(), o, r.environment.clone()))
            .or_default() += r.minutes;
        let occ = &self.occurrences[r.customer.as_str()][o];
        self.finish.insert(key(r), occ.end);
        self.placed
            .entry((r.customer.clone(), o))
            .or_default()
            .push((i, start));
        let id = planned_id(&r.customer, occ);
        self.placements[i] = Some(Placement {
            window: Some(id),
            emergency: false,
            deadline_missed: missed,
            reasons,
        });
    }

    fn finish_schedule(mut self) -> Schedule {
        let mut windows = Vec::new();
        for ((customer, o), tasks) in std::mem::take(&mut self.placed) {
            let occ = &self.occurrences[customer.as_str()][o];
            let tz = self
                .inv
                .customer(&customer)
                .map(|c| c.timezone.name())
                .unwrap_or("UTC");
            let tasks: Vec<Task> = tasks
                .iter()
                .map(|(i, start)| self.task(*i, *start))
                .collect();
            let mut w = window(
                planned_id(&customer, occ),
                &customer,
                WindowKind::Planned,
                Some(occ.window.clone()),
                occ.start,
                occ.end,
                tz,
                tasks,
                Vec::new(),
            );
            w.reminders = self.reminders(&customer, occ.start);
            windows.push(w);
        }
        for (env, batch) in std::mem::take(&mut self.emergencies) {
            if let Some(w) = self.emergency_window(&env, &batch) {
                windows.push(w);
            }
        }
        windows.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        let placements = self
            .placements
            .into_iter()
            .map(|p| {
                p.unwrap_or_else(|| Placement {
                    window: None,
                    emergency: false,
                    deadline_missed: false,
                    reasons: vec!["unscheduled".into()],
                })
            })
            .collect();
        Schedule {
            windows,
            placements,
        }
    }

    fn emergency_window(&mut self, env: &str, batch: &[(usize, String)]) -> Option<Window> {
        let customer = self.inv.customer(&self.requests[batch[0].0].customer)?;
        let start = self.now + self.inv.defaults.emergency_lead.delta();
        let minutes: i64 = batch.iter().map(|(i, _)| self.requests[*i].minutes).sum();
        let end = start + TimeDelta::minutes(minutes.max(1));
        let blocked = occurrence::blackout_for(&customer.blackouts, customer.timezone, start, end)
            .filter(|b| b.hard);
        let forced_through = batch
            .iter()
            .all(|(i, _)| self.requests[*i].forced.as_ref().is_some_and(|f| f.1));
        if let Some(b) = blocked.filter(|_| !forced_through) {
            for (i, _) in batch {
                let p = self.placements[*i]
                    .as_mut()
                    .expect("emergency placements exist");
                p.reasons.push(format!("unscheduled: hard blackout `{}` blocks emergency interventions; an [[emergencies]] override with override_hard_blackout = true lifts it", b.reason));
            }
            return None;
        }
        let id = format!("emergency.{env}.{}", start.format("%Y%m%dT%H%MZ"));
        let mut cursor = start;
        let mut tasks = Vec::new();
        let mut reasons: Vec<String> = Vec::new();
        for (i, reason) in batch {
            tasks.push(self.task(*i, cursor));
            cursor += TimeDelta::minutes(self.requests[*i].minutes);
            if !reasons.contains(reason) {
                reasons.push(reason.clone());
            }
            self.placements[*i]
                .as_mut()
                .expect("emergency placements exist")
                .window = Some(id.clone());
        }
        Some(window(
            id,
            &customer.id,
            WindowKind::Emergency,
            None,
            start,
            end,
            customer.timezone.name(),
            tasks,
            reasons,
        ))
    }

    /// The customer's reminders before a window starting at `start`; those already past are
    /// kept, marked as skipped.
    fn reminders(&self, customer: &str, start: DateTime<Utc>) -> Vec<Reminder> {
        let Some(c) = self.inv.customer(customer) else {
            return Vec::new();
        };
        c.reminders
            .iter()
            .map(|d| {
                let at = start - d.delta();
                Reminder {
                    before: d.to_string(),
                    at,
                    skipped: (at < self.now)
                        .then(|| "its time had passed when the plan was made".to_string()),
                }
            })
            .collect()
    }

    fn task(&self, i: usize, start: DateTime<Utc>) -> Task {
        let r = &self.requests[i];
        let missed = self.placements[i]
            .as_ref()
            .is_some_and(|p| p.deadline_missed)
            || r.deadline
                .is_some_and(|d| start + TimeDelta::minutes(r.minutes) > d);
        Task {
            environment: r.environment.clone(),
            ecosystem: r.ecosystem.clone(),
            package: r.package.clone(),
            from: r.from.clone(),
            to: r.to.clone(),
            findings: r.findings.clone(),
            decision: r.decision,
            deadline: r.deadline,
            minutes: r.minutes,
            downtime_minutes: r.downtime_minutes,
            start,
            deadline_missed: missed,
        }
    }
}

fn key(r: &TaskRequest) -> (String, String, String) {
    (
        r.environment.clone(),
        r.ecosystem.clone(),
        r.package.clone(),
    )
}

/// `CUSTOMER.WINDOW.YYYY-MM-DD`, the local date of the occurrence's start.
fn planned_id(customer: &str, occ: &Occurrence) -> String {
    format!("{customer}.{}.{}", occ.window, &occ.local_start[..10])
}

#[allow(clippy::too_many_arguments)]
fn window(
    id: String,
    customer: &str,
    kind: WindowKind,
    spec: Option<String>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    tz: &str,
    mut tasks: Vec<Task>,
    reasons: Vec<String>,
) -> Window {
    tasks.sort_by(|a, b| {
        (a.start, &a.environment, &a.package).cmp(&(b.start, &b.environment, &b.package))
    });
    let mut environments: Vec<String> = tasks.iter().map(|t| t.environment.clone()).collect();
    environments.sort();
    environments.dedup();
    Window {
        id,
        customer: customer.to_string(),
        kind,
        window: spec,
        start,
        end,
        timezone: tz.to_string(),
        environments,
        tasks,
        reasons,
        reminders: Vec::new(),
    }
}
