use crate::error::PmError;
use crate::events::UnderlyingUpdated;
use crate::state::{Config, Underlying, UnderlyingParams, seeds};
use anchor_lang::prelude::*;

/// The levers of an underlying that reprice no position, at once: tighter oracle limits, a
/// narrower price band, shorter vol/risk ages, the refresh interval, the settlement window.
/// Risk authority only. Scan parameters, vol bounds and the feed wait `PARAM_DELAY_SECS`
/// through `underlying_propose` / `underlying_apply` (L-2): refused here with
/// `ParamChangeNeedsDelay`.
#[derive(Accounts)]
pub struct UnderlyingUpdate<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut, seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    pub risk_authority: Signer<'info>,
}

pub fn handler(ctx: Context<UnderlyingUpdate>, params: UnderlyingParams) -> Result<()> {
    params.validate()?;
    let u = &mut ctx.accounts.underlying;
    require!(u.params.only_levers_changed(&params), PmError::ParamChangeNeedsDelay);
    // No cached array depends on these levers: the caches stay current.
    u.params = params;
    emit!(UnderlyingUpdated { underlying: u.key() });
    Ok(())
}
