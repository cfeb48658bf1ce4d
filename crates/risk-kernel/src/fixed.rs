//! Fixed-point numbers with their scale in the type: `Fixed<F>` holds `raw / 2^F` in an i64.
//!
//! Scales used by the kernel (each named once, here):
//! - [`Ratio`] = `Fixed<48>`: dimensionless math (vols, years, rates, d1, N(x), Greeks per
//!   unit), range +-32768, resolution 3.6e-15.
//! - [`Price`] = `Fixed<32>`: quote per unit of underlying, and per-lot values in risk
//!   arrays, range +-2.1e9, resolution 2.3e-10 (fine enough for a 0.1 spot).
//! - [`Money`] = `Fixed<24>`: account-level quote amounts (equity, margin, scenario P&L),
//!   range +-5.5e11, resolution 6e-8 (finer than one micro-USDC).
#![allow(clippy::arithmetic_side_effects)] // only the checked paths below touch raw values

use crate::error::{KernelError, Result};
use crate::wide::{self, Round};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct Fixed<const F: u32>(i64);

pub type Ratio = Fixed<48>;
pub type Price = Fixed<32>;
pub type Money = Fixed<24>;

impl<const F: u32> Fixed<F> {
    pub const FRAC_BITS: u32 = F;
    pub const ZERO: Self = Self(0);
    pub const ONE: Self = Self(1 << F);
    pub const MAX: Self = Self(i64::MAX);
    pub const MIN: Self = Self(i64::MIN);

    #[inline(always)]
    pub const fn from_raw(raw: i64) -> Self {
        Self(raw)
    }
    #[inline(always)]
    pub const fn raw(self) -> i64 {
        self.0
    }
    pub fn from_int(v: i64) -> Result<Self> {
        if v.unsigned_abs() >= 1u64 << (63 - F) {
            return Err(KernelError::Overflow);
        }
        Ok(Self(v << F))
    }
    /// n / d exactly rounded in `round`'s direction (e.g. constants like 2/3).
    pub fn from_ratio(n: i64, d: i64, round: Round) -> Result<Self> {
        Ok(Self(wide::div_shl(n, d, F, round)?))
    }
    #[inline(always)]
    pub fn add(self, o: Self) -> Result<Self> {
        self.0.checked_add(o.0).map(Self).ok_or(KernelError::Overflow)
    }
    #[inline(always)]
    pub fn sub(self, o: Self) -> Result<Self> {
        self.0.checked_sub(o.0).map(Self).ok_or(KernelError::Overflow)
    }
    #[inline(always)]
    pub fn neg(self) -> Result<Self> {
        self.0.checked_neg().map(Self).ok_or(KernelError::Overflow)
    }
    #[inline(always)]
    pub fn abs(self) -> Result<Self> {
        self.0.checked_abs().map(Self).ok_or(KernelError::Overflow)
    }
    #[inline(always)]
    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
    #[inline(always)]
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
    #[inline(always)]
    pub fn max(self, o: Self) -> Self {
        if self.0 >= o.0 { self } else { o }
    }
    #[inline(always)]
    pub fn min(self, o: Self) -> Self {
        if self.0 <= o.0 { self } else { o }
    }
    /// self * rhs at scale H, rounded; overflow is an error. Requires F + G >= H.
    #[inline(always)]
    pub fn mul<const G: u32, const H: u32>(self, rhs: Fixed<G>, round: Round) -> Result<Fixed<H>> {
        const { assert!(F + G >= H && F + G - H < 128) };
        Ok(Fixed(wide::mul_shr(self.0, rhs.0, F + G - H, round)?))
    }
    /// self * r at the same scale (the common case: a value times a dimensionless factor).
    #[inline(always)]
    pub fn mul_ratio(self, r: Ratio, round: Round) -> Result<Self> {
        Ok(Fixed(wide::mul_shr(self.0, r.0, 48, round)?))
    }
    /// self / rhs at scale H, rounded; division by zero and overflow are errors.
    #[inline(always)]
    pub fn div<const G: u32, const H: u32>(self, rhs: Fixed<G>, round: Round) -> Result<Fixed<H>> {
        const { assert!(H + G >= F && H + G - F < 64) };
        Ok(Fixed(wide::div_shl(self.0, rhs.0, H + G - F, round)?))
    }
    /// The same value at another scale, rounded.
    #[inline(always)]
    pub fn rescale<const G: u32>(self, round: Round) -> Result<Fixed<G>> {
        if G >= F {
            let s = G - F;
            if s >= 63 || self.0.unsigned_abs() >= 1u64 << (63 - s) {
                return if self.0 == 0 { Ok(Fixed(0)) } else { Err(KernelError::Overflow) };
            }
            Ok(Fixed(self.0 << s))
        } else {
            Ok(Fixed(wide::shr_round(self.0 >> 63, self.0 as u64, F - G, round)?))
        }
    }
}

#[cfg(not(target_os = "solana"))]
impl<const F: u32> Fixed<F> {
    /// Host-side conversion for I/O (f64 is not available on SBF). Rounds to nearest.
    pub fn from_f64(v: f64) -> Result<Self> {
        if !v.is_finite() {
            return Err(KernelError::InvalidInput("not a finite number"));
        }
        let scaled = v * (1u64 << F) as f64;
        if !(-9.2e18..9.2e18).contains(&scaled) {
            return Err(KernelError::Overflow);
        }
        // Round half away from zero without std's f64::round (this crate is no_std).
        let r = if scaled >= 0.0 { (scaled + 0.5) as i64 } else { -((-scaled + 0.5) as i64) };
        Ok(Self(r))
    }
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / (1u64 << F) as f64
    }
}

impl<const F: u32> core::fmt::Debug for Fixed<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Fixed<{F}>({})", self.0)
    }
}
