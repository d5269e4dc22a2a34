//! Scheduling priority: the work of a run that can wait yields the cores to the work that
//! cannot.
//!
//! Once a fleet's plan is made, two chains of work share the two cores: plan.json (gigabytes,
//! formatted on its own pool and written by its own threads) and the rest (the ledger, the
//! notices, the report: about as much CPU). Shared evenly, the plan's formatting starved while
//! the rest ran, and then ran alone, waiting on the disk, while a core sat idle. So the rest
//! runs at a lower priority ([`yield_rest`]): it takes what the plan's threads leave while they
//! wait on the disk, and the plan finishes sooner. In a ledger's first plan, the rest (recording
//! every sighting and notice) is the longer chain, and plan.json yields to it instead
//! ([`lower_this_thread`] on plan.json's thread). Best-effort: where the system refuses, or is
//! not Linux, nothing changes.

/// How much lower (in `nice` steps) the rest of a run is scheduled than its plan.json.
const LOWER_BY: i32 = 10;

/// Lowers the priority of the calling thread and of every thread of rayon's shared pool (the
/// rest of a run); threads they start later inherit it. Not for a ledger's first plan, whose
/// record of every sighting and notice is the longer chain. Threads started before (plan.json's)
/// keep theirs. It is not raised again (an unprivileged process cannot): a process runs one
/// command, and after its plan it has nothing left to hurry.
pub fn yield_rest() {
    lower_this_thread();
    rayon::broadcast(|_| lower_this_thread());
}

/// Runs `f` (parallel work whose result the run needs only much later, such as the inventory's
/// hash for the ledger's record) on a pool of its own whose threads run at a lower priority: it
/// takes the cores only while the work the run waits for leaves them idle. Its four threads keep
/// a few reads in flight when files are not cached.
pub fn in_background<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    let make = || {
        (rayon::ThreadPoolBuilder::new())
            .num_threads(4)
            .thread_name(|i| format!("background {i}"))
            .start_handler(|_| lower_this_thread())
    };
    crate::pools::on_kept(&POOL, make, f)
}

/// Lowers the calling thread's priority by [`LOWER_BY`], to at most the lowest (19); threads it
/// starts later inherit it. On Linux the priority is each thread's own. A ledger's first plan
/// lowers its plan.json's thread this way: its record is the longer chain (a fleet's first plan
/// took 6.04 s rather than 6.81 s, the median of three alternating runs each).
pub fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        if let Ok(now) = getpriority_process(None) {
            let _ = setpriority_process(None, (now + LOWER_BY).min(19));
        }
    }
}
