//! What one render shares across every template it executes: its [`Limits`], the random
//! generator and clock, the stack budget, and counters a host's functions keep.

use std::cell::{Cell, RefCell};

use rustc_hash::{FxHashMap, FxHashSet};

/// Where a stretch of rendered output came from: it starts at byte `offset` of the output
/// and was written by the template text or action at `file:line:column` (1-based; the
/// column counts bytes). Output of an `include` is attributed to the `include` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub offset: usize,
    pub file: std::sync::Arc<str>,
    pub line: usize,
    pub column: usize,
}

/// A call site of a recorded function ([`crate::Func::recorded`]) that ran: the function and
/// where the call is written (`offset` is a byte offset in that template's text; `line` and
/// `column` are 1-based, the column counting bytes).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Call {
    pub func: std::sync::Arc<str>,
    pub file: std::sync::Arc<str>,
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

/// Bounds on one render.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Nested `template` calls (Go's own limit is 100000).
    pub max_depth: usize,
    /// Bytes of native stack execution may use before failing with the depth error instead of
    /// overflowing; see [`run_with_stack`].
    pub stack_budget: usize,
    /// Bytes one template may render.
    pub max_output: usize,
    /// Seed of the random functions; `None` = different on every render. Two renders that
    /// must not differ by chance (old and new revision) share a seed.
    pub seed: Option<u64>,
    /// What `now` is, in Unix seconds; `None` = the system clock. Shared for the same reason.
    pub clock: Option<i64>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 100_000,
            stack_budget: 1 << 20,
            max_output: 256 << 20,
            seed: None,
            clock: None,
        }
    }
}

/// State shared by every template executed during one render (nested `include`s included).
pub struct Shared {
    stack_base: Cell<usize>,
    stack_budget: usize,
    /// State of the random generator behind `randAlphaNum` & co.
    rng: Cell<u64>,
    clock: Option<i64>,
    /// Counters a host's functions keep for the length of one render, by name (Helm counts
    /// the nesting of `include` per template to cap it).
    pub counters: RefCell<FxHashMap<String, usize>>,
    /// Call sites of recorded functions that ran, each once (so their number is bounded by
    /// the templates' size, not by how often a loop runs them).
    calls: RefCell<FxHashSet<Call>>,
}

impl Shared {
    pub fn new(limits: &Limits) -> Shared {
        Shared {
            stack_base: Cell::new(0),
            stack_budget: limits.stack_budget,
            rng: Cell::new(limits.seed.unwrap_or_else(entropy) | 1),
            clock: limits.clock,
            counters: RefCell::default(),
            calls: RefCell::default(),
        }
    }

    /// The current time in Unix seconds and nanoseconds ([`Limits::clock`] when set).
    pub fn now(&self) -> (i64, u32) {
        if let Some(t) = self.clock {
            return (t, 0);
        }
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        (d.as_secs() as i64, d.subsec_nanos())
    }

    /// Next pseudo-random number (xorshift64*): good enough for generated passwords in a
    /// static check, and reproducible when [`Limits::seed`] is set.
    pub fn next_random(&self) -> u64 {
        let (next, out) = xorshift_step(self.rng.get());
        self.rng.set(next);
        out
    }

    pub(crate) fn record_call(&self, call: Call) {
        self.calls.borrow_mut().insert(call);
    }

    /// The call sites recorded since the last take, sorted; the record starts afresh.
    pub fn take_calls(&self) -> Vec<Call> {
        let mut calls: Vec<Call> = self.calls.take().into_iter().collect();
        calls.sort();
        calls
    }

    pub(crate) fn mark_stack(&self) {
        if self.stack_base.get() == 0 {
            let probe = 0u8;
            self.stack_base.set(&probe as *const u8 as usize);
        }
    }

    pub(crate) fn stack_exhausted(&self) -> bool {
        let probe = 0u8;
        let here = &probe as *const u8 as usize;
        self.stack_base.get().abs_diff(here) > self.stack_budget
    }
}

/// One step of xorshift64*, the generator behind [`Shared::next_random`]: the next state and
/// the number it yields (for a host that derives a stream of its own from one draw).
pub fn xorshift_step(mut x: u64) -> (u64, u64) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    (x, x.wrapping_mul(0x2545_F491_4F6C_DD1D))
}

fn entropy() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// Runs `f` on a thread with `stack_bytes` of stack, for renders with deep template recursion.
/// Pass the same size (minus a safety margin) as [`Limits::stack_budget`]. The thread is scoped,
/// so `f` may borrow (a loaded chart is not copied to render it).
pub fn run_with_stack<T: Send>(
    stack_bytes: usize,
    f: impl FnOnce() -> T + Send,
) -> std::io::Result<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(stack_bytes)
            .spawn_scoped(scope, f)?
            .join()
            .map_err(|_| std::io::Error::other("render thread panicked"))
    })
}
