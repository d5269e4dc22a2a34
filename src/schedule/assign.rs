//! Assignment of task requests to occurrences and emergency interventions.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::occurrence::{self, Occurrence};
use super::{
    Announced, Placement, Reminder, Schedule, Task, TaskRequest, Unscheduled, Window, WindowKind,
};
use crate::inventory::{Environment, Inventory};
use crate::risk::Decision;

/// Places every request; see the module documentation of [`super`] for the rules.
pub fn schedule(inv: &Inventory, requests: &[TaskRequest], now: DateTime<Utc>) -> Schedule {
    schedule_announced(inv, requests, now, &Announced::new())
}

/// [`schedule`], where the occurrences in `announced` (planned window id -> the environments
/// announced in it) were already announced to the customer: their notice has been given, so the
/// notice period does not stop those environments' upgrades from going there.
pub fn schedule_announced(
    inv: &Inventory,
    requests: &[TaskRequest],
    now: DateTime<Utc>,
    announced: &Announced,
) -> Schedule {
    use rayon::prelude::*;
    let mut clock = crate::timing::Clock::start();
    let groups = independent(inv, requests);
    clock.lap("    groups of customers");
    if groups.len() <= 1 {
        let done = schedule_in_one_pass(inv, requests, now, announced);
        clock.lap("    place, windows");
        return done;
    }
    // Customers that rollout order does not link share nothing (occurrences, capacity, notice
    // periods are each customer's): each group is placed on its own, on every core, and the
    // windows sorted together are the same as one pass over all of them would give.
    let parts: Vec<Schedule> = (groups.par_iter())
        .map(|members| {
            let group: Vec<&TaskRequest> = members.iter().map(|&i| &requests[i]).collect();
            schedule_group(inv, &group, now, announced)
        })
        .collect();
    clock.lap("    place, windows (per group, on the pool)");
    let mut placements: Vec<Option<Placement>> = vec![None; requests.len()];
    let mut windows = Vec::new();
    for (members, part) in groups.iter().zip(parts) {
        for (&i, p) in members.iter().zip(part.placements) {
            placements[i] = Some(p);
        }
        windows.extend(part.windows);
    }
    windows.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
    clock.lap("    merged");
    Schedule {
        windows,
        placements: placements
            .into_iter()
            .map(|p| p.expect("each request is in one group"))
            .collect(),
    }
}

/// [`schedule_announced`] in one pass over all of `requests`, without dividing them into groups
/// of customers: what the groups placed on their own must give, byte for byte (a test compares
/// them).
pub fn schedule_in_one_pass(
    inv: &Inventory,
    requests: &[TaskRequest],
    now: DateTime<Utc>,
    announced: &Announced,
) -> Schedule {
    let all: Vec<&TaskRequest> = requests.iter().collect();
    schedule_group(inv, &all, now, announced)
}

/// The requests (by index, ascending) of each group of customers that rollout order links:
/// an environment placed after another ties its customer to the other's. Customers are known
/// by the names environments and requests give them, so one the inventory lacks is tied like any
/// other.
fn independent(inv: &Inventory, requests: &[TaskRequest]) -> Vec<Vec<usize>> {
    /// The number of customer `name`, given one when first seen.
    fn id<'a>(
        name: &'a str,
        number: &mut HashMap<&'a str, usize>,
        parent: &mut Vec<usize>,
    ) -> usize {
        let next = parent.len();
        *number.entry(name).or_insert_with(|| {
            parent.push(next);
            next
        })
    }
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    let mut number: HashMap<&str, usize> = HashMap::default();
    let mut parent: Vec<usize> = Vec::new();
    for env in &inv.environments {
        let Some(pred) = env.after.as_deref().and_then(|p| inv.environment(p)) else {
            continue;
        };
        let a = id(&env.customer, &mut number, &mut parent);
        let b = id(&pred.customer, &mut number, &mut parent);
        let (a, b) = (root(&mut parent, a), root(&mut parent, b));
        parent[a.max(b)] = a.min(b);
    }
    let mut group_of: HashMap<usize, usize> = HashMap::default();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        let c = id(&r.customer, &mut number, &mut parent);
        let c = root(&mut parent, c);
        let next = groups.len();
        let g = *group_of.entry(c).or_insert(next);
        if g == next {
            groups.push(Vec::new());
        }
        groups[g].push(i);
    }
    groups
}

/// [`schedule_announced`] of `requests`, whose customers no other request's rollout order links.
fn schedule_group(
    inv: &Inventory,
    requests: &[&TaskRequest],
    now: DateTime<Utc>,
    announced: &Announced,
) -> Schedule {
    let end = now + inv.defaults.horizon.delta();
    // The occurrences of the customers with requests here (a fleet's groups are one customer
    // each, of thousands).
    let mut occurrences: HashMap<&str, Vec<Occurrence>> = HashMap::default();
    for r in requests {
        if !occurrences.contains_key(r.customer.as_str())
            && let Some(c) = inv.customer(&r.customer)
        {
            occurrences.insert(c.id.as_str(), occurrence::expand(c, now, end));
        }
    }
    let planned_ids = (occurrences.iter())
        .map(|(&c, occs)| (c, occs.iter().map(|o| planned_id(c, o)).collect()))
        .collect();
    let mut s = State {
        inv,
        requests,
        now,
        announced,
        occurrences,
        planned_ids,
        by_key: HashMap::default(),
        ids: Vec::new(),
        names: Names::default(),
        used: HashMap::default(),
        changes: HashMap::default(),
        finish: HashMap::default(),
        placed: BTreeMap::new(),
        emergencies: BTreeMap::new(),
        blocked: HashMap::default(),
        pin_refused: HashMap::default(),
        placements: vec![None; requests.len()],
        customers: Vec::new(),
        environments: Vec::new(),
    };
    (s.ids, s.names) = numbered(requests);
    // Each request's customer, looked up once: `check` runs for every occurrence of every request.
    // A component's requests come together, an environment's too: each name is looked up once
    // per run of requests that share it.
    s.customers = looked_up(requests, |r| &r.customer, |c| inv.customer(c));
    s.environments = looked_up(requests, |r| &r.environment, |e| inv.environment(e));
    s.by_key = (s.ids.iter().enumerate().rev())
        .map(|(i, &(_, e, p))| ((e, p), i))
        .collect();
    let mut order: Vec<usize> = (0..requests.len()).collect();
    order.sort_by(|&a, &b| {
        urgency(requests[a])
            .partial_cmp(&urgency(requests[b]))
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
        } else if inv.policy.emergency.contains(&r.decision) {
            let reason = format!(
                "decision {}: an emergency intervention by policy (emergency = [{}]), fixed without waiting for a planned window",
                r.decision.as_str(),
                decisions(&inv.policy.emergency)
            );
            s.emergency(i, reason);
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
    requests: &'a [&'a TaskRequest],
    now: DateTime<Utc>,
    announced: &'a Announced,
    occurrences: HashMap<&'a str, Vec<Occurrence>>,
    /// Each occurrence's planned window id, by customer and occurrence index (`check` asks
    /// whether it was announced, for every occurrence of every request).
    planned_ids: HashMap<&'a str, Vec<String>>,
    /// Request index per (environment, ecosystem, package), for rollout predecessors.
    by_key: HashMap<(u32, u32), usize>,
    /// Each request's customer, environment and (ecosystem, package) as numbers, for the maps
    /// here.
    ids: Vec<(u32, u32, u32)>,
    /// The numbers of environments and packages.
    names: Names<'a>,
    /// Minutes used per (customer, occurrence index, environment).
    used: HashMap<(u32, usize, u32), i64>,
    /// Tasks placed per (customer, occurrence index).
    changes: HashMap<(u32, usize), usize>,
    /// When each (environment, ecosystem, package) upgrade ends, for rollout order.
    finish: HashMap<(u32, u32), DateTime<Utc>>,
    /// Planned tasks per (customer number, occurrence index): request index and start.
    placed: BTreeMap<(u32, usize), Vec<Slot>>,
    /// Emergency requests per environment, with their reasons.
    emergencies: BTreeMap<String, Vec<(usize, String)>>,
    /// Requests whose emergency a hard blackout blocks, with why: they go to planned windows.
    blocked: HashMap<usize, String>,
    /// Pinned requests whose pin could not be honoured, with why.
    pin_refused: HashMap<usize, String>,
    placements: Vec<Option<Placement>>,
    /// Each request's customer (`None` when the inventory has no such customer).
    customers: Vec<Option<&'a crate::inventory::Customer>>,
    /// Each request's environment (`None` when the inventory has no such environment).
    environments: Vec<Option<&'a Environment>>,
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
        let (_, e, p) = self.ids[i];
        self.finish.insert((e, p), done);
        let mut reasons = vec![reason];
        // A deferral holds planned work, not an emergency intervention: said, not dropped.
        let today = self.now.with_timezone(&customer.timezone).date_naive();
        if let Some((d, why)) = r.not_before.as_ref().filter(|(d, _)| *d > today) {
            reasons.push(format!(
                "deferral until {d} ({why}) does not hold an emergency intervention; an exception accepts the risk instead"
            ));
        }
        self.placements[i] = Some(Placement {
            window: None,
            emergency: true,
            deadline_missed: false,
            reasons,
            unscheduled: None,
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
        let tz = customer.timezone;
        let named = self.occurrences.get(customer.id.as_str()).and_then(|occs| {
            occs.iter()
                .position(|o| o.window == window && o.start.with_timezone(&tz).date_naive() == date)
        });
        let mut notes = Vec::new();
        let after = self.rollout_after(i, env, 0, &mut notes);
        let taken = match (&after, named) {
            (Ok(a), Some(o)) => {
                let occ = &self.occurrences[customer.id.as_str()][o];
                Some(self.check(i, env, *a, o, occ).map_err(|e| e.to_string()))
            }
            (Err(why), Some(_)) => Some(Err(why.clone())),
            (_, None) => None,
        };
        match (named, taken) {
            (Some(o), Some(Ok(start))) => {
                let r = &self.requests[i];
                let missed = r
                    .deadline
                    .is_some_and(|d| start + TimeDelta::minutes(r.minutes) > d);
                notes.push(format!(
                    "pinned by override to {window} on {date}: {reason}"
                ));
                self.assign(i, o, start, missed, notes);
            }
            (Some(_), Some(Err(why))) => self.refuse_pin(
                i,
                format!("the occurrence of {window} on {date} cannot take it: {why}"),
            ),
            _ => self.refuse_pin(
                i,
                format!(
                    "the occurrence of {window} on {date} is not within the {} horizon",
                    self.inv.defaults.horizon
                ),
            ),
        }
    }

    fn refuse_pin(&mut self, i: usize, why: String) {
        self.pin_refused
            .entry(i)
            .or_insert(format!("pin refused: {why}"));
    }

    fn place(&mut self, i: usize, depth: usize) {
        if self.placements[i].is_some() {
            return;
        }
        let Some(env) = self.environments[i] else {
            return;
        };
        let mut reasons: Vec<String> = (self.pin_refused.get(&i).into_iter())
            .chain(self.blocked.get(&i))
            .cloned()
            .collect();
        let after = match self.rollout_after(i, env, depth, &mut reasons) {
            Ok(after) => after,
            Err(why) => {
                reasons.push(format!("unscheduled: {why}"));
                let missed = self.requests[i].deadline.is_some();
                self.placements[i] = Some(Placement {
                    window: None,
                    emergency: false,
                    deadline_missed: missed,
                    reasons,
                    unscheduled: Some(Unscheduled::RolloutPredecessor),
                });
                return;
            }
        };
        // Each occurrence is checked once: the usable ones are the candidates, the others before
        // the one chosen say why not earlier.
        let checked: Vec<_> = (self.candidates(i, env))
            .map(|(idx, o)| (idx, o, self.check(i, env, after, idx, o)))
            .collect();
        let candidates: Vec<(usize, DateTime<Utc>)> = (checked.iter())
            .filter_map(|(idx, _, c)| c.as_ref().ok().map(|s| (*idx, *s)))
            .collect();
        let r = &self.requests[i];
        let meets = |(_, start): &&(usize, DateTime<Utc>)| {
            r.deadline
                .is_none_or(|d| *start + TimeDelta::minutes(r.minutes) <= d)
        };
        let (c, e, _) = self.ids[i];
        let in_use = |o: usize| self.used.contains_key(&(c, o, e));
        let mut on_time = candidates.iter().filter(meets);
        let first_on_time = on_time.clone().next();
        let choice = on_time.find(|(o, _)| in_use(*o)).or(first_on_time).copied();
        let horizon = self.now + self.inv.defaults.horizon.delta();
        let occurrence_start = |o: usize| self.occurrences[r.customer.as_str()][o].start;
        let bound = choice
            .map(|(o, _)| occurrence_start(o))
            .or(r.deadline)
            .unwrap_or(horizon);
        let refused = (checked.iter())
            .filter(|(_, o, _)| o.start < bound)
            .filter_map(|(_, o, c)| Some((*o, c.as_ref().err()?)));
        reasons.extend(skipped(refused));
        drop(checked);
        self.decide(i, depth, choice, candidates.first().copied(), reasons);
    }

    /// The earliest start rollout order allows: the predecessor's same upgrade (placed first)
    /// ended plus soak; `None` when the predecessor has no such upgrade; an error when it has one
    /// that is not scheduled (the successor then waits too).
    fn rollout_after(
        &mut self,
        i: usize,
        env: &Environment,
        depth: usize,
        reasons: &mut Vec<String>,
    ) -> Result<Option<DateTime<Utc>>, String> {
        let Some(pred) = env.after.as_deref() else {
            return Ok(None);
        };
        let Some(&pred_env) = self.names.environments.get(pred) else {
            return Ok(None);
        };
        let pred_key = (pred_env, self.ids[i].2);
        let Some(j) = self.by_key.get(&pred_key).copied() else {
            return Ok(None);
        };
        if depth < self.requests.len() {
            self.place(j, depth + 1);
        }
        match self.finish.get(&pred_key) {
            Some(f) => {
                reasons.push(format!(
                    "rollout: after {pred} finishes this upgrade plus {} soak",
                    env.soak
                ));
                Ok(Some(*f + env.soak.delta()))
            }
            None => Err(format!(
                "rollout: {pred} must take this upgrade first, and it is not scheduled"
            )),
        }
    }

    /// Places request `i` in `choice` (an occurrence that meets the deadline), else by policy:
    /// an emergency, a late occurrence reported as a miss, or nowhere.
    fn decide(
        &mut self,
        i: usize,
        depth: usize,
        choice: Option<(usize, DateTime<Utc>)>,
        first: Option<(usize, DateTime<Utc>)>,
        mut reasons: Vec<String>,
    ) {
        let r = &self.requests[i];
        let policy = self.inv.policy.emergency_on_missed_deadline;
        let at = |t: DateTime<Utc>| crate::utc::minute(&t);
        match (choice, first, r.deadline) {
            (Some((o, start)), _, _) => {
                reasons.push("earliest usable window that meets the deadline".into());
                self.assign(i, o, start, false, reasons);
            }
            (None, _, Some(deadline))
                if !self.blocked.contains_key(&i) && self.missed_forces_emergency(deadline) =>
            {
                let reason = format!(
                    "no usable planned window meets the deadline {}: emergency intervention (policy emergency_on_missed_deadline = {policy})",
                    at(deadline)
                );
                if !self.emergency(i, reason) {
                    // A hard freeze blocks the emergency: the first planned window after it.
                    self.place(i, depth);
                } else if let Some(p) = self.placements[i].as_mut() {
                    p.reasons.extend(reasons);
                }
            }
            (None, Some((o, start)), Some(deadline)) => {
                reasons.push(format!(
                    "deadline miss: no usable window before {}; placed in the earliest usable one after it (policy emergency_on_missed_deadline = {policy})",
                    at(deadline)
                ));
                self.assign(i, o, start, true, reasons);
            }
            (None, _, _) => {
                let why = self.why_no_window(i);
                reasons.push(format!(
                    "unscheduled: no usable window within the {} horizon",
                    self.inv.defaults.horizon
                ));
                let r = &self.requests[i];
                self.placements[i] = Some(Placement {
                    window: None,
                    emergency: false,
                    deadline_missed: r.deadline.is_some(),
                    reasons,
                    unscheduled: Some(why),
                });
            }
        }
    }

    /// Why request `i` found no usable occurrence: every one in the horizon is in a blackout, or
    /// something else (notice, capacity, deferral, rollout, no occurrence at all).
    fn why_no_window(&self, i: usize) -> Unscheduled {
        let Some(env) = self.environments[i] else {
            return Unscheduled::NoUsableWindow;
        };
        let mut occurrences = self.candidates(i, env).peekable();
        let any = occurrences.peek().is_some();
        if any && occurrences.all(|(_, o)| o.blocked_by.is_some()) {
            Unscheduled::BlockedByBlackout
        } else {
            Unscheduled::NoUsableWindow
        }
    }

    /// Whether missing `deadline` makes the fix an emergency, by policy.
    fn missed_forces_emergency(&self, deadline: DateTime<Utc>) -> bool {
        let policy = self.inv.policy.emergency_on_missed_deadline;
        policy.forces(deadline, self.now)
    }

    /// The occurrences of the windows `env` may use, with their index among the customer's.
    fn candidates<'s>(
        &'s self,
        i: usize,
        env: &'s Environment,
    ) -> impl Iterator<Item = (usize, &'s Occurrence)> + 's {
        let customer = self.requests[i].customer.as_str();
        self.occurrences
            .get(customer)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter(|(_, o)| env.windows.is_empty() || env.windows.contains(&o.window))
    }

    /// The task's start in occurrence `idx`, or why the occurrence cannot take it (words made
    /// only when shown: a fleet checks millions of occurrences).
    fn check<'s>(
        &'s self,
        i: usize,
        env: &'s Environment,
        after: Option<DateTime<Utc>>,
        idx: usize,
        o: &'s Occurrence,
    ) -> Result<DateTime<Utc>, Refusal<'s>> {
        let r = &self.requests[i];
        let customer = self.customers[i].ok_or(Refusal::UnknownCustomer)?;
        let earliest = self.now + customer.notice.delta();
        let announced = || {
            let id = &self.planned_ids[r.customer.as_str()][idx];
            (self.announced.get(id)).is_some_and(|envs| envs.contains(&r.environment))
        };
        if o.start < earliest && !announced() {
            return Err(Refusal::Notice(customer.notice, earliest));
        }
        if let Some(b) = &o.blocked_by {
            return Err(Refusal::Blackout(&b.reason));
        }
        if let Some(a) = after.filter(|a| o.start < *a) {
            let pred = env.after.as_deref().unwrap_or("the predecessor");
            return Err(Refusal::Predecessor(pred, a));
        }
        if let Some((d, why)) = &r.not_before
            && o.start.with_timezone(&customer.timezone).date_naive() < *d
        {
            return Err(Refusal::Deferred(*d, why));
        }
        let (c, e, _) = self.ids[i];
        if let Some(m) = o.max_changes {
            let changes = self.changes.get(&(c, idx)).copied().unwrap_or(0);
            if changes >= m as usize {
                return Err(Refusal::MaxChanges(m));
            }
        }
        let used = self.used.get(&(c, idx, e)).copied().unwrap_or(0);
        if used + r.minutes > o.capacity_minutes {
            return Err(Refusal::Full(used, o.capacity_minutes, r.minutes));
        }
        Ok(o.start + TimeDelta::minutes(used))
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
        let (c, e, _) = self.ids[i];
        *self.used.entry((c, o, e)).or_default() += r.minutes;
        *self.changes.entry((c, o)).or_default() += 1;
        let occ = &self.occurrences[r.customer.as_str()][o];
        let (_, e, p) = self.ids[i];
        self.finish.insert((e, p), occ.end);
        self.placed.entry((c, o)).or_default().push((i, start));
        let id = self.planned_ids[r.customer.as_str()][o].clone();
        self.placements[i] = Some(Placement {
            window: Some(id),
            emergency: false,
            deadline_missed: missed,
            reasons,
            unscheduled: None,
        });
    }

    fn finish_schedule(mut self) -> Schedule {
        let mut windows = Vec::new();
        // The windows are sorted by start and id below: the customers' numbers do not order them.
        for ((_, o), tasks) in std::mem::take(&mut self.placed) {
            let customer = self.requests[tasks[0].0].customer.clone();
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
                self.planned_ids[customer.as_str()][o].clone(),
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
                    unscheduled: Some(Unscheduled::NoUsableWindow),
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
                p.unscheduled = Some(Unscheduled::BlockedByBlackout);
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
            restart: r.restart,
            install: r.install.clone(),
            start,
            deadline_missed: missed,
        }
    }
}

/// Environments and (ecosystem, package) pairs by number.
#[derive(Default)]
struct Names<'a> {
    environments: HashMap<&'a str, u32>,
}

/// Each request's customer, environment and (ecosystem, package) as numbers (in order of first
/// appearance), and the environments' numbers.
fn numbered<'a>(requests: &[&'a TaskRequest]) -> (Vec<(u32, u32, u32)>, Names<'a>) {
    let mut customers: HashMap<&str, u32> = HashMap::default();
    let mut environments: HashMap<&str, u32> = HashMap::default();
    let mut packages: HashMap<(&str, &str), u32> = HashMap::default();
    let ids = requests
        .iter()
        .map(|r| {
            let n = customers.len() as u32;
            let c = *customers.entry(&r.customer).or_insert(n);
            let n = environments.len() as u32;
            let e = *environments.entry(&r.environment).or_insert(n);
            let n = packages.len() as u32;
            let p = *packages.entry((&r.ecosystem, &r.package)).or_insert(n);
            (c, e, p)
        })
        .collect();
    (ids, Names { environments })
}

/// Why an occurrence cannot take a task.
enum Refusal<'a> {
    UnknownCustomer,
    /// Inside the customer's notice period: planned work from the instant.
    Notice(crate::duration::Duration, DateTime<Utc>),
    Blackout(&'a str),
    /// Before the named predecessor's upgrade has ended and soaked, at the instant.
    Predecessor(&'a str, DateTime<Utc>),
    Deferred(chrono::NaiveDate, &'a str),
    MaxChanges(u32),
    /// Minutes used, capacity, minutes needed.
    Full(i64, i64, i64),
}

impl std::fmt::Display for Refusal<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = crate::utc::minute;
        match self {
            Refusal::UnknownCustomer => write!(f, "unknown customer"),
            Refusal::Notice(notice, earliest) => write!(
                f,
                "inside the {notice} notice period (planned work from {})",
                at(earliest)
            ),
            Refusal::Blackout(reason) => write!(f, "blackout `{reason}`"),
            Refusal::Predecessor(pred, a) => write!(
                f,
                "before {pred}'s upgrade has ended and soaked ({})",
                at(a)
            ),
            Refusal::Deferred(d, why) => write!(f, "deferred until {d}: {why}"),
            Refusal::MaxChanges(m) => write!(f, "it already holds its max_changes of {m}"),
            Refusal::Full(used, cap, needs) => write!(
                f,
                "full ({used} of {cap} minutes taken, this task needs {needs})"
            ),
        }
    }
}

/// `find` of each request's `name`, asked again only when the name differs from the previous
/// request's.
fn looked_up<'r, T: Copy>(
    requests: &[&'r TaskRequest],
    name: impl Fn(&'r TaskRequest) -> &'r str,
    find: impl Fn(&str) -> Option<T>,
) -> Vec<Option<T>> {
    let mut last: Option<(&str, Option<T>)> = None;
    (requests.iter())
        .map(|r| {
            let n = name(r);
            match last {
                Some((l, found)) if l == n => found,
                _ => {
                    let found = find(n);
                    last = Some((n, found));
                    found
                }
            }
        })
        .collect()
}

/// `act, attend`: a policy's decision list as the reasons show it.
fn decisions(list: &[Decision]) -> String {
    let names: Vec<&str> = list.iter().map(|d| d.as_str()).collect();
    names.join(", ")
}

/// Why the occurrences `refused` (those before the one chosen) could not take a request, as one
/// sentence (`None` when there are none): what `explain` shows as "why not earlier".
fn skipped<'s>(
    mut refused: impl Iterator<Item = (&'s Occurrence, &'s Refusal<'s>)>,
) -> Option<String> {
    const SHOWN: usize = 6;
    let shown: Vec<String> = (refused.by_ref().take(SHOWN))
        .map(|(o, e)| format!("{} {}: {e}", o.window, &o.local_start[..10]))
        .collect();
    let more = match refused.count() {
        0 => String::new(),
        n => format!("; and {n} more"),
    };
    (!shown.is_empty()).then(|| format!("not usable before it: {}{more}", shown.join("; ")))
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
        tasks: tasks.into(),
        reasons,
        reminders: Vec::new(),
    }
}
