//! Reading records out of a zip feed. Entry names are only ever used as labels, never joined
//! onto a path, and decompressed sizes are capped per entry and in total, so that a hostile
//! archive (a zip bomb) is an error rather than an out-of-memory.
//!
//! Entries are visited one at a time, straight from the central directory (zip's `ZipIterable`),
//! so memory holds one record, never the archive's whole decompressed content. That reader also
//! keeps entries that share a name, which `ZipArchive` cannot (it keys entries by name and keeps
//! the last): one entry appended under an existing name could otherwise hide a record. Every
//! copy is loaded, labelled with its position, and the duplicate name is a warning: loading both
//! is what a reader of either copy would see, so no finding is lost whichever copy the
//! publisher meant, and the feed's other records still count.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use zip::unstable::read::ZipIterable;

use crate::error::{Error, Result};

/// The largest decompressed entry accepted.
pub const MAX_ENTRY_BYTES: u64 = 16 << 20;
/// The largest decompressed total accepted.
pub const MAX_TOTAL_BYTES: u64 = 2 << 30;

/// Calls `visit(name, bytes)` for every entry of the archive whose name ends in `.ext`,
/// decompressed, in archive order; returns a note for every name that more than one entry
/// carries (the second copy is visited as `NAME (copy 2)`).
pub fn for_each(
    path: &Path,
    ext: &str,
    mut visit: impl FnMut(String, Vec<u8>) -> Result<()>,
) -> Result<Vec<String>> {
    let file = crate::files::open(path).map_err(|e| Error::io(path, e))?;
    let bad = |e: zip::result::ZipError| Error::input(path, format!("not a zip archive: {e}"));
    let mut archive =
        ZipIterable::try_new(std::io::BufReader::new(file), Default::default()).map_err(bad)?;
    let mut body =
        std::io::BufReader::new(crate::files::open(path).map_err(|e| Error::io(path, e))?);
    let suffix = format!(".{ext}");
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut total = 0u64;
    let files = archive.files().map_err(bad)?;
    for i in 0.. {
        let Some(entry) = files.next() else { break };
        let entry = entry.map_err(|e| Error::input(path, format!("zip entry {i}: {e}")))?;
        let name = entry
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| format!("entry {i}"));
        if entry.is_dir() || !name.ends_with(&suffix) {
            continue;
        }
        let mut reader = entry
            .with_reader(&mut body, Default::default())
            .map_err(|e| Error::input(path, format!("zip entry `{name}`: {e}")))?;
        let bytes = read_capped(path, &name, &mut reader)?;
        total += bytes.len() as u64;
        if total > MAX_TOTAL_BYTES {
            let limit = MAX_TOTAL_BYTES >> 20;
            return Err(Error::input(
                path,
                format!("archive decompresses to more than {limit} MiB in total"),
            ));
        }
        let copies = seen.entry(name.clone()).or_default();
        *copies += 1;
        let label = match *copies {
            1 => name,
            n => format!("{name} (copy {n})"),
        };
        visit(label, bytes)?;
    }
    let mut notes: Vec<String> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(name, n)| {
            format!("zip entry name `{name}` appears {n} times; every copy was loaded")
        })
        .collect();
    notes.sort();
    Ok(notes)
}

fn read_capped(path: &Path, name: &str, reader: &mut impl Read) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::input(path, format!("zip entry `{name}`: {e}")))?;
    if bytes.len() as u64 > MAX_ENTRY_BYTES {
        let limit = MAX_ENTRY_BYTES >> 20;
        return Err(Error::input(
            path,
            format!("zip entry `{name}` decompresses to more than {limit} MiB"),
        ));
    }
    Ok(bytes)
}
