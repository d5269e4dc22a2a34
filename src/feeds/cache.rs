//! The feed cache: the last good copy of every feed fetched over HTTP, and what is known of it.
//!
//! Each feed has a directory named by its id (validated to be a safe file name) holding the data
//! file as served (`data.zip`, `data.json`, `data.csv.gz`, ...) and `meta.json`. Both are only
//! ever replaced by renaming a complete, checked temporary file over them, so a failed or
//! interrupted sync leaves the last good copy byte for byte as it was.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::FeedKind;
use crate::error::{Error, Result};

/// What is known of a cached feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub url: String,
    /// The data file's name inside the feed's directory.
    pub file: String,
    /// When the server last confirmed this content (a 200, or a 304 for it).
    pub fetched_at: DateTime<Utc>,
    /// When the content last changed (the last 200).
    pub changed_at: DateTime<Utc>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// SHA-256 of the data file, hex.
    pub sha256: String,
    pub bytes: u64,
    pub records: usize,
    /// KEV `catalogVersion`, EPSS `model_version score_date`, OSV the fetch time.
    pub identity: Option<String>,
}

/// The cache directory of an inventory's feeds.
#[derive(Debug, Clone)]
pub struct Cache {
    pub dir: PathBuf,
}

impl Cache {
    /// `--cache DIR`, or `inventory/.patchplan/feeds/`.
    pub fn new(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    pub fn feed_dir(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// The metadata of feed `id` of `kind` fetched from `url`, when a good copy is cached
    /// (`meta.json` and its data file). A copy fetched from another URL is not this feed's any
    /// more. The data file is the one the cache names itself ([`data_file_name`]): `meta.json`
    /// records its name, but a `meta.json` naming any other file (an absolute path, `../x`) is
    /// not a good copy, so it is neither read as the feed nor deleted by the next sync.
    pub fn meta(&self, id: &str, url: &str, kind: FeedKind) -> Option<Meta> {
        let path = self.feed_dir(id).join("meta.json");
        let text = crate::files::read(&path).ok()?;
        let meta: Meta = serde_json::from_slice(&text).ok()?;
        let file = data_file_name(url, kind);
        let here = meta.url == url && meta.file == file && self.feed_dir(id).join(&file).is_file();
        here.then_some(meta)
    }

    /// The cached data file of feed `id` of `kind` fetched from `url`, when there is one.
    pub fn data(&self, id: &str, url: &str, kind: FeedKind) -> Option<(PathBuf, Meta)> {
        let meta = self.meta(id, url, kind)?;
        Some((self.feed_dir(id).join(data_file_name(url, kind)), meta))
    }

    /// Replaces `meta.json` atomically.
    pub fn write_meta(&self, id: &str, meta: &Meta) -> Result<()> {
        let json = serde_json::to_vec_pretty(meta).expect("metadata serialises");
        let path = self.feed_dir(id).join("meta.json");
        replace(&path, |f| f.write_all(&json))
    }
}

/// The data file name for a feed served at `url`: the URL's own extension where it is one
/// patchplan reads, else the kind's usual format.
pub fn data_file_name(url: &str, kind: FeedKind) -> String {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    let known = [".csv.gz", ".json.gz", ".zip", ".json", ".csv", ".gz"];
    let ext = known.into_iter().find(|e| path.ends_with(e));
    let ext = ext.unwrap_or(match kind {
        FeedKind::Osv => ".zip",
        FeedKind::Kev => ".json",
        FeedKind::Epss => ".csv",
        FeedKind::Native => "",
    });
    format!("data{ext}")
}

/// Writes `path` through a temporary file in the same directory, synced and renamed into place.
pub fn replace(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tmp = temp_path(dir);
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| write(&mut f).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Removes the temporary files in `dir` that a killed run left behind: those of a process that is
/// no longer running (where that can be told), or older than a day.
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(24 * 3600);
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".tmp-") else {
            continue;
        };
        let pid = rest
            .split(['-', '.'])
            .next()
            .and_then(|p| p.parse::<u32>().ok());
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < day_ago);
        if old || pid.is_some_and(|p| p != std::process::id() && !running(p)) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Whether process `pid` is running; on systems without `/proc`, assumed so.
fn running(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// A fresh temporary file name in `dir` (hidden, unique to this process and moment).
pub fn temp_path(dir: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    dir.join(format!(".tmp-{}-{nanos}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_keep_the_served_format() {
        let case = |url, kind, expected| assert_eq!(data_file_name(url, kind), expected, "{url}");
        case("https://x/crates.io/all.zip", FeedKind::Osv, "data.zip");
        case(
            "https://x/epss_scores-current.csv.gz",
            FeedKind::Epss,
            "data.csv.gz",
        );
        case("https://x/kev.json?v=1", FeedKind::Kev, "data.json");
        case("https://x/KEV.JSON", FeedKind::Kev, "data.json");
        case("https://x/feeds/kev", FeedKind::Kev, "data.json");
        case("https://x/osv", FeedKind::Osv, "data.zip");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"good").unwrap();
        let failed = replace(&path, |f| {
            f.write_all(b"half")?;
            Err(std::io::Error::other("cut"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"good");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }
}
