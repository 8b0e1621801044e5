//! RSA key generation and PKCS#1 v1.5 signatures over `num-bigint`.

use num_bigint::BigUint;

use super::der;

pub struct Key {
    pub n: BigUint,
    pub e: BigUint,
    d: BigUint,
    p: BigUint,
    q: BigUint,
}

const SMALL_PRIMES: &[u32] = &[
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193,
    197, 199, 211, 223, 227, 229, 233, 239, 241, 251,
];

fn random_bits(bits: usize, rand: &mut dyn FnMut() -> u64) -> BigUint {
    let words = bits.div_ceil(64);
    let mut bytes = Vec::with_capacity(words * 8);
    for _ in 0..words {
        bytes.extend_from_slice(&rand().to_be_bytes());
    }
    let mut n = BigUint::from_bytes_be(&bytes);
    n >>= words * 64 - bits;
    n
}

fn probably_prime(n: &BigUint, rand: &mut dyn FnMut() -> u64) -> bool {
    for &p in SMALL_PRIMES {
        if (n % p) == BigUint::ZERO {
            return *n == BigUint::from(p);
        }
    }
    let one = BigUint::from(1u32);
    let n1 = n - &one;
    let s = n1.trailing_zeros().unwrap_or(0);
    let d = &n1 >> s;
    'witness: for _ in 0..20 {
        let a = random_bits(n.bits() as usize - 1, rand) + 2u32;
        let mut x = a.modpow(&d, n);
        if x == one || x == n1 {
            continue;
        }
        for _ in 1..s {
            x = x.modpow(&BigUint::from(2u32), n);
            if x == n1 {
                continue 'witness;
            }
        }
        return false;
    }
    true
}

fn prime(bits: usize, rand: &mut dyn FnMut() -> u64) -> BigUint {
    loop {
        let mut c = random_bits(bits, rand);
        c.set_bit(bits as u64 - 1, true);
        c.set_bit(bits as u64 - 2, true);
        c.set_bit(0, true);
        if probably_prime(&c, rand) {
            return c;
        }
    }
}

impl Key {
    pub fn generate(bits: usize, rand: &mut dyn FnMut() -> u64) -> Key {
        let e = BigUint::from(65_537u32);
        let one = BigUint::from(1u32);
        loop {
            let p = prime(bits / 2, rand);
            let q = prime(bits - bits / 2, rand);
            if p == q {
                continue;
            }
            let phi = (&p - &one) * (&q - &one);
            let Some(d) = e.modinv(&phi) else {
                continue;
            };
            return Key {
                n: &p * &q,
                e,
                d,
                p,
                q,
            };
        }
    }

    /// PKCS#1 `RSAPrivateKey`.
    pub fn private_der(&self) -> Vec<u8> {
        let one = BigUint::from(1u32);
        let dp = &self.d % (&self.p - &one);
        let dq = &self.d % (&self.q - &one);
        let qinv = self.q.modinv(&self.p).unwrap_or_default();
        der::seq(&[
            der::small_int(0),
            der::uint(&self.n),
            der::uint(&self.e),
            der::uint(&self.d),
            der::uint(&self.p),
            der::uint(&self.q),
            der::uint(&dp),
            der::uint(&dq),
            der::uint(&qinv),
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
        Some(Key {
            n: ints.get(1)?.clone(),
            e: ints.get(2)?.clone(),
            d: ints.get(3)?.clone(),
            p: ints.get(4)?.clone(),
            q: ints.get(5)?.clone(),
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

    /// PKCS#1 v1.5 signature of a SHA-256 digest.
    pub fn sign_sha256(&self, digest: &[u8; 32]) -> Vec<u8> {
        let k = self.n.bits().div_ceil(8) as usize;
        let info = der::seq(&[
            der::seq(&[der::oid(&[2, 16, 840, 1, 101, 3, 4, 2, 1]), der::null()]),
            der::octets(digest),
        ]);
        let mut em = vec![0x00, 0x01];
        em.resize(k.saturating_sub(info.len() + 1), 0xff);
        em.push(0x00);
        em.extend_from_slice(&info);
        let s = BigUint::from_bytes_be(&em).modpow(&self.d, &self.n);
        let mut out = s.to_bytes_be();
        while out.len() < k {
            out.insert(0, 0);
        }
        out
    }
}
