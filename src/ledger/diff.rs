//! What a new plan issues, given what the ledger announced: the re-plan rules.
//!
//! A window's identity: the window the ledger announced under a key (the plan's window id when
//! it was first announced; its UID is `KEY@DOMAIN`). A new plan's window is the same window when
//! (1) it is the same occurrence (same window id and kind), or else (2) it is of the same
//! customer and kind and carries at least one of the same upgrades (environment, component); of
//! several, the one sharing most upgrades, then the earliest. Windows already started are not
//! compared: they are `in_progress` until their outcome is recorded, and hold their upgrades.
//!
//! Then: the same window at the same times, with the same facts (services, expected downtime,
//! and under `detailed` disclosure the changes), issues nothing, except a reminder that has
//! come due; at other times it issues `rescheduled` (SEQUENCE + 1, old and new times); with the
//! same times but other facts, an updated `scheduled` (SEQUENCE + 1). An emergency is announced
//! once: matched again, it issues nothing. A ledger window that no new window matches is
//! `cancelled` (SEQUENCE + 1); a new window that matches none is `scheduled` or `emergency`.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::schedule::{Window, WindowKind};

/// A window's state in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    Planned,
    InProgress,
    Completed,
    Cancelled,
    Failed,
}

impl WindowState {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowState::Planned => "planned",
            WindowState::InProgress => "in_progress",
            WindowState::Completed => "completed",
            WindowState::Cancelled => "cancelled",
            WindowState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<WindowState> {
        use WindowState::*;
        [Planned, InProgress, Completed, Cancelled, Failed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// Whether the window's story is over (its outcome is recorded, or it was cancelled).
    pub fn is_final(self) -> bool {
        !matches!(self, WindowState::Planned | WindowState::InProgress)
    }
}

/// The kinds of notice (DESIGN.md, "Notices"): the plan's own.
pub use crate::plan::notices::Kind as NoticeKind;

/// A window as the ledger keeps it.
#[derive(Debug, Clone)]
pub struct LedgerWindow {
    pub key: String,
    pub uid: String,
    pub sequence: u32,
    pub state: WindowState,
    /// The window as last announced (its `id` is the latest occurrence id).
    pub window: Window,
    /// What the customer was told, as compared by [`facts`].
    pub facts: String,
    /// Read for a plan run before the window started ([`Ledger::open_windows_for_run`]): its
    /// snapshot, still compressed, and `window` holds only what its row says (id, customer,
    /// kind, times, environments; no tasks) until [`LedgerWindow::read_in_full`]. A fleet's open
    /// windows hold millions of finding ids, which a re-plan seldom needs.
    ///
    /// [`Ledger::open_windows_for_run`]: super::Ledger::open_windows_for_run
    pub(crate) pending: Option<super::store::Pending>,
}

impl LedgerWindow {
    /// Makes `window` the window its snapshot holds, if it was read from its row alone.
    pub(crate) fn read_in_full(&mut self) -> rusqlite::Result<()> {
        if let Some(pending) = self.pending.take() {
            self.window = pending.window()?;
        }
        Ok(())
    }
}

/// A notice to issue.
#[derive(Debug, Clone)]
pub struct Issue {
    /// The notice id (plan.json's `id`).
    pub id: String,
    /// The stem of its files.
    pub stem: String,
    pub key: String,
    pub kind: NoticeKind,
    pub uid: String,
    pub sequence: u32,
    /// The window it is about: as now planned, or as last announced when cancelled.
    pub window: Window,
    /// For `rescheduled`: the times announced before.
    pub previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// For `reminder`: how long before the window (`1d`).
    pub reminder: Option<String>,
}

/// A window to write to the ledger.
#[derive(Debug, Clone)]
pub struct WindowWrite {
    pub key: String,
    pub uid: String,
    pub sequence: u32,
    pub state: WindowState,
    pub window: Window,
    pub facts: String,
    /// A window not in the ledger before.
    pub new: bool,
    /// Its state changed: an event for `history`.
    pub changed_state: bool,
    /// Its row, but for the snapshot, is as the ledger holds it (its occurrence id, SEQUENCE,
    /// times, state and facts): when its snapshot is too, it is not written at all.
    pub same_row: bool,
    /// Its snapshot as the ledger holds it (compressed, with its hash), where the run read it
    /// so: a window whose snapshot comes out the same keeps it rather than compressing it again.
    pub stored: Option<super::store::StoredSnapshot>,
}

/// What a plan run does to the ledger.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub notices: Vec<Issue>,
    pub windows: Vec<WindowWrite>,
    /// Reminders not issued because their time had passed when the window was announced.
    pub notes: Vec<String>,
}

/// What [`diff`] needs besides the windows.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    /// Right-hand side of UIDs.
    pub domain: &'a str,
    /// Customers with `detailed` disclosure: their notices list the changes.
    pub detailed: HashSet<String>,
    /// Every key the ledger has used: a new window never reuses one.
    pub taken: HashSet<String>,
}

/// Compares the ledger's open windows with a new plan's windows; see the module docs.
pub fn diff(open: &[LedgerWindow], plan: &[Window], cx: &mut Context) -> Changes {
    let mut out = Changes::default();
    let (started, live): (Vec<&LedgerWindow>, Vec<&LedgerWindow>) = open
        .iter()
        .partition(|l| l.state == WindowState::InProgress || l.window.start <= cx.now);
    for l in started
        .into_iter()
        .filter(|l| l.state == WindowState::Planned)
    {
        out.windows.push(unchanged(l, WindowState::InProgress));
    }
    let (pairs, new) = pair(&live, plan);
    for (l, p) in pairs {
        match p {
            Some(p) => known(live[l], &plan[p], cx, &mut out),
            None => cancel(live[l], &mut out),
        }
    }
    for p in new {
        announce(&plan[p], cx, &mut out);
    }
    out
}

/// The indices of the `open` windows that [`diff`] may read beyond their id, kind, customer,
/// times and environments (their tasks, or the whole window): those that have started,
/// and those that no window of `plan` is the same occurrence of (they may be paired by their
/// upgrades, or cancelled). The others are paired by id and their tasks are not compared.
pub fn to_read_in_full(open: &[LedgerWindow], plan: &[Window], now: DateTime<Utc>) -> Vec<usize> {
    let by_id: HashMap<(&str, WindowKind), usize> = (plan.iter().enumerate())
        .rev()
        .map(|(p, w)| ((w.id.as_str(), w.kind), p))
        .collect();
    let mut taken: HashSet<usize> = HashSet::new();
    (open.iter().enumerate())
        .filter(|(_, l)| {
            if l.state == WindowState::InProgress || l.window.start <= now {
                return true;
            }
            let same = by_id.get(&(l.window.id.as_str(), l.window.kind));
            !same.is_some_and(|p| taken.insert(*p))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Pairs each live ledger window with the new window that is the same, if any; returns the
/// pairs and the new windows left.
fn pair(live: &[&LedgerWindow], plan: &[Window]) -> (Vec<(usize, Option<usize>)>, Vec<usize>) {
    // A fleet's ledger and plan each hold tens of thousands of windows: each is found by id,
    // and by customer, in maps made once, not by a scan of the plan per window.
    let mut by_id: HashMap<(&str, WindowKind), usize> = HashMap::new();
    let mut by_customer: HashMap<(&str, WindowKind), Vec<usize>> = HashMap::new();
    for (p, w) in plan.iter().enumerate() {
        by_id.entry((w.id.as_str(), w.kind)).or_insert(p);
        (by_customer
            .entry((w.customer.as_str(), w.kind))
            .or_default())
        .push(p);
    }
    let mut free: BTreeSet<usize> = (0..plan.len()).collect();
    let mut matched: Vec<Option<usize>> = live
        .iter()
        .map(|l| {
            let p = *by_id.get(&(l.window.id.as_str(), l.window.kind))?;
            free.remove(&p).then_some(p)
        })
        .collect();
    for (i, l) in live.iter().enumerate() {
        if matched[i].is_some() {
            continue;
        }
        let same_customer = by_customer.get(&(l.window.customer.as_str(), l.window.kind));
        let best = (same_customer.into_iter().flatten().copied())
            .filter(|p| free.contains(p))
            .map(|p| {
                (
                    shared(&l.window, &plan[p]),
                    std::cmp::Reverse(plan[p].start),
                    p,
                )
            })
            .filter(|(n, _, _)| *n > 0)
            .max();
        if let Some((_, _, p)) = best {
            free.remove(&p);
            matched[i] = Some(p);
        }
    }
    (
        matched.into_iter().enumerate().collect(),
        free.into_iter().collect(),
    )
}

/// How many upgrades (environment, component) two windows share.
fn shared(a: &Window, b: &Window) -> usize {
    let keys: HashSet<(&str, &str)> = a
        .tasks
        .iter()
        .map(|t| (t.environment.as_str(), t.package.as_str()))
        .collect();
    b.tasks
        .iter()
        .filter(|t| keys.contains(&(t.environment.as_str(), t.package.as_str())))
        .count()
}

/// A window the ledger knows, found again in the plan.
fn known(l: &LedgerWindow, p: &Window, cx: &Context, out: &mut Changes) {
    if p.kind == WindowKind::Emergency {
        // Announced once: the intervention keeps the times it was announced with.
        let mut window = p.clone();
        (window.id, window.start, window.end) = (l.window.id.clone(), l.window.start, l.window.end);
        out.windows.push(WindowWrite {
            window,
            ..unchanged(l, l.state)
        });
        return;
    }
    let facts = facts(p, cx);
    let moved = (p.start, p.end) != (l.window.start, l.window.end);
    let kind = match (moved, facts != l.facts) {
        (true, _) => Some(NoticeKind::Rescheduled),
        (false, true) => Some(NoticeKind::Scheduled),
        (false, false) => None,
    };
    let sequence = l.sequence + u32::from(kind.is_some());
    if let Some(kind) = kind {
        let previous = moved.then_some((l.window.start, l.window.end));
        out.notices
            .push(issue(&l.key, kind, &l.uid, sequence, p, previous, None));
        reminders(&l.key, &l.uid, sequence, p, cx.now, out);
    }
    out.windows.push(WindowWrite {
        sequence,
        same_row: kind.is_none() && p.id == l.window.id,
        window: p.clone(),
        facts,
        ..unchanged(l, l.state)
    });
}

fn cancel(l: &LedgerWindow, out: &mut Changes) {
    let sequence = l.sequence + 1;
    let kind = NoticeKind::Cancelled;
    out.notices
        .push(issue(&l.key, kind, &l.uid, sequence, &l.window, None, None));
    out.windows.push(WindowWrite {
        sequence,
        same_row: false,
        ..unchanged(l, WindowState::Cancelled)
    });
}

fn announce(p: &Window, cx: &mut Context, out: &mut Changes) {
    let key = fresh_key(&p.id, &mut cx.taken);
    let uid = format!("{key}@{}", cx.domain);
    let kind = match p.kind {
        WindowKind::Emergency => NoticeKind::Emergency,
        WindowKind::Planned => NoticeKind::Scheduled,
    };
    out.notices.push(issue(&key, kind, &uid, 0, p, None, None));
    reminders(&key, &uid, 0, p, cx.now, out);
    out.windows.push(WindowWrite {
        key,
        uid,
        sequence: 0,
        state: WindowState::Planned,
        window: p.clone(),
        facts: facts(p, cx),
        new: true,
        changed_state: true,
        same_row: false,
        stored: None,
    });
}

/// The ledger window as it is, in `state`.
fn unchanged(l: &LedgerWindow, state: WindowState) -> WindowWrite {
    WindowWrite {
        key: l.key.clone(),
        uid: l.uid.clone(),
        sequence: l.sequence,
        state,
        window: l.window.clone(),
        facts: l.facts.clone(),
        new: false,
        changed_state: state != l.state,
        same_row: state == l.state,
        stored: l.pending.as_ref().and_then(|p| p.stored()),
    }
}

/// `id`, or `id.2`, `id.3`, ... when the ledger has used it (a cancelled occurrence planned
/// again is a new window with a new UID). The key names the window's notice files, so it keeps
/// to the characters of ids; no occurrence id ends in `.N` (they end in a date or a time), and
/// `taken` holds every key given out, so none is given twice.
fn fresh_key(id: &str, taken: &mut HashSet<String>) -> String {
    let key = (1..)
        .map(|n| match n {
            1 => id.to_string(),
            n => format!("{id}.{n}"),
        })
        .find(|k| !taken.contains(k))
        .expect("some suffix is free");
    taken.insert(key.clone());
    key
}

/// The reminders of a planned window being announced (or announced again): each one issued now,
/// to be sent at its time; one whose time has passed is noted instead. Each is issued once: a
/// window is announced again only when it changes.
fn reminders(
    key: &str,
    uid: &str,
    sequence: u32,
    p: &Window,
    now: DateTime<Utc>,
    out: &mut Changes,
) {
    for r in &p.reminders {
        if r.skipped.is_some() || r.at < now {
            let at = |t: DateTime<Utc>| crate::utc::minute(&t);
            out.notes.push(format!(
                "reminder {} before {} not issued: its time, {}, is before now ({})",
                r.before,
                p.id,
                at(r.at),
                at(now)
            ));
            continue;
        }
        let kind = NoticeKind::Reminder;
        let n = issue(key, kind, uid, sequence, p, None, Some(r.before.clone()));
        out.notices.push(n);
    }
}

/// The notice id and file stem of a notice: `KEY.KIND` for a window's first notices and
/// `KEY.reminder-LEAD` for its reminders (the lead in whole hours, else minutes: `24h`, `90m`),
/// with `-SEQUENCE` after them once the window has been announced again.
pub fn names(
    key: &str,
    kind: NoticeKind,
    sequence: u32,
    reminder: Option<&str>,
) -> (String, String) {
    let lead = |before: &str| match before.parse::<crate::duration::Duration>() {
        Ok(d) if d.minutes() % 60 == 0 => format!("{}h", d.minutes() / 60),
        Ok(d) => format!("{}m", d.minutes()),
        Err(_) => before.to_string(),
    };
    let id = match (sequence, reminder) {
        (0, Some(before)) => format!("{key}.reminder-{}", lead(before)),
        (n, Some(before)) => format!("{key}.reminder-{}-{n}", lead(before)),
        (0, None) => format!("{key}.{}", kind.as_str()),
        (n, None) => format!("{key}.{}-{n}", kind.as_str()),
    };
    (id.clone(), id)
}

fn issue(
    key: &str,
    kind: NoticeKind,
    uid: &str,
    sequence: u32,
    window: &Window,
    previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
    reminder: Option<String>,
) -> Issue {
    let (id, stem) = names(key, kind, sequence, reminder.as_deref());
    Issue {
        id,
        stem,
        key: key.to_string(),
        kind,
        uid: uid.to_string(),
        sequence,
        window: window.clone(),
        previous,
        reminder,
    }
}

/// What the customer is told about a planned window, as compared between plans: its times,
/// services, expected downtime, and under `detailed` disclosure each change.
pub fn facts(w: &Window, cx: &Context) -> String {
    let mut per_env: std::collections::BTreeMap<&str, u32> = Default::default();
    for t in w.tasks.iter() {
        *per_env.entry(t.environment.as_str()).or_default() += t.downtime_minutes;
    }
    let changes: Vec<(&str, &str, &str)> = match cx.detailed.contains(&w.customer) {
        true => {
            let mut c: Vec<_> = w
                .tasks
                .iter()
                .map(|t| (t.environment.as_str(), t.package.as_str(), t.to.as_str()))
                .collect();
            c.sort_unstable();
            c
        }
        false => Vec::new(),
    };
    serde_json::json!({
        "start": w.start,
        "end": w.end,
        "environments": w.environments,
        "downtime_minutes": per_env.values().copied().max().unwrap_or(0),
        "changes": changes,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        format!("2026-11-{day:02}T02:00:00Z").parse().unwrap()
    }

    fn window(id: &str, kind: WindowKind, day: u32) -> Window {
        Window {
            id: id.to_string(),
            customer: "c".to_string(),
            kind,
            window: None,
            start: at(day),
            end: at(day) + chrono::Duration::hours(2),
            timezone: "UTC".to_string(),
            environments: vec!["e".to_string()],
            tasks: std::sync::Arc::from([]),
            reasons: Vec::new(),
            reminders: Vec::new(),
        }
    }

    fn ledger(id: &str, kind: WindowKind, day: u32, state: WindowState) -> LedgerWindow {
        LedgerWindow {
            key: id.to_string(),
            uid: format!("{id}@example"),
            sequence: 0,
            state,
            window: window(id, kind, day),
            facts: String::new(),
            pending: None,
        }
    }

    /// A window's snapshot keeps the stored bytes when the SHA-256 stored beside them is the new
    /// JSON's (here bytes that are not even zlib: they are not inflated), or, without a hash,
    /// when they inflate to the same JSON (here compressed at another level than a run's, so
    /// the bytes differ from what it would make). Otherwise it is compressed afresh. Each comes
    /// with the hash of the JSON.
    #[test]
    fn an_unchanged_snapshot_keeps_its_stored_bytes() {
        use crate::ledger::store::StoredSnapshot;
        use std::io::Write;
        let compress = |text: &str, level| {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), level);
            z.write_all(text.as_bytes()).unwrap();
            z.finish().unwrap()
        };
        let l = ledger("a", WindowKind::Planned, 10, WindowState::Planned);
        let json = serde_json::to_string(&l.window).unwrap();
        let sha256 = crate::digest::sha256_hex(json.as_bytes());
        let other = serde_json::to_string(&window("b", WindowKind::Planned, 11)).unwrap();
        let best = compress(&json, flate2::Compression::best());
        assert_ne!(best, compress(&json, flate2::Compression::fast()));
        let stored = |deflated: &[u8], sha256: Option<&str>| {
            Some(StoredSnapshot {
                deflated: deflated.to_vec(),
                sha256: sha256.map(str::to_string),
            })
        };
        let kept = [stored(&best, None), stored(b"as stored", Some(&sha256))];
        let made_afresh = [
            stored(&compress(&other, flate2::Compression::best()), None),
            stored(b"not zlib", None),
            None,
            // The hash says the window changed: it is not inflated to be compared.
            stored(&best, Some(&crate::digest::sha256_hex(other.as_bytes()))),
        ];
        let writes: Vec<WindowWrite> = (kept.iter().chain(&made_afresh))
            .map(|stored| WindowWrite {
                stored: stored.clone(),
                ..unchanged(&l, WindowState::Planned)
            })
            .collect();
        let made = super::super::store::snapshots(&writes);
        assert!(made.iter().all(|m| m.sha256 == sha256));
        assert_eq!(*made[0].deflated, best[..]);
        assert_eq!(*made[1].deflated, b"as stored"[..]);
        for m in &made[kept.len()..] {
            assert_ne!(*m.deflated, best[..]);
            assert_eq!(crate::ledger::contents::inflate(&m.deflated).unwrap(), json);
        }
    }

    /// The windows a comparison reads in full are those it cannot pair by occurrence id:
    /// started ones, ones the plan no longer has (or has as the other kind), and the second of
    /// two with one id. Those paired by id are compared by what their rows say.
    #[test]
    fn windows_are_read_in_full_only_when_not_paired_by_id() {
        use WindowKind::{Emergency, Planned};
        use WindowState::{InProgress, Planned as Announced};
        let open = [
            ledger("a", Planned, 10, Announced),
            ledger("b", Planned, 11, Announced),
            ledger("started", Planned, 1, Announced),
            ledger("working", Planned, 12, InProgress),
            ledger("a", Planned, 10, Announced),
            ledger("e", Planned, 13, Announced),
            ledger("gone", Planned, 14, Announced),
        ];
        let plan = [
            window("b", Planned, 18),
            window("a", Planned, 10),
            window("e", Emergency, 13),
            window("new", Planned, 20),
        ];
        let now = at(5);
        assert_eq!(to_read_in_full(&open, &plan, now), vec![2, 3, 4, 5, 6]);
        // Every window the comparison pairs by id is one of those left unread.
        let mut cx = Context {
            now,
            domain: "example",
            detailed: HashSet::new(),
            taken: HashSet::new(),
        };
        let changes = diff(&open, &plan, &mut cx);
        let cancelled: Vec<&str> = (changes.notices.iter())
            .filter(|n| n.kind == NoticeKind::Cancelled)
            .map(|n| n.key.as_str())
            .collect();
        assert_eq!(cancelled, ["a", "e", "gone"]);
    }

    /// A window's row is known to be as the ledger holds it when the plan leaves its occurrence,
    /// times, facts, SEQUENCE and state alone: a window found again unchanged (an emergency one
    /// keeps its times, whatever else changed). A window moved, whose facts changed, that
    /// started, cancelled or new is written.
    #[test]
    fn only_a_window_left_alone_keeps_its_row() {
        use WindowKind::{Emergency, Planned};
        use WindowState::Planned as Announced;
        let mut cx = Context {
            now: at(5),
            domain: "example",
            detailed: HashSet::new(),
            taken: HashSet::new(),
        };
        let told = |mut l: LedgerWindow, cx: &Context| {
            l.facts = facts(&l.window, cx);
            l
        };
        let open = [
            told(ledger("same", Planned, 10, Announced), &cx),
            told(ledger("moved", Planned, 11, Announced), &cx),
            ledger("told-otherwise", Planned, 12, Announced),
            told(ledger("started", Planned, 1, Announced), &cx),
            told(ledger("urgent", Emergency, 6, Announced), &cx),
            told(ledger("gone", Planned, 14, Announced), &cx),
        ];
        let mut urgent = window("urgent", Emergency, 7);
        urgent.reasons.push("another reason".to_string());
        let plan = [
            window("same", Planned, 10),
            window("moved", Planned, 18),
            window("told-otherwise", Planned, 12),
            urgent,
            window("new", Planned, 20),
        ];
        let changes = diff(&open, &plan, &mut cx);
        let mut same: Vec<(&str, bool)> = (changes.windows.iter())
            .map(|w| (w.key.as_str(), w.same_row))
            .collect();
        same.sort_unstable();
        let expected = [
            ("gone", false),
            ("moved", false),
            ("new", false),
            ("same", true),
            ("started", false),
            ("told-otherwise", false),
            ("urgent", true),
        ];
        assert_eq!(same, expected);
    }
}
