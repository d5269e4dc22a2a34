//! A cached index of an OSV zip feed, so that a scan does not inflate and parse every record.
//!
//! Inflating and parsing the whole RustSec export costs more than a whole cargo-audit run, yet a
//! lockfile touches a few dozen of its 1,200 records. The first load of an archive writes its
//! advisory records, uncompressed, into one cache file, then a header that says which packages
//! each record affects (and every warning the full load gave); later loads read the header and
//! parse only the records of the packages asked for.
//!
//! The cache file is bound to its archive and to this program: it is named by, and its header
//! repeats, the archive's size and SHA-256 and the program's version and index format, so a
//! changed archive or a new patchplan is a new cache file, never a stale one; each record carries
//! its own SHA-256, checked when it is read back; anything that does not match is rebuilt from
//! the archive, not trusted. (The cache directory must still be as trusted as the program: whoever
//! can write it can write a consistent index, as whoever can write the archive decides its
//! records.) Only advisory records are kept, so junk entries cannot make the index larger than
//! the real records, and the file is written as the archive is read, never buffered whole. Old
//! index files and temporaries left by killed runs are pruned when a new one is written.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::advisory::Advisory;

/// (ecosystem base, canonical name): how matching looks packages up.
pub type Key = (String, String);

/// Bumped whenever the layout or the record parsing changes, so older caches are not read.
const FORMAT: &str = "patchplan-osv-index/5";

/// How many index files are kept (the newest); older ones are pruned.
const KEEP: usize = 16;

/// What a cache file is bound to: the archive's size and SHA-256 (and, through [`FORMAT`] and
/// the version in its header line, this program).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    size: u64,
    sha256: String,
}

impl Binding {
    /// The header's first line.
    fn line(&self) -> String {
        let version = env!("CARGO_PKG_VERSION");
        format!("{FORMAT}\t{version}\t{}\t{}", self.size, self.sha256)
    }
}

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
    /// The full ecosystems of an advisory's affected packages (`Ubuntu:22.04:LTS`, `crates.io`):
    /// what the feed covers, release by release.
    pub ecosystems: Vec<String>,
    /// The load's notes about this record, replayed as warnings on every load.
    pub notes: Vec<String>,
    offset: u64,
    len: u64,
    /// SHA-256 of the record's text, empty when the index keeps no text for it.
    sha256: String,
}

/// An archive's records as the first full load saw them, and where their text is kept.
pub struct Index {
    pub entries: Vec<Entry>,
    file: File,
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

/// The cache file of `archive` inside `dir`, and what it is bound to; `None` when the archive
/// cannot be read (the load then reads the archive itself and reports what is wrong with it).
pub fn cache_path(dir: &Path, archive: &Path) -> Option<(PathBuf, Binding)> {
    let mut file = crate::files::open(archive).ok()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    let binding = Binding {
        size,
        sha256: crate::digest::hex(&hasher.finalize()),
    };
    let name = crate::digest::hex(&Sha256::digest(binding.line().as_bytes()));
    Some((
        dir.join("osv-index").join(format!("{}.idx", &name[..32])),
        binding,
    ))
}

/// Opens a cache file written by [`Writer`] for `binding`; `None` when it is missing, from
/// another archive, program or format, or damaged in any way.
pub fn open(path: &Path, binding: &Binding) -> Option<Index> {
    let mut file = File::open(path).ok()?;
    let total = file.metadata().ok()?.len();
    let mut len_bytes = [0u8; 8];
    file.seek(SeekFrom::Start(total.checked_sub(8)?)).ok()?;
    file.read_exact(&mut len_bytes).ok()?;
    let header_len = u64::from_le_bytes(len_bytes);
    let base = total.checked_sub(8)?.checked_sub(header_len)?;
    let mut header = vec![0u8; usize::try_from(header_len).ok()?];
    file.seek(SeekFrom::Start(base)).ok()?;
    file.read_exact(&mut header).ok()?;
    let entries = decode_header(std::str::from_utf8(&header).ok()?, binding)?;
    let fits = |e: &Entry| e.offset.checked_add(e.len).is_some_and(|end| end <= base);
    if !entries.iter().all(fits) {
        return None;
    }
    Some(Index { entries, file })
}

impl Index {
    /// The text kept for `entry`, not yet checked against its hash (see [`intact`]).
    pub fn unchecked(&mut self, entry: &Entry) -> Option<Vec<u8>> {
        let mut bytes = vec![0u8; usize::try_from(entry.len).ok()?];
        self.file.seek(SeekFrom::Start(entry.offset)).ok()?;
        self.file.read_exact(&mut bytes).ok()?;
        Some(bytes)
    }
}

/// Whether `bytes` are the text `entry` was indexed with.
pub fn intact(entry: &Entry, bytes: &[u8]) -> bool {
    crate::digest::hex(&Sha256::digest(bytes)) == entry.sha256
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

/// The ecosystems an advisory affects packages of, with their releases, each once.
pub fn ecosystems_of(advisory: &Advisory) -> Vec<String> {
    let mut ecosystems: Vec<String> = advisory
        .affected
        .iter()
        .map(|a| a.ecosystem.clone())
        .collect();
    ecosystems.sort();
    ecosystems.dedup();
    ecosystems
}

/// Makes an [`Entry`]; its place in the file is set by [`Writer::add`].
pub fn entry(name: String, outcome: Outcome, ecosystems: Vec<String>, notes: Vec<String>) -> Entry {
    Entry {
        name,
        outcome,
        ecosystems,
        notes,
        offset: 0,
        len: 0,
        sha256: String::new(),
    }
}

/// Writes a cache file as the archive is read: records first, then the header and its length.
/// The file is a temporary one until [`Writer::finish`] renames it into place, so a concurrent
/// or interrupted run never sees half of one; dropped unfinished, it is removed. Failing to
/// cache is not an error: the caller has the records already.
pub struct Writer {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<std::io::BufWriter<File>>,
    entries: Vec<Entry>,
    offset: u64,
    binding: Binding,
}

impl Writer {
    /// A writer for the cache file `path` bound to `binding`; `None` when it cannot be created.
    pub fn create(path: &Path, binding: Binding) -> Option<Writer> {
        let dir = path.parent()?;
        std::fs::create_dir_all(dir).ok()?;
        let tmp = dir.join(format!(".tmp-{}-{}", std::process::id(), unique()));
        let out = std::io::BufWriter::new(File::create(&tmp).ok()?);
        Some(Writer {
            path: path.to_path_buf(),
            tmp,
            out: Some(out),
            entries: Vec::new(),
            offset: 0,
            binding,
        })
    }

    /// Adds one record; its text is kept only for an advisory (the only records read back).
    pub fn add(&mut self, mut entry: Entry, bytes: &[u8]) {
        if let (Outcome::Advisory(_), Some(out)) = (&entry.outcome, self.out.as_mut()) {
            if out.write_all(bytes).is_err() {
                self.out = None;
            }
            (entry.offset, entry.len) = (self.offset, bytes.len() as u64);
            entry.sha256 = crate::digest::hex(&Sha256::digest(bytes));
            self.offset += entry.len;
        }
        self.entries.push(entry);
    }

    /// Writes the header, renames the file into place and prunes old ones.
    pub fn finish(mut self) {
        let Some(out) = self.out.take() else { return };
        let header = encode_header(&self.entries, &self.binding);
        let done = (|| {
            let mut out = out;
            out.write_all(header.as_bytes())?;
            out.write_all(&(header.len() as u64).to_le_bytes())?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            std::fs::rename(&self.tmp, &self.path)
        })();
        if done.is_ok() {
            prune(self.path.parent().unwrap_or(Path::new(".")), &self.path);
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Removes from `dir` temporaries older than an hour (left by killed runs) and all but the
/// [`KEEP`] newest index files, never `keep`.
fn prune(dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let mut indexes = Vec::new();
    for e in entries.flatten() {
        let (path, name) = (e.path(), e.file_name());
        let modified = e.metadata().and_then(|m| m.modified()).ok();
        let name = name.to_string_lossy();
        if name.starts_with(".tmp-") && modified.is_some_and(|m| m < hour_ago) {
            let _ = std::fs::remove_file(&path);
        } else if name.ends_with(".idx") && path != keep {
            indexes.push((modified, path));
        }
    }
    indexes.sort();
    let excess = (indexes.len() + 1).saturating_sub(KEEP);
    for (_, path) in indexes.into_iter().take(excess) {
        let _ = std::fs::remove_file(path);
    }
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The header: the binding line (format, program version, archive size and SHA-256), then one
/// line per record, tab-separated: entry name, outcome (`A`dvisory, `W`ithdrawn, `S`kipped),
/// offset, length, the record's SHA-256, the number of keys, the keys' ecosystems and names, then
/// the notes. Hand-written rather than JSON: it is read on every scan,
/// and this is six times cheaper to read.
fn encode_header(entries: &[Entry], binding: &Binding) -> String {
    let mut out = format!("{}\n", binding.line());
    for e in entries {
        let (kind, keys): (&str, &[Key]) = match &e.outcome {
            Outcome::Advisory(keys) => ("A", keys),
            Outcome::Withdrawn => ("W", &[]),
            Outcome::Skipped => ("S", &[]),
        };
        let mut fields = vec![escape(&e.name), kind.to_string()];
        fields.extend([e.offset, e.len].map(|n| n.to_string()));
        fields.push(e.sha256.clone());
        fields.push(keys.len().to_string());
        fields.extend(
            keys.iter()
                .flat_map(|(eco, name)| [escape(eco), escape(name)]),
        );
        fields.push(e.ecosystems.len().to_string());
        fields.extend(e.ecosystems.iter().map(|n| escape(n)));
        fields.extend(e.notes.iter().map(|n| escape(n)));
        out.push_str(&fields.join("\t"));
        out.push('\n');
    }
    out
}

fn decode_header(text: &str, binding: &Binding) -> Option<Vec<Entry>> {
    let mut lines = text.lines();
    if lines.next()? != binding.line() {
        return None;
    }
    lines.map(decode_entry).collect()
}

fn decode_entry(line: &str) -> Option<Entry> {
    let mut f = line.split('\t');
    let name = unescape(f.next()?);
    let kind = f.next()?;
    let (offset, len) = (f.next()?.parse().ok()?, f.next()?.parse().ok()?);
    let sha256 = f.next()?.to_string();
    let nkeys: u64 = f.next()?.parse().ok()?;
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
    let n: u64 = f.next()?.parse().ok()?;
    let ecosystems = (0..n)
        .map(|_| f.next().map(unescape))
        .collect::<Option<Vec<String>>>()?;
    Some(Entry {
        name,
        outcome,
        ecosystems,
        notes: f.map(unescape).collect(),
        offset,
        len,
        sha256,
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
                ecosystems: vec!["PyPI".into(), "npm".into()],
                notes: vec![
                    "X-1: 2 listed version(s) of `a` ignored".into(),
                    String::new(),
                ],
                offset: 7,
                len: 99,
                sha256: "ab".repeat(32),
            },
            Entry {
                name: "w.json".into(),
                outcome: Outcome::Withdrawn,
                ecosystems: Vec::new(),
                notes: vec![],
                offset: 106,
                len: 3,
                sha256: String::new(),
            },
            Entry {
                name: "s.json".into(),
                outcome: Outcome::Skipped,
                ecosystems: Vec::new(),
                notes: vec!["not an OSV record: expected value at line 1 column 1".into()],
                offset: 109,
                len: 0,
                sha256: String::new(),
            },
        ];
        let binding = Binding {
            size: 5,
            sha256: "cd".repeat(32),
        };
        let back = decode_header(&encode_header(&entries, &binding), &binding).expect("decodes");
        assert_eq!(back.len(), 3);
        for (a, b) in entries.iter().zip(&back) {
            assert_eq!(
                (&a.name, &a.outcome, &a.notes),
                (&b.name, &b.outcome, &b.notes)
            );
            assert_eq!((a.offset, a.len, &a.sha256), (b.offset, b.len, &b.sha256));
        }
        let other = Binding {
            size: 6,
            ..binding.clone()
        };
        assert!(decode_header(&encode_header(&entries, &binding), &other).is_none());
    }

    #[test]
    fn prune_keeps_the_newest_indexes_and_drops_old_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        for i in 0..KEEP + 3 {
            let f = File::create(dir.path().join(format!("{i:02}.idx"))).unwrap();
            f.set_modified(old + std::time::Duration::from_secs(i as u64))
                .unwrap();
        }
        let tmp = File::create(dir.path().join(".tmp-1-2")).unwrap();
        tmp.set_modified(old).unwrap();
        let keep = dir.path().join("00.idx");
        prune(dir.path(), &keep);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left.len(), KEEP, "{left:?}");
        assert!(left.contains(&"00.idx".to_string()), "{left:?}");
        assert!(left.contains(&format!("{:02}.idx", KEEP + 2)), "{left:?}");
        assert!(!left.contains(&"01.idx".to_string()), "{left:?}");
    }

    #[test]
    fn a_damaged_header_is_not_read() {
        let b = Binding {
            size: 1,
            sha256: "00".into(),
        };
        let line = b.line();
        assert!(decode_header("patchplan-osv-index/1\n", &b).is_none());
        let two_keys_one_given = format!("{line}\na.json\tA\t0\t5\t\t2\tcrates.io\n");
        assert!(decode_header(&two_keys_one_given, &b).is_none());
        assert!(decode_header(&format!("{line}\na.json\tQ\t0\t5\t\t0\n"), &b).is_none());
    }
}
