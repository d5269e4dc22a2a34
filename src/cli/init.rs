//! `patchplan init [DIR]`: a small annotated inventory to start from (one customer, one
//! environment, one window, the real feed URLs), which `validate` accepts as written. Existing
//! files are never overwritten.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::json;

use super::{Cli, Format, Outcome, print};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  patchplan init                 write ./inventory\n  patchplan init ops/inventory && cd ops/inventory && patchplan validate"
)]
pub struct InitArgs {
    /// Where to write the inventory [default: the --inventory directory, else ./inventory].
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
}

const FILES: [(&str, &str); 4] = [
    ("patchplan.toml", include_str!("init/patchplan.toml")),
    (
        "customers/example-customer.toml",
        include_str!("init/customer.toml"),
    ),
    (
        "environments/example-prod.toml",
        include_str!("init/environment.toml"),
    ),
    ("overrides.toml", include_str!("init/overrides.toml")),
];

pub fn run(cli: &Cli, args: &InitArgs) -> Result<Outcome> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| match &cli.inventory_arg {
            Some(d) => d.clone(),
            None => PathBuf::from("inventory"),
        });
    if dir.join("patchplan.toml").exists() {
        return Err(Error::input(
            &dir,
            "already an inventory (it has a patchplan.toml); nothing was written",
        ));
    }
    let written = FILES
        .iter()
        .map(|(rel, text)| write(&dir, rel, text))
        .collect::<Result<Vec<_>>>()?;
    match cli.format {
        Format::Json => print(&format!(
            "{}\n",
            json!({"schema": "patchplan.init/v1", "inventory": dir, "files": written})
        ))?,
        Format::Table if !cli.quiet => print(&format!(
            "wrote an inventory to {}: {}\nnext: edit it, then `patchplan validate --inventory {0}` and `patchplan feeds sync --inventory {0}`\n",
            dir.display(),
            written.join(", ")
        ))?,
        Format::Table => {}
    }
    Ok(Outcome::Done)
}

fn write(dir: &Path, rel: &str, text: &str) -> Result<String> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    Ok(rel.to_string())
}
