pub mod config_accept_authority;
pub mod config_init;
pub mod config_propose_authority;
pub mod config_set_liquidation;
pub mod config_set_pause;
pub mod grid;
pub mod insurance_init;

use crate::error::PmError;
use anchor_lang::prelude::*;
use risk_kernel::Ratio;

/// Rate in [-1, 1], extreme weight in [0, 1] (Ratio raw).
pub fn validate_risk_params(rate: i64, extreme_weight: i64) -> Result<()> {
    let one = Ratio::ONE.raw();
    require!((-one..=one).contains(&rate), PmError::InvalidParameter);
    require!((0..=one).contains(&extreme_weight), PmError::InvalidParameter);
    Ok(())
}
