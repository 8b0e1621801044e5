//! A one-line progress count on standard error, for runs over many charts on a terminal. Silent
//! when standard error is not a terminal (pipes, CI logs) or `CI` is set, and for a few items,
//! which finish before a counter would help.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Below this many items, no counter.
const MIN_ITEMS: usize = 8;

pub struct Progress {
    label: &'static str,
    total: usize,
    done: AtomicUsize,
    shown: bool,
}

impl Progress {
    pub fn new(label: &'static str, total: usize) -> Progress {
        let shown = total >= MIN_ITEMS
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none();
        Progress {
            label,
            total,
            done: AtomicUsize::new(0),
            shown,
        }
    }

    /// One more item done; safe to call from worker threads.
    pub fn advance(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if self.shown {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}: {done}/{}", self.label, self.total);
            let _ = err.flush();
        }
    }

    /// Clears the counter line so the report starts on a clean line.
    pub fn finish(&self) {
        if self.shown {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
