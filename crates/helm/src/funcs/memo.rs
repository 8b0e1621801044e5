//! Results of a costly pure function remembered for the rest of the process, by a digest of
//! its inputs. Only for a render whose generated values never leave the process (a static
//! check, [`super::Keys::Disposable`]): it renders a release up to four times (two seeds, as an
//! install and as the upgrade of itself), and each render signs the same certificates and
//! hashes the same passwords again. Never for `render`, whose keys must not outlive their use.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Entries kept at most; past it the memo starts again empty (each chart's renders follow one
/// another, so the newest entries are the ones worth keeping).
const CAPACITY: usize = 1024;

pub(super) struct Memo<V> {
    entries: Mutex<BTreeMap<[u8; 32], V>>,
}

impl<V: Clone> Memo<V> {
    pub(super) const fn new() -> Self {
        Memo {
            entries: Mutex::new(BTreeMap::new()),
        }
    }

    /// What `make` gives for the inputs whose digest is `key`, made at most once while it is
    /// remembered.
    pub(super) fn get_or(&self, key: [u8; 32], make: impl FnOnce() -> V) -> V {
        if let Some(v) = self.entries.lock().ok().and_then(|e| e.get(&key).cloned()) {
            return v;
        }
        let v = make();
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(key, v.clone());
        }
        v
    }
}

/// The SHA-256 of `parts`, each prefixed by its length (so that no two lists of parts share
/// a digest by their concatenation).
pub(super) fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut all = Vec::new();
    for part in parts {
        all.extend_from_slice(&(part.len() as u64).to_le_bytes());
        all.extend_from_slice(part);
    }
    super::encoding::sha256(&all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_result_is_made_once_and_the_memo_stays_bounded() {
        let memo: Memo<u64> = Memo::new();
        let mut made = 0;
        for _ in 0..3 {
            assert_eq!(
                memo.get_or(digest(&[b"a", b"b"]), || {
                    made += 1;
                    7
                }),
                7
            );
        }
        assert_eq!(made, 1);
        // Another split of the same bytes is other inputs.
        assert_eq!(memo.get_or(digest(&[b"ab", b""]), || 8), 8);
        for i in 0..2 * CAPACITY as u64 {
            memo.get_or(digest(&[&i.to_le_bytes()]), || i);
        }
        assert!(memo.entries.lock().unwrap().len() <= CAPACITY);
    }
}
