//! `patchplan feeds sync|status`, and the `--refresh` / `--require-fresh` options of `plan` and
//! `scan`: fetching URL feeds into the cache and saying how current each feed is.

use std::io::IsTerminal;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::{Cli, Format, Outcome, print, table, warn};
use crate::error::{Error, Result};
use crate::feeds::sync::{self, Options, Outcome as Synced, Progress, Report};
use crate::feeds::{Cache, FeedSpec, Feeds};
use crate::inventory::Inventory;

#[derive(Debug, Args)]
pub struct FeedsArgs {
    #[command(subcommand)]
    command: FeedsCommand,
}

#[derive(Debug, Subcommand)]
enum FeedsCommand {
    /// Fetch every URL feed (or those named) into the cache.
    Sync(SyncArgs),
    /// Each feed's age, records, snapshot identity and state.
    Status(StatusArgs),
}

/// `feeds status` takes the global `--verbose`: every warning about every feed record (plan and
/// scan count those about records that affect none of their packages in one line per feed).
#[derive(Debug, Args)]
pub struct StatusArgs {}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Feed ids to fetch (default: every feed whose source is a URL).
    #[arg(value_name = "FEED")]
    feeds: Vec<String>,
    #[command(flatten)]
    http: HttpArgs,
}

/// How feeds are fetched.
#[derive(Debug, Clone, Args)]
pub struct HttpArgs {
    /// Give up on a download after this many seconds (body included).
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    timeout: u64,
    /// Give up connecting after this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    connect_timeout: u64,
    /// Further attempts on connection errors, timeouts and 5xx answers (never on 4xx).
    #[arg(long, value_name = "N", default_value_t = 3)]
    retries: u32,
    /// The largest download accepted, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    max_size: u64,
}

impl HttpArgs {
    fn options(&self) -> Options {
        Options {
            connect_timeout: std::time::Duration::from_secs(self.connect_timeout),
            timeout: std::time::Duration::from_secs(self.timeout),
            retries: self.retries,
            max_bytes: self.max_size.saturating_mul(1 << 20),
            ..Options::default()
        }
    }
}

/// `--refresh` and `--require-fresh`, shared by `plan` and `scan`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Feeds")]
pub struct FreshArgs {
    /// Fetch URL feeds first (otherwise only the cache is read).
    #[arg(long)]
    refresh: bool,
    /// Fail (exit 2) when a feed is stale or was never fetched.
    #[arg(long)]
    require_fresh: bool,
    #[command(flatten)]
    http: HttpArgs,
}

pub fn run(cli: &Cli, args: &FeedsArgs) -> Result<Outcome> {
    let inv = crate::inventory::load(&cli.inventory)?;
    match &args.command {
        FeedsCommand::Sync(a) => sync_command(cli, &inv, a),
        FeedsCommand::Status(_) => status_command(cli, &inv, cli.verbose),
    }
}

/// The cache: `--cache DIR`, or `INVENTORY/.patchplan/feeds`.
pub fn cache(cli: &Cli) -> Cache {
    let dir = cli.cache.clone();
    Cache::new(dir.unwrap_or_else(|| cli.inventory.join(".patchplan").join("feeds")))
}

/// Before `plan` or `scan`: fetch URL feeds when `--refresh` is given. A failed fetch is a
/// warning; the last good copy is used.
pub fn refresh(cli: &Cli, inv: &Inventory, args: &FreshArgs) -> Vec<String> {
    if !args.refresh {
        return Vec::new();
    }
    let specs: Vec<&FeedSpec> = inv
        .feeds
        .iter()
        .filter(|f| sync::is_url(&f.source))
        .collect();
    let reports = fetch(cli, &specs, &args.http.options());
    let mut warnings = Vec::new();
    for r in reports {
        warnings.extend(r.warnings.iter().map(|w| format!("feed {}: {w}", r.feed)));
        if let Synced::Failed(why) = &r.outcome {
            warnings.push(format!(
                "feed {}: refresh failed, the last good copy is used: {why}",
                r.feed
            ));
        }
    }
    warnings
}

/// After loading: with `--require-fresh`, a stale or missing feed is an error.
pub fn require_fresh(feeds: &Feeds, args: &FreshArgs) -> Result<()> {
    let unfresh: Vec<String> = feeds
        .snapshots
        .iter()
        .filter(|s| matches!(s.state.as_str(), "stale" | "missing"))
        .map(|s| format!("{} ({})", s.id, s.state.as_str()))
        .collect();
    if args.require_fresh && !unfresh.is_empty() {
        return Err(Error::Usage(format!(
            "--require-fresh: feeds not fresh: {}; run `patchplan feeds sync`",
            unfresh.join(", ")
        )));
    }
    Ok(())
}

fn sync_command(cli: &Cli, inv: &Inventory, args: &SyncArgs) -> Result<Outcome> {
    let specs = selected(inv, &args.feeds)?;
    let reports = fetch(cli, &specs, &args.http.options());
    let warnings: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r.warnings
                .iter()
                .map(move |w| format!("feed {}: {w}", r.feed))
        })
        .collect();
    warn(cli, &warnings);
    let rows: Vec<SyncRow> = reports.iter().map(SyncRow::from).collect();
    match cli.format {
        Format::Json => print(&json(&SyncReport {
            schema: "patchplan.feeds-sync/v1",
            feeds: &rows,
        }))?,
        Format::Table if !cli.quiet => print(&sync_table(&rows))?,
        Format::Table => {}
    }
    let failed: Vec<String> = reports
        .iter()
        .filter_map(|r| match &r.outcome {
            Synced::Failed(why) => Some(format!("feed {} ({}): {why}", r.feed, r.url)),
            _ => None,
        })
        .collect();
    if failed.is_empty() {
        return Ok(Outcome::Done);
    }
    Err(Error::Usage(format!(
        "{}\n{} of {} feeds not synced; their last good copies are kept",
        failed.join("\n"),
        failed.len(),
        reports.len()
    )))
}

/// The feeds to sync: the ones named (each must be a URL feed), or every URL feed.
fn selected<'a>(inv: &'a Inventory, names: &[String]) -> Result<Vec<&'a FeedSpec>> {
    if names.is_empty() {
        return Ok(inv
            .feeds
            .iter()
            .filter(|f| sync::is_url(&f.source))
            .collect());
    }
    names
        .iter()
        .map(|n| match inv.feeds.iter().find(|f| &f.id == n) {
            Some(f) if sync::is_url(&f.source) => Ok(f),
            Some(f) => Err(Error::Usage(format!(
                "feed `{n}` is read from {}, not fetched; nothing to sync",
                f.source
            ))),
            None => {
                let ids: Vec<&str> = inv.feeds.iter().map(|f| f.id.as_str()).collect();
                Err(Error::Usage(format!(
                    "no feed `{n}`; the feeds are: {}",
                    ids.join(", ")
                )))
            }
        })
        .collect()
}

fn fetch(cli: &Cli, specs: &[&FeedSpec], options: &Options) -> Vec<Report> {
    let bar = (!cli.quiet && std::io::stderr().is_terminal()).then(ProgressBar::no_length);
    if let Some(b) = &bar {
        b.set_draw_target(ProgressDrawTarget::stderr());
    }
    let mut progress = |p: Progress| {
        let Some(b) = &bar else { return };
        match p {
            Progress::Start { feed, total } => {
                b.reset();
                b.set_style(style(total.is_some()));
                b.set_length(total.unwrap_or(0));
                b.set_message(feed.to_string());
            }
            Progress::Advance(n) => b.inc(n),
            Progress::Finish => b.finish_and_clear(),
        }
    };
    sync::sync(specs, &cache(cli), options, cli.now(), &mut progress)
}

fn style(known_length: bool) -> ProgressStyle {
    let template = if known_length {
        "{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}"
    } else {
        "{msg:>12} {spinner} {bytes} {bytes_per_sec}"
    };
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

#[derive(Serialize)]
struct SyncReport<'a> {
    schema: &'static str,
    feeds: &'a [SyncRow],
}

#[derive(Serialize)]
struct SyncRow {
    feed: String,
    url: String,
    /// `updated`, `not-modified` or `failed`.
    result: &'static str,
    records: Option<usize>,
    bytes: Option<u64>,
    error: Option<String>,
}

impl From<&Report> for SyncRow {
    fn from(r: &Report) -> Self {
        let (result, records, bytes, error) = match &r.outcome {
            Synced::Updated { records, bytes } => ("updated", Some(*records), Some(*bytes), None),
            Synced::NotModified => ("not-modified", None, None, None),
            Synced::Failed(why) => ("failed", None, None, Some(why.clone())),
        };
        SyncRow {
            feed: r.feed.clone(),
            url: r.url.clone(),
            result,
            records,
            bytes,
            error,
        }
    }
}

fn sync_table(rows: &[SyncRow]) -> String {
    if rows.is_empty() {
        return "no feed has a URL source; nothing to sync\n".into();
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let n = |v: Option<String>| v.unwrap_or_else(|| "-".into());
            vec![
                r.feed.clone(),
                r.result.to_string(),
                n(r.records.map(|x| x.to_string())),
                n(r.bytes.map(|x| x.to_string())),
                r.url.clone(),
            ]
        })
        .collect();
    table::render(&["FEED", "RESULT", "RECORDS", "BYTES", "URL"], &cells)
}

fn status_command(cli: &Cli, inv: &Inventory, verbose: bool) -> Result<Outcome> {
    let now = cli.now();
    let mut feeds = Feeds::default();
    feeds.set_cache(cache(cli));
    feeds.load_all(&inv.feeds)?;
    feeds.check_freshness(&inv.policy.stale_after, now);
    if verbose {
        warn(cli, &feeds.warning_lines());
    }
    let rows: Vec<StatusRow> = feeds
        .snapshots
        .iter()
        .map(|s| StatusRow::new(s, now))
        .collect();
    match cli.format {
        Format::Json => print(&json(&StatusReport {
            schema: "patchplan.feeds-status/v1",
            now,
            feeds: &rows,
        }))?,
        Format::Table if !cli.quiet => print(&status_table(&rows))?,
        Format::Table => {}
    }
    Ok(Outcome::Done)
}

#[derive(Serialize)]
struct StatusReport<'a> {
    schema: &'static str,
    now: DateTime<Utc>,
    feeds: &'a [StatusRow],
}

#[derive(Serialize)]
struct StatusRow {
    id: String,
    kind: crate::feeds::FeedKind,
    source: String,
    state: &'static str,
    fetched_at: Option<DateTime<Utc>>,
    /// Hours since the last fetch.
    age_hours: Option<f64>,
    records: usize,
    identity: Option<String>,
    sha256: Option<String>,
}

impl StatusRow {
    fn new(s: &crate::feeds::Snapshot, now: DateTime<Utc>) -> Self {
        let age = s
            .fetched_at
            .map(|f| ((now - f).num_minutes() as f64 / 6.0).round() / 10.0);
        StatusRow {
            id: s.id.clone(),
            kind: s.kind,
            source: s.source.clone(),
            state: s.state.as_str(),
            fetched_at: s.fetched_at,
            age_hours: age,
            records: s.records,
            identity: s.identity.clone(),
            sha256: s.sha256.clone(),
        }
    }
}

fn status_table(rows: &[StatusRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                format!("{:?}", r.kind).to_lowercase(),
                r.state.to_string(),
                r.age_hours.map_or("-".into(), |h| format!("{h}h")),
                r.records.to_string(),
                r.identity.clone().unwrap_or_else(|| "-".into()),
                r.source.clone(),
            ]
        })
        .collect();
    table::render(
        &[
            "FEED", "KIND", "STATE", "AGE", "RECORDS", "SNAPSHOT", "SOURCE",
        ],
        &cells,
    )
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("reports serialise") + "\n"
}
