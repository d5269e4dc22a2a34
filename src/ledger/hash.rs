//! The hashes a run records, so that a run can be tied to exactly what it read: the inventory's
//! files, and each feed snapshot (its download's SHA-256 for fetched feeds, or the hash of the
//! local file or directory).

use std::collections::HashMap;
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
/// `None` when unreadable.
pub fn tree(dir: &Path, skip: &[PathBuf]) -> Option<String> {
    tree_of(dir, skip, &Default::default())
}

/// [`tree`], with the bytes of the files `known` has (in pieces) taken from it rather than read
/// again: a run hashes the inventory it loaded, tens of thousands of files for a fleet, and
/// reads only the few it did not load.
pub fn tree_of(dir: &Path, skip: &[PathBuf], known: &HashMap<&Path, [&[u8]; 2]>) -> Option<String> {
    let mut files = Vec::new();
    walk(dir, skip, &mut files).ok()?;
    files.sort();
    let read = |path: &PathBuf| match known.get(path.as_path()) {
        Some(&pieces) => Ok(Bytes::Known(pieces)),
        None => crate::files::read(path).map(Bytes::Read),
    };
    let mut h = Sha256::new();
    // A run of files is read on several threads, then hashed in order.
    use rayon::prelude::*;
    for run in files.chunks(256) {
        let read: Vec<Bytes> = (run.par_iter().map(read))
            .collect::<std::io::Result<_>>()
            .ok()?;
        for (path, bytes) in run.iter().zip(read) {
            let pieces = match &bytes {
                Bytes::Known(pieces) => *pieces,
                Bytes::Read(bytes) => [&bytes[..], b""],
            };
            let rel = path.strip_prefix(dir).unwrap_or(path);
            h.update(rel.to_string_lossy().as_bytes());
            h.update([0]);
            h.update(((pieces[0].len() + pieces[1].len()) as u64).to_le_bytes());
            h.update(pieces[0]);
            h.update(pieces[1]);
        }
    }
    Some(crate::digest::hex(&h.finalize()))
}

/// A file's bytes, as another reader had them (in pieces) or as read here.
enum Bytes<'a> {
    Known([&'a [u8]; 2]),
    Read(Vec<u8>),
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

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let (src, dst) = (entry.path(), to.join(entry.file_name()));
            match entry.file_type().unwrap().is_dir() {
                true => copy_dir(&src, &dst),
                false => drop(std::fs::copy(&src, &dst).unwrap()),
            }
        }
    }

    /// The example inventory, one customer file with a byte-order mark and a file the loader
    /// does not read beside it: hashed from the files as loaded (the mark and the text in two
    /// pieces), it hashes as read from the disk; and the loaded bytes are what is hashed.
    #[test]
    fn an_inventory_hashed_as_loaded_hashes_as_read_again() {
        let tmp = tempfile::tempdir().unwrap();
        let inv = tmp.path().join("inv");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory"),
            &inv,
        );
        let customer = std::fs::read_dir(inv.join("customers")).unwrap().next();
        let customer = customer.unwrap().unwrap().path();
        let text = std::fs::read(&customer).unwrap();
        std::fs::write(&customer, [&b"\xef\xbb\xbf"[..], &text].concat()).unwrap();
        std::fs::write(inv.join("NOTES.txt"), "not read by the loader").unwrap();
        let (_, files) = crate::inventory::load_keeping(&inv).unwrap();
        let known = files.as_read();
        assert_eq!(known.get(customer.as_path()).unwrap()[0], b"\xef\xbb\xbf");
        assert!(known.len() > 3, "{}", known.len());
        let from_disk = tree(&inv, &[]).unwrap();
        assert_eq!(tree_of(&inv, &[], &known).unwrap(), from_disk);
        // The file changed on the disk after it was loaded: the hash is of what was loaded.
        std::fs::write(&customer, "changed = true\n").unwrap();
        assert_eq!(tree_of(&inv, &[], &known).unwrap(), from_disk);
        assert_ne!(tree(&inv, &[]).unwrap(), from_disk);
    }

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
