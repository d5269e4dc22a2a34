//! A line reader for Cargo.lock files exactly as Cargo writes them, used before the TOML parser.
//!
//! Parsing a 500-package Cargo.lock with the `toml` crate costs more than everything else a warm
//! `scan` does. Cargo writes lockfiles in one fixed shape (`[[package]]` tables of one-line
//! `key = "string"` pairs and a multi-line `dependencies` array, `[metadata]` checksums in v1,
//! `[[patch.unused]]`), so that shape is read line by line here. Anything else (a hand edit, an
//! escape sequence, an inline table, a key Cargo does not write) makes this reader give up with
//! `None`, and the caller parses the file with the full TOML parser instead, which also reports
//! errors with their positions. A test checks both readers agree on every real lockfile.

/// One `[[package]]` table: name, version and source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub name: String,
    pub version: String,
    pub source: Option<String>,
}

#[derive(PartialEq)]
enum Table {
    Top,
    Package,
    /// `[metadata]` or `[[patch.unused]]`: read, checked for shape, not kept.
    Other,
}

/// The packages of `text`, or `None` when it is not in the shape Cargo writes.
pub fn read(text: &str) -> Option<Vec<Locked>> {
    let mut out = Vec::new();
    let mut current: Option<Fields> = None;
    let mut table = Table::Top;
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r'));
    while let Some(line) = lines.next() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            if let Some(done) = current.take() {
                out.push(done.finish()?);
            }
            table = match line {
                "[[package]]" => Table::Package,
                "[metadata]" | "[[patch.unused]]" => Table::Other,
                _ => return None,
            };
            current = (table == Table::Package).then(Fields::default);
            continue;
        }
        let (key, value) = line.split_once(" = ")?;
        match (&table, current.as_mut()) {
            (Table::Top, _) => {
                (key == "version" && value.bytes().all(|b| b.is_ascii_digit())).then_some(())?
            }
            (Table::Package, Some(_)) if key == "dependencies" => skip_array(value, &mut lines)?,
            (Table::Package, Some(fields)) => fields.set(key, string(value)?)?,
            (Table::Other, _) if key == "dependencies" => skip_array(value, &mut lines)?,
            (Table::Other, _) => {
                string(value)?;
            }
            (Table::Package, None) => return None,
        }
    }
    if let Some(done) = current {
        out.push(done.finish()?);
    }
    Some(out)
}

#[derive(Default)]
struct Fields {
    name: Option<String>,
    version: Option<String>,
    source: Option<String>,
    checksum: bool,
}

impl Fields {
    /// Sets a key once; a key Cargo does not write, or a repeated one, gives up.
    fn set(&mut self, key: &str, value: &str) -> Option<()> {
        let slot = match key {
            "name" => &mut self.name,
            "version" => &mut self.version,
            "source" => &mut self.source,
            "checksum" if !self.checksum => {
                self.checksum = true;
                return Some(());
            }
            _ => return None,
        };
        slot.is_none().then(|| *slot = Some(value.to_string()))
    }

    fn finish(self) -> Option<Locked> {
        Some(Locked {
            name: self.name?,
            version: self.version?,
            source: self.source,
        })
    }
}

/// The content of a basic string with no escapes, quotes or control characters inside.
fn string(value: &str) -> Option<&str> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    // TOML forbids exactly these unescaped in a basic string; all are ASCII, so bytes suffice.
    let plain = |b: &u8| *b >= 0x20 && *b != 0x7f && *b != b'"' && *b != b'\\';
    inner.as_bytes().iter().all(plain).then_some(inner)
}

/// Checks an array of plain strings, on one line (`[]`, `["a", "b"]`) or one item per line up
/// to a closing `]` line, as Cargo writes `dependencies`.
fn skip_array<'a>(value: &str, lines: &mut impl Iterator<Item = &'a str>) -> Option<()> {
    if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
        let items = inner.split(", ").filter(|s| !s.is_empty());
        return items.map(string).all(|s| s.is_some()).then_some(());
    }
    if value != "[" {
        return None;
    }
    for line in lines {
        if line == "]" {
            return Some(());
        }
        string(line.trim_start().strip_suffix(',')?)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locked(name: &str, version: &str, source: Option<&str>) -> Locked {
        Locked {
            name: name.into(),
            version: version.into(),
            source: source.map(Into::into),
        }
    }

    #[test]
    fn reads_what_cargo_writes() {
        let text = "# This file is automatically @generated by Cargo.\n\
            version = 4\n\n\
            [[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"serde\",\n]\n\n\
            [[package]]\nname = \"serde\"\nversion = \"1.0.1\"\n\
            source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
            checksum = \"abc\"\ndependencies = []\n\n\
            [[patch.unused]]\nname = \"p\"\nversion = \"0.0.1\"\n\n\
            [metadata]\n\"checksum serde 1.0.1 (registry+x)\" = \"abc\"\n";
        let crates_io = Some("registry+https://github.com/rust-lang/crates.io-index");
        assert_eq!(
            read(text),
            Some(vec![
                locked("app", "0.1.0", None),
                locked("serde", "1.0.1", crates_io)
            ])
        );
    }

    #[test]
    fn gives_up_on_anything_else() {
        for text in [
            "[[package]]\nname = 'single'\nversion = \"1\"\n",
            "[[package]]\nname = \"a\\u0041\"\nversion = \"1\"\n",
            "[[package]]\nname = \"a\"\nname = \"b\"\nversion = \"1\"\n",
            "[[package]]\nname = \"a\"\nversion = \"1\"\nextra = \"x\"\n",
            "[[package]]\nname = \"a\"\n",
            "[[package]]\nname=\"a\"\nversion = \"1\"\n",
            "[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [\n \"b\",\n",
            "[package]\nname = \"a\"\nversion = \"1\"\n",
            "[[package]]\nname = \"a\" # comment\nversion = \"1\"\n",
            "version = \"3\"\n",
            "name = \"a\"\n",
        ] {
            assert_eq!(read(text), None, "{text:?}");
        }
    }
}
