//! `patchplan vex export`: the operator's exceptions as OpenVEX, for other tools; `vex = [...]`
//! in patchplan.toml reads the document back with the same effect.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{Cli, Outcome, print};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct VexArgs {
    #[command(subcommand)]
    command: VexCommand,
}

#[derive(Debug, Subcommand)]
enum VexCommand {
    /// Write overrides.toml's exceptions as an OpenVEX 0.2.0 document: in force ones
    /// `not_affected` (the reason as impact statement), expired ones `affected`.
    #[command(
        after_help = "Examples:\n  patchplan vex export --output inventory/vex/exceptions.openvex.json\n  patchplan vex export --now 2026-10-27T09:00:00Z | jq .statements"
    )]
    Export(ExportArgs),
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// Write the document here instead of to stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(cli: &Cli, args: &VexArgs) -> Result<Outcome> {
    let VexCommand::Export(export) = &args.command;
    let inv = crate::inventory::load(&cli.inventory)?;
    let doc = crate::inventory::vex_export::export(&inv, cli.now());
    let text = serde_json::to_string_pretty(&doc).expect("documents serialise") + "\n";
    match &export.output {
        Some(path) => std::fs::write(path, text).map_err(|e| Error::io(path, e))?,
        None => print(&text)?,
    }
    Ok(Outcome::Done)
}
