use crate::error::PmError;
use crate::events::RateSourceSet;
use crate::oracle::stake_pool;
use crate::state::{CollateralAsset, Config, RateSource, seeds};
use anchor_lang::prelude::*;

/// Pins where a receipt token's exchange rate is read (an SPL stake-pool LST: the pool
/// account), so that its price is the rate x its feed's price (the feed then is the
/// underlying's, e.g. SOL/USD). Risk authority only, and only before the asset's first deposit:
/// it reprices every balance, so it is never changed under holders (nor unset). The pool must
/// already be valid: owned by the stake-pool program, a pool, issuing this asset's mint.
#[derive(Accounts)]
pub struct CollateralSetRateSource<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut, seeds = [seeds::COLLATERAL, asset.mint.as_ref()], bump = asset.bump)]
    pub asset: Box<Account<'info, CollateralAsset>>,
    pub risk_authority: Signer<'info>,
    /// CHECK: read by `oracle::stake_pool::read` (owner = the stake-pool program, layout) and
    /// matched to the asset's mint below.
    pub rate_account: UncheckedAccount<'info>,
}

pub fn handler(ctx: Context<CollateralSetRateSource>, source: RateSource) -> Result<()> {
    let asset = &mut ctx.accounts.asset;
    require!(asset.total_deposits == 0 && asset.rate_source == RateSource::None, PmError::RateSourceLocked);
    let info = &ctx.accounts.rate_account;
    match source {
        RateSource::None => return err!(PmError::InvalidParameter),
        RateSource::SplStakePool => {
            let pool = stake_pool::read(info.owner, &info.try_borrow_data()?)?;
            require_keys_eq!(pool.pool_mint, asset.mint, PmError::RateSourceMismatch);
        }
    }
    asset.rate_source = source;
    asset.rate_account = info.key();
    emit!(RateSourceSet { asset: asset.key(), source, account: info.key() });
    Ok(())
}
