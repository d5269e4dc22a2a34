//! Loading advisory feeds from files, directories and zip archives into one [`Feeds`] value.
//!
//! One malformed record is a warning naming its file or zip entry; the rest of the feed loads.
//! Fetching feeds over HTTP into the cache is `feeds sync` (a later stage); here a URL source is
//! read from the cache if it has been synced.

pub mod cache;
mod index;
pub mod sync;
mod zipfeed;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::advisory::epss::{self, Epss};
use crate::advisory::kev::{self, Kev};
use crate::advisory::osv::{self, Loaded};
use crate::advisory::{Advisory, LoadWarning};
use crate::error::{Error, Result};

pub use cache::Cache;
pub use index::Key;

use crate::inventory::StaleAfter;

pub use crate::inventory::{FeedKind, FeedSpec};

/// What was loaded from one feed: the snapshot a plan records it used.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub id: String,
    pub kind: FeedKind,
    pub source: String,
    pub records: usize,
    pub withdrawn: usize,
    pub skipped: usize,
    /// KEV `catalogVersion`, or EPSS `model_version` and `score_date`; for a fetched OSV
    /// export, its fetch time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Whether the copy used is current: `local` for a file of the inventory's own.
    pub state: FeedState,
    /// When a fetched feed was last confirmed by its server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<DateTime<Utc>>,
    /// SHA-256 of the fetched file used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl Snapshot {
    fn new(spec: &FeedSpec) -> Snapshot {
        Snapshot {
            id: spec.id.clone(),
            kind: spec.kind,
            source: spec.source.clone(),
            records: 0,
            withdrawn: 0,
            skipped: 0,
            identity: None,
            state: FeedState::Local,
            fetched_at: None,
            sha256: None,
        }
    }
}

/// How current the copy of a feed is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedState {
    /// A file or directory of the inventory's own: as current as the operator keeps it.
    Local,
    /// Fetched, and younger than the policy's `stale_after` for its kind.
    Fresh,
    /// Fetched, but older than that.
    Stale,
    /// A URL feed never fetched: nothing of it was used.
    Missing,
}

impl FeedState {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedState::Local => "local",
            FeedState::Fresh => "fresh",
            FeedState::Stale => "stale",
            FeedState::Missing => "missing",
        }
    }
}

/// Every advisory and score known, from every feed.
#[derive(Debug, Default)]
pub struct Feeds {
    pub advisories: Vec<Advisory>,
    pub kev: Kev,
    pub epss: Epss,
    pub snapshots: Vec<Snapshot>,
    pub warnings: Vec<LoadWarning>,
    /// Advisory records loaded per ecosystem, with its release (`Debian:12`; every record, kept
    /// or not): which ecosystems and releases the feeds cover at all.
    pub coverage: BTreeMap<String, usize>,
    /// Per feed, warnings about records that affect none of the filter's packages: counted, not
    /// listed (`feeds status --verbose`, which loads without a filter, lists them).
    pub unrelated_warnings: BTreeMap<String, usize>,
    /// When set, only OSV records affecting one of these packages are kept (counts and warnings
    /// still cover every record).
    filter: Option<HashSet<Key>>,
    /// Where URL feeds are read from.
    cache: Option<Cache>,
}

impl Feeds {
    /// No feeds yet; OSV records loaded later are kept only when they affect one of `packages`
    /// (ecosystem base, canonical name). Matching never looks at the others, and an OSV zip with
    /// a cached index is then read record by record instead of whole.
    pub fn for_packages(packages: impl IntoIterator<Item = Key>) -> Feeds {
        Feeds {
            filter: Some(packages.into_iter().collect()),
            ..Feeds::default()
        }
    }

    /// Reads URL feeds from `cache` (without it, they are reported missing).
    pub fn set_cache(&mut self, cache: Cache) {
        self.cache = Some(cache);
    }

    /// Marks fetched feeds older than `limits` allow as stale, with a warning each; returns the
    /// snapshots that are stale or missing.
    pub fn check_freshness(&mut self, limits: &StaleAfter, now: DateTime<Utc>) -> Vec<&Snapshot> {
        for snap in &mut self.snapshots {
            let Some(fetched) = snap.fetched_at else {
                continue;
            };
            let limit = match snap.kind {
                FeedKind::Osv => limits.osv,
                FeedKind::Kev => limits.kev,
                FeedKind::Epss => limits.epss,
                FeedKind::Native => continue,
            };
            let age = now - fetched;
            if age > limit.delta() {
                snap.state = FeedState::Stale;
                self.warnings.push(LoadWarning {
                    feed: snap.id.clone(),
                    entry: snap.source.clone(),
                    message: format!(
                        "stale: last fetched {} ago, more than {limit}; run `patchplan feeds sync`",
                        crate::duration::Duration::from_minutes(age.num_minutes())
                    ),
                });
            }
        }
        self.snapshots
            .iter()
            .filter(|s| matches!(s.state, FeedState::Stale | FeedState::Missing))
            .collect()
    }

    /// Loads every feed in `specs` into `self`: each into a part of its own, the feeds at once
    /// on the pool (they are separate files), then the parts added in the order of `specs`, as
    /// loading them one after the other would. The first feed (in that order) that fails to load
    /// is the error.
    pub fn load_all(&mut self, specs: &[FeedSpec]) -> Result<()> {
        use rayon::prelude::*;
        let parts: Vec<Result<Feeds>> = (specs.par_iter())
            .map(|spec| {
                let mut part = Feeds {
                    filter: self.filter.clone(),
                    cache: self.cache.clone(),
                    ..Feeds::default()
                };
                part.load_one(spec).map(|()| part)
            })
            .collect();
        for (spec, part) in specs.iter().zip(parts) {
            self.add(spec, part?);
        }
        Ok(())
    }

    /// Adds `part`, feed `spec` loaded on its own, after what `self` holds.
    fn add(&mut self, spec: &FeedSpec, part: Feeds) {
        let loaded = (part.snapshots.iter()).any(|s| !matches!(s.state, FeedState::Missing));
        self.advisories.extend(part.advisories);
        self.snapshots.extend(part.snapshots);
        self.warnings.extend(part.warnings);
        for (ecosystem, n) in part.coverage {
            *self.coverage.entry(ecosystem).or_default() += n;
        }
        for (feed, n) in part.unrelated_warnings {
            *self.unrelated_warnings.entry(feed).or_default() += n;
        }
        self.kev.entries.extend(part.kev.entries);
        self.epss.scores.extend(part.epss.scores);
        // A catalogue's version and a model's are the last loaded feed's of its kind.
        match spec.kind {
            FeedKind::Kev if loaded => self.kev.catalog_version = part.kev.catalog_version,
            FeedKind::Epss if loaded => {
                self.epss.model_version = part.epss.model_version;
                self.epss.score_date = part.epss.score_date;
            }
            _ => {}
        }
    }

    /// Loads every feed in `specs`.
    pub fn load(specs: &[FeedSpec]) -> Result<Feeds> {
        let mut feeds = Feeds::default();
        feeds.load_all(specs)?;
        Ok(feeds)
    }

    /// Adds advisories already loaded (the inventory's own `advisories/`) as a native feed.
    pub fn add_native(&mut self, id: &str, source: &Path, advisories: Vec<Advisory>) {
        let spec = FeedSpec {
            id: id.to_string(),
            kind: FeedKind::Native,
            source: source.display().to_string(),
        };
        self.snapshots.push(Snapshot {
            records: advisories.len(),
            ..Snapshot::new(&spec)
        });
        for a in &advisories {
            self.cover(&index::ecosystems_of(a));
        }
        self.advisories.extend(advisories);
    }

    /// Loads one feed and adds its records.
    pub fn load_one(&mut self, spec: &FeedSpec) -> Result<()> {
        let mut snapshot = Snapshot::new(spec);
        let path = if sync::is_url(&spec.source) {
            let cached = self
                .cache
                .as_ref()
                .and_then(|c| c.data(&spec.id, &spec.source, spec.kind));
            let Some((path, meta)) = cached else {
                snapshot.state = FeedState::Missing;
                self.snapshots.push(snapshot);
                self.warnings.push(LoadWarning {
                    feed: spec.id.clone(),
                    entry: spec.source.clone(),
                    message: "missing: never fetched; run `patchplan feeds sync`".into(),
                });
                return Ok(());
            };
            snapshot.state = FeedState::Fresh;
            snapshot.fetched_at = Some(meta.fetched_at);
            snapshot.sha256 = Some(meta.sha256);
            snapshot.identity = meta.identity;
            path
        } else {
            PathBuf::from(&spec.source)
        };
        match spec.kind {
            FeedKind::Osv => self.load_osv(&path, &mut snapshot)?,
            FeedKind::Kev => self.load_kev(&path, &mut snapshot)?,
            FeedKind::Epss => self.load_epss(&path, &mut snapshot)?,
            FeedKind::Native => self.load_native(&path, &mut snapshot)?,
        }
        self.snapshots.push(snapshot);
        Ok(())
    }

    fn load_osv(&mut self, path: &Path, snapshot: &mut Snapshot) -> Result<()> {
        let is_zip = path.is_file() && path.extension().is_some_and(|e| e == "zip");
        let cache = index::cache_dir()
            .filter(|_| is_zip)
            .and_then(|dir| index::cache_path(&dir, path));
        if let Some(loaded) = cache
            .as_ref()
            .and_then(|(c, binding)| self.read_index(c, binding, &snapshot.id))
        {
            for (entry, advisory) in loaded {
                self.add_entry(snapshot, &entry, advisory);
            }
            return Ok(());
        }
        let mut writer = cache.and_then(|(c, binding)| index::Writer::create(&c, binding));
        let notes = for_each_entry(path, "json", |name, bytes| {
            let mut notes = Vec::new();
            let (outcome, advisory) = match osv::parse(&bytes, &snapshot.id, &mut notes) {
                Ok(Loaded::Advisory(a)) => (index::Outcome::Advisory(index::keys_of(&a)), Some(*a)),
                Ok(Loaded::Withdrawn) => (index::Outcome::Withdrawn, None),
                Err(message) => {
                    notes.push(message);
                    (index::Outcome::Skipped, None)
                }
            };
            let ecosystems = advisory
                .as_ref()
                .map(index::ecosystems_of)
                .unwrap_or_default();
            let entry = index::entry(name, outcome, ecosystems, notes);
            self.add_entry(snapshot, &entry, advisory);
            if let Some(w) = writer.as_mut() {
                w.add(entry, &bytes);
            }
            Ok(())
        })?;
        // An archive with notes of its own (duplicate names) is not indexed, so that every load
        // reads it whole and says so again.
        if let Some(w) = writer.filter(|_| notes.is_empty()) {
            w.finish();
        }
        self.warn_all(&snapshot.id, &path.display().to_string(), notes);
        Ok(())
    }

    /// The records of a cached index that pass the filter, parsed; `None` when the cache is
    /// missing or any part of it cannot be read back (the archive is then read instead).
    fn read_index(
        &self,
        cache: &Path,
        binding: &index::Binding,
        feed: &str,
    ) -> Option<Vec<(index::Entry, Option<Advisory>)>> {
        use rayon::prelude::*;
        /// Records read before they are checked and parsed: a bounded run, so that the text of
        /// a whole archive is never held at once.
        const RUN: usize = 4096;
        let mut idx = index::open(cache, binding)?;
        let mut entries = std::mem::take(&mut idx.entries).into_iter();
        let mut out = Vec::with_capacity(entries.len());
        loop {
            let run: Vec<index::Entry> = entries.by_ref().take(RUN).collect();
            if run.is_empty() {
                return Some(out);
            }
            // The wanted records read in file order, then checked and parsed on every core.
            let texts: Vec<Option<Vec<u8>>> = (run.iter())
                .map(|e| match index::wanted(&e.outcome, self.filter.as_ref()) {
                    true => idx.unchecked(e).map(Some),
                    false => Some(None),
                })
                .collect::<Option<_>>()?;
            let parsed: Vec<(index::Entry, Option<Advisory>)> = (run.into_par_iter().zip(texts))
                .map(|(entry, text)| {
                    let advisory = match text {
                        Some(bytes) if index::intact(&entry, &bytes) => {
                            match osv::parse(&bytes, feed, &mut Vec::new()) {
                                Ok(Loaded::Advisory(a)) => Some(*a),
                                _ => return None,
                            }
                        }
                        Some(_) => return None,
                        None => None,
                    };
                    Some((entry, advisory))
                })
                .collect::<Option<_>>()?;
            out.extend(parsed);
        }
    }

    /// Counts one record, replays its notes as warnings, and keeps its advisory if wanted.
    fn add_entry(
        &mut self,
        snapshot: &mut Snapshot,
        entry: &index::Entry,
        advisory: Option<Advisory>,
    ) {
        match &entry.outcome {
            index::Outcome::Advisory(_) => {
                snapshot.records += 1;
                self.cover(&entry.ecosystems);
            }
            index::Outcome::Withdrawn => snapshot.withdrawn += 1,
            index::Outcome::Skipped => snapshot.skipped += 1,
        }
        let wanted = index::wanted(&entry.outcome, self.filter.as_ref());
        let unrelated = matches!(entry.outcome, index::Outcome::Advisory(_)) && !wanted;
        if unrelated && !entry.notes.is_empty() {
            *self
                .unrelated_warnings
                .entry(snapshot.id.clone())
                .or_default() += entry.notes.len();
        } else {
            self.warn_all(&snapshot.id, &entry.name, entry.notes.clone());
        }
        if wanted {
            self.advisories.extend(advisory);
        }
    }

    fn load_kev(&mut self, path: &Path, snapshot: &mut Snapshot) -> Result<()> {
        let bytes = crate::files::read(path).map_err(|e| Error::io(path, e))?;
        let mut notes = Vec::new();
        let (kev, skipped) = kev::parse(&bytes, &mut notes).map_err(|m| Error::input(path, m))?;
        snapshot.records = kev.entries.len();
        snapshot.skipped = skipped;
        snapshot.identity = kev.catalog_version.clone().or(snapshot.identity.take());
        self.warn_all(&snapshot.id, &path.display().to_string(), notes);
        self.kev.entries.extend(kev.entries);
        self.kev.catalog_version = kev.catalog_version;
        Ok(())
    }

    fn load_epss(&mut self, path: &Path, snapshot: &mut Snapshot) -> Result<()> {
        let bytes = crate::files::read(path).map_err(|e| Error::io(path, e))?;
        let mut notes = Vec::new();
        let epss = epss::parse_bytes(&bytes, &mut notes).map_err(|m| Error::input(path, m))?;
        snapshot.records = epss.scores.len();
        snapshot.skipped = notes.len();
        snapshot.identity = Some(format!(
            "{} {}",
            epss.model_version.as_deref().unwrap_or("unknown-model"),
            epss.score_date.as_deref().unwrap_or("unknown-date")
        ));
        self.warn_all(&snapshot.id, &path.display().to_string(), notes);
        self.epss.scores.extend(epss.scores);
        self.epss.model_version = epss.model_version;
        self.epss.score_date = epss.score_date;
        Ok(())
    }

    fn load_native(&mut self, path: &Path, snapshot: &mut Snapshot) -> Result<()> {
        let (advisories, diags) = crate::inventory::load_native_dir(path, &snapshot.id)?;
        if !diags.is_empty() {
            return Err(Error::Invalid(diags));
        }
        snapshot.records = advisories.len();
        for a in &advisories {
            self.cover(&index::ecosystems_of(a));
        }
        self.advisories.extend(advisories);
        Ok(())
    }

    /// Counts one record for each ecosystem (with its release) it affects; `ecosystems` holds
    /// each once.
    fn cover(&mut self, ecosystems: &[String]) {
        for ecosystem in ecosystems {
            *self.coverage.entry(ecosystem.clone()).or_default() += 1;
        }
    }

    /// Every load warning as a line, then one line per feed for the warnings about records
    /// that affect none of the packages asked for.
    pub fn warning_lines(&self) -> Vec<String> {
        let each = self
            .warnings
            .iter()
            .map(|w| format!("feed {}: {}: {}", w.feed, w.entry, w.message));
        let unrelated = self.unrelated_warnings.iter().map(|(feed, n)| {
            format!("feed {feed}: {n} warnings about records that affect none of the scanned packages (`patchplan feeds status --verbose` lists them)")
        });
        each.chain(unrelated).collect()
    }

    fn warn_all(&mut self, feed: &str, entry: &str, notes: Vec<String>) {
        self.warnings
            .extend(notes.into_iter().map(|message| LoadWarning {
                feed: feed.to_string(),
                entry: entry.to_string(),
                message,
            }));
    }

    /// Advisories by (canonical ecosystem base, canonical name): indices into `advisories` and
    /// their `affected` entries.
    pub fn index(&self) -> HashMap<(String, String), Vec<(usize, usize)>> {
        let mut index: HashMap<(String, String), Vec<(usize, usize)>> = HashMap::new();
        for (i, adv) in self.advisories.iter().enumerate() {
            for (j, a) in adv.affected.iter().enumerate() {
                let base = crate::version::ecosystem_base(&a.ecosystem).to_string();
                index
                    .entry((base, a.name.clone()))
                    .or_default()
                    .push((i, j));
            }
        }
        index
    }
}

/// Calls `visit(name, bytes)` for each file of a feed: a zip archive's entries, a directory's
/// files (recursively, those ending in `.ext`), or one file; in name order for a directory, so
/// that loading is deterministic. Returns notes about the feed as a whole (duplicate zip entry
/// names, links not followed).
fn for_each_entry(
    path: &Path,
    ext: &str,
    mut visit: impl FnMut(String, Vec<u8>) -> Result<()>,
) -> Result<Vec<String>> {
    if path.is_dir() {
        let mut files = BTreeMap::new();
        let mut notes = Vec::new();
        collect_dir(path, ext, &mut files, &mut notes)?;
        // A file reached through two names (a link to a file of the feed) is loaded once, under
        // its first name.
        let mut seen = HashSet::new();
        for (name, p) in files {
            if seen.insert(std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone())) {
                visit(name, crate::files::read(&p).map_err(|e| Error::io(&p, e))?)?;
            }
        }
        Ok(notes)
    } else if path.extension().is_some_and(|e| e == "zip") {
        zipfeed::for_each(path, ext, visit)
    } else {
        let bytes = crate::files::read(path).map_err(|e| Error::io(path, e))?;
        visit(path.display().to_string(), bytes)?;
        Ok(Vec::new())
    }
}

/// The files under `dir` ending in `.ext`, by name. Links to directories are not followed: a link
/// loop would otherwise walk forever, and a link to a parent would load its records again.
fn collect_dir(
    dir: &Path,
    ext: &str,
    out: &mut BTreeMap<String, PathBuf>,
    notes: &mut Vec<String>,
) -> Result<()> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let path = entry.path();
            let link = entry.file_type().is_ok_and(|t| t.is_symlink());
            if path.is_dir() {
                match link {
                    true => notes.push(format!(
                        "{}: a link to a directory is not followed",
                        path.display()
                    )),
                    false => stack.push(path),
                }
            } else if path.extension().is_some_and(|e| e == ext) {
                out.insert(path.display().to_string(), path);
            }
        }
    }
    Ok(())
}
