//! Texts a render parsed to execute them ([`crate::CallCtx::execute_text`], Helm's `tpl`),
//! kept for the rest of the render: a chart that `tpl`s a configuration value in a template
//! and again in the checksum annotation of another (`include (print $.Template.BasePath
//! "/config.yaml") . | sha256sum`, in most of bitnami's charts) parses the same text twice, and
//! parsing a text costs about as much as executing it.

use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::error::ParseError;
use crate::parse::{self, Tree};

/// Bytes of text kept at most per render: past them, texts are parsed every time again (what
/// a text's trees hold is some times its size).
const MAX_BYTES: usize = 256 << 10;

/// What a text parsed to under a name: its main tree, then its `define`s in order.
pub(crate) struct TextTrees {
    pub main: Rc<Tree>,
    pub defines: Vec<Rc<Tree>>,
}

#[derive(Default)]
pub(crate) struct TextParses {
    by_text: FxHashMap<Arc<str>, Rc<TextTrees>>,
    bytes: usize,
}

impl TextParses {
    /// `text` parsed as `name` by a parse that knows the functions `has_func` says exist
    /// (always the render engine's): the trees parsed before when there are some.
    pub(crate) fn parse(
        &mut self,
        name: &str,
        text: &str,
        has_func: &dyn Fn(&str) -> bool,
    ) -> Result<Rc<TextTrees>, ParseError> {
        if let Some(trees) = self.by_text.get(text)
            && trees.main.name == name
        {
            return Ok(trees.clone());
        }
        let text: Arc<str> = text.into();
        let (main, defines) = parse::parse(name, text.clone(), has_func)?.into_trees();
        let trees = Rc::new(TextTrees {
            main: Rc::new(main),
            defines: defines.map(Rc::new).collect(),
        });
        if self.bytes + text.len() <= MAX_BYTES && !self.by_text.contains_key(&text) {
            self.bytes += text.len();
            self.by_text.insert(text, trees.clone());
        }
        Ok(trees)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_parsed_once_per_name_within_the_bytes_kept() {
        let mut parses = TextParses::default();
        let has_func = |f: &str| f == "print";
        let text = r#"{{ define "d" }}x{{ end }}{{ print . }}"#;
        let first = parses.parse("gotpl", text, &has_func).unwrap();
        let again = parses.parse("gotpl", text, &has_func).unwrap();
        assert!(Rc::ptr_eq(&first, &again));
        assert_eq!(again.defines.len(), 1);
        assert_eq!(again.defines[0].name, "d");
        // Another name is another main tree.
        let other = parses.parse("other", text, &has_func).unwrap();
        assert_eq!(other.main.name, "other");
        assert!(!Rc::ptr_eq(&first, &other));
        // A text that does not parse is an error every time.
        assert!(parses.parse("gotpl", "{{ nope }}", &has_func).is_err());
        assert!(parses.parse("gotpl", "{{ nope }}", &has_func).is_err());
        // Past the bytes kept, texts are parsed again.
        let big = "x".repeat(MAX_BYTES);
        let a = parses.parse("gotpl", &big, &has_func).unwrap();
        let b = parses.parse("gotpl", &big, &has_func).unwrap();
        assert!(!Rc::ptr_eq(&a, &b));
        assert!(parses.bytes <= MAX_BYTES);
    }
}
