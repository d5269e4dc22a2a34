//! `patchplan validate`: load the inventory, its feeds and its templates, and report every problem.

use super::{Cli, Outcome, print, warn};
use crate::error::{Error, Result};
use crate::notice::Renderer;

pub fn run(cli: &Cli) -> Result<Outcome> {
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
    if !cli.quiet {
        let windows: usize = inv.customers.iter().map(|c| c.windows.len()).sum();
        print(&format!(
            "{}: ok ({} customers, {} windows, {} environments, {} native advisories, {} VEX statements, {} feeds with {} advisories)\n",
            cli.inventory.display(),
            inv.customers.len(),
            windows,
            inv.environments.len(),
            inv.advisories.len(),
            inv.vex.len(),
            inv.feeds.len(),
            feeds.advisories.len(),
        ))?;
    }
    Ok(Outcome::Done)
}
