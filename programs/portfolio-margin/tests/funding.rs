//! Perpetual funding (issue 11 item 9) on the program's `.so`: the accrual formula, the clamp,
//! time weighting, exact zero sum across longs and shorts, lazy settlement when a position is
//! traded, closed, realized or liquidated, funding in margin, and what a stranger cannot do.
//! Expected values are written as the formula (f64 from the accounts' raw fields), never
//! copied from the program's output.
mod common;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use common::market::*;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::instructions::FundingParams;
use portfolio_margin::state::{Instrument, PositionSlot};
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: i64 = 1_000_000;
const Q32: f64 = 4_294_967_296.0;
const Q48: f64 = 281_474_976_710_656.0;

fn set_funding_ix(m: &Market, perp: Pubkey, signer: Pubkey, params: FundingParams) -> Instruction {
    Env::ix(
        portfolio_margin::accounts::InstrumentSetFunding {
            config: config_pda(),
            underlying: m.sol,
            instrument: perp,
            risk_authority: signer,
        },
        portfolio_margin::instruction::InstrumentSetFunding { params },
    )
}

async fn set_funding(m: &mut Market, perp: Pubkey, period_secs: u32, clamp: f64, impact_lots: u32) {
    let risk = m.env.risk.insecure_clone();
    let params = FundingParams { period_secs, clamp: ratio(clamp), impact_lots };
    let ix = set_funding_ix(m, perp, risk.pubkey(), params);
    m.env.send(&[ix], &[&risk]).await.unwrap();
}

async fn inst(m: &mut Market, key: &Pubkey) -> Instrument {
    m.env.zero_copy(key).await
}

async fn spot_raw(m: &mut Market) -> i64 {
    let u: portfolio_margin::state::Underlying = m.env.anchor(&m.sol).await;
    u.snapshot.spot().raw()
}

/// The position's funding as the test computes it: settled + (-lots) x (index - its index),
/// quote units Q32, > 0 received.
fn owed(slot: &PositionSlot, index: i64) -> i128 {
    slot.funding as i128 - slot.lots as i128 * (index as i128 - slot.funding_index as i128)
}

async fn slot(m: &mut Market, acc: &Pubkey, perp: &Pubkey) -> Option<PositionSlot> {
    let a = m.env.margin(acc).await;
    a.position_slot(perp).map(|i| a.positions[i])
}

/// Funding (quote units Q32) in native USDC, rounded down (the program's rounding).
fn usdc_floor(q32: i64) -> i64 {
    (q32 as i128 * 1_000_000).div_euclid(1 << 32) as i64
}

/// Warps past the period's end (plus `extra` seconds) and cranks at `spot`: the accrual.
async fn accrue(m: &mut Market, perp: &Pubkey, spot: f64, extra: i64) {
    let i = inst(m, perp).await;
    let end = i.funding_time + i.funding_period as i64 + extra;
    if end > m.env.now {
        m.warp(end - m.env.now).await;
    }
    m.crank(spot).await.unwrap();
}

/// The rate per period the index moved by in the last accrual, from the raw fields:
/// delta / (S x lot x elapsed / period).
fn implied_rate(delta_raw: i64, spot_raw: i64, elapsed: i64, period: i64) -> f64 {
    (delta_raw as f64 / Q32) / ((spot_raw as f64 / Q32) * elapsed as f64 / period as f64)
}

#[tokio::test]
async fn accrual_is_the_time_weighted_premium_times_index_per_period() {
    let mut m = Market::new().await;
    let perp = m.list(perp()).await.unwrap();
    let i0 = inst(&mut m, &perp).await;
    assert_eq!(i0.funding_period, 3600, "default period: one hour");
    assert!((i0.funding_clamp as f64 / Q48 - 0.0005).abs() < 1e-12, "default clamp 0.05%");
    let t0 = i0.funding_time;
    assert!(t0 > 0, "a new perpetual starts its first period at listing");
    m.crank(150.0).await.unwrap();
    let (a, b) = (m.trader(1_000_000 * USDC as u64).await, m.trader(1_000_000 * USDC as u64).await);
    let s1 = spot_raw(&mut m).await as f64 / Q32;
    let px = 150.03; // 2 bp over the index
    m.trade(perp, &a, &b, 2, px, 1).await.unwrap(); // b long 2
    let t1 = m.env.now;
    let i1 = inst(&mut m, &perp).await;
    let p = (price(px) as f64 / Q32 - s1) / s1;
    assert!((i1.premium as f64 / Q48 - p).abs() < 1e-12, "signal = P / S - 1 = {p}");
    assert_eq!(i1.premium_time, t1);

    accrue(&mut m, &perp, 152.0, 7).await;
    let t2 = m.env.now;
    let s2 = spot_raw(&mut m).await;
    let i2 = inst(&mut m, &perp).await;
    assert_eq!(i2.funding_time, t2, "a new period starts at the accrual");
    assert_eq!((i2.premium, i2.premium_sum), (0, 0), "and its signal at zero");
    // rate = premium x (time it held) / elapsed (0 before the trade); under the clamp.
    let elapsed = (t2 - t0) as f64;
    let rate = p * (t2 - t1) as f64 / elapsed;
    assert!(rate < 0.0005);
    let want = rate * (s2 as f64 / Q32) * 1.0 * elapsed / 3600.0; // quote per lot
    let got = i2.funding_index as f64 / Q32;
    assert!((got - want).abs() <= 1e-7 * want.abs() + 1e-7, "index {got} vs formula {want}");
    assert!(got > 0.0, "trades over the index: longs pay");

    // The report shows it unsettled, a long paying and the short receiving the same.
    let rb = m.report(b.margin).await;
    let ra = m.report(a.margin).await;
    assert_eq!(rb.funding.len(), 1);
    assert_eq!((rb.funding[0].instrument, rb.funding[0].settled), (perp, 0));
    assert_eq!(rb.funding[0].unsettled, -2 * i2.funding_index);
    assert_eq!(ra.funding[0].unsettled, 2 * i2.funding_index);
}

#[tokio::test]
async fn the_rate_is_clamped_per_period_both_ways() {
    let mut m = Market::new().await;
    let perp = m.list(perp()).await.unwrap();
    m.crank(150.0).await.unwrap();
    let (a, b) = (m.trader(1_000_000 * USDC as u64).await, m.trader(1_000_000 * USDC as u64).await);
    // +5% (inside the 10% band): far beyond the 0.05% clamp.
    m.trade(perp, &a, &b, 1, 157.5, 1).await.unwrap();
    let t0 = inst(&mut m, &perp).await.funding_time;
    accrue(&mut m, &perp, 150.0, 3).await;
    let i1 = inst(&mut m, &perp).await;
    let s = spot_raw(&mut m).await;
    let elapsed = i1.funding_time - t0;
    let want = 0.0005 * (s as f64 / Q32) * elapsed as f64 / 3600.0;
    let got = i1.funding_index as f64 / Q32;
    assert!((got - want).abs() <= 1e-7 * want, "clamped: {got} vs {want}");
    assert!((implied_rate(i1.funding_index, s, elapsed, 3600) - 0.0005).abs() < 1e-10);

    // -5%: the clamp the other way, from the new period.
    m.crank(150.0).await.unwrap();
    m.trade(perp, &a, &b, -1, 142.5, 2).await.unwrap();
    let t1 = i1.funding_time;
    accrue(&mut m, &perp, 150.0, 11).await;
    let i2 = inst(&mut m, &perp).await;
    let elapsed = i2.funding_time - t1;
    let delta = i2.funding_index - i1.funding_index;
    assert!((implied_rate(delta, s, elapsed, 3600) + 0.0005).abs() < 1e-10, "shorts pay at most the clamp");
}

#[tokio::test]
async fn one_trade_moves_the_rate_by_its_time_weight_only() {
    let mut m = Market::new().await;
    let perp = m.list(perp()).await.unwrap();
    m.crank(150.0).await.unwrap();
    set_funding(&mut m, perp, 3600, 0.01, 1).await; // clamp 1%: the weighting shows unclamped
    let t0 = inst(&mut m, &perp).await.funding_time;
    let (a, b) = (m.trader(1_000_000 * USDC as u64).await, m.trader(1_000_000 * USDC as u64).await);
    let s = spot_raw(&mut m).await;
    let sf = s as f64 / Q32;
    let prem = |px: f64| (price(px) as f64 / Q32 - sf) / sf;
    m.trade(perp, &a, &b, 1, 150.15, 1).await.unwrap(); // +0.1%
    let t1 = m.env.now;
    // Just before the period ends: a crazy-but-in-band trade (+9%), 10 seconds before the crank.
    let near_end = t0 + 3600 - 10;
    m.warp(near_end - m.env.now).await;
    m.crank(150.0).await.unwrap(); // a fresh snapshot for the trade; not due: no accrual
    assert_eq!(inst(&mut m, &perp).await.funding_index, 0, "not due before the period ends");
    let t3 = m.env.now;
    m.trade(perp, &a, &b, 1, 163.5, 2).await.unwrap();
    accrue(&mut m, &perp, 150.0, 0).await;
    let i = inst(&mut m, &perp).await;
    let t4 = i.funding_time;
    let elapsed = (t4 - t0) as f64;
    let (p1, p2) = (prem(150.15), prem(163.5));
    let want = (p1 * (t3 - t1) as f64 + p2 * (t4 - t3) as f64) / elapsed;
    let got = implied_rate(i.funding_index, s, t4 - t0, 3600);
    assert!((got - want).abs() < 1e-8, "time-weighted rate {got} vs {want}");
    let without = p1 * (t4 - t1) as f64 / elapsed;
    let weight = (t4 - t3) as f64 / elapsed;
    assert!((got - without).abs() <= (p2 - p1) * weight + 1e-8, "moved by at most its time weight");
    assert!(got < 0.002, "a +9% trade 10 s before the crank moves the hour's rate by ~0.03%: {got}");
}

#[tokio::test]
async fn funding_sums_to_exactly_zero_across_longs_and_shorts() {
    let mut m = Market::new().await;
    let perp = m.list(perp()).await.unwrap();
    let mut spot = 150.0;
    m.crank(spot).await.unwrap();
    set_funding(&mut m, perp, 60, 0.01, 3).await;
    let mut traders = vec![];
    for _ in 0..6 {
        traders.push(m.trader(1_000_000 * USDC as u64).await);
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    // Funding of positions that closed, exactly as it stood when they closed.
    let mut closed: i128 = 0;
    let mut nonce = 0;
    let mut accruals = 0;
    for round in 0..24 {
        spot = (spot * (0.97 + next(7) as f64 / 100.0)).clamp(100.0, 200.0);
        accrue(&mut m, &perp, spot, next(30) as i64).await;
        let index = inst(&mut m, &perp).await.funding_index;
        for _ in 0..3 {
            let (x, y) = (next(6) as usize, 1 + next(5) as usize);
            let (maker, taker) = (&traders[x], &traders[(x + y) % 6]);
            let lots = next(9) as i64 - 4;
            if lots == 0 {
                continue;
            }
            let premium = (next(17) as f64 - 8.0) / 100.0; // -8%..+8%
            let before = [slot(&mut m, &maker.margin, &perp).await, slot(&mut m, &taker.margin, &perp).await];
            nonce += 1;
            m.trade(perp, maker, taker, lots, spot * (1.0 + premium), nonce).await.unwrap();
            let after = [slot(&mut m, &maker.margin, &perp).await, slot(&mut m, &taker.margin, &perp).await];
            for (b, a) in before.iter().zip(after.iter()) {
                let closed_now = b.is_some_and(|b| b.lots != 0) && a.is_none_or(|a| a.lots == 0);
                if let (true, Some(b)) = (closed_now, b) {
                    closed += owed(b, index);
                }
                if let Some(a) = a.filter(|a| a.lots != 0) {
                    assert_eq!(a.funding_index, index, "a traded position is settled at the index");
                }
            }
            m.warp(next(20) as i64).await;
        }
        let index = inst(&mut m, &perp).await.funding_index;
        let (mut sum, mut lots) = (closed, 0i64);
        for t in &traders {
            if let Some(s) = slot(&mut m, &t.margin, &perp).await {
                sum += owed(&s, index);
                lots += s.lots;
            }
        }
        assert_eq!(lots, 0, "longs = shorts");
        assert_eq!(sum, 0, "round {round}: funding sums to exactly zero (index {index})");
        if index != 0 {
            accruals += 1;
        }
    }
    assert!(accruals > 10, "the premium moved the index in most rounds");
    assert_ne!(closed, 0, "some positions closed with funding");
}

#[tokio::test]
async fn funding_settles_lazily_when_a_position_is_traded_closed_or_realized() {
    let mut m = Market::new().await;
    let perp = m.list(perp()).await.unwrap();
    m.crank(150.0).await.unwrap();
    set_funding(&mut m, perp, 60, 0.01, 1).await;
    let a = m.trader(1_000_000 * USDC as u64).await;
    let b = m.trader(1_000_000 * USDC as u64).await;
    let c = m.trader(1_000_000 * USDC as u64).await;
    m.trade(perp, &a, &b, 4, 157.5, 1).await.unwrap(); // b long 4, a short 4, at +5%
    accrue(&mut m, &perp, 150.0, 0).await;
    let i1 = inst(&mut m, &perp).await.funding_index;
    assert!(i1 > 0);
    // Nothing moved in the accounts: lazy.
    let sb = slot(&mut m, &b.margin, &perp).await.unwrap();
    assert_eq!((sb.funding, sb.funding_index), (0, 0));
    // b sells 1 to c: b's funding is settled at the index, c starts at it.
    m.trade(perp, &b, &c, 1, 150.0, 1).await.unwrap();
    let sb = slot(&mut m, &b.margin, &perp).await.unwrap();
    assert_eq!((sb.lots, sb.funding, sb.funding_index), (3, -4 * i1, i1));
    let sc = slot(&mut m, &c.margin, &perp).await.unwrap();
    assert_eq!((sc.lots, sc.funding, sc.funding_index), (1, 0, i1), "a new position owes no past funding");

    // Another period at +5%, then b closes: its funding goes into its cost, rounded against it.
    m.trade(perp, &a, &c, 1, 157.5, 2).await.unwrap(); // c long 2, a short 5
    accrue(&mut m, &perp, 150.0, 0).await;
    let i2 = inst(&mut m, &perp).await.funding_index;
    let total = -4 * i1 - 3 * (i2 - i1); // received (< 0: paid)
    let before = slot(&mut m, &b.margin, &perp).await.unwrap();
    m.trade(perp, &b, &a, 3, 150.0, 2).await.unwrap(); // b sells 3 to a at 150: flat
    let after = slot(&mut m, &b.margin, &perp).await.unwrap();
    let leg = 3 * 150 * USDC; // b receives 3 x 150 USDC as cost
    let native = usdc_floor(total); // against b: it pays the ceiling
    assert_eq!(after.lots, 0);
    assert_eq!(after.funding, 0, "closed: funding realized");
    assert_eq!(after.cost, before.cost - leg - native, "cost -= floor(funding in USDC)");

    // a realizes (settle_position, live): funding folds into cost, then P&L is paid from the pool.
    accrue(&mut m, &perp, 150.0, 0).await; // no trade this period: premium 0, index unchanged
    assert_eq!(inst(&mut m, &perp).await.funding_index, i2, "no trade, no premium, no funding");
    let sa = slot(&mut m, &a.margin, &perp).await.unwrap();
    let owed_a = owed(&sa, i2) as i64;
    assert!(owed_a > 0, "the short received");
    let bal = m.env.margin(&a.margin).await.balance(&m.usdc);
    m.env.send(&[m.realize_ix(perp, a.margin, a.key.pubkey())], &[&a.key]).await.unwrap();
    let sa2 = slot(&mut m, &a.margin, &perp).await.unwrap();
    let paid = m.env.margin(&a.margin).await.balance(&m.usdc) - bal;
    let fold = usdc_floor(owed_a);
    assert_eq!((sa2.funding, sa2.funding_index), (0, i2));
    assert_eq!(sa2.cost, sa.cost - fold + paid, "funding into cost, then what was realized");
    m.assert_conserved(&[a.margin, b.margin, c.margin, insurance_pda()]).await;
}

#[tokio::test]
async fn owing_funding_can_make_an_account_liquidatable_and_liquidation_settles_it() {
    let mut m = Market::new().await;
    let perp = m.list(perp()).await.unwrap();
    m.crank(150.0).await.unwrap();
    set_funding(&mut m, perp, 60, 0.01, 1).await;
    let whale = m.trader(1_000_000 * USDC as u64).await;
    let victim = m.trader(260 * USDC as u64).await;
    let (p1, p2) = (m.trader(1_000_000 * USDC as u64).await, m.trader(1_000_000 * USDC as u64).await);
    m.trade(perp, &whale, &victim, 10, 150.0, 1).await.unwrap(); // victim long 10 at the index
    let r0 = m.report(victim.margin).await;
    assert!(r0.equity >= r0.initial, "opened at initial margin");
    let mut nonce = 1;
    let mut last = r0.equity;
    let mut periods = 0;
    loop {
        // Each period someone trades at +5%: the premium holds, the rate is the 1% clamp.
        m.crank(150.0).await.unwrap();
        nonce += 1;
        m.trade(perp, &p1, &p2, 1, 157.5, nonce).await.unwrap();
        let before = inst(&mut m, &perp).await;
        accrue(&mut m, &perp, 150.0, 0).await;
        let after = inst(&mut m, &perp).await;
        let s = spot_raw(&mut m).await as f64 / Q32;
        let elapsed = (after.funding_time - before.funding_time) as f64;
        let delta = (after.funding_index - before.funding_index) as f64 / Q32;
        assert!((delta - 0.01 * s * elapsed / 60.0).abs() < 1e-6, "1% of the index per period");
        let r = m.report(victim.margin).await;
        // Equity falls by exactly the funding owed (spot unchanged), to the Money unit.
        let fell = usd(last - r.equity);
        assert!((fell - 10.0 * delta).abs() < 1e-6, "equity fell {fell} vs 10 x {delta}");
        last = r.equity;
        periods += 1;
        if r.equity < r.maintenance {
            break;
        }
        assert!(periods < 20, "funding never made it liquidatable");
    }
    let plan = m.plan(victim.margin).await;
    assert!(plan.liquidatable, "owing funding made the account liquidatable after {periods} periods");
    let index = inst(&mut m, &perp).await.funding_index;
    let owed_before = owed(&slot(&mut m, &victim.margin, &perp).await.unwrap(), index);
    m.liquidate(victim.margin, &whale, plan.request.clone()).await.unwrap();
    let v = slot(&mut m, &victim.margin, &perp).await.unwrap();
    assert!(v.lots > 0 && v.lots < 10, "a share was taken: {} lots left", v.lots);
    assert_eq!(v.funding_index, index, "the liquidatee's funding is settled at the index");
    assert_eq!(v.funding as i128, owed_before, "and kept in full in the position it keeps");
    let w = slot(&mut m, &whale.margin, &perp).await.unwrap();
    assert_eq!(w.funding_index, index, "the liquidator's too");
}

#[tokio::test]
async fn strangers_cannot_accrue_twice_set_funding_or_push_the_premium_with_dust() {
    let mut m = Market::new().await;
    let perp = m.list(perp()).await.unwrap();
    let fut = m.list(future(m.env.now + 30 * DAY)).await.unwrap();
    m.crank(150.0).await.unwrap();
    let (a, b) = (m.trader(1_000_000 * USDC as u64).await, m.trader(1_000_000 * USDC as u64).await);
    m.trade(perp, &a, &b, 1, 157.5, 1).await.unwrap();
    accrue(&mut m, &perp, 150.0, 0).await;
    let i1 = inst(&mut m, &perp).await;
    assert!(i1.funding_index > 0);
    // Replaying the crank within the period accrues nothing more.
    for _ in 0..3 {
        m.warp(5).await;
        m.crank(150.0).await.unwrap();
        let i = inst(&mut m, &perp).await;
        assert_eq!((i.funding_index, i.funding_time), (i1.funding_index, i1.funding_time));
    }
    // Only the risk authority sets funding, within bounds, on perpetuals.
    let stranger = Keypair::new();
    m.env.fund(&stranger.pubkey()).await;
    let good = FundingParams { period_secs: 3600, clamp: ratio(0.001), impact_lots: 1 };
    let ix = set_funding_ix(&m, perp, stranger.pubkey(), good);
    let e = m.env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::Unauthorized)));
    let risk = m.env.risk.insecure_clone();
    for bad in [
        FundingParams { period_secs: 59, ..good },
        FundingParams { period_secs: 86_401, ..good },
        FundingParams { clamp: 0, ..good },
        FundingParams { clamp: ratio(0.0101), ..good },
        FundingParams { impact_lots: 0, ..good },
    ] {
        let ix = set_funding_ix(&m, perp, risk.pubkey(), bad);
        let e = m.env.send(&[ix], &[&risk]).await.unwrap_err();
        assert_eq!(custom_code(&e), Some(pm_code(PmError::FundingParamsInvalid)), "{bad:?}");
    }
    let ix = set_funding_ix(&m, fut, risk.pubkey(), good);
    let e = m.env.send(&[ix], &[&risk]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::NotPerpetual)));

    // Dust at the band's edge: with an impact size of 100 lots, a 1-lot trade at +9% moves the
    // signal by 1/100 of its premium.
    set_funding(&mut m, perp, 3600, 0.01, 100).await;
    m.crank(150.0).await.unwrap();
    let s = spot_raw(&mut m).await as f64 / Q32;
    m.trade(perp, &a, &b, 1, 163.5, 2).await.unwrap();
    let p = (price(163.5) as f64 / Q32 - s) / s;
    let sig = inst(&mut m, &perp).await.premium as f64 / Q48;
    assert!((sig - p / 100.0).abs() < 1e-12, "signal {sig} vs {}", p / 100.0);
    // Outside the band the trade (and its premium) is refused.
    m.crank(150.0).await.unwrap();
    let e = m.trade(perp, &a, &b, 1, 166.0, 3).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::PriceOutOfBand)));
}

/// The crank's cost of an accrual (printed; `-- --nocapture`): the snapshot and a perpetual's
/// refresh in one transaction, simulated when the period is not due and when it is.
#[tokio::test]
async fn crank_cost_of_an_accrual() {
    let mut m = Market::new().await;
    let perp = m.list(perp()).await.unwrap();
    m.crank(150.0).await.unwrap();
    let (a, b) = (m.trader(1_000_000 * USDC as u64).await, m.trader(1_000_000 * USDC as u64).await);
    m.trade(perp, &a, &b, 1, 150.3, 1).await.unwrap();
    m.warp(60).await;
    let not_due = cost(&mut m, perp).await;
    let i = inst(&mut m, &perp).await;
    m.warp(i.funding_time + 3600 - m.env.now).await;
    let due = cost(&mut m, perp).await;
    println!("underlying_refresh + instrument_refresh (perp): {not_due} CU not due, {due} CU accruing");
    assert!(due > not_due && due < not_due + 5_000, "an accrual costs a few thousand CU at most");
}

/// CU of the snapshot and `perp`'s refresh in one transaction, simulated now.
async fn cost(m: &mut Market, perp: Pubkey) -> u64 {
    let oracle = m.sol_price(150.0);
    let ixs = vec![m.underlying_refresh_ix(oracle), m.instrument_refresh_ix(perp)];
    m.env.units(&ixs, &[]).await.unwrap()
}
