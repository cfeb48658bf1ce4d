//! Settlement: the expiry price from Pyth inside its window, expired positions into cash,
//! P&L of futures and perpetuals into the quote balance, and conservation throughout
//! (vault == deposits, books == vault + settled cash) under a randomized sequence.
mod common;

use common::market::*;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::state::{Instrument, phase};
use solana_signer::Signer;

const USDC: i64 = 1_000_000;

#[tokio::test]
async fn expiry_pays_intrinsic_value_and_frees_the_slots() {
    let mut m = Market::new().await;
    let expiry = m.expiry;
    let [c, p, f] = m.list_hedge_set(150.0).await;
    m.crank(150.0).await.unwrap();
    let a = m.trader(1_000_000 * USDC as u64).await;
    let b = m.trader(1_000_000 * USDC as u64).await;
    m.trade(c, &a, &b, 3, 10.0, 1).await.unwrap(); // b long 3 calls
    m.trade(p, &a, &b, -2, 9.0, 2).await.unwrap(); // b short 2 puts
    m.trade(f, &a, &b, 4, 150.5, 3).await.unwrap(); // b long 4 futures at 150.5
    let accounts = [a.margin, b.margin];
    m.assert_conserved(&accounts).await;
    let before = m.usdc_books(&[b.margin]).await;

    // Not before expiry.
    let oracle = m.sol_price(170.0);
    let e = m.env.send(&[m.settle_price_ix(c, oracle)], &[]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InstrumentNotExpired)));
    m.warp(expiry - m.env.now + 30).await;
    // Expired but no settlement price yet: positions wait.
    let e = m.env.send(&[m.settle_position_ix(c, b.margin)], &[]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::NotSettled)));
    // Prices before expiry are refused, as is another feed.
    let early = m.env.pyth(SOL_FEED, 17_000_000_000, 1_000_000, -8, expiry - 1, true);
    let late = m.env.pyth(SOL_FEED, 17_000_000_000, 1_000_000, -8, expiry + 301, true);
    let other = m.env.pyth(USDC_FEED, 17_000_000_000, 1_000_000, -8, expiry + 5, true);
    // In the window, but not the update that straddles expiry: a caller could pick it (H-4).
    let chosen = m.env.pyth_after(SOL_FEED, 17_000_000_000, expiry + 5, expiry + 4);
    for (o, want) in [
        (early, PmError::SettlementWindowMissed),
        // After the window, but not the first update after expiry (M-5 accepts only that one).
        (late, PmError::SettlementNotFirstUpdate),
        (other, PmError::OracleWrongFeed),
        (chosen, PmError::SettlementNotFirstUpdate),
    ] {
        let e = m.env.send(&[m.settle_price_ix(c, o)], &[]).await.unwrap_err();
        assert_eq!(custom_code(&e), Some(pm_code(want)), "{want:?}");
    }
    let good = m.env.pyth_after(SOL_FEED, 17_000_000_000, expiry + 5, expiry - 3);
    for i in [c, p, f] {
        m.env.send(&[m.settle_price_ix(i, good)], &[]).await.unwrap();
    }
    let e = m.env.send(&[m.settle_price_ix(c, good)], &[]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::AlreadySettled)));
    let inst: Instrument = m.env.zero_copy(&c).await;
    assert_eq!((inst.phase, inst.settle_price), (phase::SETTLED, price(170.0)));

    for i in [c, p, f] {
        for acc in accounts {
            m.env.send(&[m.settle_position_ix(i, acc)], &[]).await.unwrap();
        }
        let e = m.env.send(&[m.settle_position_ix(i, b.margin)], &[]).await.unwrap_err();
        assert_eq!(custom_code(&e), Some(pm_code(PmError::NoPosition)));
        let inst: Instrument = m.env.zero_copy(&i).await;
        // Expiry payments are one integer per lot: they sum to exactly zero.
        assert_eq!((inst.open_interest, inst.net_cash), (0, 0));
    }
    // b: calls pay 3 x 20, puts expire worthless, futures pay 4 x (170 - 150.5).
    let after = m.usdc_books(&[b.margin]).await;
    assert_eq!(after - before, 3 * 20 * USDC + 4 * 19 * USDC + 4 * USDC / 2);
    assert_eq!(m.env.margin(&b.margin).await.n_positions, 0);
    m.assert_conserved(&accounts).await;
}

/// Realizes a live position of `t` (signed by its owner, M-6); no position is the only
/// acceptable refusal.
async fn realize_if_held(m: &mut Market, inst: anchor_lang::prelude::Pubkey, t: &Trader) {
    let ix = m.realize_ix(inst, t.margin, t.key.pubkey());
    if let Err(e) = m.env.send(&[ix], &[&t.key.insecure_clone()]).await {
        assert_eq!(custom_code(&e), Some(pm_code(PmError::NoPosition)), "realizing {inst} for {}", t.margin);
    }
}

/// Settles `acc`'s position in `inst`; an account without one is the only acceptable refusal.
async fn settle_if_held(m: &mut Market, inst: anchor_lang::prelude::Pubkey, acc: anchor_lang::prelude::Pubkey) {
    if let Err(e) = m.env.send(&[m.settle_position_ix(inst, acc)], &[]).await {
        assert_eq!(custom_code(&e), Some(pm_code(PmError::NoPosition)), "settling {inst} for {acc}");
    }
}

/// A tiny deterministic generator (no dependency needed for a test's dice).
struct Dice(u64);
impl Dice {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test]
async fn books_always_match_the_vault_under_random_trading_and_settlement() {
    let mut m = Market::new().await;
    let expiry = m.expiry;
    let insts = [
        m.list(call(expiry, 160.0)).await.unwrap(),
        m.list(put(expiry, 140.0)).await.unwrap(),
        m.list(future(expiry)).await.unwrap(),
        m.list(perp()).await.unwrap(),
    ];
    let mut spot = 150.0;
    m.crank(spot).await.unwrap();
    let mut traders = vec![];
    for _ in 0..3 {
        traders.push(m.trader(200_000 * USDC as u64).await);
    }
    let accounts: Vec<_> = traders.iter().map(|t| t.margin).collect();
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    let mut nonce = 0;
    for step in 0..30 {
        match dice.next(4) {
            0 => {
                spot = (spot * (0.95 + dice.next(11) as f64 / 100.0)).max(50.0);
                m.crank(spot).await.unwrap();
            }
            1 => {
                // P&L of a linear instrument into cash, for a random account.
                let i = insts[2 + dice.next(2) as usize];
                let t = &traders[dice.next(3) as usize];
                realize_if_held(&mut m, i, t).await;
            }
            _ => {
                let (x, y) = (dice.next(3) as usize, 1 + dice.next(2) as usize);
                let (maker, taker) = (&traders[x], &traders[(x + y) % 3]);
                let inst = insts[dice.next(4) as usize];
                let lots = dice.next(9) as i64 - 4;
                let px = if inst == insts[2] || inst == insts[3] { spot } else { 1.0 + dice.next(1500) as f64 / 100.0 };
                nonce += 1;
                if lots != 0 {
                    m.trade(inst, maker, taker, lots, px, nonce).await.unwrap();
                }
            }
        }
        m.assert_conserved(&accounts).await;
        println!("step {step}: conserved");
    }
    // Expire everything and settle every position.
    m.warp(expiry - m.env.now + 10).await;
    let vol = m.env.vol.insecure_clone();
    m.publish(surface(&[expiry + 30 * DAY], 0.6), &vol).await.unwrap();
    m.crank(spot).await.unwrap();
    let final_price = m.env.pyth_after(SOL_FEED, (spot * 1e8) as i64, expiry + 5, expiry - 3);
    for i in &insts[..3] {
        m.env.send(&[m.settle_price_ix(*i, final_price)], &[]).await.unwrap();
    }
    for i in &insts[..3] {
        for acc in &accounts {
            settle_if_held(&mut m, *i, *acc).await;
        }
    }
    // The perpetual never expires: its P&L is realized by each owner (paid from the pool).
    for t in &traders {
        realize_if_held(&mut m, insts[3], t).await;
    }
    m.assert_conserved(&accounts).await;
    for i in &insts[..3] {
        let inst: Instrument = m.env.zero_copy(i).await;
        assert_eq!((inst.open_interest, inst.net_cash), (0, 0), "expired instruments net to zero");
    }
}
