use crate::error::PmError;
use crate::events::UnderlyingUpdated;
use crate::state::{Config, Underlying, UnderlyingParams, seeds};
use anchor_lang::prelude::*;

/// Updates an underlying's oracle limits and scan parameters. Risk authority only. Cached risk
/// arrays keep their old ranges until the next refresh, which the new parameters drive.
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
    u.params = params;
    // Every cache computed under the old parameters is stale from now on.
    u.snapshot.refreshed_at = 0;
    emit!(UnderlyingUpdated { underlying: u.key() });
    Ok(())
}
