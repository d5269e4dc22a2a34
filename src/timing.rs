//! Phase timings for benchmarks: with `PATCHPLAN_TIMINGS=1`, each phase of a run prints its wall
//! time to stderr (`timing: NAME 0.123 s`). Off by default; never part of any output.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PATCHPLAN_TIMINGS").is_some_and(|v| v == "1"))
}

/// A running clock; [`Clock::lap`] prints the time since the last lap under a name.
pub struct Clock(Instant);

impl Clock {
    pub fn start() -> Clock {
        Clock(Instant::now())
    }

    pub fn lap(&mut self, name: &str) {
        if enabled() {
            eprintln!("timing: {name} {:.3} s", self.0.elapsed().as_secs_f64());
        }
        self.0 = Instant::now();
    }
}
