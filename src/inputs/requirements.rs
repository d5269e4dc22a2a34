//! pip requirements files: the `name==version` (or `===`) pins, which are what a
//! `pip freeze` or `pip-compile` writes.
//!
//! Hand-written, because only pins are read: a full PEP 508 parser would accept ranges that
//! cannot be matched anyway. Comments, environment markers (`; python_version < "3.11"`), extras
//! (`name[extra]`), per-requirement options (`--hash=...`) and `\` continuations are removed.
//! Options lines (`-e`, `--index-url`, ...), direct URLs and paths are not registry pins and are
//! skipped; an unpinned requirement, or an included file (`-r`, `-c`) that is not followed, is
//! a warning. A line that is no requirement at all is an error.

use super::{Inputs, Package};
use crate::diag::Source;
use crate::error::{Error, Result};

/// One requirement, joined across `\` continuations and stripped of its comment.
struct Line {
    /// Byte offset of its first non-blank character in the file.
    at: usize,
    text: String,
}

/// What one line says.
#[derive(Debug, PartialEq, Eq)]
enum Requirement {
    Pin { name: String, version: String },
    Unpinned,
    Include,
    Skipped,
}

/// The pinned packages of a requirements file.
pub fn parse(source: &Source) -> Result<Inputs> {
    let mut out = Inputs::default();
    let mut diags = Vec::new();
    for line in lines(&source.text) {
        let at = line.at..line.at;
        match requirement(&line.text) {
            Ok(Requirement::Pin { name, version }) => {
                out.packages.push(Package::new("PyPI", name, version));
            }
            Ok(Requirement::Unpinned) => {
                let message = format!(
                    "`{}` is not pinned to one version (`name==version`); not matched",
                    line.text
                );
                out.warnings.push(source.at(at, message).to_string());
            }
            Ok(Requirement::Include) => {
                let message = format!(
                    "`{}`: included files are not read; scan that file too",
                    line.text
                );
                out.warnings.push(source.at(at, message).to_string());
            }
            Ok(Requirement::Skipped) => {}
            Err(message) => diags.push(source.at(at, message)),
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid(diags))
    }
}

/// The file's logical lines: comments removed, continuations joined, blank lines dropped.
fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut pending: Option<Line> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let content = strip_comment(raw.trim_end_matches(['\n', '\r']));
        let (content, continues) = match content.trim_end().strip_suffix('\\') {
            Some(c) => (c, true),
            None => (content, false),
        };
        let lead = content.len() - content.trim_start().len();
        let line = pending.get_or_insert_with(|| Line {
            at: start + lead,
            text: String::new(),
        });
        if !line.text.is_empty() {
            line.text.push(' ');
        }
        line.text.push_str(content.trim());
        if !continues {
            out.extend(pending.take().filter(|l| !l.text.is_empty()));
        }
    }
    out.extend(pending.filter(|l| !l.text.is_empty()));
    out
}

/// pip's rule: `#` starts a comment at the start of a line or after whitespace.
fn strip_comment(line: &str) -> &str {
    let mut prev_blank = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_blank {
            return &line[..i];
        }
        prev_blank = c.is_whitespace();
    }
    line
}

fn requirement(line: &str) -> std::result::Result<Requirement, String> {
    if let Some(option) = line.strip_prefix('-') {
        // Short options may be glued to their value, as in `-rbase.txt`.
        let include = match option.strip_prefix('-') {
            Some(long) => long.starts_with("requirement") || long.starts_with("constraint"),
            None => option.starts_with(['r', 'c']),
        };
        return Ok(if include {
            Requirement::Include
        } else {
            Requirement::Skipped
        });
    }
    // Markers and per-requirement options (`--hash`) follow the specifier.
    let spec = line.split(';').next().unwrap_or(line);
    let spec = spec.split(" --").next().unwrap_or(spec).trim();
    if spec.contains("://") || spec.starts_with(['.', '/']) {
        return Ok(Requirement::Skipped); // a direct URL or a local path
    }
    let name_end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let (name, rest) = spec.split_at(name_end);
    if name.is_empty() {
        return Err(format!("`{line}` is not a requirement"));
    }
    let rest: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
    let rest = match rest.strip_prefix('[') {
        Some(r) => match r.split_once(']') {
            Some((_, after)) => after,
            None => return Err(format!("`{line}`: unclosed `[` of extras")),
        },
        None => rest.as_str(),
    };
    if rest.starts_with('@') {
        return Ok(Requirement::Skipped); // `name @ URL`: not from the registry
    }
    let version = rest.strip_prefix("===").or_else(|| rest.strip_prefix("=="));
    match version {
        Some(v) if !v.is_empty() && !v.contains(['*', ',']) => Ok(Requirement::Pin {
            name: name.to_string(),
            version: v.to_string(),
        }),
        _ if rest.is_empty() || rest.starts_with(['=', '~', '!', '<', '>']) => {
            Ok(Requirement::Unpinned)
        }
        _ => Err(format!("`{line}` is not a requirement")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Host, fixture, read_lockfile, triples};

    fn case(line: &str, expected: Requirement) {
        assert_eq!(requirement(line), Ok(expected), "{line}");
    }

    fn pin(name: &str, version: &str) -> Requirement {
        Requirement::Pin {
            name: name.into(),
            version: version.into(),
        }
    }

    #[test]
    fn reads_pins_and_tells_the_rest_apart() {
        use Requirement::*;
        case("requests==2.31.0", pin("requests", "2.31.0"));
        case("requests == 2.31.0", pin("requests", "2.31.0"));
        case("Django===4.2.1", pin("Django", "4.2.1"));
        case("uvicorn[standard]==0.23.2", pin("uvicorn", "0.23.2"));
        case(
            "pywin32==306 ; sys_platform == \"win32\"",
            pin("pywin32", "306"),
        );
        case(
            "idna==3.4 --hash=sha256:90b7 --hash=sha256:814f",
            pin("idna", "3.4"),
        );
        case("flask>=2.0", Unpinned);
        case("flask", Unpinned);
        case("flask==2.*", Unpinned);
        case("flask~=2.3", Unpinned);
        case("flask==2.3.2,!=2.3.1", Unpinned);
        case("-r base.txt", Include);
        case("--requirement=base.txt", Include);
        case("-c constraints.txt", Include);
        case("-e ./vendor/lib", Skipped);
        case("--index-url https://pypi.example.com/simple", Skipped);
        case("--extra-index-url https://pypi.example.com/simple", Skipped);
        case("--require-hashes", Skipped);
        case("./wheels/lib-1.0-py3-none-any.whl", Skipped);
        case("https://example.com/lib-1.0.tar.gz", Skipped);
        case("lib @ https://example.com/lib-1.0.tar.gz", Skipped);
        assert!(requirement("<html>").is_err());
        assert!(requirement("flask[async==2.0").is_err());
        assert!(requirement("flask 2.0").is_err());
    }

    #[test]
    fn joins_continuations_and_drops_comments() {
        let text = "# header\nidna==3.4 \\\n    --hash=sha256:90b7 \\\n    --hash=sha256:814f\n\n  attrs==23.1.0  # pinned by pip-compile\nurl#frag==1\n";
        let found: Vec<(usize, String)> = lines(text).into_iter().map(|l| (l.at, l.text)).collect();
        assert_eq!(
            found,
            [
                (9, "idna==3.4 --hash=sha256:90b7 --hash=sha256:814f".into()),
                (72, "attrs==23.1.0".into()),
                (111, "url#frag==1".into()),
            ]
        );
    }

    #[test]
    fn unpinned_requirements_are_warnings_and_garbage_is_an_error() {
        let src = Source::new("requirements.txt", "a==1\n  b>=2\n".into());
        let inputs = parse(&src).unwrap();
        assert_eq!(triples(&inputs), [("PyPI", "a", "1")]);
        assert_eq!(
            inputs.warnings,
            [
                "requirements.txt:2:3: `b>=2` is not pinned to one version (`name==version`); not matched"
            ]
        );
        let src = Source::new("requirements.txt", "a==1\n{\"not\": 1}\n".into());
        let err = parse(&src).unwrap_err().to_string();
        assert!(
            err.starts_with("requirements.txt:2:1: `{\"not\": 1}` is not a requirement"),
            "{err}"
        );
    }

    #[test]
    fn reads_the_fixture() {
        let inputs = read_lockfile(&fixture("requirements.txt"), &Host::default()).unwrap();
        assert_eq!(
            triples(&inputs),
            [
                ("PyPI", "certifi", "2023.7.22"),
                ("PyPI", "charset-normalizer", "3.2.0"),
                ("PyPI", "django", "4.2.1"),
                ("PyPI", "idna", "3.4"),
                ("PyPI", "requests", "2.28.2"),
                ("PyPI", "typing-extensions", "4.7.1"),
                ("PyPI", "urllib3", "1.26.16"),
                ("PyPI", "uvicorn", "0.23.2"),
                ("PyPI", "pywin32", "306"),
                ("PyPI", "zope-interface", "6.0"),
            ]
        );
        assert_eq!(inputs.warnings.len(), 3, "{:#?}", inputs.warnings);
        assert!(
            inputs.warnings[0].contains("`-r base.txt`"),
            "{:#?}",
            inputs.warnings
        );
        assert!(
            inputs.warnings[1].contains("`gunicorn>=21`"),
            "{:#?}",
            inputs.warnings
        );
        assert!(
            inputs.warnings[2].contains("`sentry-sdk`"),
            "{:#?}",
            inputs.warnings
        );
    }
}
