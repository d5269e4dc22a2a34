//! The report: a plan to look at, not to read. `plan` writes it beside `plan.json`, after the
//! ledger commits, as self-contained files (styles and script inline, nothing fetched):
//!
//! - `report/index.html`, the operator's view: the summary (findings by decision and status,
//!   emergencies, deadline misses, unscheduled findings by reason, feeds and their age), a
//!   timeline of the horizon with a row per customer, the windows, a findings table that script
//!   sorts, filters and pages (findings travel as compact dictionary-coded JSON rows; without
//!   script the first rows render as HTML), and every customer's current notices with links to
//!   their files.
//! - `report/customers/ID/index.html`, the customer's page, in their language and zone and at
//!   their disclosure level (it is built from the same view model as the notices, so `summary`
//!   shows no component, version or advisory): upcoming maintenance and emergencies, recent
//!   completed work, a subscribable `maintenance.ics` of every current window (the UIDs and
//!   SEQUENCEs the ledger gave their notices) and `notices.atom`, the feed of their notices.
//!
//! A fleet (thousands of customers, millions of findings) gets the same files, made in time
//! linear in the fleet and with an operator page of bounded size:
//!
//! - the sources are sorted into customers once ([`by_customer`]) and the findings counted in
//!   one pass ([`tally`]), so nothing is filtered again per customer; customers' files are made
//!   on every core;
//! - the operator page carries the [`findings::ROWS`] most urgent findings and details (timeline
//!   row, windows, notices) only the customers with the most urgent windows, up to
//!   [`by_customer::SHOWN_CUSTOMERS`] customers and [`by_customer::SHOWN_WINDOWS`] windows; the
//!   other customers are listed with a link to their page. Where it leaves something out the
//!   page says so; its counts are over everything, and `plan.json` has every finding and window.
//!   A plan that fits (the example) is shown whole, as before.
//!
//! Everything comes from the plan, the inventory and the ledger as committed; nothing reads the
//! clock, so the same inputs and `--now` give the same bytes.

mod by_customer;
mod customer;
mod findings;
mod html;
mod operator;
mod tally;
mod timeline;
mod words;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::inventory::Inventory;
use crate::ledger::diff::LedgerWindow;
use crate::ledger::published::PublishedNotice;
use crate::plan::Plan;
use by_customer::Shown;

/// What the report is made from.
pub struct Sources<'a> {
    pub inv: &'a Inventory,
    pub plan: &'a Plan,
    /// Every window of the ledger, by start.
    pub windows: Vec<LedgerWindow>,
    /// Every notice issued, in order.
    pub notices: Vec<PublishedNotice>,
    /// What the plan's notices are made from (see [`crate::notice::sources`]).
    pub notice: &'a crate::notice::view::Sources<'a>,
}

impl Sources<'_> {
    /// The notices of each window key.
    pub fn notices_by_window(&self) -> HashMap<&str, Vec<&PublishedNotice>> {
        let mut by: HashMap<&str, Vec<&PublishedNotice>> = HashMap::new();
        for n in &self.notices {
            by.entry(n.window.as_str()).or_default().push(n);
        }
        by
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.plan.now
    }
}

/// The report's files, paths relative to the output directory: the operator's page, then each
/// customer's three files in the inventory's order. The sources are grouped by customer once;
/// the operator's page and the customers' files are made on every core.
pub fn render(src: &Sources) -> Result<Vec<(String, String)>> {
    for c in &src.inv.customers {
        dir_name(&c.id)?;
    }
    let shares = by_customer::group(src);
    let (operator, customers) = rayon::join(
        || operator::page(src, &Shown::of(&shares)),
        || {
            (shares.par_iter())
                .map(|share| customer::files(src, share))
                .collect::<Vec<_>>()
        },
    );
    let mut files = Vec::with_capacity(1 + 3 * customers.len());
    files.push(("report/index.html".to_string(), operator));
    for (share, (page, ics, atom)) in shares.iter().zip(customers) {
        let dir = format!("report/customers/{}", share.customer.id);
        files.push((format!("{dir}/index.html"), page));
        files.push((format!("{dir}/maintenance.ics"), ics));
        files.push((format!("{dir}/notices.atom"), atom));
    }
    Ok(files)
}

/// A customer id names a directory: nothing that climbs out of `report/customers/`.
fn dir_name(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && !id.starts_with('.')
        && !id.chars().any(|c| c == '/' || c == '\\' || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "customer id `{}` cannot name a report directory",
            id.escape_debug()
        )))
    }
}
