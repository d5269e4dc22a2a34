//! The plan: wires match -> risk -> schedule for an inventory, and is what `plan.json` holds.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::feeds::{Cache, Feeds, Snapshot};
use crate::inputs::distro::PackageFormat;
use crate::inventory::vex::{VexStatement, VexStatus};
use crate::inventory::{Component, Criticality, Environment, Exposure, Inventory, Tier};
use crate::matching::{self, Finding, Target, TargetComponent};
use crate::risk::{self, Assessment, Context, Decision};
use crate::schedule::{self, TaskRequest, Unscheduled, Window};

pub mod json;
pub mod notices;
pub use notices::NoticeRecord;
mod sightings;

pub use sightings::{KnownEnv, Sightings, SightingsBuilder};

/// The plan: what `plan.json` holds (see [`json`]).
#[derive(Debug, Clone)]
pub struct Plan {
    pub schema: &'static str,
    pub now: DateTime<Utc>,
    pub feeds: Vec<Snapshot>,
    pub findings: Vec<PlanFinding>,
    /// The distinct assessments findings refer to (`PlanFinding::assessment`).
    pub assessments: Vec<Arc<Assessment>>,
    /// Where each task went and why, or why nowhere; then why open findings that no upgrade
    /// fixes stay open (`PlanFinding::placement`).
    pub placements: Vec<Arc<[String]>>,
    /// The window of each task's placement (by `PlanFinding::placement`); shorter than
    /// `placements` when the placements of unfixed findings follow.
    pub placement_windows: Vec<Option<Arc<str>>>,
    pub windows: Vec<Window>,
    pub notices: Vec<NoticeRecord>,
    /// Per ecosystem of the inventory's components: advisory records loaded, components checked.
    pub coverage: Vec<matching::Coverage>,
    pub warnings: Vec<String>,
    /// Some finding is not among the ledger's sightings the plan was made with: only then has
    /// the run sightings to record.
    pub unseen: bool,
}

/// Each distinct vulnerability of a plan's findings, by the address of its shared [`Vuln`], with
/// the index of the first finding (in plan order) that has it.
///
/// [`Vuln`]: matching::Vuln
pub type FirstVulns<'a> = rustc_hash::FxHashMap<usize, (usize, &'a matching::Vuln)>;

/// Each advisory of `vulns`, as its first finding (in plan order) merged it.
pub fn first_advisories<'a>(
    vulns: &FirstVulns<'a>,
) -> std::collections::BTreeMap<&'a str, &'a matching::Vuln> {
    let mut seen = std::collections::BTreeMap::new();
    for &(first, v) in vulns.values() {
        let entry = seen.entry(&*v.advisory).or_insert((first, v));
        if first < entry.0 {
            *entry = (first, v);
        }
    }
    seen.into_iter().map(|(id, (_, v))| (id, v)).collect()
}

/// The [`FirstVulns`] of `items` (findings, in order), each with its vulnerability `vuln`,
/// found on every core: a fleet's findings are millions, and its vulnerabilities tens of
/// thousands.
pub fn first_vulns<T: Sync>(
    items: &[T],
    vuln: impl Fn(&T) -> &matching::Vuln + Sync,
) -> FirstVulns<'_> {
    use rayon::prelude::*;
    const SPAN: usize = 1 << 16;
    (items.par_chunks(SPAN).enumerate())
        .map(|(c, chunk)| {
            let mut seen = FirstVulns::default();
            let mut last = 0;
            for (i, f) in chunk.iter().enumerate() {
                let v = vuln(f);
                let at = v as *const matching::Vuln as usize;
                // A plan's findings of one vulnerability often come together.
                if at != last {
                    last = at;
                    seen.entry(at).or_insert((c * SPAN + i, v));
                }
            }
            seen
        })
        .reduce(FirstVulns::default, |mut a, b| {
            for (at, (first, v)) in b {
                let e = a.entry(at).or_insert((first, v));
                e.0 = e.0.min(first);
            }
            a
        })
}

impl Plan {
    /// The plan's [`FirstVulns`].
    pub fn first_vulns(&self) -> FirstVulns<'_> {
        first_vulns(&self.findings, |f| &f.matched.vuln)
    }

    /// The ranking of finding `f`.
    pub fn risk(&self, f: &PlanFinding) -> &Assessment {
        &self.assessments[f.assessment as usize]
    }

    /// The window finding `f` is in, if any.
    pub fn window(&self, f: &PlanFinding) -> Option<&str> {
        // Only a task's placement has a window.
        let p = f.placement.filter(|_| f.in_window)?;
        self.placement_windows.get(p as usize)?.as_deref()
    }

    /// Where `f`'s task went and why, or why nowhere (`None` when it is in no task).
    pub fn placed(&self, f: &PlanFinding) -> Option<&[String]> {
        let p = f.placement.filter(|_| f.tasked)?;
        self.placements.get(p as usize).map(|p| &**p)
    }

    /// Why `f`'s fix went where it did, or nowhere: its own reasons, then its task's placement.
    pub fn schedule(&self, f: &PlanFinding) -> Vec<String> {
        let own = f.extra.iter().flat_map(|x| x.schedule.iter()).cloned();
        (own.chain(f.unfixed_why()))
            .chain(self.placed(f).into_iter().flatten().cloned())
            .collect()
    }

    /// Every reason of `f`: its assessment's, its own, then the schedule's.
    pub fn reasons<'a>(
        &'a self,
        f: &'a PlanFinding,
    ) -> impl Iterator<Item = std::borrow::Cow<'a, str>> {
        let placed = self.placed(f).into_iter().flatten();
        (self.risk(f).reasons.iter())
            .map(|r| std::borrow::Cow::Borrowed(r.as_str()))
            .chain(f.notes())
            .chain(placed.map(|r| std::borrow::Cow::Owned(format!("schedule: {r}"))))
    }
}

/// A finding with its risk and its place in the schedule. A fleet has millions: what findings
/// share is referred to, not copied (the vulnerability, the assessment; the customer is its
/// environment's, the window and the placement's reasons its [`Plan`]'s), and what few have (an
/// exception, a VEX statement, notes) is boxed.
#[derive(Debug, Clone)]
pub struct PlanFinding {
    /// The environment (its id is `matched.target`) and the component.
    pub matched: Finding,
    /// The version the component is upgraded to (fixes all its findings), if any.
    pub recommended: Option<Arc<String>>,
    pub status: Status,
    /// Its ranking: the index of its assessment among the plan's distinct ones (shared by every
    /// finding of the same records in the same context; [`Plan::risk`], plan.json's
    /// `assessment`).
    pub assessment: u32,
    pub emergency: bool,
    /// It is in a window: its task's placement has one ([`Plan::window`]).
    pub in_window: bool,
    /// Its window starts too late for its deadline (or it has none and a deadline).
    pub deadline_missed: bool,
    /// It is one of a task's findings: `placement` is its task's ([`Plan::placed`]).
    pub tasked: bool,
    /// Why an open finding is in no window (`None` when it is in one, or not open).
    pub unscheduled_reason: Option<Unscheduled>,
    /// Where its task went and why, or why nowhere (shared by the findings of one task).
    /// Index of its placement among the plan's (`Plan::placements`): its task's, or for an open
    /// finding its upgrade does not fix, the one that says why ([`PlanFinding::unfixed_why`]).
    pub placement: Option<u32>,
    /// What this finding alone has: an exception, a VEX statement, reasons of its own.
    pub extra: Option<Box<Extra>>,
    /// The index of the environment among the inventory's (and the match targets).
    pub target: u32,
}

/// The rare parts of a finding.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// The exception that names this finding, in force or expired.
    pub exception: Option<ExceptionNote>,
    /// The latest VEX statement about this finding, whatever its status.
    pub vex: Option<VexStatement>,
    /// Reasons of this finding alone, after its assessment's (VEX, exception, `schedule: ...`).
    pub notes: Vec<String>,
    /// Why its fix went nowhere, before the placement's reasons (unprefixed).
    pub schedule: Vec<String>,
}

impl PlanFinding {
    /// An open finding that the plan does not fix in time: no window (whatever the reason,
    /// no fix included) or a window after its deadline. What `plan --fail-on` counts.
    pub fn at_risk(&self) -> bool {
        self.status == Status::Open && (!self.in_window || self.deadline_missed)
    }

    /// `ENVIRONMENT:PACKAGE:ADVISORY`.
    pub fn id(&self) -> String {
        finding_id(
            &self.matched.target,
            &self.matched.package,
            &self.matched.advisory,
        )
    }

    /// Whether this finding's id is `id`, without making it.
    pub fn has_id(&self, id: &str) -> bool {
        let m = &self.matched;
        let mut parts = id.splitn(2, ':');
        parts.next() == Some(&*m.target)
            && parts.next().is_some_and(|rest| {
                rest.strip_prefix(m.package.as_str())
                    .and_then(|r| r.strip_prefix(':'))
                    == Some(&*m.advisory)
            })
    }

    /// Compares ids as strings, without making them.
    pub fn cmp_id(&self, other: &PlanFinding) -> std::cmp::Ordering {
        fn bytes(f: &PlanFinding) -> impl Iterator<Item = u8> + '_ {
            let m = &f.matched;
            let (t, p, a) = (
                m.target.as_bytes(),
                m.package.as_bytes(),
                m.advisory.as_bytes(),
            );
            (t.iter().chain(b":").chain(p).chain(b":").chain(a)).copied()
        }
        bytes(self).cmp(bytes(other))
    }

    pub fn environment(&self) -> &str {
        &self.matched.target
    }

    /// The indices of its environment and of its component there.
    pub fn place(&self) -> (usize, usize) {
        (self.target as usize, self.matched.component as usize)
    }

    /// Its environment's customer, from the inventory it was planned from.
    pub fn customer<'a>(&self, inv: &'a Inventory) -> &'a str {
        inv.environments
            .get(self.target as usize)
            .map_or("", |e| &e.customer)
    }

    pub fn exception(&self) -> Option<&ExceptionNote> {
        self.extra.as_ref()?.exception.as_ref()
    }

    pub fn vex(&self) -> Option<&VexStatement> {
        self.extra.as_ref()?.vex.as_ref()
    }

    fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Default::default)
    }

    /// Notes a reason of this finding alone.
    fn note(&mut self, reason: String) {
        self.extra_mut().notes.push(reason);
    }

    /// The reasons of this finding alone, after its assessment's: VEX, exception, why no upgrade
    /// of this plan fixes it (made from its fields, not kept: a fleet has millions of those).
    pub fn notes(&self) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
        let own = self.extra.iter().flat_map(|x| x.notes.iter());
        let why = self.unfixed_why().map(|w| format!("schedule: {w}"));
        (own.map(|r| std::borrow::Cow::Borrowed(r.as_str())))
            .chain(why.map(std::borrow::Cow::Owned))
    }

    /// Why the upgrade of its component does not fix this open finding, if it does not.
    pub fn unfixed_why(&self) -> Option<String> {
        let fixed = self.matched.fixed.as_deref();
        Some(
            match (self.unscheduled_reason?, fixed, self.recommended.as_deref()) {
                (Unscheduled::NoFix, None, _) => {
                    "no fixed version is known: the finding stays open as remaining risk"
                        .to_string()
                }
                (Unscheduled::FixOnOtherBranch, Some(fix), Some(to)) => format!(
                    "fixed in {fix}, on another branch than the upgrade to {to}, which fixes more urgent findings; it remains after that upgrade"
                ),
                (Unscheduled::NoFix, Some(fix), _) => format!(
                    "fixed in {fix}, but every version that fixes it is affected by another advisory with a fix: no safe upgrade is known"
                ),
                _ => return None,
            },
        )
    }
}

/// A finding's id: `ENVIRONMENT:PACKAGE:ADVISORY`.
pub fn finding_id(environment: &str, package: &str, advisory: &str) -> String {
    let mut id = String::with_capacity(environment.len() + package.len() + advisory.len() + 2);
    id.push_str(environment);
    id.push(':');
    id.push_str(package);
    id.push(':');
    id.push_str(advisory);
    id
}

/// A finding of a plan, with what it refers to there: plan.json v1's finding (and `explain`'s)
/// when serialised, every field of the finding in one object.
#[derive(Debug, Clone, Copy)]
pub struct InPlan<'a> {
    pub finding: &'a PlanFinding,
    pub plan: &'a Plan,
    /// Its environment's customer.
    pub customer: &'a str,
}

impl<'a> InPlan<'a> {
    /// Its ranking.
    pub fn risk(&self) -> &'a Assessment {
        self.plan.risk(self.finding)
    }

    pub fn new(plan: &'a Plan, inv: &'a Inventory, finding: &'a PlanFinding) -> InPlan<'a> {
        InPlan {
            finding,
            plan,
            customer: finding.customer(inv),
        }
    }

    pub fn window(&self) -> Option<&'a str> {
        self.plan.window(self.finding)
    }
}

impl std::ops::Deref for InPlan<'_> {
    type Target = PlanFinding;
    fn deref(&self) -> &PlanFinding {
        self.finding
    }
}

impl Serialize for InPlan<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Flat<'a> {
            id: String,
            environment: &'a str,
            customer: &'a str,
            #[serde(flatten)]
            matched: &'a Finding,
            recommended: Option<&'a str>,
            status: Status,
            exception: Option<&'a ExceptionNote>,
            vex: Option<&'a VexStatement>,
            decision: Decision,
            deadline: Option<DateTime<Utc>>,
            timeline: Option<&'a risk::Timeline>,
            score: f64,
            cvss: Option<&'a risk::CvssInfo>,
            epss: Option<&'a risk::Epss>,
            kev: bool,
            points: &'a risk::Points,
            reasons: Vec<std::borrow::Cow<'a, str>>,
            emergency: bool,
            window: Option<&'a str>,
            deadline_missed: bool,
            unscheduled_reason: Option<Unscheduled>,
        }
        let f = self.finding;
        let r = self.risk();
        Flat {
            id: f.id(),
            environment: f.environment(),
            customer: self.customer,
            matched: &f.matched,
            recommended: f.recommended.as_ref().map(|v| v.as_str()),
            status: f.status,
            exception: f.exception(),
            vex: f.vex(),
            decision: r.decision,
            deadline: r.deadline,
            timeline: r.timeline.as_ref(),
            score: r.score,
            cvss: r.cvss.as_ref(),
            epss: r.epss.as_ref(),
            kev: r.kev,
            points: &r.points,
            reasons: self.plan.reasons(f).collect(),
            emergency: f.emergency,
            window: self.window(),
            deadline_missed: f.deadline_missed,
            unscheduled_reason: f.unscheduled_reason,
        }
        .serialize(s)
    }
}

/// Whether a finding is in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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

/// The targets of an inventory: one per environment. A component shared by environments (a
/// stack's) is one target component shared by their targets.
pub fn targets(inv: &Inventory) -> Vec<Target> {
    let mut made: rustc_hash::FxHashMap<*const Component, Arc<TargetComponent>> =
        Default::default();
    let mut stacks = Default::default();
    inv.environments
        .iter()
        .map(|e| {
            let component = |c: &Arc<Component>| {
                let made = made.entry(Arc::as_ptr(c));
                made.or_insert_with(|| Arc::new(target_component(c)))
                    .clone()
            };
            Target {
                id: e.id.clone(),
                components: e.components.map(component, &mut stacks),
            }
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
    /// When each finding was first seen: the detection time its deadline counts from.
    pub first_seen: Sightings,
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
/// plan). Notices are rendered separately. Made for a command that ends with its plan: what the
/// plan's findings share with the matches they were made from is never freed (see
/// [`match_and_rank`]).
pub fn build_with(
    inv: &Inventory,
    targets: Vec<Target>,
    feeds: &Feeds,
    now: DateTime<Utc>,
    history: &History,
) -> Plan {
    let mut clock = crate::timing::Clock::start();
    let (mut ranked, warnings, coverage) =
        match_and_rank(inv, targets, feeds, now, history, &mut clock);
    let (requests, owners) = hold(
        history,
        &mut ranked.findings,
        ranked.requests,
        ranked.owners,
    );
    let mut findings = ranked.findings;
    let (windows, (placements, placement_windows)) = schedule_and_place(
        inv,
        &mut findings,
        requests,
        owners,
        now,
        history,
        &mut clock,
    );
    Plan {
        schema: json::SCHEMA,
        now,
        feeds: feeds.snapshots.clone(),
        findings,
        assessments: ranked.assessments,
        placements,
        placement_windows,
        windows,
        notices: Vec::new(),
        coverage,
        warnings,
        unseen: ranked.unseen,
    }
}

/// The first half of [`build_with`]: `targets` matched and their findings ranked, with the
/// plan's warnings so far and the feeds' coverage of the targets.
fn match_and_rank(
    inv: &Inventory,
    targets: Vec<Target>,
    feeds: &Feeds,
    now: DateTime<Utc>,
    history: &History,
    clock: &mut crate::timing::Clock,
) -> (Ranked, Vec<String>, Vec<matching::Coverage>) {
    let mut matches = matching::match_targets(&targets, feeds);
    clock.lap("  match");
    let mut warnings: Vec<String> = inv.warnings.clone();
    warnings.extend(history.overdue.iter().cloned());
    warnings.extend(feeds.warning_lines());
    warnings.extend(matches.warnings.iter().cloned());
    let coverage = matching::coverage(&targets, feeds);
    warnings.extend(matching::coverage_warnings(&targets, feeds));
    // Not needed past here: a fleet's are 5 million shared components (40 MB of pointers),
    // freed beside the ranking rather than held to the end.
    free_beside(targets);
    let found = std::mem::take(&mut matches.findings);
    let mut ranked = rank(
        inv,
        feeds,
        found,
        &matches.upgrades,
        now,
        history,
        &mut warnings,
    );
    clock.lap("  rank");
    // Each match's environment id and vulnerability are its plan finding's now too. Their
    // reference counts are left as they are: giving them back is millions of atomic decrements
    // on counters both cores share (a fleet's vulnerabilities are shared by thousands of
    // environments), and what they count lives on in the plan, which a run keeps to its end.
    ranked.matches.drain(..).for_each(std::mem::forget);
    // A fleet's millions of small allocations, freed beside the rest of the run (as below).
    free_beside(matches);
    (ranked, warnings, coverage)
}

/// The second half of [`build_with`]: the task `requests` scheduled into windows, and each of
/// `findings` given its placement (its task's, with `owners` the findings of each task); the
/// windows, the placements' reasons and their windows.
fn schedule_and_place(
    inv: &Inventory,
    findings: &mut [PlanFinding],
    requests: Vec<TaskRequest>,
    owners: Vec<Vec<usize>>,
    now: DateTime<Utc>,
    history: &History,
    clock: &mut crate::timing::Clock,
) -> (Vec<Window>, TaskPlacements) {
    let mut sched = schedule::schedule_announced(inv, &requests, now, &history.announced);
    free_beside(requests);
    clock.lap("  schedule");
    let (mut placements, placement_windows) = place(findings, &mut sched.placements, &owners);
    let spent = std::mem::take(&mut sched.placements);
    free_beside((owners, spent));
    unfixed_placements(findings, &mut placements);
    clock.lap("  place and sort");
    (sched.windows, (placements, placement_windows))
}

/// Each task's placement reasons and window, by task (see [`Plan::placements`] and
/// [`Plan::placement_windows`]).
type TaskPlacements = (Vec<Arc<[String]>>, Vec<Option<Arc<str>>>);

/// Frees `what` on a thread of its own, beside the rest of the run; where no thread can be
/// made, here.
fn free_beside<T: Send + 'static>(what: T) {
    let _ = std::thread::Builder::new().spawn(move || drop(what));
}

/// Gives each task's findings (`owners`, by task) their task's placement, on every core (a
/// fleet's millions of findings, each written where it lies rather than looked up task by
/// task); the placements' reasons and windows, by task. The reasons are moved out of
/// `placements`, whose emptied lists are left to be freed with them.
fn place(
    findings: &mut [PlanFinding],
    placements: &mut [schedule::Placement],
    owners: &[Vec<usize>],
) -> TaskPlacements {
    use rayon::prelude::*;
    let tasks = owners.len().min(placements.len());
    let placements = &mut placements[..tasks];
    let mut task_of = vec![u32::MAX; findings.len()];
    for (p, members) in owners.iter().enumerate() {
        for &f in members {
            if let Some(slot) = task_of.get_mut(f) {
                *slot = p as u32;
            }
        }
    }
    let windows: Vec<Option<Arc<str>>> = (placements.iter())
        .map(|p| p.window.as_deref().map(Arc::from))
        .collect();
    let reasons = (placements.iter_mut())
        .map(|p| p.reasons.drain(..).collect())
        .collect();
    let (placements, in_window) = (&*placements, &windows);
    (findings.par_iter_mut().zip(&task_of)).for_each(|(finding, &p)| {
        let Some(placement) = placements.get(p as usize) else {
            return;
        };
        let in_window = in_window[p as usize].is_some();
        finding.placement = Some(p);
        finding.tasked = true;
        finding.in_window = in_window;
        finding.emergency = placement.emergency && in_window;
        finding.deadline_missed = placement.deadline_missed;
        if !in_window {
            finding.unscheduled_reason =
                Some(placement.unscheduled.unwrap_or(Unscheduled::NoUsableWindow));
        }
    });
    (reasons, windows)
}

/// Gives each open finding that its component's upgrade does not fix (no fix, a fix on another
/// branch, no safe upgrade) a placement that says why: the findings left open for the same reason
/// share one, as a task's findings share theirs. plan.json then says it once, not on each of
/// millions of rows; [`Plan::reasons`] still makes it from the finding's fields.
fn unfixed_placements(findings: &mut [PlanFinding], placements: &mut Vec<Arc<[String]>>) {
    let mut made: HashMap<String, u32> = HashMap::new();
    let mut no_fix: Option<u32> = None;
    for f in findings.iter_mut().filter(|f| f.placement.is_none()) {
        let plain = f.unscheduled_reason == Some(Unscheduled::NoFix) && f.matched.fixed.is_none();
        if plain && let Some(p) = no_fix {
            f.placement = Some(p);
            continue;
        }
        let Some(why) = f.unfixed_why() else {
            continue;
        };
        let next = placements.len() as u32;
        let p = *made.entry(why).or_insert_with_key(|why| {
            placements.push(Arc::from([why.clone()]));
            next
        });
        if plain {
            no_fix = Some(p);
        }
        f.placement = Some(p);
    }
}

/// The plan order of findings `found`, each with (environment index, assessment) `placed`:
/// most urgent first (decision, then score), then by id as a string, so the order is total and
/// the output stable. Sorts small keys, not the findings: an id is ranked by its environment's
/// and its vulnerability's place, which is how its string compares (an environment id has no
/// `:`). Gives, for each place in plan order, the finding's index in `found`.
fn urgency_order(
    inv: &Inventory,
    found: &[Finding],
    placed: &[(u32, u32)],
    assessments: &[Arc<Assessment>],
) -> Vec<u32> {
    // As the start of an id: `e1:` sorts after `e10:`.
    let mut envs: Vec<(Vec<u8>, usize)> = (inv.environments.iter().enumerate())
        .map(|(t, e)| (e.id.bytes().chain(*b":").collect(), t))
        .collect();
    envs.sort_unstable();
    let mut env_rank: Vec<u32> = vec![0; envs.len()];
    for (i, (_, t)) in envs.iter().enumerate() {
        env_rank[*t] = i as u32;
    }
    // The distinct vulnerabilities (their order is the sort's below).
    let mut vulns: Vec<(String, usize)> = (first_vulns(found, |f| &f.vuln).into_iter())
        .map(|(at, (_, v))| (format!("{}:{}", v.package, v.advisory), at))
        .collect();
    vulns.sort();
    // Equal strings (one package and advisory at two versions) share a rank.
    let mut vuln_rank: rustc_hash::FxHashMap<usize, u32> = Default::default();
    let mut rank = 0u32;
    for (i, (key, v)) in vulns.iter().enumerate() {
        if i > 0 && vulns[i - 1].0 != *key {
            rank += 1;
        }
        vuln_rank.insert(*v, rank);
    }
    // Assessments ranked by urgency (decision, then score, descending; equal ones alike): a
    // finding's key is then four numbers in one integer, which sorts faster than a tuple.
    let urgency = |a: &Assessment| {
        let bits = a.score.to_bits();
        // The score in total order, descending.
        let score = !(if bits >> 63 == 1 {
            !bits
        } else {
            bits | 1 << 63
        });
        (std::cmp::Reverse(a.decision), score)
    };
    let mut by_urgency: Vec<(_, u32)> = (assessments.iter().enumerate())
        .map(|(a, risk)| (urgency(risk), a as u32))
        .collect();
    by_urgency.sort_unstable();
    let mut urgency_rank = vec![0u32; assessments.len()];
    let mut rank = 0u32;
    for (i, (key, a)) in by_urgency.iter().enumerate() {
        if i > 0 && by_urgency[i - 1].0 != *key {
            rank += 1;
        }
        urgency_rank[*a as usize] = rank;
    }
    let widths = [
        rank_width(&urgency_rank),
        env_rank.len() as u32 + 1,
        rank_width(vuln_rank.values()),
    ];
    sorted_by(found.len(), widths, |i| {
        let (t, a) = placed[i];
        let env = env_rank
            .get(t as usize)
            .copied()
            .unwrap_or(env_rank.len() as u32);
        let vuln = vuln_rank[&(Arc::as_ptr(&found[i].vuln) as usize)];
        [urgency_rank[a as usize], env, vuln]
    })
}

/// One more than the largest of `ranks` (0 for none).
fn rank_width<'r>(ranks: impl IntoIterator<Item = &'r u32>) -> u32 {
    ranks.into_iter().max().map_or(0, |r| r + 1)
}

/// The indices `0..n` in the order of their keys (three numbers, each below its `widths`, then
/// the index), sorted on both cores as single integers: 64-bit ones where the four fit in 64
/// bits (a fleet's of 3.3 million findings take 57), which sort about twice as fast as the
/// 128-bit ones used otherwise.
fn sorted_by(n: usize, widths: [u32; 3], key: impl Fn(usize) -> [u32; 3] + Sync) -> Vec<u32> {
    use rayon::prelude::*;
    let bits = |w: u64| 64 - w.saturating_sub(1).leading_zeros();
    let [a, b, c] = widths.map(|w| bits(w.into()));
    let d = bits(n as u64);
    if a + b + c + d <= 64 {
        let mut keys: Vec<u64> = (0..n)
            .into_par_iter()
            .map(|i| {
                let [x, y, z] = key(i).map(u64::from);
                (((x << b | y) << c | z) << d) | i as u64
            })
            .collect();
        keys.par_sort_unstable();
        let mask = (1u64 << d) - 1;
        keys.into_iter().map(|k| (k & mask) as u32).collect()
    } else {
        let mut keys: Vec<u128> = (0..n)
            .into_par_iter()
            .map(|i| {
                let [x, y, z] = key(i).map(u128::from);
                x << 96 | y << 64 | z << 32 | i as u128
            })
            .collect();
        keys.par_sort_unstable();
        keys.into_iter().map(|k| k as u32).collect()
    }
}

/// What [`rank`] gives: the findings in plan order (most urgent first), one task request per
/// upgrade with the indices of the findings it fixes, and the distinct assessments the findings
/// refer to.
pub struct Ranked {
    pub findings: Vec<PlanFinding>,
    /// For each finding in match order, its index in `findings`.
    pub positions: Vec<u32>,
    pub requests: Vec<TaskRequest>,
    pub owners: Vec<Vec<usize>>,
    pub assessments: Vec<Arc<Assessment>>,
    /// Some finding is not among the ledger's sightings (`History::first_seen`).
    pub unseen: bool,
    /// The matches the findings were made from (each finding holds a copy of its match's
    /// shared parts), in match order: the caller's to drop.
    pub matches: Vec<Finding>,
}

/// Ranks every finding of `found` (matched from [`targets`] of `inv`), gives it its status and
/// chooses each component's upgrade among `upgrades`. What `scan` of an inventory reports.
///
/// All but the last step work on the matches in match order, where each (environment,
/// component)'s findings lie together: statuses, upgrades and task requests read them in sequence.
/// Only then are the findings made, once each, in plan order.
pub fn rank(
    inv: &Inventory,
    feeds: &Feeds,
    found: Vec<Finding>,
    upgrades: &matching::Upgrades,
    now: DateTime<Utc>,
    history: &History,
    warnings: &mut Vec<String>,
) -> Ranked {
    use rayon::prelude::*;
    let mut clock = crate::timing::Clock::start();
    warnings.extend(unknown_override_advisories(inv, feeds));
    let (placed, assessments, unseen) = assess_all(inv, feeds, &found, now, history, warnings);
    clock.lap("    assess");
    let verdicts = Verdicts::of(inv, now, &found, &placed);
    // An expired exception is a warning too, in match order.
    for (&i, x) in &verdicts.extras {
        if let Some(x) = x.exception.as_ref().filter(|x| x.expired) {
            warnings.push(expired_message(x, &found[i as usize].target));
        }
    }
    clock.lap("    statuses");
    let fixes = requests(inv, upgrades, &found, &placed, &verdicts, &assessments);
    clock.lap("    requests");
    let order = urgency_order(inv, &found, &placed, &assessments);
    clock.lap("    order");
    let outcome = |i: usize| {
        let g = *fixes.group_of.get(i)?;
        fixes.upgrades.get(g as usize).copied().flatten()
    };
    let findings: Vec<PlanFinding> = (order.par_iter())
        .map(|&i| {
            let i = i as usize;
            let (t, a) = placed[i];
            PlanFinding {
                recommended: outcome(i).map(|c| c.version.clone()),
                status: verdicts.statuses[i],
                assessment: a,
                emergency: false,
                in_window: false,
                deadline_missed: false,
                tasked: false,
                unscheduled_reason: fixes.left[i],
                placement: None,
                extra: verdicts.extras.get(&(i as u32)).cloned(),
                target: t,
                matched: found[i].clone(),
            }
        })
        .collect();
    drop((placed, verdicts));
    let mut positions = vec![0u32; order.len()];
    for (at, &i) in order.iter().enumerate() {
        positions[i as usize] = at as u32;
    }
    drop(order);
    let owners = (fixes.owners.par_iter())
        .map(|members| {
            (members.iter())
                .map(|&m| positions[m as usize] as usize)
                .collect()
        })
        .collect();
    clock.lap("    findings");
    debug_assert!(findings.windows(2).all(|w| {
        let (a, b) = (&w[0], &w[1]);
        let (ra, rb) = (
            &assessments[a.assessment as usize],
            &assessments[b.assessment as usize],
        );
        let order = (rb.decision.cmp(&ra.decision))
            .then(rb.score.total_cmp(&ra.score))
            .then_with(|| a.cmp_id(b));
        order != std::cmp::Ordering::Greater
    }));
    Ranked {
        findings,
        positions,
        requests: fixes.requests,
        owners,
        assessments,
        unseen,
        matches: found,
    }
}

/// Assessments depend on the finding's records and kind, where it lives, and when it was
/// detected; a fleet repeats the same vulnerable versions in many environments alike, so each
/// distinct key is assessed once.
type AssessKey = (u32, Exposure, Criticality, Tier, DateTime<Utc>);

/// Each finding of `found` with (its environment's index, its assessment's number), the
/// distinct assessments (their warnings, each once, join `warnings`), and whether some finding
/// is not among the ledger's sightings.
fn assess_all(
    inv: &Inventory,
    feeds: &Feeds,
    found: &[Finding],
    now: DateTime<Utc>,
    history: &History,
    warnings: &mut Vec<String>,
) -> (Vec<(u32, u32)>, Vec<Arc<Assessment>>, bool) {
    use rayon::prelude::*;
    let env_index: HashMap<&str, usize> = (inv.environments.iter().enumerate())
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    let contexts: Vec<Context> = (inv.environments.iter())
        .map(|env| {
            let tier = inv
                .customer(&env.customer)
                .map(|c| c.tier)
                .unwrap_or_default();
            Context {
                exposure: env.exposure,
                criticality: env.criticality,
                tier,
            }
        })
        .collect();
    let mut clock = crate::timing::Clock::start();
    let (detected, unseen) = detected(found, &history.first_seen, now);
    clock.lap("      detected");
    let (placed, wanted) = assessment_keys(found, &detected, &env_index, &contexts);
    drop(detected);
    clock.lap("      keys");
    let assessments: Vec<Arc<Assessment>> = (wanted.par_iter())
        .map(|(f, cx, when)| Arc::new(risk::assess(f, feeds, *cx, &inv.policy, *when)))
        .collect();
    drop(wanted);
    clock.lap("      assessments");
    // A bad record is warned about once, not once per environment it is found in.
    let mut warned = HashSet::new();
    for a in &assessments {
        warnings.extend(a.warnings.iter().filter(|w| warned.insert(*w)).cloned());
    }
    (placed, assessments, unseen)
}

/// When each finding of `found` was detected: first seen (`first_seen`), or `now`. Each distinct
/// vulnerability is looked up once, and each environment once per run of its findings: a
/// fleet's findings are millions, its vulnerabilities tens of thousands.
/// Also whether some finding is not among `first_seen`.
fn detected(
    found: &[Finding],
    first_seen: &Sightings,
    now: DateTime<Utc>,
) -> (Vec<DateTime<Utc>>, bool) {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    if first_seen.is_empty() {
        return (vec![now; found.len()], !found.is_empty());
    }
    let unseen = AtomicBool::new(false);
    let vuln_ids: rustc_hash::FxHashMap<usize, Option<u32>> = (first_vulns(found, |f| &f.vuln))
        .into_iter()
        .map(|(at, (_, v))| (at, first_seen.vuln_id(&v.package, &v.advisory)))
        .collect();
    let (vuln_ids, unseen_ref) = (&vuln_ids, &unseen);
    let detected = (found.par_chunks(1 << 14))
        .flat_map_iter(|part| {
            let mut last: Option<(&matching::TargetId, _)> = None;
            part.iter().map(move |f| {
                let env = match last {
                    Some((id, env)) if Arc::ptr_eq(id, &f.target) => env,
                    _ => {
                        let env = first_seen.environment(&f.target);
                        last = Some((&f.target, env));
                        env
                    }
                };
                let vuln = vuln_ids[&(Arc::as_ptr(&f.vuln) as usize)];
                let seen = env.zip(vuln).and_then(|(env, v)| env.first_seen(v));
                if seen.is_none() {
                    unseen_ref.store(true, Ordering::Relaxed);
                }
                seen.map_or(now, |t| now.min(t))
            })
        })
        .collect();
    (detected, unseen.into_inner())
}

/// Each match's status, and what few matches have of their own (an exception, a VEX statement,
/// notes), in match order.
struct Verdicts {
    /// By match.
    statuses: Vec<Status>,
    /// By match, for the few that have one.
    extras: std::collections::BTreeMap<u32, Box<Extra>>,
}

impl Verdicts {
    fn of(inv: &Inventory, now: DateTime<Utc>, found: &[Finding], placed: &[(u32, u32)]) -> Self {
        use rayon::prelude::*;
        let judged: Vec<(Status, Option<Box<Extra>>)> = (found.par_iter().zip(placed))
            .map(|(f, &(t, _))| {
                let env = &inv.environments[t as usize];
                let mut extra = None;
                let vex = vex_statement(inv, f, env);
                let status = status(inv, env, vex, now, f, &mut extra);
                if let Some(v) = vex {
                    extra.get_or_insert_with(Box::default).vex = Some(v.clone());
                }
                (status, extra)
            })
            .collect();
        let mut extras = std::collections::BTreeMap::new();
        let statuses = (judged.into_iter().enumerate())
            .map(|(i, (status, extra))| {
                if let Some(x) = extra {
                    extras.insert(i as u32, x);
                }
                status
            })
            .collect();
        Verdicts { statuses, extras }
    }
}

/// A finding to assess, with its context and detection time: the first of its [`AssessKey`].
type Wanted<'f> = (&'f Finding, Context, DateTime<Utc>);

/// Each finding of `found` (detected at `detected`) with its environment's index and its
/// assessment's number, and the findings to assess: the first of each distinct [`AssessKey`],
/// numbered in order of first appearance. Found on every core: each part of the findings keys
/// its own first, and the parts' keys are numbered in order, as one pass would number them.
fn assessment_keys<'f>(
    found: &'f [Finding],
    detected: &[DateTime<Utc>],
    env_index: &HashMap<&str, usize>,
    contexts: &[Context],
) -> (Vec<(u32, u32)>, Vec<Wanted<'f>>) {
    assessment_keys_in(found, detected, env_index, contexts, 1 << 16)
}

/// [`assessment_keys`] in parts of `part` findings.
fn assessment_keys_in<'f>(
    found: &'f [Finding],
    detected: &[DateTime<Utc>],
    env_index: &HashMap<&str, usize>,
    contexts: &[Context],
    part: usize,
) -> (Vec<(u32, u32)>, Vec<Wanted<'f>>) {
    use rayon::prelude::*;
    use rustc_hash::FxHashMap;
    type Records<'f> = (&'f [usize], Option<&'f str>);
    /// One part's: its records and keys in order of first appearance (a key's record is an
    /// index into the part's records; with the index of its first finding), and each finding's
    /// environment and key.
    struct Part<'f> {
        records: Vec<Records<'f>>,
        keys: Vec<(AssessKey, usize)>,
        placed: Vec<(u32, u32)>,
    }
    let parts: Vec<Part> = (found.par_chunks(part).zip(detected.par_chunks(part)))
        .enumerate()
        .map(|(n, (found, detected))| {
            // Millions of lookups, of keys that are numbers or were made here: no need for
            // SipHash.
            let mut by_vuln: FxHashMap<usize, u32> = Default::default();
            let mut records: FxHashMap<Records, u32> = Default::default();
            let mut keys: FxHashMap<AssessKey, u32> = Default::default();
            let mut own = Part {
                records: Vec::new(),
                keys: Vec::new(),
                placed: Vec::with_capacity(found.len()),
            };
            let mut last: Option<(&matching::TargetId, usize)> = None;
            for (i, (f, &when)) in found.iter().zip(detected).enumerate() {
                let t = match last {
                    Some((id, t)) if Arc::ptr_eq(id, &f.target) => t,
                    _ => {
                        let t = env_index[f.target.as_str()];
                        last = Some((&f.target, t));
                        t
                    }
                };
                let r = *by_vuln
                    .entry(Arc::as_ptr(&f.vuln) as usize)
                    .or_insert_with(|| {
                        let key = (&f.records[..], f.informational.as_deref());
                        let next = own.records.len() as u32;
                        *records.entry(key).or_insert_with(|| {
                            own.records.push(key);
                            next
                        })
                    });
                let cx = contexts[t];
                let key = (r, cx.exposure, cx.criticality, cx.tier, when);
                let next = own.keys.len() as u32;
                let k = *keys.entry(key).or_insert_with(|| {
                    own.keys.push((key, n * part + i));
                    next
                });
                own.placed.push((t as u32, k));
            }
            own
        })
        .collect();
    // The parts' keys numbered in order: the first appearance of each, as one pass finds it.
    let mut records: FxHashMap<Records, u32> = Default::default();
    let mut keys: FxHashMap<AssessKey, u32> = Default::default();
    let mut wanted = Vec::new();
    let numbers: Vec<Vec<u32>> = (parts.iter())
        .map(|part| {
            let renumbered: Vec<u32> = (part.records.iter())
                .map(|&key| {
                    let next = records.len() as u32;
                    *records.entry(key).or_insert(next)
                })
                .collect();
            (part.keys.iter())
                .map(|&((r, exposure, criticality, tier, when), first)| {
                    let key = (renumbered[r as usize], exposure, criticality, tier, when);
                    let next = keys.len() as u32;
                    *keys.entry(key).or_insert_with(|| {
                        let f = &found[first];
                        let cx = Context {
                            exposure,
                            criticality,
                            tier,
                        };
                        wanted.push((f, cx, when));
                        next
                    })
                })
                .collect()
        })
        .collect();
    let placed = (parts.par_iter().zip(&numbers))
        .flat_map_iter(|(part, numbers)| {
            (part.placed.iter()).map(move |&(t, k)| (t, numbers[k as usize]))
        })
        .collect();
    (placed, wanted)
}

fn names_advisory(f: &Finding, id: &str) -> bool {
    *f.advisory == *id || f.aliases.iter().any(|a| a == id)
}

/// The latest VEX statement about the finding (by timestamp, then load order), if any.
fn vex_statement<'a>(
    inv: &'a Inventory,
    f: &Finding,
    env: &Environment,
) -> Option<&'a VexStatement> {
    if inv.vex.is_empty() {
        return None;
    }
    let comp = env.components.get(f.component as usize)?;
    let ids = || std::iter::once(&*f.advisory).chain(f.aliases.iter().map(String::as_str));
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
    env: &Environment,
    vex: Option<&VexStatement>,
    now: DateTime<Utc>,
    f: &Finding,
    extra: &mut Option<Box<Extra>>,
) -> Status {
    if f.informational.is_some() {
        return Status::Informational;
    }
    if let Some(s) = vex {
        note(extra, vex_reason(s));
        match s.status {
            VexStatus::NotAffected => return Status::NotAffected,
            VexStatus::Fixed => return Status::Fixed,
            _ => {}
        }
    }
    exception_status(inv, &env.id, now, f, extra)
}

/// `excepted` while an exception naming the finding is in force; an expired one returns the
/// finding to the plan with a warning.
fn exception_status(
    inv: &Inventory,
    env: &str,
    now: DateTime<Utc>,
    f: &Finding,
    extra: &mut Option<Box<Extra>>,
) -> Status {
    if inv.overrides.exceptions.is_empty() {
        return Status::Open;
    }
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
        return Status::Open;
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
        let extra = extra.get_or_insert_with(Box::default);
        extra.notes.push(why);
        extra.exception = Some(note);
        return Status::Excepted;
    }
    let extra = extra.get_or_insert_with(Box::default);
    extra.notes.push(expired_message(&note, env));
    extra.exception = Some(note);
    Status::Open
}

/// A warning for each override (exception, deferral, emergency) naming an advisory that no
/// loaded record about the inventory's components has as its id or an alias: it applies to
/// nothing, and a mistyped id would otherwise go unnoticed.
fn unknown_override_advisories(inv: &Inventory, feeds: &Feeds) -> Vec<String> {
    let o = &inv.overrides;
    let named = (o.exceptions.iter().map(|x| ("exception", &x.advisory)))
        .chain(o.deferrals.iter().map(|x| ("deferral", &x.advisory)))
        .chain(o.emergencies.iter().map(|x| ("emergency", &x.advisory)));
    let mut named = named.peekable();
    if named.peek().is_none() {
        return Vec::new();
    }
    let known: std::collections::HashSet<&str> = (feeds.advisories.iter())
        .flat_map(|a| std::iter::once(&a.id).chain(&a.aliases))
        .map(String::as_str)
        .collect();
    named
        .filter(|(_, id)| !known.contains(id.as_str()))
        .map(|(kind, id)| {
            let id = crate::diag::excerpt(id);
            format!("overrides.toml: {kind} for `{id}`: no advisory about the inventory's components has that id or alias; it applies to nothing")
        })
        .collect()
}

/// Notes a reason of a finding alone in its `extra`.
fn note(extra: &mut Option<Box<Extra>>, reason: String) {
    extra.get_or_insert_with(Box::default).notes.push(reason);
}

/// The warning (and reason) of an exception that has expired.
fn expired_message(x: &ExceptionNote, env: &str) -> String {
    format!(
        "exception for {} on {env} expired on {} (owner {}); the finding is back in the plan",
        x.advisory, x.until, x.owner
    )
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

/// What [`requests`] gives, for matches in match order.
struct Fixes<'u> {
    /// By match: its group (its environment and component's findings), `u32::MAX` for an
    /// informational one (in no group).
    group_of: Vec<u32>,
    /// By group: the upgrade chosen for it, if any.
    upgrades: Vec<Option<&'u matching::Candidate>>,
    /// By match: why an open finding stays open after its component's upgrade.
    left: Vec<Option<Unscheduled>>,
    /// One task request per group its upgrade fixes something in, with the matches it fixes.
    requests: Vec<TaskRequest>,
    owners: Vec<Vec<u32>>,
}

/// One task request per (environment, component) with open findings and a fix, with the matches
/// it fixes. The upgrade is chosen per component (see [`matching::Upgrade::choose`]): findings
/// without a fix, or fixed only on another branch than the upgrade, stay open with their reason
/// and never hold the others back.
fn requests<'u>(
    inv: &Inventory,
    upgrades: &'u matching::Upgrades,
    found: &[Finding],
    placed: &[(u32, u32)],
    verdicts: &Verdicts,
    assessments: &[Arc<Assessment>],
) -> Fixes<'u> {
    use rayon::prelude::*;
    let mut clock = crate::timing::Clock::start();
    let place = |i: &u32| (placed[*i as usize].0, found[*i as usize].component);
    // The findings of each (environment, component), in match order (already grouped so; sorted
    // here otherwise).
    let mut order: Vec<u32> = (0..found.len() as u32)
        .into_par_iter()
        .filter(|&i| found[i as usize].informational.is_none())
        .collect();
    let sorted = (order.par_windows(2)).all(|w| place(&w[0]) <= place(&w[1]));
    if !sorted {
        order.par_sort_by_key(place);
    }
    let groups: Vec<&[u32]> = order.chunk_by(|a, b| place(a) == place(b)).collect();
    clock.lap("      groups");
    let open = |m: u32| verdicts.statuses[m as usize] == Status::Open;
    // Per group: the upgrade, the open findings it leaves (and why), the ones it fixes.
    type Left = Vec<(u32, Unscheduled)>;
    let outcomes: Vec<(Option<&matching::Candidate>, Left, Vec<u32>)> = (groups.par_iter())
        .map(|members| {
            let (t, c) = place(&members[0]);
            let upgrade = upgrades.get(&(t as usize, c as usize)).map(|u| &**u);
            let fixable: Vec<(&str, _)> = (members.iter().copied())
                .filter(|&m| open(m) && found[m as usize].fixed.is_some())
                .map(|m| {
                    let risk = &assessments[placed[m as usize].1 as usize];
                    (&*found[m as usize].advisory, risk.urgency())
                })
                .collect();
            let to = upgrade.and_then(|u| u.choose(&fixable));
            let mut fixed = Vec::new();
            let mut left = Vec::new();
            for &m in members.iter().filter(|&&m| open(m)) {
                match fix_outcome(&found[m as usize], to) {
                    None => fixed.push(m),
                    Some(reason) => left.push((m, reason)),
                }
            }
            (to, left, fixed)
        })
        .collect();
    clock.lap("      upgrades");
    let mut fixes = Fixes {
        group_of: vec![u32::MAX; found.len()],
        upgrades: Vec::with_capacity(groups.len()),
        left: vec![None; found.len()],
        requests: Vec::new(),
        owners: Vec::new(),
    };
    for (g, (members, (to, left, _))) in groups.iter().zip(&outcomes).enumerate() {
        for &m in *members {
            fixes.group_of[m as usize] = g as u32;
        }
        for &(m, reason) in left {
            fixes.left[m as usize] = Some(reason);
        }
        fixes.upgrades.push(*to);
    }
    clock.lap("      outcomes");
    // A request for each group its upgrade fixes something in, made straight into place (a
    // fleet's are hundreds of thousands of a few hundred bytes each).
    let made: Vec<usize> = (outcomes.iter().enumerate())
        .filter(|(_, (to, _, fixed))| to.is_some() && !fixed.is_empty())
        .map(|(g, _)| g)
        .collect();
    fixes.requests = (made.par_iter())
        .map(|&g| {
            let (to, _, fixed) = &outcomes[g];
            let to = to.expect("a group with a request has an upgrade");
            let at = place(&groups[g][0]);
            let at = (at.0 as usize, at.1 as usize);
            request(
                inv,
                (found, placed, assessments),
                fixed,
                at,
                to.version.to_string(),
            )
        })
        .collect();
    drop(groups);
    let mut outcomes = outcomes;
    fixes.owners = (made.iter())
        .map(|&g| std::mem::take(&mut outcomes[g].2))
        .collect();
    clock.lap("      task requests");
    fixes
}

/// Whether the upgrade to `to` fixes open finding `f`: `None` when it does, else why not (the
/// words are [`PlanFinding::unfixed_why`]'s).
fn fix_outcome(f: &Finding, to: Option<&matching::Candidate>) -> Option<Unscheduled> {
    match (&f.fixed, to) {
        (_, Some(c)) if c.fixes.contains(&*f.advisory) => None,
        (Some(_), Some(_)) => Some(Unscheduled::FixOnOtherBranch),
        _ => Some(Unscheduled::NoFix),
    }
}

/// The matches in match order, each with (its environment's index, its assessment's number),
/// and the assessments.
type Matched<'a> = (&'a [Finding], &'a [(u32, u32)], &'a [Arc<Assessment>]);

/// The task request upgrading component `c` of environment `t` to `to`, fixing `members` (of
/// the matches `found`).
fn request(
    inv: &Inventory,
    (found, placed, assessments): Matched,
    members: &[u32],
    (t, c): (usize, usize),
    to: String,
) -> TaskRequest {
    let env = &inv.environments[t];
    let comp = &env.components[c];
    let env_id = &env.id;
    let risk = |m: &u32| &*assessments[placed[*m as usize].1 as usize];
    let decision = members
        .iter()
        .map(|m| risk(m).decision)
        .max()
        .unwrap_or(Decision::Track);
    let deadline = members.iter().filter_map(|m| risk(m).deadline).min();
    let score = members.iter().map(|m| risk(m).score).fold(0.0, f64::max);
    let names = |advisory: &str| {
        members
            .iter()
            .any(|&m| names_advisory(&found[m as usize], advisory))
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
        findings: schedule::FindingIds::new(
            env_id,
            &comp.name,
            (members.iter())
                .map(|&m| found[m as usize].advisory.clone())
                .collect(),
        ),
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
                findings[m].note(format!("schedule: {why}"));
                findings[m].extra_mut().schedule.push(why.clone());
            }
            false
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::Vuln;
    use chrono::TimeZone;

    /// A fleet's plan holds millions of findings: each is kept to a few words (the environment,
    /// the vulnerability and the upgrade shared, the rest numbers), not a bundle of strings.
    #[test]
    fn a_finding_stays_small() {
        assert!(std::mem::size_of::<matching::Finding>() <= 24);
        assert!(std::mem::size_of::<PlanFinding>() <= 64);
    }

    fn vuln(package: &str, advisory: &str, version: &str, records: Vec<usize>) -> Arc<Vuln> {
        Arc::new(Vuln {
            ecosystem: "PyPI".into(),
            package: package.into(),
            version: version.into(),
            advisory: advisory.into(),
            aliases: Vec::new(),
            records,
            informational: None,
            fixed: None,
            summary: String::new(),
        })
    }

    /// Assessment keys found in parts, of any size, are numbered as one pass over all the
    /// findings numbers them: in order of first appearance.
    /// Indices sorted by packed keys come out as a sort of (key, index) tuples does, whether
    /// the keys fit in 64 bits or need 128 (here widths of up to 2^32 force it), with ties
    /// left in index order.
    #[test]
    fn sorted_by_orders_as_tuples_do() {
        let mut state = 0x2545_f491_u64;
        let mut next = |below: u32| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % u64::from(below.max(1))) as u32
        };
        for (n, widths) in [
            (0, [1, 1, 1]),
            (1, [1, 1, 1]),
            (500, [3, 20, 7]),
            (4096, [200, 20_001, 9_000]),
            (300, [u32::MAX, u32::MAX, 5]),
            (300, [2, 1 << 31, 1 << 31]),
        ] {
            let keys: Vec<[u32; 3]> = (0..n).map(|_| widths.map(&mut next)).collect();
            let mut expected: Vec<([u32; 3], u32)> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| (*k, i as u32))
                .collect();
            expected.sort();
            let expected: Vec<u32> = expected.into_iter().map(|(_, i)| i).collect();
            assert_eq!(
                sorted_by(n, widths, |i| keys[i]),
                expected,
                "{n} {widths:?}"
            );
        }
    }

    #[test]
    fn assessment_keys_in_parts_number_as_one_pass() {
        let envs: Vec<matching::TargetId> = ["a", "b", "c"].map(|e| Arc::new(e.into())).to_vec();
        let env_index: HashMap<&str, usize> = envs
            .iter()
            .enumerate()
            .map(|(i, e)| (e.as_str(), i))
            .collect();
        let contexts = [
            (Exposure::Internet, Criticality::High),
            (Exposure::Internal, Criticality::Low),
            (Exposure::Internet, Criticality::High),
        ]
        .map(|(exposure, criticality)| Context {
            exposure,
            criticality,
            tier: Tier::default(),
        });
        // Two versions of one advisory share their records, so their assessments too.
        let vulns = [
            vuln("p", "A-1", "1.0", vec![0]),
            vuln("p", "A-1", "1.1", vec![0]),
            vuln("q", "A-2", "2.0", vec![1, 2]),
            vuln("r", "A-3", "3.0", vec![3]),
        ];
        let day = |d: u32| Utc.with_ymd_and_hms(2026, 10, d, 9, 0, 0).unwrap();
        let mut found = Vec::new();
        let mut detected = Vec::new();
        for n in 0..60usize {
            found.push(Finding {
                target: envs[(n * 7 / 5) % 3].clone(),
                component: (n % 4) as u32,
                vuln: vulns[(n * 3 + n / 7) % 4].clone(),
            });
            detected.push(day(1 + (n % 11 == 0) as u32));
        }
        // The reference: one pass, numbering each distinct key as it first appears.
        type Key = (Vec<usize>, usize, DateTime<Utc>);
        let mut numbers: Vec<(Key, u32)> = Vec::new();
        let mut expected = Vec::new();
        let mut first = Vec::new();
        for (n, (f, when)) in found.iter().zip(&detected).enumerate() {
            let t = env_index[f.target.as_str()];
            // Contexts 0 and 2 are alike.
            let key = (f.records.clone(), t % 2, *when);
            let a = match numbers.iter().find(|(k, _)| *k == key) {
                Some((_, a)) => *a,
                None => {
                    numbers.push((key, numbers.len() as u32));
                    first.push(n);
                    numbers.len() as u32 - 1
                }
            };
            expected.push((t as u32, a));
        }
        assert!(numbers.len() > 4, "the findings have several keys");
        for part in [1, 2, 3, 7, 16, 59, 60, 1000] {
            let (placed, wanted) =
                assessment_keys_in(&found, &detected, &env_index, &contexts, part);
            assert_eq!(placed, expected, "parts of {part}");
            let wanted: Vec<usize> = (wanted.iter())
                .map(|(f, _, _)| found.iter().position(|g| std::ptr::eq(g, *f)).unwrap())
                .collect();
            assert_eq!(wanted, first, "parts of {part}");
        }
    }
}
