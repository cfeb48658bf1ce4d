use crate::error::PmError;
use crate::events::LiquidationFlagged;
use crate::margin::{self, MarketView};
use crate::state::{Config, MarginAccount, pause, seeds};
use anchor_lang::prelude::*;

/// Permissionless: starts the account's auction clock when equity < maintenance margin (if
/// not already running), or stops it when the account is healthy again. Keepers call it as
/// soon as they see an account go under, and liquidate when the discount pays them.
/// Remaining accounts: what `margin` documents.
#[derive(Accounts)]
pub struct LiquidationFlag<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(mut)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn handler<'info>(ctx: Context<'info, LiquidationFlag<'info>>) -> Result<()> {
    // No auction clock runs while liquidations are paused.
    require!(!ctx.accounts.config.is_paused(pause::LIQUIDATE), PmError::Paused);
    let now = Clock::get()?.unix_timestamp;
    let r = {
        let view = MarketView::from_infos(ctx.remaining_accounts, now)?;
        let acc = ctx.accounts.margin_account.load()?;
        margin::snapshot::report(&view, &acc, &ctx.accounts.config)?.require_complete()?
    };
    let mut acc = ctx.accounts.margin_account.load_mut()?;
    if r.equity < r.maintenance {
        acc.liquidatable_since = acc.auction_start(now, ctx.accounts.config.liquidation.ramp_secs);
        acc.liquidatable_seen = now;
    } else {
        acc.liquidatable_since = 0;
        acc.liquidatable_seen = 0;
    }
    emit!(LiquidationFlagged {
        account: ctx.accounts.margin_account.key(),
        liquidatable_since: acc.liquidatable_since,
        equity: r.equity.raw(),
        maintenance: r.maintenance.raw(),
    });
    Ok(())
}
