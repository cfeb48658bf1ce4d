use crate::error::PmError;
use crate::events::LiquidationParamsSet;
use crate::liquidation::auction;
use crate::state::{Config, LiquidationParams, seeds};
use anchor_lang::prelude::*;

/// Sets the liquidation terms (auction, target, insurance share). Risk authority only.
#[derive(Accounts)]
pub struct ConfigSetLiquidation<'info> {
    #[account(
        mut, seeds = [seeds::CONFIG], bump = config.bump,
        has_one = risk_authority @ PmError::Unauthorized
    )]
    pub config: Box<Account<'info, Config>>,
    pub risk_authority: Signer<'info>,
}

pub fn handler(ctx: Context<ConfigSetLiquidation>, params: LiquidationParams) -> Result<()> {
    auction::validate(&params)?;
    ctx.accounts.config.liquidation = params;
    emit!(LiquidationParamsSet { params });
    Ok(())
}
