//! Sprig's certificate and key functions (`genCA`, `genSelfSignedCert`, `genSignedCert`,
//! `genPrivateKey`, `buildCustomCert`): real RSA keys and X.509 certificates, from the render's
//! random generator so that a seeded render is reproducible. Their bytes are never compared
//! with Helm's (Helm's differ on every run too); their shape is what charts depend on.

mod aes;
mod der;
mod dsa;
mod rsa;

use std::rc::Rc;

use super::args::{n, s};
use gotmpl::Param;
use gotmpl::Record;
use gotmpl::value::Value;
use gotmpl::{CallCtx, Engine, Func, FuncResult};

const CA_USAGE: u8 = 0x80 | 0x20 | 0x04;
const LEAF_USAGE: u8 = 0x80 | 0x20;

/// Where the RSA keys of `genCA`, `genSelfSignedCert`, `genSignedCert` and `genPrivateKey`
/// come from, and at what cost `bcrypt` and `htpasswd` hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Keys {
    /// Fresh primes from the render's random generator, as Helm: what `helm template` prints.
    #[default]
    Fresh,
    /// Primes drawn from one half of a small fixed pool: valid keys of the right size and
    /// format with no prime search, for a render whose generated values never leave the
    /// process (a static check). Anyone can know them: never for output someone may deploy.
    /// Hashes are at bcrypt's lowest cost.
    Disposable(Half),
}

/// The half of the disposable pool a render draws its primes from. The halves share no
/// prime, so renders of one release from different halves never share a key: comparing them
/// finds every generated key (what a check masks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    /// A check's renders whose output the rules read.
    First,
    /// Its renders with another seed ([`Keys::other`]), whose output is only compared with
    /// the first's: their certificates' signatures are not computed.
    Second,
}

impl Keys {
    /// Whether signatures and hashes may be remembered for the process ([`super::memo`]): only
    /// for disposable keys, whose render's values never leave the process.
    pub(super) fn remembered(self) -> bool {
        matches!(self, Keys::Disposable(_))
    }

    /// How this render's keys sign: the second half's render is only compared with the
    /// first's (it is the check's render with another seed, [`Keys::other`]), and its
    /// signatures are not computed ([`rsa::Signing::Skipped`]).
    fn signing(self) -> rsa::Signing {
        match self {
            Keys::Fresh => rsa::Signing::Computed,
            Keys::Disposable(Half::First) => rsa::Signing::Remembered,
            Keys::Disposable(Half::Second) => rsa::Signing::Skipped,
        }
    }

    /// The keys of a second render whose generated values must all differ from this one's.
    pub fn other(self) -> Keys {
        match self {
            Keys::Fresh => Keys::Fresh,
            Keys::Disposable(Half::First) => Keys::Disposable(Half::Second),
            Keys::Disposable(Half::Second) => Keys::Disposable(Half::First),
        }
    }
}

pub(super) fn register(e: &mut Engine, keys: Keys) {
    aes::register(e);
    let s_ = Param::Str;
    let l = Param::List;
    let i = Param::Int;
    let a = Param::Any;
    e.register(
        "genCA",
        Func::new(&[s_, i], None, move |c, a| {
            let key = rsa_key(c, 2048, keys)?;
            Ok(cert_value(c, s(a, 0), &[], &[], n(a, 1), &key, None))
        }),
    );
    e.register(
        "genCAWithKey",
        Func::new(&[s_, i, s_], None, move |c, a| {
            let key = parse_key(s(a, 2), keys)?;
            Ok(cert_value(c, s(a, 0), &[], &[], n(a, 1), &key, None))
        }),
    );
    e.register(
        "genSelfSignedCert",
        Func::new(&[s_, l, l, i], None, move |c, a| {
            let key = rsa_key(c, 2048, keys)?;
            let (ips, dns) = (strings(&a[1]), strings(&a[2]));
            Ok(cert_value(c, s(a, 0), &ips, &dns, n(a, 3), &key, None))
        }),
    );
    e.register(
        "genSelfSignedCertWithKey",
        Func::new(&[s_, l, l, i, s_], None, move |c, a| {
            let key = parse_key(s(a, 4), keys)?;
            let (ips, dns) = (strings(&a[1]), strings(&a[2]));
            Ok(cert_value(c, s(a, 0), &ips, &dns, n(a, 3), &key, None))
        }),
    );
    e.register(
        "genSignedCert",
        Func::new(&[s_, l, l, i, a], None, move |c, a| {
            let key = rsa_key(c, 2048, keys)?;
            signed(c, a, &key, keys)
        }),
    );
    e.register(
        "genSignedCertWithKey",
        Func::new(&[s_, l, l, i, a, s_], None, move |c, a| {
            let key = parse_key(s(a, 5), keys)?;
            signed(c, a, &key, keys)
        }),
    );
    e.register(
        "genPrivateKey",
        Func::new(&[s_], None, move |c, a| gen_private_key(c, a, keys)),
    );
    e.register(
        "buildCustomCert",
        Func::of_args(&[Param::Str, Param::Str], None, |a| {
            let cert = super::encoding::b64_decode(s(a, 0))
                .map_err(|_| "unable to decode base64 certificate".to_string())?;
            let key = super::encoding::b64_decode(s(a, 1))
                .map_err(|_| "unable to decode base64 private key".to_string())?;
            let (cert, key) = (
                String::from_utf8_lossy(&cert).into_owned(),
                String::from_utf8_lossy(&key).into_owned(),
            );
            if der::unpem(&cert, "CERTIFICATE").is_none() {
                return Err("unable to decode certificate".into());
            }
            if !["RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"]
                .iter()
                .any(|l| der::unpem(&key, l).is_some())
            {
                return Err("error parsing private key: no PEM data found".into());
            }
            Ok(certificate(cert, key))
        }),
    );
}

fn rng<'a>(c: &'a CallCtx<'_, '_>) -> impl FnMut() -> u64 + 'a {
    move || c.shared().next_random()
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l.items.iter().map(super::args::strval).collect(),
        _ => Vec::new(),
    }
}

/// A key a template passes (`genCAWithKey` & co.), charged to the render's work budget by its
/// size first ([`key_steps`]).
fn parse_key(pem: &str, keys: Keys) -> Result<rsa::Key, String> {
    let invalid = || "error parsing private key: only PEM-encoded RSA keys are supported here";
    let der = der::unpem(pem, "RSA PRIVATE KEY").ok_or_else(invalid)?;
    gotmpl::budget::reserve(key_steps(der.len()), 0)?;
    rsa::Key::from_private_der(&der)
        .map(|key| key.signing(keys.signing()))
        .ok_or_else(|| invalid().into())
}

/// Steps that checking and signing with a key of `der_len` bytes of DER may cost: the chart
/// chooses the key, and a signature's work grows with the cube of its size (a key of a few
/// hundred kilobytes would sign for hours). The modulus has at most `4·der_len` bits, as `n`,
/// `p` and `q` take twice its bytes; a 2048-bit signature is charged as a hundredth of a key
/// generation per (those bits / 2048)³.
fn key_steps(der_len: usize) -> u64 {
    let bits = der_len as u128 * 4;
    let steps =
        u128::from(RSA_2048_STEPS / 100).saturating_mul(bits.saturating_pow(3)) / 2048u128.pow(3);
    u64::try_from(steps).unwrap_or(u64::MAX)
}

/// Sprig's `certificate` struct: `.Cert` and `.Key`, both PEM.
fn certificate(cert: String, key: String) -> Value {
    Value::Object(Rc::new(Record {
        type_name: "sprig.certificate",
        fields: vec![("Cert", Value::str(&cert)), ("Key", Value::str(&key))],
        shown: vec![Value::str(&cert), Value::str(&key)],
        text: None,
        methods: Vec::new(),
        json: Value::map(
            [
                ("Cert".to_string(), Value::str(&cert)),
                ("Key".to_string(), Value::str(&key)),
            ]
            .into(),
        ),
    }))
}

fn signed(c: &mut CallCtx<'_, '_>, a: &[Value], key: &rsa::Key, keys: Keys) -> FuncResult {
    let field = |name: &str| {
        let Value::Object(o) = &a[4] else {
            return None;
        };
        o.field(name).and_then(|v| v.as_str().map(str::to_string))
    };
    let (Some(ca_cert), Some(ca_key)) = (field("Cert"), field("Key")) else {
        return Err("the CA must be a certificate made by genCA".into());
    };
    let ca_key = parse_key(&ca_key, keys)?;
    let ca_name = der::unpem(&ca_cert, "CERTIFICATE")
        .and_then(|d| issuer_of(&d))
        .ok_or("error parsing the CA certificate")?;
    let (ips, dns) = (strings(&a[1]), strings(&a[2]));
    Ok(cert_value(
        c,
        s(a, 0),
        &ips,
        &dns,
        n(a, 3),
        key,
        Some((&ca_name, &ca_key)),
    ))
}

/// The subject Name of a DER certificate (to use as the issuer of certificates it signs).
fn issuer_of(cert: &[u8]) -> Option<Vec<u8>> {
    let (_, body, _) = der::read(cert)?;
    let (_, tbs, _) = der::read(body)?;
    let mut rest = tbs;
    let mut fields = Vec::new();
    while !rest.is_empty() {
        let start = rest;
        let (_, _, next) = der::read(rest)?;
        fields.push(&start[..start.len() - next.len()]);
        rest = next;
    }
    // version, serial, signature algorithm, issuer, validity, subject, …
    fields.get(5).map(|f| f.to_vec())
}

fn name(cn: &str) -> Vec<u8> {
    der::seq(&[der::set(&[der::seq(&[
        der::oid(&[2, 5, 4, 3]),
        der::utf8(cn),
    ])])])
}

fn extension(oid: &[u64], critical: bool, value: Vec<u8>) -> Vec<u8> {
    let mut parts = vec![der::oid(oid)];
    if critical {
        parts.push(der::boolean(true));
    }
    parts.push(der::octets(&value));
    der::seq(&parts)
}

fn key_usage(bits: u8) -> Vec<u8> {
    let unused = bits.trailing_zeros() as u8;
    der::tlv(0x03, &[unused, bits])
}

fn ip_bytes(ip: &str) -> Option<Vec<u8>> {
    ip.parse::<std::net::IpAddr>().ok().map(|a| match a {
        std::net::IpAddr::V4(v) => v.octets().to_vec(),
        std::net::IpAddr::V6(v) => v.octets().to_vec(),
    })
}

fn key_id(key: &rsa::Key) -> Vec<u8> {
    super::encoding::sha1(&key.public_der()).to_vec()
}

/// Builds and signs a certificate; a CA when `issuer` is `None` and there are no names.
fn cert_value(
    c: &CallCtx<'_, '_>,
    cn: &str,
    ips: &[String],
    dns: &[String],
    days: i64,
    key: &rsa::Key,
    issuer: Option<(&[u8], &rsa::Key)>,
) -> Value {
    let is_ca = issuer.is_none() && ips.is_empty() && dns.is_empty();
    let mut serial = [0u8; 16];
    for b in serial.iter_mut() {
        *b = c.shared().next_random() as u8;
    }
    let (now, _) = c.shared().now();
    let time = |secs: i64| {
        let (y, mo, d, h, mi, s) = super::dates::utc_fields(secs);
        der::time(y, mo, d, h, mi, s)
    };
    let sig_alg = der::seq(&[der::oid(&[1, 2, 840, 113549, 1, 1, 11]), der::null()]);
    let mut exts = vec![
        extension(
            &[2, 5, 29, 15],
            true,
            key_usage(if is_ca { CA_USAGE } else { LEAF_USAGE }),
        ),
        extension(
            &[2, 5, 29, 37],
            false,
            der::seq(&[
                der::oid(&[1, 3, 6, 1, 5, 5, 7, 3, 1]),
                der::oid(&[1, 3, 6, 1, 5, 5, 7, 3, 2]),
            ]),
        ),
        extension(
            &[2, 5, 29, 19],
            true,
            if is_ca {
                der::seq(&[der::boolean(true)])
            } else {
                der::seq(&[])
            },
        ),
    ];
    if is_ca {
        exts.push(extension(&[2, 5, 29, 14], false, der::octets(&key_id(key))));
    }
    if let Some((_, ca_key)) = issuer {
        exts.push(extension(
            &[2, 5, 29, 35],
            false,
            der::seq(&[der::tlv(0x80, &key_id(ca_key))]),
        ));
    }
    if !ips.is_empty() || !dns.is_empty() {
        let mut names: Vec<Vec<u8>> = dns.iter().map(|d| der::tlv(0x82, d.as_bytes())).collect();
        names.extend(
            ips.iter()
                .filter_map(|ip| ip_bytes(ip))
                .map(|b| der::tlv(0x87, &b)),
        );
        exts.push(extension(&[2, 5, 29, 17], false, der::seq(&names)));
    }
    let subject = name(cn);
    let issuer_name = issuer.map_or_else(|| subject.clone(), |(n, _)| n.to_vec());
    let tbs = der::seq(&[
        der::tlv(0xa0, &der::small_int(2)),
        der::uint(&num_bigint::BigUint::from_bytes_be(&serial)),
        sig_alg.clone(),
        issuer_name,
        der::seq(&[time(now), time(now + days * 86_400)]),
        subject,
        key.public_info(),
        der::tlv(0xa3, &der::seq(&exts)),
    ]);
    let signer = issuer.map_or(key, |(_, k)| k);
    let signature = signer.sign_sha256(&super::encoding::sha256(&tbs));
    let cert = der::seq(&[tbs, sig_alg, der::bits(&signature)]);
    certificate(
        der::pem("CERTIFICATE", &cert),
        der::pem("RSA PRIVATE KEY", &key.private_der()),
    )
}

/// Steps a 2048-bit RSA key costs: generating one takes as long as rendering a few million
/// template nodes, and a chart may ask for hundreds.
const RSA_2048_STEPS: u64 = 2_000_000;

/// A new RSA key, charged to the render's work budget first (twice the bits: about eight
/// times the work).
fn rsa_key(c: &mut CallCtx<'_, '_>, bits: usize, keys: Keys) -> Result<rsa::Key, String> {
    let scale = (bits as u64 / 2048).max(1).pow(3);
    gotmpl::budget::reserve(RSA_2048_STEPS * scale, 0)?;
    let key = match keys {
        Keys::Fresh => rsa::Key::generate(bits, &mut rng(c)),
        Keys::Disposable(half) => rsa::Key::disposable(bits, half == Half::Second, &mut rng(c)),
    };
    Ok(key.signing(keys.signing()))
}

fn gen_private_key(c: &mut CallCtx<'_, '_>, a: &[Value], keys: Keys) -> FuncResult {
    let random =
        |len: usize| -> Vec<u8> { (0..len).map(|_| c.shared().next_random() as u8).collect() };
    let pem = match s(a, 0) {
        "rsa" => {
            let key = rsa_key(c, 4096, keys)?;
            der::pem("RSA PRIVATE KEY", &key.private_der())
        }
        "dsa" => {
            // Parameter generation searches for a 2048-bit prime, as a 4096-bit RSA key does.
            gotmpl::budget::reserve(RSA_2048_STEPS * 8, 0)?;
            der::pem("DSA PRIVATE KEY", &dsa::generate(&mut rng(c)))
        }
        "ecdsa" => {
            // A P-256 scalar below the group order (top bit clear); the optional public
            // point is left out, as RFC 5915 allows.
            let mut scalar = random(32);
            scalar[0] &= 0x7f;
            let body = der::seq(&[
                der::small_int(1),
                der::octets(&scalar),
                der::tlv(0xa0, &der::oid(&[1, 2, 840, 10045, 3, 1, 7])),
            ]);
            der::pem("EC PRIVATE KEY", &body)
        }
        "ed25519" => {
            let seed = random(32);
            let body = der::seq(&[
                der::small_int(0),
                der::seq(&[der::oid(&[1, 3, 101, 112])]),
                der::octets(&der::octets(&seed)),
            ]);
            der::pem("PRIVATE KEY", &body)
        }
        other => format!("Unknown type {other}"),
    };
    Ok(Value::string(pem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;

    /// A CA, a certificate it signed and a self-signed certificate, each `(cert, key)` in PEM,
    /// rendered with `keys` from `seed`.
    fn certificates(keys: Keys, seed: u64) -> Vec<(String, String)> {
        let mut e = Engine::new();
        e.limits.seed = Some(seed);
        crate::funcs::register_with(&mut e, keys);
        let template = r#"{{- $ca := genCA "ca" 30 -}}
            {{- $leaf := genSignedCert "leaf" (list "10.0.0.1") (list "leaf.svc") 30 $ca -}}
            {{- $self := genSelfSignedCert "self" nil (list "self.svc") 30 -}}
            {{- range list $ca $leaf $self }}{{ .Cert }}|{{ .Key }}|{{ end }}"#;
        e.add_template("t", template).unwrap();
        let out = e.execute("t", Value::Nil).unwrap();
        let parts: Vec<&str> = out.split('|').collect();
        parts
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].to_string(), c[1].to_string()))
            .collect()
    }

    /// The certificate's to-be-signed bytes and its signature.
    fn signed_parts(cert_pem: &str) -> (Vec<u8>, Vec<u8>) {
        let cert = der::unpem(cert_pem, "CERTIFICATE").unwrap();
        let (_, body, _) = der::read(&cert).unwrap();
        let (_, _, after_tbs) = der::read(body).unwrap();
        let tbs = body[..body.len() - after_tbs.len()].to_vec();
        let (_, _, after_alg) = der::read(after_tbs).unwrap();
        let (tag, bits, _) = der::read(after_alg).unwrap();
        assert_eq!(
            (tag, bits[0]),
            (0x03, 0),
            "a BIT STRING with no unused bits"
        );
        (tbs, bits[1..].to_vec())
    }

    /// Whether `signature^e mod n` (num-bigint's exponentiation, not the signing code's) is the
    /// PKCS#1 v1.5 block of the SHA-256 of `tbs`: 00 01 FF… 00, DigestInfo, digest.
    fn verifies(tbs: &[u8], signature: &[u8], by: &rsa::Key) -> bool {
        let k = by.n.bits().div_ceil(8) as usize;
        let block = BigUint::from_bytes_be(signature).modpow(&by.e, &by.n);
        let mut block = block.to_bytes_be();
        block.insert(0, 0);
        let digest = crate::funcs::encoding::sha256(tbs);
        signature.len() == k
            && block.len() == k
            && block[..2] == [0, 1]
            && block[2..k - 52].iter().all(|&b| b == 0xff)
            && block[k - 52] == 0
            && block[k - 32..] == digest
    }

    #[test]
    fn certificates_verify_with_their_issuers_keys_in_both_kinds_of_render() {
        for keys in [Keys::Fresh, Keys::Disposable(Half::First)] {
            let certs = certificates(keys, 3);
            let [(ca, ca_key), (leaf, leaf_key), (own, own_key)] = &certs[..] else {
                panic!("{} certificates", certs.len());
            };
            let ca_key = parse_key(ca_key, keys).unwrap();
            for (cert, signer) in [(ca, &ca_key), (leaf, &ca_key)] {
                let (tbs, signature) = signed_parts(cert);
                assert!(verifies(&tbs, &signature, signer), "{keys:?}");
            }
            let (tbs, signature) = signed_parts(own);
            assert!(verifies(
                &tbs,
                &signature,
                &parse_key(own_key, keys).unwrap()
            ));
            assert_eq!(parse_key(leaf_key, keys).unwrap().n.bits(), 2048);
            openssl_verifies(ca, leaf, &[&certs[0].1, leaf_key, own_key]);
        }
    }

    /// With `openssl` on the machine, it accepts the chain CA → leaf and every key (an
    /// implementation of X.509 and RSA other than this one); without, nothing is checked.
    fn openssl_verifies(ca: &str, leaf: &str, keys: &[&String]) {
        let run = |args: &[&str]| std::process::Command::new("openssl").args(args).output();
        if run(&["version"]).is_err() {
            eprintln!("openssl not found: certificates not checked with it");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path.display().to_string()
        };
        let (ca, leaf) = (write("ca.pem", ca), write("leaf.pem", leaf));
        let verify = run(&["verify", "-CAfile", &ca, &leaf]).unwrap();
        assert!(
            verify.status.success(),
            "{}",
            String::from_utf8_lossy(&verify.stderr)
        );
        for key in keys {
            let key = write("key.pem", key);
            let check = run(&["rsa", "-check", "-noout", "-in", &key]).unwrap();
            assert!(
                check.status.success(),
                "{}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
    }

    #[test]
    fn a_check_signs_as_a_render_does_and_remembers_what_it_signed() {
        // The same key and certificate, signed remembered (twice: made, then recalled) and not.
        let key = rsa::Key::disposable(2048, false, &mut || 7);
        let pem = der::pem("RSA PRIVATE KEY", &key.private_der());
        let fresh = parse_key(&pem, Keys::Fresh).unwrap();
        let check = parse_key(&pem, Keys::Disposable(Half::First)).unwrap();
        let digest = crate::funcs::encoding::sha256(b"to be signed");
        let signature = fresh.sign_sha256(&digest);
        assert_eq!(check.sign_sha256(&digest), signature);
        assert_eq!(check.sign_sha256(&digest), signature);
        assert!(verifies(b"to be signed", &signature, &fresh));
    }

    #[test]
    fn a_render_only_compared_skips_signatures_and_never_lends_them_to_one_that_signs() {
        let second = Keys::Disposable(Half::Second);
        let certs = certificates(second, 3);
        let [(ca, ca_pem), (leaf, _), (own, own_pem)] = &certs[..] else {
            panic!("{} certificates", certs.len());
        };
        let ca_key = parse_key(ca_pem, second).unwrap();
        let own_key = parse_key(own_pem, second).unwrap();
        for (cert, signer) in [(ca, &ca_key), (leaf, &ca_key), (own, &own_key)] {
            let (tbs, signature) = signed_parts(cert);
            // A signature's length and below the modulus, as one: a certificate's shape.
            assert_eq!(signature.len(), 256);
            assert!(BigUint::from_bytes_be(&signature) < signer.n);
            assert!(!verifies(&tbs, &signature, signer), "not computed");
        }
        // The same key, digest and bytes in a render whose output is read: signed.
        let (tbs, _) = signed_parts(leaf);
        let digest = crate::funcs::encoding::sha256(&tbs);
        let read = parse_key(ca_pem, Keys::Disposable(Half::First)).unwrap();
        assert!(verifies(&tbs, &read.sign_sha256(&digest), &ca_key));
    }

    #[test]
    fn a_key_from_the_chart_is_charged_to_the_budget_by_its_size() {
        // A "key" that passes every check but is 2 × 2^17 bits: signing with it would run
        // cubic arithmetic for hours. Its primes need not be prime: odd and coprime will do.
        let one = BigUint::from(1u32);
        let p = (&one << 131_072u32) + 1u32;
        let q = (&one << 131_072u32) + 3u32;
        let ints = [&(&p * &q), &BigUint::from(65_537u32), &p, &p, &q];
        let mut parts = vec![der::small_int(0)];
        parts.extend(ints.iter().map(|i| der::uint(i)));
        let pem = der::pem("RSA PRIVATE KEY", &der::seq(&parts));
        for call in [
            "genCAWithKey \"x\" 1",
            "genSelfSignedCertWithKey \"x\" (list) (list) 1",
        ] {
            let mut e = Engine::new();
            crate::funcs::register_with(&mut e, Keys::Fresh);
            e.add_template("t", &format!("{{{{ {call} `{pem}` }}}}"))
                .unwrap();
            let err = e.execute("t", Value::Nil).unwrap_err().to_string();
            assert!(err.contains("budget"), "{call}: {err}");
        }
        // A 2048-bit key's charge is a small part of the default budget.
        assert!(key_steps(2048 / 8 * 5) * 100 < gotmpl::DEFAULT_MAX_STEPS);
    }
}
