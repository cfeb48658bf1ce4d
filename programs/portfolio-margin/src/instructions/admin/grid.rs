//! The scenario grid as configuration (issue 11 item 6): the risk authority proposes a grid,
//! anyone applies it after [`PARAM_DELAY_SECS`] (a grid reprices every account, like the
//! underlying and collateral changes of `params_propose`), and applying it bumps
//! `Config::grid_epoch`, which makes every cached risk array stale until the crank recomputes
//! it under the new grid.
use crate::error::PmError;
use crate::state::{Config, GridPoint, PARAM_DELAY_SECS, seeds, validate_grid};
use anchor_lang::prelude::*;

/// A grid was proposed (`points` empty: a pending proposal was withdrawn).
#[event]
pub struct GridProposed {
    pub effective_at: i64,
    pub points: Vec<GridPoint>,
}

/// A proposed grid became the grid; every risk array of an older epoch is stale.
#[event]
pub struct GridApplied {
    pub grid_epoch: u64,
    pub points: u8,
}

/// Risk authority: proposes `points` as the next grid (validated now and again when applied),
/// replacing any pending proposal and restarting the delay; no points withdraws the proposal.
#[derive(Accounts)]
pub struct GridPropose<'info> {
    #[account(mut, seeds = [seeds::CONFIG], bump = config.bump, has_one = risk_authority @ PmError::Unauthorized)]
    pub config: Box<Account<'info, Config>>,
    pub risk_authority: Signer<'info>,
}

pub fn propose(ctx: Context<GridPropose>, points: Vec<GridPoint>) -> Result<()> {
    let config = &mut ctx.accounts.config;
    let effective_at = if points.is_empty() {
        0
    } else {
        validate_grid(&points)?;
        Clock::get()?.unix_timestamp.checked_add(PARAM_DELAY_SECS).ok_or(PmError::Overflow)?
    };
    config.pending_grid = points.clone();
    config.pending_grid_at = effective_at;
    emit!(GridProposed { effective_at, points });
    Ok(())
}

/// Permissionless, once due: the pending grid becomes the grid and `grid_epoch` advances.
#[derive(Accounts)]
pub struct GridApply<'info> {
    #[account(mut, seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
}

pub fn apply(ctx: Context<GridApply>) -> Result<()> {
    let config = &mut ctx.accounts.config;
    require!(!config.pending_grid.is_empty(), PmError::InvalidParameter);
    require!(Clock::get()?.unix_timestamp >= config.pending_grid_at, PmError::ParamChangeNotDue);
    validate_grid(&config.pending_grid)?;
    config.grid = core::mem::take(&mut config.pending_grid);
    config.pending_grid_at = 0;
    config.grid_epoch = config.grid_epoch.checked_add(1).ok_or(PmError::Overflow)?;
    emit!(GridApplied { grid_epoch: config.grid_epoch, points: config.grid.len() as u8 });
    Ok(())
}
