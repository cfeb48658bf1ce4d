//! Black–Scholes (no dividends, continuous rate) price and Greeks in fixed point.
//!
//! Conventions (../shared/docs/risk-model.md): Greeks are true partial derivatives; vega per
//! 1.00 of vol, theta = dV/dt per year of calendar time (= -dV/dT), rho per 1.00 of rate.
//! Accuracy against mpmath: crates/risk-kernel/tests/accuracy.rs.
#![allow(clippy::arithmetic_side_effects)] // raw ops below are on bounded Ratio values

use crate::error::{KernelError, Result};
use crate::fixed::{Price, Ratio};
use crate::math::{exp, ln, ncdf, npdf, sqrt};
use crate::wide::Round::{self, Down};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    Call,
    Put,
}

/// Inputs of one option valuation. `t` in years, `vol` and `rate` as fractions (0.2 = 20%).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionInputs {
    pub kind: OptionKind,
    pub spot: Price,
    pub strike: Price,
    pub vol: Ratio,
    pub t: Ratio,
    pub rate: Ratio,
}

/// Price and Greeks in natural units: `price`, `vega`, `theta`, `rho` in quote per unit of
/// underlying; `delta` in units of underlying; `gamma` per unit of spot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(C)]
pub struct Greeks {
    pub price: Price,
    pub delta: Ratio,
    pub gamma: Ratio,
    pub vega: Price,
    pub theta: Price,
    pub rho: Price,
}

/// Below this total volatility (sigma * sqrt(T)) the option is valued at its discounted
/// intrinsic value: d1 would exceed the range where N(d1) differs from 0 or 1.
const MIN_TOTAL_VOL: i64 = 1 << 24; // 6e-8
/// |d| beyond which N(d) is exactly 0 or 1 in Q16.48.
const D_SATURATE: i64 = 64 << 48;
/// Input domain: wide enough for every real market, narrow enough that nothing overflows.
const MAX_VOL: i64 = 20 << 48;
const MAX_T: i64 = 100 << 48;
const MAX_ABS_RATE: i64 = 1 << 48;

pub fn validate(inp: &OptionInputs) -> Result<()> {
    if !inp.spot.is_positive() {
        return Err(KernelError::InvalidInput("spot must be > 0"));
    }
    if !inp.strike.is_positive() {
        return Err(KernelError::InvalidInput("strike must be > 0"));
    }
    if !inp.vol.is_positive() || inp.vol.raw() > MAX_VOL {
        return Err(KernelError::InvalidInput("vol must be in (0, 20]"));
    }
    if inp.t.is_negative() || inp.t.raw() > MAX_T {
        return Err(KernelError::InvalidInput("t must be in [0, 100] years"));
    }
    if inp.rate.raw().saturating_abs() > MAX_ABS_RATE {
        return Err(KernelError::InvalidInput("rate must be in [-1, 1]"));
    }
    Ok(())
}

/// What one vol level contributes to d1 and d2: sigma sqrt(T), its inverse, (r + sigma^2/2) T.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolTerms {
    pub vol: Ratio,
    pub sd: Ratio,
    pub inv_sd: Ratio,
    pub drift: Ratio,
}

/// What stays fixed across scenarios for one option: strike, discounting, sqrt(T).
#[derive(Clone, Copy, Debug)]
pub struct Prepared {
    pub kind: OptionKind,
    pub strike: Price,
    /// K e^{-rT}
    pub kd: Price,
    pub t: Ratio,
    pub sqrt_t: Ratio,
    pub rate: Ratio,
}

impl Prepared {
    pub fn new(kind: OptionKind, strike: Price, t: Ratio, rate: Ratio) -> Result<Self> {
        let disc = exp(rate.mul_ratio(t, Down)?.neg()?)?;
        Ok(Self { kind, strike, kd: strike.mul_ratio(disc, Down)?, t, sqrt_t: sqrt(t)?, rate })
    }

    /// The same option `h` years later (SPAN's look-ahead): T' = max(T - h, 0), with its own
    /// K e^{-rT'} and sqrt(T'). At T' = 0 every vol level has no terms: intrinsic value.
    pub fn after(&self, h: Ratio) -> Result<Self> {
        if !h.is_positive() {
            return Ok(*self);
        }
        Self::new(self.kind, self.strike, self.t.sub(h)?.max(Ratio::ZERO), self.rate)
    }

    /// ln(spot / strike), the moneyness every scenario shifts by ln(1 + move).
    pub fn log_moneyness(&self, spot: Price) -> Result<Ratio> {
        ln(spot.div(self.strike, Down)?)
    }

    /// The terms of one vol level, shared by every scenario at that vol; None when the total
    /// vol is too small to matter (the option is then worth its discounted intrinsic value).
    pub fn vol_terms(&self, vol: Ratio) -> Result<Option<VolTerms>> {
        let sd: Ratio = vol.mul_ratio(self.sqrt_t, Down)?;
        if sd.raw() < MIN_TOTAL_VOL {
            return Ok(None);
        }
        let half_var = Ratio::from_raw(vol.mul_ratio(vol, Down)?.raw() / 2);
        let drift: Ratio = self.rate.add(half_var)?.mul_ratio(self.t, Down)?;
        Ok(Some(VolTerms { vol, sd, inv_sd: Ratio::ONE.div(sd, Down)?, drift }))
    }

    /// d1 and d2 at log-moneyness x: one multiply (by 1/(sigma sqrt T)), no division.
    #[inline(always)]
    fn d1_d2(&self, x: Ratio, vt: &VolTerms) -> Result<(Ratio, Ratio)> {
        let num = x.add(vt.drift)?;
        // Saturate rather than fail: far beyond |d| = 64, N is flat.
        let d1 = match num.mul_ratio(vt.inv_sd, Down) {
            Ok(d) => Ratio::from_raw(d.raw().clamp(-D_SATURATE, D_SATURATE)),
            Err(_) => Ratio::from_raw(if num.is_negative() { -D_SATURATE } else { D_SATURATE }),
        };
        Ok((d1, d1.sub(vt.sd)?))
    }

    /// Option value per unit at `spot` with log-moneyness `x` = ln(spot/K) and vol `vol`.
    pub fn value(&self, spot: Price, x: Ratio, vol: Ratio) -> Result<Price> {
        match self.vol_terms(vol)? {
            None => self.intrinsic(spot),
            Some(vt) => self.value_with(spot, x, &vt),
        }
    }

    /// Option value per unit at `spot`, log-moneyness `x`, with the vol level's terms.
    #[inline(always)]
    pub fn value_with(&self, spot: Price, x: Ratio, vt: &VolTerms) -> Result<Price> {
        let (d1, d2) = self.d1_d2(x, vt)?;
        self.value_from_d(spot, d1, d2)
    }

    /// Value at spot 0 (a crash scenario past -100%): a call is worthless, a put worth K e^{-rT}.
    pub fn value_at_zero(&self) -> Price {
        match self.kind {
            OptionKind::Call => Price::ZERO,
            OptionKind::Put => self.kd,
        }
    }

    pub fn intrinsic(&self, spot: Price) -> Result<Price> {
        let v = match self.kind {
            OptionKind::Call => spot.sub(self.kd)?,
            OptionKind::Put => self.kd.sub(spot)?,
        };
        Ok(v.max(Price::ZERO))
    }

    fn value_from_d(&self, spot: Price, d1: Ratio, d2: Ratio) -> Result<Price> {
        let v = match self.kind {
            OptionKind::Call => spot.mul_ratio(ncdf(d1), Down)?.sub(self.kd.mul_ratio(ncdf(d2), Down)?)?,
            OptionKind::Put => self.kd.mul_ratio(ncdf(d2.neg()?), Down)?.sub(spot.mul_ratio(ncdf(d1.neg()?), Down)?)?,
        };
        Ok(v.max(Price::ZERO))
    }

    /// Price and all Greeks at `spot` (x = ln(spot/K)) and `vol`.
    pub fn greeks(&self, spot: Price, x: Ratio, vol: Ratio) -> Result<Greeks> {
        let Some(vt) = self.vol_terms(vol)? else {
            return self.intrinsic_greeks(spot);
        };
        let (d1, d2) = self.d1_d2(x, &vt)?;
        let price = self.value_from_d(spot, d1, d2)?;
        let call = self.kind == OptionKind::Call;
        let n1 = ncdf(d1);
        let delta = if call { n1 } else { n1.sub(Ratio::ONE)? };
        let pdf = npdf(d1);
        // gamma = phi(d1) / (S sigma sqrt T)
        let pdf_over_sd: Ratio = pdf.mul_ratio(vt.inv_sd, Down)?;
        let gamma: Ratio = pdf_over_sd.div(spot, Down)?;
        // vega = S phi(d1) sqrt T
        let vega: Price = spot.mul_ratio(pdf.mul_ratio(self.sqrt_t, Down)?, Down)?;
        // theta = -S phi(d1) sigma / (2 sqrt T) -/+ r K e^{-rT} N(+-d2); sigma/sqrtT = sigma^2/sd.
        let decay: Ratio = pdf_over_sd.mul_ratio(vol.mul_ratio(vol, Down)?, Down)?;
        let decay: Price = spot.mul_ratio(decay, Round::Up)?; // S phi sigma / sqrtT, halved below
        let carry_n = if call { ncdf(d2) } else { ncdf(d2.neg()?) };
        // One Price rounding per Greek: the Ratio factors are multiplied first.
        let r_carry: Price = self.kd.mul_ratio(carry_n.mul_ratio(self.rate, Down)?, Down)?; // r K e^{-rT} N(+-d2)
        let half_decay = Price::from_raw(decay.raw() / 2);
        let theta = if call { half_decay.neg()?.sub(r_carry)? } else { r_carry.sub(half_decay)? };
        // rho = +-K T e^{-rT} N(+-d2)
        let rho_abs: Price = self.kd.mul_ratio(carry_n.mul_ratio(self.t, Down)?, Down)?;
        let rho = if call { rho_abs } else { rho_abs.neg()? };
        Ok(Greeks { price, delta, gamma, vega, theta, rho })
    }

    /// At (or numerically at) expiry: intrinsic value, a step delta, and no curvature.
    fn intrinsic_greeks(&self, spot: Price) -> Result<Greeks> {
        let price = self.intrinsic(spot)?;
        let itm = price.is_positive();
        let delta = match (self.kind, itm) {
            (OptionKind::Call, true) => Ratio::ONE,
            (OptionKind::Put, true) => Ratio::ONE.neg()?,
            _ => Ratio::ZERO,
        };
        // d(K e^{-rT})/dr = -T K e^{-rT}; theta from the discount drift r K e^{-rT}.
        let (rho, theta) = if itm {
            let rk = self.kd.mul_ratio(self.t, Down)?;
            let th = self.kd.mul_ratio(self.rate, Down)?;
            match self.kind {
                OptionKind::Call => (rk, th.neg()?),
                OptionKind::Put => (rk.neg()?, th),
            }
        } else {
            (Price::ZERO, Price::ZERO)
        };
        Ok(Greeks { price, delta, gamma: Ratio::ZERO, vega: Price::ZERO, theta, rho })
    }
}

/// Price and Greeks of one option.
pub fn greeks(inp: &OptionInputs) -> Result<Greeks> {
    validate(inp)?;
    let p = Prepared::new(inp.kind, inp.strike, inp.t, inp.rate)?;
    p.greeks(inp.spot, p.log_moneyness(inp.spot)?, inp.vol)
}

/// Price only (cheaper: no PDF, no Greeks).
pub fn price(inp: &OptionInputs) -> Result<Price> {
    validate(inp)?;
    let p = Prepared::new(inp.kind, inp.strike, inp.t, inp.rate)?;
    p.value(inp.spot, p.log_moneyness(inp.spot)?, inp.vol)
}
