//! Component lists read from lockfiles, for `scan --lockfile` and environments' `lockfiles`.

pub mod cargo_lock;
mod cargo_lock_fast;

use std::path::Path;

use crate::error::{Error, Result};

/// A package a lockfile pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub ecosystem: String,
    pub name: String,
    pub version: String,
}

/// Reads the packages of a lockfile, choosing the format by file name.
pub fn read_lockfile(path: &Path) -> Result<Vec<Package>> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with("Cargo.lock") {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        cargo_lock::parse(&crate::diag::Source::new(path, text))
    } else {
        Err(Error::input(
            path,
            "unknown lockfile format: expected a file named `Cargo.lock` (or `*.Cargo.lock`)",
        ))
    }
}
