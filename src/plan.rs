//! The plan: wires match -> risk -> schedule for an inventory, and is what `plan.json` holds.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::feeds::{Cache, Feeds, Snapshot};
use crate::inputs::distro::PackageFormat;
use crate::inventory::vex::{VexStatement, VexStatus};
use crate::inventory::{Component, Criticality, Environment, Exposure, Inventory, Tier};
use crate::matching::{self, Finding, Matches, Target, TargetComponent, Upgrade};
use crate::notice::NoticeRecord;
use crate::risk::{self, Assessment, Context, Decision};
use crate::schedule::{self, TaskRequest, Unscheduled, Window};

/// `plan.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub schema: &'static str,
    pub now: DateTime<Utc>,
    pub feeds: Vec<Snapshot>,
    pub findings: Vec<PlanFinding>,
    pub windows: Vec<Window>,
    pub notices: Vec<NoticeRecord>,
    /// Per ecosystem of the inventory's components: advisory records loaded, components checked.
    pub coverage: Vec<matching::Coverage>,
    pub warnings: Vec<String>,
}

/// A finding with its risk and its place in the schedule.
#[derive(Debug, Clone, Serialize)]
pub struct PlanFinding {
    pub id: String,
    pub environment: String,
    pub customer: String,
    #[serde(flatten)]
    pub matched: Finding,
    /// The version the component is upgraded to (fixes all its findings), if any.
    pub recommended: Option<String>,
    pub status: Status,
    /// The exception that names this finding, in force or expired.
    pub exception: Option<ExceptionNote>,
    /// The latest VEX statement about this finding, whatever its status.
    pub vex: Option<VexStatement>,
    #[serde(flatten)]
    pub risk: Assessment,
    pub emergency: bool,
    pub window: Option<String>,
    /// Its window starts too late for its deadline (or it has none and a deadline).
    pub deadline_missed: bool,
    /// Why an open finding is in no window (`null` when it is in one, or not open).
    pub unscheduled_reason: Option<Unscheduled>,
    /// Where the fix went and why, or why nowhere (also at the end of `reasons`).
    #[serde(skip)]
    pub schedule: Vec<String>,
    /// The index of the environment among the inventory's (and the match targets).
    #[serde(skip)]
    pub target: usize,
}

impl PlanFinding {
    /// An open finding that the plan does not fix in time: no window (whatever the reason,
    /// no fix included) or a window after its deadline. What `plan --fail-on` counts.
    pub fn at_risk(&self) -> bool {
        self.status == Status::Open && (self.window.is_none() || self.deadline_missed)
    }
}

/// Whether a finding is in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Scheduled (or listed as unschedulable).
    Open,
    /// Accepted risk until a date (`overrides.toml`).
    Excepted,
    /// An informational advisory: reported, never scheduled.
    Informational,
    /// A VEX statement says the product is not affected.
    NotAffected,
    /// A VEX statement says the product is fixed.
    Fixed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Excepted => "excepted",
            Status::Informational => "informational",
            Status::NotAffected => "not_affected",
            Status::Fixed => "fixed",
        }
    }
}

/// An exception as the plan records it.
#[derive(Debug, Clone, Serialize)]
pub struct ExceptionNote {
    pub advisory: String,
    pub until: NaiveDate,
    pub owner: String,
    pub reason: String,
    /// `until` has passed: the finding is back in the plan.
    pub expired: bool,
    /// OpenVEX's justification, when the exception gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<crate::inventory::vex::Justification>,
}

/// Loads the inventory's feeds (URL feeds from `cache`), adds its own native advisories, and
/// marks fetched feeds older than the policy allows as stale.
pub fn load_feeds(
    inv: &Inventory,
    targets: Option<&[Target]>,
    cache: &Cache,
    now: DateTime<Utc>,
) -> crate::Result<Feeds> {
    let mut feeds = match targets {
        Some(t) => Feeds::for_packages(matching::package_keys(t)),
        None => Feeds::default(),
    };
    feeds.set_cache(cache.clone());
    feeds.load_all(&inv.feeds)?;
    feeds.add_native(
        "inventory",
        &inv.root.join("advisories"),
        inv.advisories.clone(),
    );
    feeds.check_freshness(&inv.policy.stale_after, now);
    Ok(feeds)
}

/// The targets of an inventory: one per environment.
pub fn targets(inv: &Inventory) -> Vec<Target> {
    inv.environments
        .iter()
        .map(|e| Target {
            id: e.id.clone(),
            components: e.components.iter().map(target_component).collect(),
        })
        .collect()
}

fn target_component(c: &Component) -> TargetComponent {
    TargetComponent {
        ecosystem: c.ecosystem.clone(),
        name: c.name.clone(),
        version: c.version.clone(),
        also_named: PackageFormat::advisory_names(&c.ecosystem, &c.name, &c.binaries),
    }
}

/// What the ledger remembers that changes a plan; empty without a ledger, and then the plan is
/// exactly what the inventory and feeds alone give.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Finding id -> when it was first seen: the detection time its deadline counts from.
    pub first_seen: HashMap<String, DateTime<Utc>>,
    /// Occurrences already announced, with their environments: their notice has been served.
    pub announced: schedule::Announced,
    /// (environment, package) -> the window in progress that holds its upgrade: not re-planned
    /// until that window's outcome is recorded.
    pub held: HashMap<(String, String), String>,
    /// Windows that ended without a recorded outcome, each with the command to record it.
    pub overdue: Vec<String>,
}

/// Matches, ranks and schedules the inventory's `targets` (see [`targets`]; made before, to load
/// the feeds they need), with what the ledger remembers (see [`History`]; the default is a first
/// plan). Notices are rendered separately.
pub fn build_with(
    inv: &Inventory,
    targets: &[Target],
    feeds: &Feeds,
    now: DateTime<Utc>,
    history: &History,
) -> Plan {
    let matches = matching::match_targets(targets, feeds);
    let mut warnings: Vec<String> = inv.warnings.clone();
    warnings.extend(history.overdue.iter().cloned());
    warnings.extend(feeds.warning_lines());
    warnings.extend(matches.warnings.iter().cloned());
    let coverage = matching::coverage(targets, feeds);
    warnings.extend(matching::coverage_warnings(targets, feeds));
    let (mut findings, requests, owners) = rank(inv, feeds, &matches, now, history, &mut warnings);
    let (requests, owners) = hold(history, &mut findings, requests, owners);
    let sched = schedule::schedule_announced(inv, &requests, now, &history.announced);
    for (placement, members) in sched.placements.iter().zip(&owners) {
        for &f in members {
            let finding = &mut findings[f];
            finding.emergency = placement.emergency && placement.window.is_some();
            finding.window = placement.window.clone();
            finding.deadline_missed = placement.deadline_missed;
            if finding.window.is_none() {
                finding.unscheduled_reason =
                    Some(placement.unscheduled.unwrap_or(Unscheduled::NoUsableWindow));
            }
            finding.schedule = placement.reasons.clone();
            finding
                .risk
                .reasons
                .extend(placement.reasons.iter().map(|r| format!("schedule: {r}")));
        }
    }
    findings.sort_by(|a, b| {
        b.risk
            .decision
            .cmp(&a.risk.decision)
            .then(b.risk.score.total_cmp(&a.risk.score))
            .then_with(|| a.id.cmp(&b.id))
    });
    Plan {
        schema: "patchplan.plan/v1",
        now,
        feeds: feeds.snapshots.clone(),
        findings,
        windows: sched.windows,
        notices: Vec::new(),
        coverage,
        warnings,
    }
}

/// Ranks every finding of `matches` (made from [`targets`] of `inv`), gives it its status and
/// chooses each component's upgrade: the findings in match order, and one task request per
/// upgrade with the indices of the findings it fixes. What `scan` of an inventory reports.
pub fn rank(
    inv: &Inventory,
    feeds: &Feeds,
    matches: &Matches,
    now: DateTime<Utc>,
    history: &History,
    warnings: &mut Vec<String>,
) -> (Vec<PlanFinding>, Vec<TaskRequest>, Vec<Vec<usize>>) {
    let mut findings = rank_findings(inv, feeds, matches, now, history, warnings);
    let (requests, owners) = requests(inv, &matches.upgrades, &mut findings);
    (findings, requests, owners)
}

fn rank_findings(
    inv: &Inventory,
    feeds: &Feeds,
    matches: &Matches,
    now: DateTime<Utc>,
    history: &History,
    warnings: &mut Vec<String>,
) -> Vec<PlanFinding> {
    let env_index: BTreeMap<&str, usize> = inv
        .environments
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    // A bad record is warned about once, not once per environment it is found in.
    let mut warned = HashSet::new();
    let mut memo = HashMap::new();
    matches
        .findings
        .iter()
        .map(|f| {
            let t = env_index[f.target.as_str()];
            let mut finding = plan_finding(inv, feeds, history, (t, f), now, &mut memo, warnings);
            finding.target = t;
            let fresh = finding
                .risk
                .warnings
                .drain(..)
                .filter(|w| warned.insert(w.clone()));
            warnings.extend(fresh);
            finding
        })
        .collect()
}

/// Assessments already made, by what they depend on: the records and kind of the finding, where
/// it lives, and when it was detected. A fleet repeats the same vulnerable versions in many
/// environments alike.
type AssessMemo = HashMap<AssessKey, Assessment>;
type AssessKey = (
    Vec<usize>,
    Option<String>,
    Exposure,
    Criticality,
    Tier,
    DateTime<Utc>,
);

/// Ranks finding `f` of environment `t` and gives it its status. Its deadline counts from when
/// the ledger first saw it, or from `now`.
fn plan_finding(
    inv: &Inventory,
    feeds: &Feeds,
    history: &History,
    (t, f): (usize, &Finding),
    now: DateTime<Utc>,
    memo: &mut AssessMemo,
    warnings: &mut Vec<String>,
) -> PlanFinding {
    let env = &inv.environments[t];
    let tier = inv
        .customer(&env.customer)
        .map(|c| c.tier)
        .unwrap_or_default();
    let cx = Context {
        exposure: env.exposure,
        criticality: env.criticality,
        tier,
    };
    let id = format!("{}:{}:{}", env.id, f.package, f.advisory);
    let detected = history.first_seen.get(&id).map_or(now, |t| now.min(*t));
    let key = (
        f.records.clone(),
        f.informational.clone(),
        cx.exposure,
        cx.criticality,
        tier,
        detected,
    );
    let mut risk = memo
        .entry(key)
        .or_insert_with(|| risk::assess(f, feeds, cx, &inv.policy, detected))
        .clone();
    let vex = vex_statement(inv, f, env);
    let (status, exception) = status(inv, f, env, vex, now, &mut risk, warnings);
    PlanFinding {
        id,
        environment: env.id.clone(),
        customer: env.customer.clone(),
        recommended: None,
        matched: f.clone(),
        status,
        exception,
        vex: vex.cloned(),
        risk,
        emergency: false,
        window: None,
        deadline_missed: false,
        unscheduled_reason: None,
        schedule: Vec::new(),
        target: t,
    }
}

fn names_advisory(f: &Finding, id: &str) -> bool {
    f.advisory == id || f.aliases.iter().any(|a| a == id)
}

/// The latest VEX statement about the finding (by timestamp, then load order), if any.
fn vex_statement<'a>(
    inv: &'a Inventory,
    f: &Finding,
    env: &Environment,
) -> Option<&'a VexStatement> {
    let comp = env.components.get(f.component)?;
    let ids = || std::iter::once(f.advisory.as_str()).chain(f.aliases.iter().map(String::as_str));
    inv.vex
        .iter()
        .enumerate()
        .filter(|(_, s)| s.covers(ids(), env, comp))
        .max_by_key(|(i, s)| (s.timestamp, *i))
        .map(|(_, s)| s)
}

/// The finding's status: informational, else what VEX says, else an exception, else open.
fn status(
    inv: &Inventory,
    f: &Finding,
    env: &Environment,
    vex: Option<&VexStatement>,
    now: DateTime<Utc>,
    risk: &mut Assessment,
    warnings: &mut Vec<String>,
) -> (Status, Option<ExceptionNote>) {
    if f.informational.is_some() {
        return (Status::Informational, None);
    }
    if let Some(s) = vex {
        risk.reasons.push(vex_reason(s));
        match s.status {
            VexStatus::NotAffected => return (Status::NotAffected, None),
            VexStatus::Fixed => return (Status::Fixed, None),
            _ => {}
        }
    }
    exception_status(inv, f, &env.id, now, risk, warnings)
}

/// `excepted` while an exception naming the finding is in force; an expired one returns the
/// finding to the plan with a warning.
fn exception_status(
    inv: &Inventory,
    f: &Finding,
    env: &str,
    now: DateTime<Utc>,
    risk: &mut Assessment,
    warnings: &mut Vec<String>,
) -> (Status, Option<ExceptionNote>) {
    let today = now.date_naive();
    let naming = || {
        inv.overrides
            .exceptions
            .iter()
            .filter(|x| names_advisory(f, &x.advisory) && x.environments.covers(env))
    };
    // One in force wins over expired ones.
    let Some(x) = naming()
        .find(|x| x.until >= today)
        .or_else(|| naming().next())
    else {
        return (Status::Open, None);
    };
    let expired = x.until < today;
    let note = ExceptionNote {
        advisory: x.advisory.clone(),
        until: x.until,
        owner: x.owner.clone(),
        reason: x.reason.clone(),
        expired,
        justification: x.justification,
    };
    if !expired {
        let why = format!("excepted until {} by {}: {}", x.until, x.owner, x.reason);
        risk.reasons.push(why);
        return (Status::Excepted, Some(note));
    }
    let message = format!(
        "exception for {} on {env} expired on {} (owner {}); the finding is back in the plan",
        x.advisory, x.until, x.owner
    );
    risk.reasons.push(message.clone());
    warnings.push(message);
    (Status::Open, Some(note))
}

fn vex_reason(s: &VexStatement) -> String {
    let detail = [
        s.justification.map(|j| j.as_str().to_string()),
        s.impact_statement.clone(),
        s.action_statement.clone(),
        s.status_notes.clone(),
    ];
    let detail: Vec<String> = detail
        .into_iter()
        .flatten()
        .filter(|d| !d.is_empty())
        .collect();
    let effect = if s.status.suppresses() {
        "the finding leaves the plan"
    } else {
        "the finding stays in the plan"
    };
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" ({})", detail.join("; "))
    };
    format!(
        "VEX {}{detail} at {}: {effect}",
        s.status.as_str(),
        s.location
    )
}

/// One task request per (environment, component) with open findings and a fix; `owners[i]` are
/// the indices of the findings request `i` fixes. The upgrade is chosen per component (see
/// [`Upgrade::choose`]): findings without a fix, or fixed only on another branch than the
/// upgrade, stay open with their reason and never hold the others back.
fn requests(
    inv: &Inventory,
    upgrades: &HashMap<(usize, usize), Upgrade>,
    findings: &mut [PlanFinding],
) -> (Vec<TaskRequest>, Vec<Vec<usize>>) {
    let mut groups: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        if f.matched.informational.is_none() {
            groups
                .entry((f.target, f.matched.component))
                .or_default()
                .push(i);
        }
    }
    let mut requests = Vec::new();
    let mut owners = Vec::new();
    for ((t, c), members) in groups {
        let to = upgrade_to(upgrades.get(&(t, c)), findings, &members);
        let mut fixed = Vec::new();
        for &m in &members {
            let f = &mut findings[m];
            f.recommended = to.as_ref().map(|c| c.version.clone());
            if f.status == Status::Open && fixes(f, to.as_ref()) {
                fixed.push(m);
            }
        }
        if let (Some(to), false) = (to, fixed.is_empty()) {
            requests.push(request(inv, findings, &fixed, (t, c), to.version));
            owners.push(fixed);
        }
    }
    (requests, owners)
}

/// The component's upgrade for its findings `members`: the most urgent open ones first.
fn upgrade_to(
    upgrade: Option<&Upgrade>,
    findings: &[PlanFinding],
    members: &[usize],
) -> Option<matching::Candidate> {
    let fixable: Vec<(&str, _)> = members
        .iter()
        .map(|&m| &findings[m])
        .filter(|f| f.status == Status::Open && f.matched.fixed.is_some())
        .map(|f| (f.matched.advisory.as_str(), f.risk.urgency()))
        .collect();
    upgrade?.choose(&fixable).cloned()
}

/// Whether the upgrade to `to` fixes open finding `f`; when it does not, says why and marks the
/// finding unscheduled.
fn fixes(f: &mut PlanFinding, to: Option<&matching::Candidate>) -> bool {
    let (reason, why) = match (&f.matched.fixed, to) {
        (_, Some(c)) if c.fixes.contains(&f.matched.advisory) => return true,
        (None, _) => (
            Unscheduled::NoFix,
            "no fixed version is known: the finding stays open as remaining risk".to_string(),
        ),
        (Some(fix), Some(c)) => (
            Unscheduled::FixOnOtherBranch,
            format!(
                "fixed in {fix}, on another branch than the upgrade to {}, which fixes more urgent findings; it remains after that upgrade",
                c.version
            ),
        ),
        (Some(fix), None) => (
            Unscheduled::NoFix,
            format!(
                "fixed in {fix}, but every version that fixes it is affected by another advisory with a fix: no safe upgrade is known"
            ),
        ),
    };
    f.unscheduled_reason = Some(reason);
    f.schedule.push(why.clone());
    f.risk.reasons.push(format!("schedule: {why}"));
    false
}

/// The task request upgrading component `c` of environment `t` to `to`, fixing `members`.
fn request(
    inv: &Inventory,
    findings: &[PlanFinding],
    members: &[usize],
    (t, c): (usize, usize),
    to: String,
) -> TaskRequest {
    let env = &inv.environments[t];
    let comp = &env.components[c];
    let env_id = &env.id;
    let decision = members
        .iter()
        .map(|&m| findings[m].risk.decision)
        .max()
        .unwrap_or(Decision::Track);
    let deadline = members
        .iter()
        .filter_map(|&m| findings[m].risk.deadline)
        .min();
    let score = members
        .iter()
        .map(|&m| findings[m].risk.score)
        .fold(0.0, f64::max);
    let names = |advisory: &str| {
        members
            .iter()
            .any(|&m| names_advisory(&findings[m].matched, advisory))
    };
    let forced = inv
        .overrides
        .emergencies
        .iter()
        .find(|x| x.environments.covers(env_id) && names(&x.advisory));
    let deferral = inv
        .overrides
        .deferrals
        .iter()
        .find(|x| x.environments.covers(env_id) && names(&x.advisory));
    let install = upgrade_command(comp, &to);
    TaskRequest {
        environment: env_id.clone(),
        customer: env.customer.clone(),
        ecosystem: comp.ecosystem.clone(),
        package: comp.name.clone(),
        from: comp.version.clone(),
        to,
        findings: members.iter().map(|&m| findings[m].id.clone()).collect(),
        decision,
        deadline,
        score,
        minutes: comp.patch_minutes.into(),
        downtime_minutes: comp.downtime_minutes,
        restart: comp.restart,
        install,
        forced: forced.map(|x| (x.reason.clone(), x.override_hard_blackout)),
        not_before: deferral.map(|x| (x.not_before, x.reason.clone())),
        pin: inv
            .overrides
            .pins
            .iter()
            .find(|p| p.environment == *env_id && p.component == comp.name)
            .map(|p| (p.window.clone(), p.date, p.reason.clone())),
    }
}

/// The command that upgrades an OS package component's binary packages to `to`, if it is one.
pub fn upgrade_command(comp: &Component, to: &str) -> Option<String> {
    PackageFormat::of_ecosystem(&comp.ecosystem)?.upgrade_command(&comp.binaries, to)
}

/// Takes out the requests whose upgrade a window in progress holds (the ledger says so); their
/// findings say which window.
fn hold(
    history: &History,
    findings: &mut [PlanFinding],
    requests: Vec<TaskRequest>,
    owners: Vec<Vec<usize>>,
) -> (Vec<TaskRequest>, Vec<Vec<usize>>) {
    if history.held.is_empty() {
        return (requests, owners);
    }
    requests
        .into_iter()
        .zip(owners)
        .filter(|(r, members)| {
            let key = (r.environment.clone(), r.package.clone());
            let Some(window) = history.held.get(&key) else {
                return true;
            };
            let why = format!("in window {window}, in progress: not re-planned until its outcome is recorded (patchplan complete {window} [--failed])");
            for &m in members {
                findings[m].unscheduled_reason = Some(Unscheduled::AwaitingOutcome);
                findings[m].schedule.push(why.clone());
                findings[m].risk.reasons.push(format!("schedule: {why}"));
            }
            false
        })
        .unzip()
}
