//! The Dutch auction: the discount a liquidator earns grows with time since the account was
//! first seen liquidatable, so keepers compete on speed and a liquidatee loses little.
use crate::error::PmError;
use crate::state::LiquidationParams;
use anchor_lang::prelude::*;
use risk_kernel::{Ratio, Round};

/// The discount `elapsed_secs` after the account was flagged: start, growing linearly to the
/// cap over `ramp_secs` (rounded down: a liquidatee never pays more than the schedule).
pub fn discount(p: &LiquidationParams, elapsed_secs: i64) -> Result<Ratio> {
    let (start, cap) = (Ratio::from_raw(p.start_discount), Ratio::from_raw(p.max_discount));
    let t = elapsed_secs.clamp(0, p.ramp_secs.max(1));
    let span = cap.sub(start).map_err(|_| PmError::Overflow)?;
    let grown = span
        .mul_ratio(Ratio::from_ratio(t, p.ramp_secs.max(1), Round::Down).map_err(|_| PmError::Overflow)?, Round::Down)
        .map_err(|_| PmError::Overflow)?;
    Ok(start.add(grown).map_err(|_| PmError::Overflow)?.min(cap))
}

/// 0 <= start <= cap <= 1/2, a positive ramp, buffer and insurance share within [0, 1].
pub fn validate(p: &LiquidationParams) -> Result<()> {
    let one = Ratio::ONE.raw();
    require!(0 <= p.start_discount && p.start_discount <= p.max_discount, PmError::InvalidParameter);
    require!(p.max_discount <= one / 2, PmError::InvalidParameter);
    require!(p.ramp_secs > 0, PmError::InvalidParameter);
    require!((0..=one).contains(&p.target_buffer), PmError::InvalidParameter);
    require!((0..=one).contains(&p.insurance_share), PmError::InvalidParameter);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discount_ramps_linearly_to_the_cap() {
        let r = |v: f64| Ratio::from_f64(v).unwrap().raw();
        let p = LiquidationParams {
            start_discount: r(0.01),
            max_discount: r(0.05),
            ramp_secs: 100,
            target_buffer: r(0.1),
            insurance_share: r(0.2),
        };
        validate(&p).unwrap();
        let d = |t| discount(&p, t).unwrap().to_f64();
        assert!((d(0) - 0.01).abs() < 1e-12);
        assert!((d(-5) - 0.01).abs() < 1e-12);
        assert!((d(50) - 0.03).abs() < 1e-12);
        assert!((d(100) - 0.05).abs() < 1e-12);
        assert!((d(10_000) - 0.05).abs() < 1e-12);
        assert!(validate(&LiquidationParams { max_discount: r(0.6), ..p }).is_err());
        assert!(validate(&LiquidationParams { start_discount: r(0.06), ..p }).is_err());
        assert!(validate(&LiquidationParams { ramp_secs: 0, ..p }).is_err());
    }
}
