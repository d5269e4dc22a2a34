//! The README stands on its own: every command of its `sh` blocks runs as shown, in order, in a
//! temporary copy of the example (and of the repository files the commands name), with the
//! debug binary in place of `patchplan` and `cargo run --release --` (so the test never builds in
//! release mode). A `text` block after them is what the last command run printed on stdout
//! (`...` is any number of lines); a `text file=PATH` block is that file's content.

use std::path::Path;

use crate::common::{command, example_copy, root};

/// Commands the README shows that this test does not run: they build, and one is this test.
const NOT_RUN: [&str; 2] = ["cargo test", "cargo install --path ."];

/// A fenced block: its info string (`sh`, `text file=...`), its text and its first line number.
struct Block {
    info: String,
    body: String,
    line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        match (open.as_mut(), line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_string(),
                    body: String::new(),
                    line: i + 1,
                })
            }
            (Some(_), Some("")) => out.extend(open.take()),
            (Some(b), _) => {
                b.body.push_str(line);
                b.body.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "the README ends inside a fenced block");
    out
}

/// The commands of an `sh` block: `\` continuations joined, `# comments` dropped, words split as
/// a shell splits them (single and double quotes; nothing is expanded).
fn commands(body: &str) -> Vec<Vec<String>> {
    let joined = body.replace("\\\n", " ");
    joined.lines().filter_map(words).collect()
}

fn words(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let (mut word, mut quote, mut started) = (String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => (quote, started) = (Some(c), true),
            (None, '#') if !started => break,
            (None, c) if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (None, c) => (word.push(c), started = true).1,
        }
    }
    assert!(quote.is_none(), "unclosed quote in `{line}`");
    if started {
        out.push(word);
    }
    (!out.is_empty()).then_some(out)
}

/// Whether `got` is `want`, where a `...` line of `want` stands for any number of lines.
fn matches(want: &[&str], got: &[&str]) -> bool {
    match want.split_first() {
        None => got.is_empty(),
        Some((&"...", rest)) => (0..=got.len()).any(|skip| matches(rest, &got[skip..])),
        Some((w, rest)) => got.first() == Some(w) && matches(rest, &got[1..]),
    }
}

fn lines(text: &str) -> Vec<&str> {
    text.trim_end_matches('\n').split('\n').collect()
}

/// Copies `rel` from the repository into `dir` unless it is already there (the example's
/// copy, or the output of an earlier command).
fn provide(dir: &Path, rel: &str) {
    let (from, to) = (root().join(rel), dir.join(rel));
    let generated = ["out", "target", ".git"].iter().any(|g| rel.starts_with(g));
    if generated || to.exists() || !from.exists() || rel.starts_with('-') {
        return;
    }
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    if from.is_dir() {
        std::fs::create_dir_all(&to).unwrap();
        for e in std::fs::read_dir(&from).unwrap() {
            let name = e.unwrap().file_name();
            provide(dir, &format!("{rel}/{}", name.to_string_lossy()));
        }
    } else {
        std::fs::copy(&from, &to).unwrap();
    }
}

/// The arguments of a README command for the binary, or `None` for one of [`NOT_RUN`].
fn binary_args(words: &[String], line: usize) -> Option<Vec<String>> {
    let text = words.join(" ");
    if NOT_RUN.contains(&text.as_str()) {
        return None;
    }
    let args = match words {
        [cargo, run, release, dashes, rest @ ..]
            if [cargo, run, release, dashes] == ["cargo", "run", "--release", "--"] =>
        {
            rest
        }
        [patchplan, rest @ ..] if patchplan == "patchplan" => rest,
        _ => panic!("README.md:{line}: `{text}` runs neither patchplan nor one of {NOT_RUN:?}"),
    };
    Some(args.to_vec())
}

#[test]
fn every_sh_block_runs_as_shown() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let tmp = example_copy();
    let dir = tmp.path();
    let (mut ran, mut compared, mut last) = (0, 0, None::<(String, String)>);
    for block in blocks(&readme) {
        let line = block.line;
        if block.info == "sh" {
            for words in commands(&block.body) {
                let Some(args) = binary_args(&words, line) else {
                    continue;
                };
                args.iter().for_each(|a| provide(dir, a));
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let o = command(dir, &args).output().unwrap();
                let (out, err) = (
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                    String::from_utf8_lossy(&o.stderr).into_owned(),
                );
                let shown = words.join(" ");
                assert!(
                    o.status.success() && !err.contains("panicked"),
                    "README.md:{line}: `{shown}` failed ({}):\n{err}",
                    o.status
                );
                ran += 1;
                last = Some((shown, out));
            }
        } else if block.info == "text" {
            let (shown, out) = last
                .as_ref()
                .unwrap_or_else(|| panic!("README.md:{line}: output before any command"));
            assert!(
                matches(&lines(&block.body), &lines(out)),
                "README.md:{line}: `{shown}` printed\n{out}\nnot what the README shows:\n{}",
                block.body
            );
            compared += 1;
        } else if let Some(file) = block.info.strip_prefix("text file=") {
            let path = dir.join(file);
            let got = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("README.md:{line}: {file}: {e}"));
            assert_eq!(
                lines(&block.body),
                lines(&got),
                "README.md:{line}: {file} is not what the README shows"
            );
            compared += 1;
        }
    }
    assert!(ran >= 10, "only {ran} commands ran");
    assert!(compared >= 6, "only {compared} outputs compared");
}

#[test]
fn the_readme_helpers_read_shell_and_wildcards() {
    let case = |line: &str, want: &[&str]| {
        let got = words(line).unwrap_or_default();
        assert_eq!(got, want, "{line}");
    };
    case("a b  c", &["a", "b", "c"]);
    case(
        r#"x --note "two words" 'it''s'"#,
        &["x", "--note", "two words", "its"],
    );
    case("patchplan notices   # a comment", &["patchplan", "notices"]);
    case("a#b", &["a#b"]);
    assert_eq!(commands("a \\\n    b\n\nc\n").len(), 2);
    assert!(matches(&["a", "...", "d"], &["a", "b", "c", "d"]));
    assert!(matches(&["a", "...", "b"], &["a", "b"]));
    assert!(!matches(&["a", "...", "d"], &["a", "b"]));
    assert!(!matches(&["a"], &["a", "b"]));
}

/// The README is for someone who has only the repository: no link or path outside it.
#[test]
fn the_readme_refers_only_to_the_repository() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for (i, line) in readme.lines().enumerate() {
        assert!(!line.contains("DESIGN.md"), "README.md:{}: {line}", i + 1);
        let outside = line.contains("../") && !line.contains("../shared/data");
        assert!(!outside, "README.md:{}: {line}", i + 1);
    }
    // Every repository path the README names in backquotes exists.
    let mut checked = 0;
    for span in readme.split('`').skip(1).step_by(2) {
        let first = span.split('/').next().unwrap();
        let top = ["src", "tests", "templates", "inventory", "bench", ".ci"];
        // Placeholders (`templates/LOCALE/KIND.FORMAT.hbs`) and globs name no one file.
        let placeholder =
            (span.as_bytes().windows(2)).any(|w| w.iter().all(u8::is_ascii_uppercase));
        if !top.contains(&first) || span.contains(['*', ' ', '{']) || placeholder {
            continue;
        }
        let path = span.trim_end_matches('/');
        let generated = path.starts_with("inventory/.patchplan");
        assert!(
            generated || root().join(path).exists(),
            "README names `{span}`, which does not exist"
        );
        checked += 1;
    }
    assert!(checked > 10, "{checked}");
}
