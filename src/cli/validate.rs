//! `patchplan validate`: load the inventory, its feeds and its templates, and report every problem.
//! `--format json` prints `patchplan.validate/v1`: `ok`, the counts, the warnings, and, when the
//! inventory is invalid, every problem with its path, line and column (and exit 2).

use serde::Serialize;
use serde_json::json;

use super::{Cli, Format, Outcome, print, warn};
use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::notice::Renderer;

/// `validate --format json`.
#[derive(Serialize)]
struct Report {
    schema: &'static str,
    inventory: String,
    ok: bool,
    counts: serde_json::Value,
    warnings: Vec<String>,
    problems: Vec<serde_json::Value>,
}

pub fn run(cli: &Cli) -> Result<Outcome> {
    match check(cli) {
        Err(Error::Invalid(problems)) if cli.format == Format::Json => {
            let report = Report {
                schema: "patchplan.validate/v1",
                inventory: cli.inventory.display().to_string(),
                ok: false,
                counts: json!(null),
                warnings: Vec::new(),
                problems: problems.iter().map(problem).collect(),
            };
            print(&(serde_json::to_string_pretty(&report).expect("reports serialise") + "\n"))?;
            Err(Error::Invalid(problems))
        }
        other => other,
    }
}

fn problem(d: &Diagnostic) -> serde_json::Value {
    json!({"path": d.path, "line": d.line, "column": d.col, "message": d.message})
}

fn check(cli: &Cli) -> Result<Outcome> {
    let inv = crate::inventory::load(&cli.inventory)?;
    let feeds = crate::plan::load_feeds(&inv, None, &super::feeds::cache(cli), cli.now())?;
    let mut problems = Renderer::new(Some(&inv.root.join("templates")))?.check();
    // The variables `send` will read: named here, at their place in the inventory.
    problems.extend(inv.missing_secrets());
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let mut warnings = inv.warnings.clone();
    warnings.extend(
        feeds
            .warnings
            .iter()
            .map(|w| format!("feed {}: {}: {}", w.feed, w.entry, w.message)),
    );
    warn(cli, &warnings);
    let windows: usize = inv.customers.iter().map(|c| c.windows.len()).sum();
    let counts = json!({
        "customers": inv.customers.len(),
        "windows": windows,
        "environments": inv.environments.len(),
        "native_advisories": inv.advisories.len(),
        "vex_statements": inv.vex.len(),
        "feeds": inv.feeds.len(),
        "advisories": feeds.advisories.len(),
    });
    match cli.format {
        Format::Json => {
            let report = Report {
                schema: "patchplan.validate/v1",
                inventory: cli.inventory.display().to_string(),
                ok: true,
                counts,
                warnings,
                problems: Vec::new(),
            };
            print(&(serde_json::to_string_pretty(&report).expect("reports serialise") + "\n"))?;
        }
        Format::Table if !cli.quiet => print(&format!(
            "{}: ok ({} customers, {} windows, {} environments, {} native advisories, {} VEX statements, {} feeds with {} advisories)\n",
            cli.inventory.display(),
            inv.customers.len(),
            windows,
            inv.environments.len(),
            inv.advisories.len(),
            inv.vex.len(),
            inv.feeds.len(),
            feeds.advisories.len(),
        ))?,
        Format::Table => {}
    }
    Ok(Outcome::Done)
}
