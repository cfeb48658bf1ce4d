//! Bilateral trades and the margin check with positions: the hedged-book capital-efficiency
//! table, and each failure a trade guards against, with the exact error.
mod common;

use anchor_lang::solana_program::instruction::AccountMeta;
use anchor_spl::token::spl_token;
use common::market::*;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::instructions::TradeArgs;
use portfolio_margin::state::pause;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: u64 = 1_000_000;

#[tokio::test]
async fn a_hedged_book_needs_far_less_initial_margin_than_its_legs() {
    let mut m = Market::new().await;
    let [c, p, f] = m.list_hedge_set(150.0).await;
    m.crank(150.0).await.unwrap();
    let maker = m.trader(5_000_000 * USDC).await;
    let owner = Keypair::new();
    let book = m.trader_sub(owner.insecure_clone(), 0, 20_000 * USDC).await;
    let legs = [
        (c, 10, 10.6, "long 10 calls K=150"),
        (p, -10, 10.0, "short 10 puts K=150"),
        (f, -10, 150.6, "short 10 futures"),
    ];
    let mut nonce = 0;
    let mut isolated = 0.0;
    let mut rows = vec![];
    for (i, (inst, lots, px, name)) in legs.iter().enumerate() {
        nonce += 1;
        m.trade(*inst, &maker, &book, *lots, *px, nonce).await.unwrap();
        // The same leg alone, in its own margin account of the same owner.
        let alone = m.trader_sub(owner.insecure_clone(), 1 + i as u16, 20_000 * USDC).await;
        nonce += 1;
        m.trade(*inst, &maker, &alone, *lots, *px, nonce).await.unwrap();
        let r = m.report(alone.margin).await;
        let im = usd(r.initial - r.initial_haircut_extra);
        isolated += im;
        rows.push((name.to_string(), usd(r.maintenance), im));
    }
    let r = m.report(book.margin).await;
    // Initial margin of the positions: the report's initial margin less the collateral's
    // initial-haircut term (each account holds the same 20,000 USDC, haircut 3% vs 2%).
    let (together_mm, together) = (usd(r.maintenance), usd(r.initial - r.initial_haircut_extra));
    println!("| position (SOL at 150, 30 days, vol 60%) | maintenance (USD) | initial (USD) |");
    println!("|---|---:|---:|");
    for (name, mm, im) in &rows {
        println!("| {name} | {mm:.2} | {im:.2} |");
    }
    let sum_mm: f64 = rows.iter().map(|r| r.1).sum();
    println!("| sum of the legs margined one by one | {sum_mm:.2} | {isolated:.2} |");
    println!("| the three legs in one margin account | {together_mm:.2} | {together:.2} |");
    println!("| initial margin saved | | {:.1}% |", 100.0 * (1.0 - together / isolated));
    assert!(together <= 0.3 * isolated, "portfolio {together} vs isolated {isolated}");
    assert_eq!(r.groups.len(), 1);
    // Net delta of a synthetic long hedged with a short future is close to zero (Q48 units).
    let delta = r.groups[0].delta as f64 / (1u64 << 48) as f64;
    assert!(delta.abs() < 0.5, "net delta {delta}");
}

async fn one_call_market() -> (Market, anchor_lang::prelude::Pubkey, Trader, Trader) {
    let mut m = Market::new().await;
    let expiry = m.expiry;
    let c = m.list(call(expiry, 150.0)).await.unwrap();
    m.crank(150.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let taker = m.trader(10_000 * USDC).await;
    (m, c, maker, taker)
}

#[tokio::test]
async fn a_trade_moves_position_and_premium_exactly() {
    let (mut m, c, maker, taker) = one_call_market().await;
    m.trade(c, &maker, &taker, 5, 10.5, 1).await.unwrap();
    let (mk, tk) = (m.env.margin(&maker.margin).await, m.env.margin(&taker.margin).await);
    assert_eq!((tk.positions[0].instrument, tk.positions[0].lots), (c, 5));
    assert_eq!(mk.positions[0].lots, -5);
    assert_eq!(tk.balances[0].amount, (10_000 - 52) * USDC as i64 - 500_000);
    assert_eq!(mk.balances[0].amount, (1_000_000 + 52) * USDC as i64 + 500_000);
    assert_eq!(mk.last_nonce, 1);
    let inst: portfolio_margin::state::Instrument = m.env.zero_copy(&c).await;
    assert_eq!(inst.open_interest, 5);
    // Closing it frees both slots.
    m.trade(c, &maker, &taker, -5, 10.5, 2).await.unwrap();
    assert_eq!(m.env.margin(&taker.margin).await.n_positions, 0);
    assert_eq!(m.env.margin(&maker.margin).await.n_positions, 0);
    let inst: portfolio_margin::state::Instrument = m.env.zero_copy(&c).await;
    assert_eq!(inst.open_interest, 0);
    m.assert_conserved(&[maker.margin, taker.margin]).await;
}

#[tokio::test]
async fn trades_are_refused_with_the_exact_reason() {
    let (mut m, c, maker, taker) = one_call_market().await;
    let now = m.env.now;
    let send = |m: &mut Market, args: TradeArgs, signers: Vec<Keypair>| {
        let extra = m.check_accounts();
        let ix = m.trade_ix_with(
            c,
            (&maker.margin, &signers[0].pubkey()),
            (&taker.margin, &signers[1].pubkey()),
            args,
            extra,
        );
        (ix, signers)
    };
    let args = |lots: i64, nonce: u64| TradeArgs { lots, price: price(10.5), quote_expiry: now + 60, nonce };
    let both = || vec![maker.key.insecure_clone(), taker.key.insecure_clone()];
    let code = |r: std::result::Result<(), solana_program_test::BanksClientError>| custom_code(&r.unwrap_err());

    // Expired quote.
    let (ix, s) = send(&mut m, TradeArgs { quote_expiry: now - 1, ..args(1, 1) }, both());
    assert_eq!(code(m.env.send(&[ix], &[&s[0], &s[1]]).await), Some(pm_code(PmError::QuoteExpired)));
    // A stranger signing for the taker.
    let stranger = Keypair::new();
    let (ix, s) = send(&mut m, args(1, 1), vec![maker.key.insecure_clone(), stranger.insecure_clone()]);
    assert_eq!(code(m.env.send(&[ix], &[&s[0], &s[1]]).await), Some(pm_code(PmError::NotOwnerOrDelegate)));
    // A missing maker signature (the account meta is not a signer).
    let (mut ix, s) = send(&mut m, args(1, 1), both());
    ix.accounts[6].is_signer = false;
    assert_eq!(code(m.env.send(&[ix], &[&s[1]]).await), Some(3010)); // Anchor: AccountNotSigner
    // Lots out of range.
    for lots in [0, 1 << 24] {
        let (ix, s) = send(&mut m, args(lots, 1), both());
        assert_eq!(code(m.env.send(&[ix], &[&s[0], &s[1]]).await), Some(pm_code(PmError::LotsOutOfRange)));
    }
    // Not enough collateral for the taker's short calls.
    let (ix, s) = send(&mut m, args(-2000, 1), both());
    assert_eq!(code(m.env.send(&[ix], &[&s[0], &s[1]]).await), Some(pm_code(PmError::InitialMarginViolated)));
    // Missing accounts for the margin check.
    let ix = m.trade_ix(c, &maker, &taker, 1, 10.5, 1, vec![]);
    let (mk, tk) = (maker.key.insecure_clone(), taker.key.insecure_clone());
    assert_eq!(code(m.env.send(&[ix], &[&mk, &tk]).await), Some(pm_code(PmError::AccountsMismatch)));
    // Self trade.
    let extra = m.check_accounts();
    let ix = m.trade_ix_with(c, (&maker.margin, &mk.pubkey()), (&maker.margin, &mk.pubkey()), args(1, 1), extra);
    assert_eq!(code(m.env.send(&[ix], &[&mk]).await), Some(pm_code(PmError::SelfTrade)));

    // The first good trade; then its quote cannot be replayed, nor an older one used.
    m.trade(c, &maker, &taker, 1, 10.5, 5).await.unwrap();
    for nonce in [5, 4] {
        let (ix, s) = send(&mut m, args(1, nonce), both());
        assert_eq!(code(m.env.send(&[ix], &[&s[0], &s[1]]).await), Some(pm_code(PmError::NonceReplayed)));
    }
    // A delegate trades for the taker.
    let delegate = Keypair::new();
    let ix = Env::ix(
        portfolio_margin::accounts::AccountSetDelegate { margin_account: taker.margin, owner: taker.key.pubkey() },
        portfolio_margin::instruction::AccountSetDelegate { delegate: delegate.pubkey() },
    );
    m.env.send(&[ix], &[&taker.key]).await.unwrap();
    let (ix, s) = send(&mut m, args(1, 6), vec![maker.key.insecure_clone(), delegate.insecure_clone()]);
    m.env.send(&[ix], &[&s[0], &s[1]]).await.unwrap();
    assert_eq!(m.env.margin(&taker.margin).await.positions[0].lots, 2);

    // Paused.
    let admin = m.env.admin.insecure_clone();
    let set_pause = |bits: u8| {
        Env::ix(
            portfolio_margin::accounts::ConfigSetPause { config: config_pda(), admin: admin.pubkey() },
            portfolio_margin::instruction::ConfigSetPause { paused: bits },
        )
    };
    m.env.send(&[set_pause(pause::TRADE)], &[&admin]).await.unwrap();
    let (ix, s) = send(&mut m, args(1, 7), both());
    assert_eq!(code(m.env.send(&[ix], &[&s[0], &s[1]]).await), Some(pm_code(PmError::Paused)));
    m.env.send(&[set_pause(0)], &[&admin]).await.unwrap();

    // A stale risk cache.
    m.warp(121).await;
    let fresh_quote = TradeArgs { quote_expiry: m.env.now + 60, ..args(1, 7) };
    let (ix, s) = send(&mut m, fresh_quote, both());
    assert_eq!(code(m.env.send(&[ix], &[&s[0], &s[1]]).await), Some(pm_code(PmError::RiskStale)));
}

#[tokio::test]
async fn a_stale_collateral_oracle_blocks_new_risk_but_not_reducing_it() {
    let mut m = Market::new().await;
    let f = m.list(future(m.expiry)).await.unwrap();
    m.crank(150.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let taker = m.trader(10_000 * USDC).await;
    m.trade(f, &maker, &taker, 4, 150.6, 1).await.unwrap();
    let now = m.env.now;
    let stale = m.env.pyth(USDC_FEED, 100_000_000, 10_000, -8, now - 3600, true);
    let accounts = |m: &Market| {
        vec![
            AccountMeta::new_readonly(m.usdc, false),
            AccountMeta::new_readonly(stale, false),
            AccountMeta::new_readonly(m.sol, false),
            AccountMeta::new_readonly(f, false),
        ]
    };
    let (mk, tk) = (maker.key.insecure_clone(), taker.key.insecure_clone());
    // More risk for both: refused with the oracle's own error.
    let ix = m.trade_ix(f, &maker, &taker, 1, 150.6, 2, accounts(&m));
    let e = m.env.send(&[ix], &[&mk, &tk]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::OracleStale)));
    // Closing at fair value: neither side's equity - initial margin falls on the same view
    // (the USDC balance left out of both): allowed.
    let ix = m.trade_ix(f, &maker, &taker, -4, 150.6, 3, accounts(&m));
    m.env.send(&[ix], &[&mk, &tk]).await.unwrap();
    assert_eq!(m.env.margin(&taker.margin).await.lots(&f), 0);
}

#[tokio::test]
async fn capacity_and_overflow_are_errors_not_wrong_numbers() {
    let mut m = Market::new().await;
    let n = portfolio_margin::state::MAX_POSITIONS + 1;
    let futs = m.list_future_strip(n).await;
    // One snapshot, then every instrument at its epoch, in several transactions.
    m.crank(150.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let taker = m.trader(1_000_000 * USDC).await;
    // A price whose cash would not fit 64 bits is far outside the band: refused before any
    // arithmetic (inside the band, |lots| < 2^24 keeps cash within 64 bits).
    let now = m.env.now;
    let extra = m.check_accounts();
    let args = TradeArgs { lots: 1_000_000, price: i64::MAX, quote_expiry: now + 60, nonce: 1 };
    let ix = m.trade_ix_with(
        futs[0],
        (&maker.margin, &maker.key.pubkey()),
        (&taker.margin, &taker.key.pubkey()),
        args,
        extra,
    );
    let (mk, tk) = (maker.key.insecure_clone(), taker.key.insecure_clone());
    let e = m.env.send(&[ix], &[&mk, &tk]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::PriceOutOfBand)));

    for (i, f) in futs.iter().enumerate() {
        let r = m.trade(*f, &maker, &taker, 1, 150.0, 1 + i as u64).await;
        if i < n - 1 {
            r.unwrap();
        } else {
            assert_eq!(custom_code(&r.unwrap_err()), Some(pm_code(PmError::PositionCapacityExceeded)));
        }
    }
    assert_eq!(m.env.margin(&taker.margin).await.n_positions as usize, n - 1);
    // The full account still reports (all 32 positions from the cache).
    let r = m.report(taker.margin).await;
    assert!(r.maintenance > 0 && r.equity > r.initial);
}

#[tokio::test]
async fn mapped_collateral_joins_its_underlyings_scenarios() {
    let mut m = Market::new().await;
    let f = m.list(future(m.expiry)).await.unwrap();
    m.crank(150.0).await.unwrap();
    // wSOL-like collateral mapped to underlying 0: it must name an existing underlying.
    let mint = m.env.mint(spl_token::ID, 9).await;
    let params = portfolio_margin::state::CollateralParams { feed_id: SOL_FEED, group: 0, ..usdc_params() };
    let risk = m.env.risk.insecure_clone();
    let mut ix = Env::ix(
        portfolio_margin::accounts::CollateralRegister {
            config: config_pda(),
            asset: asset_pda(&mint),
            mint,
            vault: vault_pda(&mint),
            vault_authority: vault_authority(),
            risk_authority: risk.pubkey(),
            payer: m.env.payer(),
            token_program: spl_token::ID,
            system_program: anchor_lang::system_program::ID,
        },
        portfolio_margin::instruction::CollateralRegister { params },
    );
    let e = m.env.send(std::slice::from_ref(&ix), &[&risk]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::AccountsMismatch)));
    ix.accounts.push(AccountMeta::new_readonly(m.sol, false));
    m.env.send(&[ix], &[&risk]).await.unwrap();

    let maker = m.trader(1_000_000 * USDC).await;
    let hedger = m.trader(0).await;
    let wallet = m.env.token_account(spl_token::ID, &mint, &hedger.key.pubkey(), 10_000_000_000).await;
    let ix = m.env.deposit_ix(
        hedger.margin,
        mint,
        vault_pda(&mint),
        wallet,
        hedger.key.pubkey(),
        spl_token::ID,
        10_000_000_000,
    );
    let hk = hedger.key.insecure_clone();
    m.env.send(&[ix], &[&hk]).await.unwrap();
    let sol_oracle = m.sol_price(150.0);
    let with_sol = |m: &mut Market, margin| {
        let mut ix = m.report_ix(margin);
        ix.accounts
            .extend([AccountMeta::new_readonly(asset_pda(&mint), false), AccountMeta::new_readonly(sol_oracle, false)]);
        ix
    };
    let ix = with_sol(&mut m, hedger.margin);
    let alone: portfolio_margin::instructions::MarginSummary = m.env.view(ix).await;
    let delta = |r: &portfolio_margin::instructions::MarginSummary| r.groups[0].delta as f64 / (1u64 << 48) as f64;
    assert_eq!(alone.groups.len(), 1, "the mapped balance forms the underlying's group");
    assert!((delta(&alone) - 10.0).abs() < 0.01, "10 SOL of delta, got {}", delta(&alone));
    assert!(alone.maintenance > 0, "a SOL balance has price risk in its group");

    // Selling 10 futures against it hedges the balance: delta ~ 0, far less maintenance.
    let mut extra = m.check_accounts();
    extra.extend([AccountMeta::new_readonly(asset_pda(&mint), false), AccountMeta::new_readonly(sol_oracle, false)]);
    let ix = m.trade_ix(f, &maker, &hedger, -10, 150.6, 1, extra);
    let mk = maker.key.insecure_clone();
    m.env.send(&[ix], &[&mk, &hk]).await.unwrap();
    let ix = with_sol(&mut m, hedger.margin);
    let hedged: portfolio_margin::instructions::MarginSummary = m.env.view(ix).await;
    assert!(delta(&hedged).abs() < 0.1, "hedged delta {}", delta(&hedged));
    assert!(hedged.maintenance * 5 < alone.maintenance, "{} vs {}", hedged.maintenance, alone.maintenance);
}

/// Issue 11 item 1 on chain: underlying 1 declares a 50% spread credit with underlying 0 (a
/// repricing parameter: changing it later waits the one-day delay). An account long perps of
/// one and short as many dollars of the other gets 50% of both legs' price risk (all of a
/// perp's loss) off its maintenance and initial margin, shown in `margin_report`.
#[tokio::test]
async fn a_declared_spread_credit_lowers_a_cross_underlying_hedge() {
    use portfolio_margin::state::{SpreadCreditParam, UnderlyingParams};
    let mut m = Market::new().await;
    let (risk, vol) = (m.env.risk.insecure_clone(), m.env.vol.insecure_clone());
    let (u0, u1) = (m.sol, underlying_pda(1));
    let mut declared = sol_params();
    declared.spread_credits[0] = SpreadCreditParam { partner: 0, rate: ratio(0.5) };
    m.register_underlying(1, declared, &risk).await.unwrap();
    m.sol = u1;
    m.publish(surface(&[m.expiry], 0.6), &vol).await.unwrap();
    let p1 = m.list(perp()).await.unwrap();
    m.sol = u0;
    let p0 = m.list(perp()).await.unwrap();
    // Both underlyings refreshed from one SOL update (same feed), then their perps.
    m.warp(sol_params().min_refresh_secs as i64).await;
    let oracle = m.sol_price(150.0);
    for (u, inst) in [(u0, p0), (u1, p1)] {
        m.sol = u;
        let ixs = [m.underlying_refresh_ix(oracle), m.instrument_refresh_ix(inst)];
        m.env.send(&ixs, &[]).await.unwrap();
    }
    let maker = m.trader(1_000_000 * USDC).await;
    let book = m.trader(100_000 * USDC).await;
    let extra = |m: &mut Market| {
        let mut v = m.check_accounts();
        let other = if m.sol == u0 { u1 } else { u0 };
        v.push(AccountMeta::new_readonly(other, false));
        v
    };
    // Long 10 units of underlying 0's perp, short 10 units of underlying 1's, at fair.
    for (u, inst, lots, nonce) in [(u0, p0, 1_000, 1), (u1, p1, -1_000, 2)] {
        m.sol = u;
        let ex = extra(&mut m);
        let ix = m.trade_ix(inst, &maker, &book, lots, 150.0, nonce, ex);
        let (mk, bk) = (maker.key.insecure_clone(), book.key.insecure_clone());
        m.env.send(&[ix], &[&mk, &bk]).await.unwrap();
    }
    m.sol = u0;
    let mut ix = m.report_ix(book.margin);
    ix.accounts.push(AccountMeta::new_readonly(u1, false));
    let r: portfolio_margin::instructions::MarginSummary = m.env.view(ix).await;
    assert_eq!(r.groups.len(), 2);
    // Equal dollar deltas, all matched: credit = 0.5 x (loss_0 + loss_1) at each level.
    let (l0, l1) = (r.groups[0].maintenance_loss, r.groups[1].maintenance_loss);
    let want = (l0 + l1) / 2;
    assert!((r.spread_credit_maintenance - want).abs() <= 4, "{} vs {want}", r.spread_credit_maintenance);
    assert_eq!(r.maintenance, l0 + l1 - r.spread_credit_maintenance);
    let want_im = (r.groups[0].initial_loss + r.groups[1].initial_loss) / 2;
    assert!((r.spread_credit_initial - want_im).abs() <= 4);
    // Lowering the credit reprices the book: not a lever that acts at once.
    let cut = UnderlyingParams { spread_credits: [SpreadCreditParam::NONE; 3], ..declared };
    let ix = Env::ix(
        portfolio_margin::accounts::UnderlyingUpdate {
            config: config_pda(),
            underlying: u1,
            risk_authority: risk.pubkey(),
        },
        portfolio_margin::instruction::UnderlyingUpdate { params: cut },
    );
    let e = m.env.send(&[ix], &[&risk]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::ParamChangeNeedsDelay)));
    // A rate above 1 is refused at registration.
    let mut bad = sol_params();
    bad.spread_credits[0] = SpreadCreditParam { partner: 0, rate: ratio(1.5) };
    let e = m.register_underlying(2, bad, &risk).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidParameter)));
}
