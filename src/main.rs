//! The `patchplan` binary: parse the command line, run the library, map the outcome to an exit code.

use std::process::ExitCode;

/// A fleet's plan is tens of millions of small allocations made and freed on both cores:
/// mimalloc's per-thread heaps make them several times cheaper than the system allocator's.
/// Built without transparent huge pages (`no_thp`): where the kernel makes them on request, each
/// fresh 2 MiB page was zeroed, and often compacted for, in the fault. A 20,000-environment dry
/// run spent 4-7 s in the kernel with them and 1.2-1.8 s without, for the same peak memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    patchplan::cli::main()
}
