//! Where in its file a package was declared, for reports that point at a line (SARIF).
//!
//! Best effort and format-blind on purpose: the readers of `inputs/` keep no positions, and every
//! format this tool reads writes a package's name and its version on one line or on lines close
//! together (`name = "h2"` / `version = "0.4.6"` in Cargo.lock and TOML, `"node_modules/axios"` /
//! `"version": "1.7.7"` in package-lock.json, `h2==0.4.6` in requirements, a purl in an SBOM).
//! The first line that names the package with its version at most [`NEAR`] lines below is the
//! package's line; none is no line, never a wrong guess at another package's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// How many lines below the name the version may stand.
const NEAR: usize = 4;

/// The 1-based line of `name` at `version` in `text`, if one is found.
pub fn line_of(text: &str, name: &str, version: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let bare = version.trim_start_matches('v');
    (0..lines.len())
        .find(|&i| {
            names(lines[i], name)
                && lines[i..lines.len().min(i + NEAR + 1)]
                    .iter()
                    .any(|l| has_token(l, version) || has_token(l, bare))
        })
        .map(|i| i + 1)
}

/// Whether `line` names `name` as a whole token (not `h2` inside `h2o`).
fn names(line: &str, name: &str) -> bool {
    has_token(line, name) || has_token(line, &name.to_ascii_lowercase())
}

fn has_token(line: &str, token: &str) -> bool {
    if token.is_empty() {
        return false;
    }
    let joined = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_');
    line.match_indices(token).any(|(at, _)| {
        let rest = &line[at + token.len()..];
        let before = line[..at].chars().next_back();
        let after = rest.chars().next();
        let glued_before = before.is_some_and(|c| joined(c) || c == '.');
        let glued_after = after.is_some_and(joined)
            || (after == Some('.') && rest[1..].starts_with(|c: char| c.is_ascii_digit()));
        !glued_before && !glued_after
    })
}

/// Reads each file once, however many findings point into it.
#[derive(Default)]
pub struct Files {
    texts: HashMap<PathBuf, Option<String>>,
}

impl Files {
    /// The line of `name` at `version` in `path`; `None` when unreadable or not found.
    pub fn line(&mut self, path: &Path, name: &str, version: &str) -> Option<usize> {
        let text = self
            .texts
            .entry(path.to_path_buf())
            .or_insert_with(|| std::fs::read_to_string(path).ok());
        text.as_deref().and_then(|t| line_of(t, name, version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(text: &str, name: &str, version: &str, line: Option<usize>) {
        assert_eq!(
            line_of(text, name, version),
            line,
            "{name} {version} in {text:?}"
        );
    }

    #[test]
    fn finds_the_package_line_in_each_layout() {
        let cargo = "[[package]]\nname = \"h2o\"\nversion = \"0.4.6\"\n\n[[package]]\nname = \"h2\"\nversion = \"0.4.6\"\n";
        case(cargo, "h2", "0.4.6", Some(6));
        case(cargo, "h2", "0.4.7", None);
        let npm = "{\n  \"node_modules/axios\": {\n    \"version\": \"1.7.7\",\n";
        case(npm, "axios", "1.7.7", Some(2));
        case(
            "flask==2.0.1\nrequests==2.31.0\n",
            "requests",
            "2.31.0",
            Some(2),
        );
        case(
            "golang.org/x/net v0.38.0 h1:abc=\n",
            "golang.org/x/net",
            "v0.38.0",
            Some(1),
        );
        case(
            "\"purl\": \"pkg:npm/lodash@4.17.20\"",
            "lodash",
            "4.17.20",
            Some(1),
        );
        case(
            "version = \"1.2.30\"\nname = \"x\"\nversion = \"1.2.3\"",
            "x",
            "1.2.3",
            Some(2),
        );
        case("name = \"x\"\nversion = \"1.2.30\"", "x", "1.2.3", None);
    }
}
