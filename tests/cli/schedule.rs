//! Properties of the scheduler over random inventories (proptest): no planned task inside a
//! blackout or before the customer's notice; capacity and max_changes never exceeded; every
//! rollout successor after its predecessor plus soak; every deadline met when a usable window
//! meets it; emergencies only where policy allows. Each inventory is written as TOML files and
//! loaded through the real validation, and the checks below are written independently of the
//! scheduler's own code.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use patchplan::inventory::{Customer, Inventory};
use patchplan::risk::Decision;
use patchplan::schedule::{Schedule, TaskRequest, WindowKind, occurrence};
use proptest::prelude::*;

const ZONES: &[&str] = &[
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
];
const RULES: &[&str] = &[
    "FREQ=WEEKLY;BYDAY=SU",
    "FREQ=DAILY",
    "FREQ=WEEKLY;BYDAY=TU,TH",
    "FREQ=MONTHLY;BYDAY=2TU",
    "FREQ=DAILY;INTERVAL=2",
];
const STARTS: &[&str] = &["00:00", "01:30", "02:30", "23:30"];
const DURATIONS: &[i64] = &[60, 120, 240];
const NOTICES: &[i64] = &[0, 24, 72];

fn now() -> DateTime<Utc> {
    "2026-10-27T09:00:00Z".parse().unwrap()
}

#[derive(Debug, Clone)]
struct Win {
    rule: usize,
    start: usize,
    duration: usize,
    cutoff: i64,
    max_changes: Option<u32>,
}

#[derive(Debug, Clone)]
struct Cust {
    zone: usize,
    notice: usize,
    windows: Vec<Win>,
    /// (first day after now, length in days, hard)
    blackouts: Vec<(u64, u64, bool)>,
}

#[derive(Debug, Clone)]
struct Env {
    customer: usize,
    after: Option<usize>,
    soak_hours: i64,
}

#[derive(Debug, Clone)]
struct Req {
    env: usize,
    package: usize,
    minutes: i64,
    decision: usize,
    deadline_days: Option<i64>,
    forced: bool,
}

#[derive(Debug, Clone)]
struct Scenario {
    customers: Vec<Cust>,
    envs: Vec<Env>,
    requests: Vec<Req>,
    emergency_on_miss: bool,
}

fn win() -> impl Strategy<Value = Win> {
    (
        0..RULES.len(),
        0..STARTS.len(),
        0..DURATIONS.len(),
        prop_oneof![Just(0i64), Just(30)],
        proptest::option::of(1u32..4),
    )
        .prop_map(|(rule, start, duration, cutoff, max_changes)| Win {
            rule,
            start,
            duration,
            cutoff,
            max_changes,
        })
}

fn cust() -> impl Strategy<Value = Cust> {
    let blackout = (0u64..40, 0u64..6, any::<bool>());
    (
        0..ZONES.len(),
        0..NOTICES.len(),
        prop::collection::vec(win(), 1..3),
        prop::collection::vec(blackout, 0..3),
    )
        .prop_map(|(zone, notice, windows, blackouts)| Cust {
            zone,
            notice,
            windows,
            blackouts,
        })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let envs = prop::collection::vec(
        (
            0usize..3,
            proptest::option::of(0usize..5),
            prop_oneof![Just(0i64), Just(24)],
        ),
        1..6,
    );
    let req = (
        0usize..6,
        0usize..3,
        15i64..150,
        0usize..4,
        proptest::option::of(1i64..50),
        prop::bool::weighted(0.1),
    );
    (
        prop::collection::vec(cust(), 1..4),
        envs,
        prop::collection::vec(req, 0..14),
        any::<bool>(),
    )
        .prop_map(|(customers, envs, reqs, emergency_on_miss)| {
            let n = customers.len();
            let envs: Vec<Env> = envs
                .into_iter()
                .enumerate()
                .map(|(i, (c, after, soak_hours))| Env {
                    customer: c % n,
                    // Only earlier environments: no cycles.
                    after: after.filter(|_| i > 0).map(|a| a % i),
                    soak_hours,
                })
                .collect();
            let mut seen = std::collections::HashSet::new();
            let requests = reqs
                .into_iter()
                .map(
                    |(env, package, minutes, decision, deadline_days, forced)| Req {
                        env: env % envs.len(),
                        package,
                        minutes,
                        decision,
                        deadline_days,
                        forced,
                    },
                )
                .filter(|r| seen.insert((r.env, r.package)))
                .collect();
            Scenario {
                customers,
                envs,
                requests,
                emergency_on_miss,
            }
        })
}

/// Writes the scenario as an inventory and loads it.
fn inventory(s: &Scenario, dir: &Path) -> Inventory {
    let write = |rel: &str, text: String| {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "patchplan.toml",
        format!(
            "[organisation]\nname = \"T\"\nemail = \"t@example.com\"\ndomain = \"example.com\"\n\
             [defaults]\nhorizon = \"45d\"\nemergency_lead = \"2h\"\n\
             [policy]\nemergency_on_missed_deadline = {}\n",
            s.emergency_on_miss
        ),
    );
    let today = now().date_naive();
    for (i, c) in s.customers.iter().enumerate() {
        let mut text = format!(
            "id = \"c{i}\"\nname = \"C{i}\"\ntimezone = \"{}\"\nnotice = \"{}h\"\n",
            ZONES[c.zone], NOTICES[c.notice]
        );
        for (j, w) in c.windows.iter().enumerate() {
            text += &format!(
                "[[windows]]\nid = \"w{j}\"\nrrule = \"{}\"\nstart = \"{}\"\nduration = \"{}m\"\ncutoff = \"{}m\"\n",
                RULES[w.rule], STARTS[w.start], DURATIONS[w.duration], w.cutoff
            );
            if let Some(m) = w.max_changes {
                text += &format!("max_changes = {m}\n");
            }
        }
        for (from, len, hard) in &c.blackouts {
            let a = today + Days::new(*from);
            let b = a + Days::new(*len);
            text += &format!(
                "[[blackouts]]\nfrom = \"{a}\"\nto = \"{b}\"\nreason = \"freeze\"\nhard = {hard}\n"
            );
        }
        write(&format!("customers/c{i}.toml"), text);
    }
    for (i, e) in s.envs.iter().enumerate() {
        let mut text = format!(
            "id = \"e{i}\"\nname = \"E{i}\"\nexposure = \"internet\"\ncriticality = \"high\"\ncustomer = \"c{}\"\n",
            e.customer
        );
        if let Some(a) = e.after {
            text += &format!("after = \"e{a}\"\nsoak = \"{}h\"\n", e.soak_hours);
        }
        write(&format!("environments/e{i}.toml"), text);
    }
    patchplan::inventory::load(dir).expect("generated inventories are valid")
}

fn requests(s: &Scenario, inv: &Inventory) -> Vec<TaskRequest> {
    let decisions = [
        Decision::Track,
        Decision::TrackStar,
        Decision::Attend,
        Decision::Act,
    ];
    s.requests
        .iter()
        .map(|r| {
            let env = format!("e{}", r.env);
            TaskRequest {
                customer: inv.environment(&env).unwrap().customer.clone(),
                environment: env,
                ecosystem: "crates.io".into(),
                package: format!("p{}", r.package),
                from: "1.0.0".into(),
                to: "1.0.1".into(),
                findings: Vec::new().into(),
                decision: decisions[r.decision],
                deadline: r.deadline_days.map(|d| now() + TimeDelta::days(d)),
                score: 50.0,
                minutes: r.minutes,
                downtime_minutes: 0,
                restart: patchplan::inventory::Restart::Service,
                install: None,
                forced: r.forced.then(|| ("test".to_string(), false)),
                not_before: None,
                pin: None,
            }
        })
        .collect()
}

/// Whether `[start, end)` touches a blackout of the customer, by local dates.
fn in_blackout(c: &Customer, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    let local = |t: DateTime<Utc>| -> NaiveDate { t.with_timezone(&c.timezone).date_naive() };
    let (a, b) = (local(start), local(end - TimeDelta::minutes(1)));
    c.blackouts.iter().any(|x| x.from <= b && x.to >= a)
}

fn check_planned(inv: &Inventory, plan: &Schedule) -> Result<(), TestCaseError> {
    for w in plan
        .windows
        .iter()
        .filter(|w| w.kind == WindowKind::Planned)
    {
        let c = inv.customer(&w.customer).unwrap();
        let spec = c
            .windows
            .iter()
            .find(|s| Some(&s.id) == w.window.as_ref())
            .unwrap();
        prop_assert!(!in_blackout(c, w.start, w.end), "{} is in a blackout", w.id);
        prop_assert!(
            w.start >= now() + c.notice.delta(),
            "{} starts before notice",
            w.id
        );
        let usable_end = w.end - spec.cutoff.delta();
        let mut per_env: HashMap<&str, i64> = HashMap::new();
        for t in w.tasks.iter() {
            *per_env.entry(&t.environment).or_default() += t.minutes;
            prop_assert!(
                t.start >= w.start && t.start + TimeDelta::minutes(t.minutes) <= usable_end
            );
        }
        let capacity = (usable_end - w.start).num_minutes();
        prop_assert!(
            per_env.values().all(|m| *m <= capacity),
            "{} over capacity",
            w.id
        );
        if let Some(m) = spec.max_changes {
            prop_assert!(
                w.tasks.len() <= m as usize,
                "{} has more than {m} changes",
                w.id
            );
        }
    }
    Ok(())
}

/// Where an upgrade went: the kind of window, its start and when it is done.
type Done = (WindowKind, DateTime<Utc>, DateTime<Utc>);

/// When each scheduled (environment, package) upgrade is done.
fn finishes(plan: &Schedule) -> HashMap<(String, String), Done> {
    let mut out = HashMap::new();
    for w in &plan.windows {
        for t in w.tasks.iter() {
            let done = match w.kind {
                WindowKind::Planned => w.end,
                WindowKind::Emergency => t.start + TimeDelta::minutes(t.minutes),
            };
            out.insert(
                (t.environment.clone(), t.package.clone()),
                (w.kind, t.start, done),
            );
        }
    }
    out
}

fn check_rollout(
    inv: &Inventory,
    reqs: &[TaskRequest],
    plan: &Schedule,
) -> Result<(), TestCaseError> {
    let done = finishes(plan);
    for r in reqs {
        let env = inv.environment(&r.environment).unwrap();
        let Some(pred) = env.after.as_deref() else {
            continue;
        };
        let Some((kind, start, _)) = done.get(&(r.environment.clone(), r.package.clone())) else {
            continue;
        };
        if *kind == WindowKind::Emergency
            || !reqs
                .iter()
                .any(|p| p.environment == pred && p.package == r.package)
        {
            continue;
        }
        let before = done.get(&(pred.to_string(), r.package.clone()));
        prop_assert!(
            before.is_some(),
            "{} {} planned while {pred}'s is not",
            r.environment,
            r.package
        );
        let (_, _, pred_done) = before.unwrap();
        prop_assert!(
            *start >= *pred_done + env.soak.delta(),
            "{} {} before {pred} plus soak",
            r.environment,
            r.package
        );
    }
    Ok(())
}

fn check_emergencies(
    inv: &Inventory,
    reqs: &[TaskRequest],
    plan: &Schedule,
) -> Result<(), TestCaseError> {
    for (r, p) in reqs.iter().zip(&plan.placements) {
        if p.emergency {
            let missed = inv.policy.emergency_on_missed_deadline;
            let allowed = inv.policy.emergency.contains(&r.decision)
                || r.forced.is_some()
                || r.deadline.is_some_and(|d| missed.forces(d, now()));
            prop_assert!(
                allowed,
                "{} {} is an emergency: {:?}",
                r.environment,
                r.package,
                p.reasons
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_schedule_keeps_every_constraint(s in scenario()) {
        let dir = tempfile::tempdir().unwrap();
        let inv = inventory(&s, dir.path());
        let reqs = requests(&s, &inv);
        let plan = patchplan::schedule::schedule(&inv, &reqs, now());
        prop_assert_eq!(plan.placements.len(), reqs.len());
        check_planned(&inv, &plan)?;
        check_rollout(&inv, &reqs, &plan)?;
        check_emergencies(&inv, &reqs, &plan)?;
        // Customers that rollout order does not link are placed apart, on the pool: the same
        // windows and placements as one pass over every request.
        let announced = patchplan::schedule::Announced::new();
        let one = patchplan::schedule::schedule_in_one_pass(&inv, &reqs, now(), &announced);
        prop_assert_eq!(
            serde_json::to_string(&plan.windows).unwrap(),
            serde_json::to_string(&one.windows).unwrap()
        );
        prop_assert_eq!(
            serde_json::to_string(&plan.placements).unwrap(),
            serde_json::to_string(&one.placements).unwrap()
        );
    }

    /// One upgrade alone: when some occurrence is usable and meets the deadline, the upgrade is
    /// placed on time.
    #[test]
    fn a_meetable_deadline_is_met(c in cust(), minutes in 15i64..150, days in 1i64..45, decision in 0usize..3) {
        let s = Scenario {
            customers: vec![c],
            envs: vec![Env { customer: 0, after: None, soak_hours: 0 }],
            requests: vec![Req { env: 0, package: 0, minutes, decision, deadline_days: Some(days), forced: false }],
            emergency_on_miss: true,
        };
        let dir = tempfile::tempdir().unwrap();
        let inv = inventory(&s, dir.path());
        let reqs = requests(&s, &inv);
        let deadline = reqs[0].deadline.unwrap();
        let customer = &inv.customers[0];
        let horizon = now() + inv.defaults.horizon.delta();
        let feasible = occurrence::expand(customer, now(), horizon).iter().any(|o| {
            let spec = customer.windows.iter().find(|w| w.id == o.window).unwrap();
            let capacity = (o.end - spec.cutoff.delta() - o.start).num_minutes();
            o.start >= now() + customer.notice.delta()
                && !in_blackout(customer, o.start, o.end)
                && capacity >= minutes
                && o.start + TimeDelta::minutes(minutes) <= deadline
        });
        let plan = patchplan::schedule::schedule(&inv, &reqs, now());
        let p = &plan.placements[0];
        if feasible {
            prop_assert!(p.window.is_some() && !p.emergency && !p.deadline_missed, "{:?}", p);
        } else {
            prop_assert!(p.emergency || p.deadline_missed || p.window.is_none(), "{:?}", p);
        }
    }
}
