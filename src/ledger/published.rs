//! What the report publishes from the ledger: every window with its state (the current ones go
//! into a customer's calendar with the UIDs and SEQUENCEs their notices carried, the finished
//! ones are the customer's recent work), and every notice issued with its files, for the
//! customers' Atom feeds and the operator's list of notices.

use super::diff::LedgerWindow;
use super::{Ledger, Result};

/// A notice as issued, with its files.
#[derive(Debug, Clone)]
pub struct PublishedNotice {
    pub id: String,
    pub customer: String,
    /// The window's ledger key.
    pub window: String,
    pub kind: String,
    pub uid: String,
    pub sequence: u32,
    /// RFC 3339 UTC, as stored.
    pub issued_at: String,
    /// Paths relative to the output directory, sorted.
    pub files: Vec<String>,
    /// The content of its `.json` file (the notice's view model), if it has one.
    pub view: Option<String>,
}

impl Ledger {
    /// Every window, by start then key; `LedgerWindow::state` says which are current.
    pub fn all_windows(&self) -> Result<Vec<LedgerWindow>> {
        self.windows("")
    }

    /// [`Ledger::all_windows`] in the transaction of the run whose windows are `written`: those
    /// are taken from the run, not parsed back. A debug build checks that they read alike.
    pub fn all_windows_after(
        &self,
        written: &[super::diff::WindowWrite],
    ) -> Result<Vec<LedgerWindow>> {
        let windows = self.windows_written("", written)?;
        #[cfg(debug_assertions)]
        read_alike("windows", &self.all_windows()?, &windows, |w| {
            let window = serde_json::to_string(&w.window).expect("windows serialise");
            let state = w.state.as_str();
            format!(
                "{} {} {} {state} {window} {}",
                w.key, w.uid, w.sequence, w.facts
            )
        });
        Ok(windows)
    }

    /// Every notice issued, in the order issued, with its files.
    pub fn published_notices(&self) -> Result<Vec<PublishedNotice>> {
        self.published_notices_with(i64::MAX, &Default::default())
    }

    /// [`Ledger::published_notices`] in the transaction of run `run`, whose notices' files are
    /// `files` (path, content): their views are taken from the run, not inflated back. A debug
    /// build checks that they read alike.
    pub fn published_notices_after(
        &self,
        run: i64,
        files: &[&[(String, String)]],
    ) -> Result<Vec<PublishedNotice>> {
        let first: Option<i64> = self
            .conn()
            .query_row("SELECT min(seq) FROM notices WHERE run = ?1", [run], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))?;
        let views: rustc_hash::FxHashMap<&str, &str> = (files.iter().copied().flatten())
            .filter(|(path, _)| path.ends_with(".json"))
            .map(|(path, content)| (path.as_str(), content.as_str()))
            .collect();
        let notices = self.published_notices_with(first.unwrap_or(i64::MAX), &views)?;
        #[cfg(debug_assertions)]
        read_alike("notices", &self.published_notices()?, &notices, |n| {
            format!("{n:?}")
        });
        Ok(notices)
    }

    fn published_notices_with(
        &self,
        first: i64,
        views: &rustc_hash::FxHashMap<&str, &str>,
    ) -> Result<Vec<PublishedNotice>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT seq, id, customer, window_key, kind, uid, sequence, issued_at FROM notices ORDER BY seq")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    PublishedNotice {
                        id: r.get(1)?,
                        customer: r.get(2)?,
                        window: r.get(3)?,
                        kind: r.get(4)?,
                        uid: r.get(5)?,
                        sequence: r.get(6)?,
                        issued_at: r.get(7)?,
                        files: Vec::new(),
                        view: None,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut all: Vec<(i64, PublishedNotice)> = rows
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))?;
        for (seq, path, view) in self.notice_views_before(first, views)? {
            let Ok(at) = all.binary_search_by_key(&seq, |(s, _)| *s) else {
                continue;
            };
            let n = &mut all[at].1;
            if view.is_some() {
                n.view = view;
            }
            n.files.push(path);
        }
        Ok(all.into_iter().map(|(_, n)| n).collect())
    }
}

/// Panics unless what a run took from itself (`taken`) reads as what the ledger holds (`read`),
/// each item as `row` gives it: the check of a debug build.
#[cfg(debug_assertions)]
fn read_alike<T>(what: &str, read: &[T], taken: &[T], row: impl Fn(&T) -> String) {
    let read: Vec<String> = read.iter().map(&row).collect();
    let taken: Vec<String> = taken.iter().map(&row).collect();
    assert!(
        read == taken,
        "the run's {what} read as the ledger holds them"
    );
}
