//! `patchplan notices`: render the notices of a saved plan again (all, or one customer's, one
//! window's, one kind's), or one `rescheduled`, `cancelled` or `completed` notice from flags,
//! until the ledger issues those by itself.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::Args;

use super::{Cli, Format, Outcome as Done, print, table, warn};
use crate::error::{Error, Result};
use crate::inventory::Inventory;
use crate::notice::input::{PlanInput, WindowInput};
use crate::notice::{self, Filter, Issue, Kind, NoticeRecord, Outcome, Previous, Rendered};

#[derive(Debug, Args)]
pub struct NoticesArgs {
    /// The saved plan: DIR/plan.json, as `plan` writes it.
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,
    /// Where to write notices/CUSTOMER/ (default: the plan's directory).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Only this customer's notices.
    #[arg(long, value_name = "ID")]
    customer: Option<String>,
    /// Only this window's notices; required by rescheduled, cancelled and completed.
    #[arg(long, value_name = "ID")]
    window: Option<String>,
    /// scheduled, reminder or emergency: only those of the plan's notices; rescheduled,
    /// cancelled or completed: that notice for --window.
    #[arg(long, value_name = "KIND")]
    kind: Option<Kind>,
    /// rescheduled: the start announced before.
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_now)]
    previous_start: Option<DateTime<Utc>>,
    /// rescheduled: the end announced before.
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_now)]
    previous_end: Option<DateTime<Utc>>,
    /// rescheduled: the window id it was announced under, whose calendar UID the notice keeps
    /// so calendars move the event (default: --window).
    #[arg(long, value_name = "ID")]
    previous_window: Option<String>,
    /// completed: done, partial or rolled-back [default: done].
    #[arg(long, value_name = "OUTCOME")]
    outcome: Option<Outcome>,
    /// rescheduled, cancelled, completed: a sentence to the customer (why, what happened).
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// rescheduled, cancelled, completed: the calendar SEQUENCE [default: 1 for rescheduled and
    /// cancelled, 0 for completed].
    #[arg(long, value_name = "N")]
    sequence: Option<u32>,
}

pub fn run(cli: &Cli, args: &NoticesArgs) -> Result<Done> {
    let inv = crate::inventory::load(&cli.inventory)?;
    let input = PlanInput::read(&args.plan)?;
    let now = cli.now.unwrap_or(input.now);
    let out = args.out.clone().unwrap_or_else(|| plan_dir(&args.plan));
    if let Some(c) = args
        .customer
        .as_deref()
        .filter(|c| inv.customer(c).is_none())
    {
        return Err(Error::Usage(format!(
            "no customer `{c}` in {}",
            inv.root.display()
        )));
    }
    let rendered = match args.kind {
        Some(kind @ (Kind::Rescheduled | Kind::Cancelled | Kind::Completed)) => {
            let window = window(args, &input, kind)?;
            let issue = operator_issue(args, kind, window, now)?;
            let record = notice::render_issue(&inv, &input, &out, window, &issue)?;
            Rendered {
                records: vec![record],
                notes: Vec::new(),
            }
        }
        kind => plan_notices(args, &inv, &input, &out, kind, now)?,
    };
    warn(cli, &rendered.notes);
    report(cli, &rendered, &out)
}

/// The notices `plan` issues (or those of one kind), as of `now`.
fn plan_notices(
    args: &NoticesArgs,
    inv: &Inventory,
    input: &PlanInput,
    out: &Path,
    kind: Option<Kind>,
    now: DateTime<Utc>,
) -> Result<Rendered> {
    refuse_operator_flags(args)?;
    let named = match kind {
        Some(k) if args.window.is_some() => Some(window(args, input, k)?),
        _ => find_window(args, input)?,
    };
    if let (Some(w), Some(c)) = (named, args.customer.as_deref())
        && w.customer != c
    {
        return Err(Error::Usage(format!(
            "window `{}` is for customer `{}`, not `{c}`",
            w.id, w.customer
        )));
    }
    let filter = Filter {
        customer: args.customer.as_deref(),
        window: args.window.as_deref(),
        kind,
    };
    notice::render(inv, input, out, filter, now)
}

/// `out/plan.json` -> `out`; a bare `plan.json` -> `.`.
fn plan_dir(plan: &Path) -> PathBuf {
    match plan.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The window `--window` names, which `kind` must fit.
fn window<'a>(args: &NoticesArgs, input: &'a PlanInput, kind: Kind) -> Result<&'a WindowInput> {
    let w = find_window(args, input)?.ok_or_else(|| {
        Error::Usage(format!(
            "--kind {} needs --window ID: the window it is about",
            kind.as_str()
        ))
    })?;
    if !kind.fits(w.emergency) {
        let what = if w.emergency {
            "an emergency intervention"
        } else {
            "a planned window"
        };
        return Err(Error::Usage(format!(
            "window `{}` is {what}: it has no {} notice",
            w.id,
            kind.as_str()
        )));
    }
    Ok(w)
}

/// The window `--window` names, if given; naming one the plan lacks is an error.
fn find_window<'a>(args: &NoticesArgs, input: &'a PlanInput) -> Result<Option<&'a WindowInput>> {
    let Some(id) = args.window.as_deref() else {
        return Ok(None);
    };
    match input.windows.iter().find(|w| w.id == id) {
        Some(w) => Ok(Some(w)),
        None => Err(Error::Usage(format!(
            "no window `{id}` in {}",
            args.plan.display()
        ))),
    }
}

/// The rescheduled, cancelled or completed notice the flags describe.
fn operator_issue(
    args: &NoticesArgs,
    kind: Kind,
    window: &WindowInput,
    now: DateTime<Utc>,
) -> Result<Issue> {
    let only = |set: bool, flag: &str, for_kind: Kind| match set && kind != for_kind {
        true => Err(Error::Usage(format!(
            "{flag} is for --kind {}",
            for_kind.as_str()
        ))),
        false => Ok(()),
    };
    only(
        args.previous_start.is_some(),
        "--previous-start",
        Kind::Rescheduled,
    )?;
    only(
        args.previous_end.is_some(),
        "--previous-end",
        Kind::Rescheduled,
    )?;
    only(
        args.previous_window.is_some(),
        "--previous-window",
        Kind::Rescheduled,
    )?;
    only(args.outcome.is_some(), "--outcome", Kind::Completed)?;
    let mut issue = Issue::new(kind, now);
    issue.sequence = args.sequence.unwrap_or(u32::from(kind != Kind::Completed));
    issue.note = args.note.clone();
    match kind {
        Kind::Rescheduled => issue.previous = Some(previous(args, window)?),
        Kind::Completed => issue.outcome = Some(args.outcome.unwrap_or(Outcome::Done)),
        _ => {}
    }
    Ok(issue)
}

fn previous(args: &NoticesArgs, window: &WindowInput) -> Result<Previous> {
    let (Some(start), Some(end)) = (args.previous_start, args.previous_end) else {
        return Err(Error::Usage(
            "--kind rescheduled needs --previous-start and --previous-end: the times announced before".into(),
        ));
    };
    if end <= start {
        return Err(Error::Usage(format!(
            "--previous-end {end} is not after --previous-start {start}"
        )));
    }
    Ok(Previous {
        window: args.previous_window.clone().unwrap_or(window.id.clone()),
        start,
        end,
    })
}

/// The flags of rescheduled, cancelled and completed notices make no sense for the others.
fn refuse_operator_flags(args: &NoticesArgs) -> Result<()> {
    let set = [
        (args.previous_start.is_some(), "--previous-start"),
        (args.previous_end.is_some(), "--previous-end"),
        (args.previous_window.is_some(), "--previous-window"),
        (args.outcome.is_some(), "--outcome"),
        (args.note.is_some(), "--note"),
        (args.sequence.is_some(), "--sequence"),
    ];
    match set.iter().find(|(on, _)| *on) {
        Some((_, flag)) => Err(Error::Usage(format!(
            "{flag} is for --kind rescheduled, cancelled or completed"
        ))),
        None => Ok(()),
    }
}

fn report(cli: &Cli, rendered: &Rendered, out: &Path) -> Result<Done> {
    match cli.format {
        Format::Json => {
            let body = serde_json::json!({
                "schema": "patchplan.notices/v1",
                "notices": rendered.records,
                "notes": rendered.notes,
            });
            print(&(serde_json::to_string_pretty(&body).expect("records serialise") + "\n"))?;
        }
        Format::Table if !cli.quiet => print(&summary(&rendered.records, out))?,
        Format::Table => {}
    }
    Ok(Done::Done)
}

fn summary(records: &[NoticeRecord], out: &Path) -> String {
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                r.send_at.format("%Y-%m-%d %H:%MZ").to_string(),
                r.kind.as_str().into(),
                r.customer.clone(),
                r.id.clone(),
            ]
        })
        .collect();
    let mut text = table::render(&["SEND AT (UTC)", "KIND", "CUSTOMER", "NOTICE"], &rows);
    let noun = if records.len() == 1 {
        "notice"
    } else {
        "notices"
    };
    // Reminders have no calendar file, so the count is the files', not notices times formats.
    let files: usize = records.iter().map(|r| r.files.len()).sum();
    text.push_str(&format!(
        "\n{} {noun}, {files} files, written to {}\n",
        records.len(),
        out.join("notices").display()
    ));
    text
}
