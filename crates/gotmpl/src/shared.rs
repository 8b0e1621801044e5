//! What one render shares across every template it executes: its [`Limits`], the random
//! generator and clock, the stack budget, and counters a host's functions keep.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::budget::Budget;
use crate::text_parses::TextParses;
use crate::value::{Map, Value};
use crate::watch::Watch;

/// Where a stretch of rendered output came from: it starts at byte `offset` of the output
/// and was written by the template text or action at `file:line:column` (1-based; the
/// column counts bytes). Output of an `include` is attributed to the `include` call, except
/// the whole lines of it the action prints as they were written (re-indented, say): those keep
/// the included template's own positions.
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
/// Default of [`Limits::max_steps`]: the most any chart of the test corpus (63 charts, 238
/// renders) needs is 67,262 steps; this is 1,500 times that, a few seconds of work.
pub const DEFAULT_MAX_STEPS: u64 = 100_000_000;
/// Default of [`Limits::max_memory`]: the most any corpus chart needs is 2.6 MB; this is 200
/// times that, and leaves room under a 4 GB address space for what a function builds before
/// the executor charges it.
pub const DEFAULT_MAX_MEMORY: u64 = 512 << 20;

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
    /// Work one render may do, in steps ([`crate::budget`]): every node walked, `range`
    /// iteration and function call is one; functions that do more charge more.
    pub max_steps: u64,
    /// Bytes the values one render creates may add up to ([`crate::budget`]).
    pub max_memory: u64,
    /// Wall time one render may take; checked between steps.
    pub timeout: Option<std::time::Duration>,
    /// Seed of the random functions; `None` = the operating system's CSPRNG, as Helm's
    /// `crypto/rand`: generated passwords and keys that nobody can reproduce. Two renders that
    /// must not differ by chance (old and new revision of a static check) share a seed.
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
            max_steps: DEFAULT_MAX_STEPS,
            max_memory: DEFAULT_MAX_MEMORY,
            timeout: None,
            seed: None,
            clock: None,
        }
    }
}

/// State shared by every template executed during one render (nested `include`s included).
pub struct Shared {
    stack_base: Cell<usize>,
    stack_budget: usize,
    /// The generator behind `randAlphaNum` & co.
    rng: Rng,
    /// Random numbers drawn so far, incidental ones included: a template that drew none
    /// renders the same with any seed.
    draws: Cell<u64>,
    /// With a seed, the stream of [`Shared::next_incidental`]: the same for every seed.
    incidental: Cell<u64>,
    clock: Option<i64>,
    /// Counters a host's functions keep for the length of one render, by name (Helm counts
    /// the nesting of `include` per template to cap it).
    pub counters: RefCell<FxHashMap<String, usize>>,
    /// Call sites of recorded functions that ran, each once (so their number is bounded by
    /// the templates' size, not by how often a loop runs them).
    calls: RefCell<FxHashSet<Call>>,
    pub budget: Rc<Budget>,
    /// The error of the spent budget, once made: every enclosing level returns it as it is.
    pub(crate) budget_error: RefCell<Option<Box<crate::ExecError>>>,
    /// What the host hands every template of the render ([`Shared::share`]), and the maps
    /// reachable from it, walked at the first write into any map.
    roots: RefCell<Vec<Value>>,
    reachable: RefCell<Option<FxHashSet<usize>>>,
    /// Writes into those maps so far ([`Shared::note_write`]).
    shared_writes: Cell<u64>,
    /// The map whose reads the host wants to know of ([`Shared::watch`]).
    watch: std::cell::OnceCell<Watch>,
    /// Texts parsed to be executed (`tpl`) so far.
    pub(crate) text_parses: RefCell<TextParses>,
}

impl Shared {
    pub fn new(limits: &Limits) -> Shared {
        Shared {
            stack_base: Cell::new(0),
            stack_budget: limits.stack_budget,
            rng: match limits.seed {
                Some(seed) => Rng::Seeded(Cell::new(seed | 1)),
                None => Rng::Os(RefCell::new(OsBuffer::default())),
            },
            draws: Cell::new(0),
            incidental: Cell::new(INCIDENTAL_SEED),
            clock: limits.clock,
            counters: RefCell::default(),
            calls: RefCell::default(),
            budget: Rc::new(Budget::new(
                limits.max_steps,
                limits.max_memory,
                limits.timeout,
            )),
            budget_error: RefCell::new(None),
            roots: RefCell::default(),
            reachable: RefCell::default(),
            shared_writes: Cell::new(0),
            watch: std::cell::OnceCell::new(),
            text_parses: RefCell::default(),
        }
    }

    /// Notes from now on whether executions read `watch`'s map ([`Watch`]); once per render.
    pub fn watch(&self, watch: Watch) {
        let _ = self.watch.set(watch);
    }

    /// What [`Shared::watch`] set.
    pub fn watching(&self) -> Option<&Watch> {
        self.watch.get()
    }

    /// Values every template of the render is handed (Helm's `.Values`, `.Chart`, …): a
    /// write into a map reachable from them ([`Shared::note_write`]) is seen by the templates
    /// that run after the writer. Objects are the host's and are not looked into.
    pub fn share(&self, roots: impl IntoIterator<Item = Value>) {
        self.roots.borrow_mut().extend(roots);
    }

    /// For a host function about to write into `map` (`set`, `merge`): counts the write when
    /// other templates can see the map, and then `added` becomes visible to them too. Maps
    /// are told apart by address: one that was shared and dropped may leave its address to a
    /// new map, whose writes then count too (a host re-runs a template it need not, never
    /// skips one it must).
    pub fn note_write(&self, map: &Map, added: Option<&Value>) {
        let mut reachable = self.reachable.borrow_mut();
        let reachable = reachable.get_or_insert_with(|| {
            let mut set = FxHashSet::default();
            for root in self.roots.borrow().iter() {
                walk_maps(root, &mut set);
            }
            set
        });
        if !reachable.contains(&address(map)) {
            return;
        }
        self.shared_writes.set(self.shared_writes.get() + 1);
        if let Some(added) = added {
            walk_maps(added, reachable);
        }
    }

    /// How many writes into maps every template sees this render has made: a template that
    /// made none leaves the next ones as it found them.
    pub fn shared_writes(&self) -> u64 {
        self.shared_writes.get()
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

    /// Next random number: from the operating system's CSPRNG, or with [`Limits::seed`] the
    /// reproducible xorshift64* a static check needs. If the operating system cannot give
    /// random numbers this yields 0 and [`Shared::random_failure`] says why: the execution
    /// fails rather than print predictable secrets.
    pub fn next_random(&self) -> u64 {
        self.draws.set(self.draws.get() + 1);
        match &self.rng {
            Rng::Seeded(state) => {
                let (next, out) = xorshift_step(state.get());
                state.set(next);
                out
            }
            Rng::Os(buffer) => buffer.borrow_mut().next(),
        }
    }

    /// A random number whose value does not change what the output means, such as a password
    /// hash's salt (any salt verifies the same password): from the operating system's CSPRNG,
    /// or with [`Limits::seed`] from a stream that is the same for every seed and leaves
    /// [`Shared::next_random`]'s stream where it was. Two seeded renders then differ only where
    /// what they write means something else, which is what a static check compares them for.
    /// Counted in [`Shared::draws`]: what is hashed may itself have been generated (in another
    /// template, through values it `set`), and then the hash does change with the seed.
    pub fn next_incidental(&self) -> u64 {
        self.draws.set(self.draws.get() + 1);
        match &self.rng {
            Rng::Seeded(_) => {
                let (next, out) = xorshift_step(self.incidental.get());
                self.incidental.set(next);
                out
            }
            Rng::Os(buffer) => buffer.borrow_mut().next(),
        }
    }

    /// How many random numbers this render has drawn.
    pub fn draws(&self) -> u64 {
        self.draws.get()
    }

    /// Why the operating system's generator gave no random numbers, if it failed.
    pub fn random_failure(&self) -> Option<String> {
        match &self.rng {
            Rng::Os(buffer) => buffer.borrow().failure.clone(),
            Rng::Seeded(_) => None,
        }
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

fn address(map: &Map) -> usize {
    Rc::as_ptr(&map.entries) as *const () as usize
}

/// Adds the maps and lists `v` holds (itself included) to `seen`, each once: one seen already
/// is not entered again, so the walk is linear in what is new (a list of the same list many
/// times over, or a map that contains itself, costs no more than it holds).
fn walk_maps(v: &Value, seen: &mut FxHashSet<usize>) {
    // Only maps and lists hold more: the strings and numbers of a chart's values (most of
    // them) are not copied onto the stack to be dropped again.
    let holds = |v: &&Value| matches!(v, Value::Map(_) | Value::List(_));
    let mut stack = vec![v.clone()];
    while let Some(v) = stack.pop() {
        match v {
            Value::Map(m) if seen.insert(address(&m)) => {
                stack.extend(m.entries.borrow().values().filter(holds).cloned());
            }
            Value::List(l) if seen.insert(Rc::as_ptr(&l.items) as *const () as usize) => {
                stack.extend(l.items.iter().filter(holds).cloned());
            }
            _ => {}
        }
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

/// Where the seeded stream of incidental numbers starts (odd, as xorshift64* needs a non-zero
/// state).
const INCIDENTAL_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

enum Rng {
    Seeded(Cell<u64>),
    Os(RefCell<OsBuffer>),
}

/// Numbers from the operating system's CSPRNG, fetched a page at a time (generating an RSA
/// key draws thousands).
#[derive(Default)]
struct OsBuffer {
    words: Vec<u64>,
    failure: Option<String>,
}

impl OsBuffer {
    fn next(&mut self) -> u64 {
        if self.words.is_empty() && self.failure.is_none() {
            let mut bytes = [0u8; 4096];
            match getrandom::fill(&mut bytes) {
                Ok(()) => {
                    self.words = bytes
                        .chunks_exact(8)
                        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
                        .collect();
                }
                Err(e) => self.failure = Some(e.to_string()),
            }
        }
        self.words.pop().unwrap_or(0)
    }
}

thread_local! {
    /// The stack size of a thread [`run_with_stack`] made; 0 on any other thread.
    static THREAD_STACK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The stack size of this thread when [`run_with_stack`] made it; 0 on any other thread. On a
/// thread of at least the size asked for, `run_with_stack` runs in place.
pub fn render_stack_here() -> usize {
    THREAD_STACK.with(std::cell::Cell::get)
}

/// Smaller stacks tried, in turn, when the requested one cannot be reserved (a process under
/// `ulimit -v`): deep recursion then meets the stack budget sooner, as an error.
const FALLBACK_STACKS: [usize; 2] = [64 << 20, 16 << 20];

/// Runs `f` on a thread with `stack_bytes` of stack, for renders with deep template recursion;
/// when that much address space cannot be reserved, with the largest of `FALLBACK_STACKS`
/// that can. `f` is given the size it got: set [`Limits::stack_budget`] from it (minus a
/// safety margin, [`stack_budget_for`]). The thread is scoped, so `f` may borrow (a loaded
/// chart is not copied to render it).
///
/// Called on a thread it made with at least `stack_bytes`, `f` runs in place, given that
/// thread's size: several renders nested in one such thread share it (and a
/// [`with_parse_cache`](crate::with_parse_cache) scope on it).
pub fn run_with_stack<T: Send, F: FnOnce(usize) -> T + Send>(
    stack_bytes: usize,
    f: F,
) -> std::io::Result<T> {
    let here = render_stack_here();
    if here >= stack_bytes {
        return Ok(f(here));
    }
    std::thread::scope(
        |scope| match spawn_with_stack(scope, stack_bytes, f)?.join() {
            Ok(Some(out)) => Ok(out),
            Ok(None) => Err(std::io::Error::other("the render ran already")),
            Err(_) => Err(std::io::Error::other("render thread panicked")),
        },
    )
}

/// [`run_with_stack`]'s thread, started in `scope` and left running, so that the calling
/// thread can work beside it (load the chart its render needs); always a new thread. `f` is
/// given the stack size the thread got. Joined, the thread gives `None` only if `f` could not
/// be taken (never, short of a poisoned lock).
pub fn spawn_with_stack<'scope, T, F>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    stack_bytes: usize,
    f: F,
) -> std::io::Result<std::thread::ScopedJoinHandle<'scope, Option<T>>>
where
    T: Send + 'scope,
    F: FnOnce(usize) -> T + Send + 'scope,
{
    // Shared with each attempt, so that a spawn that fails does not take `f` along.
    let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(f)));
    let sizes = std::iter::once(stack_bytes)
        .chain(FALLBACK_STACKS.into_iter().filter(|&s| s < stack_bytes));
    let mut last_error = None;
    for size in sizes {
        let slot = std::sync::Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .stack_size(size)
            .spawn_scoped(scope, move || {
                THREAD_STACK.with(|t| t.set(size));
                let f = slot.lock().ok().and_then(|mut f| f.take());
                f.map(|f| f(size))
            });
        match spawned {
            Ok(handle) => return Ok(handle),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no stack size to try")))
}

/// The [`Limits::stack_budget`] for a thread of `stack_bytes`: what is left after a margin for
/// the frames between two budget checks.
pub fn stack_budget_for(stack_bytes: usize) -> usize {
    stack_bytes - (stack_bytes / 4).min(32 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded(seed: u64) -> Shared {
        Shared::new(&Limits {
            seed: Some(seed),
            ..Limits::default()
        })
    }

    #[test]
    fn incidental_draws_are_the_same_for_every_seed_and_leave_the_seeded_stream_alone() {
        let (one, two) = (seeded(1), seeded(2));
        let incidental = |s: &Shared| [s.next_incidental(), s.next_incidental()];
        assert_eq!(incidental(&one), incidental(&two));
        assert_ne!(one.next_random(), two.next_random());
        // A salt drawn before a password does not change the password.
        let (plain, salted) = (seeded(7), seeded(7));
        salted.next_incidental();
        assert_eq!(plain.next_random(), salted.next_random());
        // Both count: a template that hashed something is compared across seeds.
        assert_eq!((plain.draws(), salted.draws()), (1, 2));
    }

    #[test]
    fn without_a_seed_incidental_draws_come_from_the_operating_system() {
        let (one, two) = (
            Shared::new(&Limits::default()),
            Shared::new(&Limits::default()),
        );
        let incidental = |s: &Shared| [s.next_incidental(), s.next_incidental()];
        assert_ne!(incidental(&one), incidental(&two));
        assert_eq!(one.random_failure(), None);
    }
}
