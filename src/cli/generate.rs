//! `patchplan completions SHELL` and `patchplan man`: generated from the same clap definitions
//! the program parses with, so they cannot drift from it.

use std::path::PathBuf;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Outcome, print};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  patchplan man | man -l -\n  patchplan man --out-dir /usr/local/share/man/man1"
)]
pub struct ManArgs {
    /// Write patchplan.1 and one patchplan-COMMAND.1 per command into this directory instead
    /// of printing patchplan.1.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

pub fn completions(args: &CompletionsArgs) -> Result<Outcome> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "patchplan", &mut buf);
    print(&String::from_utf8_lossy(&buf))?;
    Ok(Outcome::Done)
}

pub fn man(args: &ManArgs) -> Result<Outcome> {
    let cmd = Cli::command();
    match &args.out_dir {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut buf)
                .map_err(|e| Error::io("<stdout>", e))?;
            print(&String::from_utf8_lossy(&buf))?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            clap_mangen::generate_to(cmd, dir).map_err(|e| Error::io(dir, e))?;
        }
    }
    Ok(Outcome::Done)
}
