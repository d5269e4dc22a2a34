//! Colour on a terminal: `--color auto|always|never`, and NO_COLOR (any non-empty value) turns
//! `auto` off. Only what needs the eye is coloured: errors and warnings on stderr, emergencies
//! and `act` findings in tables. Colour is applied to finished text, after columns are padded,
//! so escape codes never shift a table's alignment.

use std::io::IsTerminal;
use std::sync::OnceLock;

use clap::ValueEnum;

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    Always,
    Never,
}

/// Whether stdout and stderr are coloured, decided once at start.
static CHOSEN: OnceLock<(bool, bool)> = OnceLock::new();

/// Decides colour for stdout and stderr from the choice, NO_COLOR and the terminals.
pub fn init(choice: ColorChoice) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let decide = |terminal: bool| match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    };
    let _ = CHOSEN.set((
        decide(std::io::stdout().is_terminal()),
        decide(std::io::stderr().is_terminal()),
    ));
}

fn stdout_on() -> bool {
    CHOSEN.get().is_some_and(|c| c.0)
}

fn stderr_on() -> bool {
    CHOSEN.get().is_some_and(|c| c.1)
}

const RED_BOLD: &str = "\x1b[1;31m";
const YELLOW_BOLD: &str = "\x1b[1;33m";
const RESET: &str = "\x1b[0m";

fn paint(on: bool, style: &str, text: &str) -> String {
    if on {
        format!("{style}{text}{RESET}")
    } else {
        text.to_string()
    }
}

/// `error:` for stderr.
pub fn error_label() -> String {
    paint(stderr_on(), RED_BOLD, "error:")
}

/// `warning:` for stderr.
pub fn warning_label() -> String {
    paint(stderr_on(), YELLOW_BOLD, "warning:")
}

/// A rendered table (or summary) with `EMERGENCY` and `act` cells in red for stdout.
pub fn paint_table(text: &str) -> String {
    if !stdout_on() {
        return text.to_string();
    }
    text.lines()
        .map(|line| {
            let mut out = String::new();
            for (i, cell) in line.split("  ").enumerate() {
                if i > 0 {
                    out.push_str("  ");
                }
                // A piece between two-space gaps may keep a space of an odd gap on either side.
                match cell.trim() {
                    word @ ("EMERGENCY" | "act") => {
                        out.push_str(&cell.replacen(word, &paint(true, RED_BOLD, word), 1))
                    }
                    _ => out.push_str(cell),
                }
            }
            out + "\n"
        })
        .collect()
}
