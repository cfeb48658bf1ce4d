use crate::error::PmError;
use crate::state::{CollateralAsset, Config, PARAM_DELAY_SECS, ParamChange, PendingParams, Underlying, seeds, status};
use anchor_lang::prelude::*;

/// A repricing change was proposed; anyone may apply it from `effective_at`.
#[event]
pub struct ParamsProposed {
    pub target: Pubkey,
    pub effective_at: i64,
    pub change: ParamChange,
}

/// A proposal awaiting its delay was withdrawn.
#[event]
pub struct ParamsCancelled {
    pub target: Pubkey,
}

/// First step of a change that reprices an asset's balances (haircuts, feed, mapping, depeg,
/// delisting: anything `collateral_update` refuses). Risk authority only; validated now and
/// again when applied. One pending change per asset (`params_cancel` withdraws it).
/// Remaining accounts: the mapped underlying, if `group` names one.
#[derive(Accounts)]
pub struct CollateralPropose<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(seeds = [seeds::COLLATERAL, asset.mint.as_ref()], bump = asset.bump)]
    pub asset: Box<Account<'info, CollateralAsset>>,
    #[account(
        init, payer = risk_authority, space = 8 + PendingParams::INIT_SPACE,
        seeds = [seeds::PENDING_PARAMS, asset.key().as_ref()], bump
    )]
    pub pending: Box<Account<'info, PendingParams>>,
    #[account(mut)]
    pub risk_authority: Signer<'info>,
    pub system_program: Program<'info, System>,
}

/// Checks of an asset's parameters that hold at proposal and again at application.
pub fn check_collateral<'info>(
    asset: &CollateralAsset,
    params: &crate::state::CollateralParams,
    remaining: &'info [AccountInfo<'info>],
) -> Result<()> {
    super::check_mapping(params, remaining)?;
    require!(params.validate(asset.decimals), PmError::InvalidParameter);
    // A quote asset's debts need a price: it is never valued at zero.
    require!(!(asset.is_quote != 0 && params.status == status::DELISTED), PmError::InvalidParameter);
    Ok(())
}

pub fn collateral<'info>(
    ctx: Context<'info, CollateralPropose<'info>>,
    params: crate::state::CollateralParams,
) -> Result<()> {
    check_collateral(&ctx.accounts.asset, &params, ctx.remaining_accounts)?;
    let target = ctx.accounts.asset.key();
    propose(
        &mut ctx.accounts.pending,
        ctx.bumps.pending,
        target,
        ctx.accounts.risk_authority.key(),
        ParamChange::Collateral(params),
    )
}

/// First step of a change to an underlying's scan parameters, vol bounds or feed (anything
/// `underlying_update` refuses). Risk authority only; validated now and when applied.
#[derive(Accounts)]
pub struct UnderlyingPropose<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    #[account(
        init, payer = risk_authority, space = 8 + PendingParams::INIT_SPACE,
        seeds = [seeds::PENDING_PARAMS, underlying.key().as_ref()], bump
    )]
    pub pending: Box<Account<'info, PendingParams>>,
    #[account(mut)]
    pub risk_authority: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn underlying(ctx: Context<UnderlyingPropose>, params: crate::state::UnderlyingParams) -> Result<()> {
    params.validate()?;
    let target = ctx.accounts.underlying.key();
    propose(
        &mut ctx.accounts.pending,
        ctx.bumps.pending,
        target,
        ctx.accounts.risk_authority.key(),
        ParamChange::Underlying(params),
    )
}

fn propose(pending: &mut PendingParams, bump: u8, target: Pubkey, payer: Pubkey, change: ParamChange) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let effective_at = now.checked_add(PARAM_DELAY_SECS).ok_or(PmError::Overflow)?;
    *pending =
        PendingParams { version: PendingParams::VERSION, bump, target, payer, proposed_at: now, effective_at, change };
    emit!(ParamsProposed { target, effective_at, change });
    Ok(())
}

/// Withdraws a pending change (rent back to the risk authority). Risk authority only.
#[derive(Accounts)]
pub struct ParamsCancel<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut, close = risk_authority, seeds = [seeds::PENDING_PARAMS, pending.target.as_ref()], bump = pending.bump)]
    pub pending: Box<Account<'info, PendingParams>>,
    #[account(mut)]
    pub risk_authority: Signer<'info>,
}

pub fn cancel(ctx: Context<ParamsCancel>) -> Result<()> {
    emit!(ParamsCancelled { target: ctx.accounts.pending.target });
    Ok(())
}
