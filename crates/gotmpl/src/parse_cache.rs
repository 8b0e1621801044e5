//! Template files parsed once per scope: a static check renders one chart several times (the
//! release, again with another seed to find generated values, as the upgrade of itself), each
//! render a new [`Engine`](crate::Engine) that would parse every file of the chart again.
//! Within [`with_parse_cache`], [`Engine::add_template`](crate::Engine::add_template) reuses
//! the trees an earlier engine on the same thread parsed from the same text, renamed when the
//! file's name differs (a library chart vendored under several parents): a tree depends on
//! the text alone, but for the names it carries. [`with_parses_kept`] passes the trees of some
//! files on from one scope to the next on a thread.
//! Parsed trees are `Rc`s, so the cache is per thread; it lives as long as the scope, and holds
//! only files of the renders made in it (a chart's files, which its loading budgets), and the
//! kept files, within the budget given for them.

use std::cell::RefCell;
use std::hash::Hasher;
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHasher};

use crate::parse::{Parsed, Tree};

/// What a file parsed to: its main tree, then its `define`s in order.
pub(crate) type Trees = Rc<[Rc<Tree>]>;

/// The trees of a parsed file, as they execute on this thread.
pub(crate) fn trees(parsed: Parsed) -> Trees {
    let (main, defines) = parsed.into_trees();
    std::iter::once(main).chain(defines).map(Rc::new).collect()
}

/// Parsed files by a hash of their text, then by name and the number of functions the engine
/// knew (parsing refuses unknown ones). The text itself is the trees' `src`: a lookup compares
/// it, and nothing copies it.
type Cache = FxHashMap<u64, Vec<(String, usize, Trees)>>;

/// Files parsed ahead, by a hash of their text (the text a tree holds, which a lookup
/// compares), then by the number of functions the engine knew. Keyed by the hash, not the
/// text: each text is hashed once when kept and once when taken (with the hash [`parsed`]
/// takes anyway), never again as the table grows.
type Ahead = FxHashMap<u64, Vec<(usize, Parsed)>>;

/// Files kept across [`with_parse_cache`] scopes ([`with_parses_kept`]).
struct Kept {
    /// Which files, by name.
    keep: fn(&str) -> bool,
    /// Bytes of text that may still be kept.
    room: usize,
    files: Cache,
}

thread_local! {
    static CACHE: RefCell<Option<Cache>> = const { RefCell::new(None) };
    static KEPT: RefCell<Option<Kept>> = const { RefCell::new(None) };
    /// Files parsed ahead ([`crate::Engine::parse_ahead`]) before their names were known, by
    /// text, then number of functions; each is taken, and named, by the first `add_template`
    /// of its text. The text is the one the trees hold (the caller's `Arc`): a chart's
    /// templates are not copied again to be found.
    static AHEAD: RefCell<Ahead> = RefCell::default();
}

/// Keeps the trees of `text`, parsed ahead under a provisional name, for
/// [`parsed`] to take.
pub(crate) fn keep_ahead(text: &str, funcs: usize, trees: Parsed) {
    let hash = text_hash(text);
    AHEAD.with(|a| {
        let mut a = a.borrow_mut();
        let kept = a.entry(hash).or_default();
        match kept
            .iter_mut()
            .find(|(f, p)| *f == funcs && **p.main.src == *text)
        {
            Some(old) => old.1 = trees,
            None => kept.push((funcs, trees)),
        }
    });
}

/// Forgets every file parsed ahead on this thread.
pub fn clear_parsed_ahead() {
    AHEAD.with(|a| a.borrow_mut().clear());
}

/// The trees parsed ahead from `text` (of hash `hash`), renamed as file `name`; `None` when
/// there are none.
fn take_ahead(name: &str, text: &str, hash: u64, funcs: usize) -> Option<Trees> {
    let mut parsed = AHEAD.with(|a| {
        let mut a = a.borrow_mut();
        let kept = a.get_mut(&hash)?;
        let at = kept
            .iter()
            .position(|(f, p)| *f == funcs && **p.main.src == *text)?;
        let (_, parsed) = kept.swap_remove(at);
        if kept.is_empty() {
            a.remove(&hash);
        }
        Some(parsed)
    })?;
    parsed.rename(name);
    Some(trees(parsed))
}

/// Runs `f` with template files parsed at most once on this thread (see the module's doc).
pub fn with_parse_cache<T>(f: impl FnOnce() -> T) -> T {
    with_replaced(&CACHE, Some(FxHashMap::default()), f)
}

/// Runs `f` with the trees of the files `keep` selects by name passed on from each
/// [`with_parse_cache`] scope in it to the later ones on this thread, until `budget` bytes of
/// their text are kept: files that recur across otherwise different renders (a library chart
/// vendored by many charts) are parsed once.
pub fn with_parses_kept<T>(keep: fn(&str) -> bool, budget: usize, f: impl FnOnce() -> T) -> T {
    let kept = Kept {
        keep,
        room: budget,
        files: FxHashMap::default(),
    };
    with_replaced(&KEPT, Some(kept), f)
}

/// Runs `f` with `slot` holding `value`, then restores what it held, on unwind too (so that a
/// panic in `f` leaves nothing behind on a reused thread).
fn with_replaced<S: 'static, T>(
    slot: &'static std::thread::LocalKey<RefCell<Option<S>>>,
    value: Option<S>,
    f: impl FnOnce() -> T,
) -> T {
    struct Restore<S: 'static> {
        slot: &'static std::thread::LocalKey<RefCell<Option<S>>>,
        outer: Option<Option<S>>,
    }
    impl<S: 'static> Drop for Restore<S> {
        fn drop(&mut self) {
            if let Some(outer) = self.outer.take() {
                self.slot.with(|c| *c.borrow_mut() = outer);
            }
        }
    }
    let outer = slot.with(|c| c.replace(value));
    let _restore = Restore {
        slot,
        outer: Some(outer),
    };
    f()
}

fn text_hash(text: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(text.as_bytes());
    h.finish()
}

/// The trees of `text` in `cache`: as file `name` if kept so (`Ok`), else as another file
/// (`Err`, to rename), for an engine with `funcs` functions.
fn find(
    cache: &Cache,
    hash: u64,
    name: &str,
    text: &str,
    funcs: usize,
) -> Option<Result<Trees, Trees>> {
    let same_text = cache.get(&hash)?;
    let mut other = None;
    for (n, f, trees) in same_text {
        if *f != funcs || trees.first().is_none_or(|t| **t.src != *text) {
            continue;
        }
        if n == name {
            return Some(Ok(trees.clone()));
        }
        other.get_or_insert_with(|| trees.clone());
    }
    other.map(Err)
}

/// `trees` as parsed from file `name`: the main tree takes the file's name.
fn renamed(trees: &Trees, name: &str) -> Trees {
    let file: Arc<str> = Arc::from(name);
    trees
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let tree_name = if i == 0 {
                name.to_string()
            } else {
                t.name.clone()
            };
            Rc::new(t.renamed(tree_name, file.clone()))
        })
        .collect()
}

fn insert(cache: &mut Cache, hash: u64, name: &str, funcs: usize, trees: &Trees) {
    cache
        .entry(hash)
        .or_default()
        .push((name.to_string(), funcs, trees.clone()));
}

/// The trees of `text` as `name`: from the cache in a [`with_parse_cache`] scope or from the
/// kept files (renamed if they were parsed as another file), else parsed by `parse` (and kept,
/// in a scope, when it succeeds).
pub(crate) fn parsed<E>(
    name: &str,
    text: &str,
    funcs: usize,
    parse: impl FnOnce() -> Result<Trees, E>,
) -> Result<Trees, E> {
    let hash = text_hash(text);
    let in_scope = CACHE.with(|c| {
        c.borrow()
            .as_ref()
            .map(|m| find(m, hash, name, text, funcs))
    });
    let found = match in_scope {
        Some(Some(Ok(trees))) => return Ok(trees),
        Some(Some(Err(other))) => Some(other),
        _ => KEPT.with(|k| {
            let k = k.borrow();
            match find(&k.as_ref()?.files, hash, name, text, funcs)? {
                Ok(trees) | Err(trees) => Some(trees),
            }
        }),
    };
    let fresh = found.is_none();
    let trees = match found {
        Some(other) if other.first().is_some_and(|t| *t.parse_name == *name) => other,
        Some(other) => renamed(&other, name),
        None => match take_ahead(name, text, hash, funcs) {
            Some(trees) => trees,
            None => parse()?,
        },
    };
    CACHE.with(|c| {
        if let Some(m) = c.borrow_mut().as_mut() {
            insert(m, hash, name, funcs, &trees);
        }
    });
    // One copy of a text is kept, under the name it was first parsed as.
    if fresh {
        KEPT.with(|k| {
            if let Some(k) = k.borrow_mut().as_mut()
                && (k.keep)(name)
                && k.room >= text.len()
            {
                k.room -= text.len();
                insert(&mut k.files, hash, name, funcs, &trees);
            }
        });
    }
    Ok(trees)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{Engine, Value, run_with_stack, with_parse_cache};

    const TEXT: &str = r#"{{ define "greet" }}hello {{ . }}{{ end }}{{ template "greet" .x }}"#;

    fn engine() -> Engine {
        let mut e = Engine::new();
        e.add_template("t", TEXT).unwrap();
        e
    }

    fn shares_trees(a: &Engine, b: &Engine) -> bool {
        ["t", "greet"]
            .iter()
            .all(|n| std::rc::Rc::ptr_eq(&a.templates[*n], &b.templates[*n]))
    }

    #[test]
    fn engines_in_a_scope_share_the_trees_of_one_file_and_render_alike() {
        let x = Value::map([("x".to_string(), Value::str("you"))].into());
        let (a, b) = with_parse_cache(|| (engine(), engine()));
        assert!(shares_trees(&a, &b));
        assert_eq!(a.execute("t", x.clone()).unwrap(), "hello you");
        assert_eq!(b.execute("t", x).unwrap(), "hello you");
        // Outside a scope, and with another text under the same name, nothing is shared.
        assert!(!shares_trees(&engine(), &engine()));
        with_parse_cache(|| {
            let mut other = Engine::new();
            other.add_template("t", "{{ .x }}").unwrap();
            assert_eq!(other.execute("t", Value::Nil).unwrap(), "<no value>");
            assert!(!other.has_template("greet"));
        });
    }

    /// A template that fails at run time, so that the error names its file and line.
    const FAILS: &str = "{{ define \"fail\" }}\n{{ index .x 1 }}{{ end }}{{ template \"fail\" . }}";

    fn failing(file: &str) -> Engine {
        let mut e = Engine::new();
        e.add_template(file, FAILS).unwrap();
        e
    }

    fn error_of(e: &Engine, file: &str) -> String {
        e.execute(file, Value::Nil).unwrap_err().to_string()
    }

    #[test]
    fn the_same_text_as_another_file_shares_its_nodes_under_its_own_names() {
        let (a, b) = with_parse_cache(|| (failing("one/c.tpl"), failing("two/c.tpl")));
        assert!(Arc::ptr_eq(
            &a.templates["fail"].root,
            &b.templates["fail"].root
        ));
        assert!(Arc::ptr_eq(
            &a.templates["one/c.tpl"].root,
            &b.templates["two/c.tpl"].root
        ));
        assert!(!b.has_template("one/c.tpl"));
        assert_eq!(&*b.templates["fail"].parse_name, "two/c.tpl");
        // Errors name each engine's own file, as when parsed alone.
        let alone = error_of(&failing("two/c.tpl"), "two/c.tpl");
        assert!(alone.contains("two/c.tpl:2:"), "{alone}");
        assert_eq!(error_of(&b, "two/c.tpl"), alone);
        assert_eq!(
            error_of(&a, "one/c.tpl"),
            alone.replace("two/c.tpl", "one/c.tpl")
        );
    }

    #[test]
    fn kept_files_pass_from_scope_to_scope_within_their_budget() {
        fn in_lib(name: &str) -> bool {
            name.starts_with("lib/")
        }
        let root = |e: &Engine, n: &str| e.templates[n].root.clone();
        let budget = 2 * FAILS.len();
        super::with_parses_kept(in_lib, budget, || {
            let first = with_parse_cache(|| [failing("lib/a"), failing("app/a"), engine()]);
            let later = with_parse_cache(|| [failing("lib/b"), failing("app/b"), engine()]);
            // Kept: the library file, under another name too; not kept: the others.
            assert!(Arc::ptr_eq(
                &root(&first[0], "lib/a"),
                &root(&later[0], "lib/b")
            ));
            assert!(Arc::ptr_eq(
                &root(&first[0], "lib/a"),
                &root(&later[1], "app/b")
            ));
            assert!(!Arc::ptr_eq(&root(&first[2], "t"), &root(&later[2], "t")));
            assert_eq!(
                error_of(&later[1], "app/b"),
                error_of(&failing("app/b"), "app/b")
            );
            // A file over the budget left is parsed in each scope.
            let big = format!("{TEXT}{}", " ".repeat(budget));
            let parse = || {
                with_parse_cache(|| {
                    let mut e = Engine::new();
                    e.add_template("lib/big", &big).unwrap();
                    root(&e, "lib/big")
                })
            };
            assert!(!Arc::ptr_eq(&parse(), &parse()));
        });
        // Outside, nothing is kept.
        let once = with_parse_cache(|| failing("lib/a"));
        let again = with_parse_cache(|| failing("lib/a"));
        assert!(!Arc::ptr_eq(&root(&once, "lib/a"), &root(&again, "lib/a")));
    }

    #[test]
    fn a_file_parsed_ahead_is_taken_under_the_name_it_is_added_as() {
        let ahead = Engine::new();
        let text: Arc<str> = TEXT.into();
        ahead.parse_ahead("provisional", &text);
        ahead.parse_ahead("broken", &"{{ .x ".into());
        // Found by the text the trees hold, not by a copy of it.
        super::AHEAD.with(|a| {
            let kept = &a.borrow()[&super::text_hash(TEXT)];
            assert!(Arc::ptr_eq(&text, &kept[0].1.main.src));
        });
        let mut e = Engine::new();
        e.add_template("t", TEXT).unwrap();
        assert!(!e.has_template("provisional"));
        assert_eq!(&*e.templates["t"].parse_name, "t");
        assert_eq!(&*e.templates["greet"].parse_name, "t");
        let x = Value::map([("x".to_string(), Value::str("you"))].into());
        assert_eq!(e.execute("t", x).unwrap(), "hello you");
        // Taken once: a second engine parses the text itself.
        let mut again = Engine::new();
        again.add_template("u", TEXT).unwrap();
        assert!(!std::rc::Rc::ptr_eq(
            &e.templates["greet"],
            &again.templates["greet"]
        ));
        // A text that does not parse fails when added, under the name it is added as.
        let err = Engine::new().add_template("real", "{{ .x ").unwrap_err();
        assert!(err.to_string().contains("real"), "{err}");
        crate::clear_parsed_ahead();
    }

    #[test]
    fn a_run_with_stack_inside_another_runs_in_place() {
        let outer = run_with_stack(8 << 20, |size| {
            let here = std::thread::current().id();
            let inner = run_with_stack(4 << 20, |inner| (inner, std::thread::current().id()));
            (size, here, inner.unwrap())
        })
        .unwrap();
        assert_eq!(outer.0, 8 << 20);
        assert_eq!(outer.2, (8 << 20, outer.1));
        let bigger = run_with_stack(8 << 20, |_| {
            let here = std::thread::current().id();
            run_with_stack(16 << 20, |size| (size, std::thread::current().id() != here)).unwrap()
        })
        .unwrap();
        assert_eq!(bigger, (16 << 20, true));
    }
}
