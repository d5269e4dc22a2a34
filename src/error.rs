//! The crate's error type. Each variant carries what a user needs to find the problem: the file,
//! and where possible the line and column (through [`Diagnostic`]).

use std::path::PathBuf;

use crate::diag::Diagnostic;

/// Everything that can stop a command. All of these exit with code 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more problems in user-written files, all reported together.
    #[error("{}", render_all(.0))]
    Invalid(Vec<Diagnostic>),
    /// A file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An input file (lockfile, feed, plan) that cannot be used at all.
    #[error("{}: {message}", .path.display())]
    Input { path: PathBuf, message: String },
    /// A command-line usage problem.
    #[error("{0}")]
    Usage(String),
    /// A template failed to render.
    #[error("{0}")]
    Render(String),
    /// The ledger cannot be used: missing, locked, damaged, newer, or a bad request of it.
    #[error(transparent)]
    Ledger(#[from] crate::ledger_error::LedgerError),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// An [`Error::Input`] for `path`.
    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            message: message.into(),
        }
    }
}

fn render_all(diags: &[Diagnostic]) -> String {
    let lines: Vec<String> = diags.iter().map(ToString::to_string).collect();
    let noun = if diags.len() == 1 {
        "problem"
    } else {
        "problems"
    };
    format!("{}\n{} {noun} found", lines.join("\n"), diags.len())
}
