//! Where things are, in the editor's terms: `file:` URIs for paths, and LSP positions (line and
//! UTF-16 code unit, both from 0) for byte offsets.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::{Position, Range, Uri};

/// The path of a `file:` URI; `None` for other schemes and for URIs that name no absolute path.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let rest = text.strip_prefix("file://")?;
    // `file://host/path`: only the local host (empty or `localhost`) is a path here.
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(i) if &rest[..i] == "localhost" => &rest[i..],
        _ => return None,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let decoded = percent_decode(path)?;
    let path = PathBuf::from(decoded);
    path.is_absolute().then_some(path)
}

/// The `file:` URI of an absolute path.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let text = path.to_str()?;
    if !path.is_absolute() {
        return None;
    }
    let mut uri = String::from("file://");
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte);
        if keep {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    Uri::from_str(&uri).ok()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The LSP position of byte `offset` in `text` (clamped to the text, and back to a character
/// boundary).
pub fn position(text: &str, offset: usize) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Position {
        line: u32::try_from(before.matches('\n').count()).unwrap_or(u32::MAX),
        character: utf16_len(&before[line_start..]),
    }
}

/// The LSP range of bytes `start..end` of `text`.
pub fn range(text: &str, start: usize, end: usize) -> Range {
    Range {
        start: position(text, start),
        end: position(text, end.max(start)),
    }
}

/// The byte offset of an LSP position in `text` (past the end of a line: its end).
pub fn offset(text: &str, position: Position) -> usize {
    let Some(line_start) = source::line_starts(text).nth(position.line as usize) else {
        return text.len();
    };
    let line = &text[line_start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let mut units = 0;
    for (i, c) in line.char_indices() {
        if units >= position.character {
            return line_start + i;
        }
        units += c.len_utf16() as u32;
    }
    line_start + line.len()
}

fn utf16_len(text: &str) -> u32 {
    u32::try_from(text.encode_utf16().count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_uris_round_trip() {
        let path = Path::new("/work/my charts/app/templates/déploiement.yaml");
        let uri = path_to_uri(path).unwrap();
        assert_eq!(
            uri.as_str(),
            "file:///work/my%20charts/app/templates/d%C3%A9ploiement.yaml"
        );
        assert_eq!(uri_to_path(&uri).as_deref(), Some(path));
        let remote = Uri::from_str("file://server/share/a.yaml").unwrap();
        assert_eq!(uri_to_path(&remote), None);
        let untitled = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(uri_to_path(&untitled), None);
    }

    #[test]
    fn positions_count_utf16_units() {
        let text = "a: 1\nname: \"é😀x\"\n";
        let x = text.find('x').unwrap();
        assert_eq!(position(text, x), Position::new(1, 10));
        assert_eq!(offset(text, Position::new(1, 10)), x);
        assert_eq!(offset(text, Position::new(0, 99)), 4);
        assert_eq!(offset(text, Position::new(9, 0)), text.len());
        // Inside a multi-byte character: back to its start.
        assert_eq!(position(text, x - 1), Position::new(1, 8));
    }
}
