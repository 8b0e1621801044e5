//! Sprig's path functions (Go's `path` package; the `os…` variants are the same on Unix).

use super::args::{add, s};
use gotmpl::Engine;
use gotmpl::Param;
use gotmpl::value::Value;

pub(super) fn register(e: &mut Engine) {
    type Path = fn(&[Value]) -> gotmpl::FuncResult;
    let base: Path = |a| Ok(Value::string(base(s(a, 0))));
    let dir: Path = |a| Ok(Value::string(dir(s(a, 0))));
    let ext: Path = |a| Ok(Value::string(ext(s(a, 0))));
    let clean: Path = |a| Ok(Value::string(clean(s(a, 0))));
    for (name, f) in [
        ("base", base),
        ("osBase", base),
        ("dir", dir),
        ("osDir", dir),
        ("ext", ext),
        ("osExt", ext),
        ("clean", clean),
        ("osClean", clean),
    ] {
        add(e, name, &[Param::Str], None, f);
    }
    add(e, "isAbs", &[Param::Str], None, |a| {
        Ok(Value::Bool(s(a, 0).starts_with('/')))
    });
    add(e, "osIsAbs", &[Param::Str], None, |a| {
        Ok(Value::Bool(s(a, 0).starts_with('/')))
    });
}

/// Go's `path.Base`.
fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

/// Go's `path.Dir`.
fn dir(p: &str) -> String {
    let cut = p.rfind('/').map_or(0, |i| i + 1);
    clean(&p[..cut])
}

/// Go's `path.Ext`.
fn ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        match c {
            '/' => break,
            '.' => return p[i..].to_string(),
            _ => {}
        }
    }
    String::new()
}

/// Go's `path.Clean`: lexical simplification.
fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_semantics() {
        assert_eq!(base("a/b.txt"), "b.txt");
        assert_eq!(base("a/b/"), "b");
        assert_eq!(dir("a/b/c"), "a/b");
        assert_eq!(dir("c"), ".");
        assert_eq!(ext("a/b.tar.gz"), ".gz");
        assert_eq!(clean("a//b/../c/."), "a/c");
        assert_eq!(clean("/../a"), "/a");
    }
}
