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
    let config_path = root.join("patchplan.toml");
    if !config_path.is_file() {
        return Err(Error::input(
            root,
            "not an inventory: no patchplan.toml here (use --inventory DIR)",
        ));
    }
    let mut clock = crate::timing::Clock::start();
    let files = Files {
        config: read_source(&config_path)?,
        customers: read_dir(&root.join("customers"))?,
        environments: read_dir(&root.join("environments"))?,
        stacks: read_dir(&root.join("stacks"))?,
        overrides: optional(&root.join("overrides.toml"))?,
    };
    clock.lap("  read inventory files");
    let (advisories, mut diags) = load_native_dir(&root.join("advisories"), "inventory")?;
    let inventory = validate::validate(root, &files, advisories, &mut diags);
    clock.lap("  validate inventory");
    if diags.is_empty() {
        Ok(inventory)
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

fn read_source(path: &Path) -> Result<Source> {
    let text = crate::files::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(Source::new(path, text))
}

fn optional(path: &Path) -> Result<Option<Source>> {
    if path.exists() {
        read_source(path).map(Some)
    } else {
        Ok(None)
    }
}

/// Every `*.toml` directly in `dir`, in name order; a missing directory is empty, but a file
/// where the directory belongs is an error (its customers would otherwise be "unknown").
fn read_dir(dir: &Path) -> Result<Vec<Source>> {
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
        let text = opened
            .read_to_string(name)
            .map_err(|e| Error::io(path, e))?;
        Ok(Source::new(path, text))
    };
    crate::files::on_io_pool(|| paths.par_iter().map(read).collect())
}
