//! A cached index of an OSV zip feed, so that a scan does not inflate and parse every record.
//!
//! Inflating and parsing the whole RustSec export costs more than a whole cargo-audit run, yet a
//! lockfile touches a few dozen of its 1,200 records. The first load of an archive writes its
//! records, uncompressed, into one cache file with a header that says which packages each record
//! affects (and every warning the full load gave); later loads read the header and parse only the
//! records of the packages asked for. The cache is named by a 128-bit hash of the archive's
//! central directory (every entry's name, CRC-32 and sizes), so a changed archive is a new cache
//! file, never a stale one, and a damaged cache file is rebuilt rather than trusted. The hash is
//! SipHash, not SHA-256: it guards against accidents, not adversaries (whoever can write the
//! archive decides its records anyway), and it is 25 times cheaper on this path.

use std::collections::HashSet;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::advisory::Advisory;

/// (ecosystem base, canonical name): how matching looks packages up.
pub type Key = (String, String);

/// Bumped whenever the layout or the record parsing changes, so older caches are not read.
const FORMAT: &str = "patchplan-osv-index/3";

/// What one record of the archive became when it was first loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An advisory affecting these packages.
    Advisory(Vec<Key>),
    Withdrawn,
    Skipped,
}

/// One record of the archive.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub outcome: Outcome,
    /// The load's notes about this record, replayed as warnings on every load.
    pub notes: Vec<String>,
    offset: u64,
    len: u64,
}

/// An archive's records as the first full load saw them, and where their text is kept.
pub struct Index {
    pub entries: Vec<Entry>,
    file: File,
    /// Where the record text starts in `file`.
    base: u64,
}

/// The cache directory: `PATCHPLAN_CACHE_DIR`, else `$XDG_CACHE_HOME/patchplan`, else
/// `~/.cache/patchplan`; `None` when none is known (then nothing is cached).
pub fn cache_dir() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("PATCHPLAN_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("patchplan")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("patchplan")))
}

/// The cache file of `archive` inside `dir`, or `None` when the archive's central directory
/// cannot be found (the load then reads the archive itself and reports what is wrong with it).
pub fn cache_path(dir: &Path, archive: &Path) -> Option<PathBuf> {
    let digest = central_directory_digest(archive)?;
    Some(dir.join("osv-index").join(format!("{digest}.idx")))
}

/// Opens a cache file written by [`write`]; `None` when it is missing, from another format or
/// damaged in any way.
pub fn open(path: &Path) -> Option<Index> {
    let mut file = File::open(path).ok()?;
    let mut len_bytes = [0u8; 8];
    file.read_exact(&mut len_bytes).ok()?;
    let header_len = u64::from_le_bytes(len_bytes);
    let total = file.metadata().ok()?.len();
    if header_len > total.saturating_sub(8) {
        return None;
    }
    let mut header = vec![0u8; usize::try_from(header_len).ok()?];
    file.read_exact(&mut header).ok()?;
    let entries = decode_header(std::str::from_utf8(&header).ok()?)?;
    let base = 8 + header_len;
    let fits = |e: &Entry| {
        e.offset
            .checked_add(e.len)
            .is_some_and(|end| base + end <= total)
    };
    if !entries.iter().all(fits) {
        return None;
    }
    Some(Index {
        entries,
        file,
        base,
    })
}

impl Index {
    /// The text of `entry`, as it was in the archive.
    pub fn record(&mut self, entry: &Entry) -> Option<Vec<u8>> {
        let mut bytes = vec![0u8; usize::try_from(entry.len).ok()?];
        self.file
            .seek(SeekFrom::Start(self.base + entry.offset))
            .ok()?;
        self.file.read_exact(&mut bytes).ok()?;
        Some(bytes)
    }
}

/// Whether a record is wanted: it affects one of `keys`, or no filter is set.
pub fn wanted(outcome: &Outcome, keys: Option<&HashSet<Key>>) -> bool {
    match (outcome, keys) {
        (Outcome::Advisory(_), None) => true,
        (Outcome::Advisory(affects), Some(keys)) => affects.iter().any(|k| keys.contains(k)),
        _ => false,
    }
}

/// The keys an advisory can be looked up by.
pub fn keys_of(advisory: &Advisory) -> Vec<Key> {
    let mut keys: Vec<Key> = advisory
        .affected
        .iter()
        .map(|a| {
            let base = crate::version::ecosystem_base(&a.ecosystem);
            (base.to_string(), a.name.clone())
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Writes a cache file atomically (a temporary file renamed into place), so that a concurrent
/// or interrupted run never sees half of one. Failing to cache is not an error: the caller has
/// the records already.
pub fn write(path: &Path, records: Vec<(Entry, Vec<u8>)>) {
    let _ = try_write(path, records);
}

/// Makes an [`Entry`]; its place in the file is set by [`write`].
pub fn entry(name: String, outcome: Outcome, notes: Vec<String>) -> Entry {
    Entry {
        name,
        outcome,
        notes,
        offset: 0,
        len: 0,
    }
}

fn try_write(path: &Path, records: Vec<(Entry, Vec<u8>)>) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut offset = 0;
    let mut entries = Vec::with_capacity(records.len());
    let mut blobs = Vec::with_capacity(records.len());
    for (mut e, bytes) in records {
        (e.offset, e.len) = (offset, bytes.len() as u64);
        offset += e.len;
        entries.push(e);
        blobs.push(bytes);
    }
    let header = encode_header(&entries);
    let tmp = dir.join(format!(".tmp-{}-{}", std::process::id(), unique()));
    let mut out = std::io::BufWriter::new(File::create(&tmp)?);
    out.write_all(&(header.len() as u64).to_le_bytes())?;
    out.write_all(header.as_bytes())?;
    for b in &blobs {
        out.write_all(b)?;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// A 128-bit hash (hex) of the archive's length and central directory, found through the end of
/// central directory record. Zip64 archives and anything unexpected give `None` (not cached).
fn central_directory_digest(archive: &Path) -> Option<String> {
    let mut file = File::open(archive).ok()?;
    let len = file.metadata().ok()?.len();
    let tail_len = len.min(22 + 65_535);
    let mut tail = vec![0u8; usize::try_from(tail_len).ok()?];
    file.seek(SeekFrom::Start(len - tail_len)).ok()?;
    file.read_exact(&mut tail).ok()?;
    let eocd = tail
        .windows(4)
        .rposition(|w| w == [0x50, 0x4b, 0x05, 0x06])?;
    let field = |at: usize| -> Option<u64> {
        let b = tail.get(eocd + at..eocd + at + 4)?;
        Some(u64::from(u32::from_le_bytes(b.try_into().ok()?)))
    };
    let (cd_size, cd_offset) = (field(12)?, field(16)?);
    if cd_offset.checked_add(cd_size)? > len || cd_size > 256 << 20 {
        return None;
    }
    let mut cd = vec![0u8; usize::try_from(cd_size).ok()?];
    file.seek(SeekFrom::Start(cd_offset)).ok()?;
    file.read_exact(&mut cd).ok()?;
    let half = |salt: u8| {
        let mut h = std::hash::DefaultHasher::new();
        (salt, FORMAT, len, &cd).hash(&mut h);
        h.finish()
    };
    Some(format!("{:016x}{:016x}", half(0), half(1)))
}

/// The header: the format line, then one line per record, tab-separated: entry name, outcome
/// (`A`dvisory, `W`ithdrawn, `S`kipped), offset, length, the number of keys, the keys'
/// ecosystems and names, then the notes. Hand-written rather than JSON: it is read on every scan,
/// and this is six times cheaper to read.
fn encode_header(entries: &[Entry]) -> String {
    let mut out = format!("{FORMAT}\n");
    for e in entries {
        let (kind, keys): (&str, &[Key]) = match &e.outcome {
            Outcome::Advisory(keys) => ("A", keys),
            Outcome::Withdrawn => ("W", &[]),
            Outcome::Skipped => ("S", &[]),
        };
        let mut fields = vec![escape(&e.name), kind.to_string()];
        fields.extend([e.offset, e.len, keys.len() as u64].map(|n| n.to_string()));
        fields.extend(
            keys.iter()
                .flat_map(|(eco, name)| [escape(eco), escape(name)]),
        );
        fields.extend(e.notes.iter().map(|n| escape(n)));
        out.push_str(&fields.join("\t"));
        out.push('\n');
    }
    out
}

fn decode_header(text: &str) -> Option<Vec<Entry>> {
    let mut lines = text.lines();
    if lines.next()? != FORMAT {
        return None;
    }
    lines.map(decode_entry).collect()
}

fn decode_entry(line: &str) -> Option<Entry> {
    let mut f = line.split('\t');
    let name = unescape(f.next()?);
    let kind = f.next()?;
    let mut number = || f.next()?.parse::<u64>().ok();
    let (offset, len, nkeys) = (number()?, number()?, number()?);
    let outcome = match kind {
        "A" => {
            let keys = (0..nkeys)
                .map(|_| Some((unescape(f.next()?), unescape(f.next()?))))
                .collect::<Option<Vec<Key>>>()?;
            Outcome::Advisory(keys)
        }
        "W" => Outcome::Withdrawn,
        "S" => Outcome::Skipped,
        _ => return None,
    };
    Some(Entry {
        name,
        outcome,
        notes: f.map(unescape).collect(),
        offset,
        len,
    })
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(other) => out.push(other),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_reads_back_what_was_written() {
        let entries = vec![
            Entry {
                name: "odd\tname\\with\nbreaks.json".into(),
                outcome: Outcome::Advisory(vec![
                    ("PyPI".into(), "a".into()),
                    ("npm".into(), "@s/b".into()),
                ]),
                notes: vec![
                    "X-1: 2 listed version(s) of `a` ignored".into(),
                    String::new(),
                ],
                offset: 7,
                len: 99,
            },
            Entry {
                name: "w.json".into(),
                outcome: Outcome::Withdrawn,
                notes: vec![],
                offset: 106,
                len: 3,
            },
            Entry {
                name: "s.json".into(),
                outcome: Outcome::Skipped,
                notes: vec!["not an OSV record: expected value at line 1 column 1".into()],
                offset: 109,
                len: 0,
            },
        ];
        let back = decode_header(&encode_header(&entries)).expect("decodes");
        assert_eq!(back.len(), 3);
        for (a, b) in entries.iter().zip(&back) {
            assert_eq!(
                (&a.name, &a.outcome, &a.notes),
                (&b.name, &b.outcome, &b.notes)
            );
            assert_eq!((a.offset, a.len), (b.offset, b.len));
        }
    }

    #[test]
    fn a_damaged_header_is_not_read() {
        assert!(decode_header("patchplan-osv-index/1\n").is_none());
        assert!(decode_header(&format!("{FORMAT}\na.json\tA\t0\t5\t2\tcrates.io\n")).is_none());
        assert!(decode_header(&format!("{FORMAT}\na.json\tQ\t0\t5\t0\n")).is_none());
    }
}
