//! Notice files and their contents. A notice's files are rows of `notice_files` (notice, path,
//! content hash); each distinct content is stored once in `notice_contents` under its SHA-256,
//! as text (schema version 6). Versions 4 and 5 stored it zlib-compressed, a BLOB: those still
//! read. A fleet's plan issues tens of thousands of small notice files, and a zlib compressor's
//! reset before each (it clears a 128 KB table) cost as much as compressing it: about 0.9 s of
//! CPU for a 20,000-environment fleet's 55,000 files, to save 38 MB. A file issued again
//! unchanged costs one more row of `notice_files`.

use std::io::{Read, Write};
use std::path::Path;

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row, params};

use super::{Ledger, Result, hash};

/// The largest content a stored notice file may inflate to; a larger one is damage (or a
/// hostile ledger), not a notice.
const MAX_CONTENT: u64 = 64 << 20;

/// A notice file as the ledger stores it: its path and content, borrowed from the rendered
/// notice, and the content's hash.
#[derive(Debug, Clone)]
pub struct StoredFile<'a> {
    /// Relative to the output directory.
    pub path: &'a str,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub content: &'a str,
}

impl<'a> StoredFile<'a> {
    /// `content` at `path`, hashed.
    pub fn new(path: &'a str, content: &'a str) -> StoredFile<'a> {
        StoredFile {
            path,
            sha256: hash::sha256(content.as_bytes()),
            content,
        }
    }
}

/// A stored notice content as text: stored as text (schema 6), or zlib-compressed (schemas 4
/// and 5).
pub fn stored_text(v: ValueRef) -> std::result::Result<String, String> {
    match v {
        ValueRef::Text(t) => {
            String::from_utf8(t.to_vec()).map_err(|_| "a notice content is not UTF-8".to_string())
        }
        ValueRef::Blob(b) => inflate(b),
        _ => Err(format!(
            "a notice content is {}, not text",
            v.data_type().to_string().to_lowercase()
        )),
    }
}

/// A zlib compressor kept from one content to the next: setting one up costs more than
/// compressing a window's snapshot, and a plan stores thousands of them.
pub struct Deflater(ZlibEncoder<Vec<u8>>);

impl Default for Deflater {
    fn default() -> Deflater {
        // The fast level: the better ones save a few per cent more, for twice the time.
        Deflater(ZlibEncoder::new(Vec::new(), Compression::fast()))
    }
}

impl Deflater {
    /// `text`, zlib-compressed.
    pub fn deflate(&mut self, text: impl AsRef<[u8]>) -> Vec<u8> {
        self.0.write_all(text.as_ref()).expect("writing to memory");
        self.0.reset(Vec::new()).expect("writing to memory")
    }
}

/// The text that [`Deflater::deflate`] made `bytes` from.
pub fn inflate(bytes: &[u8]) -> std::result::Result<String, String> {
    text_of(ZlibDecoder::new(bytes))
}

/// A zlib decompressor kept from one content to the next, as [`Deflater`] is: setting one up
/// costs about as much as inflating a window's snapshot, and a fleet's ledger has thousands.
#[derive(Default)]
pub struct Inflater(Option<ZlibDecoder<std::io::Cursor<Vec<u8>>>>);

impl Inflater {
    /// [`inflate`] of `bytes`.
    pub fn inflate(&mut self, bytes: Vec<u8>) -> std::result::Result<String, String> {
        let input = std::io::Cursor::new(bytes);
        let decoder = match &mut self.0 {
            Some(d) => {
                d.reset(input);
                d
            }
            None => self.0.insert(ZlibDecoder::new(input)),
        };
        text_of(decoder)
    }
}

/// What `decoder` inflates to, as text of at most [`MAX_CONTENT`] bytes.
fn text_of(mut decoder: impl Read) -> std::result::Result<String, String> {
    let mut text = String::new();
    decoder
        .by_ref()
        .take(MAX_CONTENT + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("a notice content does not inflate: {e}"))?;
    if text.len() as u64 > MAX_CONTENT {
        return Err(format!(
            "a notice content inflates to more than {MAX_CONTENT} bytes"
        ));
    }
    Ok(text)
}

/// Column `i` of `r`, a stored content, as text.
fn content(r: &Row, i: usize) -> rusqlite::Result<String> {
    let v = r.get_ref(i)?;
    stored_text(v)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, v.data_type(), e.into()))
}

/// [`Ledger::insert_files`], on a connection (a migration has no [`Ledger`] yet).
pub(super) fn insert_files(
    conn: &Connection,
    seq: i64,
    files: &[StoredFile],
) -> rusqlite::Result<()> {
    let mut content = conn.prepare_cached(
        "INSERT INTO notice_contents (sha256, content) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?;
    let mut file = conn.prepare_cached(
        "INSERT INTO notice_files (notice, path, content_sha256) VALUES (?1, ?2, ?3)",
    )?;
    for f in files {
        content.execute(params![f.sha256, f.content])?;
        file.execute(params![seq, f.path, f.sha256])?;
    }
    Ok(())
}

impl Ledger {
    /// Records `files` as notice row `seq`'s; a content already stored is not stored again.
    pub fn insert_files(&self, seq: i64, files: &[StoredFile]) -> Result<()> {
        insert_files(self.conn(), seq, files).map_err(|e| self.err(e))
    }

    /// The files of notice row `seq`: (path, content), by path.
    pub fn notice_files(&self, seq: i64) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn()
            .prepare_cached(
                "SELECT f.path, c.content FROM notice_files f JOIN notice_contents c ON c.sha256 = f.content_sha256
                 WHERE f.notice = ?1 ORDER BY f.path",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([seq], |r| Ok((r.get(0)?, content(r, 1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// Every notice file as (notice row, path, content when it is a `.json` file: the notice's
    /// view model), by notice and path; the views of notices from row `first` on (a run's own,
    /// in its open transaction) are `views` (by path), not read back and inflated.
    pub(super) fn notice_views_before(
        &self,
        first: i64,
        views: &rustc_hash::FxHashMap<&str, &str>,
    ) -> Result<Vec<(i64, String, Option<String>)>> {
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT f.notice, f.path, c.content, substr(f.path, -5) = '.json' FROM notice_files f
                 LEFT JOIN notice_contents c ON c.sha256 = f.content_sha256
                   AND substr(f.path, -5) = '.json' AND f.notice < ?1
                 ORDER BY f.notice, f.path",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([first], |r| {
                let notice: i64 = r.get(0)?;
                let path: String = r.get(1)?;
                let view = match r.get_ref(2)? {
                    _ if notice >= first && r.get::<_, bool>(3)? => {
                        views.get(path.as_str()).map(|v| v.to_string())
                    }
                    rusqlite::types::ValueRef::Null => None,
                    _ => Some(content(r, 2)?),
                };
                Ok((notice, path, view))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))
    }

    /// The recorded notice files that are missing under `out`, with their contents. The paths
    /// `written` (the run's own files, staged or found up to date moments before) are not looked
    /// for again.
    pub fn missing_files(
        &self,
        out: &Path,
        written: &std::collections::HashSet<&str>,
    ) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT path, content_sha256 FROM notice_files ORDER BY notice, path")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        let all: Vec<(String, String)> = rows
            .collect::<rusqlite::Result<_>>()
            .map_err(|e| self.err(e))?;
        let unwritten: Vec<&(String, String)> = (all.iter())
            .filter(|(p, _)| !written.contains(p.as_str()))
            .collect();
        let paths: Vec<&str> = unwritten.iter().map(|(p, _)| p.as_str()).collect();
        let there = crate::files::exist(out, &paths);
        let absent = (unwritten.into_iter().zip(there))
            .filter(|(_, there)| !there)
            .map(|(file, _)| file.clone());
        let mut read = self
            .conn()
            .prepare_cached("SELECT content FROM notice_contents WHERE sha256 = ?1")
            .map_err(|e| self.err(e))?;
        let mut missing = Vec::new();
        for (path, sha256) in absent {
            let text = read
                .query_row([&sha256], |r| content(r, 0))
                .map_err(|e| self.err(e))?;
            missing.push((path, text));
        }
        Ok(missing)
    }

    /// Each stored content whose SHA-256 is not its name, or that does not inflate.
    pub(super) fn content_problems(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT sha256, content FROM notice_contents ORDER BY rowid")
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        let mut problems = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let sha256: String = r.get(0).map_err(|e| self.err(e))?;
            let stored = r.get_ref(1).map_err(|e| self.err(e))?;
            match stored_text(stored) {
                Ok(text) if hash::sha256(text.as_bytes()) == sha256 => {}
                Ok(_) => problems.push(format!(
                    "notice content {sha256} does not have that SHA-256"
                )),
                Err(e) => problems.push(format!("notice content {sha256}: {e}")),
            }
        }
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_round_trip() {
        let mut z = Deflater::default();
        for text in ["", "Hello", &"Dear customer, ".repeat(200), "é ✓ \u{1F512}"] {
            assert_eq!(inflate(&z.deflate(text)).unwrap(), text);
        }
        let long = "Dear customer, ".repeat(200);
        assert!(z.deflate(&long).len() < long.len() / 10);
        assert!(inflate(b"not zlib").is_err());
    }

    /// A content reads alike stored as text (schema 6) or compressed (schemas 4 and 5); one
    /// that is neither, or not UTF-8, is an error.
    #[test]
    fn stored_contents_read_as_text_or_compressed() {
        let text = "Dear customer, ✓\n".repeat(50);
        let deflated = Deflater::default().deflate(&text);
        assert_eq!(stored_text(ValueRef::Text(text.as_bytes())).unwrap(), text);
        assert_eq!(stored_text(ValueRef::Blob(&deflated)).unwrap(), text);
        assert!(stored_text(ValueRef::Text(b"\xff\xfe")).is_err());
        assert!(stored_text(ValueRef::Blob(b"not zlib")).is_err());
        let e = stored_text(ValueRef::Integer(7)).unwrap_err();
        assert!(e.contains("integer"), "{e}");
    }

    /// One inflater for many contents, a damaged one among them, reads each as `inflate` does.
    #[test]
    fn an_inflater_kept_between_contents_reads_each_alike() {
        let mut z = Deflater::default();
        let texts = ["{}", "Dear customer,\n", &"x".repeat(70_000), ""];
        let mut stored: Vec<Vec<u8>> = texts.iter().map(|t| z.deflate(t)).collect();
        let mut cut = stored[2].clone();
        cut.truncate(cut.len() / 2);
        stored.insert(2, cut);
        stored.insert(1, b"not zlib".to_vec());
        let mut kept = Inflater::default();
        for bytes in stored {
            assert_eq!(kept.inflate(bytes.clone()), inflate(&bytes));
        }
    }
}
