//! 128-bit intermediates built from 64-bit operations only.
//!
//! Why not `i128`: the upstream LLVM 22 BPF backend (the only SBF toolchain these machines can
//! build with, see ../shared/toolchain/README.md) lowers 128-bit multiply/divide and checked
//! `u64` multiply to `__multi3`/`__udivti3`, which it refuses to emit. 128-bit add, subtract,
//! compare and constant shifts are fine, so sums may be `i128`; products and quotients are
//! assembled here from 32x32 limbs (mul) and Hacker's Delight `divlu` (128/64 division).
//! Tests check every routine bit-for-bit against native `i128` on the host.
#![allow(clippy::arithmetic_side_effects)] // limb arithmetic is wrapping by construction

use crate::error::{KernelError, Result};

/// Rounding direction of a fixed-point result: toward -inf or +inf. Money rounds against the
/// account, so callers pick the direction at each call site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Round {
    Down,
    Up,
}

/// Unsigned 64x64 -> 128 product as (hi, lo).
#[inline(always)]
pub fn umul(a: u64, b: u64) -> (u64, u64) {
    let (a1, a0) = (a >> 32, a & 0xffff_ffff);
    let (b1, b0) = (b >> 32, b & 0xffff_ffff);
    let p00 = a0.wrapping_mul(b0);
    let p01 = a0.wrapping_mul(b1);
    let p10 = a1.wrapping_mul(b0);
    let p11 = a1.wrapping_mul(b1);
    let mid = (p00 >> 32).wrapping_add(p01 & 0xffff_ffff).wrapping_add(p10 & 0xffff_ffff);
    let lo = (p00 & 0xffff_ffff) | (mid << 32);
    let hi = p11.wrapping_add(p01 >> 32).wrapping_add(p10 >> 32).wrapping_add(mid >> 32);
    (hi, lo)
}

/// Signed 64x64 -> 128 product as (hi as i64, lo).
#[inline(always)]
pub fn smul(a: i64, b: i64) -> (i64, u64) {
    let (mut hi, lo) = umul(a as u64, b as u64);
    if a < 0 {
        hi = hi.wrapping_sub(b as u64);
    }
    if b < 0 {
        hi = hi.wrapping_sub(a as u64);
    }
    (hi as i64, lo)
}

/// (u1:u0) / v for u1 < v (Hacker's Delight `divlu`): (quotient, remainder).
#[inline(always)]
pub fn udiv128(u1: u64, u0: u64, v: u64) -> (u64, u64) {
    const B: u64 = 1 << 32;
    let s = v.leading_zeros();
    let vs = v << s;
    let (vn1, vn0) = (vs >> 32, vs & 0xffff_ffff);
    let un32 = if s == 0 { u1 } else { (u1 << s) | (u0 >> (64 - s)) };
    let un10 = u0 << s;
    let (un1, un0) = (un10 >> 32, un10 & 0xffff_ffff);
    let mut q1 = un32 / vn1;
    let mut rhat = un32.wrapping_sub(q1.wrapping_mul(vn1));
    while q1 >= B || q1.wrapping_mul(vn0) > (rhat << 32).wrapping_add(un1) {
        q1 -= 1;
        rhat = rhat.wrapping_add(vn1);
        if rhat >= B {
            break;
        }
    }
    let un21 = (un32 << 32).wrapping_add(un1).wrapping_sub(q1.wrapping_mul(vs));
    let mut q0 = un21 / vn1;
    rhat = un21.wrapping_sub(q0.wrapping_mul(vn1));
    while q0 >= B || q0.wrapping_mul(vn0) > (rhat << 32).wrapping_add(un0) {
        q0 -= 1;
        rhat = rhat.wrapping_add(vn1);
        if rhat >= B {
            break;
        }
    }
    let q = (q1 << 32).wrapping_add(q0);
    (q, u0.wrapping_sub(q.wrapping_mul(v)))
}

/// Signed 128-bit (hi:lo) shifted right by `s` (0..=127), rounded, narrowed to i64.
#[inline(always)]
pub fn shr_round(hi: i64, lo: u64, s: u32, round: Round) -> Result<i64> {
    let (q_hi, q_lo, lost) = if s == 0 {
        (hi, lo, false)
    } else if s < 64 {
        let lost = lo << (64 - s) != 0;
        (hi >> s, (lo >> s) | ((hi as u64) << (64 - s)), lost)
    } else {
        let t = s - 64;
        let lost = lo != 0 || (t > 0 && (hi as u64) << (64 - t) != 0);
        let q_lo = if t == 0 { hi as u64 } else { (hi >> t) as u64 };
        (hi >> 63, q_lo, lost)
    };
    // The floor result fits i64 iff the high word is the sign extension of the low word.
    if q_hi != (q_lo as i64) >> 63 {
        return Err(KernelError::Overflow);
    }
    let r = q_lo as i64;
    if round == Round::Up && lost { r.checked_add(1).ok_or(KernelError::Overflow) } else { Ok(r) }
}

/// round(a * b / 2^s), checked.
#[inline(always)]
pub fn mul_shr(a: i64, b: i64, s: u32, round: Round) -> Result<i64> {
    let (hi, lo) = smul(a, b);
    shr_round(hi, lo, s, round)
}

/// floor(a * b / 2^s) for operands whose product is known to fit (the caller states why).
/// Used only inside bounded polynomial evaluations where overflow is impossible.
#[inline(always)]
pub fn mul_shr_bounded(a: i64, b: i64, s: u32) -> i64 {
    let (hi, lo) = smul(a, b);
    ((lo >> s) | ((hi as u64) << (64 - s))) as i64
}

/// round((a * 2^s) / b), checked; 0 <= s <= 63.
#[inline(always)]
pub fn div_shl(a: i64, b: i64, s: u32, round: Round) -> Result<i64> {
    if b == 0 {
        return Err(KernelError::DivisionByZero);
    }
    let neg = (a < 0) != (b < 0);
    let (ua, ub) = (a.unsigned_abs(), b.unsigned_abs());
    let (n1, n0) = if s == 0 { (0, ua) } else { (ua >> (64 - s), ua << s) };
    if n1 >= ub {
        return Err(KernelError::Overflow);
    }
    signed_quotient(udiv128(n1, n0, ub), neg, round)
}

/// The signed, rounded result of an unsigned (quotient, remainder) whose true sign is `neg`.
#[inline(always)]
fn signed_quotient((mut q, rem): (u64, u64), neg: bool, round: Round) -> Result<i64> {
    // Magnitude rounds away from zero when the signed result must move outward.
    if rem != 0 && ((neg && round == Round::Down) || (!neg && round == Round::Up)) {
        q = q.checked_add(1).ok_or(KernelError::Overflow)?;
    }
    if neg {
        if q > 1u64 << 63 {
            return Err(KernelError::Overflow);
        }
        Ok((q as i64).wrapping_neg())
    } else if q > i64::MAX as u64 {
        Err(KernelError::Overflow)
    } else {
        Ok(q as i64)
    }
}

/// `lots * x` exactly, for |lots| < 2^31 (callers hold |lots| < 2^24): two 32x64 partial products,
/// each fitting an i64, so no 128-bit multiply is needed.
#[inline(always)]
pub fn lots_mul(lots: i64, x: i64) -> i128 {
    let hi = x >> 32; // signed, |hi| < 2^31
    let lo = x & 0xffff_ffff; // 0..2^32
    ((lots.wrapping_mul(hi) as i128) << 32) + lots.wrapping_mul(lo) as i128
}

/// Narrow an i128 sum at scale 2^-from to i64 at scale 2^-to (from >= to), rounded.
#[inline(always)]
pub fn narrow(v: i128, shift: u32, round: Round) -> Result<i64> {
    shr_round((v >> 64) as i64, v as u64, shift, round)
}

/// round(a * b / d) for d > 0, checked: one 128-bit product, one 128/64 division.
#[inline(always)]
pub fn mul_div(a: i64, b: i64, d: u64, round: Round) -> Result<i64> {
    if d == 0 {
        return Err(KernelError::DivisionByZero);
    }
    let neg = (a < 0) != (b < 0);
    let (hi, lo) = umul(a.unsigned_abs(), b.unsigned_abs());
    if hi >= d {
        return Err(KernelError::Overflow);
    }
    signed_quotient(udiv128(hi, lo, d), neg, round)
}
