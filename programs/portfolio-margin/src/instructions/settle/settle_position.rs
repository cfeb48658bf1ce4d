use crate::error::PmError;
use crate::events::{FundingSettled, PositionSettled};
use crate::funding;
use crate::state::{CollateralAsset, Config, Instrument, MarginAccount, Underlying, kind, pause, phase, seeds};
use crate::units;
use anchor_lang::prelude::*;
use risk_kernel::{Price, Ratio, Round};

/// Permissionless: settles one account's position in one instrument into its quote balance.
/// - Expired and settled options and futures: the payoff (options: intrinsic value at the
///   settlement price; futures: settlement price x lots - cost) is paid and the slot freed.
/// - Live futures and perpetuals (M-6): only the account's owner or delegate realizes, signing
///   as the first remaining account (a stranger cannot lock in a loss at a pushed mark). A
///   loss at the cached mark is realized in full, and what the loser's quote balance covers
///   joins the instrument's `pnl_pool`; a profit is realized only up to that pool, the rest
///   staying unrealized: a live profit is paid from losses actually paid in, never from other
///   depositors' money or from a debt. The position's cost moves by what was realized.
///
/// Cash per lot is one integer for every account (rounded down), so an expiry's payments sum
/// to exactly zero; the instrument's `net_cash` records what accounts received in total.
#[derive(Accounts)]
pub struct SettlePosition<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    #[account(mut, has_one = underlying @ PmError::UnderlyingMismatch)]
    pub instrument: AccountLoader<'info, Instrument>,
    /// Writable: its `net_cash` sums its instruments' (see `resolve_bankruptcy`).
    #[account(mut, address = underlying.quote_asset @ PmError::WrongQuoteAsset)]
    pub quote_asset: Box<Account<'info, CollateralAsset>>,
    #[account(mut)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
}

pub fn handler(ctx: Context<SettlePosition>) -> Result<()> {
    require!(!ctx.accounts.config.is_paused(pause::SETTLE), PmError::Paused);
    let now = Clock::get()?.unix_timestamp;
    let u = &ctx.accounts.underlying;
    let inst_key = ctx.accounts.instrument.key();
    let mut inst = ctx.accounts.instrument.load_mut()?;
    let mut acc = ctx.accounts.margin_account.load_mut()?;
    let i = acc.position_slot(&inst_key).ok_or(PmError::NoPosition)?;
    // Perpetual funding: settled at the index and realized into the cost (rounded against the
    // account), so the P&L below pays it like any live P&L: a receiver only out of `pnl_pool`.
    let settled = funding::settle(&mut acc.positions[i], inst.funding_index)?;
    let realized = funding::fold(&mut acc.positions[i], u.quote_decimals)?;
    if settled != 0 || realized != 0 {
        emit!(FundingSettled {
            account: ctx.accounts.margin_account.key(),
            instrument: inst_key,
            amount: settled,
            funding: acc.positions[i].funding,
            index: inst.funding_index,
        });
    }
    let pos = acc.positions[i];
    let lot = Ratio::from_raw(inst.lot_size);
    let d = u.quote_decimals;

    let (per_lot, expired) = if inst.phase == phase::SETTLED {
        let s = Price::from_raw(inst.settle_price);
        let k = Price::from_raw(inst.strike);
        let value = match inst.kind {
            kind::CALL => s.sub(k).map_err(|_| PmError::Overflow)?.max(Price::ZERO),
            kind::PUT => k.sub(s).map_err(|_| PmError::Overflow)?.max(Price::ZERO),
            _ => s,
        };
        (units::native_per_lot(value, lot, d, Round::Down)?, true)
    } else {
        require!(!inst.is_expired(now), PmError::NotSettled);
        require!(!inst.is_option(), PmError::InstrumentNotExpired);
        require!(u.snapshot.is_fresh(now, u.params.max_risk_age_secs), PmError::RiskStale);
        let signer = ctx.remaining_accounts.first().filter(|a| a.is_signer).ok_or(PmError::NotOwnerOrDelegate)?;
        crate::positions::require_trader(&acc, signer.key)?;
        let fair = inst.fair_at(u.snapshot.epoch)?;
        (units::native_per_lot(fair, lot, d, Round::Down)?, false)
    };
    let value = units::cash(pos.lots, per_lot)?;
    let pnl = value.checked_sub(pos.cost).ok_or(PmError::Overflow)?;
    // Live: a loss feeds the pool with what the loser's quote balance covers (a debt pays
    // nobody); a profit is paid only from the pool, the rest staying unrealized.
    let quote_key = ctx.accounts.quote_asset.key();
    let index = ctx.accounts.quote_asset.loss_index();
    let amount = if expired {
        pnl
    } else if pnl < 0 {
        let covered = acc.balance_at(&quote_key, index)?.max(0).min(pnl.checked_neg().ok_or(PmError::Overflow)?);
        inst.pnl_pool = inst.pnl_pool.checked_add(covered).ok_or(PmError::Overflow)?;
        pnl
    } else {
        let paid = pnl.min(inst.pnl_pool.max(0));
        inst.pnl_pool -= paid;
        paid
    };
    {
        let p = &mut acc.positions[i];
        if expired {
            inst.open_interest = inst.open_interest.checked_sub(p.lots.max(0)).ok_or(PmError::Overflow)?;
            (p.lots, p.cost) = (0, 0);
        } else {
            p.cost = p.cost.checked_add(amount).ok_or(PmError::Overflow)?;
        }
    }
    acc.close_flat_position(i);
    if amount != 0 {
        acc.credit(&quote_key, index, amount)?;
    }
    inst.net_cash = inst.net_cash.checked_add(amount).ok_or(PmError::Overflow)?;
    let quote = &mut ctx.accounts.quote_asset;
    quote.net_cash = quote.net_cash.checked_add(amount).ok_or(PmError::Overflow)?;
    emit!(PositionSettled {
        account: ctx.accounts.margin_account.key(),
        instrument: inst_key,
        lots: pos.lots,
        amount,
        expired,
    });
    Ok(())
}
