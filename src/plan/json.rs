//! `plan.json`, `patchplan.plan/v2`: what findings share is written once, and findings are rows
//! that refer to it (DESIGN.md, "CLI"):
//!
//! - `advisories`: by advisory id, its `aliases`, `summary`, `informational` (null or the kind)
//!   and the feed `records` merged into it;
//! - `assessments`: by the findings' `assessment` number, the ranking (`decision`, `deadline`,
//!   `timeline`, `score`, `cvss`, `epss`, `kev`, `points`, `reasons`);
//! - `environments`: by id, its `name`, `customer`, `exposure` and `criticality`;
//! - `placements`: by the findings' `placement` number, why their task went where it did, or
//!   nowhere, or why their component's upgrade leaves them open (an array of reasons; the
//!   findings of one upgrade share one, as do the findings left open for the same reason);
//! - `windows` as in v1;
//! - `findings`: one object per line, in plan order (most urgent first);
//! - `notices`, `coverage`, `feeds`, `warnings` as in v1 (`notices` and `warnings` last: a run
//!   issues its notices while its plan is written).
//!
//! A fleet's plan has millions of findings: the document is streamed to its writer, each row
//! formatted into the writer's own buffer, so memory stays flat however large the file.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{Plan, PlanFinding};
use crate::feeds::Feeds;
use crate::inventory::Inventory;
use crate::json_bytes::{boolean, key, key_opt, key_str, number, plain, string};
use crate::matching::Vuln;
use crate::pools::on;

/// The schema `plan` writes.
pub const SCHEMA: &str = "patchplan.plan/v2";

/// Rows written between two looks at whether the run still wants its plan.
const CHECK: usize = 8192;

/// Where plan.json is written: a writer that rows can also be formatted into in place.
pub trait Sink: Write {
    /// Appends what `f` writes (a row) to what is written.
    fn append(&mut self, f: impl FnOnce(&mut Vec<u8>)) -> io::Result<()>;
}

/// A fleet's plan.json, written past the page cache: rows go straight into its blocks.
impl Sink for crate::direct::Output {
    fn append(&mut self, f: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        crate::direct::Output::append(self, f)
    }
}

/// The document on standard output (a dry run's `--format json`): each row is made in a buffer
/// of this thread's, then written.
impl<W: Write> Sink for io::BufWriter<W> {
    fn append(&mut self, f: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        thread_local! {
            static ROW: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        ROW.with_borrow_mut(|row| {
            row.clear();
            f(row);
            self.write_all(row)
        })
    }
}

/// Writes `plan` as `patchplan.plan/v2` to `out`.
pub fn write(plan: &Plan, inv: &Inventory, feeds: &Feeds, out: &mut impl Sink) -> io::Result<()> {
    let tail = || Some((plan.warnings.clone(), plan.notices.clone()));
    let running = std::sync::atomic::AtomicBool::new(true);
    write_then(plan, inv, feeds, None::<&mut io::Sink>, out, &running, tail)
}

/// [`write`], where the run's warnings and notices (written last) come from `tail` once the
/// findings are written: a run writes its plan while it issues its notices. `None` from `tail`
/// (the run failed) stops the document unfinished, with an error; so does `running` turning
/// false, looked at every 8,192 findings (the run failed before, and need not wait for them).
///
/// The document's start (everything before the findings) is padded with spaces to a multiple
/// of [`crate::direct::ALIGN`] bytes. With a `start` to write it to, it is written there, beside
/// the rest (the findings on) going to `out`: the findings then go to the disk while the start
/// is still being made (see [`crate::direct::Parted`]). Without, both go to `out`, one after
/// the other, as the same bytes.
pub fn write_then<S: Write + Send>(
    plan: &Plan,
    inv: &Inventory,
    feeds: &Feeds,
    start: Option<&mut S>,
    out: &mut impl Sink,
    running: &std::sync::atomic::AtomicBool,
    tail: impl FnOnce() -> Option<(Vec<String>, Vec<super::NoticeRecord>)>,
) -> io::Result<()> {
    let mut clock = crate::timing::Clock::start();
    // What comes before the rows is formatted on a pool of its own: on the shared pool it waited
    // behind the work that runs beside it (rayon's threads take their own tasks before those
    // sent from other threads), and the rest of the run runs at a lower priority (see
    // `crate::priority`).
    let own_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(rayon::current_num_threads())
        .thread_name(|i| format!("plan.json {i}"))
        .build()
        .ok();
    let own = own_pool.as_ref();
    let doc = Doc {
        plan,
        inv,
        feeds,
        own,
    };
    let go = || running.load(std::sync::atomic::Ordering::Relaxed);
    match start {
        Some(start) => beside(&doc, start, out, go, tail, &mut clock),
        None => in_order(&doc, out, go, tail, &mut clock),
    }
}

/// What the document is made of, and the pool it is made on.
struct Doc<'a> {
    plan: &'a Plan,
    inv: &'a Inventory,
    feeds: &'a Feeds,
    own: Option<&'a rayon::ThreadPool>,
}

impl Doc<'_> {
    /// Writes the document's start ([`head`]), then spaces up to a multiple of
    /// [`crate::direct::ALIGN`] bytes.
    fn start(&self, to: &mut dyn Write) -> io::Result<()> {
        let mut clock = crate::timing::Clock::start();
        let mut counted = Counted { out: to, n: 0 };
        head(&mut counted, self, &mut clock)?;
        let pad = counted.n.next_multiple_of(crate::direct::ALIGN) - counted.n;
        counted.write_all(&vec![b' '; pad])
    }
}

/// The document, its start written to `start` on a thread of its own while the rest goes to
/// `out`: the rows start as soon as what they share is made. A start that fails stops the rows.
fn beside<S: Write + Send>(
    doc: &Doc<'_>,
    start: &mut S,
    out: &mut impl Sink,
    go: impl Fn() -> bool,
    tail: impl FnOnce() -> Option<(Vec<String>, Vec<super::NoticeRecord>)>,
    clock: &mut crate::timing::Clock,
) -> io::Result<()> {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    // Taken by the thread that writes it, or by this one if none can be started.
    let (slot, failed) = (std::sync::Mutex::new(Some(start)), AtomicBool::new(false));
    let write_start = || {
        let start = slot.lock().ok().and_then(|mut s| s.take());
        let written = start.map_or(Ok(()), |s| doc.start(s));
        failed.fetch_or(written.is_err(), Relaxed);
        written
    };
    std::thread::scope(|scope| {
        let starting = std::thread::Builder::new()
            .name("plan.json start".into())
            .spawn_scoped(scope, write_start);
        let inline = starting.is_err().then(write_start);
        let rest = rest(
            out,
            doc.plan,
            Parts::new(doc.plan, doc.inv),
            || go() && !failed.load(Relaxed),
            tail,
            clock,
        );
        let started = match starting {
            Ok(starting) => starting
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => inline.unwrap_or(Ok(())),
        };
        started.and(rest)
    })
}

/// The document, its start then the rest, to `out`.
fn in_order(
    doc: &Doc<'_>,
    out: &mut impl Sink,
    go: impl Fn() -> bool,
    tail: impl FnOnce() -> Option<(Vec<String>, Vec<super::NoticeRecord>)>,
    clock: &mut crate::timing::Clock,
) -> io::Result<()> {
    doc.start(out)?;
    rest(
        out,
        doc.plan,
        Parts::new(doc.plan, doc.inv),
        go,
        tail,
        clock,
    )
}

/// The document from its findings on: the rows, formatted on this thread straight into what
/// goes to the disk (see [`Sink`]), then the notices and warnings `tail` gives. Stopped
/// unfinished, with an error, once `go` says so (asked every 8,192 rows).
fn rest<'a>(
    out: &mut impl Sink,
    plan: &'a Plan,
    mut parts: Parts<'a>,
    go: impl Fn() -> bool,
    tail: impl FnOnce() -> Option<(Vec<String>, Vec<super::NoticeRecord>)>,
    clock: &mut crate::timing::Clock,
) -> io::Result<()> {
    out.write_all(b",\n\"findings\": [")?;
    let ranked: Vec<Vec<u8>> = plan.assessments.iter().map(|a| ranking(a)).collect();
    for (n, f) in plan.findings.iter().enumerate() {
        if n.is_multiple_of(CHECK) && !go() {
            break;
        }
        out.append(|buf| {
            buf.extend_from_slice(if n == 0 { b"\n" } else { b",\n" });
            row(buf, f, plan, &mut parts, &ranked);
        })?;
    }
    if !go() {
        return Err(io::Error::other(
            "the run stopped before its plan was written",
        ));
    }
    out.write_all(b"\n]")?;
    clock.lap("    plan.json findings");
    let (warnings, notices) =
        tail().ok_or_else(|| io::Error::other("the run stopped before its notices were issued"))?;
    field(out, "notices", &notices)?;
    field(out, "warnings", &warnings)?;
    out.write_all(b"\n}\n")
}

/// A writer that counts the bytes written through it.
struct Counted<'a> {
    out: &'a mut dyn Write,
    n: usize,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.n += n;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)?;
        self.n += buf.len();
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Everything before the findings: the schema, the feeds and coverage, then what findings
/// refer to (environments, advisories, assessments, placements) and the windows.
fn head(out: &mut impl Write, doc: &Doc<'_>, clock: &mut crate::timing::Clock) -> io::Result<()> {
    let (plan, inv, feeds, own) = (doc.plan, doc.inv, doc.feeds, doc.own);
    let vulns = &on(own, || plan.first_vulns());
    out.write_all(b"{\n\"schema\": ")?;
    value(out, &SCHEMA)?;
    field(out, "now", &plan.now)?;
    field(out, "feeds", &plan.feeds)?;
    field(out, "coverage", &plan.coverage)?;
    // Made on both cores: tens of thousands of each, before anything else can be written.
    let (envs, advs) = on(own, || {
        rayon::join(
            || serde_json::to_vec(&environments(inv)),
            || serde_json::to_vec(&advisories(vulns, feeds)),
        )
    });
    for (name, json) in [("environments", envs), ("advisories", advs)] {
        write!(out, ",\n\"{name}\": ")?;
        out.write_all(&json.map_err(io::Error::other)?)?;
    }
    clock.lap("      environments, advisories");
    out.write_all(b",\n\"assessments\": {")?;
    let assessments = in_parts(own, &plan.assessments, |buf, i, a| {
        buf.extend_from_slice(if i == 0 { b"\n\"" } else { b",\n\"" });
        number(buf, i as u32);
        buf.extend_from_slice(b"\": ");
        serde_json::to_writer(buf, &Assessment::of(a))
    })?;
    assessments.iter().try_for_each(|p| out.write_all(p))?;
    out.write_all(b"\n}")?;
    clock.lap("      assessments");
    array(out, own, "placements", &plan.placements, |buf, reasons| {
        crate::json_bytes::array(buf, reasons, |b, r| string(b, r))
    })?;
    clock.lap("      placements");
    // The windows before the findings: their tens of MB are then formatted and written while
    // the disk has little else to do, not after the findings' gigabytes, at the end of the run.
    array(
        out,
        own,
        "windows",
        &plan.windows,
        crate::schedule::json::window,
    )?;
    clock.lap("    plan.json before its findings");
    Ok(())
}

fn value(out: &mut impl Write, v: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(out, v).map_err(io::Error::other)
}

fn field(out: &mut impl Write, name: &str, v: &impl Serialize) -> io::Result<()> {
    write!(out, ",\n\"{name}\": ")?;
    value(out, v)
}

/// `,"NAME": [...]`, each item written by `each`, in parts on the pool: a fleet's windows and
/// placements are tens of MB of JSON, written a few MB at a time rather than held whole.
fn array<T: Sync>(
    out: &mut impl Write,
    pool: Option<&rayon::ThreadPool>,
    name: &str,
    items: &[T],
    each: impl Fn(&mut Vec<u8>, &T) + Sync,
) -> io::Result<()> {
    const WRITTEN: usize = 2048;
    write!(out, ",\n\"{name}\": [")?;
    for (n, some) in items.chunks(WRITTEN).enumerate() {
        let parts = in_parts(pool, some, |buf, i, item| {
            if n + i > 0 {
                buf.push(b',');
            }
            each(buf, item);
            Ok(())
        })?;
        parts.iter().try_for_each(|p| out.write_all(p))?;
    }
    out.write_all(b"]")
}

/// `items` formatted by `each` (given a buffer, the item's index and the item) in parts of a
/// few hundred, on `pool` (or the shared pool); the parts, in order.
fn in_parts<T: Sync>(
    pool: Option<&rayon::ThreadPool>,
    items: &[T],
    each: impl Fn(&mut Vec<u8>, usize, &T) -> serde_json::Result<()> + Sync,
) -> io::Result<Vec<Vec<u8>>> {
    use rayon::prelude::*;
    const PART: usize = 256;
    on(pool, || {
        (items.par_chunks(PART).enumerate())
            .map(|(c, chunk)| {
                let mut buf = Vec::new();
                for (i, item) in chunk.iter().enumerate() {
                    each(&mut buf, c * PART + i, item).map_err(io::Error::other)?;
                }
                Ok(buf)
            })
            .collect()
    })
}

#[derive(Serialize)]
struct Environment<'a> {
    name: &'a str,
    customer: &'a str,
    exposure: crate::inventory::Exposure,
    criticality: crate::inventory::Criticality,
}

fn environments(inv: &Inventory) -> BTreeMap<&str, Environment<'_>> {
    (inv.environments.iter())
        .map(|e| {
            let env = Environment {
                name: &e.name,
                customer: &e.customer,
                exposure: e.exposure,
                criticality: e.criticality,
            };
            (e.id.as_str(), env)
        })
        .collect()
}

#[derive(Serialize)]
struct Advisory<'a> {
    aliases: &'a [String],
    summary: &'a str,
    /// `unmaintained`, `unsound` or `notice` for an informational advisory.
    informational: Option<&'a str>,
    /// The feed records merged into it: `{feed, id}`, the primary first.
    records: Vec<Record<'a>>,
}

#[derive(Serialize)]
struct Record<'a> {
    feed: &'a str,
    id: &'a str,
}

/// Each advisory of the plan's findings, as its first finding (in plan order) merged it.
fn advisories<'a>(
    vulns: &super::FirstVulns<'a>,
    feeds: &'a Feeds,
) -> BTreeMap<&'a str, Advisory<'a>> {
    (super::first_advisories(vulns).into_iter())
        .map(|(id, v)| {
            let records = (v.records.iter())
                .filter_map(|&r| feeds.advisories.get(r))
                .map(|a| Record {
                    feed: &a.feed,
                    id: &a.id,
                })
                .collect();
            let adv = Advisory {
                aliases: &v.aliases,
                summary: &v.summary,
                informational: v.informational.as_deref(),
                records,
            };
            (id, adv)
        })
        .collect()
}

/// What rows share, each formatted once: each environment's id and fields, and each
/// vulnerability's (a component version's advisory: millions of rows, tens of thousands of these)
/// and each placement's middle as the rows first need them. So the rows go to the disk as soon as
/// the plan is made: made whole before the first row, these held the rows back 0.08-0.2 s.
struct Parts<'a> {
    /// By environment index.
    envs: Vec<EnvParts<'a>>,
    /// By the address of the `Vuln`: `:PACKAGE:ADVISORY"` (the id's end, `None` when it needs
    /// escaping) and `,"ecosystem":...,"fixed":...`.
    fields: VulnFields,
    /// By placement, an index into `shapes`: the middle of its first finding's row. A
    /// placement's findings nearly all share it (they are one task's, or left open for one
    /// reason); u32::MAX for a placement no row has come to yet.
    middles: Vec<u32>,
    /// Each distinct `,"emergency":...,"unscheduled_reason":...,"assessment":` with the
    /// [`State`] it says.
    shapes: Vec<(State, Vec<u8>)>,
    /// Where each distinct (state, window) is in `shapes`.
    made: rustc_hash::FxHashMap<(State, Option<&'a str>), u32>,
}

/// See [`Parts::fields`].
type VulnFields = rustc_hash::FxHashMap<usize, (Option<Vec<u8>>, Vec<u8>)>;

/// What a row's middle (see [`Parts::middles`]) says besides its placement's window.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct State {
    emergency: bool,
    in_window: bool,
    deadline_missed: bool,
    status: super::Status,
    unscheduled: Option<crate::schedule::Unscheduled>,
}

impl State {
    fn of(f: &PlanFinding) -> State {
        State {
            emergency: f.emergency,
            in_window: f.in_window,
            deadline_missed: f.deadline_missed,
            status: f.status,
            unscheduled: f.unscheduled_reason,
        }
    }
}

/// `,"emergency":...,"window":...,"deadline_missed":...,"status":...,"unscheduled_reason":...,
/// "assessment":` of finding `f`.
fn middle(buf: &mut Vec<u8>, f: &PlanFinding, plan: &Plan) {
    key(buf, "emergency");
    boolean(buf, f.emergency);
    key_opt(buf, "window", plan.window(f));
    key(buf, "deadline_missed");
    boolean(buf, f.deadline_missed);
    key_str(buf, "status", f.status.as_str());
    key_opt(
        buf,
        "unscheduled_reason",
        f.unscheduled_reason.map(|u| u.as_str()),
    );
    key(buf, "assessment");
}

struct EnvParts<'a> {
    id: &'a str,
    customer: &'a str,
    /// `"ID`: the start of its findings' ids (`None` when it needs escaping).
    head: Option<Vec<u8>>,
    /// `,"environment":...,"customer":...`.
    fields: Vec<u8>,
}

impl<'a> Parts<'a> {
    /// The environments' parts of the rows of `plan`; the rest is made as rows need it.
    fn new(plan: &'a Plan, inv: &'a Inventory) -> Parts<'a> {
        let envs = (inv.environments.iter())
            .map(|e| {
                let head = plain(&e.id).then(|| [b"\"", e.id.as_bytes()].concat());
                let mut buf = Vec::new();
                key_str(&mut buf, "environment", &e.id);
                key_str(&mut buf, "customer", &e.customer);
                EnvParts {
                    id: &e.id,
                    customer: &e.customer,
                    head,
                    fields: buf,
                }
            })
            .collect();
        Parts {
            envs,
            fields: Default::default(),
            middles: vec![u32::MAX; plan.placements.len()],
            shapes: Vec::new(),
            made: Default::default(),
        }
    }

    /// The id's end and the fields of vulnerability `v`, from `fields` (see [`Parts::fields`]).
    fn vuln<'f>(fields: &'f mut VulnFields, v: &Vuln) -> &'f (Option<Vec<u8>>, Vec<u8>) {
        (fields.entry(v as *const Vuln as usize)).or_insert_with(|| {
            let tail = (plain(&v.package) && plain(&v.advisory)).then(|| {
                [
                    b":",
                    v.package.as_bytes(),
                    b":",
                    v.advisory.as_bytes(),
                    b"\"",
                ]
                .concat()
            });
            let mut buf = Vec::new();
            key_str(&mut buf, "ecosystem", &v.ecosystem);
            key_str(&mut buf, "package", &v.package);
            key_str(&mut buf, "version", &v.version);
            key_str(&mut buf, "advisory", &v.advisory);
            key_opt(&mut buf, "fixed", v.fixed.as_deref());
            (tail, buf)
        })
    }

    /// The middle of finding `f`'s placement `p` (see [`Parts::middles`]), made from `f` when
    /// `f` is the first of its placement's rows.
    fn middle(&mut self, p: u32, f: &PlanFinding, plan: &'a Plan) -> Option<&(State, Vec<u8>)> {
        let slot = self.middles.get_mut(p as usize)?;
        if *slot == u32::MAX {
            let next = self.shapes.len() as u32;
            let shapes = &mut self.shapes;
            *slot = *(self.made.entry((State::of(f), plan.window(f)))).or_insert_with(|| {
                let mut buf = Vec::new();
                middle(&mut buf, f, plan);
                shapes.push((State::of(f), buf));
                next
            });
        }
        self.shapes.get(*slot as usize)
    }
}

/// An assessment as plan.json gives it.
#[derive(Serialize)]
struct Assessment<'a> {
    decision: crate::risk::Decision,
    deadline: Option<chrono::DateTime<chrono::Utc>>,
    timeline: Option<crate::risk::Timeline>,
    score: f64,
    cvss: Option<&'a crate::risk::CvssInfo>,
    epss: Option<crate::risk::Epss>,
    kev: bool,
    points: &'a crate::risk::Points,
    reasons: &'a [String],
}

impl<'a> Assessment<'a> {
    fn of(a: &'a crate::risk::Assessment) -> Assessment<'a> {
        Assessment {
            decision: a.decision,
            deadline: a.deadline,
            timeline: a.timeline,
            score: a.score,
            cvss: a.cvss.as_ref(),
            epss: a.epss,
            kev: a.kev,
            points: &a.points,
            reasons: &a.reasons,
        }
    }
}

/// One finding's row: its own fields, and `assessment`, `advisory` and `environment` to join
/// with. What only some findings have (an exception, a VEX statement, reasons of their own) is
/// present only on them.
fn row<'a>(
    buf: &mut Vec<u8>,
    f: &PlanFinding,
    plan: &'a Plan,
    parts: &mut Parts<'a>,
    ranked: &[Vec<u8>],
) {
    let m = &f.matched;
    let (tail, fields) = Parts::vuln(&mut parts.fields, &m.vuln);
    let at = parts.envs.get(f.target as usize);
    let env = at.filter(|e| *e.id == *m.target);
    buf.extend_from_slice(b"{\"id\":");
    match (env.and_then(|e| e.head.as_ref()), tail) {
        (Some(head), Some(tail)) => {
            buf.extend_from_slice(head);
            buf.extend_from_slice(tail);
        }
        _ => string(buf, &f.id()),
    }
    match env {
        Some(e) => buf.extend_from_slice(&e.fields),
        None => {
            key_str(buf, "environment", &m.target);
            key_str(buf, "customer", at.map_or("", |e| e.customer));
        }
    }
    buf.extend_from_slice(fields);
    key_opt(
        buf,
        "recommended",
        f.recommended.as_ref().map(|v| v.as_str()),
    );
    buf.extend_from_slice(&ranked[f.assessment as usize]);
    let shared = f.placement.and_then(|p| parts.middle(p, f, plan));
    match shared {
        Some((state, bytes)) if *state == State::of(f) => buf.extend_from_slice(bytes),
        _ => middle(buf, f, plan),
    }
    number(buf, f.assessment);
    match f.placement {
        Some(p) => {
            buf.extend_from_slice(b",\"placement\":");
            number(buf, p);
        }
        None => buf.extend_from_slice(b",\"placement\":null"),
    }
    if let Some(x) = &f.extra {
        if let Some(e) = &x.exception {
            key(buf, "exception");
            let _ = serde_json::to_writer(&mut *buf, e);
        }
        if let Some(v) = &x.vex {
            key(buf, "vex");
            let _ = serde_json::to_writer(&mut *buf, v);
        }
    }
    // Its own reasons: why its upgrade leaves it open is its placement's, shared.
    let notes: Vec<_> = match f.placement {
        Some(_) => (f.extra.iter().flat_map(|x| x.notes.iter()))
            .map(|n| std::borrow::Cow::Borrowed(n.as_str()))
            .collect(),
        None => f.notes().collect(),
    };
    if !notes.is_empty() {
        key(buf, "notes");
        let _ = serde_json::to_writer(&mut *buf, &notes);
    }
    buf.push(b'}');
}

/// `,"decision":...,"deadline":...,"score":...` of a finding with assessment `a`: made once per
/// assessment, copied into each of its findings' rows.
fn ranking(a: &crate::risk::Assessment) -> Vec<u8> {
    let mut buf = Vec::with_capacity(80);
    key_str(&mut buf, "decision", a.decision.as_str());
    match &a.deadline {
        Some(d) => crate::json_bytes::key_instant(&mut buf, "deadline", d),
        None => key_opt(&mut buf, "deadline", None),
    }
    key(&mut buf, "score");
    let _ = serde_json::to_writer(&mut buf, &a.score);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example's plan, its inventory and feeds.
    fn example() -> (Inventory, Feeds, Plan) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory");
        let inv = crate::inventory::load(&root).unwrap();
        let now = "2026-10-27T09:00:00Z".parse().unwrap();
        let targets = super::super::targets(&inv);
        let cache = crate::feeds::cache::Cache::new(tempfile::tempdir().unwrap().keep());
        let feeds = super::super::load_feeds(&inv, Some(&targets), &cache, now).unwrap();
        let plan = super::super::build_with(&inv, targets, &feeds, now, &Default::default());
        (inv, feeds, plan)
    }

    /// A placement's middle is made from the first of its rows and shared with the rest only
    /// where they say the same: findings of one placement whose state differs (the first, a
    /// later one, two shapes alternating) each get their own emergency, window, deadline miss,
    /// status and unscheduled reason.
    #[test]
    fn rows_of_one_placement_that_differ_each_say_their_own() {
        let (inv, feeds, mut plan) = example();
        let mut by: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (i, f) in plan.findings.iter().enumerate() {
            if let Some(p) = f.placement.filter(|_| f.in_window) {
                by.entry(p).or_default().push(i);
            }
        }
        let shared: Vec<Vec<usize>> = by.into_values().filter(|m| m.len() >= 2).collect();
        assert!(shared.len() >= 3, "placements with two rows: {shared:?}");
        // The first row differs from the rest, or a later one from the first, three ways.
        for (k, members) in shared.iter().enumerate() {
            let f = &mut plan.findings[members[k % 2]];
            match k % 3 {
                0 => {
                    f.in_window = false;
                    f.unscheduled_reason = Some(crate::schedule::Unscheduled::NoUsableWindow);
                }
                1 => f.deadline_missed = !f.deadline_missed,
                _ => f.status = super::super::Status::Excepted,
            }
        }
        let mut out = io::BufWriter::new(Vec::new());
        write(&plan, &inv, &feeds, &mut out).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.into_inner().unwrap()).unwrap();
        let rows = doc["findings"].as_array().unwrap();
        assert_eq!(rows.len(), plan.findings.len());
        for (row, f) in rows.iter().zip(&plan.findings) {
            let id = f.id();
            assert_eq!(row["id"], id.as_str());
            assert_eq!(row["emergency"], f.emergency, "{id}");
            assert_eq!(row["window"].as_str(), plan.window(f), "{id}");
            assert_eq!(row["deadline_missed"], f.deadline_missed, "{id}");
            assert_eq!(row["status"], f.status.as_str(), "{id}");
            let unscheduled = f.unscheduled_reason.map(|u| u.as_str());
            assert_eq!(row["unscheduled_reason"].as_str(), unscheduled, "{id}");
            assert_eq!(
                row["placement"].as_u64(),
                f.placement.map(u64::from),
                "{id}"
            );
        }
    }

    /// A writer that takes `room` bytes, then fails.
    struct Failing {
        room: usize,
    }

    impl Write for Failing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            match self.room {
                0 => Err(io::Error::other("no room left")),
                room => {
                    self.room = room.saturating_sub(buf.len());
                    Ok(buf.len().min(room))
                }
            }
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Written in two parts, the document is the start padded to whole blocks, then the rest:
    /// what is written in one. A start that cannot be written fails the document with its
    /// error, whether or not the rows were through by then.
    #[test]
    fn a_document_in_two_parts_is_the_document_and_a_failed_start_fails_it() {
        let (inv, feeds, plan) = example();
        let mut whole = io::BufWriter::new(Vec::new());
        write(&plan, &inv, &feeds, &mut whole).unwrap();
        let whole = whole.into_inner().unwrap();
        let running = std::sync::atomic::AtomicBool::new(true);
        let tail = || Some((plan.warnings.clone(), plan.notices.clone()));
        let (mut start, mut rest) = (Vec::new(), io::BufWriter::new(Vec::new()));
        write_then(
            &plan,
            &inv,
            &feeds,
            Some(&mut start),
            &mut rest,
            &running,
            tail,
        )
        .unwrap();
        assert_eq!(start.len() % crate::direct::ALIGN, 0);
        assert!(whole == [start, rest.into_inner().unwrap()].concat());

        let mut failing = Failing { room: 100 };
        let mut rest = io::BufWriter::new(Vec::new());
        let written = write_then(
            &plan,
            &inv,
            &feeds,
            Some(&mut failing),
            &mut rest,
            &running,
            || None,
        );
        assert_eq!(written.unwrap_err().to_string(), "no room left");
    }
}
