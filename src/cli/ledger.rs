//! `patchplan ledger check|export|import`: the ledger's integrity and schema version, a JSON
//! backup of everything in it, and a restore from one.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{Cli, Format, Outcome, print};
use crate::error::{Error, Result};
use crate::ledger::{Ledger, LedgerError, export};

#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Run SQLite's integrity and foreign-key checks; report the schema version.
    Check,
    /// Write everything in the ledger as JSON (to stdout, or --output FILE).
    Export {
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Restore a `ledger export` into a new ledger (--ledger PATH, which must not exist yet).
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

pub fn run(cli: &Cli, args: &LedgerArgs) -> Result<Outcome> {
    let path = cli.ledger_path();
    match &args.command {
        LedgerCommand::Check => check(cli, &Ledger::open_required(&path)?),
        LedgerCommand::Export { output } => {
            let ledger = Ledger::open_required(&path)?;
            let json = serde_json::to_string_pretty(&export::export(&ledger)?)
                .expect("exports serialise")
                + "\n";
            match output {
                Some(file) => std::fs::write(file, json).map_err(|e| Error::io(file, e))?,
                None => print(&json)?,
            }
            Ok(Outcome::Done)
        }
        LedgerCommand::Import { file } => import(cli, &path, file),
    }
}

fn check(cli: &Cli, ledger: &Ledger) -> Result<Outcome> {
    let (version, problems) = ledger.check()?;
    if !problems.is_empty() {
        return Err(LedgerError::Damaged {
            path: ledger.path().to_path_buf(),
            detail: problems.join("; "),
        }
        .into());
    }
    let text = match cli.format {
        Format::Json => serde_json::json!({ "schema": "patchplan.ledger-check/v1", "ok": true, "schema_version": version }).to_string(),
        Format::Table => format!("{}: ok (schema version {version})", ledger.path().display()),
    };
    print(&(text + "\n"))?;
    Ok(Outcome::Done)
}

fn import(cli: &Cli, path: &std::path::Path, file: &std::path::Path) -> Result<Outcome> {
    let text = crate::files::read_own_to_string(file).map_err(|e| Error::io(file, e))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::input(file, format!("not JSON: {e}")))?;
    let counts = export::import(path, &value, file)?;
    if cli.format == Format::Json {
        let imported: serde_json::Map<String, serde_json::Value> = counts
            .iter()
            .map(|(t, n)| (t.to_string(), (*n).into()))
            .collect();
        let v = serde_json::json!({"schema": "patchplan.ledger-import/v1", "ledger": path, "imported": imported});
        print(&format!("{v}\n"))?;
    } else if !cli.quiet {
        let parts: Vec<String> = counts.iter().map(|(t, n)| format!("{n} {t}")).collect();
        print(&format!(
            "imported into {}: {}\n",
            path.display(),
            parts.join(", ")
        ))?;
    }
    Ok(Outcome::Done)
}
