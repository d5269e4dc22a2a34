//! Which inventory to use, the way cargo finds Cargo.toml: `--inventory DIR`, else
//! `$PATCHPLAN_INVENTORY`, else the nearest directory holding a `patchplan.toml`, from the
//! current directory up through its parents (so commands work from inside the inventory), else
//! `./inventory`. The directory found is named relative to the current one (`.`, `..`,
//! `../..`), as a user would type it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The inventory directory and why it was chosen (what `--verbose` says).
pub fn inventory(flag: Option<&Path>) -> Result<(PathBuf, String)> {
    if let Some(dir) = flag {
        return Ok((dir.to_path_buf(), "--inventory".into()));
    }
    if let Some(dir) = std::env::var_os("PATCHPLAN_INVENTORY").filter(|v| !v.is_empty()) {
        return Ok((PathBuf::from(dir), "$PATCHPLAN_INVENTORY".into()));
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    Ok(match nearest(&cwd) {
        Some(dir) => (dir, "the nearest patchplan.toml".into()),
        None => (PathBuf::from("inventory"), "the default".into()),
    })
}

/// The nearest of `start` and its ancestors with a `patchplan.toml`, relative to `start`.
fn nearest(start: &Path) -> Option<PathBuf> {
    let mut up = PathBuf::from(".");
    for dir in start.ancestors() {
        if dir.join("patchplan.toml").is_file() {
            return Some(up);
        }
        up = if up == Path::new(".") {
            PathBuf::from("..")
        } else {
            up.join("..")
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_inventory_is_named_relative_to_here() {
        let tmp = tempfile::tempdir().unwrap();
        let inv = tmp.path().join("inv");
        let deep = inv.join("customers/deeper");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(inv.join("patchplan.toml"), "").unwrap();
        assert_eq!(nearest(&inv), Some(PathBuf::from(".")));
        assert_eq!(nearest(&inv.join("customers")), Some(PathBuf::from("..")));
        assert_eq!(nearest(&deep), Some(PathBuf::from("../..")));
        assert_eq!(nearest(tmp.path()), None);
    }
}
