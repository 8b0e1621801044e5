//! Glob patterns as gobwas/glob compiles them with `/` as separator (Helm's `.Files.Glob`):
//! `*` stays within a path segment, `**` crosses segments, `?`, `[a-z]`, `[!x]`, `{a,b}`, `\`.

#[derive(Debug, Clone)]
enum Tok {
    Lit(char),
    Star,
    Super,
    Single,
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
    Alt(Vec<Vec<Tok>>),
}

#[derive(Debug, Clone)]
pub struct Glob {
    toks: Vec<Tok>,
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Glob, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        let toks = parse_seq(&chars, &mut i, false)?;
        if i < chars.len() {
            return Err(format!("unexpected {} in glob", chars[i]));
        }
        Ok(Glob { toks })
    }

    pub fn matches(&self, s: &str) -> bool {
        let chars: Vec<char> = s.chars().collect();
        match_seq(&self.toks, &chars)
    }
}

fn parse_seq(c: &[char], i: &mut usize, in_alt: bool) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    while *i < c.len() {
        let ch = c[*i];
        match ch {
            ',' | '}' if in_alt => break,
            '*' => {
                if c.get(*i + 1) == Some(&'*') {
                    *i += 2;
                    out.push(Tok::Super);
                } else {
                    *i += 1;
                    out.push(Tok::Star);
                }
            }
            '?' => {
                *i += 1;
                out.push(Tok::Single);
            }
            '\\' => {
                let next = *c.get(*i + 1).ok_or("unexpected end of glob after escape")?;
                out.push(Tok::Lit(next));
                *i += 2;
            }
            '[' => {
                *i += 1;
                let negated = c.get(*i) == Some(&'!');
                if negated {
                    *i += 1;
                }
                let mut ranges = Vec::new();
                while *i < c.len() && c[*i] != ']' {
                    let lo = c[*i];
                    if c.get(*i + 1) == Some(&'-') && c.get(*i + 2).is_some_and(|&h| h != ']') {
                        ranges.push((lo, c[*i + 2]));
                        *i += 3;
                    } else {
                        ranges.push((lo, lo));
                        *i += 1;
                    }
                }
                if *i >= c.len() {
                    return Err("unexpected end of glob: unclosed [".into());
                }
                *i += 1;
                out.push(Tok::Class { ranges, negated });
            }
            '{' => {
                *i += 1;
                let mut alts = Vec::new();
                loop {
                    alts.push(parse_seq(c, i, true)?);
                    match c.get(*i) {
                        Some(',') => *i += 1,
                        Some('}') => {
                            *i += 1;
                            break;
                        }
                        _ => return Err("unexpected end of glob: unclosed {".into()),
                    }
                }
                out.push(Tok::Alt(alts));
            }
            _ => {
                out.push(Tok::Lit(ch));
                *i += 1;
            }
        }
    }
    Ok(out)
}

fn match_seq(toks: &[Tok], s: &[char]) -> bool {
    let Some((first, rest)) = toks.split_first() else {
        return s.is_empty();
    };
    match first {
        Tok::Lit(c) => s.first() == Some(c) && match_seq(rest, &s[1..]),
        Tok::Single => s.first().is_some_and(|&c| c != '/') && match_seq(rest, &s[1..]),
        Tok::Class { ranges, negated } => {
            s.first().is_some_and(|&c| {
                let inside = ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
                inside != *negated && c != '/'
            }) && match_seq(rest, &s[1..])
        }
        Tok::Star => (0..=s.len())
            .take_while(|&n| n == 0 || s[n - 1] != '/')
            .any(|n| match_seq(rest, &s[n..])),
        Tok::Super => (0..=s.len()).any(|n| match_seq(rest, &s[n..])),
        Tok::Alt(alts) => alts.iter().any(|alt| {
            let mut joined = alt.clone();
            joined.extend_from_slice(rest);
            match_seq(&joined, s)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gobwas_semantics() {
        let m = |p: &str, s: &str| Glob::new(p).unwrap().matches(s);
        assert!(m("files/*.conf", "files/a.conf"));
        assert!(!m("files/*.conf", "files/x/a.conf"));
        assert!(m("**.json", "dir/sub/c.json"));
        assert!(m("files/*.{sh,sql}", "files/a.sql"));
        assert!(m("[a-c]?.txt", "bx.txt"));
        assert!(!m("[!a-c]?.txt", "bx.txt"));
    }
}
