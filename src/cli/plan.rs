//! `patchplan plan`: match, rank, schedule, render; writes DIR/plan.json, DIR/notices/ and
//! DIR/report/.
//! The run is one ledger transaction: what the ledger remembers shapes the plan, only the
//! notices that changed are issued, and their files and the report are written after the ledger
//! commits.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Cli, Format, Outcome, print, table, warn};
use crate::error::Result;
use crate::feeds::Feeds;
use crate::inventory::Inventory;
use crate::ledger::diff::LedgerWindow;
use crate::ledger::{Ledger, issue};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::plan::{Plan, PlanFinding, Status};
use crate::risk::Decision;
use crate::schedule::{Unscheduled, WindowKind};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Where to write plan.json and notices/.
    #[arg(long, default_value = "out", value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    fresh: super::feeds::FreshArgs,
    /// Show the notices this run would issue; record and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Then deliver every notice due now (as `patchplan send`; with --dry-run, list them).
    #[arg(long)]
    send: bool,
    /// Exit 1 when an open finding at or above this decision (track, track*, attend, act) has
    /// no window, misses its deadline or has no fix; exit 2 when components went unchecked.
    #[arg(long, value_name = "DECISION", value_parser = super::scan::parse_decision)]
    fail_on: Option<Decision>,
}

pub fn run(cli: &Cli, args: &PlanArgs) -> Result<Outcome> {
    let mut clock = crate::timing::Clock::start();
    let path = args.out.join("plan.json");
    // What earlier runs left beside plan.json (the large plan the last one replaced, the
    // temporary files of killed runs) is deleted while this one plans: freeing a fleet's
    // gigabytes takes a fraction of a second of disk time.
    let cleared = (!args.dry_run).then(|| {
        let path = path.clone();
        std::thread::spawn(move || crate::replace::clear(&path))
    });
    // An existing ledger's windows and sightings are read while the inventory and feeds load:
    // they need neither, and a fleet's take seconds.
    let (loaded, early) = std::thread::scope(|scope| {
        let early = scope.spawn(|| read_early(cli, args.dry_run));
        let loaded = load(cli, args, &mut clock);
        let early = early
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (loaded, early)
    });
    let Loaded {
        inv,
        hashing,
        refreshed,
        targets,
        feeds,
    } = loaded?;
    // The ledger is opened (made, migrated, locked for the run) only once the inventory has
    // loaded; what was read early is used if nothing was recorded since.
    let (ledger, open, first_seen) = read_ledger(cli, args.dry_run, early)?;
    let history = issue::history_with(first_seen, &open, cli.now(), inv.policy.outcome_grace);
    clock.lap("ledger history");
    let mut plan = crate::plan::build_with(&inv, targets, &feeds, cli.now(), &history);
    plan.warnings.splice(0..0, refreshed);
    clock.lap("match, rank, schedule");
    // plan.json is written on its own thread while the run issues and records its notices and
    // writes its report: it is most of a fleet's output, and none of that needs it. Its
    // warnings and notices, written last, are sent to it; it is put in place once the ledger
    // has committed, beside the notice files and the report (see [`write_plan`]).
    let (tail, tail_rx) = std::sync::mpsc::channel();
    let (committed, committed_rx) = std::sync::mpsc::channel();
    let running = std::sync::atomic::AtomicBool::new(true);
    let (issued, written) = std::thread::scope(|scope| {
        let plan = &plan;
        let writer = (!args.dry_run).then(|| {
            let (path, inv, feeds, running) = (&path, &inv, &feeds, &running);
            let to = Handover {
                tail: tail_rx,
                committed: committed_rx,
                cleared,
            };
            // A ledger's first plan is the other way round: recording its every sighting and
            // notice is the longer chain, and plan.json (its threads start from this one) yields.
            let first = history.first_seen.is_empty();
            scope.spawn(move || {
                if first {
                    crate::priority::lower_this_thread();
                }
                write_plan(path, plan, inv, feeds, running, to)
            })
        });
        // The rest of a re-plan yields to plan.json (see `crate::priority`).
        if writer.is_some() && !history.first_seen.is_empty() {
            crate::priority::yield_rest();
        }
        let run = Run {
            cli,
            args,
            ledger: &ledger,
            inv: &inv,
            plan,
            history: &history,
            inventory_hash: hashing
                .and_then(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
        };
        // (`committed` is dropped on the way: a writer told nothing removes its file.)
        let issued = run.issue_and_record(open, tail, committed, &mut clock);
        if issued.is_err() {
            // The writer need not finish a plan that will not be put in place.
            running.store(false, std::sync::atomic::Ordering::Relaxed);
        }
        let written = writer.map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (issued, written)
    });
    let (warnings, notices) = match (issued, written) {
        (Ok(issued), None | Some(Ok(()))) => issued,
        (Err(e), _) | (Ok(_), Some(Err(e))) => return Err(e),
    };
    clock.lap("plan.json in place (after the report)");
    plan.warnings = warnings;
    plan.notices = notices;
    let written = (!args.dry_run).then_some(path.as_path());
    present(cli, &plan, &inv, &feeds, written)?;
    drop(ledger);
    clock.lap("close the ledger");
    let outcome = then_send(cli, args, &inv, &plan);
    // A fleet's plan is millions of small allocations: the process is about to end, so they
    // are left to it rather than freed one by one (a dry run's too).
    std::mem::forget(history);
    std::mem::forget((plan, feeds, inv));
    outcome
}

/// `--send`: deliver what is due at the plan's `now`; exit 1 when a delivery failed (a
/// `--fail-on` outcome comes first).
fn then_send(
    cli: &Cli,
    args: &PlanArgs,
    inv: &crate::inventory::Inventory,
    plan: &Plan,
) -> Result<Outcome> {
    let planned = outcome(plan, args.fail_on);
    if !args.send {
        return Ok(planned);
    }
    if cli.format == Format::Table && !cli.quiet {
        print("\n")?;
    }
    let sent = super::send::deliver(cli, inv, plan.now, args.dry_run)?;
    Ok(match planned {
        Outcome::Done => sent,
        other => other,
    })
}

/// `--fail-on`: 2 when components went unchecked, 1 when an open finding at or above the
/// decision is not fixed in time.
fn outcome(plan: &Plan, fail_on: Option<Decision>) -> Outcome {
    let Some(threshold) = fail_on else {
        return Outcome::Done;
    };
    if let Some(why) = super::scan::uncovered(&plan.coverage) {
        return Outcome::Unchecked(why);
    }
    let failed = plan
        .findings
        .iter()
        .any(|f| f.at_risk() && plan.risk(f).decision >= threshold);
    if failed {
        Outcome::FindingsAtThreshold
    } else {
        Outcome::Done
    }
}

/// What a run loads: the inventory, its hash being made, the feeds it was refreshed from (their
/// warnings), its targets and its feeds.
struct Loaded {
    inv: Inventory,
    hashing: Hashing,
    refreshed: Vec<String>,
    targets: Vec<crate::matching::Target>,
    feeds: Feeds,
}

fn load(cli: &Cli, args: &PlanArgs, clock: &mut crate::timing::Clock) -> Result<Loaded> {
    let (inv, files) = crate::inventory::load_keeping(&cli.inventory)?;
    clock.lap("inventory");
    let hashing = hash_inventory(cli, args, files);
    let refreshed = super::feeds::refresh(cli, &inv, &args.fresh);
    let targets = crate::plan::targets(&inv);
    clock.lap("targets");
    let cache = super::feeds::cache(cli);
    let feeds = crate::plan::load_feeds(&inv, Some(&targets), &cache, cli.now())?;
    super::feeds::require_fresh(&feeds, &args.fresh)?;
    clock.lap("feeds");
    Ok(Loaded {
        inv,
        hashing,
        refreshed,
        targets,
        feeds,
    })
}

/// The inventory's hash (see [`crate::ledger::hash::tree`]), which a run records, being made.
type Hashing = Option<std::thread::JoinHandle<Option<String>>>;

/// Starts hashing the inventory for the run's record (not a dry run's): every file under it but
/// plan output written inside it, the files it loaded as they were read (not read again: a
/// fleet's are tens of thousands). On a thread of its own while the run plans.
fn hash_inventory(cli: &Cli, args: &PlanArgs, files: crate::inventory::Files) -> Hashing {
    if args.dry_run {
        return None;
    }
    let (root, out) = (cli.inventory.clone(), args.out.clone());
    // In the background: the run needs it only for its record.
    let hashing = move || {
        let skip = Vec::from_iter(crate::ledger::hash::inside(&root, &out));
        let known = files.as_read();
        crate::priority::in_background(|| crate::ledger::hash::tree_of(&root, &skip, &known))
    };
    let spawned = std::thread::Builder::new().name("inventory hash".into());
    spawned.spawn(hashing).ok()
}

/// What the run reads of its ledger: its open windows and first sightings, and the
/// [`Ledger::fingerprint`] they were read at.
type LedgerRead = (
    Vec<LedgerWindow>,
    crate::plan::Sightings,
    (Option<i64>, Option<i64>, i64),
);

/// An existing ledger's [`LedgerRead`], read in one read transaction while the inventory loads,
/// with the connection it was read on: nothing is locked, migrated or created. A dry run's
/// connection is read-only; a run's is read-write when the ledger needs nothing before the run
/// can use it ([`Ledger::open_current`]), which then spares the run verifying it again. `None`
/// when there is no ledger yet or it cannot be read so (the run's own opening then says why).
fn read_early(cli: &Cli, dry_run: bool) -> Option<(Ledger, LedgerRead)> {
    let path = cli.ledger_path();
    let mut clock = crate::timing::Clock::start();
    crate::files::prefetch(&path);
    clock.lap("  (ledger) file read ahead");
    let ledger = match dry_run {
        true => Ledger::open_existing(&path),
        false => Ledger::open_current(&path),
    };
    let ledger = ledger.ok()??;
    ledger.begin_read().ok()?;
    let read = crate::ledger::schema::mapped(ledger.conn(), |_| Ok(read_from(&ledger, cli.now())));
    Some((ledger, read.ok()?.ok()?))
}

/// The ledger's fingerprint, open windows (for a run at `now`: see
/// [`Ledger::open_windows_for_run`]) and first sightings.
fn read_from(ledger: &Ledger, now: chrono::DateTime<chrono::Utc>) -> Result<LedgerRead> {
    let mut clock = crate::timing::Clock::start();
    let fingerprint = ledger.fingerprint()?;
    let open = ledger.open_windows_for_run(now)?;
    clock.lap("  (ledger) open windows");
    let first_seen = ledger.sightings()?;
    clock.lap("  (ledger) first sightings");
    Ok((open, first_seen, fingerprint))
}

/// The run's ledger (see [`open`]) and what it holds: read early if nothing was recorded since,
/// read again in the run's transaction otherwise. A `--now` before the ledger's latest run is an
/// error.
fn read_ledger(
    cli: &Cli,
    dry_run: bool,
    early: Option<(Ledger, LedgerRead)>,
) -> Result<(Ledger, Vec<LedgerWindow>, crate::plan::Sightings)> {
    // The early connection is the run's: a dry run's stays in the read transaction its reads
    // were made in; a run's ends it and takes the write transaction.
    let (ledger, early) = match early {
        Some((ledger, read)) if dry_run => (ledger, Some(read)),
        Some((ledger, read)) => {
            ledger.commit()?; // the read transaction
            ledger.begin()?;
            (ledger, Some(read))
        }
        _ => (open(cli, dry_run)?, None),
    };
    ledger.refuse_backwards(cli.now())?;
    let fingerprint = ledger.fingerprint()?;
    let (open, first_seen, _) = match early {
        Some(read) if read.2 == fingerprint => read,
        _ => read_from(&ledger, cli.now())?,
    };
    Ok((ledger, open, first_seen))
}

/// The ledger, in its run's write transaction; for a dry run, read-only (or empty in memory).
fn open(cli: &Cli, dry_run: bool) -> Result<Ledger> {
    let path = cli.ledger_path();
    if dry_run {
        return Ok(match Ledger::open_existing(&path)? {
            Some(l) => l,
            None => Ledger::in_memory()?,
        });
    }
    let ledger = Ledger::open(&path)?;
    ledger.begin()?;
    Ok(ledger)
}

/// What a run issues and records its notices with.
struct Run<'a> {
    cli: &'a Cli,
    args: &'a PlanArgs,
    ledger: &'a Ledger,
    inv: &'a Inventory,
    plan: &'a Plan,
    history: &'a crate::plan::History,
    /// The inventory's [`crate::ledger::hash::tree`], made while the run planned.
    inventory_hash: Option<String>,
}

/// The run's warnings (the plan's, then the ledger's and the notices') and the notices it issues.
type Issued = (Vec<String>, Vec<crate::plan::NoticeRecord>);

impl Run<'_> {
    /// Compares the plan with the ledger's `open` windows, renders the notices that issues and
    /// prints the run's warnings; sends them and the notices to `tail` (plan.json's writer);
    /// then, unless this is a dry run, records the run (see [`Run::record_and_report`]).
    fn issue_and_record(
        &self,
        mut open: Vec<LedgerWindow>,
        tail: std::sync::mpsc::Sender<Issued>,
        committed: std::sync::mpsc::Sender<()>,
        clock: &mut crate::timing::Clock,
    ) -> Result<Issued> {
        let (inv, plan) = (self.inv, self.plan);
        let changes = issue::changes(self.ledger, &mut open, inv, plan)?;
        drop(open);
        clock.lap("ledger diff");
        let mut warnings = plan.warnings.clone();
        warnings.extend(changes.notes.iter().cloned());
        // A dry run that issues nothing renders nothing: a fleet's notice input takes a
        // fraction of a second to make.
        let input = match self.args.dry_run && changes.notices.is_empty() {
            true => crate::notice::input::PlanInput {
                now: plan.now,
                findings: Vec::new(),
                windows: Vec::new(),
                advisories: Default::default(),
            },
            false => crate::notice::input::PlanInput::without_windows(plan, inv),
        };
        clock.lap("  notice input");
        let sources = crate::notice::sources(inv, &input);
        clock.lap("  notice sources");
        let (rendered, run) = self.render_and_record_run(&changes, &sources, &mut warnings, clock);
        // Printed even when rendering or the record failed: they may say why.
        warn(self.cli, &warnings);
        let rendered = rendered?;
        let run = run.transpose()?;
        let notices: Vec<_> = rendered.iter().map(|r| r.notice.record.clone()).collect();
        clock.lap("render notices");
        // A dry run has no writer to send to.
        let _ = tail.send((warnings.clone(), notices.clone()));
        if let Some(run) = run {
            let report =
                self.record_and_report(run, &changes, &rendered, &sources, committed, clock)?;
            // A fleet's are millions of small allocations, left to the process's end.
            std::mem::forget(report);
        }
        std::mem::forget(sources);
        std::mem::forget((input, rendered, changes));
        Ok((warnings, notices))
    }

    /// Renders the notices of `changes` (their warnings join `warnings`) and, unless this is a
    /// dry run, records the run, its sightings and its windows (the run's row id). The two go
    /// side by side: the one is the pool's work, the other this thread's with the ledger, and
    /// neither needs the other.
    fn render_and_record_run(
        &self,
        changes: &crate::ledger::diff::Changes,
        sources: &crate::notice::view::Sources,
        warnings: &mut Vec<String>,
        clock: &mut crate::timing::Clock,
    ) -> (Result<Vec<issue::Rendered>>, Option<Result<i64>>) {
        let (inv, plan) = (self.inv, self.plan);
        let recorded = !self.args.dry_run;
        let render = |warnings: &mut Vec<String>| {
            issue::render(inv, sources, changes, plan.now, recorded, warnings)
        };
        if self.args.dry_run {
            return (render(warnings), None);
        }
        std::thread::scope(|scope| {
            let rendering = scope.spawn(|| {
                let mut warned = Vec::new();
                (render(&mut warned), warned)
            });
            let facts = issue::RunFacts {
                out: &self.args.out,
                inventory_hash: self.inventory_hash.as_deref(),
            };
            let run = issue::record_run(self.ledger, inv, plan, self.history, changes, facts);
            clock.lap("ledger record: run, sightings, windows (beside the rendering)");
            let (rendered, warned) = rendering
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            warnings.extend(warned);
            (rendered, Some(run))
        })
    }

    /// The rest of run `run`'s record and the files that follow from it: the notices' rows and
    /// the commit, the notice files, then the report of what the ledger now holds (returned).
    fn record_and_report<'s>(
        &'s self,
        run: i64,
        changes: &crate::ledger::diff::Changes,
        rendered: &[issue::Rendered],
        sources: &'s crate::notice::view::Sources,
        committed: std::sync::mpsc::Sender<()>,
        clock: &mut crate::timing::Clock,
    ) -> Result<crate::report::Sources<'s>> {
        use rayon::prelude::*;
        let (args, ledger, inv, plan) = (self.args, self.ledger, self.inv, self.plan);
        // This run's notices are written in full before the ledger commits (a file that cannot
        // be written fails the run unrecorded), and put in place only once the ledger holds them.
        // They are staged while the run is recorded: one is the file system's work, the other
        // SQLite's, and neither reads what the other writes. A failure of either drops what the
        // staging made (its temporary files are removed) and the ledger's open transaction.
        let (recorded, staged) = std::thread::scope(|scope| {
            let staging = scope.spawn(|| {
                let mut clock = crate::timing::Clock::start();
                let staged = crate::files::on_io_pool(|| {
                    (rendered.par_iter())
                        .map(|r| crate::notice::stage_files(&args.out, &r.notice.files))
                        .collect::<Result<Vec<_>>>()
                });
                clock.lap("  notice files staged (beside the record)");
                staged
            });
            let recorded = issue::record_notices(ledger, run, plan.now, changes, rendered);
            clock.lap("ledger record: notices");
            let staged = staging
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (recorded, staged)
        });
        recorded?;
        let staged = staged?;
        clock.lap("stage notice files (after the record)");
        // The report shows what the ledger now holds (the windows as announced, every notice):
        // read in the run's transaction, it is rendered while the ledger commits and the notice
        // files are put in place, and written once they are.
        let report = crate::report::Sources {
            inv,
            plan,
            windows: ledger.all_windows_after(&changes.windows)?,
            notices: {
                let files: Vec<&[(String, String)]> =
                    rendered.iter().map(|r| &r.notice.files[..]).collect();
                ledger.published_notices_after(run, &files)?
            },
            notice: sources,
        };
        clock.lap("report sources");
        let (published, pages) = std::thread::scope(|scope| {
            let pages = scope.spawn(|| {
                let mut clock = crate::timing::Clock::start();
                let pages = crate::report::render(&report);
                clock.lap("  report rendered (beside the commit)");
                pages
            });
            let published = (|| -> Result<()> {
                ledger.commit_checkpoint_beside()?;
                // plan.json may now replace the last one.
                let _ = committed.send(());
                clock.lap("ledger commit");
                crate::files::on_io_pool(|| staged.into_par_iter().try_for_each(|s| s.publish()))?;
                // Then any recorded notice file that is missing.
                // (This run's own were staged, or found up to date, just before.)
                let own: std::collections::HashSet<&str> = (rendered.iter())
                    .flat_map(|r| r.notice.files.iter().map(|(path, _)| path.as_str()))
                    .collect();
                crate::notice::write_files(&args.out, &ledger.missing_files(&args.out, &own)?)?;
                clock.lap("publish notice files");
                Ok(())
            })();
            let pages = pages
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (published, pages)
        });
        published?;
        crate::notice::write_files(&args.out, &pages?)?;
        clock.lap("report");
        Ok(report)
    }
}

/// What the run hands plan.json's writer: its warnings and notices (written last), then word
/// that the ledger has committed (the plan may then replace the last one). A sender dropped
/// unsent means the run failed.
struct Handover {
    tail: std::sync::mpsc::Receiver<Issued>,
    committed: std::sync::mpsc::Receiver<()>,
    /// The deletion of what earlier runs left (see [`crate::replace::clear`]), to end before
    /// this plan replaces the last one.
    cleared: Option<std::thread::JoinHandle<()>>,
}

/// Streams plan.json (see [`crate::plan::json`]) to a temporary file beside `path` (stopping
/// early when `running` turns false: the run failed), on disk, and renames it to `path` once the
/// run is recorded: a reader never sees half a plan, a crash never leaves an empty one, and a
/// failed run leaves the last plan in place. (Synced here, beside the rest of the run, the rename
/// no longer has the file system write out a fleet's 1.6 GB of it: ext4 does that when a file
/// replaces another.) A fleet's replaced plan is kept until the next run deletes it (see
/// [`crate::replace`]): freeing its blocks is a fraction of a second on a disk that discards them.
/// On this thread, the notice files and the report are put in place meanwhile.
fn write_plan(
    path: &Path,
    plan: &Plan,
    inv: &Inventory,
    feeds: &Feeds,
    running: &std::sync::atomic::AtomicBool,
    to: Handover,
) -> Result<()> {
    let tmp = crate::replace::temporary(path);
    let io = |e| crate::error::Error::io(path, e);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut clock = crate::timing::Clock::start();
    let tail = || to.tail.recv().ok();
    let json = |start: Option<&mut crate::direct::Output>, out: &mut crate::direct::Output| {
        crate::plan::json::write_then(plan, inv, feeds, start, out, running, tail)
    };
    // Past the page cache where the file system allows: it is synced below anyway. In two parts
    // written at once where it can (see [`crate::direct::Parted`]).
    let written = (crate::direct::Parted::create(&tmp))
        .and_then(|parted| match parted {
            Some(mut parted) => {
                json(Some(&mut parted.start), &mut parted.rest).and_then(|()| parted.finish(b' '))
            }
            None => crate::direct::Output::create(&tmp)
                .and_then(|mut out| json(None, &mut out).and_then(|()| out.finish())),
        })
        .and_then(|file| {
            clock.lap("  plan.json written (beside the rest)");
            file.sync_data()
        });
    clock.lap("  plan.json synced (beside the rest)");
    let placed = written.and_then(|()| match to.committed.recv() {
        Ok(()) => {
            if let Some(cleared) = to.cleared {
                let _ = cleared.join();
            }
            crate::replace::replace(&tmp, path)
        }
        Err(_) => Err(std::io::Error::other("the run was not recorded")),
    });
    clock.lap("  plan.json replaced (beside the rest)");
    placed.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// Prints the plan: JSON (the file written, or for a dry run the same document), or the summary
/// table (a dry run lists the notices it would issue).
fn present(
    cli: &Cli,
    plan: &Plan,
    inv: &Inventory,
    feeds: &Feeds,
    path: Option<&Path>,
) -> Result<()> {
    match cli.format {
        Format::Json => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            let written = match path {
                Some(p) => std::fs::File::open(p)
                    .and_then(|mut f| std::io::copy(&mut f, &mut out).map(|_| ())),
                None => crate::plan::json::write(plan, inv, feeds, &mut out),
            };
            written
                .and_then(|()| std::io::Write::flush(&mut out))
                .map_err(|e| crate::error::Error::io("<stdout>", e))?;
        }
        Format::Table if cli.quiet => {}
        Format::Table => {
            let mut text = summary(plan, path);
            if path.is_none() {
                text.push_str(&would_issue(plan));
            }
            print(&super::color::paint_table(&text))?;
        }
    }
    Ok(())
}

fn would_issue(plan: &Plan) -> String {
    let rows: Vec<Vec<String>> = plan
        .notices
        .iter()
        .map(|n| {
            vec![
                n.kind.as_str().to_string(),
                n.customer.clone(),
                n.window.clone(),
                n.sequence.to_string(),
                n.uid.clone(),
            ]
        })
        .collect();
    format!(
        "\ndry run: nothing recorded or written; these notices would be issued:\n{}",
        table::render(&["KIND", "CUSTOMER", "WINDOW", "SEQ", "UID"], &rows)
    )
}

fn summary(plan: &Plan, path: Option<&Path>) -> String {
    let status = |s: Status| plan.findings.iter().filter(|f| f.status == s).count();
    let count = |d: Decision| {
        plan.findings
            .iter()
            .filter(|f| f.status == Status::Open && plan.risk(f).decision == d)
            .count()
    };
    let mut out = format!(
        "{} findings: {} act, {} attend, {} track*, {} track; {} excepted, {} not affected or fixed (VEX), {} informational\n\n",
        plan.findings.len(),
        count(Decision::Act),
        count(Decision::Attend),
        count(Decision::TrackStar),
        count(Decision::Track),
        status(Status::Excepted),
        status(Status::NotAffected) + status(Status::Fixed),
        status(Status::Informational),
    );
    out.push_str(&windows_table(plan));
    out.push_str(&misses(plan));
    out.push_str(&unscheduled(plan));
    let unscheduled = plan
        .findings
        .iter()
        .filter(|f| f.status == Status::Open && !f.in_window)
        .count();
    let misses = plan
        .windows
        .iter()
        .flat_map(|w| w.tasks.iter())
        .filter(|t| t.deadline_missed)
        .count();
    out.push_str(&format!(
        "\n{} windows, {} notices, {} unscheduled findings, {} deadline misses; {}\n",
        plan.windows.len(),
        plan.notices.len(),
        unscheduled,
        misses,
        path.map_or("dry run".into(), |p| format!("written to {}", p.display()))
    ));
    out
}

/// One row per window: when (UTC and the customer's local time), what, and how urgent (the
/// most urgent decision of its tasks and their earliest deadline).
fn windows_table(plan: &Plan) -> String {
    let rows: Vec<Vec<String>> = plan
        .windows
        .iter()
        .map(|w| {
            let kind = if w.kind == WindowKind::Emergency {
                "EMERGENCY"
            } else {
                "planned"
            };
            let decision = w.tasks.iter().map(|t| t.decision).max();
            let deadline = w.tasks.iter().filter_map(|t| t.deadline).min();
            vec![
                utc(w.start),
                local(w.start, &w.timezone),
                kind.into(),
                w.customer.clone(),
                w.environments.join(","),
                w.tasks.len().to_string(),
                decision.map_or("-".into(), |d| d.as_str().to_string()),
                deadline.map_or("-".into(), utc),
                w.id.clone(),
            ]
        })
        .collect();
    table::render(
        &[
            "START (UTC)",
            "LOCAL START",
            "KIND",
            "CUSTOMER",
            "ENVIRONMENTS",
            "TASKS",
            "DECISION",
            "DEADLINE (UTC)",
            "WINDOW",
        ],
        &rows,
    )
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%MZ").to_string()
}

/// `t` in the zone `tz` with its abbreviation (or offset, where the zone has no abbreviation).
fn local(t: DateTime<Utc>, tz: &str) -> String {
    match tz.parse::<chrono_tz::Tz>() {
        Ok(zone) => t
            .with_timezone(&zone)
            .format("%a %d %b %H:%M %Z")
            .to_string(),
        Err(_) => utc(t),
    }
}

/// The tasks placed after their deadline, each with its window.
fn misses(plan: &Plan) -> String {
    let rows: Vec<Vec<String>> = plan
        .windows
        .iter()
        .flat_map(|w| w.tasks.iter().map(move |t| (w, t)))
        .filter(|(_, t)| t.deadline_missed)
        .map(|(w, t)| {
            vec![
                t.environment.clone(),
                format!("{} {} -> {}", t.package, t.from, t.to),
                t.decision.as_str().to_string(),
                t.deadline.map_or("-".into(), utc),
                utc(t.start),
                w.id.clone(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let header = [
        "ENVIRONMENT",
        "UPGRADE",
        "DECISION",
        "DEADLINE (UTC)",
        "STARTS (UTC)",
        "WINDOW",
    ];
    format!(
        "\nDeadline misses ({}):\n{}",
        rows.len(),
        table::render(&header, &rows)
    )
}

/// Open findings without a window: counted by reason and decision, and the act and attend
/// ones named (the first ten, then how many more).
fn unscheduled(plan: &Plan) -> String {
    const NAMED: usize = 10;
    let open: Vec<&PlanFinding> = plan
        .findings
        .iter()
        .filter(|f| f.status == Status::Open && !f.in_window)
        .collect();
    if open.is_empty() {
        return String::new();
    }
    let mut counts: BTreeMap<Unscheduled, BTreeMap<std::cmp::Reverse<Decision>, usize>> =
        BTreeMap::new();
    for f in &open {
        let reason = f.unscheduled_reason.unwrap_or(Unscheduled::NoUsableWindow);
        *counts
            .entry(reason)
            .or_default()
            .entry(std::cmp::Reverse(plan.risk(f).decision))
            .or_default() += 1;
    }
    let mut out = format!("\nUnscheduled ({}):\n", open.len());
    for (reason, by) in &counts {
        let parts: Vec<String> = by
            .iter()
            .map(|(d, n)| format!("{n} {}", d.0.as_str()))
            .collect();
        out.push_str(&format!("  {}: {}\n", reason.as_str(), parts.join(", ")));
    }
    let urgent: Vec<&&PlanFinding> = open
        .iter()
        .filter(|f| plan.risk(f).decision >= Decision::Attend)
        .collect();
    for f in urgent.iter().take(NAMED) {
        let reason = f.unscheduled_reason.unwrap_or(Unscheduled::NoUsableWindow);
        out.push_str(&format!(
            "  {} {} ({})\n",
            plan.risk(f).decision.as_str(),
            f.id(),
            reason.as_str()
        ));
    }
    if urgent.len() > NAMED {
        out.push_str(&format!(
            "  and {} more act or attend findings\n",
            urgent.len() - NAMED
        ));
    }
    out
}
