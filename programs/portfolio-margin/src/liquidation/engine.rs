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
use crate::positions::{FundingAt, apply, legs, realize_flat};
use crate::state::{CollateralAsset, Config, LiquidationParams, MAX_BALANCES, MarginAccount};
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
    /// The instrument's funding index (perpetuals; 0 otherwise).
    pub funding_index: i64,
}

pub struct PricedCollateral {
    pub asset: Pubkey,
    pub amount: u64,
    pub decimals: u8,
    /// The asset's loss index (balances move at their effective amounts).
    pub index: u64,
    /// Oracle mid price in quote units (asset price / quote price, rounded down).
    pub price: Price,
}

/// A request checked against the liquidatee and priced at mark.
pub struct Priced {
    pub quote: Pubkey,
    pub quote_decimals: u8,
    /// The quote asset's loss index.
    pub quote_index: u64,
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
        quote_index: quote.1.loss_index(),
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
        let fair = view.risk_at(inst, u.snapshot.epoch)?.fair;
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
            funding_index: inst.funding_index,
        });
    }
    // Collateral is paid in quote units: its oracle price over the quote asset's.
    let quote_price = if args.collateral.is_empty() { Price::ONE } else { view.price(quote.1)?.price };
    for (i, t) in args.collateral.iter().enumerate() {
        let dup = args.collateral[..i].iter().any(|o| o.asset == t.asset);
        let slot = acc.balance_slot(&t.asset).ok_or(PmError::InvalidLiquidationRequest)?;
        let asset = view.asset(&t.asset)?;
        let index = asset.loss_index();
        let held = acc.effective(slot, index)?; // after any socialized loss
        let ok = !dup && t.asset != *quote.0 && t.amount > 0 && held > 0 && t.amount <= held as u64;
        require!(ok, PmError::InvalidLiquidationRequest);
        let price = view.price(asset)?.price.div(quote_price, Round::Down).map_err(kernel_err)?;
        let decimals = asset.decimals;
        out.collateral.push(PricedCollateral { asset: t.asset, amount: t.amount, decimals, index, price });
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
        let f = FundingAt { index: pos.funding_index, quote_decimals: p.quote_decimals };
        let mut oi = apply(liquidatee, &pos.instrument, &p.quote, p.quote_index, f, maker)?;
        let mut realized = realize_flat(liquidatee, &pos.instrument, &p.quote, p.quote_index)?;
        if let Some(l) = liquidator.as_deref_mut() {
            oi += apply(l, &pos.instrument, &p.quote, p.quote_index, f, taker)?;
            realized += realize_flat(l, &pos.instrument, &p.quote, p.quote_index)?;
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
        liquidatee.credit(&c.asset, c.index, -signed)?;
        liquidatee.credit(&p.quote, p.quote_index, paid)?;
        if let Some(l) = liquidator.as_deref_mut() {
            l.credit(&c.asset, c.index, signed)?;
            l.credit(&p.quote, p.quote_index, -paid)?;
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
///
/// The fund's slots never block a liquidation (R2-4): strangers' gifts and bankruptcy
/// leftovers keep one of its slots free (`MarginAccount::deposit_slot`, `resolve_bankruptcy`),
/// which a fee in a quote asset it does not hold takes; a fund with no slot left for the
/// fee's quote asset (fees in many quote assets, leftovers nobody withdraws) gets no share,
/// and the liquidator the whole fee.
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
    let room = insurance.balance_slot(&p.quote).is_some() || (insurance.n_balances as usize) < MAX_BALANCES;
    let to_insurance = if room { ((fee as i128 * share.raw() as i128) >> 48) as i64 } else { 0 };
    liquidatee.credit(&p.quote, p.quote_index, -fee)?;
    liquidator.credit(&p.quote, p.quote_index, fee - to_insurance)?;
    if to_insurance != 0 {
        insurance.credit(&p.quote, p.quote_index, to_insurance)?;
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

/// Native quote units a chord aims past the target (the fee rounds up by at most one; each
/// margin sum by a few units of Money, covered by the 64 raw added to it).
const ROUNDING_SLACK: i64 = 2;

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

/// What one evaluation of the request at a share tells the search: the liquidatee's margin
/// with that share moved out (before the fee), and the value of the collateral it sold (the
/// fee's other base besides the margin released).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trial {
    pub health: Health,
    pub collateral_value: Money,
}

/// The terms of one search.
#[derive(Clone, Copy, Debug)]
pub struct Terms {
    /// The auction's discount now.
    pub discount: Ratio,
    /// Target: equity - fee >= maintenance x (1 + buffer).
    pub buffer: Ratio,
    /// Decimals of the quote asset the fee is paid in.
    pub quote_decimals: u8,
}

/// The share of the request to take on chain: [`search`] with the liquidatee's margin at each
/// share computed by moving that share of `p` out of a scratch copy of `before`.
pub fn solve(
    p: &Priced,
    before: &MarginAccount,
    r0: &Health,
    discount: Ratio,
    params: &LiquidationParams,
    s: &mut Scratch,
) -> Result<Solution> {
    let terms = Terms { discount, buffer: Ratio::from_raw(params.target_buffer), quote_decimals: p.quote_decimals };
    search(r0, &terms, |fraction| {
        *s.trial = *before;
        let moves = transfer(p, fraction, s.trial, None)?;
        s.snap.refill(s.view, s.trial, s.config)?;
        let r = s.snap.check()?.require_complete()?;
        Ok(Trial { health: Health::of(&r), collateral_value: moves.collateral_value })
    })
}

/// The smallest share of the request that reaches the target, found by chords from the
/// whole request down: a pure function of the liquidatee's margin before (`r0`) and of
/// `health_at`, its margin with a share (a Ratio in (0, 1]) moved out, which it calls at most
/// `1 + MAX_STEPS` times, first at 1.
///
/// Health is concave in the share when margin is a max of linear scenario losses, so every
/// chord step still reaches the target and only removes excess. Where it is not (spread
/// credits, a hedge's leg taken alone), a chord may fall short: the search then keeps the last
/// share that reached the target, so its answer always reaches the target when the whole
/// request does; when even the whole request does not, the answer is the whole request with
/// `reaches_target` false (the caller refuses it if it lowers equity - maintenance).
/// The fee is `discount x (margin released + collateral value)` rounded up, never more than
/// the liquidatee's equity before (none from an insolvent account); the target is judged
/// after it.
#[inline(never)]
pub fn search(r0: &Health, terms: &Terms, mut health_at: impl FnMut(Ratio) -> Result<Trial>) -> Result<Solution> {
    let g0 = past_target(r0, Money::ZERO, terms.buffer)?;
    // Chords aim a little past the target: on a straight health curve (collateral sold, a
    // linear book) a chord lands on the exact crossing, where the fee's rounding up alone
    // would put the share a hair short and send the whole request back.
    let slack = units::native_to_money(ROUNDING_SLACK, terms.quote_decimals, Round::Up)?.raw() as i128 + 64;
    let mut fraction = Ratio::ONE;
    let mut best: Option<Solution> = None;
    for _ in 0..=MAX_STEPS {
        let t = health_at(fraction)?;
        let released = r0.maintenance.sub(t.health.maintenance).map_err(kernel_err)?;
        // Never more than the account has: an insolvent account's discount would be paid by
        // the insurance fund or the socialized pool (L-4).
        let equity = units::money_to_native(r0.equity.max(Money::ZERO), terms.quote_decimals, Round::Down)?;
        let fee = fee(terms.discount, released, t.collateral_value, terms.quote_decimals)?.min(equity);
        let g = past_target(&t.health, units::native_to_money(fee, terms.quote_decimals, Round::Up)?, terms.buffer)?;
        let this = Solution { fraction, fee, health: t.health, reaches_target: g >= 0 };
        if g < 0 && best.as_ref().is_some_and(|b| b.reaches_target) {
            break; // a chord fell short (health not concave): keep the last share that reached the target
        }
        best = Some(this);
        if g <= slack || g0 >= 0 {
            break;
        }
        // Chord through (0, g0) and (fraction, g): where it reaches `slack`, rounded up.
        let num = fraction.raw() as i128 * (slack - g0);
        let den = g - g0;
        let next = (num + den - 1) / den;
        if next <= 0 || next >= fraction.raw() as i128 {
            break;
        }
        fraction = Ratio::from_raw(next as i64);
    }
    best.ok_or_else(|| PmError::InvalidLiquidationRequest.into())
}

#[cfg(test)]
mod tests {
    //! The search on its own: health curves as closures, no accounts, no market.
    use super::*;

    const USDC: u8 = 6;

    /// R2-4 (insurance face): a fund with no slot for the fee's quote asset never blocks the
    /// liquidation: the liquidator gets the whole fee; with a slot the fund takes its share.
    #[test]
    fn a_full_insurance_fund_never_blocks_the_fee() {
        use crate::state::collateral::LOSS_INDEX_ONE;
        let zeroed = || -> Box<MarginAccount> {
            let mut a: Box<MarginAccount> = Box::new(bytemuck::Zeroable::zeroed());
            a.version = MarginAccount::VERSION;
            a
        };
        let quote = Pubkey::new_unique();
        let p =
            Priced { quote, quote_decimals: USDC, quote_index: LOSS_INDEX_ONE, positions: vec![], collateral: vec![] };
        let (mut liquidatee, mut liquidator, mut fund) = (zeroed(), zeroed(), zeroed());
        liquidatee.credit(&quote, LOSS_INDEX_ONE, 1_000).unwrap();
        for _ in 0..crate::state::MAX_BALANCES - 1 {
            fund.credit(&Pubkey::new_unique(), LOSS_INDEX_ONE, 1).unwrap();
        }
        let share = ratio(0.25);
        // One slot free: the fund takes its share of 100 there.
        assert_eq!(apply_fee(&p, 100, share, &mut liquidatee, &mut liquidator, &mut fund).unwrap(), 25);
        assert_eq!((fund.balance(&quote), liquidator.balance(&quote)), (25, 75));
        // Full without the quote asset: no share, the fee is paid all the same.
        fund.credit(&quote, LOSS_INDEX_ONE, -25).unwrap();
        fund.credit(&Pubkey::new_unique(), LOSS_INDEX_ONE, 1).unwrap();
        assert_eq!(fund.n_balances as usize, crate::state::MAX_BALANCES);
        assert_eq!(apply_fee(&p, 100, share, &mut liquidatee, &mut liquidator, &mut fund).unwrap(), 0);
        assert_eq!((liquidatee.balance(&quote), liquidator.balance(&quote)), (800, 175));
        fund.invariant().unwrap();
    }

    fn money(v: f64) -> Money {
        Money::from_f64(v).unwrap()
    }

    fn ratio(v: f64) -> Ratio {
        Ratio::from_f64(v).unwrap()
    }

    fn health(equity: f64, maintenance: f64) -> Health {
        Health { equity: money(equity), maintenance: money(maintenance), initial: money(maintenance) }
    }

    fn terms(discount: f64, buffer: f64) -> Terms {
        Terms { discount: ratio(discount), buffer: ratio(buffer), quote_decimals: USDC }
    }

    /// A health curve: equity and maintenance (quote units) with share `f` in [0, 1] moved out.
    type Curve = dyn Fn(f64) -> (f64, f64);

    /// Runs the search on `curve` (no collateral sold), recording every share it asked for.
    fn run(curve: &Curve, t: &Terms) -> (Result<Solution>, Vec<Ratio>) {
        let (e0, m0) = curve(0.0);
        let mut asked = vec![];
        let s = search(&health(e0, m0), t, |f| {
            asked.push(f);
            let (e, m) = curve(f.to_f64());
            Ok(Trial { health: health(e, m), collateral_value: Money::ZERO })
        });
        (s, asked)
    }

    /// equity - fee - maintenance x (1 + buffer) >= 0, recomputed independently (in f64, with
    /// the fee in whole quote units): what `reaches_target` must mean.
    fn reaches(s: &Solution, t: &Terms) -> bool {
        let fee = s.fee as f64 / 1e6;
        let (e, m) = (s.health.equity.to_f64(), s.health.maintenance.to_f64());
        e - fee - m * (1.0 + t.buffer.to_f64()) >= -1e-6
    }

    /// Liquidatable: equity 90 against maintenance 100; taking share f of the positions (at
    /// mark: equity unchanged) releases f of the margin.
    fn linear(f: f64) -> (f64, f64) {
        (90.0, 100.0 * (1.0 - f))
    }

    #[test]
    fn linear_health_is_solved_in_one_chord_rounded_up() {
        let t = terms(0.02, 0.2);
        let (s, asked) = run(&linear, &t);
        let s = s.unwrap();
        // 90 - 2 f - 120 (1 - f) >= 0  <=>  f >= 30 / 118.
        let root = 30.0 / 118.0;
        assert!(s.reaches_target && reaches(&s, &t));
        assert!(s.fraction.to_f64() >= root, "rounded up: {} < {root}", s.fraction.to_f64());
        assert!(s.fraction.to_f64() - root < 1e-6, "{} vs {root}", s.fraction.to_f64());
        assert_eq!(asked[0], Ratio::ONE, "the whole request first");
        assert!(asked.len() <= 1 + MAX_STEPS);
        // Fee: 2% of the margin released (100 f), rounded up to a micro-unit.
        let exact = 0.02 * (100.0 - s.health.maintenance.to_f64()) * 1e6;
        assert!(s.fee as f64 >= exact - 1e-3 && (s.fee as f64) < exact + 1.0 + 1e-3, "{} vs {exact}", s.fee);
    }

    #[test]
    fn concave_health_steps_down_and_every_step_reaches() {
        // Maintenance is a max of linear scenario losses: convex in f, so health is concave.
        let curve = |f: f64| (90.0, (100.0 * (1.0 - f)).max(60.0 - 10.0 * f).max(80.0 - 70.0 * f));
        let t = terms(0.01, 0.2);
        let (s, asked) = run(&curve, &t);
        let s = s.unwrap();
        assert!(s.reaches_target && reaches(&s, &t));
        // The true smallest share, by bisection on the same rule.
        let g = |f: f64| 90.0 - 0.01 * (100.0 - curve(f).1) - 1.2 * curve(f).1;
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..100 {
            let mid = (lo + hi) / 2.0;
            if g(mid) >= 0.0 { hi = mid } else { lo = mid }
        }
        assert!(s.fraction.to_f64() >= hi - 1e-12, "never below the smallest share");
        assert!(s.fraction.to_f64() < 1.0, "stepped down from the whole request");
        assert!(asked.len() >= 2 && asked.len() <= 1 + MAX_STEPS);
        // Each share asked after the first is smaller than the one before (chords from above).
        assert!(asked.windows(2).all(|w| w[1] < w[0]));
    }

    #[test]
    fn non_concave_health_keeps_the_last_share_that_reached() {
        // A spread credit that appears only once most of one leg is gone: health is convex
        // (below its chord), so the first chord falls short; the whole request is kept.
        let curve = |f: f64| (90.0, 100.0 * (1.0 - f * f));
        let t = terms(0.02, 0.2);
        let (s, asked) = run(&curve, &t);
        let s = s.unwrap();
        assert!(s.reaches_target && reaches(&s, &t));
        assert_eq!(s.fraction, Ratio::ONE);
        assert_eq!(asked.len(), 2, "one chord tried, fell short, abandoned");
    }

    #[test]
    fn discontinuous_and_non_monotone_health_never_returns_a_share_short_of_the_target() {
        // A hedge: taking less than half of the request takes one leg alone (health drops),
        // more takes both; health jumps at 0.5 and dips in between.
        let curve = |f: f64| {
            if f < 0.5 {
                (90.0, 100.0 + 40.0 * f)
            } else if f < 0.7 {
                (90.0, 95.0 - 30.0 * f)
            } else {
                (90.0, 100.0 * (1.0 - f))
            }
        };
        for (d, b) in [(0.01, 0.2), (0.05, 0.0), (0.0, 1.0), (0.03, 0.5)] {
            let t = terms(d, b);
            let (s, _) = run(&curve, &t);
            let s = s.unwrap();
            assert!(s.reaches_target && reaches(&s, &t), "discount {d} buffer {b}");
            let (_, m) = curve(s.fraction.to_f64());
            assert!((s.health.maintenance.to_f64() - m).abs() < 1e-6, "the health reported is the one at that share");
            // Never worse than before: reaching the target implies equity - fee >= maintenance.
            assert!(s.health.equity.to_f64() - s.fee as f64 / 1e6 >= s.health.maintenance.to_f64() - 1e-6);
        }
    }

    #[test]
    fn a_small_share_is_enough_for_an_account_barely_under() {
        // Equity 99.9 against 100: 1% of a large book restores it with a 0.1% buffer.
        let curve = |f: f64| (99.9, 100.0 * (1.0 - f));
        let t = terms(0.01, 0.001);
        let (s, _) = run(&curve, &t);
        let s = s.unwrap();
        assert!(s.reaches_target && reaches(&s, &t));
        // 99.9 - f - 100.1 (1 - f) >= 0  <=>  f >= 0.2 / 99.1.
        let root = 0.2 / 99.1;
        assert!(s.fraction.to_f64() >= root && s.fraction.to_f64() < root + 1e-6, "{}", s.fraction.to_f64());
        // An account already past the target: the whole request once, reported as reaching.
        let healthy = |f: f64| (200.0, 100.0 * (1.0 - f));
        let (s, asked) = run(&healthy, &t);
        let s = s.unwrap();
        assert!(s.reaches_target && asked.len() == 1);
    }

    #[test]
    fn a_request_that_cannot_reach_the_target_is_taken_whole() {
        // Equity 50 against 100; the request releases at most half of the margin.
        let curve = |f: f64| (50.0, 100.0 - 50.0 * f);
        let t = terms(0.02, 0.2);
        let (s, asked) = run(&curve, &t);
        let s = s.unwrap();
        assert_eq!(s.fraction, Ratio::ONE);
        assert!(!s.reaches_target && !reaches(&s, &t));
        assert_eq!(asked, vec![Ratio::ONE]);
    }

    #[test]
    fn the_fee_never_exceeds_equity_and_a_bankrupt_account_pays_none() {
        // Equity 0.5 against maintenance 1,000: 5% of the margin released would be 50.
        let curve = |f: f64| (0.5, 1000.0 * (1.0 - f));
        let t = terms(0.05, 0.2);
        let s = run(&curve, &t).0.unwrap();
        assert_eq!(s.fee, 500_000, "capped at the equity before, 0.5 USDC");
        // Equity below zero: no fee at all, whatever the share.
        for e in [-0.000_001, -10.0, -1e6] {
            let curve = move |f: f64| (e, 1000.0 * (1.0 - f));
            let s = run(&curve, &t).0.unwrap();
            assert_eq!(s.fee, 0, "equity {e}");
            assert_eq!(s.fraction, Ratio::ONE);
            assert!(!s.reaches_target);
        }
        // Collateral sold counts in the fee's base; the cap still holds.
        let r0 = health(3.0, 100.0);
        let s = search(&r0, &t, |f| {
            Ok(Trial { health: health(3.0 + 50.0 * f.to_f64(), 100.0), collateral_value: money(1000.0 * f.to_f64()) })
        })
        .unwrap();
        assert_eq!(s.fee, 3_000_000);
    }

    #[test]
    fn random_curves_keep_every_promise() {
        // Piecewise-linear curves with jumps, deterministic: whatever the shape, the answer
        // reaches the target whenever the whole request does, the whole request is returned
        // otherwise, the fee is capped by equity, and at most 1 + MAX_STEPS checks run.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        for case in 0..2_000 {
            let e0 = -20.0 + 120.0 * rnd();
            let m0 = 1.0 + 150.0 * rnd();
            let knots: Vec<(f64, f64, f64)> = (0..4).map(|_| (rnd(), m0 * 1.5 * rnd(), 20.0 * (rnd() - 0.5))).collect();
            let curve = move |f: f64| {
                if f == 0.0 {
                    return (e0, m0);
                }
                // The last knot at or below f decides (a step function of linear pieces).
                let (mut m, mut de) = (m0 * (1.0 - f), 0.0);
                for &(at, level, jump) in &knots {
                    if f >= at {
                        m = level * (1.0 - f);
                        de = jump * f;
                    }
                }
                (e0 + de, m.max(0.0))
            };
            let t = terms(0.05 * rnd(), rnd());
            let (s, asked) = run(&curve, &t);
            let s = s.unwrap();
            assert!(asked.len() <= 1 + MAX_STEPS && asked[0] == Ratio::ONE, "case {case}");
            assert!(s.fraction > Ratio::ZERO && s.fraction <= Ratio::ONE, "case {case}");
            let equity_native = (e0.max(0.0) * 1e6).floor() as i64;
            assert!(s.fee >= 0 && s.fee <= equity_native + 1, "case {case}: fee {} > equity {equity_native}", s.fee);
            if e0 <= 0.0 {
                assert_eq!(s.fee, 0, "case {case}");
            }
            if s.reaches_target {
                assert!(reaches(&s, &t), "case {case}: reported as reaching, but short");
            }
            let (e1, m1) = curve(1.0);
            let g1 = {
                let released = (m0 - m1).max(0.0);
                let fee = (t.discount.to_f64() * released * 1e6).ceil().min(equity_native as f64) / 1e6;
                e1 - fee - m1 * (1.0 + t.buffer.to_f64())
            };
            if g1 >= 1e-6 {
                assert!(s.reaches_target, "case {case}: the whole request reaches, the answer must too");
            }
            if !s.reaches_target {
                assert_eq!(s.fraction, Ratio::ONE, "case {case}: short of the target means the whole request");
            }
        }
    }

    #[test]
    fn random_concave_curves_get_the_smallest_share_within_the_steps() {
        // Maintenance a max of 1 to 3 random lines (convex), equity linear in the share: the
        // answer reaches the target, is never below the true smallest share, and for a single
        // line (a straight curve: collateral sold, a linear book) is that share.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut straight, mut exact) = (0, 0);
        for case in 0..2_000 {
            let m0 = 10.0 + 1000.0 * rnd();
            let e0 = m0 * (0.2 + 0.79 * rnd());
            let de = m0 * 0.05 * rnd(); // collateral sold above its haircut value
            let lines: Vec<(f64, f64)> = (0..1 + case % 3)
                .map(|i| {
                    let a = if i == 0 { m0 } else { m0 * rnd() };
                    (a, a * (0.5 + 0.5 * rnd()))
                })
                .collect();
            let curve = move |f: f64| {
                let m = lines.iter().map(|(a, slope)| a - slope * f).fold(0.0f64, f64::max);
                (e0 + de * f, m)
            };
            let t = terms(0.05 * rnd(), 0.3 * rnd());
            let s = run(&curve, &t).0.unwrap();
            let g = |f: f64| {
                let (e, m) = curve(f);
                e - t.discount.to_f64() * (m0 - m).max(0.0) - m * (1.0 + t.buffer.to_f64())
            };
            if g(1.0) < 1e-3 {
                continue;
            }
            let (mut lo, mut hi) = (0.0, 1.0);
            for _ in 0..200 {
                let mid = (lo + hi) / 2.0;
                if g(mid) >= 0.0 { hi = mid } else { lo = mid }
            }
            assert!(s.reaches_target && reaches(&s, &t), "case {case}");
            assert!(
                s.fraction.to_f64() >= hi - 1e-9,
                "case {case}: {} below the smallest share {hi}",
                s.fraction.to_f64()
            );
            if case % 3 == 0 {
                straight += 1;
                if s.fraction.to_f64() - hi < 1e-6 {
                    exact += 1;
                }
            }
        }
        println!("straight curves solved to their smallest share: {exact} of {straight}");
        assert_eq!(exact, straight, "every straight curve solved to its smallest share");
        assert!(straight > 500);
    }

    #[test]
    fn an_evaluation_error_is_the_searchs_error() {
        let r0 = health(90.0, 100.0);
        let mut n = 0;
        let e = search(&r0, &terms(0.01, 0.2), |f| {
            n += 1;
            if n == 2 {
                return err!(PmError::RiskStale);
            }
            let (e, m) = linear(f.to_f64());
            Ok(Trial { health: health(e, m), collateral_value: Money::ZERO })
        });
        assert!(e.is_err());
    }

    #[test]
    fn rounding_goes_against_the_liquidatee() {
        // The fee rounds up to the next native unit; the share taken rounds up (ceil); the
        // insurance fund's part of a fee rounds down (the liquidator gets the odd unit).
        let tiny = Money::from_raw(1); // 6e-8 quote units
        assert_eq!(fee(ratio(0.01), tiny, Money::ZERO, USDC).unwrap(), 1);
        assert_eq!(fee(ratio(0.01), Money::ZERO, Money::ZERO, USDC).unwrap(), 0);
        assert_eq!(fee(ratio(0.01), money(-5.0), Money::ZERO, USDC).unwrap(), 0, "released < 0 counts as none");
        assert_eq!(fee(ratio(1.0 / 16.0), money(100.0), money(20.0), USDC).unwrap(), 7_500_000, "exact: no rounding");
        assert_eq!(scaled(10, ratio(0.25)), 3);
        assert_eq!(scaled(10, ratio(0.2)), 2);
        assert_eq!(scaled(7, Ratio::from_raw(1)), 1, "any positive share takes at least one unit");
        assert_eq!(scaled(7, Ratio::ONE), 7);
        assert_eq!(scaled(0, ratio(0.5)), 0);
        // The target is judged with the fee rounded up in Money: one native unit short fails.
        let r = health(120.0, 100.0);
        let buffer = ratio(0.2);
        assert!(past_target(&r, Money::ZERO, buffer).unwrap() >= 0);
        let one_unit = units::native_to_money(1, USDC, Round::Up).unwrap();
        assert!(past_target(&r, one_unit, buffer).unwrap() < 0);
    }

    /// Issue 11 item 1: the search on health computed by the kernel with spread credits
    /// configured. The liquidatee is long BTC perps hedged by short ETH perps (a 70% credit);
    /// a request takes a share of the BTC leg at mark (equity unchanged), so maintenance moves
    /// with the leg's loss and with the credit on the delta it still matches: continuous,
    /// but not concave once the leg is smaller than the hedge. Every promise holds.
    #[test]
    fn the_search_keeps_its_promises_with_spread_credits() {
        use risk_kernel::instrument::{Instrument, InstrumentKind, Market};
        use risk_kernel::margin::{Portfolio, Position, SpreadCredit, Underlying, margin_full};
        use risk_kernel::scenario::{ScanParams, ScenarioGrid};
        let scan = |range: f64| ScanParams {
            min_range: ratio(range),
            vol_mult: Ratio::ZERO,
            horizon: ratio(1.0 / 365.0),
            conf_mult: Ratio::ZERO,
            vol_scan: ratio(0.25),
            dynamic: false,
            basis_scan: Ratio::ZERO,
            vol_scaling: risk_kernel::vol_scaling::VolScaling::DEFAULT,
        };
        let group = |spot: f64, range: f64| Underlying {
            market: Market { spot: Price::from_f64(spot).unwrap(), rate: Ratio::ZERO, min_vol: ratio(0.05) },
            conf: Price::ZERO,
            atm_vol: ratio(0.5),
            maintenance: scan(range),
            initial: scan(range * 1.5),
            short_option_min: Ratio::ZERO,
        };
        // `run` takes a 'static curve: the market lives for the test.
        let und: &'static [Underlying; 2] = Box::leak(Box::new([group(50_000.0, 0.08), group(2_500.0, 0.10)]));
        let grid: &'static ScenarioGrid = Box::leak(Box::new(ScenarioGrid::default_grid().unwrap()));
        let credits: &'static [SpreadCredit] =
            Box::leak(Box::new([SpreadCredit { group_a: 0, group_b: 1, rate: ratio(0.7) }]));
        let perp = move |g: u8, lots: i64| Position {
            group: g,
            instrument: Instrument {
                kind: InstrumentKind::Perpetual,
                strike: Price::ZERO,
                expiry: Ratio::ZERO,
                vol: Ratio::ZERO,
                lot_size: ratio(0.01),
                forward_ratio: Ratio::ZERO,
            },
            lots,
            entry_price: und[g as usize].market.spot,
            funding: Money::ZERO,
        };
        let maintenance = move |btc: i64, eth: i64| {
            let positions = [perp(0, btc), perp(1, eth)];
            let pf =
                Portfolio { underlyings: und, positions: &positions, collateral: &[], grid, spread_credits: credits };
            margin_full(&pf).unwrap().maintenance.to_f64()
        };
        // (BTC lots of 0.01, ETH lots of 0.01, equity): over-hedged, matched, under-hedged.
        // Over-hedged twice (a partial share of the BTC leg reaches the target), then a
        // request that only removes a hedge (the whole request cannot reach it).
        for (btc, eth, equity, partial) in
            [(400, -1_000, 12_000.0, true), (300, -2_000, 8_000.0, true), (200, -4_000, 5_000.0, false)]
        {
            let curve = move |f: f64| (equity, maintenance(((btc as f64) * (1.0 - f)).round() as i64, eth));
            let t = terms(0.02, 0.2);
            let (s, asked) = run(&curve, &t);
            let s = s.unwrap();
            assert!(asked.len() <= 1 + MAX_STEPS, "{} margin checks", asked.len());
            let (e1, m1) = curve(1.0);
            let whole_reaches = e1 - m1 * 1.2 >= 1.0; // a unit of room for the fee
            assert_eq!(whole_reaches, partial, "btc {btc}: the case is what it says");
            assert!(curve(0.0).0 < curve(0.0).1, "btc {btc}: liquidatable before");
            if whole_reaches {
                assert!(s.reaches_target && reaches(&s, &t), "btc {btc}: share {:?} short of the target", s.fraction);
                assert!(s.fraction < Ratio::ONE, "btc {btc}: a share of the leg is enough");
            } else {
                assert!(!s.reaches_target && s.fraction == Ratio::ONE);
            }
            // Credits are continuous in the share: no step between neighbouring shares larger
            // than the leg's own linear loss over that step plus its credit (R_a + R_b).
            for k in 0..100 {
                let (a, b) = (curve(k as f64 / 100.0).1, curve((k + 1) as f64 / 100.0).1);
                let lots_step = (btc as f64 / 100.0).ceil() + 1.0;
                let bound = lots_step * 0.01 * 50_000.0 * (0.08 + 0.7 * (0.08 + 0.10)) + 1e-3;
                assert!((a - b).abs() <= bound, "btc {btc}: maintenance jumps {a} -> {b} at {k}%");
            }
        }
    }
}
