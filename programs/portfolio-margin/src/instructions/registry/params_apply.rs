use crate::error::PmError;
use crate::events::{CollateralUpdated, UnderlyingUpdated};
use crate::state::{CollateralAsset, Config, ParamChange, PendingParams, Underlying, seeds};
use anchor_lang::prelude::*;

/// Permissionless, second step: installs an asset's proposed parameters once due (checked
/// again as at proposal). The pending account's rent returns to its payer.
/// Remaining accounts: the mapped underlying, if the new `group` names one.
#[derive(Accounts)]
pub struct CollateralApply<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut, seeds = [seeds::COLLATERAL, asset.mint.as_ref()], bump = asset.bump)]
    pub asset: Box<Account<'info, CollateralAsset>>,
    #[account(
        mut, close = payer, seeds = [seeds::PENDING_PARAMS, asset.key().as_ref()], bump = pending.bump,
        has_one = payer @ PmError::PendingParamsMismatch
    )]
    pub pending: Box<Account<'info, PendingParams>>,
    /// CHECK: receives the rent; must be the proposal's payer (`has_one`).
    #[account(mut)]
    pub payer: UncheckedAccount<'info>,
}

pub fn collateral<'info>(ctx: Context<'info, CollateralApply<'info>>) -> Result<()> {
    let pending = &ctx.accounts.pending;
    require!(Clock::get()?.unix_timestamp >= pending.effective_at, PmError::ParamChangeNotDue);
    let ParamChange::Collateral(params) = pending.change else { return err!(PmError::PendingParamsMismatch) };
    super::params_propose::check_collateral(&ctx.accounts.asset, &params, ctx.remaining_accounts)?;
    let asset = &mut ctx.accounts.asset;
    asset.params = params;
    emit!(CollateralUpdated { asset: asset.key(), status: params.status });
    Ok(())
}

/// Permissionless, second step for an underlying: installs the proposed parameters once due.
/// Every cached risk array was computed under the old ones: the snapshot is marked stale (the
/// next crank recomputes all of them).
#[derive(Accounts)]
pub struct UnderlyingApply<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut, seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    #[account(
        mut, close = payer, seeds = [seeds::PENDING_PARAMS, underlying.key().as_ref()], bump = pending.bump,
        has_one = payer @ PmError::PendingParamsMismatch
    )]
    pub pending: Box<Account<'info, PendingParams>>,
    /// CHECK: receives the rent; must be the proposal's payer (`has_one`).
    #[account(mut)]
    pub payer: UncheckedAccount<'info>,
}

pub fn underlying(ctx: Context<UnderlyingApply>) -> Result<()> {
    let pending = &ctx.accounts.pending;
    require!(Clock::get()?.unix_timestamp >= pending.effective_at, PmError::ParamChangeNotDue);
    let ParamChange::Underlying(params) = pending.change else { return err!(PmError::PendingParamsMismatch) };
    params.validate()?;
    let u = &mut ctx.accounts.underlying;
    u.params = params;
    u.snapshot.refreshed_at = 0;
    emit!(UnderlyingUpdated { underlying: u.key() });
    Ok(())
}
