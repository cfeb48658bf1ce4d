//! Expiry scaling of vol shocks and the term-structure twist (issue 11 item 5).
//!
//! In a scenario with vol multiple `a` (= `vol_scan` x V) and twist multiple `b`
//! (= `vol_twist` x V), an option T years from expiry has its vol moved by
//!
//! ```text
//! move(T) = (a + b side(T)) scale(T)
//! scale(T) = clamp((t_ref / T)^p, floor, cap),  p = p_short if T < t_ref, p_long otherwise
//! side(T)  = clamp(log2(t_ref / T), -1, 1)
//! ```
//!
//! `scale` is Deribit's and Derive's (PMRM_2) expiry weighting of vol shocks (30 days, 0.30,
//! 0.13): short-dated vols move more than long-dated ones. `side` makes a twist point move
//! short-dated vols one way and long-dated ones the other, pivoting at t_ref: +1 at or below
//! t_ref / 2, -1 at or beyond 2 t_ref, linear in log T between, so two neighbouring expiries move
//! together and margin does not jump when an expiry crosses t_ref.
//!
//! Fixed point: ln and exp are the kernel's (Q16.48, error below 1e-15); both factors are
//! computed once per option and level, rounded so that the shock is larger (scale up, side and
//! the move away from zero) by [`SLACK`] units in the last place beyond ln's and exp's error.
#![allow(clippy::arithmetic_side_effects)] // saturating or bounded raw ops only

use crate::error::{KernelError, Result};
use crate::fixed::Ratio;
use crate::math::{exp, ln};
use crate::wide::Round::{self, Down, Up};

/// Units in the last place (2^-48) added to ln's and exp's results (each within ~1e-15, 0.3
/// units) to make them bounds in the direction of a larger shock.
pub const SLACK: i64 = 8;
/// 1 / ln 2 in Q48, rounded up.
const INV_LN2: Ratio = Ratio::from_raw(406_082_553_034_800);
/// Above this exponent (e^3 = 20.1 > the largest cap, 16) the scale is its cap: exp is not needed.
const EXP_CAPPED: Ratio = Ratio::from_raw(3 << 48);

/// Expiry scaling of one margin level's vol moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolScaling {
    /// T_ref in years: the expiry whose vol moves by exactly the scan, and the twist's pivot.
    pub t_ref: Ratio,
    /// Exponent below t_ref (short-dated: the scale grows as T falls).
    pub p_short: Ratio,
    /// Exponent from t_ref on (long-dated: the scale falls as T grows).
    pub p_long: Ratio,
    /// Largest scale (very short expiries: (t_ref / T)^p grows without bound as T -> 0).
    pub cap: Ratio,
    /// Smallest scale (very long expiries keep at least this share of the vol scan).
    pub floor: Ratio,
}

impl VolScaling {
    /// Deribit PM / Derive PMRM_2: (30 days / T)^0.30 below 30 days, ^0.13 beyond; capped at 4x
    /// (reached at T = 7.1 hours), floored at 0.5x (reached at T = 17 years). Constants rounded
    /// toward a larger scale: t_ref and p_short up, p_long down.
    pub const DEFAULT: Self = Self {
        t_ref: Ratio::from_raw(((30i64 << 48) + 364) / 365),
        p_short: Ratio::from_raw(((3i64 << 48) + 9) / 10),
        p_long: Ratio::from_raw((13i64 << 48) / 100),
        cap: Ratio::from_raw(4 << 48),
        floor: Ratio::from_raw(1 << 47),
    };

    /// No expiry scaling: every option's vol moves by exactly the scan (one parallel shift; a
    /// twist still pivots at t_ref).
    pub const FLAT: Self =
        Self { p_short: Ratio::ZERO, p_long: Ratio::ZERO, cap: Ratio::ONE, floor: Ratio::ONE, ..Self::DEFAULT };

    /// t_ref in (0, 1] year, exponents in [0, 1], floor in (0, 1], cap in [1, 16].
    pub fn validate(&self) -> Result<()> {
        let one = Ratio::ONE;
        let ok = self.t_ref.is_positive()
            && self.t_ref <= one
            && !self.p_short.is_negative()
            && self.p_short <= one
            && !self.p_long.is_negative()
            && self.p_long <= one
            && self.floor.is_positive()
            && self.floor <= one
            && self.cap >= one
            && self.cap <= Ratio::from_raw(16 << 48);
        if !ok {
            return Err(KernelError::InvalidInput(
                "vol scaling: t_ref in (0, 1] year, p_short and p_long in [0, 1], floor in (0, 1], cap in [1, 16]",
            ));
        }
        Ok(())
    }

    /// `(scale(T), side(T))` for an option `t` years from expiry. At T = 0, and below the
    /// ~80 seconds where t_ref / T leaves Ratio's range, the short end's bounds: `(cap, 1)`.
    pub fn factors(&self, t: Ratio) -> Result<(Ratio, Ratio)> {
        let x = if t.is_positive() { self.t_ref.div(t, Up).ok() } else { None };
        let Some(x) = x else { return Ok((self.cap, Ratio::ONE)) };
        let l = ln(x)?;
        // ln rounded up: a larger scale on both sides (p >= 0).
        let p = if t < self.t_ref { self.p_short } else { self.p_long };
        let e = p.mul_ratio(Ratio::from_raw(l.raw().saturating_add(SLACK)), Up)?;
        let scale = if e > EXP_CAPPED { self.cap } else { Ratio::from_raw(exp(e)?.raw().saturating_add(SLACK)) };
        let scale = scale.max(self.floor).min(self.cap);
        // side = log2(t_ref / T), away from 0 (a larger twist), clamped to [-1, 1].
        let l_away = Ratio::from_raw(if l.is_negative() { l.raw() - SLACK } else { l.raw() + SLACK });
        let side = l_away.mul_ratio(INV_LN2, away(l_away))?;
        Ok((scale, side.max(Ratio::ONE.neg()?).min(Ratio::ONE)))
    }
}

/// Rounding away from zero for a product whose sign is `sign`'s.
#[inline(always)]
fn away(sign: Ratio) -> Round {
    if sign.is_negative() { Down } else { Up }
}

/// One vol level's move for an option with `factors` = [`VolScaling::factors`] of its expiry:
/// `(a + b side) scale`, each product rounded away from zero (a larger shock). `a` and `b` are
/// the level's vol and twist moves ([`crate::scenario::Shocks`]).
#[inline(always)]
pub fn option_vol_move(a: Ratio, b: Ratio, (scale, side): (Ratio, Ratio)) -> Result<Ratio> {
    let twist = if b == Ratio::ZERO {
        Ratio::ZERO
    } else {
        let negative = b.is_negative() != side.is_negative();
        b.mul_ratio(side, if negative { Down } else { Up })?
    };
    let c = a.add(twist)?;
    c.mul_ratio(scale, away(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> Ratio {
        Ratio::from_f64(v).unwrap()
    }

    #[test]
    fn defaults_are_deribits() {
        let d = VolScaling::DEFAULT;
        assert!((d.t_ref.to_f64() - 30.0 / 365.0).abs() < 1e-14);
        assert!((d.p_short.to_f64() - 0.30).abs() < 1e-14 && d.p_short.to_f64() >= 0.30);
        assert!((d.p_long.to_f64() - 0.13).abs() < 1e-14 && d.p_long.to_f64() <= 0.13);
        assert_eq!(d.validate(), Ok(()));
        assert_eq!(VolScaling::FLAT.validate(), Ok(()));
    }

    #[test]
    fn scale_is_an_upper_bound_of_the_formula_and_tight() {
        let d = VolScaling::DEFAULT;
        for days in [0.01, 0.3, 1.0, 2.0, 7.0, 14.9, 15.0, 29.99, 30.0, 30.01, 45.0, 90.0, 365.0, 1095.0, 36500.0] {
            // The formula at the fixed-point inputs (T rounds to 2^-48 years: 4e-12 relative at
            // 0.3 days).
            let t = f(days / 365.0);
            let (scale, side) = d.factors(t).unwrap();
            let x = d.t_ref.to_f64() / t.to_f64();
            let p = if days < 30.0 { d.p_short.to_f64() } else { d.p_long.to_f64() };
            let want = x.powf(p).clamp(0.5, 4.0);
            assert!(scale.to_f64() >= want - 1e-14, "{days}: {} < {want}", scale.to_f64());
            assert!(scale.to_f64() - want < 1e-12, "{days}: {} vs {want}", scale.to_f64());
            let want_side = x.log2().clamp(-1.0, 1.0);
            assert!((side.to_f64() - want_side).abs() < 1e-12, "{days}: side {} vs {want_side}", side.to_f64());
            assert!(side.to_f64().abs() >= want_side.abs() - 1e-15);
        }
        assert_eq!(d.factors(Ratio::ZERO).unwrap(), (d.cap, Ratio::ONE));
        assert_eq!(d.factors(Ratio::from_raw(1)).unwrap(), (d.cap, Ratio::ONE));
    }

    #[test]
    fn flat_scaling_moves_every_expiry_by_the_scan() {
        for days in [0.5, 7.0, 30.0, 90.0, 1000.0] {
            let (scale, _) = VolScaling::FLAT.factors(f(days / 365.0)).unwrap();
            assert_eq!(scale, Ratio::ONE);
        }
    }

    #[test]
    fn moves_round_away_from_zero() {
        let k = (f(1.5), f(0.75));
        let a = f(0.25);
        let up = option_vol_move(a, Ratio::ZERO, k).unwrap();
        let down = option_vol_move(a.neg().unwrap(), Ratio::ZERO, k).unwrap();
        assert!(up.to_f64() >= 0.375 && up.to_f64() - 0.375 < 1e-14);
        assert_eq!(down.neg().unwrap(), up);
        // A twist alone: b x side x scale.
        let tw = option_vol_move(Ratio::ZERO, f(-0.25), k).unwrap();
        assert!(tw.to_f64() <= -0.25 * 0.75 * 1.5 && tw.to_f64() + 0.28125 > -1e-14);
    }
}
