//! The sources sorted into customers once, and the customers the operator page details.
//!
//! A fleet has thousands of customers and millions of findings. Every part of the report that
//! shows one customer (a timeline row, their notices, their page, calendar and feed) reads that
//! customer's [`Share`], made in one pass over each source, instead of filtering every window
//! and notice again per customer: the work grows with the fleet, not with customers times the
//! fleet.
//!
//! The operator page cannot show a fleet's every customer in detail and stay a page you can
//! open, so it details the [`Shown`] ones: every customer when they fit, else those with the
//! most urgent windows first, up to a number of customers and of windows. It says so, and
//! `plan.json` has everything.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::Sources;
use super::timeline::urgency;
use crate::inventory::Customer;
use crate::ledger::diff::LedgerWindow;
use crate::ledger::published::PublishedNotice;
use crate::schedule::Window;

/// Customers detailed on the operator page (timeline rows, windows, notices), at most.
pub const SHOWN_CUSTOMERS: usize = 100;
/// Windows of the detailed customers, at most (a customer's windows are shown all or none;
/// the most urgent customer is shown whatever its count).
pub const SHOWN_WINDOWS: usize = 1_000;

/// One customer's part of the sources.
pub struct Share<'s> {
    pub customer: &'s Customer,
    /// Its windows in the plan, by start.
    pub windows: Vec<&'s Window>,
    /// Its windows in the ledger, by start then key.
    pub ledger: Vec<&'s LedgerWindow>,
    /// Its notices, in order of issue.
    pub notices: Vec<&'s PublishedNotice>,
}

impl<'s> Share<'s> {
    /// Its ledger windows whose story is not over, by start.
    pub fn current(&self) -> impl Iterator<Item = &'s LedgerWindow> + '_ {
        self.ledger.iter().copied().filter(|l| !l.state.is_final())
    }
}

/// Every customer's share, in the inventory's order: one pass over the plan's windows, one over
/// the ledger's windows and one over the notices. Windows and notices of a customer no longer
/// in the inventory belong to nobody's share.
pub fn group<'s>(src: &'s Sources) -> Vec<Share<'s>> {
    let customers = &src.inv.customers;
    let mut shares: Vec<Share> = (customers.iter())
        .map(|customer| Share {
            customer,
            windows: Vec::new(),
            ledger: Vec::new(),
            notices: Vec::new(),
        })
        .collect();
    // Customers are sorted by id.
    let at = |id: &str| customers.binary_search_by(|c| c.id.as_str().cmp(id)).ok();
    for w in &src.plan.windows {
        if let Some(i) = at(&w.customer) {
            shares[i].windows.push(w);
        }
    }
    for l in &src.windows {
        if let Some(i) = at(&l.window.customer) {
            shares[i].ledger.push(l);
        }
    }
    for n in &src.notices {
        if let Some(i) = at(&n.customer) {
            shares[i].notices.push(n);
        }
    }
    shares
}

/// The customers the operator page details, and what it leaves to `plan.json`.
pub struct Shown<'s, 'a> {
    /// Every customer's share.
    pub all: &'a [Share<'s>],
    /// Every customer in the inventory's order when all fit; else the most urgent first.
    pub shares: Vec<&'a Share<'s>>,
    ids: HashSet<&'s str>,
}

impl<'s, 'a> Shown<'s, 'a> {
    /// Every customer when they fit in [`SHOWN_CUSTOMERS`] and [`SHOWN_WINDOWS`]; else, by
    /// urgency, as many as fit.
    pub fn of(all: &'a [Share<'s>]) -> Shown<'s, 'a> {
        Shown::within(all, SHOWN_CUSTOMERS, SHOWN_WINDOWS)
    }

    fn within(all: &'a [Share<'s>], customers: usize, windows: usize) -> Shown<'s, 'a> {
        let fits = all.len() <= customers && windows_of(all.iter()) <= windows;
        let mut shares: Vec<&Share> = all.iter().collect();
        if !fits {
            shares.sort_by_cached_key(|s| rank(s));
            let mut total = 0;
            let n = (shares.iter())
                .take(customers)
                .take_while(|s| {
                    total += s.windows.len();
                    total <= windows
                })
                .count();
            shares.truncate(n.max(1));
        }
        let ids = shares.iter().map(|s| s.customer.id.as_str()).collect();
        Shown { all, shares, ids }
    }

    /// Whether some customers are left out.
    pub fn capped(&self) -> bool {
        self.shares.len() < self.all.len()
    }

    /// Whether customer `id` is detailed.
    pub fn details(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// The windows of the shown customers.
    pub fn windows(&self) -> usize {
        windows_of(self.shares.iter().copied())
    }

    /// The windows of every customer.
    pub fn all_windows(&self) -> usize {
        windows_of(self.all.iter())
    }
}

fn windows_of<'a, 's: 'a>(shares: impl Iterator<Item = &'a Share<'s>>) -> usize {
    shares.map(|s| s.windows.len()).sum()
}

/// Most urgent first: a customer with an emergency, then one with a window of attend or act
/// tasks, then one with any window, then one with none; among equals, the one whose most urgent
/// window starts first.
fn rank(s: &Share) -> (u8, Option<DateTime<Utc>>) {
    let most = s.windows.iter().map(|w| urgency(w)).min();
    let first = (s.windows.iter())
        .filter(|w| Some(urgency(w)) == most)
        .map(|w| w.start)
        .min();
    (most.unwrap_or(u8::MAX), first)
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::duration::Duration;
    use crate::inventory::{Disclosure, Locale, Restart, Tier};
    use crate::risk::Decision;
    use crate::schedule::{Task, WindowKind};

    fn customer(id: &str) -> Customer {
        Customer {
            id: id.into(),
            name: id.into(),
            timezone: chrono_tz::UTC,
            locale: Locale::En,
            tier: Tier::Standard,
            notice: Duration::from_minutes(60),
            disclosure: Disclosure::Summary,
            contacts: Vec::new(),
            webhook: None,
            reminders: Vec::new(),
            windows: Vec::new(),
            blackouts: Vec::new(),
        }
    }

    /// A window of kind `k` (`E` an emergency, `H` planned with attend work, `P` planned with
    /// track work) starting `day` days from the first of November.
    fn window(customer: &str, k: char, day: i64) -> Window {
        let start = "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::days(day);
        let task = Task {
            environment: "env".into(),
            ecosystem: "acme".into(),
            package: "pkg".into(),
            from: "1".into(),
            to: "2".into(),
            findings: Vec::new().into(),
            decision: if k == 'P' {
                Decision::Track
            } else {
                Decision::Attend
            },
            deadline: None,
            minutes: 10,
            downtime_minutes: 0,
            restart: Restart::default(),
            install: None,
            start,
            deadline_missed: false,
        };
        Window {
            id: format!("{customer}.{day}"),
            customer: customer.into(),
            kind: if k == 'E' {
                WindowKind::Emergency
            } else {
                WindowKind::Planned
            },
            window: None,
            start,
            end: start + TimeDelta::hours(1),
            timezone: "UTC".into(),
            environments: vec!["env".into()],
            tasks: vec![task].into(),
            reasons: Vec::new(),
            reminders: Vec::new(),
        }
    }

    /// The customers shown of `fleet` (one string per customer: a letter per window, the
    /// window's place in the string its day) within `customers` and `windows`.
    fn case(fleet: &[&str], customers: usize, windows: usize, want: &[usize]) {
        let people: Vec<Customer> = (0..fleet.len())
            .map(|c| customer(&format!("c{c}")))
            .collect();
        let plan: Vec<Vec<Window>> = (fleet.iter().enumerate())
            .map(|(c, ws)| {
                (ws.chars().enumerate())
                    .map(|(day, k)| window(&format!("c{c}"), k, day as i64))
                    .collect()
            })
            .collect();
        let shares: Vec<Share> = (people.iter().zip(&plan))
            .map(|(customer, ws)| Share {
                customer,
                windows: ws.iter().collect(),
                ledger: Vec::new(),
                notices: Vec::new(),
            })
            .collect();
        let shown = Shown::within(&shares, customers, windows);
        let got: Vec<usize> = (shown.shares.iter())
            .map(|s| s.customer.id[1..].parse().unwrap())
            .collect();
        assert_eq!(
            got, want,
            "{fleet:?} within {customers} customers, {windows} windows"
        );
        assert_eq!(shown.capped(), want.len() < fleet.len());
        for (i, c) in people.iter().enumerate() {
            assert_eq!(shown.details(&c.id), want.contains(&i));
        }
    }

    #[test]
    fn shows_every_customer_that_fits_else_the_most_urgent_first() {
        // All fit: the inventory's order, whatever the urgency.
        case(&["PP", "E", "", "H"], 4, 10, &[0, 1, 2, 3]);
        // Too many customers: emergencies, then attend or act work, then any window, then none.
        case(&["PP", "E", "", "H"], 3, 10, &[1, 3, 0]);
        // Among equals, the one whose most urgent window is soonest; then the inventory's order.
        case(&["PE", "E", "PPE", "E"], 2, 10, &[1, 3]);
        case(&["PE", "E", "PPE", "E"], 4, 10, &[0, 1, 2, 3]);
        case(&["PE", "E", "PPE", "E"], 3, 10, &[1, 3, 0]);
        // Too many windows: customers whole, by urgency, until one does not fit.
        case(&["PPP", "E", "PP", "H"], 4, 5, &[1, 3, 0]);
        case(&["PPP", "E", "PP", "H"], 4, 4, &[1, 3]);
        // The most urgent customer is shown whatever its windows.
        case(&["EEEE", "P"], 2, 3, &[0]);
    }
}
