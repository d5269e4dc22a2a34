//! `patchplan windows CUSTOMER`: the next occurrences of a customer's maintenance windows, with
//! local and UTC times, the UTC offset in force, and the blackout that blocks each, if any.

use chrono::{DateTime, TimeDelta, Utc};
use clap::Args;
use serde::Serialize;

use super::{Cli, Format, Outcome, print, table};
use crate::error::{Error, Result};
use crate::schedule::occurrence::{self, Occurrence};

#[derive(Debug, Args)]
pub struct WindowsArgs {
    /// The customer id.
    customer: String,
    /// How many occurrences to list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    next: usize,
    /// List occurrences starting at or after this instant (RFC 3339; default: --now).
    #[arg(long, value_name = "RFC3339", value_parser = super::parse_now)]
    from: Option<DateTime<Utc>>,
}

/// `windows --format json`.
#[derive(Serialize)]
struct WindowsReport<'a> {
    schema: &'static str,
    customer: &'a str,
    timezone: &'a str,
    occurrences: &'a [Occurrence],
}

/// How far ahead occurrences are looked for: enough for `--next` of a yearly window.
const LOOKAHEAD_DAYS: i64 = 3 * 366;

pub fn run(cli: &Cli, args: &WindowsArgs) -> Result<Outcome> {
    let inv = crate::inventory::load(&cli.inventory)?;
    let Some(customer) = inv.customer(&args.customer) else {
        let ids: Vec<&str> = inv.customers.iter().map(|c| c.id.as_str()).collect();
        return Err(Error::Usage(format!(
            "no customer `{}`; the customers are: {}",
            args.customer,
            ids.join(", ")
        )));
    };
    let from = args.from.unwrap_or_else(|| cli.now());
    let mut found = occurrence::expand(customer, from, from + TimeDelta::days(LOOKAHEAD_DAYS));
    found.truncate(args.next);
    let report = WindowsReport {
        schema: "patchplan.windows/v1",
        customer: &customer.id,
        timezone: customer.timezone.name(),
        occurrences: &found,
    };
    match cli.format {
        Format::Json => {
            print(&(serde_json::to_string_pretty(&report).expect("reports serialise") + "\n"))?
        }
        Format::Table if !cli.quiet => print(&render(&report))?,
        Format::Table => {}
    }
    Ok(Outcome::Done)
}

fn render(report: &WindowsReport) -> String {
    if report.occurrences.is_empty() {
        return format!("{}: no occurrences\n", report.customer);
    }
    let rows: Vec<Vec<String>> = report
        .occurrences
        .iter()
        .map(|o| {
            let blocked = o.blocked_by.as_ref().map_or("-".into(), |b| {
                let kind = if b.hard { "hard" } else { "soft" };
                format!("{} ({kind})", b.reason)
            });
            vec![
                o.window.clone(),
                o.local_start.replace('T', " "),
                o.start.format("%Y-%m-%d %H:%MZ").to_string(),
                o.end.format("%Y-%m-%d %H:%MZ").to_string(),
                o.utc_offset.clone(),
                blocked,
            ]
        })
        .collect();
    let head = format!("{} ({})\n", report.customer, report.timezone);
    head + &table::render(
        &[
            "WINDOW",
            "LOCAL START",
            "START (UTC)",
            "END (UTC)",
            "OFFSET",
            "BLOCKED BY",
        ],
        &rows,
    )
}
