//! Sprig's `encryptAES` and `decryptAES`: AES-256-CBC with the password as key (its bytes,
//! cut or zero-padded to 32), a random IV in front of the ciphertext, padding as PKCS#7, all
//! in base64. Decryption checks nothing (Sprig's doesn't), so a wrong password gives garbage
//! or, when the last byte is not a possible padding, Go's slice panic as the error.

use aes::Aes256;
use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};

use super::super::args::bytes;
use super::super::encoding::{b64_decode, b64_encode};
use gotmpl::value::Value;
use gotmpl::{CallCtx, Engine, Func, FuncResult, Param};

const BLOCK: usize = 16;

pub(super) fn register(e: &mut Engine) {
    const PARAMS: &[Param] = &[Param::Str, Param::Str];
    e.register(
        "encryptAES",
        Func::of_call(PARAMS, None, encrypt).raw_strings(),
    );
    e.register(
        "decryptAES",
        Func::of_call(PARAMS, None, decrypt).raw_strings(),
    );
}

fn key(password: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password[..n]);
    key
}

fn encrypt(c: &mut CallCtx<'_, '_>, a: &[Value]) -> FuncResult {
    let plain = bytes(a, 1);
    if plain.is_empty() {
        return Ok(Value::str(""));
    }
    let len = plain.len() as u64;
    gotmpl::budget::reserve(len / BLOCK as u64, len.saturating_mul(3))?;
    let pad = BLOCK - plain.len() % BLOCK;
    // Any IV decrypts to the same text: an incidental draw, as a password hash's salt.
    let mut iv = [0u8; BLOCK];
    for b in iv.iter_mut() {
        *b = c.shared().next_incidental() as u8;
    }
    let mut buf = iv.to_vec();
    buf.extend_from_slice(plain);
    buf.resize(buf.len() + pad, pad as u8);
    let body = buf.len() - BLOCK;
    cbc::Encryptor::<Aes256>::new(&key(bytes(a, 0)).into(), &iv.into())
        .encrypt_padded_mut::<NoPadding>(&mut buf[BLOCK..], body)
        .map_err(|_| "crypto/cipher: input not full blocks".to_string())?;
    Ok(Value::string(b64_encode(&buf)))
}

fn decrypt(_: &mut CallCtx<'_, '_>, a: &[Value]) -> FuncResult {
    let text = String::from_utf8_lossy(bytes(a, 1)).into_owned();
    if text.is_empty() {
        return Ok(Value::str(""));
    }
    let mut crypt =
        b64_decode(&text).map_err(|at| format!("illegal base64 data at input byte {at}"))?;
    if crypt.len() < BLOCK {
        return Err(format!(
            "runtime error: slice bounds out of range [:{BLOCK}] with capacity {}",
            crypt.len()
        ));
    }
    let mut iv = [0u8; BLOCK];
    iv.copy_from_slice(&crypt[..BLOCK]);
    let body = &mut crypt[BLOCK..];
    if body.len() % BLOCK != 0 {
        return Err("crypto/cipher: input not full blocks".into());
    }
    let plain = cbc::Decryptor::<Aes256>::new(&key(bytes(a, 0)).into(), &iv.into())
        .decrypt_padded_mut::<NoPadding>(body)
        .map_err(|_| "crypto/cipher: input not full blocks".to_string())?;
    let Some(&pad) = plain.last() else {
        return Err("runtime error: index out of range [-1]".into());
    };
    let keep = plain.len() as i64 - i64::from(pad);
    if keep < 0 {
        return Err(format!(
            "runtime error: slice bounds out of range [:{keep}]"
        ));
    }
    Ok(Value::go_string(plain[..keep as usize].to_vec()))
}

#[cfg(test)]
mod tests {
    use gotmpl::{Engine, Value};

    fn render(src: &str) -> Result<String, String> {
        render_with(Some(3), src)
    }

    fn render_with(seed: Option<u64>, src: &str) -> Result<String, String> {
        let mut e = Engine::new();
        crate::funcs::register(&mut e);
        e.limits.seed = seed;
        e.add_template("t", src).map_err(|e| e.to_string())?;
        e.execute("t", Value::Nil).map_err(|e| e.to_string())
    }

    // Expected values are Helm's (the oracle): a ciphertext it made, and its errors.
    #[test]
    fn decrypts_what_helm_encrypted_and_round_trips() {
        let out = render(
            r#"{{ decryptAES "secretkey" "5d3oHkfBYxwd7PneWAQB7kX4iImQPWYDqjgDnTNAhQo=" }}|{{ $k := "0123456789abcdef0123456789abcdef-extra" }}{{ encryptAES $k "exactly16bytes!!" | decryptAES $k }}|{{ encryptAES "k" "" }}|{{ decryptAES "k" "" }}"#,
        );
        assert_eq!(out.unwrap(), "hello world|exactly16bytes!!||");
        let c = render(r#"{{ encryptAES "k" "hello" }}"#).unwrap();
        assert_eq!(c.len(), 44, "IV and one block in base64: {c}");
    }

    #[test]
    fn malformed_ciphertext_fails_as_in_helm() {
        for (c, msg) in [
            ("abc", "illegal base64 data at input byte 0"),
            (
                "YWJj",
                "runtime error: slice bounds out of range [:16] with capacity 3",
            ),
            (
                "5d3oHkfBYxwd7PneWAQB7kX4iImQPWYDqjgDnTNAhQo=",
                "runtime error: slice bounds out of range [:-1]",
            ),
            (
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                "runtime error: slice bounds out of range [:-19]",
            ),
        ] {
            let err = render(&format!(r#"{{{{ decryptAES "k" "{c}" }}}}"#)).unwrap_err();
            assert!(
                err.ends_with(&format!("error calling decryptAES: {msg}")),
                "{err}"
            );
        }
    }

    #[test]
    fn the_iv_changes_with_the_seed_only_when_the_text_does() {
        let given = r#"{{ encryptAES "key" "from values" }}"#;
        let with = |seed: Option<u64>, src: &str| render_with(seed, src).unwrap();
        assert_eq!(with(Some(1), given), with(Some(2), given));
        let generated = r#"{{ encryptAES "key" (randAlphaNum 16) }}"#;
        assert_ne!(with(Some(1), generated), with(Some(2), generated));
        // Without a seed (`render`), a new IV every time, which decrypts all the same.
        let (one, two) = (with(None, given), with(None, given));
        assert_ne!(one, two);
        for c in [one, two] {
            let plain = with(None, &format!(r#"{{{{ decryptAES "key" "{c}" }}}}"#));
            assert_eq!(plain, "from values");
        }
    }
}
