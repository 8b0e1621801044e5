//! RSA key generation and PKCS#1 v1.5 signatures over `num-bigint`.

use num_bigint::BigUint;

use super::der;
use crate::funcs::memo::{self, Memo};
use monty::Monty;

#[derive(Clone)]
pub struct Key {
    pub n: BigUint,
    pub e: BigUint,
    d: BigUint,
    p: BigUint,
    q: BigUint,
    crt: Crt,
    /// How its signatures are made.
    signing: Signing,
}

/// How a key's signatures are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// Computed for every certificate (`render`).
    Computed,
    /// Computed, and remembered for the process ([`memo`]): a check's renders sign the same
    /// certificates again.
    Remembered,
    /// Not computed: a number below the modulus, of a signature's length, drawn from what is
    /// signed. Only for a render whose output is compared with another one's and read for
    /// nothing else (a check's render with another seed, which tells the values generated:
    /// its keys differ from the first render's, so each of its certificates differs whatever
    /// the signature), where signing is most of a certificate's cost and nothing verifies it.
    Skipped,
}

/// PKCS#1's CRT values, `d mod (p−1)`, `d mod (q−1)` and `q⁻¹ mod p`: found once with the key
/// (the inverse costs as much as a quarter of a signature), for its signatures and its DER.
#[derive(Clone)]
struct Crt {
    dp: BigUint,
    dq: BigUint,
    qinv: BigUint,
}

impl Crt {
    /// `None` unless `p, q > 1` and `q` is invertible modulo `p`.
    fn of(d: &BigUint, p: &BigUint, q: &BigUint) -> Option<Crt> {
        let one = BigUint::from(1u32);
        if *p <= one || *q <= one {
            return None;
        }
        Some(Crt {
            dp: d % (p - &one),
            dq: d % (q - &one),
            // Of an odd modulus (any prime's but 2), by shifts and subtractions.
            qinv: if p.bit(0) {
                monty::inverse(q, p)
            } else {
                q.modinv(p)
            }?,
        })
    }

    /// Whether `dp`, `dq` and `qinv` are the CRT values of `d`, `p` and `q` (`p, q > 1`):
    /// checking a key's stored values costs two divisions and a product, not an inverse.
    fn holds_for(&self, d: &BigUint, p: &BigUint, q: &BigUint) -> bool {
        let one = BigUint::from(1u32);
        self.qinv < *p
            && (q * &self.qinv) % p == one
            && self.dp == d % (p - &one)
            && self.dq == d % (q - &one)
    }
}

/// Odd primes below this sieve candidates before any exponentiation: with ~6,500 of them
/// ~10% of odd candidates survive (~11.6% below 2^14, ~20% below 256), and each survivor
/// costs a full modular exponentiation, while a prime's residues cost a division per word.
const SIEVE_LIMIT: usize = 1 << 16;

fn small_primes() -> &'static [u32] {
    static PRIMES: std::sync::LazyLock<Vec<u32>> = std::sync::LazyLock::new(|| {
        let mut composite = vec![false; SIEVE_LIMIT];
        let mut out = Vec::new();
        for i in 3..SIEVE_LIMIT {
            if composite[i] || i % 2 == 0 {
                continue;
            }
            out.push(i as u32);
            for m in (i * i..SIEVE_LIMIT).step_by(i) {
                composite[m] = true;
            }
        }
        out
    });
    &PRIMES
}

/// How far past a random start the search for a prime goes before drawing a new start (as Go's
/// `rand.Prime` does, which also steps from a random odd number).
const MAX_STEP: u64 = 1 << 20;

pub(super) fn random_bits(bits: usize, rand: &mut dyn FnMut() -> u64) -> BigUint {
    let words = bits.div_ceil(64);
    let mut bytes = Vec::with_capacity(words * 8);
    for _ in 0..words {
        bytes.extend_from_slice(&rand().to_be_bytes());
    }
    let mut n = BigUint::from_bytes_be(&bytes);
    n >>= words * 64 - bits;
    n
}

/// `n mod p` without allocating a big number per prime: half a word at a time, so every
/// step is a 64-bit division (a 128-bit one is a library call).
fn rem_small(n: &BigUint, p: u32) -> u64 {
    let p = u64::from(p);
    n.iter_u64_digits().rev().fold(0u64, |r, digit| {
        let r = (r << 32 | digit >> 32) % p;
        (r << 32 | digit & 0xffff_ffff) % p
    })
}

/// Miller-Rabin rounds for a random candidate of `bits` bits: FIPS 186-5 Table B.1 (error
/// probability 2^-112: 5 rounds for 1024-bit RSA primes, 4 for 2048-bit ones); 20, as Go's
/// `ProbablyPrime(20)`, below the sizes the table covers.
fn rounds(bits: u64) -> usize {
    match bits {
        2048.. => 4,
        1024.. => 5,
        _ => 20,
    }
}

/// Whether the odd `n` is (very probably) prime: trial division, then Miller-Rabin.
pub(super) fn probably_prime(n: &BigUint, rand: &mut dyn FnMut() -> u64) -> bool {
    let small = small_primes();
    if let Some(&last) = small.last()
        && n.bits() <= 32
        && *n <= BigUint::from(last)
    {
        return small.iter().any(|&p| BigUint::from(p) == *n);
    }
    small.iter().all(|&p| rem_small(n, p) != 0) && miller_rabin(n, rand)
}

/// Fermat's test to base 2, then Miller-Rabin with random bases, for an odd `n` that no
/// small prime divides.
fn miller_rabin(n: &BigUint, rand: &mut dyn FnMut() -> u64) -> bool {
    let Some(monty) = Monty::new(n) else {
        return false;
    };
    if !monty.fermat_base_two() {
        return false;
    }
    let n1 = n - 1u32;
    let s = n1.trailing_zeros().unwrap_or(0);
    let d = &n1 >> s;
    (0..rounds(n.bits())).all(|_| {
        let a = random_bits(n.bits() as usize - 1, rand) + 2u32;
        monty.strong_probable_prime(&a, &d, s)
    })
}

/// Odd candidates sieved at a time.
const WINDOW: usize = 4096;

/// A random prime of exactly `bits` bits, its top two bits set (so that `p·q` has all its bits).
fn prime(bits: usize, rand: &mut dyn FnMut() -> u64) -> BigUint {
    loop {
        let start = prime_start(bits, rand);
        if let Some(p) = prime_from(&start, bits, rand) {
            return p;
        }
    }
}

/// Where a search for a prime of `bits` bits starts: a random odd number, its top two bits set.
fn prime_start(bits: usize, rand: &mut dyn FnMut() -> u64) -> BigUint {
    let mut start = random_bits(bits, rand);
    start.set_bit(bits as u64 - 1, true);
    start.set_bit(bits as u64 - 2, true);
    start.set_bit(0, true);
    start
}

/// The first prime at or above `start` (odd) that has `bits` bits, within [`MAX_STEP`];
/// `rand` draws only Miller-Rabin's bases, so the prime is the start's alone.
fn prime_from(start: &BigUint, bits: usize, rand: &mut dyn FnMut() -> u64) -> Option<BigUint> {
    let primes = small_primes();
    let residues: Vec<u64> = primes.iter().map(|&p| rem_small(start, p)).collect();
    let mut composite = vec![false; WINDOW];
    let mut base = 0u64;
    while base < MAX_STEP {
        strike_multiples(primes, &residues, base, &mut composite);
        for (i, _) in composite.iter().enumerate().filter(|(_, c)| !**c) {
            let candidate = start + (base + 2 * i as u64);
            if candidate.bits() != bits as u64 {
                // Past the size: the rest of this search would be too.
                return None;
            }
            if miller_rabin(&candidate, rand) {
                return Some(candidate);
            }
        }
        base += 2 * WINDOW as u64;
    }
    None
}

/// Marks candidate `i` of a window (`start + base + 2i`) when a small prime divides it, from
/// `start`'s residues: 2i ≡ -(start + base) (mod p), and (p + 1) / 2 is 2's inverse.
fn strike_multiples(primes: &[u32], residues: &[u64], base: u64, composite: &mut [bool]) {
    composite.fill(false);
    for (&p, &r) in primes.iter().zip(residues) {
        let p = u64::from(p);
        let off = (r + base) % p;
        let mut i = ((p - off) % p * p.div_ceil(2) % p) as usize;
        while i < composite.len() {
            composite[i] = true;
            i += p as usize;
        }
    }
}

/// The primes `p` and `q` of a key, searched on two threads (each search takes milliseconds).
/// Both starts, which alone decide the primes, are drawn from `rand` (the operating system's
/// generator unless the render is seeded); `q`'s Miller-Rabin bases come from a generator of
/// its own, seeded from `rand`, so a seeded render still gives the same key.
fn prime_pair(bits: usize, rand: &mut dyn FnMut() -> u64) -> (BigUint, BigUint) {
    let q_bits = bits - bits / 2;
    let q_start = prime_start(q_bits, rand);
    let mut q_rand = xorshift(rand());
    std::thread::scope(|scope| {
        let q_search = std::thread::Builder::new()
            .spawn_scoped(scope, || prime_from(&q_start, q_bits, &mut q_rand))
            .ok();
        let p = prime(bits / 2, rand);
        let q = q_search.and_then(|t| t.join().ok()).flatten();
        let q = q.unwrap_or_else(|| prime(q_bits, rand));
        (p, q)
    })
}

/// The engine's generator (xorshift64*), from its own seed.
fn xorshift(seed: u64) -> impl FnMut() -> u64 + Send {
    let mut state = seed | 1;
    move || {
        let (next, out) = gotmpl::xorshift_step(state);
        state = next;
        out
    }
}

/// Where the primes of the disposable pools start: each pool prime is the first prime at or
/// above [`pool_start`] (a number drawn from this seed, its top two bits and its low bit set)
/// for which 65537 is invertible.
const POOL_SEED: u64 = 0x6469_7370_6f73_6162;

/// Primes per pool, in two halves of 16: a disposable key is an ordered pair of distinct
/// primes of one half, 240 keys per size and half. Renders drawing from different halves
/// never share a key, which is how `check` finds every generated key to mask it.
const POOL: usize = 32;
const HALF: usize = POOL / 2;

/// How far above its start each pool prime lies, found once by searching upwards from the
/// start (the test `the_pools_hold_primes_at_their_offsets` checks them): a pool costs no
/// search at run time.
const POOL_OFFSETS: [(usize, [u32; POOL]); 2] = [
    (
        1024,
        [
            1282, 612, 882, 74, 1274, 1516, 74, 384, 460, 2098, 616, 496, 34, 110, 216, 906, 184,
            852, 650, 210, 114, 288, 362, 30, 34, 3904, 148, 26, 440, 292, 44, 606,
        ],
    ),
    (
        2048,
        [
            2564, 1832, 3338, 802, 3280, 428, 1710, 978, 1820, 780, 4168, 1534, 434, 962, 1200,
            1574, 1032, 530, 3688, 3354, 326, 6648, 544, 154, 1428, 1114, 90, 518, 1424, 12162,
            2762, 38,
        ],
    ),
];

fn pool_start(bits: usize, i: usize) -> BigUint {
    let mut start = random_bits(
        bits,
        &mut xorshift(POOL_SEED ^ ((bits as u64) << 32) ^ ((i as u64) << 1)),
    );
    start.set_bit(bits as u64 - 1, true);
    start.set_bit(bits as u64 - 2, true);
    start.set_bit(0, true);
    start
}

/// The pool of `bits`-bit primes, built at first use; `None` for a size without one.
fn pool(bits: usize) -> Option<&'static [BigUint]> {
    static POOLS: [std::sync::OnceLock<Vec<BigUint>>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let slot = POOL_OFFSETS.iter().position(|(b, _)| *b == bits)?;
    let primes = POOLS[slot].get_or_init(|| {
        let offsets = &POOL_OFFSETS[slot].1;
        (0..POOL)
            .map(|i| pool_start(bits, i) + offsets[i])
            .collect()
    });
    Some(primes)
}

/// The disposable key of pool primes `i` and `j` for keys of `bits` bits, made (by `make`)
/// once per process: a check's renders draw the same few keys again and again. At most a
/// thousand keys (two sizes, two halves of 240 pairs).
fn pool_key(bits: usize, i: usize, j: usize, make: impl FnOnce() -> Option<Key>) -> Option<Key> {
    type Keys = std::collections::BTreeMap<(usize, usize, usize), Option<Key>>;
    static KEYS: std::sync::Mutex<Keys> = std::sync::Mutex::new(Keys::new());
    if let Some(key) = KEYS.lock().ok().and_then(|k| k.get(&(bits, i, j)).cloned()) {
        return key;
    }
    let key = make();
    if let Ok(mut keys) = KEYS.lock() {
        keys.insert((bits, i, j), key.clone());
    }
    key
}

impl Key {
    pub fn generate(bits: usize, rand: &mut dyn FnMut() -> u64) -> Key {
        loop {
            let (p, q) = prime_pair(bits, rand);
            if let Some(key) = Key::from_primes(p, q) {
                return key;
            }
        }
    }

    /// A valid key of `bits` bits for a render whose generated values never leave the process
    /// (a static check): its primes are drawn from one half of a fixed pool (the second when
    /// `second_half`), so it costs no prime search, and anyone can know it. Never for output
    /// someone may deploy.
    pub fn disposable(bits: usize, second_half: bool, rand: &mut dyn FnMut() -> u64) -> Key {
        let Some(pool) = pool(bits / 2).filter(|_| bits.is_multiple_of(2)) else {
            return Key::generate(bits, rand);
        };
        let primes = if second_half {
            &pool[HALF..]
        } else {
            &pool[..HALF]
        };
        let i = (rand() % HALF as u64) as usize;
        let j = (i + 1 + (rand() % (HALF as u64 - 1)) as usize) % HALF;
        let offset = if second_half { HALF } else { 0 };
        let made = pool_key(bits, offset + i, offset + j, || {
            Key::from_primes(primes[i].clone(), primes[j].clone())
        });
        made.unwrap_or_else(|| Key::generate(bits, rand))
    }

    /// The key of primes `p` and `q`; `None` when they are equal or `e` has no inverse.
    fn from_primes(p: BigUint, q: BigUint) -> Option<Key> {
        let e = BigUint::from(65_537u32);
        let one = BigUint::from(1u32);
        if p == q {
            return None;
        }
        let phi = (&p - &one) * (&q - &one);
        let d = e.modinv(&phi)?;
        let crt = Crt::of(&d, &p, &q)?;
        Some(Key {
            n: &p * &q,
            e,
            d,
            p,
            q,
            crt,
            signing: Signing::Computed,
        })
    }

    /// PKCS#1 `RSAPrivateKey`.
    pub fn private_der(&self) -> Vec<u8> {
        let Crt { dp, dq, qinv } = &self.crt;
        der::seq(&[
            der::small_int(0),
            der::uint(&self.n),
            der::uint(&self.e),
            der::uint(&self.d),
            der::uint(&self.p),
            der::uint(&self.q),
            der::uint(dp),
            der::uint(dq),
            der::uint(qinv),
        ])
    }

    /// Reads a PKCS#1 `RSAPrivateKey`.
    pub fn from_private_der(b: &[u8]) -> Option<Key> {
        let (_, mut body, _) = der::read(b)?;
        let mut ints = Vec::new();
        while !body.is_empty() {
            let (_, v, rest) = der::read(body)?;
            ints.push(BigUint::from_bytes_be(v));
            body = rest;
        }
        let [_, n, e, d, p, q, stored @ ..] = &ints[..] else {
            return None;
        };
        // Go's `ParsePKCS1PrivateKey` validates the key too; the signing arithmetic relies on it.
        // The stored CRT values are taken when they are right (as keys written here always
        // are), found again otherwise.
        let stored = match stored {
            [dp, dq, qinv, ..] => Some(Crt {
                dp: dp.clone(),
                dq: dq.clone(),
                qinv: qinv.clone(),
            }),
            _ => None,
        };
        let one = BigUint::from(1u32);
        if *p <= one || *q <= one || p * q != *n {
            return None;
        }
        let crt = match stored {
            Some(crt) if crt.holds_for(d, p, q) => crt,
            _ => Crt::of(d, p, q)?,
        };
        Some(Key {
            n: n.clone(),
            e: e.clone(),
            d: d.clone(),
            p: p.clone(),
            q: q.clone(),
            crt,
            signing: Signing::Computed,
        })
    }

    /// `SubjectPublicKeyInfo` for this key.
    pub fn public_info(&self) -> Vec<u8> {
        der::seq(&[
            der::seq(&[der::oid(&[1, 2, 840, 113549, 1, 1, 1]), der::null()]),
            der::bits(&self.public_der()),
        ])
    }

    /// PKCS#1 `RSAPublicKey`.
    pub fn public_der(&self) -> Vec<u8> {
        der::seq(&[der::uint(&self.n), der::uint(&self.e)])
    }

    /// `m^d mod n` by the Chinese remainder theorem: two half-size exponentiations, about
    /// three times faster than one with `d` and `n`.
    fn private_op(&self, m: &BigUint) -> BigUint {
        let Crt { dp, dq, qinv } = &self.crt;
        let pow = |x: &BigUint, e: &BigUint, n: &BigUint| match Monty::new(n) {
            Some(monty) => monty.pow(x, e),
            None => x.modpow(e, n),
        };
        let s1 = pow(m, dp, &self.p);
        let s2 = pow(m, dq, &self.q);
        // h = qinv·(s1 − s2) mod p, kept non-negative by adding p first.
        let h = (qinv * (&s1 + &self.p - (&s2 % &self.p))) % &self.p;
        s2 + h * &self.q
    }

    /// This key, signing as `signing` says.
    pub fn signing(self, signing: Signing) -> Key {
        Key { signing, ..self }
    }

    /// PKCS#1 v1.5 signature of a SHA-256 digest, made as the key says ([`Signing`]; when
    /// remembered, the modulus, `p`, `d` and the digest decide it).
    pub fn sign_sha256(&self, digest: &[u8; 32]) -> Vec<u8> {
        static SIGNATURES: Memo<Vec<u8>> = Memo::new();
        match self.signing {
            Signing::Computed => return self.sign(digest),
            // Never remembered: a key that signs the same digest must not find these bytes.
            Signing::Skipped => return self.unsigned(digest),
            Signing::Remembered => {}
        }
        let inputs = memo::digest(&[
            &self.n.to_bytes_be(),
            &self.p.to_bytes_be(),
            &self.d.to_bytes_be(),
            digest,
        ]);
        SIGNATURES.get_or(inputs, || self.sign(digest))
    }

    /// What [`Signing::Skipped`] gives for a signature of `digest`: the signature's length,
    /// below the modulus, the same for the same key and digest.
    fn unsigned(&self, digest: &[u8; 32]) -> Vec<u8> {
        let k = self.n.bits().div_ceil(8) as usize;
        let mut bytes = Vec::with_capacity(k + 32);
        let mut block = 0u32;
        while bytes.len() < k {
            let seed = [&block.to_be_bytes()[..], digest].concat();
            bytes.extend_from_slice(&crate::funcs::encoding::sha256(&seed));
            block += 1;
        }
        bytes.truncate(k);
        signature_bytes(&(BigUint::from_bytes_be(&bytes) % &self.n), k)
    }

    fn sign(&self, digest: &[u8; 32]) -> Vec<u8> {
        let k = self.n.bits().div_ceil(8) as usize;
        let info = der::seq(&[
            der::seq(&[der::oid(&[2, 16, 840, 1, 101, 3, 4, 2, 1]), der::null()]),
            der::octets(digest),
        ]);
        let mut em = vec![0x00, 0x01];
        em.resize(k.saturating_sub(info.len() + 1), 0xff);
        em.push(0x00);
        em.extend_from_slice(&info);
        signature_bytes(&self.private_op(&BigUint::from_bytes_be(&em)), k)
    }
}

/// A signature `s` as PKCS#1 writes it: `k` bytes (the modulus's length), big-endian.
fn signature_bytes(s: &BigUint, k: usize) -> Vec<u8> {
    let mut out = s.to_bytes_be();
    while out.len() < k {
        out.insert(0, 0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pools_hold_primes_at_their_offsets() {
        let one = BigUint::from(1u32);
        let e = BigUint::from(65_537u32);
        for (bits, _) in POOL_OFFSETS {
            let primes = pool(bits).unwrap();
            let distinct: std::collections::BTreeSet<&BigUint> = primes.iter().collect();
            assert_eq!(distinct.len(), POOL, "{bits}-bit pool primes are distinct");
            for p in primes {
                assert_eq!(p.bits(), bits as u64);
                assert!(
                    p.bit(bits as u64 - 2),
                    "second bit set, so p·q keeps its size"
                );
                assert!(small_primes().iter().all(|&s| rem_small(p, s) != 0));
                assert!(miller_rabin(p, &mut xorshift(13)), "{bits}-bit pool prime");
                assert!(e.modinv(&(p - &one)).is_some(), "e invertible mod p-1");
            }
        }
    }

    #[test]
    fn disposable_keys_are_valid_full_size_keys_that_vary_with_the_draws() {
        let mut rand = xorshift(21);
        let keys: Vec<Key> = (0..8)
            .map(|i| Key::disposable(2048, i % 2 == 1, &mut rand))
            .collect();
        let one = BigUint::from(1u32);
        for key in &keys {
            assert_eq!(key.n.bits(), 2048);
            let phi = (&key.p - &one) * (&key.q - &one);
            assert_eq!((&key.e * &key.d) % phi, one);
            let parsed = Key::from_private_der(&key.private_der()).unwrap();
            let m = random_bits(2000, &mut xorshift(4));
            let signed = parsed.private_op(&m);
            assert_eq!(signed.modpow(&key.e, &key.n), m, "signatures verify");
        }
        let moduli: std::collections::BTreeSet<&BigUint> = keys.iter().map(|k| &k.n).collect();
        assert_eq!(moduli.len(), keys.len());
        let primes_of = |second: bool| -> std::collections::BTreeSet<&BigUint> {
            keys.iter()
                .enumerate()
                .filter(|(i, _)| (i % 2 == 1) == second)
                .flat_map(|(_, k)| [&k.p, &k.q])
                .collect()
        };
        assert!(
            primes_of(false).is_disjoint(&primes_of(true)),
            "the halves share no prime"
        );
        assert_eq!(Key::disposable(4096, false, &mut rand).n.bits(), 4096);
    }

    #[test]
    fn the_sieve_holds_the_odd_primes_below_its_limit() {
        let primes = small_primes();
        // π(65536) = 6542, less the prime 2.
        assert_eq!(primes.len(), 6541);
        assert_eq!(&primes[..5], &[3, 5, 7, 11, 13]);
        assert_eq!(primes.last(), Some(&65521));
    }

    #[test]
    fn the_window_sieve_strikes_exactly_the_multiples_of_small_primes() {
        let primes = small_primes();
        let start = random_bits(512, &mut xorshift(11)) | BigUint::from(1u32);
        let residues: Vec<u64> = primes.iter().map(|&p| rem_small(&start, p)).collect();
        let mut composite = vec![false; 3000];
        let base = 2 * 3000;
        strike_multiples(primes, &residues, base, &mut composite);
        for (i, &struck) in composite.iter().enumerate() {
            let candidate = &start + (base + 2 * i as u64);
            let divisible = primes.iter().any(|&p| rem_small(&candidate, p) == 0);
            assert_eq!(struck, divisible, "candidate {i}");
        }
    }

    #[test]
    fn the_private_operation_by_crt_is_plain_exponentiation() {
        let key = Key::generate(512, &mut xorshift(5));
        for seed in 1..20u64 {
            let m = random_bits(500, &mut xorshift(seed));
            assert_eq!(key.private_op(&m), m.modpow(&key.d, &key.n));
        }
    }

    #[test]
    fn stored_crt_values_are_taken_only_when_right() {
        let key = Key::generate(512, &mut xorshift(17));
        let mut wrong = key.clone();
        wrong.crt.qinv = &key.crt.qinv + 1u32;
        wrong.crt.dq = &key.crt.dq + 2u32;
        let parsed = Key::from_private_der(&wrong.private_der()).unwrap();
        assert_eq!(parsed.private_der(), key.private_der(), "found again");
        let digest = [9u8; 32];
        assert_eq!(parsed.sign_sha256(&digest), key.sign_sha256(&digest));
        // Without them (six integers), they are found too.
        let short = der::seq(&[
            der::small_int(0),
            der::uint(&key.n),
            der::uint(&key.e),
            der::uint(&key.d),
            der::uint(&key.p),
            der::uint(&key.q),
        ]);
        let parsed = Key::from_private_der(&short).unwrap();
        assert_eq!(parsed.private_der(), key.private_der());
    }

    #[test]
    fn inconsistent_private_keys_are_refused() {
        let key = Key::generate(512, &mut xorshift(9));
        assert!(Key::from_private_der(&key.private_der()).is_some());
        let broken = Key {
            n: &key.n + 2u32,
            e: key.e.clone(),
            d: key.d.clone(),
            p: key.p.clone(),
            q: key.q.clone(),
            crt: key.crt.clone(),
            signing: Signing::Computed,
        };
        assert!(Key::from_private_der(&broken.private_der()).is_none());
        let zero = BigUint::default();
        let zeros = der::seq(&[
            der::small_int(0),
            der::uint(&zero),
            der::uint(&key.e),
            der::uint(&zero),
            der::uint(&zero),
            der::uint(&zero),
        ]);
        assert!(Key::from_private_der(&zeros).is_none());
    }

    #[test]
    fn small_remainders_match_big_number_arithmetic() {
        let n = random_bits(1000, &mut xorshift(7));
        for p in [3u32, 251, 16381, 65521] {
            assert_eq!(BigUint::from(rem_small(&n, p)), &n % p);
        }
    }

    #[test]
    fn primes_have_their_exact_size_and_pass_fermat() {
        let mut rand = xorshift(42);
        for bits in [256, 512] {
            let p = prime(bits, &mut rand);
            assert_eq!(p.bits(), bits as u64);
            assert!(
                p.bit(bits as u64 - 2),
                "second bit set, so p·q keeps its size"
            );
            let one = BigUint::from(1u32);
            for base in [2u32, 3, 5, 7] {
                assert_eq!(BigUint::from(base).modpow(&(&p - &one), &p), one);
            }
        }
    }

    #[test]
    fn generated_keys_invert_the_public_exponent() {
        let key = Key::generate(512, &mut xorshift(3));
        assert_eq!(key.n.bits(), 512);
        let one = BigUint::from(1u32);
        let phi = (&key.p - &one) * (&key.q - &one);
        assert_eq!((&key.e * &key.d) % phi, one);
    }
}
