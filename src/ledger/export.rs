//! `ledger export` and `ledger import`: every row of every table as JSON, for backup and
//! restore. The export names its schema version; an import builds the schema up to that version,
//! inserts the rows, then migrates forward, all in one transaction, and only into a new (or
//! empty) ledger, so that a restore never mixes two histories.
//!
//! A BLOB column holds compressed text (a notice content): the export shows the text, and an
//! import compresses it again and checks it against its SHA-256.

use std::path::Path;

use rusqlite::types::{Value as SqlValue, ValueRef};
use serde_json::{Map, Value};

use super::contents::{self, Deflater};
use super::hash;
use super::schema;
use super::{Ledger, LedgerError, Result};

/// The export's schema name.
pub const SCHEMA: &str = "patchplan.ledger/v1";

/// Every table's rows, in rowid order.
pub fn export(ledger: &Ledger) -> Result<Value> {
    let mut tables = Map::new();
    let version = schema::version(ledger.conn()).map_err(|e| ledger.err(e))?;
    for table in schema::tables(version) {
        tables.insert(table.into(), Value::Array(rows(ledger, table)?));
    }
    Ok(serde_json::json!({ "schema": SCHEMA, "version": version, "tables": tables }))
}

fn rows(ledger: &Ledger, table: &str) -> Result<Vec<Value>> {
    let mut stmt = ledger
        .conn()
        .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
        .map_err(|e| ledger.err(e))?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let rows = stmt
        .query_map([], |r| {
            let mut obj = Map::new();
            for (i, name) in names.iter().enumerate() {
                let value = json_value(r.get_ref(i)?).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        i,
                        rusqlite::types::Type::Blob,
                        e.into(),
                    )
                })?;
                obj.insert(name.clone(), value);
            }
            Ok(Value::Object(obj))
        })
        .map_err(|e| ledger.err(e))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(|e| ledger.err(e))
}

fn json_value(v: ValueRef) -> std::result::Result<Value, String> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => f.into(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
        ValueRef::Blob(b) => contents::inflate(b)?.into(),
    })
}

/// Restores `export` (read from `source`) into a new ledger at `path`; returns the rows
/// imported per table.
pub fn import(path: &Path, export: &Value, source: &Path) -> Result<Vec<(&'static str, usize)>> {
    let bad = |message: String| LedgerError::Import {
        path: source.to_path_buf(),
        message,
    };
    if export["schema"] != SCHEMA {
        return Err(bad(format!(
            "not a ledger export (schema is not `{SCHEMA}`)"
        )));
    }
    let version = export["version"]
        .as_i64()
        .filter(|v| (1..=schema::VERSION).contains(v));
    let version = version.ok_or_else(|| {
        bad(format!(
            "unsupported ledger version {} (this patchplan reads 1 to {})",
            export["version"],
            schema::VERSION
        ))
    })?;
    if path.exists() && std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(true) {
        return Err(LedgerError::Import {
            path: path.to_path_buf(),
            message: "a ledger is already here; import into a new path (--ledger PATH)".into(),
        });
    }
    let existed = path.exists();
    let ledger = Ledger::create_empty(path)?;
    let done = restore(&ledger, export, version, &bad);
    if done.is_err() && !existed {
        // A failed import leaves no file behind, so that the fixed export can be imported to
        // the same path.
        drop(ledger);
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
    done
}

/// Inserts every row of `export` into the new `ledger`, in one transaction.
fn restore(
    ledger: &Ledger,
    export: &Value,
    version: i64,
    bad: &dyn Fn(String) -> LedgerError,
) -> Result<Vec<(&'static str, usize)>> {
    ledger.begin()?;
    schema::migrate(ledger.conn(), 0, version).map_err(|e| ledger.err(e))?;
    let mut counts = Vec::new();
    let mut z = Deflater::default();
    for table in schema::tables(version) {
        let rows = export["tables"][table]
            .as_array()
            .ok_or_else(|| bad(format!("no `{table}` rows")))?;
        for row in rows {
            insert(ledger, table, row, &mut z).map_err(|e| bad(format!("{table}: {e}")))?;
        }
        counts.push((table, rows.len()));
    }
    schema::migrate(ledger.conn(), version, schema::VERSION).map_err(|e| ledger.err(e))?;
    if let Some(problem) = ledger.sighting_problems()?.into_iter().next() {
        return Err(bad(problem));
    }
    ledger.commit()?;
    Ok(counts)
}

/// Inserts one exported row; its keys must be the table's columns, each value of the column's
/// type (text or integer; null only where the column allows it; text for a BLOB, which is
/// stored compressed), a notice file's path of the shape the ledger itself writes
/// (`notices/CUSTOMER/ID.FORMAT`): the next plan rewrites missing files from these paths, and
/// a notice content's text must have its SHA-256.
fn insert(
    ledger: &Ledger,
    table: &str,
    row: &Value,
    z: &mut Deflater,
) -> std::result::Result<(), String> {
    let obj = row.as_object().ok_or("a row is not an object")?;
    let columns = columns(ledger, table).map_err(|e| e.to_string())?;
    for (k, v) in obj {
        let column = columns
            .iter()
            .find(|c| &c.name == k)
            .ok_or_else(|| format!("unknown column `{k}`"))?;
        column.check(v)?;
    }
    check_row(table, obj)?;
    let names: Vec<&String> = obj.keys().collect();
    let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names
            .iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        marks.join(", ")
    );
    let values: Vec<SqlValue> = (obj.iter())
        .map(|(k, v)| match v {
            Value::String(text) if columns.iter().any(|c| &c.name == k && c.kind == "BLOB") => {
                Ok(SqlValue::Blob(z.deflate(text)))
            }
            _ => sql_value(v),
        })
        .collect::<std::result::Result<_, _>>()?;
    ledger
        .conn()
        .prepare_cached(&sql)
        .and_then(|mut s| s.execute(rusqlite::params_from_iter(values)))
        .map(drop)
        .map_err(|e| e.to_string())
}

/// The columns that hold instants (RFC 3339), in whichever table has them.
const INSTANTS: [&str; 16] = [
    "at",
    "end",
    "enqueued_at",
    "first_seen",
    "issued_at",
    "last_attempt_at",
    "next_attempt_at",
    "now",
    "outcome_at",
    "previous_end",
    "previous_start",
    "recorded_at",
    "sent_at",
    "start",
    "window_end",
    "window_start",
];

/// What the ledger's own writes guarantee of a row beyond its columns' types: an instant is an
/// RFC 3339 time and a `sequence` fits a notice's (every later command reads them so), a notice
/// file's path is one the ledger would write, a notice content has the SHA-256 it is stored
/// under, and a window's snapshot the SHA-256 beside it (where it has one).
fn check_row(table: &str, obj: &Map<String, Value>) -> std::result::Result<(), String> {
    for (key, v) in obj {
        if let Some(t) = v.as_str().filter(|_| INSTANTS.contains(&key.as_str()))
            && super::store::parse_ts(t).is_err()
        {
            let t = crate::diag::excerpt(t);
            return Err(format!(
                "column `{key}` holds `{t}`, expected an RFC 3339 time"
            ));
        }
        if key == "sequence" && v.as_i64().is_some_and(|n| u32::try_from(n).is_err()) {
            return Err(format!(
                "column `sequence` holds {v}, expected 0 to {}",
                u32::MAX
            ));
        }
    }
    let text = |key: &str| obj.get(key).and_then(Value::as_str);
    match table {
        "notice_files" => match text("path") {
            Some(path) if !crate::notice::is_notice_path(path) => Err(format!(
                "path `{}` is not a notice file path (notices/CUSTOMER/ID.FORMAT)",
                path.escape_debug()
            )),
            _ => Ok(()),
        },
        "notice_contents" => {
            let named = text("sha256").unwrap_or_default();
            match hash::sha256(text("content").unwrap_or_default().as_bytes()) == named {
                true => Ok(()),
                false => Err(format!(
                    "content {} does not have that SHA-256",
                    crate::diag::excerpt(named)
                )),
            }
        }
        "windows" => match text("snapshot_sha256") {
            Some(named)
                if hash::sha256(text("snapshot").unwrap_or_default().as_bytes()) != named =>
            {
                Err(format!(
                    "window `{}`: its snapshot does not have the SHA-256 {}",
                    crate::diag::excerpt(text("key").unwrap_or_default()),
                    crate::diag::excerpt(named)
                ))
            }
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

/// A column as the schema declares it.
struct Column {
    name: String,
    kind: String,
    not_null: bool,
}

impl Column {
    /// Whether `v` fits the column: SQLite would store a string in an INTEGER column.
    fn check(&self, v: &Value) -> std::result::Result<(), String> {
        let fits = match v {
            Value::Null => !self.not_null,
            Value::String(_) => self.kind == "TEXT" || self.kind == "BLOB",
            Value::Number(n) => self.kind == "INTEGER" && n.is_i64(),
            _ => false,
        };
        match fits {
            true => Ok(()),
            false => Err(format!(
                "column `{}` holds {} ({}), expected {}",
                self.name,
                kind_of(v),
                crate::diag::excerpt(&v.to_string()),
                match (self.kind.as_str(), self.not_null) {
                    ("TEXT" | "BLOB", true) => "a string",
                    ("TEXT" | "BLOB", false) => "a string or null",
                    (_, true) => "an integer",
                    (_, false) => "an integer or null",
                }
            )),
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn columns(ledger: &Ledger, table: &str) -> rusqlite::Result<Vec<Column>> {
    let mut stmt = ledger
        .conn()
        .prepare_cached("SELECT name, type, \"notnull\" FROM pragma_table_info(?1)")?;
    let rows = stmt.query_map([table], |r| {
        Ok(Column {
            name: r.get(0)?,
            kind: r.get::<_, String>(1)?.to_uppercase(),
            not_null: r.get::<_, i64>(2)? != 0,
        })
    })?;
    rows.collect()
}

fn sql_value(v: &Value) -> std::result::Result<SqlValue, String> {
    Ok(match v {
        Value::Null => SqlValue::Null,
        Value::String(s) => SqlValue::Text(s.clone()),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64().ok_or("a number out of range")?),
        },
        other => return Err(format!("unexpected value {other}")),
    })
}
