//! The operator's inventory: `patchplan.toml`, `customers/`, `environments/`, `stacks/`,
//! `advisories/` and `overrides.toml`, and the OpenVEX documents patchplan.toml lists.
//!
//! Loading is two-phase: every file is parsed into its `Raw*` type (unknown keys are errors), then
//! `validate` turns the raw files into an [`Inventory`], resolving references and collecting every
//! problem, so that one run reports all of them with file, line and column.

mod check;
mod delivery;
pub use check::{MAX_NAME_LEN, id_rule, name_rule};
pub mod model;
pub mod raw;
mod validate;
pub mod vex;
pub mod vex_export;
mod windows;

pub use model::*;

use std::path::{Path, PathBuf};

use crate::advisory::{Advisory, native};
use crate::diag::{Diagnostic, Source};
use crate::error::{Error, Result};

/// Loads and validates the inventory in `root`.
pub fn load(root: &Path) -> Result<Inventory> {
    load_keeping(root).map(|(inventory, _)| inventory)
}

/// [`load`], with the files as read (a run hashes them for its record).
pub(crate) fn load_keeping(root: &Path) -> Result<(Inventory, Files)> {
    let config_path = root.join("patchplan.toml");
    if !config_path.is_file() {
        return Err(Error::input(
            root,
            "not an inventory: no patchplan.toml here (use --inventory DIR)",
        ));
    }
    let mut clock = crate::timing::Clock::start();
    // Each file's text, the paths of those that had a byte-order mark noted.
    let mut with_bom = std::collections::HashSet::new();
    let mut keep = |(source, bom): (Source, bool)| {
        if bom {
            with_bom.insert(source.path.clone());
        }
        source
    };
    let config = keep(read_marked(&config_path)?);
    let mut dir = |name: &str| -> Result<Vec<Source>> {
        Ok(read_dir_marked(&root.join(name))?
            .into_iter()
            .map(&mut keep)
            .collect())
    };
    let (customers, environments, stacks) =
        (dir("customers")?, dir("environments")?, dir("stacks")?);
    let overrides_path = root.join("overrides.toml");
    let overrides = (overrides_path.exists())
        .then(|| read_marked(&overrides_path))
        .transpose()?
        .map(keep);
    let files = Files {
        config,
        customers,
        environments,
        stacks,
        overrides,
        with_bom,
    };
    clock.lap("  read inventory files");
    let (advisories, mut diags) = load_native_dir(&root.join("advisories"), "inventory")?;
    let inventory = validate::validate(root, &files, advisories, &mut diags);
    clock.lap("  validate inventory");
    if diags.is_empty() {
        Ok((inventory, files))
    } else {
        diags.sort();
        diags.dedup();
        Err(Error::Invalid(diags))
    }
}

/// The inventory's files, read but not yet parsed.
pub(crate) struct Files {
    pub config: Source,
    pub customers: Vec<Source>,
    pub environments: Vec<Source>,
    pub stacks: Vec<Source>,
    pub overrides: Option<Source>,
    /// The files whose text had a byte-order mark in front (dropped from it).
    with_bom: std::collections::HashSet<PathBuf>,
}

impl Files {
    /// Each file's bytes as read, by its path: a byte-order mark (or nothing), then its text.
    pub fn as_read(&self) -> std::collections::HashMap<&Path, [&[u8]; 2]> {
        let all = [&self.config].into_iter().chain(&self.customers);
        let all = all.chain(&self.environments).chain(&self.stacks);
        (all.chain(&self.overrides))
            .map(|s| {
                let bom: &[u8] = match self.with_bom.contains(&s.path) {
                    true => "\u{feff}".as_bytes(),
                    false => b"",
                };
                (s.path.as_path(), [bom, s.text.as_bytes()])
            })
            .collect()
    }
}

/// Loads every `*.toml` of a native advisory directory; a missing directory is empty.
pub fn load_native_dir(dir: &Path, feed: &str) -> Result<(Vec<Advisory>, Vec<Diagnostic>)> {
    let mut advisories = Vec::new();
    let mut diags = Vec::new();
    // Where each id was first defined: two files with one id would merge silently, and the
    // ranges of one could hide the fix of the other, so both places are errors.
    let mut first: std::collections::HashMap<String, Diagnostic> = Default::default();
    for source in read_dir(dir)? {
        match native::load(&source, feed) {
            Ok((a, span)) => {
                let here = source.at(span, "");
                match first.get(&a.id) {
                    Some(there) => {
                        let id = &a.id;
                        let msg = |other: &Diagnostic| {
                            format!("advisory id `{id}` is also defined at {}", position(other))
                        };
                        diags.push(Diagnostic {
                            message: msg(&here),
                            ..there.clone()
                        });
                        diags.push(Diagnostic {
                            message: msg(there),
                            ..here
                        });
                    }
                    None => {
                        first.insert(a.id.clone(), here);
                        advisories.push(a);
                    }
                }
            }
            Err(d) => diags.extend(d),
        }
    }
    Ok((advisories, diags))
}

/// `path:line:col` of a diagnostic.
fn position(d: &Diagnostic) -> String {
    format!("{}:{}:{}", d.path.display(), d.line, d.col)
}

/// The text of `path` as read (its `bytes`), and whether a byte-order mark was dropped from it.
fn marked_source(path: &Path, bytes: std::io::Result<Vec<u8>>) -> Result<(Source, bool)> {
    let bytes = bytes.map_err(|e| Error::io(path, e))?;
    let bom = bytes.starts_with("\u{feff}".as_bytes());
    let text = crate::files::text(bytes).map_err(|e| Error::io(path, e))?;
    Ok((Source::new(path, text), bom))
}

fn read_marked(path: &Path) -> Result<(Source, bool)> {
    marked_source(path, crate::files::read(path))
}

/// Every `*.toml` directly in `dir`, in name order; a missing directory is empty, but a file
/// where the directory belongs is an error (its customers would otherwise be "unknown").
fn read_dir(dir: &Path) -> Result<Vec<Source>> {
    let read = read_dir_marked(dir)?;
    Ok(read.into_iter().map(|(source, _)| source).collect())
}

/// [`read_dir`], with whether each file's byte-order mark was dropped.
fn read_dir_marked(dir: &Path) -> Result<Vec<(Source, bool)>> {
    if !dir.is_dir() {
        if dir.exists() {
            return Err(Error::input(
                dir,
                "expected a directory of *.toml files, found a file",
            ));
        }
        return Ok(Vec::new());
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        // As a shell's `*.toml`: not an editor's hidden copy or lock file (`.#name.toml`).
        .filter(|p| !p.file_name().is_some_and(crate::files::hidden))
        .collect();
    paths.sort();
    use rayon::prelude::*;
    let opened = crate::files::Dir::open(dir);
    let read = |path: &PathBuf| {
        let name = path.file_name().unwrap_or_default();
        marked_source(path, opened.read(name))
    };
    crate::files::on_io_pool(|| paths.par_iter().map(read).collect())
}
