//! DSA keys as Sprig's `genPrivateKey "dsa"` makes them: Go's `dsa.GenerateParameters` with
//! L = 2048, N = 256 (a 256-bit prime q, a 2048-bit prime p = kq + 1 and a generator g of the
//! order-q subgroup), then `dsa.GenerateKey` (x in [1, q), y = g^x mod p), written as the DER
//! of `SEQUENCE { 0, p, q, g, y, x }` (Sprig's `DSAKeyFormat`).

use num_bigint::BigUint;

use super::der;
use super::rsa::{probably_prime, random_bits};

const L: usize = 2048;
const N: usize = 256;

/// The DER of a new key.
pub fn generate(rand: &mut dyn FnMut() -> u64) -> Vec<u8> {
    let one = BigUint::from(1u32);
    let (p, q) = 'search: loop {
        let mut q = random_bits(N, rand);
        q.set_bit(N as u64 - 1, true);
        q.set_bit(0, true);
        if !probably_prime(&q, rand) {
            continue;
        }
        for _ in 0..4 * L {
            let mut p = random_bits(L, rand);
            p.set_bit(L as u64 - 1, true);
            p.set_bit(0, true);
            // Down to the nearest p ≡ 1 (mod q), as Go does.
            let rem = &p % &q;
            p = p - rem + &one;
            if p.bits() < L as u64 || !probably_prime(&p, rand) {
                continue;
            }
            break 'search (p, q);
        }
    };
    let e = (&p - &one) / &q;
    let mut h = BigUint::from(2u32);
    let g = loop {
        let g = h.modpow(&e, &p);
        if g != one {
            break g;
        }
        h += 1u32;
    };
    let x = loop {
        let x = random_bits(N, rand);
        if x.bits() > 0 && x < q {
            break x;
        }
    };
    let y = g.modpow(&x, &p);
    der::seq(&[
        der::small_int(0),
        der::uint(&p),
        der::uint(&q),
        der::uint(&g),
        der::uint(&y),
        der::uint(&x),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_satisfies_the_dsa_relations() {
        let mut state = 11u64;
        let mut rand = move || {
            let (next, out) = gotmpl::xorshift_step(state);
            state = next;
            out
        };
        let key = generate(&mut rand);
        let (_, mut body, _) = der::read(&key).unwrap();
        let mut ints = Vec::new();
        while !body.is_empty() {
            let (_, v, rest) = der::read(body).unwrap();
            ints.push(BigUint::from_bytes_be(v));
            body = rest;
        }
        let [version, p, q, g, y, x] = &ints[..] else {
            panic!("{} integers", ints.len());
        };
        assert_eq!(version, &BigUint::from(0u32));
        assert_eq!((p.bits(), q.bits()), (2048, 256));
        assert_eq!((p - 1u32) % q, BigUint::from(0u32));
        assert_eq!(g.modpow(q, p), BigUint::from(1u32), "g has order q");
        assert_eq!(&g.modpow(x, p), y);
    }
}
