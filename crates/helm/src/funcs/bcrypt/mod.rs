//! `bcrypt` and `htpasswd` (Go's x/crypto/bcrypt, `$2a$`, cost 10). Blowfish's initial state
//! is the hexadecimal expansion of π, written out in [`pi`] (computing it took 43 million
//! instructions in every process that hashed); the tests compute it again (Machin's formula).
//! A render with [`Keys::Disposable`] (a static check, whose generated values never leave the
//! process) hashes at bcrypt's lowest cost, 4: the same format, 64 times less work.

mod pi;

use super::Keys;
use super::args::s;
use super::memo::{self, Memo};
use gotmpl::Param;
use gotmpl::value::Value;
use gotmpl::{CallCtx, Engine, Func};

const COST: u32 = 10;
const DISPOSABLE_COST: u32 = 4;
/// Bytes of a password that bcrypt reads at most (Blowfish's longest key).
const MAX_KEY: usize = 72;

pub(super) fn register(e: &mut Engine, keys: Keys) {
    let cost = match keys {
        Keys::Fresh => COST,
        Keys::Disposable(_) => DISPOSABLE_COST,
    };
    let remembered = keys.remembered();
    e.register(
        "bcrypt",
        Func::new(&[Param::Str], None, move |c, a| {
            Ok(Value::string(hash(c, s(a, 0), cost, remembered)))
        }),
    );
    e.register(
        "htpasswd",
        Func::new(&[Param::Str, Param::Str], None, move |c, a| {
            let user = s(a, 0);
            if user.contains(':') {
                return Ok(Value::string(format!("invalid username: {user}")));
            }
            Ok(Value::string(format!(
                "{user}:{}",
                hash(c, s(a, 1), cost, remembered)
            )))
        }),
    );
}

struct Blowfish {
    p: [u32; 18],
    s: [[u32; 256]; 4],
}

fn next_word(data: &[u8], j: &mut usize) -> u32 {
    let mut w = 0u32;
    for _ in 0..4 {
        w = w << 8 | data[*j] as u32;
        *j = (*j + 1) % data.len();
    }
    w
}

impl Blowfish {
    fn f(&self, x: u32) -> u32 {
        let [a, b, c, d] = x.to_be_bytes();
        (self.s[0][a as usize].wrapping_add(self.s[1][b as usize]) ^ self.s[2][c as usize])
            .wrapping_add(self.s[3][d as usize])
    }

    fn encrypt(&self, mut l: u32, mut r: u32) -> (u32, u32) {
        for i in 0..16 {
            l ^= self.p[i];
            r ^= self.f(l);
            std::mem::swap(&mut l, &mut r);
        }
        std::mem::swap(&mut l, &mut r);
        r ^= self.p[16];
        l ^= self.p[17];
        (l, r)
    }

    /// Blowfish's key schedule, with `salt` mixed into every block when given.
    fn expand(&mut self, key: &[u8], salt: Option<&[u8]>) {
        let mut j = 0;
        for i in 0..18 {
            self.p[i] ^= next_word(key, &mut j);
        }
        let (mut l, mut r) = (0u32, 0u32);
        let mut k = 0;
        let mut step = |bf: &Blowfish, l: &mut u32, r: &mut u32| {
            if let Some(salt) = salt {
                *l ^= next_word(salt, &mut k);
                *r ^= next_word(salt, &mut k);
            }
            (*l, *r) = bf.encrypt(*l, *r);
        };
        for i in (0..18).step_by(2) {
            step(self, &mut l, &mut r);
            self.p[i] = l;
            self.p[i + 1] = r;
        }
        for b in 0..4 {
            for i in (0..256).step_by(2) {
                step(self, &mut l, &mut r);
                self.s[b][i] = l;
                self.s[b][i + 1] = r;
            }
        }
    }
}

const B64: &[u8; 64] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn encode(b: &[u8]) -> String {
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..=chunk.len() {
            out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// `$2a$NN$…` (at `cost`) for `password` with a random salt. Any salt verifies the same
/// password, so it is an incidental draw: a static check's renders with two seeds give the same
/// hash of a password from values, and different ones only when the password itself was
/// generated. Remembered for the process when `remembered` ([`super::memo`]).
fn hash(c: &CallCtx<'_, '_>, password: &str, cost: u32, remembered: bool) -> String {
    static HASHES: Memo<String> = Memo::new();
    let mut salt = [0u8; 16];
    for b in salt.iter_mut() {
        *b = c.shared().next_incidental() as u8;
    }
    // bcrypt reads the first 72 bytes only: the memo's key needs no more, however long the
    // string a template passes.
    let used = &password.as_bytes()[..password.len().min(MAX_KEY)];
    let make = || hash_with_salt(used, &salt, cost);
    if !remembered {
        return make();
    }
    HASHES.get_or(memo::digest(&[used, &salt, &cost.to_le_bytes()]), make)
}

fn hash_with_salt(password: &[u8], salt: &[u8; 16], cost: u32) -> String {
    let mut key: Vec<u8> = password.iter().copied().take(MAX_KEY).collect();
    if key.len() < MAX_KEY {
        key.push(0);
    }
    let mut bf = Blowfish { p: pi::P, s: pi::S };
    bf.expand(&key, Some(salt));
    for _ in 0..(1u64 << cost) {
        bf.expand(&key, None);
        bf.expand(salt, None);
    }
    let mut data: Vec<u32> = b"OrpheanBeholderScryDoubt"
        .chunks(4)
        .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
        .collect();
    for pair in data.chunks_mut(2) {
        for _ in 0..64 {
            let (l, r) = bf.encrypt(pair[0], pair[1]);
            pair[0] = l;
            pair[1] = r;
        }
    }
    let bytes: Vec<u8> = data.iter().flat_map(|w| w.to_be_bytes()).collect();
    format!("$2a${cost:02}${}{}", encode(salt), encode(&bytes[..23]))
}

#[cfg(test)]
mod tests {
    use super::*;

    use num_bigint::BigUint;

    /// The positive and negative terms of atan(1/x)·2^bits, summed apart (BigUint has no sign).
    fn atan_inv(x: u32, bits: u64) -> (BigUint, BigUint) {
        let (mut pos, mut neg) = (BigUint::ZERO, BigUint::ZERO);
        let mut term = (BigUint::from(1u32) << bits) / x;
        for k in 0u32.. {
            let t = &term / (2 * k + 1);
            if t == BigUint::ZERO {
                break;
            }
            if k.is_multiple_of(2) {
                pos += t;
            } else {
                neg += t;
            }
            term /= x * x;
        }
        (pos, neg)
    }

    #[test]
    fn the_table_is_pi() {
        let words = 18 + 4 * 256;
        // 64 guard bits absorb the truncation of every term.
        let bits = words as u64 * 32 + 64;
        let (a_pos, a_neg) = atan_inv(5, bits);
        let (b_pos, b_neg) = atan_inv(239, bits);
        // Machin: π = 16·atan(1/5) − 4·atan(1/239).
        let value = (a_pos * 16u32 + b_neg * 4u32) - (a_neg * 16u32 + b_pos * 4u32);
        let frac = value % (BigUint::from(1u32) << bits);
        let digits: Vec<u32> = (0..words)
            .map(|i| {
                let shifted = &frac >> (bits - 32 * (i as u64 + 1));
                shifted.iter_u32_digits().next().unwrap_or(0)
            })
            .collect();
        let table: Vec<u32> = pi::P
            .iter()
            .chain(pi::S.iter().flatten())
            .copied()
            .collect();
        assert_eq!(table, digits);
        // Blowfish's published first and last words.
        assert_eq!(pi::P[0], 0x243F_6A88);
        assert_eq!(pi::S[3][255], 0x3AC3_72E6);
    }

    #[test]
    fn a_disposable_render_hashes_at_the_lowest_cost_in_the_same_format() {
        let out = |keys: Keys| {
            let mut e = Engine::new();
            crate::funcs::register_with(&mut e, keys);
            e.add_template("t", r#"{{ htpasswd "admin" "secret" }}"#)
                .unwrap();
            e.execute("t", Value::Nil).unwrap()
        };
        let fresh = out(Keys::Fresh);
        let disposable = out(Keys::Disposable(crate::funcs::Half::First));
        assert!(fresh.starts_with("admin:$2a$10$"), "{fresh}");
        assert!(disposable.starts_with("admin:$2a$04$"), "{disposable}");
        assert_eq!(fresh.len(), disposable.len());
        assert_eq!(fresh.len(), "admin:".len() + 60);
    }

    /// The 16 bytes of a salt in bcrypt's base64 (22 characters).
    fn decode_salt(text: &str) -> [u8; 16] {
        let mut bytes: Vec<u8> = Vec::new();
        let (mut acc, mut n) = (0u32, 0);
        for c in text.bytes() {
            acc = acc << 6 | B64.iter().position(|&x| x == c).unwrap() as u32;
            n += 6;
            if n >= 8 {
                n -= 8;
                bytes.push((acc >> n) as u8);
            }
        }
        bytes[..16].try_into().unwrap()
    }

    #[test]
    fn known_bcrypt_vector() {
        // OpenBSD test vector: password "U*U", salt "CCCCCCCCCCCCCCCCCCCCC.", cost 5.
        let salt = decode_salt("CCCCCCCCCCCCCCCCCCCCC.");
        assert_eq!(
            hash_with_salt(b"U*U", &salt, 5),
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
        );
    }

    /// `template` rendered with `seed` (`None`: the operating system's generator, as `render`).
    fn seeded(seed: Option<u64>, template: &str) -> String {
        let mut e = Engine::new();
        e.limits.seed = seed;
        crate::funcs::register_with(&mut e, Keys::Disposable(crate::funcs::Half::First));
        e.add_template("t", template).unwrap();
        e.execute("t", Value::Nil).unwrap()
    }

    #[test]
    fn a_hash_changes_with_the_seed_only_when_the_password_does() {
        // harbor: the registry's htpasswd of a password from values.
        let given = r#"{{ htpasswd "admin" "Harbor12345" }} {{ bcrypt "Harbor12345" }}"#;
        assert_eq!(seeded(Some(1), given), seeded(Some(2), given));
        // A generated password: its hash is as new as it is.
        let generated = r#"{{ htpasswd "admin" (randAlphaNum 16) }}"#;
        assert_ne!(seeded(Some(1), generated), seeded(Some(2), generated));
        // The salt does not move the password's draws: with one seed, the same password
        // whether or not something was hashed first.
        let after = r#"{{ bcrypt "x" | len }} {{ randAlphaNum 16 }}"#;
        assert_eq!(
            seeded(Some(1), after).split_once(' ').unwrap().1,
            seeded(Some(1), r#"{{ randAlphaNum 16 }}"#)
        );
    }

    #[test]
    fn a_check_remembers_a_hash_by_what_bcrypt_reads_of_the_password() {
        let long = format!("{}tail", "p".repeat(MAX_KEY));
        let other = format!("{}other", "p".repeat(MAX_KEY));
        let template = |password: &str| format!(r#"{{{{ bcrypt "{password}" }}}}"#);
        let once = seeded(Some(1), &template(&long));
        // bcrypt itself ignores what follows the first 72 bytes.
        assert_eq!(once, seeded(Some(1), &template(&other)));
        let salt = decode_salt(&once[7..29]);
        assert_eq!(hash_with_salt(other.as_bytes(), &salt, 4), once);
        assert_ne!(once, seeded(Some(1), &template("short")));
    }

    #[test]
    fn without_a_seed_every_hash_has_a_new_salt_that_verifies_the_same_password() {
        let [one, two] = [(); 2].map(|_| seeded(None, r#"{{ bcrypt "Harbor12345" }}"#));
        assert_ne!(one, two, "the same salt twice");
        for hash in [one, two] {
            // `$2a$04$` + 22 characters of salt + 31 of hash.
            let salt = decode_salt(&hash[7..29]);
            assert_eq!(hash_with_salt(b"Harbor12345", &salt, 4), hash);
        }
    }
}
