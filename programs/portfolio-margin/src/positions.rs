//! Moving lots between two accounts at an agreed per-lot amount: the one rule shared by
//! trades and liquidations, so both conserve cash and open interest the same way.
use crate::error::PmError;
use crate::funding;
use crate::state::MarginAccount;
use anchor_lang::prelude::*;
use risk_kernel::margin::MAX_LOTS;

/// One side of a transfer.
pub struct Leg {
    pub lots: i64,
    /// Added to the position's cost (linear instruments).
    pub cost: i64,
    /// Added to the quote balance (options).
    pub cash: i64,
}

/// The two legs of `lots` bought by the taker for `amount` quote native units (what the
/// taker pays; < 0: receives): options move it as cash, linear instruments record it as cost.
pub fn legs(is_option: bool, lots: i64, amount: i64) -> Result<(Leg, Leg)> {
    let neg = |v: i64| v.checked_neg().ok_or(PmError::Overflow);
    Ok(if is_option {
        (Leg { lots, cost: 0, cash: neg(amount)? }, Leg { lots: neg(lots)?, cost: 0, cash: amount })
    } else {
        (Leg { lots, cost: amount, cash: 0 }, Leg { lots: neg(lots)?, cost: neg(amount)?, cash: 0 })
    })
}

/// The instrument's funding index and the quote asset's decimals: a position's funding is
/// settled at the index before its lots change, and realized into its cost when it closes.
#[derive(Clone, Copy)]
pub struct FundingAt {
    pub index: i64,
    pub quote_decimals: u8,
}

/// Settles the funding of `acc`'s position in `instrument` (if any) at `index`; returns the
/// amount settled (quote units Q32, > 0 received).
pub fn settle_funding(acc: &mut MarginAccount, instrument: &Pubkey, index: i64) -> Result<i64> {
    match acc.position_slot(instrument) {
        Some(i) => funding::settle(&mut acc.positions[i], index),
        None => Ok(0),
    }
}

/// Applies one side's leg (cash to the quote balance at the quote asset's loss index
/// `quote_index`); returns the change in open interest (long lots). The position's funding is
/// settled first (a new position starts at the current index); a position that closes
/// realizes its funding into its cost.
pub fn apply(
    acc: &mut MarginAccount,
    instrument: &Pubkey,
    quote: &Pubkey,
    quote_index: u64,
    f: FundingAt,
    leg: Leg,
) -> Result<i64> {
    let i = acc.position_slot_or_open(instrument).ok_or(PmError::PositionCapacityExceeded)?;
    let p = &mut acc.positions[i];
    funding::settle(p, f.index)?;
    let old = p.lots;
    p.lots = old.checked_add(leg.lots).ok_or(PmError::Overflow)?;
    require!(p.lots.unsigned_abs() <= MAX_LOTS as u64, PmError::LotsOutOfRange);
    p.cost = p.cost.checked_add(leg.cost).ok_or(PmError::Overflow)?;
    if p.lots == 0 {
        funding::fold(p, f.quote_decimals)?;
    }
    let new = p.lots;
    acc.close_flat_position(i);
    if leg.cash != 0 {
        acc.credit(quote, quote_index, leg.cash)?;
    }
    Ok(new.max(0) - old.max(0))
}

/// A flat linear position with cost left over: its P&L (-cost) becomes cash and the slot is
/// freed. Returns the cash credited (the instrument's `net_cash` must record it).
pub fn realize_flat(acc: &mut MarginAccount, instrument: &Pubkey, quote: &Pubkey, quote_index: u64) -> Result<i64> {
    let Some(i) = acc.position_slot(instrument) else { return Ok(0) };
    if acc.positions[i].lots != 0 {
        return Ok(0);
    }
    let pnl = acc.positions[i].cost.checked_neg().ok_or(PmError::Overflow)?;
    acc.positions[i].cost = 0;
    acc.close_flat_position(i);
    acc.credit(quote, quote_index, pnl)?;
    Ok(pnl)
}

/// The signer may act for the account: its owner or its delegate.
pub fn require_trader(acc: &MarginAccount, signer: &Pubkey) -> Result<()> {
    require!(
        acc.owner == *signer || (acc.delegate != Pubkey::default() && acc.delegate == *signer),
        PmError::NotOwnerOrDelegate
    );
    Ok(())
}
