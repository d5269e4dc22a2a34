//! The hashes a run records, so that a run can be tied to exactly what it read: the inventory's
//! files, and each feed snapshot (its download's SHA-256 for fetched feeds, or the hash of the
//! local file or directory).

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::feeds::{FeedSpec, Snapshot};

/// Hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    crate::digest::sha256_hex(bytes)
}

/// SHA-256 over every file under `dir` (paths relative to it, sorted, each with its content),
/// leaving out hidden ones (`.patchplan/`, the ledger and feed cache, among them) and `skip`;
/// `None` when unreadable. A run needs it only for its record, so it is made in the background
/// (see [`crate::priority::in_background`]).
pub fn tree(dir: &Path, skip: &[PathBuf]) -> Option<String> {
    let mut files = Vec::new();
    walk(dir, skip, &mut files).ok()?;
    files.sort();
    // Each file is opened in its directory (see [`crate::files::Dir`]).
    let mut dirs: std::collections::HashMap<&Path, crate::files::Dir> = Default::default();
    for path in &files {
        let parent = path.parent().unwrap_or(Path::new(""));
        dirs.entry(parent)
            .or_insert_with(|| crate::files::Dir::open(parent));
    }
    let read = |path: &PathBuf| {
        let parent = path.parent().unwrap_or(Path::new(""));
        match (dirs.get(parent), path.file_name()) {
            (Some(dir), Some(name)) => dir.read(name),
            _ => crate::files::read(path),
        }
    };
    let mut h = Sha256::new();
    // A fleet's inventory is tens of thousands of files: read a run of them on several threads,
    // then hash them in order.
    use rayon::prelude::*;
    crate::priority::in_background(|| {
        for run in files.chunks(256) {
            let read: Vec<Vec<u8>> = (run.par_iter().map(read))
                .collect::<std::io::Result<_>>()
                .ok()?;
            for (path, bytes) in run.iter().zip(read) {
                let rel = path.strip_prefix(dir).unwrap_or(path);
                h.update(rel.to_string_lossy().as_bytes());
                h.update([0]);
                h.update((bytes.len() as u64).to_le_bytes());
                h.update(&bytes);
            }
        }
        Some(())
    })?;
    Some(crate::digest::hex(&h.finalize()))
}

/// `inner` spelt as [`tree`]'s walk of `dir` spells it (`dir` joined with the rest) when it is
/// inside `dir`, so that it can be left out: an output directory inside the inventory is not
/// part of it (and earlier runs' files are deleted from it while the inventory is hashed).
/// `None` when it is not inside, or either cannot be resolved (one that does not exist yet
/// holds nothing to leave out).
pub fn inside(dir: &Path, inner: &Path) -> Option<PathBuf> {
    let (dir_abs, inner_abs) = (dir.canonicalize().ok()?, inner.canonicalize().ok()?);
    let rest = inner_abs.strip_prefix(&dir_abs).ok()?;
    (!rest.as_os_str().is_empty()).then(|| dir.join(rest))
}

fn walk(dir: &Path, skip: &[PathBuf], out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // Hidden files are not read as the inventory: not hashed as it either.
        if crate::files::hidden(&entry.file_name()) || skip.contains(&path) {
            continue;
        }
        // The entry's own type, without a look at the file (a fleet's are tens of thousands);
        // a link is followed.
        let kind = entry.file_type()?;
        let dir = if kind.is_symlink() {
            path.is_dir()
        } else {
            kind.is_dir()
        };
        if dir {
            walk(&path, skip, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// A feed snapshot as a run records it.
#[derive(Debug, Clone, Serialize)]
pub struct FeedHash {
    pub id: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The download's SHA-256 for a fetched feed; else of the local file or directory; `null`
    /// when it could not be read.
    pub sha256: Option<String>,
}

/// Each feed snapshot's hash. A local feed inside the inventory is hashed with it too.
pub fn feeds(snapshots: &[Snapshot], specs: &[FeedSpec], inventory: &Path) -> Vec<FeedHash> {
    snapshots
        .iter()
        .map(|s| {
            let local = || {
                let source = specs
                    .iter()
                    .find(|f| f.id == s.id)
                    .map_or(s.source.as_str(), |f| f.source.as_str());
                let path = if s.id == "inventory" {
                    inventory.join("advisories")
                } else {
                    PathBuf::from(source)
                };
                tree(&path, &[])
            };
            FeedHash {
                id: s.id.clone(),
                source: s.source.clone(),
                identity: s.identity.clone(),
                sha256: s.sha256.clone().or_else(|| {
                    let remote =
                        s.source.starts_with("http://") || s.source.starts_with("https://");
                    if remote { None } else { local() }
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output directory inside the inventory, however it is spelt, is left out of the
    /// inventory's hash; one beside it is not inside.
    #[test]
    fn an_output_directory_inside_is_left_out() {
        let tmp = tempfile::tempdir().unwrap();
        let inv = tmp.path().join("inv");
        std::fs::create_dir_all(inv.join("environments")).unwrap();
        std::fs::write(inv.join("patchplan.toml"), "a").unwrap();
        std::fs::write(inv.join("environments/e.toml"), "b").unwrap();
        let before = tree(&inv, &[]).unwrap();
        std::fs::create_dir_all(inv.join("out/notices")).unwrap();
        std::fs::write(inv.join("out/plan.json"), "{}").unwrap();
        assert_ne!(tree(&inv, &[]).unwrap(), before);

        let spelt = inv.join("environments/../out");
        let out = inside(&inv, &spelt).unwrap();
        assert_eq!(out, inv.join("out"));
        assert_eq!(tree(&inv, &[out]).unwrap(), before);
        assert_eq!(inside(&inv, &tmp.path().join("inv")), None);
        std::fs::create_dir_all(tmp.path().join("out")).unwrap();
        assert_eq!(inside(&inv, &tmp.path().join("out")), None);
        assert_eq!(inside(&inv, &tmp.path().join("missing")), None);
    }

    /// A linked directory is hashed as its files: a change in it changes the hash.
    #[cfg(unix)]
    #[test]
    fn a_linked_directory_is_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let (inv, shared) = (tmp.path().join("inv"), tmp.path().join("shared"));
        std::fs::create_dir_all(&inv).unwrap();
        std::fs::create_dir_all(&shared).unwrap();
        std::fs::write(shared.join("s.toml"), "a").unwrap();
        std::os::unix::fs::symlink(&shared, inv.join("stacks")).unwrap();
        let before = tree(&inv, &[]).unwrap();
        std::fs::write(shared.join("s.toml"), "b").unwrap();
        assert_ne!(tree(&inv, &[]).unwrap(), before);
    }
}
