//! Many children of one key at once: K + IL·G with a table of byte multiples of G
//! (T[j][b] = b·256^j·G, 8,160 affine points built once per process) so each child costs 32
//! mixed additions and no doublings, and one field inversion for a whole batch of points
//! (Montgomery's trick) instead of one per point.
//!
//! Variable time: IL is derived from public data. Any exceptional case of the incomplete
//! addition formula (equal or opposite x, probability ~2^-250) falls back to the
//! libsecp256k1 path for that child, so results are exactly [`ExtendedPubKey::derive_child`]'s.

use std::sync::OnceLock;

use bitcoin::secp256k1::{PublicKey, SecretKey};

use bitcoin::hashes::{hmac, sha512};

use super::{child_tweak_with, secp, ExtendedPubKey, KeyError};

/// 2^256 − p.
const C: u64 = 0x1_0000_03D1;
/// p = 2^256 − 2^32 − 977, little-endian limbs.
const P: [u64; 4] = [
    0xFFFF_FFFE_FFFF_FC2F,
    0xFFFF_FFFF_FFFF_FFFF,
    0xFFFF_FFFF_FFFF_FFFF,
    0xFFFF_FFFF_FFFF_FFFF,
];

/// A field element, always fully reduced (< p), little-endian 64-bit limbs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Fe([u64; 4]);

fn add4(a: [u64; 4], b: [u64; 4]) -> ([u64; 4], bool) {
    let mut r = [0u64; 4];
    let mut carry = false;
    for i in 0..4 {
        let (s1, c1) = a[i].overflowing_add(b[i]);
        let (s2, c2) = s1.overflowing_add(u64::from(carry));
        r[i] = s2;
        carry = c1 || c2;
    }
    (r, carry)
}

fn sub4(a: [u64; 4], b: [u64; 4]) -> ([u64; 4], bool) {
    let mut r = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (d1, b1) = a[i].overflowing_sub(b[i]);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        r[i] = d2;
        borrow = b1 || b2;
    }
    (r, borrow)
}

impl Fe {
    const ONE: Fe = Fe([1, 0, 0, 0]);

    /// From 32 big-endian bytes known to be < p (a coordinate libsecp256k1 serialized).
    fn from_be(b: &[u8]) -> Fe {
        let mut l = [0u64; 4];
        for (i, chunk) in b.chunks_exact(8).enumerate().take(4) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            l[3 - i] = u64::from_be_bytes(w);
        }
        Fe(l)
    }

    fn to_be(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, chunk) in out.chunks_exact_mut(8).enumerate() {
            chunk.copy_from_slice(&self.0[3 - i].to_be_bytes());
        }
        out
    }

    fn is_zero(self) -> bool {
        self.0 == [0; 4]
    }

    /// `r`, or `r − p` when `r ≥ p` (any `r` < 2^256 < 2p).
    fn reduce_once(r: [u64; 4]) -> Fe {
        let (s, borrow) = sub4(r, P);
        if !borrow {
            Fe(s)
        } else {
            Fe(r)
        }
    }

    fn sub(self, o: Fe) -> Fe {
        let (r, borrow) = sub4(self.0, o.0);
        if borrow {
            Fe(add4(r, P).0)
        } else {
            Fe(r)
        }
    }

    fn mul(self, o: Fe) -> Fe {
        let (a, b) = (self.0, o.0);
        let mut t = [0u64; 8];
        for i in 0..4 {
            let mut carry: u128 = 0;
            for j in 0..4 {
                let v = u128::from(a[i]) * u128::from(b[j]) + u128::from(t[i + j]) + carry;
                t[i + j] = v as u64;
                carry = v >> 64;
            }
            t[i + 4] = carry as u64;
        }
        // t = lo + hi·2^256 ≡ lo + hi·C (mod p).
        let mut r = [0u64; 4];
        let mut carry: u128 = 0;
        for i in 0..4 {
            let v = u128::from(t[i]) + u128::from(t[i + 4]) * u128::from(C) + carry;
            r[i] = v as u64;
            carry = v >> 64;
        }
        // carry < 2^34: fold it in again.
        let (r, overflow) = add4(r, mul_small(carry as u64));
        if overflow {
            // The sum wrapped: what is left is < carry·C < 2^68, so adding C cannot wrap.
            Fe::reduce_once(add4(r, [C, 0, 0, 0]).0)
        } else {
            Fe::reduce_once(r)
        }
    }

    fn sqr(self) -> Fe {
        self.mul(self)
    }

    /// self^(p−2) (self ≠ 0).
    fn invert(self) -> Fe {
        // p − 2, most significant limb first.
        let e = [P[3], P[2], P[1], P[0] - 2];
        let mut r = Fe::ONE;
        for limb in e {
            for bit in (0..64).rev() {
                r = r.sqr();
                if (limb >> bit) & 1 == 1 {
                    r = r.mul(self);
                }
            }
        }
        r
    }
}

/// `x·C` as 256-bit limbs (x < 2^64).
fn mul_small(x: u64) -> [u64; 4] {
    let v = u128::from(x) * u128::from(C);
    [v as u64, (v >> 64) as u64, 0, 0]
}

#[derive(Clone, Copy, Debug)]
struct Affine {
    x: Fe,
    y: Fe,
}

#[derive(Clone, Copy, Debug)]
struct Jacobian {
    x: Fe,
    y: Fe,
    z: Fe,
}

impl Affine {
    fn from_public_key(k: &PublicKey) -> Affine {
        let s = k.serialize_uncompressed();
        Affine {
            x: Fe::from_be(&s[1..33]),
            y: Fe::from_be(&s[33..65]),
        }
    }

    fn compressed(self) -> [u8; 33] {
        let mut out = [0u8; 33];
        out[0] = if self.y.0[0] & 1 == 1 { 3 } else { 2 };
        out[1..].copy_from_slice(&self.x.to_be());
        out
    }
}

impl Jacobian {
    fn from_affine(a: Affine) -> Jacobian {
        Jacobian {
            x: a.x,
            y: a.y,
            z: Fe::ONE,
        }
    }

    /// self + a, or `None` when the incomplete formula does not apply (self = ±a).
    fn add_affine(self, a: &Affine) -> Option<Jacobian> {
        let z1z1 = self.z.sqr();
        let u2 = a.x.mul(z1z1);
        let s2 = a.y.mul(self.z).mul(z1z1);
        let h = u2.sub(self.x);
        if h.is_zero() {
            return None;
        }
        let r = s2.sub(self.y);
        let hh = h.sqr();
        let hhh = h.mul(hh);
        let v = self.x.mul(hh);
        let x3 = r.sqr().sub(hhh).sub(v).sub(v);
        let y3 = r.mul(v.sub(x3)).sub(self.y.mul(hhh));
        Some(Jacobian {
            x: x3,
            y: y3,
            z: self.z.mul(h),
        })
    }
}

/// Affine forms of `points` (all with z ≠ 0) with one inversion.
fn normalize_all(points: &[Jacobian]) -> Vec<Affine> {
    let mut prefix = Vec::with_capacity(points.len());
    let mut acc = Fe::ONE;
    for p in points {
        prefix.push(acc);
        acc = acc.mul(p.z);
    }
    let mut inv = acc.invert();
    let mut out = vec![
        Affine {
            x: Fe::ONE,
            y: Fe::ONE
        };
        points.len()
    ];
    for i in (0..points.len()).rev() {
        let zinv = inv.mul(prefix[i]);
        inv = inv.mul(points[i].z);
        let zinv2 = zinv.sqr();
        out[i] = Affine {
            x: points[i].x.mul(zinv2),
            y: points[i].y.mul(zinv2).mul(zinv),
        };
    }
    out
}

/// T[j·255 + b − 1] = b·256^j·G for j in 0..32, b in 1..=255.
struct Table(Vec<Affine>);

fn table() -> Option<&'static Table> {
    static TABLE: OnceLock<Option<Table>> = OnceLock::new();
    TABLE.get_or_init(build_table).as_ref()
}

fn build_table() -> Option<Table> {
    let mut all = Vec::with_capacity(32 * 255);
    for j in 0..32 {
        // 256^j and 2·256^j as scalars, multiplied by libsecp256k1.
        let mut one = [0u8; 32];
        one[31 - j] = 1;
        let mut two = [0u8; 32];
        two[31 - j] = 2;
        let base = SecretKey::from_slice(&one).ok()?;
        let double = SecretKey::from_slice(&two).ok()?;
        let base = Affine::from_public_key(&PublicKey::from_secret_key(secp(), &base));
        let double = PublicKey::from_secret_key(secp(), &double);
        all.push(Jacobian::from_affine(base));
        let mut acc = Jacobian::from_affine(Affine::from_public_key(&double));
        all.push(acc);
        for _ in 3..=255 {
            acc = acc.add_affine(&base)?;
            all.push(acc);
        }
    }
    Some(Table(normalize_all(&all)))
}

impl ExtendedPubKey {
    /// The compressed public keys of children `range`, in order: exactly what
    /// [`ExtendedPubKey::derive_child_public_key`] gives for each index, computed with a
    /// shared table and one field inversion per batch.
    pub fn derive_child_public_keys(
        &self,
        range: std::ops::Range<u32>,
    ) -> Vec<(u32, Result<[u8; 33], KeyError>)> {
        let Some(table) = table() else {
            return range
                .map(|i| (i, self.derive_child_public_key(i)))
                .collect();
        };
        let parent = Affine::from_public_key(&self.public_key);
        let parent_bytes = self.public_key.serialize();
        let keyed = hmac::HmacEngine::<sha512::Hash>::new(&self.chain_code);
        // Per index: the result so far; `Err(None)` = computed in the batch below.
        let mut out: Vec<(u32, Result<[u8; 33], KeyError>)> = Vec::with_capacity(range.len());
        let mut pending: Vec<(usize, Jacobian)> = Vec::with_capacity(range.len());
        for i in range {
            let slot = out.len();
            let tweak = match child_tweak_with(&keyed, &parent_bytes, i) {
                Ok((tweak, _)) => tweak.secret_bytes(),
                Err(e) => {
                    out.push((i, Err(e)));
                    continue;
                }
            };
            let mut acc = Some(Jacobian::from_affine(parent));
            for (j, &b) in tweak.iter().rev().enumerate() {
                if b != 0 {
                    acc = acc.and_then(|a| a.add_affine(&table.0[j * 255 + usize::from(b) - 1]));
                }
            }
            match acc {
                Some(point) => {
                    pending.push((slot, point));
                    out.push((i, Ok([0; 33])));
                }
                // An exceptional addition: the exact general path.
                None => out.push((i, self.derive_child_public_key(i))),
            }
        }
        let points: Vec<Jacobian> = pending.iter().map(|(_, p)| *p).collect();
        for ((slot, _), affine) in pending.iter().zip(normalize_all(&points)) {
            out[*slot].1 = Ok(affine.compressed());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_inverse_and_reduction() {
        let a = Fe([
            0x1234_5678_9abc_def0,
            7,
            0xFFFF_FFFF_FFFF_FFFF,
            0x8000_0000_0000_0001,
        ]);
        assert_eq!(a.mul(a.invert()), Fe::ONE);
        // p − 1 squared is 1.
        let minus_one = Fe(sub4(P, [1, 0, 0, 0]).0);
        assert_eq!(minus_one.sqr(), Fe::ONE);
        assert_eq!(Fe([0; 4]).sub(Fe::ONE), minus_one);
        assert_eq!(Fe::ONE.sub(minus_one), Fe([2, 0, 0, 0]));
    }

    #[test]
    fn field_identities_on_many_values() {
        // xorshift values, plus ones near 0, p and 2^256 where the carries happen.
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut values = vec![
            Fe([0; 4]),
            Fe::ONE,
            Fe(sub4(P, [1, 0, 0, 0]).0),
            Fe(sub4(P, [C, 0, 0, 0]).0),
            Fe([u64::MAX, u64::MAX, u64::MAX, 0]),
            Fe([0, 0, 0, 1 << 63]),
        ];
        for _ in 0..60 {
            let l = [next(), next(), next(), next()];
            let (r, borrow) = sub4(l, P);
            values.push(Fe(if borrow { l } else { r }));
        }
        for &a in &values {
            for &b in values.iter().step_by(3) {
                let c = values[(a.0[0] ^ b.0[1]) as usize % values.len()];
                assert_eq!(a.mul(b), b.mul(a));
                assert_eq!(a.mul(b).mul(c), a.mul(b.mul(c)));
                assert_eq!(a.mul(b.sub(c)), a.mul(b).sub(a.mul(c)));
                assert_eq!(a.sub(b).sub(a.sub(b)), Fe([0; 4]));
                for v in [a.mul(b), a.sub(b)] {
                    assert!(sub4(v.0, P).1, "not fully reduced");
                }
            }
            if !a.is_zero() {
                assert_eq!(a.mul(a.invert()), Fe::ONE);
            }
        }
    }
}
