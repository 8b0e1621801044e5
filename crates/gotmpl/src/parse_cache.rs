//! Template files parsed once per scope: a static check renders one chart several times (the
//! release, again with another seed to find generated values, as the upgrade of itself), each
//! render a new [`Engine`](crate::Engine) that would parse every file of the chart again.
//! Within [`with_parse_cache`], [`Engine::add_template`](crate::Engine::add_template) reuses
//! the trees an earlier engine on the same thread parsed from the same name and text.
//! Parsed trees are `Rc`s, so the cache is per thread; it lives as long as the scope, and holds
//! only files of the renders made in it (a chart's files, which its loading budgets).

use std::cell::RefCell;
use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::parse::Tree;

/// What a file parsed to: its main tree, then its `define`s in order.
pub(crate) type Trees = Rc<[Rc<Tree>]>;

/// Parsed files by text, then by name and the number of functions the engine knew (parsing
/// refuses unknown ones). Keyed by text first so that a lookup borrows the text instead of
/// copying it: a file's text is copied only when its trees are first kept.
type Cache = FxHashMap<String, Vec<(String, usize, Trees)>>;

thread_local! {
    static CACHE: RefCell<Option<Cache>> = const { RefCell::new(None) };
    /// Files parsed ahead ([`crate::Engine::parse_ahead`]) before their names were known, by
    /// text, then number of functions; each is taken, and named, by the first `add_template`
    /// of its text.
    static AHEAD: RefCell<FxHashMap<String, Vec<(usize, Trees)>>> = RefCell::default();
}

/// Keeps the trees of `text`, parsed ahead under a provisional name, for
/// [`parsed`] to take.
pub(crate) fn keep_ahead(text: &str, funcs: usize, trees: Trees) {
    AHEAD.with(|a| {
        let mut a = a.borrow_mut();
        let kept = a.entry(text.to_string()).or_default();
        match kept.iter_mut().find(|(f, _)| *f == funcs) {
            Some(old) => old.1 = trees,
            None => kept.push((funcs, trees)),
        }
    });
}

/// Forgets every file parsed ahead on this thread.
pub fn clear_parsed_ahead() {
    AHEAD.with(|a| a.borrow_mut().clear());
}

/// The trees parsed ahead from `text`, renamed as file `name`; `None` when there are none, or
/// when they are shared already (never, as kept: then they are parsed again).
fn take_ahead(name: &str, text: &str, funcs: usize) -> Option<Trees> {
    let mut trees = AHEAD.with(|a| {
        let mut a = a.borrow_mut();
        let kept = a.get_mut(text)?;
        let at = kept.iter().position(|(f, _)| *f == funcs)?;
        let (_, trees) = kept.swap_remove(at);
        if kept.is_empty() {
            a.remove(text);
        }
        Some(trees)
    })?;
    let file: std::sync::Arc<str> = std::sync::Arc::from(name);
    let all = Rc::get_mut(&mut trees)?;
    for (i, tree) in all.iter_mut().enumerate() {
        let tree = Rc::get_mut(tree)?;
        if i == 0 {
            tree.name = name.to_string();
        }
        tree.parse_name = file.clone();
    }
    Some(trees)
}

/// Runs `f` with template files parsed at most once on this thread (see the module's doc).
pub fn with_parse_cache<T>(f: impl FnOnce() -> T) -> T {
    let outer = CACHE.with(|c| c.borrow_mut().replace(FxHashMap::default()));
    // Restored on unwind too, so a panic in `f` leaves no cache behind on a reused thread.
    struct Restore(Option<Option<Cache>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(outer) = self.0.take() {
                CACHE.with(|c| *c.borrow_mut() = outer);
            }
        }
    }
    let _restore = Restore(Some(outer));
    f()
}

/// The trees of `text` as `name`: from the cache in a [`with_parse_cache`] scope, else parsed
/// by `parse` (and kept, in a scope, when it succeeds).
pub(crate) fn parsed<E>(
    name: &str,
    text: &str,
    funcs: usize,
    parse: impl FnOnce() -> Result<Trees, E>,
) -> Result<Trees, E> {
    let hit = CACHE.with(|c| {
        c.borrow().as_ref().map(|m| {
            m.get(text).and_then(|kept| {
                kept.iter()
                    .find(|(n, f, _)| n == name && *f == funcs)
                    .map(|(_, _, trees)| trees.clone())
            })
        })
    });
    let parse = || match take_ahead(name, text, funcs) {
        Some(trees) => Ok(trees),
        None => parse(),
    };
    match hit {
        None => parse(),
        Some(Some(trees)) => Ok(trees),
        Some(None) => {
            let trees = parse()?;
            CACHE.with(|c| {
                if let Some(m) = c.borrow_mut().as_mut() {
                    let kept = (name.to_string(), funcs, trees.clone());
                    match m.get_mut(text) {
                        Some(same_text) => same_text.push(kept),
                        None => {
                            m.insert(text.to_string(), vec![kept]);
                        }
                    }
                }
            });
            Ok(trees)
        }
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn a_file_parsed_ahead_is_taken_under_the_name_it_is_added_as() {
        let ahead = Engine::new();
        ahead.parse_ahead("provisional", TEXT);
        ahead.parse_ahead("broken", "{{ .x ");
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
