//! Phase timings for benchmarks: with `PATCHPLAN_TIMINGS=1`, each phase of a run prints its wall
//! time, the process's resident memory after it and the CPU time spent in it to stderr
//! (`timing: NAME 0.123 s @1.234 512 MiB cpu 0.24 s`; `@` is when the phase ended, in seconds
//! since the first clock started: phases on other threads fall into place beside the main one).
//! Off by default; never part of any output.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PATCHPLAN_TIMINGS").is_some_and(|v| v == "1"))
}

/// A running clock; [`Clock::lap`] prints the time since the last lap under a name, and the
/// CPU time the whole process spent in it (on every thread: a phase on both cores shows about
/// twice its wall time).
pub struct Clock(Instant, f64);

impl Clock {
    pub fn start() -> Clock {
        let _ = first();
        Clock(Instant::now(), if enabled() { cpu_seconds() } else { 0.0 })
    }

    pub fn lap(&mut self, name: &str) {
        if enabled() {
            let rss = resident_mib().map_or(String::new(), |m| format!(" {m} MiB"));
            let cpu = cpu_seconds();
            eprintln!(
                "timing: {name} {:.3} s @{:.3}{rss} cpu {:.2} s",
                self.0.elapsed().as_secs_f64(),
                first().elapsed().as_secs_f64(),
                cpu - self.1
            );
            self.1 = cpu;
        }
        self.0 = Instant::now();
    }
}

/// When the first clock started.
fn first() -> Instant {
    static FIRST: OnceLock<Instant> = OnceLock::new();
    *FIRST.get_or_init(Instant::now)
}

/// The process's user and system CPU time so far, where /proc tells it (0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The fields after the command's closing parenthesis; utime and stime are the 12th and
    // 13th of them, in clock ticks (100 a second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: f64 = (rest.split_whitespace().skip(11).take(2))
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

/// The resident set size, where /proc tells it.
fn resident_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
