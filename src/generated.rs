//! Values a render generated at random (`randAlphaNum`, `genCA`, `uuidv4`, and whatever is
//! derived from them). `check` renders with a fixed seed, so both revisions generate the same
//! values and they do not look like changes; those values are predictable by anyone, and must
//! never reach a report. They are found by rendering a second time with another seed: what
//! differs was generated. Only templates that drew random numbers are compared, and only they
//! are rendered again (with those that wrote into values other templates read, so that each
//! finds the values it found the first time).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use helm::engine::Rendered;
use source::SourceFile;

use crate::finding::Finding;

/// Shorter generated tokens are left alone: masking every occurrence of a 3-letter suffix
/// would garble a report, and a value that short is no secret.
const MIN_TOKEN: usize = 6;

/// The generated tokens of one chart's renders (its new and base revisions).
#[derive(Debug, Clone, Default)]
pub struct Generated {
    tokens: BTreeSet<String>,
}

impl Generated {
    /// The tokens of `first` that `second`, the same release rendered with another seed, does
    /// not have.
    pub fn between(
        first: &BTreeMap<String, Rendered>,
        second: &BTreeMap<String, Rendered>,
    ) -> Generated {
        let mut tokens = BTreeSet::new();
        for (path, one) in first.iter().filter(|(_, r)| r.random) {
            let other: BTreeSet<&str> = second
                .get(path)
                .map(|r| split_tokens(&r.text).collect())
                .unwrap_or_default();
            tokens.extend(
                split_tokens(&one.text)
                    .filter(|t| t.len() >= MIN_TOKEN && !other.contains(t))
                    .map(str::to_string),
            );
        }
        Generated { tokens }
    }

    /// Generated values given as they are, for tests.
    #[cfg(test)]
    pub fn of(tokens: &[&str]) -> Generated {
        Generated {
            tokens: tokens.iter().map(|t| t.to_string()).collect(),
        }
    }

    pub fn extend(&mut self, other: Generated) {
        self.tokens.extend(other.tokens);
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Whether `text` holds one of the generated values.
    pub fn touches(&self, text: &str) -> bool {
        !self.tokens.is_empty() && split_tokens(text).any(|t| self.tokens.contains(t))
    }

    /// Replaces every generated value in the findings' messages, help, diffs and quoted source
    /// lines with `*`, byte for byte (spans stay valid).
    pub fn mask(&self, findings: &mut [Finding]) {
        if self.tokens.is_empty() || findings.is_empty() {
            return;
        }
        // Longest first, so a token never leaves part of a longer one it overlaps. A
        // contiguous NFA: it scans a few findings once, where a DFA's construction (every
        // line of every generated certificate is a token) cost more than all the scanning.
        let Ok(matcher) = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&self.tokens)
        else {
            return;
        };
        // Each file searched once, however many findings point into it; `None`: nothing to mask.
        let mut masked_files: HashMap<*const SourceFile, Option<Arc<SourceFile>>> = HashMap::new();
        for finding in findings {
            finding.message = masked(&matcher, &finding.message);
            finding.help = finding.help.as_deref().map(|h| masked(&matcher, h));
            finding.diff = finding.diff.as_deref().map(|d| masked(&matcher, d));
            if let Some(location) = &mut finding.location {
                let file = &location.file;
                let masked_file = masked_files.entry(Arc::as_ptr(file)).or_insert_with(|| {
                    matcher
                        .is_match(&file.text)
                        .then(|| SourceFile::new(&*file.name, masked(&matcher, &file.text)))
                });
                if let Some(masked_file) = masked_file {
                    location.file = masked_file.clone();
                }
            }
        }
    }
}

fn masked(matcher: &AhoCorasick, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in matcher.find_iter(text) {
        out.push_str(&text[last..m.start()]);
        out.extend(std::iter::repeat_n('*', m.end() - m.start()));
        last = m.end();
    }
    out.push_str(&text[last..]);
    out
}

/// Words of rendered YAML (and the JSON, URLs and `key=value` lines inside it): what lies
/// between white space, quotes and punctuation no base64, hex or PEM text contains. An escape
/// (`\n` in a quoted PEM) separates words too, as the parsed value has a line break there.
fn split_tokens(text: &str) -> impl Iterator<Item = &str> {
    let mut escaped = false;
    text.split(move |c: char| {
        let separator = escaped
            || c == '\\'
            || c.is_whitespace()
            || matches!(
                c,
                '"' | '\'' | '`' | ',' | ':' | ';' | '{' | '}' | '[' | ']' | '(' | ')' | '<' | '>'
            );
        escaped = c == '\\' && !escaped;
        separator
    })
    .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;
    use crate::rules::find;

    fn rendered(text: &str, random: bool) -> Rendered {
        Rendered {
            text: text.to_string(),
            segments: Vec::new(),
            random,
            writes_shared: false,
            calls: Vec::new(),
            comments_only: false,
            release_bound: true,
        }
    }

    #[test]
    fn masks_what_another_seed_changes() {
        let path = "c/templates/secret.yaml".to_string();
        let first = BTreeMap::from([(
            path.clone(),
            rendered(
                "kind: Secret\ndata:\n  password: \"c2VjcmV0MQ==\"\n  short: ab1\n  url: https://u:Xy7Qa9Lm@db\n",
                true,
            ),
        )]);
        let second = BTreeMap::from([(
            path,
            rendered(
                "kind: Secret\ndata:\n  password: \"b3RoZXIy\"\n  short: cd2\n  url: https://u:Pq3Rs8Tn@db\n",
                true,
            ),
        )]);
        let generated = Generated::between(&first, &second);
        let tokens: Vec<&str> = generated.tokens.iter().map(String::as_str).collect();
        assert_eq!(tokens, ["Xy7Qa9Lm@db", "c2VjcmV0MQ=="]);

        let stream = SourceFile::new(
            "c (rendered)",
            first["c/templates/secret.yaml"].text.clone(),
        );
        let mut finding = Finding::new(
            find("api-removed").unwrap(),
            0,
            "password c2VjcmV0MQ== changed",
        );
        finding.diff = Some("- c2VjcmV0MQ==\n+ other".into());
        finding.location = Some(Location {
            file: stream.clone(),
            span: source::Span::default(),
            template: None,
        });
        let mut findings = [finding];
        generated.mask(&mut findings);
        let [finding] = findings;
        assert_eq!(finding.message, "password ************ changed");
        assert_eq!(finding.diff.as_deref(), Some("- ************\n+ other"));
        let file = finding.location.unwrap().file;
        assert_eq!(file.text.len(), stream.text.len());
        assert!(!file.text.contains("c2VjcmV0MQ==") && !file.text.contains("Xy7Qa9Lm"));
        assert!(file.text.contains("short: ab1"));
    }

    #[test]
    fn escapes_separate_words() {
        let words: Vec<&str> =
            split_tokens(r#"ca: "-----BEGIN X-----\nMIIBabc\\def\n-----END X""#).collect();
        assert_eq!(
            words,
            [
                "ca",
                "-----BEGIN",
                "X-----",
                "MIIBabc",
                "def",
                "-----END",
                "X"
            ]
        );
    }

    #[test]
    fn templates_without_random_draws_are_not_compared() {
        let path = "c/templates/cm.yaml".to_string();
        let first = BTreeMap::from([(path.clone(), rendered("a: 1234567", false))]);
        let second = BTreeMap::from([(path, rendered("a: 7654321", false))]);
        assert!(Generated::between(&first, &second).is_empty());
    }
}
