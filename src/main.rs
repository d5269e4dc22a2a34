//! The `patchplan` binary: parse the command line, run the library, map the outcome to an exit code.

use std::process::ExitCode;

/// A fleet's plan is tens of millions of small allocations made and freed on both cores:
/// mimalloc's per-thread heaps make them several times cheaper than the system allocator's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    patchplan::cli::main()
}
