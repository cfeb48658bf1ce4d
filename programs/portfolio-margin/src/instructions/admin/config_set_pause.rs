use crate::error::PmError;
use crate::events::PauseChanged;
use crate::state::{Config, pause, seeds};
use anchor_lang::prelude::*;

/// Sets the pause bits (see `state::config::pause`). Admin only.
#[derive(Accounts)]
pub struct ConfigSetPause<'info> {
    #[account(mut, seeds = [seeds::CONFIG], bump = config.bump, has_one = admin @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    pub admin: Signer<'info>,
}

pub fn handler(ctx: Context<ConfigSetPause>, paused: u8) -> Result<()> {
    require!(paused & !pause::ALL == 0, PmError::InvalidParameter);
    ctx.accounts.config.paused = paused;
    emit!(PauseChanged { paused });
    Ok(())
}
