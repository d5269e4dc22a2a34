//! Reading records out of a zip feed. Entry names are only ever used as labels, never joined
//! onto a path, and decompressed sizes are capped per entry and in total, so that a hostile
//! archive (a zip bomb) is an error rather than an out-of-memory.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The largest decompressed entry accepted.
pub const MAX_ENTRY_BYTES: u64 = 16 << 20;
/// The largest decompressed total accepted.
pub const MAX_TOTAL_BYTES: u64 = 2 << 30;

/// Every entry of the archive whose name ends in `.ext`, decompressed, in archive order.
pub fn read(path: &Path, ext: &str) -> Result<Vec<(String, Vec<u8>)>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| Error::input(path, format!("not a zip archive: {e}")))?;
    let suffix = format!(".{ext}");
    let mut out = Vec::with_capacity(archive.len());
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| Error::input(path, format!("zip entry {i}: {e}")))?;
        let name = entry
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| format!("entry {i}"));
        if entry.is_dir() || !name.ends_with(&suffix) {
            continue;
        }
        let mut bytes = Vec::with_capacity(entry.size().min(MAX_ENTRY_BYTES) as usize);
        (&mut entry)
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
        total += bytes.len() as u64;
        if total > MAX_TOTAL_BYTES {
            let limit = MAX_TOTAL_BYTES >> 20;
            return Err(Error::input(
                path,
                format!("archive decompresses to more than {limit} MiB in total"),
            ));
        }
        out.push((name, bytes));
    }
    Ok(out)
}
