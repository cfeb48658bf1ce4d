pub mod collateral_register;
pub mod collateral_set_rate_source;
pub mod collateral_update;
pub mod params_apply;
pub mod params_propose;

use crate::error::PmError;
use crate::state::{CollateralParams, NO_GROUP, Underlying};
use anchor_lang::prelude::*;

/// A mapped asset names an underlying by id: it must be passed (first remaining account) and
/// exist, or the asset's balances could never be margined.
pub fn check_mapping<'info>(params: &CollateralParams, remaining: &'info [AccountInfo<'info>]) -> Result<()> {
    if params.group == NO_GROUP {
        return Ok(());
    }
    let info = remaining.first().ok_or(PmError::AccountsMismatch)?;
    let u = Account::<Underlying>::try_from(info)?;
    require!(u.id == params.group, PmError::UnderlyingMismatch);
    Ok(())
}
