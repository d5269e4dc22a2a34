//! Thread pools of their own, beside rayon's shared one: work that waits on the disk, work that
//! runs at a lower priority, and plan.json's formatting each run where the shared pool's work
//! does not hold them up. Where the system refuses a pool, the work runs where it is called.

use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::OnceLock;

/// `f` run on `pool`, or where it is called without one.
pub fn on<R: Send>(pool: Option<&ThreadPool>, f: impl FnOnce() -> R + Send) -> R {
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// `f` run on the pool kept in `kept`, built from `make` the first time one is asked for.
pub fn on_kept<R: Send>(
    kept: &'static OnceLock<Option<ThreadPool>>,
    make: impl FnOnce() -> ThreadPoolBuilder,
    f: impl FnOnce() -> R + Send,
) -> R {
    on(kept.get_or_init(|| make().build().ok()).as_ref(), f)
}
