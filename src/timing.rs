//! Phase timings for benchmarks: with `PATCHPLAN_TIMINGS=1`, each phase of a run prints its wall
//! time and the process's resident memory after it to stderr (`timing: NAME 0.123 s 512 MiB`).
//! Off by default; never part of any output.

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
            let rss = resident_mib().map_or(String::new(), |m| format!(" {m} MiB"));
            eprintln!(
                "timing: {name} {:.3} s{rss}",
                self.0.elapsed().as_secs_f64()
            );
        }
        self.0 = Instant::now();
    }
}

/// The resident set size, where /proc tells it.
fn resident_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
