use crate::error::PmError;
use crate::events::CollateralUpdated;
use crate::state::{CollateralAsset, CollateralParams, Config, seeds};
use anchor_lang::prelude::*;

/// The emergency levers of an asset, at once: status (active / reduce-only / disabled), deposit
/// cap, tighter oracle limits. Risk authority only. Any change that reprices balances
/// (haircuts, feed, mapping, depeg, delisting) is refused here with `ParamChangeNeedsDelay`
/// and goes through `collateral_propose` / `collateral_apply` (L-2). Mint, vault, decimals and
/// token program never change.
#[derive(Accounts)]
pub struct CollateralUpdate<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut, seeds = [seeds::COLLATERAL, asset.mint.as_ref()], bump = asset.bump)]
    pub asset: Box<Account<'info, CollateralAsset>>,
    pub risk_authority: Signer<'info>,
}

pub fn handler<'info>(ctx: Context<'info, CollateralUpdate<'info>>, params: CollateralParams) -> Result<()> {
    super::check_mapping(&params, ctx.remaining_accounts)?;
    let asset = &mut ctx.accounts.asset;
    require!(params.validate(asset.decimals), PmError::InvalidParameter);
    require!(asset.params.only_levers_changed(&params), PmError::ParamChangeNeedsDelay);
    asset.params = params;
    emit!(CollateralUpdated { asset: asset.key(), status: asset.params.status });
    Ok(())
}
