//! The `patchplan` binary: parse the command line, run the library, map the outcome to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    patchplan::cli::main()
}
