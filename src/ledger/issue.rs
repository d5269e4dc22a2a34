//! A run against the ledger: what it remembers for the plan ([`history`]), what the new plan
//! issues ([`changes`]), the run recorded ([`record_run`]) while its notices render
//! ([`render`]), then the notices ([`record_notices`]), and a window's outcome ([`complete`]).
//! The caller holds the write transaction around all of it.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::duration::Duration;

use super::contents::StoredFile;
use super::diff::{self, Changes, Issue, LedgerWindow, NoticeKind, WindowState};
use super::hash;
use super::store::{NoticeFiles, RunRow};
use super::{Ledger, LedgerError};
use crate::error::Result;
use crate::inventory::{Disclosure, Inventory};
use crate::notice::input::FindingInput;
use crate::notice::view::Sources;
use crate::notice::{self, NoticeSpec, RenderedNotice, Renderer};
use crate::plan::{History, Plan};
use crate::schedule::{Window, WindowKind};

/// What the ledger remembers that changes the plan made at `now`, with its `open` windows (see
/// [`Ledger::open_windows`]; read once for a run, they are a fleet's largest rows). A window
/// that has started holds its upgrades until its outcome is recorded; one that ended more than
/// `grace` ago without an outcome no longer does (its upgrades are treated as not done), and
/// either way a window past its end is reported as overdue.
pub fn history(
    ledger: &Ledger,
    open: &[LedgerWindow],
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<History> {
    Ok(history_with(ledger.sightings()?, open, now, grace))
}

/// [`history`], with the ledger's first sightings already read.
pub fn history_with(
    first_seen: crate::plan::Sightings,
    open: &[LedgerWindow],
    now: DateTime<Utc>,
    grace: Duration,
) -> History {
    let mut h = History {
        first_seen,
        ..History::default()
    };
    let at = |t: DateTime<Utc>| crate::utc::minute(&t);
    for l in open {
        let w = &l.window;
        if l.state == WindowState::InProgress || w.start <= now {
            let record = format!(
                "record it with `patchplan complete {}` (add --failed if it did not go through)",
                l.key
            );
            if w.end + grace.delta() <= now {
                h.overdue.push(format!(
                    "window {} ended at {} with no recorded outcome for longer than outcome_grace ({grace}): its upgrades are treated as not done and planned again with their original deadlines; {record}",
                    l.key,
                    at(w.end)
                ));
                continue;
            }
            if w.end <= now {
                h.overdue.push(format!(
                    "window {} ended at {} and is overdue: no outcome recorded; {record}. Its upgrades wait for it until {}",
                    l.key,
                    at(w.end),
                    at(w.end + grace.delta())
                ));
            }
            for t in w.tasks.iter() {
                let key = (t.environment.clone(), t.package.clone());
                h.held.insert(key, w.id.clone());
            }
        } else if w.kind == WindowKind::Planned {
            let envs: BTreeSet<String> = w.environments.iter().cloned().collect();
            h.announced.insert(w.id.clone(), envs);
        }
    }
    h
}

/// What `plan` issues, compared with what the ledger announced: its `open` windows (those read
/// from their rows alone are read in full first where the comparison needs more).
pub fn changes(
    ledger: &Ledger,
    open: &mut [LedgerWindow],
    inv: &Inventory,
    plan: &Plan,
) -> Result<Changes> {
    use rayon::prelude::*;
    let reads: HashSet<usize> = diff::to_read_in_full(open, &plan.windows, plan.now)
        .into_iter()
        .collect();
    (open.par_iter_mut().enumerate())
        .filter(|(i, _)| reads.contains(i))
        .try_for_each(|(_, l)| l.read_in_full())
        .map_err(|e| ledger.err(e))?;
    let detailed = inv
        .customers
        .iter()
        .filter(|c| c.disclosure == Disclosure::Detailed)
        .map(|c| c.id.clone())
        .collect();
    let mut cx = diff::Context {
        now: plan.now,
        domain: &inv.organisation.domain,
        detailed,
        taken: ledger.keys()?,
    };
    Ok(diff::diff(open, &plan.windows, &mut cx))
}

/// A notice to issue, rendered.
pub struct Rendered {
    pub issue: Issue,
    pub notice: RenderedNotice,
    /// Its files' hashes as the ledger stores them, made as it rendered (on the pool) when it is
    /// to be recorded.
    hashes: Option<Hashes>,
}

/// A rendered notice's hashes: each file's content's, in order, and that of every file's path
/// and content together (the notice's).
struct Hashes {
    files: Vec<String>,
    all: String,
}

impl Hashes {
    /// The hashes of `n`'s files, each file's content's and that of all its paths and contents
    /// (each followed by a zero byte), in one pass over its bytes.
    fn of(n: &RenderedNotice) -> Hashes {
        Hashes::of_files(&n.files)
    }

    /// [`Hashes::of`] the files `(path, content)`.
    fn of_files(files: &[(String, String)]) -> Hashes {
        use sha2::Digest;
        let mut all = sha2::Sha256::new();
        let files = (files.iter())
            .map(|(path, content)| {
                for part in [path.as_bytes(), content.as_bytes()] {
                    all.update(part);
                    all.update([0]);
                }
                hash::sha256(content.as_bytes())
            })
            .collect();
        Hashes {
            files,
            all: crate::digest::hex(&all.finalize()),
        }
    }
}

/// Renders every notice of `changes`, with the hashes the ledger stores when they are to be
/// `recorded` (not for a dry run); a notice whose customer left the inventory is skipped with a
/// warning.
pub fn render(
    inv: &Inventory,
    sources: &Sources,
    changes: &Changes,
    now: DateTime<Utc>,
    recorded: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<Rendered>> {
    use rayon::prelude::*;
    let renderer = Renderer::new(Some(&inv.root.join("templates")))?;
    let made: Vec<Option<(RenderedNotice, Option<Hashes>)>> = (changes.notices.par_iter())
        .map(|issue| {
            let notice = render_one(&renderer, inv, sources, issue, None, now)?;
            Ok(notice.map(|n| {
                let hashes = recorded.then(|| Hashes::of(&n));
                (n, hashes)
            }))
        })
        .collect::<Result<_>>()?;
    let mut out = Vec::new();
    for (issue, notice) in changes.notices.iter().zip(made) {
        match notice {
            Some((notice, hashes)) => out.push(Rendered {
                issue: issue.clone(),
                notice,
                hashes,
            }),
            None => warnings.push(format!(
                "customer `{}` is no longer in the inventory: notice {} not issued",
                issue.window.customer, issue.id
            )),
        }
    }
    Ok(out)
}

fn render_one(
    renderer: &Renderer,
    inv: &Inventory,
    sources: &Sources,
    issue: &Issue,
    outcome: Option<(&'static str, Option<String>)>,
    issued: DateTime<Utc>,
) -> Result<Option<RenderedNotice>> {
    let spec = NoticeSpec {
        id: issue.id.clone(),
        stem: issue.stem.clone(),
        kind: issue.kind,
        window: &issue.window,
        uid: issue.uid.clone(),
        sequence: issue.sequence,
        previous: issue.previous,
        reminder: issue.reminder.clone(),
        outcome,
    };
    notice::render_notice(renderer, inv, sources, &spec, issued)
}

/// A rendered notice's files as the ledger stores them, with their hashes.
fn files<'a>(n: &'a RenderedNotice, hashes: &Hashes) -> NoticeFiles<'a> {
    NoticeFiles {
        files: (n.files.iter().zip(&hashes.files))
            .map(|((path, content), sha256)| StoredFile {
                path,
                sha256: sha256.clone(),
                content,
            })
            .collect(),
        sha256: hashes.all.clone(),
    }
}

/// What [`record_run`] is told of a run beyond its plan.
pub struct RunFacts<'a> {
    /// Where the run writes its files.
    pub out: &'a std::path::Path,
    /// The inventory's [`hash::tree`], made by the caller (while the run planned); `None`
    /// when it could not be read.
    pub inventory_hash: Option<&'a str>,
}

/// Records the run: its inputs' hashes, the first sightings that `history` (read in this
/// transaction) lacks, and its windows. `plan` must have been made with that same `history`:
/// its [`Plan::unseen`] says whether there are any sightings to record. Needs no notice: a run
/// records this while its notices render, then records them with [`record_notices`]. The run's row counts the notices
/// `changes` issues; `record_notices` corrects it when some were not (a customer who left).
pub fn record_run(
    ledger: &Ledger,
    inv: &Inventory,
    plan: &Plan,
    history: &History,
    changes: &Changes,
    facts: RunFacts,
) -> Result<i64> {
    let RunFacts {
        out,
        inventory_hash,
    } = facts;
    let mut clock = crate::timing::Clock::start();
    let feeds = hash::feeds(&plan.feeds, &inv.feeds, &inv.root);
    // Not read here when the caller has not: plan.json may be being written beside this, and
    // perhaps inside the inventory. An unreadable inventory records an empty hash, as before.
    let inventory_sha256 = inventory_hash.unwrap_or_default().to_string();
    let run = RunRow {
        recorded_at: Utc::now(),
        now: plan.now,
        inventory_sha256,
        feeds: serde_json::to_string(&feeds).expect("hashes serialise"),
        findings: plan.findings.len() as i64,
        windows: plan.windows.len() as i64,
        notices: changes.notices.len() as i64,
        out: std::path::absolute(out)
            .ok()
            .map(|p| p.display().to_string()),
    };
    // The windows' snapshots need no ledger: made on the pool while this thread inserts the
    // run and its sightings.
    std::thread::scope(|scope| {
        let snapshots = scope.spawn(|| super::store::snapshots(&changes.windows));
        let id = ledger.insert_run(&run)?;
        clock.lap("  run, inventory hash");
        // A plan whose findings were all seen before (a re-plan where nothing new was found)
        // has none to record: building them is a pass over a fleet's millions of findings.
        if plan.unseen {
            let seen = sightings(plan);
            ledger.record_sightings(id, plan.now, &history.first_seen, &seen)?;
        }
        clock.lap("  sightings");
        let snapshots = join(snapshots);
        clock.lap("  (waited for) snapshots");
        ledger.write_windows(Some(id), plan.now, &changes.windows, &snapshots)?;
        clock.lap("  windows");
        Ok(id)
    })
}

/// Records the notices `rendered` (of `changes`) as issued by run `run` at `now`, with their
/// files' contents.
pub fn record_notices(
    ledger: &Ledger,
    run: i64,
    now: DateTime<Utc>,
    changes: &Changes,
    rendered: &[Rendered],
) -> Result<()> {
    let mut clock = crate::timing::Clock::start();
    if rendered.len() != changes.notices.len() {
        ledger.set_run_notices(run, rendered.len() as i64)?;
    }
    let stored: Vec<NoticeFiles> = (rendered.iter())
        .map(|r| match &r.hashes {
            Some(hashes) => files(&r.notice, hashes),
            None => files(&r.notice, &Hashes::of(&r.notice)),
        })
        .collect();
    clock.lap("  notice contents");
    for (r, files) in rendered.iter().zip(&stored) {
        let customer = &r.notice.record.customer;
        ledger.insert_notice(Some(run), now, &r.issue, customer, files)?;
    }
    clock.lap("  notices");
    Ok(())
}

/// What scoped thread `t` returned; its panic goes on.
fn join<T>(t: std::thread::ScopedJoinHandle<'_, T>) -> T {
    t.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// The plan's sightings by environment (in order of environment index, each in plan order),
/// each vulnerability named once: one pass over the findings in memory order, each looked up
/// by its vulnerability's address (a fleet's findings are millions, its vulnerabilities tens
/// of thousands, and a plan's findings of one vulnerability often come together).
fn sightings(plan: &Plan) -> super::sightings::Seen<'_> {
    let mut vulns = Vec::new();
    let mut named: HashMap<(&str, &str), u32> = HashMap::new();
    let mut index: rustc_hash::FxHashMap<usize, u32> = Default::default();
    let mut envs: Vec<(&str, Vec<u32>)> = Vec::new();
    let mut last = (0, 0);
    for f in &plan.findings {
        let v = &*f.matched.vuln;
        let at = v as *const crate::matching::Vuln as usize;
        if at != last.0 {
            let i = *index.entry(at).or_insert_with(|| {
                let name = (&*v.package, &*v.advisory);
                let next = vulns.len() as u32;
                let i = *named.entry(name).or_insert(next);
                if i == next {
                    vulns.push(name);
                }
                i
            });
            last = (at, i);
        }
        let t = f.target as usize;
        if envs.len() <= t {
            envs.resize_with(t + 1, || ("", Vec::new()));
        }
        let env = &mut envs[t];
        if env.1.is_empty() {
            env.0 = f.environment();
        }
        env.1.push(last.1);
    }
    envs.retain(|(_, seen)| !seen.is_empty());
    super::sightings::Seen { vulns, envs }
}

/// Records the outcome of window `id` (its key or occurrence id) at `at` and renders its
/// `completed` notice; the caller commits, then writes the notice's files.
pub fn complete(
    ledger: &Ledger,
    inv: &Inventory,
    id: &str,
    failed: bool,
    note: Option<String>,
    at: DateTime<Utc>,
) -> Result<(LedgerWindow, Option<RenderedNotice>)> {
    let w = ledger.window(id)?;
    if w.state.is_final() {
        return Err(LedgerError::Closed {
            window: w.key.clone(),
            state: w.state.as_str().into(),
        }
        .into());
    }
    if at < w.window.start {
        return Err(LedgerError::NotStarted {
            window: w.key.clone(),
            start: w.window.start,
            now: at,
        }
        .into());
    }
    let (state, status) = match failed {
        true => (WindowState::Failed, "failed"),
        false => (WindowState::Completed, "completed"),
    };
    let (nid, stem) = diff::names(&w.key, NoticeKind::Completed, w.sequence, None);
    let issue = Issue {
        id: nid,
        stem,
        key: w.key.clone(),
        kind: NoticeKind::Completed,
        uid: w.uid.clone(),
        sequence: w.sequence,
        window: w.window.clone(),
        previous: None,
        reminder: None,
    };
    let renderer = Renderer::new(Some(&inv.root.join("templates")))?;
    let names = finding_names(&w.window);
    let advisories = HashMap::new();
    let sources = Sources::new(&inv.organisation, notice::names(inv), &names, &advisories);
    let outcome = Some((status, note.clone()));
    let notice = render_one(&renderer, inv, &sources, &issue, outcome, at)?;
    ledger.set_outcome(&w.key, at, state, note.as_deref())?;
    if let Some(n) = &notice {
        let files = files(n, &Hashes::of(n));
        ledger.insert_notice(None, at, &issue, &n.record.customer, &files)?;
    }
    Ok((w, notice))
}

/// Undoes the recorded outcome of window `id` at `at` (a mistaken `complete`): the window is in
/// progress again and holds its upgrades until its outcome is recorded anew. Nothing is deleted:
/// the undone outcome and `note` stay in the window's events. Returns the window as it was.
pub fn reopen(
    ledger: &Ledger,
    id: &str,
    note: Option<&str>,
    at: DateTime<Utc>,
) -> Result<LedgerWindow> {
    let w = ledger.window(id)?;
    if !matches!(w.state, WindowState::Completed | WindowState::Failed) {
        return Err(LedgerError::NotClosed {
            window: w.key.clone(),
            state: w.state.as_str().into(),
        }
        .into());
    }
    let why = format!(
        "reopened: the recorded outcome `{}` was undone{}",
        w.state.as_str(),
        note.map(|n| format!(": {n}")).unwrap_or_default()
    );
    ledger.reopen(&w.key, at, &why)?;
    Ok(w)
}

/// Each finding of a window's tasks with its advisory (read from its id): what the notice lists
/// under `detailed` disclosure when there is no plan to read them from.
fn finding_names(w: &Window) -> Vec<FindingInput> {
    w.tasks
        .iter()
        .flat_map(|t| t.findings.entries())
        .map(|(id, advisory)| FindingInput {
            advisory: advisory.to_string(),
            id: id.into_owned(),
            ..FindingInput::default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A notice's hashes, against Python's hashlib:
    /// `sha256(b"acme/w.scheduled.txt\0Hello\n\0acme/w.scheduled.ics\0BEGIN:VCALENDAR\r\n\0")`
    /// for the notice, `sha256(content)` for each file.
    #[test]
    fn a_notices_hashes_are_its_files_and_all_of_them_in_order() {
        let files = [
            ("acme/w.scheduled.txt", "Hello\n"),
            ("acme/w.scheduled.ics", "BEGIN:VCALENDAR\r\n"),
        ]
        .map(|(p, c)| (p.to_string(), c.to_string()));
        let h = Hashes::of_files(&files);
        assert_eq!(
            h.all,
            "47184ca7f25e272eeddd30382acb0c9fa7fd2e75b5b914f3e8251936c9c11ad3"
        );
        assert_eq!(
            h.files,
            [
                "66a045b452102c59d840ec097d59d9467e13a3f34f6494e539ffd32c1bb35f18",
                "c893e8468b5659e16751b738b17a5a1a0e13b2e19ef6e14850ee5879b26611a2",
            ]
        );
    }
}
