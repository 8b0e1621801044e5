//! `.helmignore` rules with Helm's exact semantics (`pkg/ignore`), which are not git's:
//! patterns are Go `filepath.Match` globs (no `**`); a pattern without `/` matches the base name,
//! one with `/` the whole path, a leading `/` anchors it; a trailing `/` matches directories only.
//! A negated pattern `!p` ignores every path that does *not* match `p`: Helm's rule, so a lone
//! `!keep.txt` ignores the whole chart, Chart.yaml included.

/// One pattern of a `.helmignore` file.
#[derive(Debug, Clone)]
struct Pattern {
    /// The glob as characters, split once here rather than on every path it is matched against.
    glob: Vec<char>,
    /// What every name it matches starts and ends with: its literal text before the first and
    /// after the last special character (all of it when there is none, and then a name matches
    /// only if equal). Most paths fail these tests, without the glob's character match.
    prefix: String,
    suffix: String,
    literal: bool,
    negate: bool,
    dir_only: bool,
    scope: Scope,
}

#[derive(Debug, Clone, Copy)]
enum Scope {
    /// No `/` in the pattern: match the base name.
    BaseName,
    /// A `/` inside: match the path from the chart root.
    Path,
}

#[derive(Debug, Clone, Default)]
pub struct Rules {
    patterns: Vec<Pattern>,
}

impl Rules {
    /// Parses a `.helmignore` text; the error names the 1-based line.
    pub fn parse(text: &str) -> Result<Rules, (usize, String)> {
        let mut rules = Rules::default();
        for (i, line) in text.lines().enumerate() {
            rules.add(line).map_err(|e| (i + 1, e))?;
        }
        Ok(rules)
    }

    /// The rule Helm always adds when loading a directory: dot files under `templates/`.
    pub fn with_defaults(mut self) -> Rules {
        // A constant pattern that always parses.
        let _ = self.add("templates/.?*");
        self
    }

    fn add(&mut self, line: &str) -> Result<(), String> {
        let rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        check_glob(rule)?;
        let (negate, rule) = match rule.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, rule),
        };
        let (dir_only, rule) = match rule.strip_suffix('/') {
            Some(r) => (true, r),
            None => (false, rule),
        };
        let (scope, glob) = if let Some(anchored) = rule.strip_prefix('/') {
            (Scope::Path, anchored)
        } else if rule.contains('/') {
            (Scope::Path, rule)
        } else {
            (Scope::BaseName, rule)
        };
        const SPECIAL: [char; 5] = ['*', '?', '[', ']', '\\'];
        let head = glob.find(SPECIAL).unwrap_or(glob.len());
        let tail = glob.rfind(SPECIAL).map_or(0, |i| i + 1);
        self.patterns.push(Pattern {
            glob: glob.chars().collect(),
            prefix: glob[..head].to_string(),
            suffix: glob[tail..].to_string(),
            literal: head == glob.len(),
            negate,
            dir_only,
            scope,
        });
        Ok(())
    }

    /// Whether `path` (relative to the chart root, `/`-separated) is ignored.
    pub fn ignores(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        let base = path.rsplit('/').next().unwrap_or(path);
        // Split into characters once per path, and only for a pattern that may match.
        let chars = std::cell::OnceCell::new();
        let matches = |p: &Pattern| {
            let subject = match p.scope {
                Scope::BaseName => base,
                Scope::Path => path,
            };
            if p.literal {
                return subject == p.prefix;
            }
            if !subject.starts_with(&p.prefix) || !subject.ends_with(&p.suffix) {
                return false;
            }
            let (chars, base_at) = chars.get_or_init(|| {
                let chars: Vec<char> = path.chars().collect();
                let base_at = chars.iter().rposition(|&c| c == '/').map_or(0, |i| i + 1);
                (chars, base_at)
            });
            let subject = match p.scope {
                Scope::BaseName => &chars[*base_at..],
                Scope::Path => &chars[..],
            };
            match_from(&p.glob, subject)
        };
        for p in &self.patterns {
            if p.negate {
                if (p.dir_only && !is_dir) || !matches(p) {
                    return true;
                }
                continue;
            }
            if p.dir_only && !is_dir {
                continue;
            }
            if matches(p) {
                return true;
            }
        }
        false
    }
}

/// Refuses what Go's `filepath.Match` calls a bad pattern: an unclosed `[`, a dangling `\`.
fn check_glob(pattern: &str) -> Result<(), String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 == chars.len() => return Err(format!("bad pattern {pattern:?}")),
            '\\' => i += 2,
            '[' => match class_end(&chars, i + 1) {
                Some(end) => i = end + 1,
                None => return Err(format!("bad pattern {pattern:?}")),
            },
            _ => i += 1,
        }
    }
    Ok(())
}

/// Index of the `]` closing a class that starts at `start` (after `[`).
fn class_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start;
    if chars.get(i) == Some(&'^') {
        i += 1;
    }
    let first = i;
    while i < chars.len() {
        match chars[i] {
            ']' if i > first => return Some(i),
            '\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// Go's `filepath.Match` on `/`-separated paths: `*` and `?` never match `/`; a bad pattern
/// matches nothing. ([`Rules`] calls [`match_from`] on characters it splits once.)
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, &n)
}

/// Go's algorithm: the pattern is cut into chunks at each `*`; a chunk is matched at the
/// leftmost place it fits and never retried, except that the last one must end the name. So a
/// match costs at most (pattern length × name length), where trying every split at every `*`
/// is exponential in the number of stars.
fn match_from(pattern: &[char], name: &[char]) -> bool {
    let mut pattern = pattern;
    let mut name = name;
    while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing `*` matches the rest unless it holds a `/`.
            return !name.contains(&'/');
        }
        if let Some(left) = match_chunk(chunk, name)
            && (left.is_empty() || !pattern.is_empty())
        {
            name = left;
            continue;
        }
        if !star {
            return false;
        }
        let skipped = (0..name.len())
            .take_while(|&i| name[i] != '/')
            .filter_map(|i| match_chunk(chunk, &name[i + 1..]))
            .find(|left| !pattern.is_empty() || left.is_empty());
        match skipped {
            Some(left) => name = left,
            None => return false,
        }
    }
    name.is_empty()
}

/// The leading stars of `pattern` (whether there were any), the chunk up to the next `*` outside
/// a class, and the rest.
fn scan_chunk(pattern: &[char]) -> (bool, &[char], &[char]) {
    let stars = pattern.iter().take_while(|&&c| c == '*').count();
    let pattern = &pattern[stars..];
    let mut in_class = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            '\\' => i += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '*' if !in_class => break,
            _ => {}
        }
        i += 1;
    }
    let i = i.min(pattern.len());
    (stars > 0, &pattern[..i], &pattern[i..])
}

/// Matches a chunk (no `*`) at the start of `name`; what is left of the name after it.
fn match_chunk<'n>(chunk: &[char], name: &'n [char]) -> Option<&'n [char]> {
    let mut chunk = chunk;
    let mut name = name;
    while let Some(&p) = chunk.first() {
        let (&c, rest) = name.split_first()?;
        let width = match p {
            '[' => {
                let end = class_end(chunk, 1)?;
                (c != '/' && class_matches(&chunk[1..end], c)).then_some(end + 1)?
            }
            '?' => (c != '/').then_some(1)?,
            '\\' => (chunk.get(1) == Some(&c)).then_some(2)?,
            p => (p == c).then_some(1)?,
        };
        chunk = &chunk[width..];
        name = rest;
    }
    Some(name)
}

fn class_matches(class: &[char], c: char) -> bool {
    let (negated, class) = match class.split_first() {
        Some(('^', rest)) => (true, rest),
        _ => (false, class),
    };
    let mut i = 0;
    let mut hit = false;
    let unescape = |i: &mut usize| -> char {
        if class[*i] == '\\' && *i + 1 < class.len() {
            *i += 1;
        }
        let ch = class[*i];
        *i += 1;
        ch
    };
    while i < class.len() {
        let lo = unescape(&mut i);
        let hi = if i + 1 < class.len() && class[i] == '-' {
            i += 1;
            unescape(&mut i)
        } else {
            lo
        };
        if lo <= c && c <= hi {
            hit = true;
        }
    }
    hit != negated
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Rules {
        Rules::parse(text).unwrap_or_else(|(line, e)| panic!("line {line}: {e}"))
    }

    #[test]
    fn globs_follow_go_filepath_match() {
        assert!(glob_match("*.md", "README.md"));
        assert!(!glob_match("*.md", "docs/README.md"));
        assert!(glob_match("docs/*.md", "docs/README.md"));
        assert!(glob_match("[a-c]?.txt", "b1.txt"));
        assert!(!glob_match("[^a-c]?.txt", "b1.txt"));
        assert!(glob_match(r"\*x", "*x"));
    }

    #[test]
    fn base_name_path_and_anchored_rules() {
        let r = rules("# comment\n*.md\nci/\n/top.txt\nsecret/*.key\n").with_defaults();
        assert!(r.ignores("README.md", false));
        assert!(r.ignores("charts/sub/README.md", false));
        assert!(r.ignores("ci", true));
        assert!(!r.ignores("ci", false));
        assert!(r.ignores("top.txt", false));
        assert!(!r.ignores("sub/top.txt", false));
        assert!(r.ignores("secret/a.key", false));
        assert!(r.ignores("templates/.hidden.yaml", false));
        assert!(!r.ignores("templates/a.yaml", false));
        assert!(!r.ignores("Chart.yaml", false));
    }

    #[test]
    fn negation_ignores_everything_else() {
        // Helm's rule (checked with the real engine: the chart then has no Chart.yaml).
        let r = rules("!keep.txt\n");
        assert!(r.ignores("Chart.yaml", false));
        assert!(!r.ignores("keep.txt", false));
    }

    #[test]
    fn star_chunks_match_leftmost_and_the_last_one_ends_the_name() {
        assert!(glob_match("*a*b", "xaxxb"));
        assert!(glob_match("a*b*c", "abxbc"));
        assert!(glob_match("*.tar.gz", "x.tar.tar.gz"));
        assert!(!glob_match("*b", "ab/b"));
        assert!(glob_match("a*", "abc"));
        assert!(!glob_match("a*", "ab/c"));
        assert!(glob_match("[*]x*", "*xy"));
    }

    #[test]
    fn many_stars_against_a_long_name_cost_no_more_than_their_product() {
        // Twenty stars against a 4,000-character name that almost matches: trying every split
        // at every star would never finish.
        let pattern = format!("{}b", "*a".repeat(20));
        let name = "a".repeat(4000);
        assert!(!glob_match(&pattern, &name));
        assert!(glob_match(&pattern, &format!("{name}b")));
    }

    #[test]
    fn rules_match_as_the_glob_does_whatever_their_literal_ends() {
        let patterns = [
            "*.swp",
            ".DS_Store",
            "*~",
            "a?b",
            "[ab]x.txt",
            "x[ab]",
            r"\*x",
            r"x\*",
            "a*a",
            "*.tar.gz",
            "é*ü",
            "[^é]*",
            "dir/*.md",
            "/top",
            "a]b",
            "*",
        ];
        let names = [
            "a",
            "aa",
            "a.swp",
            "x.swp.bak",
            ".DS_Store",
            "b~",
            "acb",
            "ab",
            "bx.txt",
            "xa",
            "xc",
            "*x",
            "x*",
            "é.ü",
            "ü",
            "dir/r.md",
            "sub/dir/r.md",
            "top",
            "sub/top",
            "a]b",
            "x.tar.gz",
            "d/a.swp",
            "d/.DS_Store",
        ];
        for pattern in patterns {
            let rules = rules(pattern);
            let glob = pattern.trim_start_matches('/');
            for name in names {
                let subject = if pattern.contains('/') {
                    name
                } else {
                    name.rsplit('/').next().unwrap()
                };
                assert_eq!(
                    rules.ignores(name, false),
                    glob_match(glob, subject),
                    "{pattern} {name}"
                );
            }
        }
    }

    #[test]
    fn bad_patterns_are_refused_with_their_line() {
        assert_eq!(Rules::parse("ok\nfoo/**/bar\n").err().map(|e| e.0), Some(2));
        assert!(Rules::parse("[abc\n").is_err());
    }
}
