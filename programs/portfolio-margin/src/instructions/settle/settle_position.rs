use crate::error::PmError;
use crate::events::PositionSettled;
use crate::state::{CollateralAsset, Config, Instrument, MarginAccount, Underlying, kind, pause, phase, seeds};
use crate::units;
use anchor_lang::prelude::*;
use risk_kernel::{Price, Ratio, Round};

/// Permissionless: settles one account's position in one instrument into its quote balance.
/// - Expired and settled options and futures: the payoff (options: intrinsic value at the
///   settlement price; futures: settlement price x lots - cost) is paid and the slot freed.
/// - Live futures and perpetuals: unrealized P&L at the cached mark (current risk snapshot)
///   is realized into cash and the position's cost reset to its marked value.
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
    #[account(address = underlying.quote_asset @ PmError::WrongQuoteAsset)]
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
        let risk = inst.risk_at(u.snapshot.epoch)?;
        (units::native_per_lot(risk.fair, lot, d, Round::Down)?, false)
    };
    let value = units::cash(pos.lots, per_lot)?;
    let amount = value.checked_sub(pos.cost).ok_or(PmError::Overflow)?;
    {
        let p = &mut acc.positions[i];
        if expired {
            inst.open_interest = inst.open_interest.checked_sub(p.lots.max(0)).ok_or(PmError::Overflow)?;
            (p.lots, p.cost) = (0, 0);
        } else {
            p.cost = value;
        }
    }
    acc.close_flat_position(i);
    if amount != 0 {
        acc.credit(&ctx.accounts.quote_asset.key(), amount)?;
    }
    inst.net_cash = inst.net_cash.checked_add(amount).ok_or(PmError::Overflow)?;
    emit!(PositionSettled {
        account: ctx.accounts.margin_account.key(),
        instrument: inst_key,
        lots: pos.lots,
        amount,
        expired,
    });
    Ok(())
}
