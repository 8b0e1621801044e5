//! The work, memory and time one render may spend, counted as it runs (like minijinja's fuel).
//! A template is attacker-controlled input: a few lines can ask for 2^40 `include`s, a string
//! doubled forty times, or a dict whose shared children print as terabytes. Every node the
//! executor walks, every `range` iteration and every function call costs a step; functions and
//! value walkers (printing, encoding, copying, comparing) that do more work than one step, or
//! build large results, charge what they do *before* they build it. Once a budget is spent the
//! render fails with an error naming the template and line where it ran out.
//!
//! The budget of the running render is reachable from anywhere on its thread ([`step`],
//! [`fits`], [`reserve`], [`charge`]), so a value walker deep inside a function needs no extra
//! parameter; outside a render they always succeed.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::value::{MAX_DEPTH, Value};

/// How many steps pass between two looks at the clock.
const CLOCK_EVERY: u32 = 1024;

/// What one render may spend, and what it has spent.
pub struct Budget {
    max_steps: u64,
    max_memory: u64,
    steps_left: Cell<u64>,
    memory_left: Cell<u64>,
    deadline: Option<(Instant, Duration)>,
    until_clock: Cell<u32>,
    /// Why the render must stop, once a budget is spent (the first reason wins).
    spent: RefCell<Option<String>>,
}

impl Budget {
    pub fn new(max_steps: u64, max_memory: u64, timeout: Option<Duration>) -> Budget {
        Budget {
            max_steps,
            max_memory,
            steps_left: Cell::new(max_steps),
            memory_left: Cell::new(max_memory),
            deadline: timeout.map(|t| (Instant::now() + t, t)),
            until_clock: Cell::new(CLOCK_EVERY),
            spent: RefCell::new(None),
        }
    }

    /// Spends `n` steps; false (and the budget is marked spent) when there are not that many
    /// left or the deadline has passed. Inlined: the executor spends a step on every node.
    #[inline]
    pub fn step(&self, n: u64) -> bool {
        let left = self.steps_left.get();
        // Spending anything marks the budget spent by emptying it: a spent budget stays spent.
        if n >= left {
            return self.steps_spent();
        }
        self.steps_left.set(left - n);
        let until = self.until_clock.get();
        if until > 1 && n < u64::from(CLOCK_EVERY) {
            self.until_clock.set(until - 1);
            return true;
        }
        self.until_clock.set(CLOCK_EVERY);
        self.within_deadline()
    }

    #[cold]
    fn steps_spent(&self) -> bool {
        self.steps_left.set(0);
        self.spend(format!(
            "template work budget of {} steps spent",
            self.max_steps
        ))
    }

    fn within_deadline(&self) -> bool {
        match self.deadline {
            Some((at, timeout)) if Instant::now() >= at => self.spend(format!(
                "render timeout of {} s spent",
                timeout.as_secs_f64()
            )),
            _ => !self.is_spent(),
        }
    }

    /// Whether `bytes` more would still fit in the memory budget (nothing is charged).
    pub fn fits(&self, bytes: u64) -> bool {
        bytes <= self.memory_left.get() || self.spend(self.memory_message(bytes))
    }

    /// Charges `bytes` of memory; false (and the budget is marked spent) when they do not fit.
    pub fn charge(&self, bytes: u64) -> bool {
        let left = self.memory_left.get();
        if bytes > left {
            return self.spend(self.memory_message(bytes));
        }
        self.memory_left.set(left - bytes);
        true
    }

    fn memory_message(&self, bytes: u64) -> String {
        format!(
            "template memory budget of {} bytes spent (building {bytes} more bytes with {} left)",
            self.max_memory,
            self.memory_left.get()
        )
    }

    /// Marks the budget spent with `why` (unless it already is); always false.
    fn spend(&self, why: String) -> bool {
        self.steps_left.set(0);
        let mut spent = self.spent.borrow_mut();
        if spent.is_none() {
            *spent = Some(why);
        }
        false
    }

    /// Stops the render for a reason of the host's (a recursion cap): like a spent budget, the
    /// error is made once, where it happened, and not wrapped again by every level around it.
    pub fn stop(&self, why: String) {
        self.spend(why);
    }

    pub fn is_spent(&self) -> bool {
        self.spent.borrow().is_some()
    }

    /// Why the render must stop, if it must.
    pub fn spent(&self) -> Option<String> {
        self.spent.borrow().clone()
    }

    /// Steps and bytes spent so far.
    pub fn used(&self) -> (u64, u64) {
        (
            self.max_steps - self.steps_left.get(),
            self.max_memory - self.memory_left.get(),
        )
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Budget>>> = const { RefCell::new(None) };
}

/// Makes `budget` the one [`step`], [`fits`], [`charge`] and [`reserve`] use on this thread
/// until the returned guard is dropped.
pub(crate) fn install(budget: &Rc<Budget>) -> Installed {
    let previous = CURRENT.with(|c| c.replace(Some(budget.clone())));
    Installed { previous }
}

pub(crate) struct Installed {
    previous: Option<Rc<Budget>>,
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

fn with_current(f: impl FnOnce(&Budget) -> bool) -> bool {
    CURRENT.with(|c| c.borrow().as_deref().is_none_or(f))
}

/// Spends `n` steps of the running render; false once its work budget or time is spent.
pub fn step(n: u64) -> bool {
    with_current(|b| b.step(n))
}

/// Whether `bytes` more fit in the running render's memory budget.
pub fn fits(bytes: u64) -> bool {
    with_current(|b| b.fits(bytes))
}

/// Charges `bytes` to the running render's memory budget.
pub fn charge(bytes: u64) -> bool {
    with_current(|b| b.charge(bytes))
}

/// For a function about to build a result of `bytes` bytes with `steps` of work: an error
/// (the function's error text) when that does not fit in what is left. Nothing is charged:
/// the executor charges the result once it exists.
pub fn reserve(steps: u64, bytes: u64) -> Result<(), String> {
    let mut why = None;
    let ok = with_current(|b| {
        let ok = b.step(steps) && b.fits(bytes);
        if !ok {
            why = b.spent();
        }
        ok
    });
    match why {
        Some(why) if !ok => Err(why),
        _ => Ok(()),
    }
}

/// What walking a value as encoders and printers do costs: they visit a shared child once per
/// reference, so a dict whose children are shared costs exponentially more than it holds.
pub struct Walk {
    /// Roughly the bytes of its text: every string and key, and a few bytes per node.
    pub bytes: u64,
    /// The value nests deeper than [`MAX_DEPTH`] (it contains itself).
    pub too_deep: bool,
}

/// Charges one step per node of `v` (as a walk reaches them, to [`MAX_DEPTH`]) and checks
/// that its text fits in the memory left, before an encoder or copier builds anything. The
/// error is the spent budget's (the function's error text).
pub fn walk(v: &Value) -> Result<Walk, String> {
    let mut w = Walk {
        bytes: 0,
        too_deep: false,
    };
    let Some(budget) = CURRENT.with(|c| c.borrow().clone()) else {
        walk_at(v, 0, &mut w, None);
        return Ok(w);
    };
    if walk_at(v, 0, &mut w, Some(&budget)) {
        Ok(w)
    } else {
        Err(budget.spent().unwrap_or_default())
    }
}

/// False once the budget is spent.
fn walk_at(v: &Value, depth: usize, w: &mut Walk, budget: Option<&Budget>) -> bool {
    const NODE: u64 = 8;
    if depth > MAX_DEPTH {
        w.too_deep = true;
        return true;
    }
    w.bytes += NODE;
    if budget.is_some_and(|b| !b.step(1) || !b.fits(w.bytes)) {
        return false;
    }
    match v {
        Value::Str(s) => w.bytes += s.len() as u64,
        Value::RawStr(b) | Value::Bytes(b) => w.bytes += b.len() as u64,
        Value::List(l) => {
            return l
                .items
                .iter()
                .all(|item| walk_at(item, depth + 1, w, budget));
        }
        Value::Map(m) => {
            return m.entries.borrow().iter().all(|(k, item)| {
                w.bytes += k.len() as u64;
                walk_at(item, depth + 1, w, budget)
            });
        }
        Value::Object(o) => {
            if let Some(p) = o.plain() {
                return walk_at(&p, depth + 1, w, budget);
            }
        }
        Value::Nil | Value::Bool(_) | Value::Int(..) | Value::Float(_) => {}
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_run_out() {
        let b = Budget::new(11, 100, None);
        assert!(b.step(4) && b.step(6));
        assert!(!b.step(1));
        assert!(b.spent().unwrap().contains("11 steps"));
        assert!(!b.step(0), "a spent budget stays spent");
    }

    #[test]
    fn memory_checks_before_charging() {
        let b = Budget::new(10, 100, None);
        assert!(b.fits(100) && b.charge(60));
        assert!(b.fits(40) && !b.is_spent());
        assert!(!b.fits(41));
        assert!(
            b.spent()
                .unwrap()
                .contains("building 41 more bytes with 40 left")
        );
        assert_eq!(b.used().1, 60);
    }

    #[test]
    fn deadline_is_checked_between_steps() {
        let b = Budget::new(u64::MAX, 100, Some(Duration::ZERO));
        let mut ran = 0;
        while b.step(1) {
            ran += 1;
        }
        assert!(ran < CLOCK_EVERY);
        assert!(b.spent().unwrap().contains("render timeout"));
    }

    #[test]
    fn free_functions_see_the_installed_budget() {
        assert!(reserve(u64::MAX, u64::MAX).is_ok(), "no render: no budget");
        let b = Rc::new(Budget::new(5, 10, None));
        {
            let _on = install(&b);
            assert!(reserve(2, 10).is_ok());
            assert!(step(2) && charge(10));
            assert!(reserve(0, 1).is_err());
        }
        assert!(step(100), "uninstalled again");
    }
}

#[test]
fn walking_shared_children_is_charged_per_reference() {
    let mut v = Value::str("leaf");
    for _ in 0..40 {
        let m = std::collections::BTreeMap::from([("a".to_string(), v.clone()), ("b".into(), v)]);
        v = Value::map(m);
    }
    let b = Rc::new(Budget::new(1_000_000, 1 << 30, None));
    let _on = install(&b);
    let err = walk(&v).err().unwrap();
    assert!(err.contains("work budget of 1000000 steps"), "{err}");
}
