//! Coalescing: the chart's defaults under the user's values, subchart by subchart, with globals
//! copied down, step for step as Helm 4 does it (`CoalesceValues`, `MergeValues`). The observable
//! rules, pinned against the real engine by the fixture and corpus tests:
//!
//! - a key the user (or a parent) gives wins; maps merge key by key;
//! - a `null` default is never copied in (nested ones neither; nulls inside lists stay);
//! - a `null` from the user deletes the default (`--set a=null`); below the top level of a
//!   chart's values only a non-null default: a nested `null` given for a `null` default stays
//!   `null`, as does a `null` for a key with no default;
//! - a parent chart's defaults for a subchart (`sub:` in its values.yaml) go under the user's
//!   `sub:` values in "merge" mode, where `null` is kept as a value, and the subchart's own
//!   coalescing then deletes its default for that key; so a parent's `sub: {key: null}` removes
//!   the subchart's default only when the user also gave values under `sub`;
//! - `global` flows down: the parent's globals override the subchart's, maps merging.
//!
//! Helm works on Go maps, which are references, and copies a global's map *shallowly* into each
//! subchart: maps two levels under `global` are then one object shared by the parent and all its
//! subcharts, and a merge into one of them shows everywhere (a subchart's nulls can appear in
//! the parent's `.Values.global`). To give the same values, coalescing runs on a tree of shared
//! maps (`Tree`) that copies exactly where Helm copies.
//!
//! What Helm logs while coalescing (`warning: skipped value for sub.key: Not a table.` and the
//! like, with the dotted path Helm builds) is collected, message for message, into a log the
//! caller passes; where Helm logs several in one pass it walks Go maps in random order, this
//! walk is by key.

use std::cell::{Ref, RefCell, RefMut};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;
use std::rc::Rc;

use serde_json::Value;

use crate::chart::gofmt::format_g;
use crate::chart::load::Chart;

use super::Values;

pub const GLOBAL: &str = "global";

/// A map shared by reference, as a Go `map[string]interface{}` is.
type Tree<'a> = Rc<RefCell<Table<'a>>>;

/// The entries of a map. A chart's defaults are copied lazily (Helm copies them whole before
/// each of its three coalescings, and most of them are never changed): a map stays the
/// chart's own until something reads or changes its entries, and is then copied one level,
/// in place, so that every holder of the map sees the same copy. A map coalescing owns is
/// opened the same way, one level at a time, and what nobody opened is moved whole into the
/// result.
enum Table<'a> {
    Built(BTreeMap<String, Node<'a>>),
    /// A chart's map, unchanged; `no_nulls`: its `null` entries, at every depth, are gone.
    Defaults {
        values: &'a Values,
        no_nulls: bool,
    },
    /// A map coalescing owns (given values, or defaults [`Taken`] from their chart), unchanged;
    /// `no_nulls` as for `Defaults`.
    Owned {
        values: Values,
        no_nulls: bool,
    },
}

impl Default for Table<'_> {
    fn default() -> Self {
        Table::Built(BTreeMap::new())
    }
}

impl<'a> Table<'a> {
    /// The entries, copied out of the chart's map first if they still are the chart's.
    fn built(&mut self) -> &mut BTreeMap<String, Node<'a>> {
        match self {
            Table::Built(_) => {}
            Table::Defaults { values, no_nulls } => {
                let (values, no_nulls) = (*values, *no_nulls);
                *self = Table::Built(
                    values
                        .iter()
                        .filter(|(_, v)| !(no_nulls && v.is_null()))
                        .map(|(k, v)| (k.clone(), Node::default_of(v, no_nulls)))
                        .collect(),
                );
            }
            Table::Owned { values, no_nulls } => {
                let (values, no_nulls) = (std::mem::take(values), *no_nulls);
                *self = Table::Built(
                    values
                        .into_iter()
                        .filter(|(_, v)| !(no_nulls && v.is_null()))
                        .map(|(k, v)| (k, Node::owned(v, no_nulls)))
                        .collect(),
                );
            }
        }
        match self {
            Table::Built(map) => map,
            Table::Defaults { .. } | Table::Owned { .. } => unreachable!("built just above"),
        }
    }
}

/// A value during coalescing: a shared map, or anything else (lists are never merged into).
#[derive(Clone)]
enum Node<'a> {
    Map(Tree<'a>),
    Leaf(Scalar<'a>),
}

/// A value that is not a map. Given values are behind an `Rc` because coalescing copies
/// entries around a lot (`entries`, `get`) and a leaf may be a long list or string; a chart's
/// default is borrowed until the result is built. None is ever changed in place.
#[derive(Clone)]
enum Scalar<'a> {
    Given(Rc<Value>),
    Default(&'a Value),
}

impl Deref for Scalar<'_> {
    type Target = Value;
    fn deref(&self) -> &Value {
        match self {
            Scalar::Given(v) => v,
            Scalar::Default(v) => v,
        }
    }
}

fn null<'a>() -> Node<'a> {
    Node::Leaf(Scalar::Given(Rc::new(Value::Null)))
}

impl<'a> Node<'a> {
    fn is_null(&self) -> bool {
        matches!(self, Node::Leaf(v) if v.is_null())
    }

    /// A chart's default, copied when it is first changed (Go's `copystructure.Copy`).
    fn default_of(v: &'a Value, no_nulls: bool) -> Node<'a> {
        match v {
            Value::Object(values) => {
                Node::Map(Rc::new(RefCell::new(Table::Defaults { values, no_nulls })))
            }
            other => Node::Leaf(Scalar::Default(other)),
        }
    }

    /// Like [`Node::default_of`], moving the data instead of borrowing it.
    fn owned(v: Value, no_nulls: bool) -> Node<'a> {
        match v {
            Value::Object(values) => {
                Node::Map(Rc::new(RefCell::new(Table::Owned { values, no_nulls })))
            }
            other => Node::Leaf(Scalar::Given(Rc::new(other))),
        }
    }

    /// Back to a value; data nothing else holds any more is moved, shared data copied.
    fn into_value(self) -> Value {
        match self {
            Node::Map(t) => Value::Object(values_from(t)),
            Node::Leaf(Scalar::Given(v)) => Rc::try_unwrap(v).unwrap_or_else(|v| (*v).clone()),
            Node::Leaf(Scalar::Default(v)) => v.clone(),
        }
    }
}

fn tree_from_owned<'a>(values: Values) -> Tree<'a> {
    Rc::new(RefCell::new(Table::Owned {
        values,
        no_nulls: false,
    }))
}

/// The values of a tree, moved out when this is its last reference (a map shared with
/// another place in the values, as globals are, is copied for all but the last).
fn values_from(tree: Tree<'_>) -> Values {
    let table = match Rc::try_unwrap(tree) {
        Ok(cell) => cell.into_inner(),
        Err(shared) => match &*shared.borrow() {
            Table::Built(map) => Table::Built(map.clone()),
            Table::Defaults { values, no_nulls } => Table::Defaults {
                values,
                no_nulls: *no_nulls,
            },
            Table::Owned { values, no_nulls } => Table::Owned {
                values: values.clone(),
                no_nulls: *no_nulls,
            },
        },
    };
    match table {
        Table::Built(map) => map.into_iter().map(|(k, v)| (k, v.into_value())).collect(),
        Table::Defaults {
            values,
            no_nulls: false,
        } => values.clone(),
        Table::Defaults {
            values,
            no_nulls: true,
        } => without_nulls(values),
        Table::Owned {
            values,
            no_nulls: false,
        } => values,
        Table::Owned {
            mut values,
            no_nulls: true,
        } => {
            drop_nulls(&mut values);
            values
        }
    }
}

/// A copy of `values` without its `null` map entries at any depth (list items untouched).
fn without_nulls(values: &Values) -> Values {
    values
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let v = match v {
                Value::Object(m) => Value::Object(without_nulls(m)),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// [`without_nulls`] in place.
fn drop_nulls(values: &mut Values) {
    values.retain(|_, v| !v.is_null());
    for v in values.values_mut() {
        if let Value::Object(m) = v {
            drop_nulls(m);
        }
    }
}

/// A tree's entries, for reading.
fn map<'b, 'a>(tree: &'b Tree<'a>) -> Ref<'b, BTreeMap<String, Node<'a>>> {
    tree.borrow_mut().built();
    Ref::map(tree.borrow(), |t| match t {
        Table::Built(map) => map,
        Table::Defaults { .. } | Table::Owned { .. } => unreachable!("built just above"),
    })
}

/// A tree's entries, for changing.
fn map_mut<'b, 'a>(tree: &'b Tree<'a>) -> RefMut<'b, BTreeMap<String, Node<'a>>> {
    RefMut::map(tree.borrow_mut(), Table::built)
}

fn entries<'a>(tree: &Tree<'a>) -> Vec<(String, Node<'a>)> {
    map(tree)
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn get<'a>(tree: &Tree<'a>, key: &str) -> Option<Node<'a>> {
    map(tree).get(key).cloned()
}

/// Helm's `concatPrefix`: the dotted path its messages name.
fn dotted(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Chart defaults taken out of their charts by a caller that has no more use for them, for
/// [`coalesce`] to move into its result: copying a chart's whole values was most of the cost
/// of coalescing them.
#[derive(Default)]
pub struct Taken {
    /// The chart's own values; `None`: read from the chart.
    values: Option<Values>,
    /// The subcharts', in the order of the chart's dependencies; those missing are read from
    /// their charts.
    subcharts: Vec<Taken>,
}

impl Taken {
    /// The values of `chart` (left empty), not its subcharts'.
    pub fn own(chart: &mut Chart) -> Taken {
        Taken {
            values: Some(std::mem::take(&mut chart.values)),
            subcharts: Vec::new(),
        }
    }

    /// The values of `chart` and of every chart below it (all left empty).
    pub fn all(chart: &mut Chart) -> Taken {
        Taken {
            values: Some(std::mem::take(&mut chart.values)),
            subcharts: chart.dependencies.iter_mut().map(Taken::all).collect(),
        }
    }
}

/// Helm's `CoalesceValues` (`merge == false`) and `MergeValues` (`merge == true`) for `chart`
/// over `dest`, the values given for it; fills `dest` in place and adds Helm's messages to
/// `log`. The defaults in `taken` are those of `chart` (and its subcharts) that the caller took
/// out of them.
pub fn coalesce(
    chart: &Chart,
    taken: Taken,
    dest: &mut Values,
    merge: bool,
    log: &mut Vec<String>,
) -> Result<(), String> {
    let tree = tree_from_owned(std::mem::take(dest));
    let result = coalesce_tree(chart, taken, &tree, merge, "", log);
    *dest = values_from(tree);
    result
}

fn coalesce_tree<'a>(
    chart: &'a Chart,
    taken: Taken,
    dest: &Tree<'a>,
    merge: bool,
    prefix: &str,
    log: &mut Vec<String>,
) -> Result<(), String> {
    coalesce_values(chart, taken.values, dest, merge, prefix, log);
    coalesce_deps(chart, taken.subcharts, dest, merge, prefix, log)
}

fn coalesce_values<'a>(
    chart: &'a Chart,
    taken: Option<Values>,
    v: &Tree<'a>,
    merge: bool,
    prefix: &str,
    log: &mut Vec<String>,
) {
    let prefix = dotted(prefix, chart.name());
    // The chart's defaults are copied (as they are changed), so that merging never changes
    // the chart; those taken from it are moved.
    let defaults = Rc::new(RefCell::new(match taken {
        Some(values) => Table::Owned {
            values,
            no_nulls: false,
        },
        None => Table::Defaults {
            values: &chart.values,
            no_nulls: false,
        },
    }));
    for (key, default) in entries(&defaults) {
        match get(v, &key) {
            Some(given) if given.is_null() && !merge => {
                map_mut(v).remove(&key);
            }
            Some(Node::Map(given)) => match &default {
                Node::Map(src) => {
                    let merge = merge || chart.dependencies.iter().any(|d| d.name() == key);
                    if !merge {
                        remove_nulls(src);
                    }
                    coalesce_tables(&given, src, merge, &dotted(&prefix, &key), log);
                }
                Node::Leaf(d) if d.is_null() => {}
                Node::Leaf(_) => {
                    log.push(format!(
                        "warning: skipped value for {prefix}.{key}: Not a table."
                    ));
                }
            },
            Some(_) => {}
            None => {
                if !merge {
                    match &default {
                        Node::Leaf(v) if v.is_null() => continue,
                        Node::Map(m) => remove_nulls(m),
                        Node::Leaf(_) => {}
                    }
                }
                map_mut(v).insert(key, default);
            }
        }
    }
}

fn coalesce_deps<'a>(
    chart: &'a Chart,
    taken: Vec<Taken>,
    dest: &Tree<'a>,
    merge: bool,
    prefix: &str,
    log: &mut Vec<String>,
) -> Result<(), String> {
    let prefix = dotted(prefix, chart.name());
    let mut taken = taken.into_iter();
    for sub in &chart.dependencies {
        let sub_taken = taken.next().unwrap_or_default();
        let name = sub.name();
        let table = match get(dest, name) {
            None => {
                let fresh: Tree = Rc::default();
                map_mut(dest).insert(name.to_string(), Node::Map(fresh.clone()));
                fresh
            }
            Some(Node::Map(t)) => t,
            Some(Node::Leaf(_)) => {
                return Err(format!(
                    "type mismatch on {name}: the values for subchart {name} must be a map"
                ));
            }
        };
        coalesce_globals(&table, dest, &prefix, log);
        coalesce_tree(sub, sub_taken, &table, merge, &prefix, log)?;
    }
    Ok(())
}

/// Copies the parent's `global` into a subchart's values; the parent's entries win. Each map
/// under the parent's `global` is copied shallowly, as Helm copies it.
fn coalesce_globals<'a>(dest: &Tree<'a>, parent: &Tree<'a>, prefix: &str, log: &mut Vec<String>) {
    let dg = match get(dest, GLOBAL) {
        None => Rc::default(),
        Some(Node::Map(m)) => m,
        Some(Node::Leaf(_)) => {
            log.push(format!(
                "warning: skipping globals because destination {GLOBAL} is not a table."
            ));
            return;
        }
    };
    let sg = match get(parent, GLOBAL) {
        None => Rc::default(),
        Some(Node::Map(m)) => m,
        Some(Node::Leaf(_)) => {
            log.push(format!(
                "warning: skipping globals because source {GLOBAL} is not a table."
            ));
            return;
        }
    };
    if !Rc::ptr_eq(&dg, &sg) {
        for (key, val) in entries(&sg) {
            match (&val, get(&dg, &key)) {
                (Node::Map(src), existing) => {
                    let shallow: Tree = Rc::new(RefCell::new(Table::Built(map(src).clone())));
                    match existing {
                        None => {
                            map_mut(&dg).insert(key, Node::Map(shallow));
                        }
                        Some(Node::Map(below)) => {
                            coalesce_tables(&shallow, &below, true, &dotted(prefix, &key), log);
                            map_mut(&dg).insert(key, Node::Map(shallow));
                        }
                        Some(Node::Leaf(_)) => log.push(format!(
                            "Conflict: cannot merge map onto non-map for {}. Skipping.",
                            gotmpl::fmt::quote(&key)
                        )),
                    }
                }
                (Node::Leaf(_), Some(Node::Map(_))) => {
                    log.push(format!("key {key} is table. Skipping"));
                }
                (Node::Leaf(_), _) => {
                    map_mut(&dg).insert(key, val);
                }
            }
        }
    }
    map_mut(dest).insert(GLOBAL.into(), Node::Map(dg));
}

/// Helm's `CoalesceValues` (as [`coalesce`]) of `given` for `chart`, for reading: the values
/// are only built when asked for ([`Coalesced::into_values`]), and what nobody changed stays
/// borrowed from `given` and the charts.
pub fn coalesced<'a>(
    chart: &'a Chart,
    given: &'a Values,
    log: &mut Vec<String>,
) -> Result<Coalesced<'a>, String> {
    let tree = Rc::new(RefCell::new(Table::Defaults {
        values: given,
        no_nulls: false,
    }));
    coalesce_tree(chart, Taken::default(), &tree, false, "", log)?;
    Ok(Coalesced { tree })
}

/// Values [`coalesced`] gave.
pub struct Coalesced<'a> {
    tree: Tree<'a>,
}

impl<'a> Coalesced<'a> {
    /// The map at a dotted path, as [`table`] finds it.
    fn table(&self, path: &str) -> Option<Tree<'a>> {
        path.split('.')
            .try_fold(self.tree.clone(), |t, key| match get(&t, key) {
                Some(Node::Map(m)) => Some(m),
                _ => None,
            })
    }

    /// The boolean in the map at `table` under `key`, if it is one.
    pub fn bool_in(&self, table: &str, key: &str) -> Option<bool> {
        self.table(table).and_then(|t| leaf_bool(&t, key))
    }

    /// The boolean at a dotted path (Helm's `Values.PathValue`), if it is one.
    pub fn bool_at(&self, path: &str) -> Option<bool> {
        match path.rsplit_once('.') {
            Some((parent, key)) => self.bool_in(parent, key),
            None => leaf_bool(&self.tree, path),
        }
    }

    /// Whether there is a map at `path`.
    pub fn has_table(&self, path: &str) -> bool {
        self.table(path).is_some()
    }

    pub fn into_values(self) -> Values {
        values_from(self.tree)
    }
}

fn leaf_bool(tree: &Tree<'_>, key: &str) -> Option<bool> {
    match get(tree, key) {
        Some(Node::Leaf(v)) => v.as_bool(),
        _ => None,
    }
}

/// Helm's `coalesceTablesFullKey`: `src` under `dst`, which wins. A `null` in `dst` deletes a
/// non-null default when coalescing, and is kept otherwise.
fn coalesce_tables<'a>(
    dst: &Tree<'a>,
    src: &Tree<'a>,
    merge: bool,
    prefix: &str,
    log: &mut Vec<String>,
) {
    if Rc::ptr_eq(dst, src) {
        return;
    }
    // Helm marks the keys `dst` nulls in `src` too (it changes `src`, which may be shared);
    // those `src` held a non-null value for are the defaults a `null` deletes.
    let nulls: Vec<String> = map(dst)
        .iter()
        .filter(|(_, v)| v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    // A set: a hostile values file can null a great many keys, each looked up below.
    let mut non_null_defaults = BTreeSet::new();
    for key in nulls {
        let replaced = map_mut(src).insert(key.clone(), null());
        if replaced.is_some_and(|old| !old.is_null()) {
            non_null_defaults.insert(key);
        }
    }
    for (key, val) in entries(src) {
        match get(dst, &key) {
            Some(d) if d.is_null() && !merge && non_null_defaults.contains(&key) => {
                map_mut(dst).remove(&key);
            }
            None => {
                map_mut(dst).insert(key, val);
            }
            Some(Node::Map(d)) => match &val {
                Node::Map(s) => coalesce_tables(&d, s, merge, &dotted(prefix, &key), log),
                Node::Leaf(v) if v.is_null() => {}
                Node::Leaf(_) => log.push(format!(
                    "warning: destination for {} is a table. Ignoring non-table value ({})",
                    dotted(prefix, &key),
                    go_v(&val)
                )),
            },
            Some(Node::Leaf(_)) if matches!(val, Node::Map(_)) => log.push(format!(
                "warning: cannot overwrite table with non table for {} ({})",
                dotted(prefix, &key),
                go_v(&val)
            )),
            Some(Node::Leaf(_)) => {}
        }
    }
}

/// Removes `null` map entries at every depth, in place (list items untouched).
fn remove_nulls(tree: &Tree<'_>) {
    let children: Vec<Tree> = match &mut *tree.borrow_mut() {
        // Left to the copy (see `Table::built`).
        Table::Defaults { no_nulls, .. } | Table::Owned { no_nulls, .. } => {
            *no_nulls = true;
            return;
        }
        Table::Built(map) => {
            map.retain(|_, v| !v.is_null());
            map.values()
                .filter_map(|v| match v {
                    Node::Map(m) => Some(m.clone()),
                    Node::Leaf(_) => None,
                })
                .collect()
        }
    };
    for child in &children {
        remove_nulls(child);
    }
}

/// Helm's `MergeTables`: `src` under `dst`, nulls kept; Helm's messages go to `log`.
pub fn merge_tables(dst: &mut Values, src: Values, log: &mut Vec<String>) {
    // Nothing to merge changes nothing and says nothing (every chart without import-values
    // merges an empty map into its whole values).
    if src.is_empty() {
        return;
    }
    let d = tree_from_owned(std::mem::take(dst));
    coalesce_tables(&d, &tree_from_owned(src), true, "", log);
    *dst = values_from(d);
}

/// Go's `fmt.Sprintf("%v", x)` for a value as Helm holds it (maps by key, as `fmt` sorts them).
fn go_v(node: &Node) -> String {
    fn value(v: &Value, out: &mut String) {
        match v {
            Value::Null => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) if !n.is_f64() => out.push_str(&i.to_string()),
                (_, Some(f)) => out.push_str(&format_g(f, false)),
                _ => out.push_str(&n.to_string()),
            },
            Value::String(s) => out.push_str(s),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    value(item, out);
                }
                out.push(']');
            }
            Value::Object(m) => entries(m.iter().map(|(k, v)| (k.as_str(), v)), out),
        }
    }
    fn entries<'a>(items: impl Iterator<Item = (&'a str, &'a Value)>, out: &mut String) {
        out.push_str("map[");
        for (i, (k, v)) in items.enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(k);
            out.push(':');
            value(v, out);
        }
        out.push(']');
    }
    let mut out = String::new();
    match node {
        Node::Leaf(v) => value(v, &mut out),
        Node::Map(_) => value(&node.clone().into_value(), &mut out),
    }
    out
}

/// Helm's `Values.Table`: the map at a dotted path.
pub fn table<'a>(values: &'a Values, path: &str) -> Option<&'a Values> {
    path.split('.').try_fold(values, |t, key| match t.get(key) {
        Some(Value::Object(m)) => Some(m),
        _ => None,
    })
}
