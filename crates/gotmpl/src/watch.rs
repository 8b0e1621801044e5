//! Whether an execution read a map's content ([`Watch`]): a host that runs the same templates
//! twice, once with that map changed, learns which templates need the second run (Helm's
//! `.Release`, whose `IsUpgrade`, `IsInstall` and `Revision` an upgrade sees differently from
//! an install). An execution is the same in both runs up to its first read of the map, so a
//! template that never read it renders the same with either.
//!
//! A read is: a field of the map other than the ones the host says stay the same; the map, or
//! a map or list holding it, printed, ranged over, or given to a function, except the
//! functions the host names as reading nothing of what they are given. What those functions
//! build holding the map is watched too (`dict "context" $`), by address, as
//! [`crate::Shared::note_write`] tells shared maps apart.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

use rustc_hash::FxHashMap;

use crate::value::{Map, Value};

/// The map a render watches, and what reads nothing of it.
pub struct Watch {
    map: usize,
    /// Fields of the map that read nothing that changes (`.Release.Name`).
    same_fields: &'static [&'static str],
    /// Functions that read nothing of the maps and lists they are given: they pass them on
    /// (`include`, `default`), build a map or list holding them ([`Watch::holders`]), or look
    /// at their keys, length or kind only (`hasKey`, `len`).
    passes: &'static [&'static str],
    /// Of `passes`, those whose result holds what they were given (`dict`, `list`, `set`).
    holders: &'static [&'static str],
    /// Maps and lists that hold the map, by address. Each kept as a weak reference: its
    /// address is not given to another map or list while it is here.
    holding: RefCell<FxHashMap<usize, Held>>,
    /// More maps and lists held the map than [`MAX_HOLDING`]: every template reads it.
    saturated: Cell<bool>,
    /// Of `passes`, those that navigate into what they were given (`index`, `get`, `first`):
    /// what they return is read from it unless it is a map or list (the watched map holds
    /// none).
    navigators: &'static [&'static str],
    read: Cell<bool>,
}

impl Watch {
    /// Watches `map` (a [`Value::Map`]); `holding` are the values known to hold it (the dot
    /// every template gets). See the fields for the function lists.
    pub fn new(
        map: &Value,
        same_fields: &'static [&'static str],
        passes: &'static [&'static str],
        holders: &'static [&'static str],
        navigators: &'static [&'static str],
    ) -> Watch {
        Watch {
            map: address(map).unwrap_or(0),
            same_fields,
            passes,
            holders,
            holding: RefCell::default(),
            saturated: Cell::new(false),
            navigators,
            read: Cell::new(false),
        }
    }

    /// `value` holds the watched map: reading it whole reads the map.
    pub fn hold(&self, value: &Value) {
        let held = match value {
            Value::Map(m) => Held::Map(Rc::downgrade(&m.entries)),
            Value::List(l) => Held::List(Rc::downgrade(&l.items)),
            _ => return,
        };
        let Some(a) = address(value) else { return };
        let mut holding = self.holding.borrow_mut();
        if holding.len() >= MAX_HOLDING {
            // The ones no value refers to any more hold nothing.
            holding.retain(|_, held| held.alive());
            if holding.len() >= MAX_HOLDING / 2 {
                self.saturated.set(true);
                holding.clear();
            }
        }
        if !self.saturated.get() {
            holding.insert(a, held);
        }
    }

    /// Whether the map was read since the last take; the record starts afresh.
    pub fn take_read(&self) -> bool {
        // Between templates, what only the last one referred to is gone.
        self.holding.borrow_mut().retain(|_, held| held.alive());
        self.read.replace(false) || self.saturated.get()
    }

    fn holds(&self, value: &Value) -> bool {
        address(value).is_some_and(|a| a == self.map || self.holding.borrow().contains_key(&a))
    }

    /// Field `name` of `receiver`.
    pub(crate) fn field(&self, receiver: &Map, name: &str) {
        if Rc::as_ptr(&receiver.entries) as *const () as usize == self.map
            && !self.same_fields.contains(&name)
        {
            self.read.set(true);
        }
    }

    /// `value` printed, ranged over, or given to a method.
    pub(crate) fn whole(&self, value: &Value) {
        if self.holds(value) {
            self.read.set(true);
        }
    }

    /// Function `name` called with `args`, before it runs.
    pub(crate) fn call(&self, name: &str, args: &[Value]) -> CallWatch {
        if !args.iter().any(|a| self.holds(a)) {
            return CallWatch::Nothing;
        }
        if !self.passes.contains(&name) {
            self.read.set(true);
            return CallWatch::Nothing;
        }
        if self.holders.contains(&name) {
            CallWatch::Holds
        } else if self.navigators.contains(&name) {
            CallWatch::Navigates
        } else {
            CallWatch::Nothing
        }
    }

    /// What a function [`Watch::call`] told about returned.
    pub(crate) fn returned(&self, watch: CallWatch, result: &Value) {
        match watch {
            CallWatch::Nothing => {}
            CallWatch::Holds => self.hold(result),
            CallWatch::Navigates => {
                if !matches!(result, Value::Map(_) | Value::List(_) | Value::Nil) {
                    self.read.set(true);
                }
            }
        }
    }
}

/// Maps and lists that held the watched map at once, at most; a template that builds more
/// reads it (each costs a few dozen bytes until no value refers to it).
const MAX_HOLDING: usize = 1 << 16;

/// A map or list that holds the watched map. The weak reference keeps its allocation, and so
/// its address, from being reused by another map or list that holds nothing.
enum Held {
    Map(Weak<RefCell<BTreeMap<String, Value>>>),
    List(Weak<Vec<Value>>),
}

impl Held {
    fn alive(&self) -> bool {
        match self {
            Held::Map(m) => m.strong_count() > 0,
            Held::List(l) => l.strong_count() > 0,
        }
    }
}

/// What is left to note once a function a [`Watch`] saw called returns.
#[derive(Clone, Copy)]
pub(crate) enum CallWatch {
    Nothing,
    Holds,
    Navigates,
}

/// A map's or list's address, which every copy of the value shares.
pub(crate) fn address(value: &Value) -> Option<usize> {
    match value {
        Value::Map(m) => Some(Rc::as_ptr(&m.entries) as *const () as usize),
        Value::List(l) => Some(Rc::as_ptr(&l.items) as *const () as usize),
        _ => None,
    }
}
