//! Perpetual funding (issue 11 item 9): accrued per period by the crank from the time-weighted
//! premium of perpetual trade prices over the oracle index, into a cumulative index per lot,
//! and settled lazily per position.
//!
//! - **Premium signal** (`Instrument::premium`, Ratio Q48): each perpetual trade at price P
//!   with the crank's index S (the underlying's snapshot spot) moves it toward
//!   `p = P / S - 1` (clamped to +-1) by `min(|lots|, impact) / impact`; it starts each period
//!   at 0 (no trade, no premium).
//! - **Time weighting**: the signal is integrated over time (`premium_sum` += signal (Q32) x
//!   seconds it held), so a trade counts for the time its premium stood, not for being last.
//! - **Accrual** (`instrument_refresh`, at most once per period, once `period` seconds have
//!   passed since the last): `rate = clamp(premium_sum / elapsed, +-clamp)` per period;
//!   `delta = floor(floor(floor(S x rate) x lot_size) x elapsed / period)` quote units Q32
//!   per lot; `funding_index += delta`. One rounded delta per lot for everyone.
//! - **Settlement**: a position owes `lots x (funding_index - its index)` (Q32; > 0 for a
//!   long when the index rose: the long pays). The integer product is exact and the same
//!   delta applies to every lot, long and short, and longs = shorts, so the funding of all
//!   positions of an instrument sums to exactly zero at every accrual.
use crate::error::{PmError, kernel_err};
use crate::state::{Instrument, PositionSlot, kind};
use anchor_lang::prelude::*;
use risk_kernel::{Money, Price, Ratio, Round};

/// The default funding period: one hour (Drift, Mango: hourly; Deribit, Binance: 8 hours).
pub const DEFAULT_PERIOD_SECS: u32 = 3600;
/// The default clamp: |rate| <= 0.05% per period (Ratio raw, floor(2^48 / 2000)).
pub const DEFAULT_CLAMP: i64 = (1i64 << 48) / 2000;
/// Bounds of the risk authority's settings.
pub const MIN_PERIOD_SECS: u32 = 60;
pub const MAX_PERIOD_SECS: u32 = 86_400;
/// |clamp| <= 1% per period (Ratio raw, rounded up: 1% as any client rounds it passes).
pub const MAX_CLAMP: i64 = ((1i64 << 48) + 99) / 100;

/// What one accrual did (the `FundingAccrued` event).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accrual {
    /// Time-weighted premium over the period (Ratio raw) and the clamped rate per period.
    pub premium: i64,
    pub rate: i64,
    /// Quote units Q32 per lot added to the index, and the index after.
    pub delta: i64,
    pub index: i64,
    pub elapsed: i64,
}

pub fn period(inst: &Instrument) -> i64 {
    if inst.funding_period == 0 { DEFAULT_PERIOD_SECS as i64 } else { inst.funding_period as i64 }
}

pub fn clamp(inst: &Instrument) -> i64 {
    if inst.funding_clamp == 0 { DEFAULT_CLAMP } else { inst.funding_clamp }
}

pub fn impact_lots(inst: &Instrument) -> i64 {
    inst.funding_impact_lots.max(1) as i64
}

/// Starts funding at `now` (a new perpetual, or one never cranked since the upgrade).
pub fn start(inst: &mut Instrument, now: i64) {
    inst.funding_time = now;
    inst.premium_time = now;
    inst.premium_sum = 0;
    inst.premium = 0;
}

/// Adds the signal's segment up to `now` to the period's sum.
fn close_segment(inst: &mut Instrument, now: i64) -> Result<()> {
    let from = inst.premium_time.max(inst.funding_time);
    let secs = now.saturating_sub(from).max(0);
    // Q48 -> Q32 (floor); |signal| <= 1, so the product fits for 68 years of seconds.
    let add = (inst.premium >> 16).checked_mul(secs).ok_or(PmError::Overflow)?;
    inst.premium_sum = inst.premium_sum.checked_add(add).ok_or(PmError::Overflow)?;
    inst.premium_time = now;
    Ok(())
}

/// A perpetual trade of `lots` at `price` (Price raw) with the index at `index`: closes the
/// signal's segment and moves the signal toward the trade's premium by its size.
pub fn sample(inst: &mut Instrument, price: i64, index: Price, lots: i64, now: i64) -> Result<()> {
    if inst.kind != kind::PERPETUAL {
        return Ok(());
    }
    if inst.funding_time == 0 {
        start(inst, now);
    }
    close_segment(inst, now)?;
    let p: Ratio =
        Price::from_raw(price).sub(index).map_err(kernel_err)?.div(index, Round::Down).map_err(kernel_err)?;
    let p = p.max(Ratio::ONE.neg().map_err(kernel_err)?).min(Ratio::ONE);
    let impact = impact_lots(inst);
    let w = Ratio::from_ratio((lots.unsigned_abs() as i64).min(impact), impact, Round::Down).map_err(kernel_err)?;
    let step =
        p.sub(Ratio::from_raw(inst.premium)).map_err(kernel_err)?.mul_ratio(w, Round::Down).map_err(kernel_err)?;
    inst.premium = inst.premium.checked_add(step.raw()).ok_or(PmError::Overflow)?;
    Ok(())
}

/// The crank's accrual at index price `index` (the snapshot spot): once a period has passed
/// since the last accrual, adds the period's funding per lot to the index and starts a new
/// period. `None` when not due (or not a perpetual).
pub fn accrue(inst: &mut Instrument, index: Price, now: i64) -> Result<Option<Accrual>> {
    accrue_inner(inst, index, now, false)
}

/// The same, due or not (the running period pro rata; `instrument_set_funding` before it
/// changes the settings). `None` when no time has passed.
pub fn accrue_now(inst: &mut Instrument, index: Price, now: i64) -> Result<Option<Accrual>> {
    accrue_inner(inst, index, now, true)
}

fn accrue_inner(inst: &mut Instrument, index: Price, now: i64, force: bool) -> Result<Option<Accrual>> {
    if inst.kind != kind::PERPETUAL {
        return Ok(None);
    }
    if inst.funding_time == 0 {
        start(inst, now);
        return Ok(None);
    }
    let elapsed = now.saturating_sub(inst.funding_time);
    let period = period(inst);
    if elapsed <= 0 || (elapsed < period && !force) {
        return Ok(None);
    }
    close_segment(inst, now)?;
    // Time-weighted premium: Q32 average (floor), as Ratio (Q48).
    let avg_q32 = inst.premium_sum.div_euclid(elapsed);
    let premium = avg_q32.checked_mul(1 << 16).ok_or(PmError::Overflow)?;
    let c = clamp(inst);
    let rate = premium.clamp(-c, c);
    let per_unit = index.mul_ratio(Ratio::from_raw(rate), Round::Down).map_err(kernel_err)?;
    let per_lot = per_unit.mul_ratio(Ratio::from_raw(inst.lot_size), Round::Down).map_err(kernel_err)?;
    let delta = risk_kernel::wide::mul_div(per_lot.raw(), elapsed, period as u64, Round::Down).map_err(kernel_err)?;
    inst.funding_index = inst.funding_index.checked_add(delta).ok_or(PmError::Overflow)?;
    start(inst, now);
    Ok(Some(Accrual { premium, rate, delta, index: inst.funding_index, elapsed }))
}

/// The funding of a position at the instrument's `index`: settled plus lots x (index - the
/// position's), quote units Q32, > 0 received. Exact (checked integer arithmetic).
pub fn owed(slot: &PositionSlot, index: i64) -> Result<i64> {
    let d = index.checked_sub(slot.funding_index).ok_or(PmError::Overflow)?;
    // A long pays a rising index: received = -lots x d.
    let pending = slot.lots.checked_mul(d).and_then(i64::checked_neg).ok_or(PmError::Overflow)?;
    slot.funding.checked_add(pending).ok_or_else(|| PmError::Overflow.into())
}

/// Settles the position's funding at `index` into its `funding`; returns the amount settled.
pub fn settle(slot: &mut PositionSlot, index: i64) -> Result<i64> {
    let before = slot.funding;
    slot.funding = owed(slot, index)?;
    slot.funding_index = index;
    Ok(slot.funding.wrapping_sub(before))
}

/// Funding (quote units Q32) as Money (Q24), rounded down: against the account either way.
pub fn to_money(funding: i64) -> Money {
    Money::from_raw(funding >> 8)
}

/// Realizes the position's settled funding into its cost as native quote units, rounded
/// down (a receiver gets the floor, a payer pays the ceiling); the sub-unit rest stays in
/// the vault. Returns the native amount (> 0 received).
pub fn fold(slot: &mut PositionSlot, decimals: u8) -> Result<i64> {
    if slot.funding == 0 {
        return Ok(0);
    }
    let native = risk_kernel::collateral::native_units(Price::from_raw(slot.funding), decimals, Round::Down)
        .map_err(kernel_err)?;
    slot.cost = slot.cost.checked_sub(native).ok_or(PmError::Overflow)?;
    slot.funding = 0;
    Ok(native)
}
