//! `go.mod`: the modules of its `require` directives (lines and blocks), indirect ones included,
//! as its `replace` directives change them.
//!
//! A replacement by another module version stands in for the module it replaces (for one
//! version, or for all when the left side names none); a replacement by a local directory is not
//! a registry module, and the requirement is skipped. Hand-written: `golang.org/x/mod/modfile`
//! has no Rust counterpart, and the syntax needed (directives, blocks, `//` comments) is small.

use super::{Inputs, Package};
use crate::diag::{Diagnostic, Source};
use crate::error::{Error, Result};

/// Directives that name no dependency.
const OTHER_DIRECTIVES: &[&str] = &[
    "module",
    "go",
    "toolchain",
    "godebug",
    "exclude",
    "retract",
    "tool",
    "ignore",
];

/// One directive, from a line of its own or a line of a block.
struct Directive<'a> {
    verb: &'a str,
    args: Vec<&'a str>,
    /// Byte offset of the line's first token.
    at: usize,
}

struct Replace<'a> {
    path: &'a str,
    version: Option<&'a str>,
    /// The replacement module and version, or `None` for a local directory.
    with: Option<(&'a str, &'a str)>,
}

/// The required modules of a go.mod, after replacements.
pub fn parse(source: &Source) -> Result<Inputs> {
    let mut diags = Vec::new();
    let mut requires = Vec::new();
    let mut replaces = Vec::new();
    for d in directives(source, &mut diags) {
        match (d.verb, d.args.as_slice()) {
            ("require", &[path, version]) => requires.push((path, version)),
            ("replace", _) => match replace(&d.args) {
                Some(r) => replaces.push(r),
                None => diags.push(source.at(
                    d.at..d.at,
                    "expected `replace module [version] => module version` or `=> ./path`",
                )),
            },
            ("require", _) => {
                diags.push(source.at(d.at..d.at, "expected `require module version`"))
            }
            (verb, _) if OTHER_DIRECTIVES.contains(&verb) => {}
            (verb, _) => diags.push(source.at(d.at..d.at, format!("unknown directive `{verb}`"))),
        }
    }
    if !diags.is_empty() {
        return Err(Error::Invalid(diags));
    }
    let packages: Vec<Package> = requires
        .into_iter()
        .filter_map(|(path, version)| {
            let replaced = replaces
                .iter()
                .filter(|r| r.path == path && r.version.is_none_or(|v| v == version))
                .max_by_key(|r| r.version.is_some()); // one version's replacement wins
            let (path, version) = match replaced {
                Some(r) => r.with?,
                None => (path, version),
            };
            Some(Package::new("Go", path, version))
        })
        .collect();
    Ok(packages.into())
}

/// The file's directives, with blocks (`require ( ... )`) unfolded.
fn directives<'a>(source: &'a Source, diags: &mut Vec<Diagnostic>) -> Vec<Directive<'a>> {
    let mut out = Vec::new();
    let mut block: Option<(&str, usize)> = None;
    let mut offset = 0;
    for line in source.text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let code = line.split("//").next().unwrap_or(line);
        let tokens: Vec<&str> = code
            .split_whitespace()
            .map(|t| t.trim_matches(['"', '`']))
            .collect();
        let at = start + (code.len() - code.trim_start().len());
        match (block, &tokens[..]) {
            (_, []) => {}
            (Some(_), [")"]) => block = None,
            (Some((verb, _)), _) => out.push(Directive {
                verb,
                args: tokens,
                at,
            }),
            (None, [verb, "("]) => block = Some((verb, at)),
            (None, [verb, args @ ..]) => out.push(Directive {
                verb,
                args: args.to_vec(),
                at,
            }),
        }
    }
    if let Some((verb, at)) = block {
        diags.push(source.at(at..at, format!("`{verb} (` is never closed")));
    }
    out
}

fn replace<'a>(args: &[&'a str]) -> Option<Replace<'a>> {
    let arrow = args.iter().position(|a| *a == "=>")?;
    let (path, version) = match args[..arrow] {
        [path] => (path, None),
        [path, version] => (path, Some(version)),
        _ => return None,
    };
    let with = match args[arrow + 1..] {
        [_local] => None,
        [module, version] => Some((module, version)),
        _ => return None,
    };
    Some(Replace {
        path,
        version,
        with,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Host, fixture, read_lockfile, triples};

    fn parse_text(text: &str) -> Result<Inputs> {
        parse(&Source::new("go.mod", text.into()))
    }

    #[test]
    fn reads_require_lines_and_blocks_with_replacements() {
        let text = r#"module example.com/app

go 1.21

require golang.org/x/net v0.15.0

require (
	github.com/gin-gonic/gin v1.9.0
	"github.com/google/uuid" v1.3.1 // indirect
	example.com/ledger v0.7.2
	golang.org/x/text v0.13.0 // indirect
)

exclude golang.org/x/net v0.14.0

replace (
	github.com/gin-gonic/gin v1.9.0 => github.com/gin-gonic/gin v1.9.1
	github.com/gin-gonic/gin v1.8.0 => github.com/gin-gonic/gin v1.8.2
	example.com/ledger => ../ledger
	golang.org/x/text => golang.org/x/text v0.14.0
)

retract [v0.1.0, v0.1.3]
"#;
        assert_eq!(
            triples(&parse_text(text).unwrap()),
            [
                ("Go", "golang.org/x/net", "v0.15.0"),
                ("Go", "github.com/gin-gonic/gin", "v1.9.1"),
                ("Go", "github.com/google/uuid", "v1.3.1"),
                ("Go", "golang.org/x/text", "v0.14.0"),
            ]
        );
    }

    #[test]
    fn a_version_replacement_wins_over_a_module_wide_one() {
        let text = "require a.example/m v1.0.0\n\
                    replace a.example/m => b.example/m v2.0.0\n\
                    replace a.example/m v1.0.0 => c.example/m v3.0.0\n";
        assert_eq!(
            triples(&parse_text(text).unwrap()),
            [("Go", "c.example/m", "v3.0.0")]
        );
    }

    #[test]
    fn malformed_directives_are_errors_with_positions() {
        let err = parse_text("module a\n\nrequire (\n  golang.org/x/net\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("go.mod:4:3: expected `require module version`"),
            "{err}"
        );
        assert!(
            err.contains("go.mod:3:1: `require (` is never closed"),
            "{err}"
        );
        let err = parse_text("{\"not\": \"go.mod\"}").unwrap_err().to_string();
        assert!(
            err.starts_with("go.mod:1:1: unknown directive `{\"not\":`"),
            "{err}"
        );
        let err = parse_text("replace a => b c d\n").unwrap_err().to_string();
        assert!(err.starts_with("go.mod:1:1: expected `replace"), "{err}");
    }

    #[test]
    fn reads_the_fixture() {
        let inputs = read_lockfile(&fixture("go.mod"), &Host::default()).unwrap();
        assert_eq!(
            triples(&inputs),
            [
                ("Go", "github.com/docker/docker", "v24.0.5+incompatible"),
                ("Go", "github.com/gin-gonic/gin", "v1.9.1"),
                ("Go", "github.com/golang-jwt/jwt/v4", "v4.5.0"),
                ("Go", "github.com/google/uuid", "v1.3.1"),
                ("Go", "golang.org/x/net", "v0.15.0"),
                ("Go", "github.com/davecgh/go-spew", "v1.1.1"),
                ("Go", "github.com/pkg/errors", "v0.9.1"),
                ("Go", "github.com/pmezard/go-difflib", "v1.0.0"),
                ("Go", "github.com/stretchr/testify", "v1.8.4"),
                ("Go", "golang.org/x/crypto", "v0.14.0"),
                ("Go", "golang.org/x/sys", "v0.13.0"),
                ("Go", "golang.org/x/text", "v0.13.0"),
                ("Go", "gopkg.in/yaml.v3", "v3.0.1"),
            ]
        );
    }
}
