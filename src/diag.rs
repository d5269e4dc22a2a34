//! Positions in user-written files. Problems are reported like a compiler reports them:
//! `path:line:col: message`, so that editors and terminals can jump to them.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// At most the first 40 characters of a value quoted in a message, escaped, with `…` when cut:
/// a message names a bad value without repeating ten megabytes of it.
pub fn excerpt(value: &str) -> String {
    const MAX: usize = 40;
    let mut out: String = value
        .chars()
        .take(MAX)
        .collect::<String>()
        .escape_debug()
        .to_string();
    if value.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// One problem at one place in one file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            let (path, line, col) = (self.path.display(), self.line, self.col);
            write!(f, "{path}:{line}:{col}: {}", self.message)
        }
    }
}

/// The text of a user-written file, kept to turn byte offsets into lines and columns.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

impl Source {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Self {
        Source {
            path: path.into(),
            text,
        }
    }

    /// The 1-based line and column of byte `offset`.
    pub fn locate(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }

    /// A diagnostic at the start of `span`.
    pub fn at(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let (line, col) = self.locate(span.start);
        Diagnostic {
            path: self.path.clone(),
            line,
            col,
            message: message.into(),
        }
    }

    /// A diagnostic about the file as a whole.
    pub fn whole(path: &Path, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.to_path_buf(),
            line: 0,
            col: 0,
            message: message.into(),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Source {
    /// Deserialises this file as TOML into `T`; a syntax error or unknown key becomes a
    /// diagnostic at the position toml reports.
    pub fn parse_toml<T: serde::de::DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        toml::from_str(&self.text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            match e.span() {
                Some(span) => self.at(span, message),
                // The parser gives no place for nesting past its limit: the deepest line is it.
                None if message.contains("recursion limit") => {
                    let at = self.deepest_line();
                    self.at(at..at, "nested too deeply (a dotted key, array or table of more levels than the TOML parser allows)")
                }
                None => Source::whole(&self.path, message),
            }
        })
    }

    /// The byte offset of the line with the most `.`, `[` and `{`.
    fn deepest_line(&self) -> usize {
        let mut offset = 0;
        let mut best = (0, 0);
        for line in self.text.split_inclusive('\n') {
            let depth = line.matches(['.', '[', '{']).count();
            if depth > best.0 {
                best = (depth, offset);
            }
            offset += line.len();
        }
        best.1
    }
}

impl Source {
    /// Deserialises this file as JSON into `T`; a syntax or type error becomes a diagnostic at the
    /// line and column serde_json reports.
    pub fn parse_json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Diagnostic> {
        serde_json::from_str(&self.text).map_err(|e| self.json_error(&e))
    }

    /// Deserialises `part`, a slice of this file's text (such as a `RawValue` borrowed from it),
    /// as JSON into `T`; an error points at its place in the whole file.
    pub fn parse_json_part<'a, T: serde::Deserialize<'a>>(
        &self,
        part: &'a str,
    ) -> Result<T, Diagnostic> {
        serde_json::from_str(part).map_err(|e| self.json_error_in(self.offset_of(part), part, &e))
    }

    /// The byte offset of `part` in this file's text, when it is a slice of it (else 0).
    pub fn offset_of(&self, part: &str) -> usize {
        let (start, base) = (part.as_ptr() as usize, self.text.as_ptr() as usize);
        match start.checked_sub(base) {
            Some(offset) if offset + part.len() <= self.text.len() => offset,
            _ => 0,
        }
    }

    fn json_error(&self, e: &serde_json::Error) -> Diagnostic {
        self.json_error_in(0, &self.text, e)
    }

    /// A serde_json error in `text`, which starts at byte `base` of this file.
    fn json_error_in(&self, base: usize, text: &str, e: &serde_json::Error) -> Diagnostic {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
        if e.line() == 0 {
            return match base {
                0 => Source::whole(&self.path, message),
                _ => self.at(base..base, message),
            };
        }
        // serde_json counts columns in bytes; `locate` turns the offset into characters.
        let line_start = match e.line() {
            1 => 0,
            n => text
                .match_indices('\n')
                .nth(n - 2)
                .map_or(text.len(), |(i, _)| i + 1),
        };
        let offset = base + line_start + e.column().saturating_sub(1);
        self.at(offset..offset, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns() {
        let src = Source::new("a.toml", "x = 1\nyé = 2\n".to_string());
        assert_eq!(src.locate(0), (1, 1));
        assert_eq!(src.locate(6), (2, 1));
        // 'é' is two bytes: the '=' after it is the 4th character.
        assert_eq!(src.locate(10), (2, 4));
        assert_eq!(src.at(6..7, "bad").to_string(), "a.toml:2:1: bad");
    }

    #[test]
    fn json_errors_point_at_their_line_and_column() {
        let src = Source::new("a.json", "{\n  \"é\": 7,\n  \"b\": [1,\n".to_string());
        let err = src.parse_json::<serde_json::Value>().unwrap_err();
        assert_eq!(
            (err.line, err.message.as_str()),
            (4, "EOF while parsing a value")
        );
        #[derive(Debug, serde::Deserialize)]
        struct S {
            #[allow(dead_code)]
            x: String,
        }
        // serde_json says column 17 (bytes); `7` is the 16th character.
        let src = Source::new("a.json", "{\n  \"é\": 1, \"x\": 7\n}".to_string());
        let err = src.parse_json::<S>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "a.json:2:16: invalid type: integer `7`, expected a string"
        );
    }
}
