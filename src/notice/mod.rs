//! Notices: what the customer sees of a plan. One notice per (customer, window occurrence, kind),
//! in the customer's language and zone, in five formats: `txt`, `md` and `html` from Handlebars
//! templates, `ics` (an RFC 5545 invitation) and `json` (the view model, a webhook body) from
//! code. A reminder has no `ics`: the invitation's alarms remind, and the mail is a plain one.
//!
//! Templates live in `templates/LOCALE/KIND.FORMAT.hbs` (built into the binary); an inventory's
//! own `templates/` directory wins file by file. Rendering is strict: a missing variable or a
//! failing helper is an error at the template's file, line and column.
//!
//! `plan` issues the `scheduled` or `emergency` notice of each window and a `reminder` at each
//! of the customer's reminder times still ahead; `notices` renders the same from a saved plan,
//! and `rescheduled`, `cancelled` and `completed` notices from the operator's flags.

pub mod escape;
mod helpers;
mod ics;
pub use ics::subscription;
pub mod input;
pub mod locale;
mod render;
mod sample;
pub mod view;
pub mod words;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use render::Renderer;

use crate::duration::Duration;
use crate::error::{Error, Result};
use crate::inventory::{Customer, Inventory};
use crate::plan::Plan;
use input::{PlanInput, WindowInput};
use view::Sources;

pub use crate::plan::notices::{Kind, NoticeRecord};

/// How the work of a window went, for a `completed` notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Done,
    Partial,
    RolledBack,
}

impl FromStr for Outcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Outcome, String> {
        match s {
            "done" => Ok(Outcome::Done),
            "partial" => Ok(Outcome::Partial),
            "rolled-back" => Ok(Outcome::RolledBack),
            _ => Err(format!(
                "unknown outcome `{s}` (done, partial or rolled-back)"
            )),
        }
    }
}

/// A window's times as announced before it was rescheduled.
#[derive(Debug, Clone)]
pub struct Previous {
    /// The window id it was announced under: its UID is kept, so calendars move the event.
    pub window: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// One notice to issue for a window: its kind and what that kind needs.
#[derive(Debug, Clone)]
pub struct Issue {
    pub kind: Kind,
    pub sequence: u32,
    /// When the notice is made: the calendar DTSTAMP.
    pub issued: DateTime<Utc>,
    /// When to send it.
    pub send_at: DateTime<Utc>,
    /// `reminder`: how long before the start.
    pub lead: Option<Duration>,
    /// `rescheduled`: the times announced before.
    pub previous: Option<Previous>,
    /// `completed`: how it went.
    pub outcome: Option<Outcome>,
    /// The operator's words.
    pub note: Option<String>,
}

impl Issue {
    /// A notice of `kind` made and sent at `issued`, sequence 0, nothing else.
    pub fn new(kind: Kind, issued: DateTime<Utc>) -> Issue {
        Issue {
            kind,
            sequence: 0,
            issued,
            send_at: issued,
            lead: None,
            previous: None,
            outcome: None,
            note: None,
        }
    }

    /// The notice id for `window`: `WINDOW.KIND`, or `WINDOW.reminder-LEAD` with the lead in
    /// whole hours or else minutes (`.reminder-24h`, `.reminder-90m`).
    pub fn id(&self, window: &str) -> String {
        match self.lead.map(|d| d.minutes()) {
            Some(m) if m % 60 == 0 => format!("{window}.reminder-{}h", m / 60),
            Some(m) => format!("{window}.reminder-{m}m"),
            None => format!("{window}.{}", self.kind.as_str()),
        }
    }
}

/// What a run rendered, and notes on what it did not.
#[derive(Debug, Default)]
pub struct Rendered {
    pub records: Vec<NoticeRecord>,
    /// Reminders whose time had passed.
    pub notes: Vec<String>,
}

/// The formats rendered from templates; `ics` and `json` are written by code.
pub const TEMPLATE_FORMATS: [&str; 3] = ["txt", "md", "html"];

/// Which of a plan's notices to render; `None` is all.
#[derive(Debug, Default, Clone, Copy)]
pub struct Filter<'a> {
    pub customer: Option<&'a str>,
    pub window: Option<&'a str>,
    pub kind: Option<Kind>,
}

/// Renders the notices `plan` issues under `out/notices/CUSTOMER/`.
pub fn render_plan(inv: &Inventory, plan: &Plan, out: &Path) -> Result<Rendered> {
    let input = PlanInput::from_plan(plan, inv);
    render(inv, &input, out, Filter::default(), plan.now)
}

/// Renders the `scheduled` or `emergency` notice of each window of `input` that `filter` keeps,
/// and its reminders, as made at `now`.
pub fn render(
    inv: &Inventory,
    input: &PlanInput,
    out: &Path,
    filter: Filter,
    now: DateTime<Utc>,
) -> Result<Rendered> {
    let renderer = Renderer::new(Some(&inv.root.join("templates")))?;
    let sources = sources(inv, input);
    let mut rendered = Rendered::default();
    let windows = input.windows.iter().filter(|w| {
        filter.customer.is_none_or(|c| c == w.customer) && filter.window.is_none_or(|i| i == w.id)
    });
    for window in windows {
        let customer = customer_of(inv, window)?;
        let issues = issues(window, now, &mut rendered.notes);
        for issue in issues
            .iter()
            .filter(|i| filter.kind.is_none_or(|k| k == i.kind))
        {
            let record = write(&renderer, &sources, customer, window, issue, out)?;
            rendered.records.push(record);
        }
    }
    Ok(rendered)
}

/// Renders one notice, `issue`, for window `window` of `input`.
pub fn render_issue(
    inv: &Inventory,
    input: &PlanInput,
    out: &Path,
    window: &WindowInput,
    issue: &Issue,
) -> Result<NoticeRecord> {
    let renderer = Renderer::new(Some(&inv.root.join("templates")))?;
    let customer = customer_of(inv, window)?;
    write(
        &renderer,
        &sources(inv, input),
        customer,
        window,
        issue,
        out,
    )
}

/// The sources of notices made from `input`.
pub fn sources<'a>(inv: &'a Inventory, input: &'a PlanInput) -> Sources<'a> {
    Sources::new(
        &inv.organisation,
        names(inv),
        &input.findings,
        &input.advisories,
    )
}

/// Each environment's name, by id.
pub fn names(inv: &Inventory) -> std::collections::HashMap<&str, &str> {
    (inv.environments.iter())
        .map(|e| (e.id.as_str(), e.name.as_str()))
        .collect()
}

fn customer_of<'a>(inv: &'a Inventory, window: &WindowInput) -> Result<&'a Customer> {
    inv.customer(&window.customer).ok_or_else(|| {
        Error::Usage(format!(
            "window `{}` is for customer `{}`, who is not in the inventory {}",
            window.id,
            window.customer,
            inv.root.display()
        ))
    })
}

/// The notices a plan issues for `window`: `scheduled` or `emergency` now, and a reminder at
/// each of the reminder times the schedule set for a planned window that is still ahead.
pub fn issues(window: &WindowInput, now: DateTime<Utc>, notes: &mut Vec<String>) -> Vec<Issue> {
    let kind = if window.emergency {
        Kind::Emergency
    } else {
        Kind::Scheduled
    };
    let mut issues = vec![Issue::new(kind, now)];
    if window.emergency {
        return issues;
    }
    for r in &window.reminders {
        let Ok(lead) = Duration::from_str(&r.before) else {
            continue;
        };
        if r.at < now {
            notes.push(format!(
                "reminder {lead} before {} not issued: its time, {}, is before now ({})",
                window.id,
                r.at.format("%Y-%m-%d %H:%M UTC"),
                now.format("%Y-%m-%d %H:%M UTC")
            ));
            continue;
        }
        issues.push(Issue {
            send_at: r.at,
            lead: Some(lead),
            ..Issue::new(Kind::Reminder, now)
        });
    }
    issues
}

/// Renders `issue` in every format and writes `out/notices/CUSTOMER/ID.FORMAT`.
fn write(
    renderer: &Renderer,
    sources: &Sources,
    customer: &Customer,
    window: &WindowInput,
    issue: &Issue,
    out: &Path,
) -> Result<NoticeRecord> {
    let view = view::build(sources, customer, window, issue);
    for name in [&customer.id, &view.id] {
        file_name(name)?;
    }
    let dir = PathBuf::from("notices").join(&customer.id);
    std::fs::create_dir_all(out.join(&dir)).map_err(|e| Error::io(out.join(&dir), e))?;
    let mut files = Vec::new();
    for (format, text) in renderer.render_all(&view)? {
        files.push(write_file(out, &dir, &view.id, format, text.as_bytes())?);
    }
    if has_calendar(issue.kind) {
        let ics = ics::calendar(&view);
        files.push(write_file(out, &dir, &view.id, "ics", ics.as_bytes())?);
    }
    let json = escape::json(&serde_json::to_string_pretty(&view).expect("views serialise")) + "\n";
    files.push(write_file(out, &dir, &view.id, "json", json.as_bytes())?);
    Ok(NoticeRecord {
        id: view.id,
        customer: customer.id.clone(),
        window: window.id.clone(),
        kind: issue.kind,
        uid: view.uid,
        sequence: view.sequence,
        send_at: view.send_at,
        files,
    })
}

/// Whether a notice of `kind` has a calendar file. A reminder has none: the invitation's alarms
/// remind, and re-sending its REQUEST with the same SEQUENCE would change nothing in a calendar.
pub fn has_calendar(kind: Kind) -> bool {
    kind != Kind::Reminder
}

/// Ids become file and directory names, so they follow the inventory's id rule
/// ([`crate::inventory::name_rule`]): no path separators, control characters or leading `.`, so
/// none can climb out of `notices/` (a saved plan is user input), and short enough to be written.
fn file_name(name: &str) -> Result<()> {
    crate::inventory::name_rule(name, crate::inventory::MAX_NAME_LEN)
        .map_err(|why| Error::Usage(format!("cannot name a notice file: {why}")))
}

fn write_file(out: &Path, dir: &Path, id: &str, ext: &str, bytes: &[u8]) -> Result<String> {
    let rel = dir.join(format!("{id}.{ext}"));
    let path = out.join(&rel);
    std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    Ok(rel.to_string_lossy().replace('\\', "/"))
}

/// One notice the ledger issues: its kind, the window it is about (as now planned, or as last
/// announced for a cancelled or completed one), its UID and SEQUENCE, and what only some kinds
/// carry.
#[derive(Debug, Clone)]
pub struct NoticeSpec<'a> {
    /// The notice id (plan.json's `id`).
    pub id: String,
    /// File stem: files are `notices/CUSTOMER/STEM.FORMAT`.
    pub stem: String,
    pub kind: Kind,
    pub window: &'a crate::schedule::Window,
    pub uid: String,
    pub sequence: u32,
    /// `rescheduled`: the times announced before.
    pub previous: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// `reminder`: how long before the window (`1d`).
    pub reminder: Option<String>,
    /// `completed`: `completed` or `failed`, and the operator's note.
    pub outcome: Option<(&'static str, Option<String>)>,
}

/// A rendered notice, not yet written: its record and its files (paths relative to the output
/// directory, and contents), so that the ledger can record them before they are written.
#[derive(Debug, Clone)]
pub struct RenderedNotice {
    pub record: NoticeRecord,
    pub files: Vec<(String, String)>,
}

/// Renders one notice of the ledger's in every format, made at `issued`; `None` when its
/// customer is no longer in the inventory. `findings` describes the window's findings (from
/// the plan; empty when there is none, as for `complete`).
pub fn render_notice(
    renderer: &Renderer,
    inv: &Inventory,
    sources: &Sources,
    spec: &NoticeSpec,
    issued: DateTime<Utc>,
) -> Result<Option<RenderedNotice>> {
    let Some(customer) = inv.customer(&spec.window.customer) else {
        return Ok(None);
    };
    let window = WindowInput::from(spec.window);
    let issue = spec_issue(spec, &window, issued)?;
    let mut view = view::build(sources, customer, &window, &issue);
    (view.id, view.uid, view.sequence) = (spec.stem.clone(), spec.uid.clone(), spec.sequence);
    for name in [&customer.id, &view.id] {
        file_name(name)?;
    }
    let dir = format!("notices/{}", customer.id);
    let mut files = Vec::new();
    for (format, text) in renderer.render_all(&view)? {
        files.push((format!("{dir}/{}.{format}", spec.stem), text));
    }
    if has_calendar(issue.kind) {
        files.push((format!("{dir}/{}.ics", spec.stem), ics::calendar(&view)));
    }
    let json = escape::json(&serde_json::to_string_pretty(&view).expect("views serialise")) + "\n";
    files.push((format!("{dir}/{}.json", spec.stem), json));
    // Rendering grows each text by doubling: a fleet's 55,000 files held 309 MB for 77 MB of
    // text until the run recorded and wrote them.
    for (_, text) in &mut files {
        text.shrink_to_fit();
    }
    let record = NoticeRecord {
        id: spec.id.clone(),
        customer: customer.id.clone(),
        window: spec.window.id.clone(),
        kind: issue.kind,
        uid: spec.uid.clone(),
        sequence: spec.sequence,
        send_at: issue.send_at,
        files: files.iter().map(|(p, _)| p.clone()).collect(),
    };
    Ok(Some(RenderedNotice { record, files }))
}

/// The [`Issue`] a ledger notice stands for. A failed window's `completed` notice says the
/// change was rolled back.
fn spec_issue(spec: &NoticeSpec, window: &WindowInput, issued: DateTime<Utc>) -> Result<Issue> {
    let kind = spec.kind;
    let lead = match &spec.reminder {
        Some(text) => Some(Duration::from_str(text).map_err(Error::Usage)?),
        None => None,
    };
    let send_at = lead.map_or(issued, |l| window.start - l.delta());
    Ok(Issue {
        kind,
        sequence: spec.sequence,
        issued,
        send_at,
        lead,
        previous: spec.previous.map(|(start, end)| Previous {
            window: window.id.clone(),
            start,
            end,
        }),
        outcome: spec.outcome.as_ref().map(|(status, _)| match *status {
            "failed" => Outcome::RolledBack,
            _ => Outcome::Done,
        }),
        note: spec.outcome.as_ref().and_then(|(_, note)| note.clone()),
    })
}

/// Writes notice files under `out`, each through a temporary file and a rename, so that a file
/// is either whole or absent. Every path must stay under `out` (relative, no `..`, no root): the
/// paths come from the ledger, which may have been restored from someone else's export.
pub fn write_files(out: &Path, files: &[(String, String)]) -> Result<()> {
    use rayon::prelude::*;
    // On the pool for file I/O: every file staged, then every one put in place.
    crate::files::on_io_pool(|| {
        let staged = files
            .par_chunks(64)
            .map(|run| stage_files(out, run))
            .collect::<Result<Vec<Staged>>>()?;
        staged.into_par_iter().try_for_each(Staged::publish)
    })
}

/// Files written in full beside their places, waiting for [`Staged::publish`] to rename them
/// into place: a run stages its notices before the ledger commits, so a file that cannot be
/// written (a full disk, a name too long) fails the run before anything is recorded. Dropped
/// unpublished, the temporaries are removed.
#[must_use]
pub struct Staged(Vec<(PathBuf, PathBuf)>);

/// Writes every file of `files` under `out` as a temporary file next to its place.
pub fn stage_files(out: &Path, files: &[(String, String)]) -> Result<Staged> {
    let mut staged = Staged(Vec::new());
    let mut made: Option<PathBuf> = None;
    for (rel, content) in files {
        let path = out.join(contained(rel)?);
        // An up-to-date file's directory is there.
        if unchanged(&path, content.as_bytes()) {
            continue;
        }
        if let Some(dir) = path.parent()
            && made.as_deref() != Some(dir)
        {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            made = Some(dir.to_path_buf());
        }
        let mut tmp = path.clone().into_os_string();
        tmp.push(".partial");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, content).map_err(|e| Error::io(&path, e))?;
        staged.0.push((tmp, path));
    }
    Ok(staged)
}

impl Staged {
    /// Renames every staged file into place.
    pub fn publish(mut self) -> Result<()> {
        for (tmp, path) in std::mem::take(&mut self.0) {
            std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        for (tmp, _) in &self.0 {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Whether `path` is already a regular file holding exactly `content`: such a file is left as it
/// is (its time stamps too), as make or rsync leave an up-to-date output, and a re-run over an
/// unchanged plan writes nothing. A symbolic link is never taken as up to date: publishing
/// replaces it with a file.
fn unchanged(path: &Path, content: &[u8]) -> bool {
    use std::io::Read;
    // Its size read from the open file, and no more read than that size: a fleet's run checks
    // tens of thousands of files this way.
    let Some((mut file, len)) = crate::files::open_regular(path, false) else {
        return false;
    };
    let mut old = vec![0; content.len()];
    len == content.len() as u64 && file.read_exact(&mut old).is_ok() && old == content
}

/// `rel` as a path that cannot leave the directory it is joined to.
fn contained(rel: &str) -> Result<&Path> {
    let path = Path::new(rel);
    let inside = !rel.is_empty()
        && !rel.contains('\\')
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    match inside {
        true => Ok(path),
        false => Err(Error::Usage(format!(
            "refusing to write `{}`: not a path inside the output directory",
            rel.escape_debug()
        ))),
    }
}

/// Whether `rel` has the shape of a notice file this program writes:
/// `notices/CUSTOMER/ID.FORMAT`, with a customer and an id that [`file_name`] accepts and one of
/// the notice formats. `ledger import` accepts no other path.
pub fn is_notice_path(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    let [notices, customer, file] = parts[..] else {
        return false;
    };
    let Some((id, ext)) = file.rsplit_once('.') else {
        return false;
    };
    let formats = TEMPLATE_FORMATS.iter().chain(&["ics", "json"]);
    notices == "notices"
        && file_name(customer).is_ok()
        && file_name(id).is_ok()
        && formats.into_iter().any(|f| *f == ext)
}

#[cfg(test)]
mod path_tests {
    use super::*;

    #[test]
    fn only_the_notice_file_shape_is_a_notice_path() {
        for ok in [
            "notices/acme/acme.w.2026-11-01.scheduled.ics",
            "notices/a/b.txt",
        ] {
            assert!(is_notice_path(ok), "{ok}");
        }
        for bad in [
            "../../x",
            "/tmp/x",
            "notices/../x.txt",
            "notices/a/../../b.txt",
            "notices/a/b.exe",
            "notices/.a/b.txt",
            "notices/a/b/c.txt",
            "notices\\a\\b.txt",
            "plan.json",
            "",
        ] {
            assert!(!is_notice_path(bad), "{bad}");
        }
    }

    #[test]
    fn writes_never_leave_the_output_directory() {
        for bad in ["../x", "/tmp/x", "a/../../x", "", "a\\..\\x"] {
            assert!(contained(bad).is_err(), "{bad}");
        }
        assert!(contained("notices/a/b.txt").is_ok());
    }

    #[test]
    fn an_up_to_date_file_is_left_alone_and_a_changed_one_replaced() {
        let dir = std::env::temp_dir().join(format!("patchplan-unchanged-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let files = |a: &str, b: &str| {
            vec![
                ("n/a.txt".to_string(), a.to_string()),
                ("n/b.txt".to_string(), b.to_string()),
            ]
        };
        write_files(&dir, &files("one", "two")).unwrap();
        let inode = |name: &str| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(dir.join("n").join(name)).unwrap().ino()
        };
        let (a, b) = (inode("a.txt"), inode("b.txt"));
        write_files(&dir, &files("one", "TWO")).unwrap();
        assert_eq!(inode("a.txt"), a, "the same content is not rewritten");
        assert_ne!(inode("b.txt"), b, "new content is renamed into place");
        assert_eq!(std::fs::read_to_string(dir.join("n/b.txt")).unwrap(), "TWO");
        // Same length, other bytes: still replaced.
        write_files(&dir, &files("uno", "TWO")).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("n/a.txt")).unwrap(), "uno");
        // A link is replaced by a file, never written through.
        let elsewhere = dir.join("elsewhere.txt");
        std::fs::write(&elsewhere, "uno").unwrap();
        std::fs::remove_file(dir.join("n/a.txt")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.join("n/a.txt")).unwrap();
        write_files(&dir, &files("uno", "TWO")).unwrap();
        assert!(
            std::fs::symlink_metadata(dir.join("n/a.txt"))
                .unwrap()
                .is_file()
        );
        // A named pipe is replaced too, and not waited on for something to read.
        std::fs::remove_file(dir.join("n/a.txt")).unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(dir.join("n/a.txt"))
            .status();
        match made {
            Ok(s) if s.success() => {
                write_files(&dir, &files("uno", "TWO")).unwrap();
                assert_eq!(std::fs::read_to_string(dir.join("n/a.txt")).unwrap(), "uno");
            }
            _ => eprintln!("skipped the named pipe: mkfifo did not run"),
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("n"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(leftovers.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
