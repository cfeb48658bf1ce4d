use crate::error::PmError;
use crate::events::UnderlyingRegistered;
use crate::state::{CollateralAsset, Config, Underlying, UnderlyingParams, seeds};
use anchor_lang::prelude::*;

/// Registers an underlying: its Pyth feed, scan parameters and the collateral asset its
/// instruments settle in. Risk authority only. `id` (0..=254) is what collateral group
/// mappings name.
#[derive(Accounts)]
#[instruction(id: u8)]
pub struct UnderlyingRegister<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    #[account(
        init, payer = payer, space = 8 + Underlying::INIT_SPACE,
        seeds = [seeds::UNDERLYING, &[id]], bump
    )]
    pub underlying: Box<Account<'info, Underlying>>,
    #[account(mut, seeds = [seeds::COLLATERAL, quote_asset.mint.as_ref()], bump = quote_asset.bump)]
    pub quote_asset: Box<Account<'info, CollateralAsset>>,
    pub risk_authority: Signer<'info>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<UnderlyingRegister>, id: u8, params: UnderlyingParams) -> Result<()> {
    require!(id != crate::state::NO_GROUP, PmError::InvalidParameter);
    params.validate()?;
    let u = &mut ctx.accounts.underlying;
    u.version = Underlying::VERSION;
    u.bump = ctx.bumps.underlying;
    u.id = id;
    u.quote_asset = ctx.accounts.quote_asset.key();
    u.quote_decimals = ctx.accounts.quote_asset.decimals;
    u.params = params;
    ctx.accounts.quote_asset.is_quote = 1;
    emit!(UnderlyingRegistered { underlying: u.key(), id, quote_asset: u.quote_asset, feed_id: params.feed_id });
    Ok(())
}
