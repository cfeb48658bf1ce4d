//! Deterministic elementary functions on [`Ratio`] (Q16.48): ln, exp, sqrt, normal CDF/PDF.
//! Same integer operations on every machine, so on- and off-chain numbers agree to the bit.
#![allow(clippy::arithmetic_side_effects)] // every raw operation below states its bound

mod ncdf_table;

use crate::error::{KernelError, Result};
use crate::fixed::Ratio;
use crate::wide::{self, Round};
use ncdf_table::{NCDF_DEGREE, NCDF_LOG2_PER_UNIT, NCDF_TABLE};

const FRAC: u32 = 48;
const ONE: i64 = 1 << FRAC;
/// ln 2 * 2^62, rounded (mpmath): extra precision for k * ln 2 in range reduction.
const LN2_Q62: i64 = 3_196_577_161_300_663_915;
/// 1 / ln 2 * 2^48.
const INV_LN2_Q48: i64 = 406_082_553_034_800;
/// sqrt(2) * 2^48.
const SQRT2_Q48: i64 = 398_065_729_532_861;
/// 1 / sqrt(2 pi) * 2^48.
const INV_SQRT_2PI_Q48: i64 = 112_292_269_084_889;
/// exp(x) overflows Q16.48 above ln(32768).
const EXP_MAX: i64 = 10 * ONE + (ONE / 100) * 39; // 10.39 < ln(32768) = 10.397
/// exp(x) < 2^-48 below -33.3: the result is 0.
const EXP_MIN: i64 = -34 * ONE;

/// 1/n! for n = 0..=12 (Taylor series of exp on |r| <= ln2/2: remainder < 2e-16).
const INV_FACT: [i64; 13] = {
    let mut t = [0i64; 13];
    let mut f: i64 = 1;
    let mut n = 0;
    while n < 13 {
        if n > 0 {
            f *= n as i64;
        }
        t[n] = ONE / f;
        n += 1;
    }
    t
};

/// 1/(2j+1) for j = 0..=9 (atanh series of ln on |z| <= 0.172: remainder < 2e-16).
const INV_ODD: [i64; 10] = {
    let mut t = [0i64; 10];
    let mut j = 0;
    while j < 10 {
        t[j] = ONE / (2 * j as i64 + 1);
        j += 1;
    }
    t
};

/// k * ln 2 in Q48 for |k| < 2^20, from the Q62 constant, rounded to nearest.
#[inline(always)]
fn k_ln2(k: i64) -> i64 {
    let (hi, lo) = wide::smul(k, LN2_Q62);
    // + 2^13 before >> 14 rounds to nearest; |k ln2| << 2^15 so it cannot overflow.
    let (lo2, c) = lo.overflowing_add(1 << 13);
    ((lo2 >> 14) | (((hi + c as i64) as u64) << 50)) as i64
}

/// Natural logarithm; x must be > 0.
pub fn ln(x: Ratio) -> Result<Ratio> {
    let x = x.raw();
    if x <= 0 {
        return Err(KernelError::InvalidInput("ln of a non-positive number"));
    }
    // x = m * 2^k with m in [1/sqrt2, sqrt2).
    let msb = 63 - x.leading_zeros() as i64;
    let mut k = msb - FRAC as i64;
    let mut m = if k >= 0 { x >> k } else { x << -k };
    if m > SQRT2_Q48 {
        m >>= 1;
        k += 1;
    }
    // ln m = 2 atanh(z), z = (m-1)/(m+1), |z| <= 0.1716.
    let z = wide::div_shl(m - ONE, m + ONE, FRAC, Round::Down)?;
    let z2 = wide::mul_shr_bounded(z, z, FRAC);
    let mut p = INV_ODD[9];
    let mut j = 9;
    while j > 0 {
        j -= 1;
        p = wide::mul_shr_bounded(p, z2, FRAC) + INV_ODD[j];
    }
    let ln_m = wide::mul_shr_bounded(z, p, FRAC) * 2;
    Ok(Ratio::from_raw(ln_m + k_ln2(k)))
}

/// Exponential; an error above ln(32768), 0 below -34 (true value < 2^-48).
pub fn exp(x: Ratio) -> Result<Ratio> {
    let x = x.raw();
    if x > EXP_MAX {
        return Err(KernelError::Overflow);
    }
    if x < EXP_MIN {
        return Ok(Ratio::ZERO);
    }
    // x = k ln2 + r, k = round(x / ln2), |r| <= ln2/2 (+ rounding slack).
    let k = (wide::mul_shr_bounded(x, INV_LN2_Q48, FRAC) + ONE / 2) >> FRAC;
    let r = x - k_ln2(k);
    let mut p = INV_FACT[12];
    let mut n = 12;
    while n > 0 {
        n -= 1;
        p = wide::mul_shr_bounded(p, r, FRAC) + INV_FACT[n];
    }
    // p = e^r in [0.70, 1.42]; k in [-50, 15]; the shifted result fits (x <= EXP_MAX).
    Ok(Ratio::from_raw(if k >= 0 { p << k } else { p >> -k }))
}

/// floor(sqrt(n)) of an integer, with native 64-bit division only (a handful of Newton steps).
pub fn isqrt(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    // Seed: the lower of sqrt's tangents at 4^k and 4^(k+1), 4^k <= n < 4^(k+1), both above
    // sqrt (it is concave) and within 6.1% of it: n / 2^(k+1) + 2^(k-1) and n / 2^(k+2) + 2^k
    // (+1 covers the truncated quotients). Newton from above decreases monotonically to the
    // floor; r + n/r <= 2^34 at every step, so nothing overflows.
    let k = (63 - n.leading_zeros()) / 2; // 4^k <= n, k <= 31
    let t1 = (n >> (k + 1)) + (1 << k >> 1) + 1;
    let t2 = (n >> (k + 2)) + (1 << k) + 1;
    let mut r: u64 = t1.min(t2);
    loop {
        let next = (r + n / r) >> 1;
        if next >= r {
            return r;
        }
        r = next;
    }
}

/// Square root, rounded down; x must be >= 0. Newton on the 128-bit integer x * 2^48.
pub fn sqrt(x: Ratio) -> Result<Ratio> {
    let x = x.raw();
    if x < 0 {
        return Err(KernelError::InvalidInput("sqrt of a negative number"));
    }
    if x == 0 {
        return Ok(Ratio::ZERO);
    }
    let (hi, lo) = ((x as u64) >> (64 - FRAC), (x as u64) << FRAC);
    let bits = if hi != 0 { 128 - hi.leading_zeros() } else { 64 - lo.leading_zeros() };
    // Seed from the top (at most 62) bits with native 64-bit division, then finish with
    // 128-bit Newton steps: from 2^-30 relative error it needs two or three.
    let shift = if bits > 62 { (bits - 62 + 1) & !1 } else { 0 };
    let top = if shift == 0 {
        lo
    } else if shift < 64 {
        (lo >> shift) | (hi << (64 - shift))
    } else {
        hi >> (shift - 64)
    };
    let mut r: u64 = 1u64 << (bits - shift).div_ceil(2);
    loop {
        let next = (r + top / r) >> 1;
        if next >= r {
            break;
        }
        r = next;
    }
    // (r + 1)^2 2^shift > N: an upper bound, from which Newton decreases to floor(sqrt(N)).
    let mut y: u64 = (r + 1) << (shift / 2);
    loop {
        let (q, _) = wide::udiv128(hi, lo, y); // hi < y because N / y <= y < 2^57
        let next = (y + q) >> 1;
        if next >= y {
            return Ok(Ratio::from_raw(y as i64));
        }
        y = next;
    }
}

/// Standard normal CDF N(x), absolute error < 2e-13 (table: scripts/reference/gen_ncdf_table.py).
pub fn ncdf(x: Ratio) -> Ratio {
    let x = x.raw();
    let ax = x.saturating_abs();
    if ax >= 8 * ONE {
        // 1 - N(8) = 6.2e-16 < 2^-48 / 4.
        return Ratio::from_raw(if x > 0 { ONE } else { 0 });
    }
    let i = (ax >> (FRAC - NCDF_LOG2_PER_UNIT)) as usize;
    let centre = ((i as i64) << (FRAC - NCDF_LOG2_PER_UNIT)) + (1 << (FRAC - NCDF_LOG2_PER_UNIT - 1));
    let t = (ax - centre) << (NCDF_LOG2_PER_UNIT + 1); // |t| <= 1
    let c = &NCDF_TABLE[i];
    let mut p = c[NCDF_DEGREE];
    let mut j = NCDF_DEGREE;
    while j > 0 {
        j -= 1;
        // |p| <= 1 and |t| <= 1 on every interval: the product cannot overflow.
        p = wide::mul_shr_bounded(p, t, FRAC) + c[j];
    }
    let p = p.clamp(0, ONE);
    Ratio::from_raw(if x >= 0 { p } else { ONE - p })
}

/// Standard normal PDF phi(x) = exp(-x^2/2) / sqrt(2 pi).
pub fn npdf(x: Ratio) -> Ratio {
    let ax = x.raw().saturating_abs();
    if ax >= 9 * ONE {
        return Ratio::ZERO; // phi(9) = 1e-18 < 2^-48
    }
    let half_sq = wide::mul_shr_bounded(ax, ax, FRAC + 1);
    // -half_sq >= -40.5 > EXP_MIN - never an overflow.
    let e = exp(Ratio::from_raw(-half_sq)).unwrap_or(Ratio::ZERO);
    Ratio::from_raw(wide::mul_shr_bounded(e.raw(), INV_SQRT_2PI_Q48, FRAC))
}
