//! Pricing a request at mark, moving it between accounts, and finding the share of it that
//! brings the liquidatee to the target and no further.
//!
//! Fee rule: the liquidatee pays `discount x (maintenance margin released + value of the
//! collateral bought)`. Positions move at the crank's mark, so equity - maintenance rises by
//! (1 - discount) x the margin released: a liquidation that frees margin cannot hurt the
//! account, one that adds risk (taking one leg of a hedge) is refused by the final check.
use super::request::{LiquidateArgs, MAX_TAKES};
use crate::error::{PmError, kernel_err};
use crate::margin::{Health, MarketView, Snapshot};
use crate::positions::{apply, legs, realize_flat};
use crate::state::{CollateralAsset, Config, LiquidationParams, MarginAccount};
use crate::units;
use anchor_lang::prelude::*;
use risk_kernel::collateral::quote_value;
use risk_kernel::{Money, Price, Ratio, Round};

pub struct PricedPosition {
    pub instrument: Pubkey,
    /// Side of the liquidatee's position (+1 long, -1 short).
    pub sign: i64,
    /// Lots requested (magnitude).
    pub lots: u64,
    /// Quote native units per lot at mark, rounded against the liquidatee.
    pub per_lot: i64,
    pub is_option: bool,
}

pub struct PricedCollateral {
    pub asset: Pubkey,
    pub amount: u64,
    pub decimals: u8,
    /// Oracle mid price in quote units (asset price / quote price, rounded down).
    pub price: Price,
}

/// A request checked against the liquidatee and priced at mark.
pub struct Priced {
    pub quote: Pubkey,
    pub quote_decimals: u8,
    pub positions: Vec<PricedPosition>,
    pub collateral: Vec<PricedCollateral>,
}

/// What one application moved.
#[derive(Default)]
pub struct Moves {
    /// Per requested position: signed lots moved (the liquidatee's side), value at mark,
    /// change in open interest, cash realized by flat linear positions.
    pub lots: Vec<i64>,
    pub values: Vec<i64>,
    pub oi: Vec<i64>,
    pub realized: Vec<i64>,
    /// Per requested balance: native units moved and quote native units paid for them.
    pub amounts: Vec<u64>,
    pub paid: Vec<i64>,
    pub collateral_value: Money,
}

/// Checks `args` against `acc` and prices every entry from `view`.
pub fn price(
    args: &LiquidateArgs,
    acc: &MarginAccount,
    quote: (&Pubkey, &CollateralAsset),
    view: &MarketView,
) -> Result<Priced> {
    let now = view.now;
    let n = args.positions.len() + args.collateral.len();
    require!(n > 0 && n <= MAX_TAKES, PmError::InvalidLiquidationRequest);
    let mut out = Priced {
        quote: *quote.0,
        quote_decimals: quote.1.decimals,
        positions: Vec::with_capacity(args.positions.len()),
        collateral: Vec::with_capacity(args.collateral.len()),
    };
    for (i, t) in args.positions.iter().enumerate() {
        let dup = args.positions[..i].iter().any(|o| o.instrument == t.instrument);
        let slot = acc.position_slot(&t.instrument).ok_or(PmError::InvalidLiquidationRequest)?;
        let held = acc.positions[slot].lots;
        require!(!dup && t.lots > 0 && t.lots <= held.unsigned_abs(), PmError::InvalidLiquidationRequest);
        let inst = view.instrument(&t.instrument)?;
        require!(!inst.is_expired(now), PmError::PositionExpiredUnsettled);
        let u = view.underlying(&inst.underlying)?;
        require_keys_eq!(u.quote_asset, *quote.0, PmError::WrongQuoteAsset);
        require!(u.snapshot.is_fresh(now, u.params.max_risk_age_secs), PmError::RiskStale);
        let fair = inst.risk_at(u.snapshot.epoch)?.fair;
        let sign = held.signum();
        // The liquidatee receives a long's value (round down) and pays a short's (round up).
        let round = if sign > 0 { Round::Down } else { Round::Up };
        let per_lot = units::native_per_lot(fair, Ratio::from_raw(inst.lot_size), u.quote_decimals, round)?;
        out.positions.push(PricedPosition {
            instrument: t.instrument,
            sign,
            lots: t.lots,
            per_lot,
            is_option: inst.is_option(),
        });
    }
    // Collateral is paid in quote units: its oracle price over the quote asset's.
    let quote_price = if args.collateral.is_empty() { Price::ONE } else { view.price(quote.1)?.price };
    for (i, t) in args.collateral.iter().enumerate() {
        let dup = args.collateral[..i].iter().any(|o| o.asset == t.asset);
        let slot = acc.balance_slot(&t.asset).ok_or(PmError::InvalidLiquidationRequest)?;
        let held = acc.balances[slot].amount;
        let ok = !dup && t.asset != *quote.0 && t.amount > 0 && held > 0 && t.amount <= held as u64;
        require!(ok, PmError::InvalidLiquidationRequest);
        let asset = view.asset(&t.asset)?;
        let price = view.price(asset)?.price.div(quote_price, Round::Down).map_err(kernel_err)?;
        out.collateral.push(PricedCollateral { asset: t.asset, amount: t.amount, decimals: asset.decimals, price });
    }
    Ok(out)
}

/// ceil(`amount` x `fraction`) (all of it at 1).
pub fn scaled(amount: u64, fraction: Ratio) -> u64 {
    if fraction >= Ratio::ONE {
        return amount;
    }
    let one = Ratio::ONE.raw() as u128;
    let v = (amount as u128 * fraction.raw().max(0) as u128).div_ceil(one);
    v.min(amount as u128) as u64
}

/// Moves `fraction` of the priced request from `liquidatee` to `liquidator` (when given) at
/// mark: positions as a trade at the mark price, collateral for quote at the oracle price.
pub fn transfer(
    p: &Priced,
    fraction: Ratio,
    liquidatee: &mut MarginAccount,
    mut liquidator: Option<&mut MarginAccount>,
) -> Result<Moves> {
    let mut m = Moves::default();
    for pos in &p.positions {
        let n = i64::try_from(scaled(pos.lots, fraction)).map_err(|_| PmError::Overflow)?;
        let lots = n.checked_mul(pos.sign).ok_or(PmError::Overflow)?;
        let value = units::cash(lots, pos.per_lot)?;
        let (taker, maker) = legs(pos.is_option, lots, value)?;
        let mut oi = apply(liquidatee, &pos.instrument, &p.quote, maker)?;
        let mut realized = realize_flat(liquidatee, &pos.instrument, &p.quote)?;
        if let Some(l) = liquidator.as_deref_mut() {
            oi += apply(l, &pos.instrument, &p.quote, taker)?;
            realized += realize_flat(l, &pos.instrument, &p.quote)?;
        }
        m.lots.push(lots);
        m.values.push(value);
        m.oi.push(oi);
        m.realized.push(realized);
    }
    for c in &p.collateral {
        let a = scaled(c.amount, fraction);
        let signed = i64::try_from(a).map_err(|_| PmError::Overflow)?;
        let value = quote_value(signed, c.decimals, c.price, Round::Down).map_err(kernel_err)?;
        let paid = units::money_to_native(value, p.quote_decimals, Round::Down)?;
        liquidatee.credit(&c.asset, -signed)?;
        liquidatee.credit(&p.quote, paid)?;
        if let Some(l) = liquidator.as_deref_mut() {
            l.credit(&c.asset, signed)?;
            l.credit(&p.quote, -paid)?;
        }
        m.collateral_value = m.collateral_value.add(value).map_err(kernel_err)?;
        m.amounts.push(a);
        m.paid.push(paid);
    }
    Ok(m)
}

/// The discount in quote native units: discount x (margin released + collateral value),
/// rounded up (against the liquidatee).
pub fn fee(discount: Ratio, released: Money, collateral_value: Money, quote_decimals: u8) -> Result<i64> {
    let base = released.max(Money::ZERO).add(collateral_value).map_err(kernel_err)?;
    units::money_to_native(base.mul_ratio(discount, Round::Up).map_err(kernel_err)?, quote_decimals, Round::Up)
}

/// The liquidatee pays `fee`; the insurance fund gets its share (rounded down), the
/// liquidator the rest. Returns the insurance fund's part.
pub fn apply_fee(
    p: &Priced,
    fee: i64,
    share: Ratio,
    liquidatee: &mut MarginAccount,
    liquidator: &mut MarginAccount,
    insurance: &mut MarginAccount,
) -> Result<i64> {
    if fee == 0 {
        return Ok(0);
    }
    let to_insurance = ((fee as i128 * share.raw() as i128) >> 48) as i64;
    liquidatee.credit(&p.quote, -fee)?;
    liquidator.credit(&p.quote, fee - to_insurance)?;
    if to_insurance != 0 {
        insurance.credit(&p.quote, to_insurance)?;
    }
    Ok(to_insurance)
}

/// equity - maintenance x (1 + buffer), Money raw (> 0: past the target).
fn past_target(r: &Health, fee: Money, buffer: Ratio) -> Result<i128> {
    let extra = r.maintenance.mul_ratio(buffer, Round::Up).map_err(kernel_err)?;
    Ok(r.equity.raw() as i128 - fee.raw() as i128 - r.maintenance.raw() as i128 - extra.raw() as i128)
}

/// The share of the request to take and its fee.
pub struct Solution {
    pub fraction: Ratio,
    pub fee: i64,
    /// The liquidatee's margin at `fraction`, before the fee.
    pub health: Health,
    /// Whether `fraction` reaches the target (else the whole request is not enough).
    pub reaches_target: bool,
}

/// Chord steps after the first evaluation (each one margin check).
const MAX_STEPS: usize = 3;

/// Margin checks one `liquidate` runs at most: the liquidatee before, `solve` (1 + MAX_STEPS),
/// the liquidatee after, the liquidator. bench/cu-runner bounds their compute units for the
/// largest account (its `LIQUIDATION_MARGIN_CHECKS` mirrors this).
pub const MARGIN_CHECKS_PER_LIQUIDATION: usize = 1 + (1 + MAX_STEPS) + 1 + 1;
const _: () = assert!(MARGIN_CHECKS_PER_LIQUIDATION == 7);

/// The state `solve` works in: the liquidatee's snapshot (refilled per step, no new heap) and
/// a scratch copy of its account.
pub struct Scratch<'a> {
    pub view: &'a MarketView,
    pub config: &'a Config,
    pub snap: &'a mut Snapshot,
    pub trial: &'a mut MarginAccount,
}

/// The smallest share of the request that reaches the target, found by chords from the
/// whole request down. Health is concave in the share (margin is a max of linear scenario
/// losses), so every chord step still reaches the target and only removes excess.
pub fn solve(
    p: &Priced,
    before: &MarginAccount,
    r0: &Health,
    discount: Ratio,
    params: &LiquidationParams,
    s: &mut Scratch,
) -> Result<Solution> {
    let buffer = Ratio::from_raw(params.target_buffer);
    let g0 = past_target(r0, Money::ZERO, buffer)?;
    let mut fraction = Ratio::ONE;
    let mut best: Option<Solution> = None;
    for _ in 0..=MAX_STEPS {
        *s.trial = *before;
        let moves = transfer(p, fraction, s.trial, None)?;
        s.snap.refill(s.view, s.trial, s.config)?;
        let r = s.snap.check()?.require_complete()?;
        let released = r0.maintenance.sub(r.maintenance).map_err(kernel_err)?;
        // Never more than the account has: an insolvent account's discount would be paid by
        // the insurance fund or the socialized pool (L-4).
        let equity = units::money_to_native(r0.equity.max(Money::ZERO), p.quote_decimals, Round::Down)?;
        let fee = fee(discount, released, moves.collateral_value, p.quote_decimals)?.min(equity);
        let h = Health::of(&r);
        let g = past_target(&h, units::native_to_money(fee, p.quote_decimals, Round::Up)?, buffer)?;
        let this = Solution { fraction, fee, health: h, reaches_target: g >= 0 };
        if g < 0 && best.as_ref().is_some_and(|b| b.reaches_target) {
            break; // a chord fell short (rounding): keep the last share that reached the target
        }
        best = Some(this);
        if g <= 0 || g0 >= 0 {
            break;
        }
        // Chord through (0, g0) and (fraction, g): where it crosses 0, rounded up.
        let num = fraction.raw() as i128 * -g0;
        let den = g - g0;
        let next = (num + den - 1) / den;
        if next <= 0 || next >= fraction.raw() as i128 {
            break;
        }
        fraction = Ratio::from_raw(next as i64);
    }
    best.ok_or_else(|| PmError::InvalidLiquidationRequest.into())
}
