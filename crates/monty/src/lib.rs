//! Modular exponentiation for the prime searches and signatures of key generation (Helm's
//! `genCA` & co. in `rollguard-helm`), in
//! Montgomery form over fixed-width 64-bit limbs: the exponentiations of Miller-Rabin are
//! nearly all of an RSA key's cost. Measured per 1024-bit exponentiation (release, loaded
//! machine): `num-bigint`'s `modpow` 4.0 ms, `crypto-bigint`'s constant-time `BoxedMontyForm`
//! 2.0 ms (and slower than `num-bigint` at 2048 bits), this about 4× faster than `num-bigint`:
//! one buffer per operand, no allocation inside the loop, a 4-bit window.

use num_bigint::BigUint;

/// Arithmetic modulo an odd `n > 1`; numbers are `limbs` little-endian words below `n`.
pub struct Monty {
    modulus: BigUint,
    n: Vec<u64>,
    /// `-n⁻¹ mod 2⁶⁴`.
    n0: u64,
    /// `R² mod n`, `R = 2^(64·limbs)`: multiplying by it enters Montgomery form.
    r2: Vec<u64>,
    /// `R mod n`: 1 in Montgomery form.
    one: Vec<u64>,
    /// `n − R mod n`: −1 in Montgomery form.
    minus_one: Vec<u64>,
}

/// The little-endian words of `x`, zero-padded to `len`.
fn limbs(x: &BigUint, len: usize) -> Vec<u64> {
    let mut out: Vec<u64> = x.iter_u64_digits().collect();
    out.resize(len, 0);
    out
}

fn to_big(x: &[u64]) -> BigUint {
    let bytes: Vec<u8> = x.iter().flat_map(|w| w.to_le_bytes()).collect();
    BigUint::from_bytes_le(&bytes)
}

/// `-n0⁻¹ mod 2⁶⁴` for an odd `n0`, by Newton's iteration (each step doubles the correct bits).
fn neg_inverse(n0: u64) -> u64 {
    let mut inv: u64 = 1;
    for _ in 0..6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(n0.wrapping_mul(inv)));
    }
    inv.wrapping_neg()
}

impl Monty {
    /// `None` unless `n` is odd and above 1.
    pub fn new(n: &BigUint) -> Option<Monty> {
        if !n.bit(0) || n.bits() < 2 {
            return None;
        }
        let len = n.bits().div_ceil(64) as usize;
        let r = BigUint::from(1u32) << (64 * len);
        let one = &r % n;
        let r2 = (&one * &one) % n;
        let n_limbs = limbs(n, len);
        Some(Monty {
            n0: neg_inverse(n_limbs[0]),
            r2: limbs(&r2, len),
            minus_one: limbs(&(n - &one), len),
            one: limbs(&one, len),
            n: n_limbs,
            modulus: n.clone(),
        })
    }

    /// `a·b·R⁻¹ mod n` into `out`; `t` is scratch of `limbs + 1` words.
    fn mul_into(&self, a: &[u64], b: &[u64], out: &mut [u64], t: &mut [u64]) {
        // The sizes of 1024- and 2048-bit moduli (RSA primes and DSA's p) as constants: with
        // the lengths known, the compiler unrolls the kernel and drops its bounds checks.
        match self.n.len() {
            16 => mul_kernel(&self.n[..16], self.n0, a, b, out, t),
            32 => mul_kernel(&self.n[..32], self.n0, a, b, out, t),
            _ => mul_kernel(&self.n, self.n0, a, b, out, t),
        }
    }

    /// `a²·R⁻¹ mod n` into `out`; `t` is scratch of `2·limbs + 1` words. Squarings are nearly
    /// all of an exponentiation.
    fn square_into(&self, a: &[u64], out: &mut [u64], t: &mut [u64]) {
        match self.n.len() {
            16 => square_kernel(&self.n[..16], self.n0, a, out, t),
            32 => square_kernel(&self.n[..32], self.n0, a, out, t),
            _ => square_kernel(&self.n, self.n0, a, out, t),
        }
    }

    fn mul(&self, a: &[u64], b: &[u64], t: &mut [u64]) -> Vec<u64> {
        let mut out = vec![0; self.n.len()];
        self.mul_into(a, b, &mut out, t);
        out
    }

    fn scratch(&self) -> Vec<u64> {
        vec![0; 2 * self.n.len() + 1]
    }

    /// `x` (any size) in Montgomery form.
    fn enter(&self, x: &BigUint, t: &mut [u64]) -> Vec<u64> {
        let reduced = limbs(&(x % &self.modulus), self.n.len());
        self.mul(&reduced, &self.r2, t)
    }

    /// `base^exp mod n`, Montgomery form in and out: a 4-bit window, so an exponent of k bits
    /// costs k squarings and k/4 multiplications.
    fn pow_monty(&self, base: &[u64], exp: &BigUint, t: &mut [u64]) -> Vec<u64> {
        let mut table = vec![self.one.clone(), base.to_vec()];
        for i in 2..16 {
            let next = self.mul(&table[i - 1], base, t);
            table.push(next);
        }
        let mut acc = self.one.clone();
        let mut tmp = vec![0; self.n.len()];
        let windows = exp.bits().div_ceil(4);
        for w in (0..windows).rev() {
            if w + 1 != windows {
                for _ in 0..4 {
                    self.square_into(&acc, &mut tmp, t);
                    std::mem::swap(&mut acc, &mut tmp);
                }
            }
            let digit = (0..4).fold(0usize, |d, k| d | usize::from(exp.bit(4 * w + k)) << k);
            if digit != 0 {
                self.mul_into(&acc, &table[digit], &mut tmp, t);
                std::mem::swap(&mut acc, &mut tmp);
            }
        }
        acc
    }

    /// `base^exp mod n`.
    pub fn pow(&self, base: &BigUint, exp: &BigUint) -> BigUint {
        let mut t = self.scratch();
        let b = self.enter(base, &mut t);
        let r = self.pow_monty(&b, exp, &mut t);
        let mut unit = vec![0; self.n.len()];
        unit[0] = 1;
        to_big(&self.mul(&r, &unit, &mut t))
    }

    /// Whether `2^(n−1) ≡ 1 (mod n)`: Fermat's test to base 2, which rejects nearly every
    /// composite a prime search meets for squarings alone (multiplying by 2 is doubling), a
    /// fifth cheaper than a Miller-Rabin round with a random base.
    pub fn fermat_base_two(&self) -> bool {
        let s = self.n.len();
        let mut t = self.scratch();
        let mut acc = self.one.clone();
        let mut tmp = vec![0; s];
        let exp = &self.modulus - 1u32;
        for bit in (0..exp.bits()).rev() {
            self.square_into(&acc, &mut tmp, &mut t);
            std::mem::swap(&mut acc, &mut tmp);
            if exp.bit(bit) {
                self.double(&mut acc);
            }
        }
        acc == self.one
    }

    /// `x ← 2x mod n` for `x < n`.
    fn double(&self, x: &mut [u64]) {
        let mut top = 0;
        for w in x.iter_mut() {
            let next = *w >> 63;
            *w = *w << 1 | top;
            top = next;
        }
        if top != 0 || !less(x, &self.n) {
            subtract(x, &self.n);
        }
    }

    /// Miller-Rabin's test of `n` (this modulus, odd, `n − 1 = d·2^s`) with `base`: false
    /// when `base` proves `n` composite.
    pub fn strong_probable_prime(&self, base: &BigUint, d: &BigUint, s: u64) -> bool {
        let mut t = self.scratch();
        let b = self.enter(base, &mut t);
        let mut x = self.pow_monty(&b, d, &mut t);
        if x == self.one || x == self.minus_one {
            return true;
        }
        let mut tmp = vec![0; self.n.len()];
        for _ in 1..s {
            self.square_into(&x, &mut tmp, &mut t);
            std::mem::swap(&mut x, &mut tmp);
            if x == self.minus_one {
                return true;
            }
        }
        false
    }
}

/// `a·b·R⁻¹ mod n` into `out` (`n0 = −n⁻¹ mod 2⁶⁴`): multiplication and reduction fused word
/// by word (each step adds `a·bᵢ` and `m·n` and shifts one word down); `t` is scratch of
/// `limbs + 1` words. Inlined into callers that fix `n`'s length.
#[inline(always)]
fn mul_kernel(n: &[u64], n0: u64, a: &[u64], b: &[u64], out: &mut [u64], t: &mut [u64]) {
    let s = n.len();
    // Equal lengths up front, so the loops run without bounds checks.
    let (a, b, out, t) = (&a[..s], &b[..s], &mut out[..s], &mut t[..s + 1]);
    t.fill(0);
    for &bi in b {
        let v = u128::from(t[0]) + u128::from(a[0]) * u128::from(bi);
        let m = (v as u64).wrapping_mul(n0);
        let w = u128::from(v as u64) + u128::from(m) * u128::from(n[0]);
        let (mut c1, mut c2) = ((v >> 64) as u64, (w >> 64) as u64);
        for j in 1..s {
            let v = u128::from(t[j]) + u128::from(a[j]) * u128::from(bi) + u128::from(c1);
            c1 = (v >> 64) as u64;
            let w = u128::from(v as u64) + u128::from(m) * u128::from(n[j]) + u128::from(c2);
            c2 = (w >> 64) as u64;
            t[j - 1] = w as u64;
        }
        let v = u128::from(t[s]) + u128::from(c1) + u128::from(c2);
        t[s - 1] = v as u64;
        t[s] = (v >> 64) as u64;
    }
    // t < 2n: one subtraction at most brings it below n.
    if t[s] != 0 || !less(&t[..s], n) {
        subtract(&mut t[..s], n);
    }
    out.copy_from_slice(&t[..s]);
}

/// `a²·R⁻¹ mod n` into `out`: the square first, each cross product once and doubled (a
/// quarter fewer multiplications than [`mul_kernel`]), then its reduction; `t` is scratch of
/// `2·limbs + 1` words. Inlined into callers that fix `n`'s length.
#[inline(always)]
fn square_kernel(n: &[u64], n0: u64, a: &[u64], out: &mut [u64], t: &mut [u64]) {
    let s = n.len();
    let (a, out, t) = (&a[..s], &mut out[..s], &mut t[..2 * s + 1]);
    t.fill(0);
    for i in 0..s {
        let ai = u128::from(a[i]);
        let mut c = 0u64;
        for j in i + 1..s {
            let v = u128::from(t[i + j]) + ai * u128::from(a[j]) + u128::from(c);
            t[i + j] = v as u64;
            c = (v >> 64) as u64;
        }
        t[i + s] = c;
    }
    // The cross products sum to below a²/2: doubling them cannot carry out.
    let mut top = 0;
    for w in t[..2 * s].iter_mut() {
        let next = *w >> 63;
        *w = *w << 1 | top;
        top = next;
    }
    let mut c = 0u64;
    for i in 0..s {
        let sq = u128::from(a[i]) * u128::from(a[i]);
        let v = u128::from(t[2 * i]) + u128::from(sq as u64) + u128::from(c);
        t[2 * i] = v as u64;
        let v = u128::from(t[2 * i + 1]) + (sq >> 64) + (v >> 64);
        t[2 * i + 1] = v as u64;
        c = (v >> 64) as u64;
    }
    // Reduction: add m·n·2^(64i) so that word i becomes 0; the carry out of word i + s
    // is the next round's to add one word higher.
    let mut extra = 0u64;
    for i in 0..s {
        let m = t[i].wrapping_mul(n0);
        let mut c = 0u64;
        for j in 0..s {
            let v = u128::from(t[i + j]) + u128::from(m) * u128::from(n[j]) + u128::from(c);
            t[i + j] = v as u64;
            c = (v >> 64) as u64;
        }
        let v = u128::from(t[i + s]) + u128::from(c) + u128::from(extra);
        t[i + s] = v as u64;
        extra = (v >> 64) as u64;
    }
    let high = &mut t[s..2 * s];
    if extra != 0 || !less(high, n) {
        subtract(high, n);
    }
    out.copy_from_slice(high);
}

/// `x ← x − n` (mod 2^(64·limbs)), equal lengths; whether it borrowed (`x < n`).
fn subtract(x: &mut [u64], n: &[u64]) -> bool {
    let mut borrow = false;
    for (xj, &nj) in x.iter_mut().zip(n) {
        let (d, b1) = xj.overflowing_sub(nj);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        *xj = d;
        borrow = b1 || b2;
    }
    borrow
}

/// `x ← x + n` (mod 2^(64·limbs)), equal lengths; whether it carried out.
fn add(x: &mut [u64], n: &[u64]) -> bool {
    let mut carry = false;
    for (xj, &nj) in x.iter_mut().zip(n) {
        let (d, c1) = xj.overflowing_add(nj);
        let (d, c2) = d.overflowing_add(u64::from(carry));
        *xj = d;
        carry = c1 || c2;
    }
    carry
}

/// `x ← x / 2`, `top` shifted in as the highest bit.
fn halve(x: &mut [u64], top: bool) {
    let mut high = u64::from(top);
    for w in x.iter_mut().rev() {
        let low = *w & 1;
        *w = *w >> 1 | high << 63;
        high = low;
    }
}

/// `a⁻¹ mod n` for an odd `n > 1`; `None` when `a` and `n` share a factor (or `n` is even or
/// below 2). The binary extended Euclidean algorithm over words of `n`'s width: shifts,
/// additions and subtractions only, where `num-bigint`'s `modinv` divides and allocates at
/// every step (1.6 M instructions for a 1024-bit inverse, as much as a tenth of a signature,
/// and one per RSA key). The same number as `modinv`: the inverse in `[0, n)`.
pub fn inverse(a: &BigUint, n: &BigUint) -> Option<BigUint> {
    if !n.bit(0) || n.bits() < 2 {
        return None;
    }
    let len = n.bits().div_ceil(64) as usize;
    let n = limbs(n, len);
    let mut u = limbs(&(a % to_big(&n)), len);
    let mut v = n.clone();
    // x1·a ≡ u and x2·a ≡ v (mod n), each below n.
    let (mut x1, mut x2) = (vec![0u64; len], vec![0u64; len]);
    x1[0] = 1;
    // x/2 mod n: (x + n)/2 when x is odd (n is), the carry shifted back in.
    let half = |x: &mut [u64]| {
        let carry = x[0] & 1 == 1 && add(x, &n);
        halve(x, carry);
    };
    // x − y mod n.
    let minus = |x: &mut [u64], y: &[u64]| {
        if subtract(x, y) {
            add(x, &n);
        }
    };
    let is = |x: &[u64], w: u64| x[0] == w && x[1..].iter().all(|&d| d == 0);
    loop {
        if is(&u, 1) {
            return Some(to_big(&x1));
        }
        if is(&v, 1) {
            return Some(to_big(&x2));
        }
        if is(&u, 0) || is(&v, 0) {
            return None;
        }
        while u[0] & 1 == 0 {
            halve(&mut u, false);
            half(&mut x1);
        }
        while v[0] & 1 == 0 {
            halve(&mut v, false);
            half(&mut x2);
        }
        if less(&u, &v) {
            subtract(&mut v, &u);
            minus(&mut x2, &x1);
        } else {
            subtract(&mut u, &v);
            minus(&mut x1, &x2);
        }
    }
}

/// `a < b` for equal-length little-endian numbers.
fn less(a: &[u64], b: &[u64]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A number of at most `bits` bits from a seeded xorshift.
    fn big(seed: u64, bits: usize) -> BigUint {
        let mut s = seed | 1;
        let bytes: Vec<u8> = (0..bits.div_ceil(64))
            .flat_map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s.to_le_bytes()
            })
            .collect();
        BigUint::from_bytes_le(&bytes) >> (bits.div_ceil(64) * 64 - bits)
    }

    #[test]
    fn powers_match_big_number_arithmetic() {
        for (seed, bits) in [
            (1u64, 64),
            (2, 65),
            (3, 127),
            (4, 512),
            (5, 1024),
            (6, 2048),
        ] {
            let n = big(seed, bits) | BigUint::from(1u32);
            let m = Monty::new(&n).unwrap();
            for k in 0..4u64 {
                // Bases above n and exponents of every size, 0 and 1 included.
                let base = big(seed * 10 + k, bits + 3);
                let exp = match k {
                    0 => BigUint::from(0u32),
                    1 => BigUint::from(1u32),
                    _ => big(seed * 100 + k, bits),
                };
                assert_eq!(
                    m.pow(&base, &exp),
                    base.modpow(&exp, &n),
                    "{bits} bits, {k}"
                );
            }
        }
        // Moduli whose top word is all ones: the reduction's final subtraction matters (at
        // any length and at the two compiled for).
        for bits in [256, 1024, 2048] {
            let n = (BigUint::from(1u32) << bits) - 189u32;
            let m = Monty::new(&n).unwrap();
            let base = &n - 1u32;
            let exp = &n - 2u32;
            assert_eq!(m.pow(&base, &exp), base.modpow(&exp, &n), "{bits} bits");
        }
    }

    #[test]
    fn fermat_to_base_two_tells_primes_from_most_composites() {
        let prime = (BigUint::from(1u32) << 127) - 1u32;
        assert!(Monty::new(&prime).unwrap().fermat_base_two());
        assert!(
            Monty::new(&BigUint::from(1_000_003u32))
                .unwrap()
                .fermat_base_two()
        );
        for odd in (101u32..2_000).step_by(2) {
            let n = BigUint::from(odd);
            let fermat = BigUint::from(2u32).modpow(&(&n - 1u32), &n) == BigUint::from(1u32);
            assert_eq!(Monty::new(&n).unwrap().fermat_base_two(), fermat, "{odd}");
        }
        // 2^(n-1) = 1 for this composite (a base-2 pseudoprime); Miller-Rabin's random bases
        // are what reject it.
        assert!(
            Monty::new(&BigUint::from(341u32))
                .unwrap()
                .fermat_base_two()
        );
    }

    #[test]
    fn inverses_match_big_number_arithmetic() {
        for (seed, bits) in [(1u64, 3), (2, 64), (3, 65), (4, 512), (5, 1024), (6, 2048)] {
            let n = (big(seed, bits) | BigUint::from(1u32)).max(BigUint::from(5u32));
            for k in 0..20u64 {
                // Numbers above n, and some sharing a factor with it.
                let a = match k {
                    0 => BigUint::from(0u32),
                    1 => n.clone(),
                    2 => &n * 3u32 + 1u32,
                    _ => big(seed * 100 + k, bits + 5),
                };
                assert_eq!(inverse(&a, &n), a.modinv(&n), "{bits} bits, {k}");
            }
        }
        let n = BigUint::from(15u32);
        for a in 0..40u32 {
            assert_eq!(inverse(&BigUint::from(a), &n), BigUint::from(a).modinv(&n));
        }
        assert_eq!(inverse(&BigUint::from(3u32), &BigUint::from(10u32)), None);
        assert_eq!(inverse(&BigUint::from(3u32), &BigUint::from(1u32)), None);
    }

    #[test]
    fn only_odd_moduli_above_one() {
        assert!(Monty::new(&BigUint::from(10u32)).is_none());
        assert!(Monty::new(&BigUint::from(1u32)).is_none());
        assert!(Monty::new(&BigUint::from(3u32)).is_some());
    }
}
