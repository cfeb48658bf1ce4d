//! The end-to-end story on the embedded local chain, in seconds: registries and a market,
//! traders and a hedged options book, portfolio vs isolated margin, LST collateral priced from
//! its pool, an option bought on the example RFQ venue hedged by a bilateral future, an oracle
//! crash, the keeper's liquidation, and every account's final state with the vault checked
//! against the books.
use crate::book::Book;
use crate::chain::local::LocalChain;
use crate::keeper::{Keeper, Outcome, Settings, insurance_pda};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::AccountMeta;
use anchor_spl::token::spl_token;
use localnet::market::*;
use localnet::venue::rfq::VENUE;
use localnet::venue::{rfq_venue_elf, venue_params};
use localnet::*;
use portfolio_margin::state::{CollateralAsset, Instrument, RateSource};
use risk_kernel::instrument::InstrumentRisk;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: u64 = 1_000_000;
/// Lamports per SOL, and base units per token of a 9-decimal LST.
const SOL: u64 = 1_000_000_000;

fn step(n: usize, text: &str) {
    println!("\n[{n}/7] {text}");
}

/// The crank's fair value per unit of an instrument (what the demo's traders agree on).
async fn fair(m: &mut Market, inst: Pubkey) -> f64 {
    let i: Instrument = m.env.zero_copy(&inst).await;
    InstrumentRisk::from_words(&i.risk).map(|r| r.fair.to_f64()).unwrap_or(0.0)
}

/// A liquid-staking token: an SPL stake pool's token worth 1.1 SOL by its pool's own books,
/// mapped into SOL's risk group (5% depeg shock), priced on chain as the pool's rate x SOL/USD
/// (`oracle::stake_pool`). Returns its mint and pool account.
async fn register_lst(m: &mut Market, risk: &Keypair) -> Result<(Pubkey, Pubkey), String> {
    let mint = m.env.mint(spl_token::ID, 9).await;
    let params = portfolio_margin::state::CollateralParams {
        feed_id: SOL_FEED,
        maint_haircut: ratio(0.10),
        init_haircut: ratio(0.15),
        depeg_shock: ratio(0.05),
        group: 0,
        deposit_cap: 1_000_000 * SOL,
        ..usdc_params()
    };
    // A mapped asset names its underlying as the first remaining account.
    let sol = vec![AccountMeta::new_readonly(m.sol, false)];
    let ix = pm_client::ix::collateral_register(&mint, spl_token::ID, params, &risk.pubkey(), &m.env.payer(), sol);
    m.env.send(&[ix], &[risk]).await.map_err(|e| e.to_string())?;
    let epoch = m.env.epoch().await;
    let pool = m.env.stake_pool(&mint, 1_100 * SOL, 1_000 * SOL, epoch);
    let ix =
        pm_client::ix::collateral_set_rate_source(&asset_pda(&mint), RateSource::SplStakePool, &pool, &risk.pubkey());
    m.env.send(&[ix], &[risk]).await.map_err(|e| e.to_string())?;
    Ok((mint, pool))
}

/// (maintenance, initial) margin in USD.
type Margins = (f64, f64);

/// Maintenance and initial margin of each of `acc`'s positions alone and of all of them
/// together, collateral left out (the keeper's book: the program's own code).
fn legs_and_book(
    book: &Book,
    acc: &portfolio_margin::state::MarginAccount,
    feeds: &Feeds,
    now: i64,
) -> Result<(Vec<Margins>, Margins), String> {
    let positions_only = |n: Option<usize>| {
        let mut a = *acc;
        a.n_balances = 0;
        a.balances = Default::default();
        a.balance_index = Default::default();
        if let Some(i) = n {
            a.positions = Default::default();
            a.positions[0] = acc.positions[i];
            a.n_positions = 1;
        }
        a
    };
    let mut legs = vec![];
    for i in 0..acc.n_positions as usize {
        let r = book.evaluate(&positions_only(Some(i)), &feeds.by_feed(), now)?;
        legs.push((r.maintenance.to_f64(), r.initial.to_f64()));
    }
    let r = book.evaluate(&positions_only(None), &feeds.by_feed(), now)?;
    Ok((legs, (r.maintenance.to_f64(), r.initial.to_f64())))
}

pub struct DemoResult {
    pub outcomes: Vec<Outcome>,
    pub saved_pct: f64,
    /// Initial margin saved by erin's venue option and bilateral future in one account.
    pub venue_hedge_saved_pct: f64,
}

pub async fn run() -> Result<DemoResult, String> {
    step(
        1,
        "Embedded chain: program and an example venue loaded in-process; config, USDC collateral, SOL underlying, vol surface, liquidation terms, insurance fund",
    );
    let mut m = Market::on(Env::with_programs(&[(VENUE, rfq_venue_elf()?)]).await).await;
    let feeds = Feeds::default();
    feeds.publish(&mut m.env, 100.0);
    let e = m.expiry;
    let call100 = m.list(call(e, 100.0)).await.map_err(|e| e.to_string())?;
    let put100 = m.list(put(e, 100.0)).await.map_err(|e| e.to_string())?;
    let put90 = m.list(put(e, 90.0)).await.map_err(|e| e.to_string())?;
    let fut = m.list(future(e)).await.map_err(|e| e.to_string())?;
    let sol_perp = m.list(perp()).await.map_err(|e| e.to_string())?;
    m.crank(100.0).await.map_err(|e| e.to_string())?;
    // The perpetual's funding period: one minute here so the story shows an accrual (default
    // one hour), clamp 0.05% per period (the default).
    let risk = m.env.risk.insecure_clone();
    let params = portfolio_margin::instructions::FundingParams {
        period_secs: 60,
        clamp: portfolio_margin::funding::DEFAULT_CLAMP,
        impact_lots: 1,
    };
    let ix = pm_client::ix::instrument_set_funding(&m.sol, &sol_perp, params, &risk.pubkey());
    m.env.send(&[ix], &[&risk]).await.map_err(|e| e.to_string())?;
    println!("  SOL/USD 100.00, 30-day options and future and a perpetual listed, risk caches cranked");
    // The example RFQ venue (programs/rfq-venue), registered by the risk authority: it may
    // settle fills into accounts that approve it, signing with its PDA.
    let venue_authority = pm_client::pda::venue_authority(&VENUE);
    m.register_venue(&VENUE, &venue_authority, venue_params(1_000)).await.map_err(|e| format!("venue: {e}"))?;
    println!("  venue {VENUE} registered (the example RFQ board; its PDA {venue_authority} signs its fills)");

    step(2, "Traders and the keeper deposit USDC (wallet-signed SPL transfers into the program vault)");
    let bob = m.trader(1_000_000 * USDC).await;
    let alice = m.trader(400 * USDC).await;
    let keeper_key = Keypair::new();
    let keeper_acc = m.trader_sub(keeper_key.insecure_clone(), 0, 50_000 * USDC).await;
    let carol = m.trader(5_000 * USDC).await;
    println!("  alice  {}  400 USDC (trader)", alice.margin);
    println!("  bob    {}  1,000,000 USDC (market maker)", bob.margin);
    println!("  keeper {}  50,000 USDC (liquidator)", keeper_acc.margin);
    println!("  carol  {}  5,000 USDC (perpetual trader)", carol.margin);
    let (lst_mint, lst_pool) = register_lst(&mut m, &risk).await?;
    let dave = m.trader(1_000 * USDC).await;
    m.env.deposit_new_tokens(spl_token::ID, lst_mint, dave.margin, &dave.key, 100 * SOL).await;
    println!(
        "  dave   {}  1,000 USDC + 100 LST (an SPL stake-pool token, 1.1 SOL each by its pool's own account, in SOL's risk group)",
        dave.margin
    );
    let erin = m.trader(2_000 * USDC).await;
    println!("  erin   {}  2,000 USDC (trades on the RFQ venue and bilaterally)", erin.margin);
    for t in [&bob, &erin] {
        m.approve_venue(t, &VENUE, 10).await.map_err(|e| format!("approve the venue: {e}"))?;
    }
    println!("  bob and erin approve the venue for their accounts (at most 10 lots per fill, revocable)");
    // Dave's margin checks also read the LST's asset, SOL's price and the pool.
    let lst_accounts =
        [asset_pda(&lst_mint), feeds.sol, lst_pool].map(|k| AccountMeta::new_readonly(k, false)).to_vec();

    step(
        3,
        "Alice trades a hedged options book with bob (both wallets sign); carol a perpetual; erin an option on the venue, hedged bilaterally",
    );
    let legs = [
        (call100, 10, "long 10 calls K=100"),
        (put100, -10, "short 10 puts K=100"),
        (fut, -10, "short 10 futures"),
        (put90, -30, "short 30 puts K=90 (income)"),
    ];
    for (nonce, (inst, lots, name)) in legs.iter().enumerate() {
        let px = fair(&mut m, *inst).await;
        m.trade(*inst, &bob, &alice, *lots, px, 1 + nonce as u64).await.map_err(|e| format!("{name}: {e}"))?;
        println!("  {name:<28} at {px:>7.3}");
    }
    // Carol buys the perpetual over the index: the premium funding will charge longs.
    let nonce = 1 + legs.len() as u64; // bob's next maker nonce
    m.trade(sol_perp, &bob, &carol, 5, 100.3, nonce).await.map_err(|e| format!("perp: {e}"))?;
    println!("  carol buys 5 SOL-PERP from bob at 100.300 (+0.30% over the 100.00 index)");
    // Erin buys 10 calls on the venue (bob's quote, her one signature; the venue settles by
    // CPI), then hedges them with 5 futures sold to bob bilaterally.
    let px = fair(&mut m, call100).await;
    let quote = m.rfq_post(&bob, 1, call100, 10, px).await.map_err(|e| format!("post a quote: {e}"))?;
    m.rfq_fill(quote, call100, &bob, &erin, 10, px).await.map_err(|e| format!("fill on the venue: {e}"))?;
    println!("  erin buys 10 calls K=100 at {px:.3} on the RFQ venue (bob's quote, filled with her signature alone)");
    let px = fair(&mut m, fut).await;
    m.trade(fut, &bob, &erin, -5, px, nonce + 1).await.map_err(|e| format!("erin's hedge: {e}"))?;
    println!("  erin sells 5 futures to bob at {px:.3} (bilateral trade): her calls' delta hedged");

    step(4, "Margin report: the same positions margined together vs one by one (the program's own code)");
    let mut chain = LocalChain { env: &mut m.env };
    let book = Book::load(&mut chain, &feeds.by_feed()).await.map_err(|e| e.to_string())?;
    let now = m.env.now;
    let acc = book.accounts.iter().find(|(k, _)| *k == alice.margin).map(|(_, a)| *a).ok_or("alice not found")?;
    println!("  {:<30} {:>14} {:>14}", "position", "maintenance", "initial");
    let (legs_margin, together) = legs_and_book(&book, &acc, &feeds, now)?;
    for (i, (mm, im)) in legs_margin.iter().enumerate() {
        let name = legs.iter().find(|l| l.0 == acc.positions[i].instrument).map(|l| l.2).unwrap_or("?");
        println!("  {:<30} {:>14.2} {:>14.2}", name, mm, im);
    }
    let isolated = legs_margin.iter().fold((0.0, 0.0), |s, l| (s.0 + l.0, s.1 + l.1));
    println!("  {:<30} {:>14.2} {:>14.2}", "isolated (sum of the legs)", isolated.0, isolated.1);
    println!("  {:<30} {:>14.2} {:>14.2}", "portfolio (one account)", together.0, together.1);
    let saved_pct = 100.0 * (1.0 - together.1 / isolated.1);
    println!("  initial margin saved by margining the book together: {saved_pct:.1}%");
    let r = m.report(alice.margin).await;
    println!(
        "  on-chain margin_report for alice: equity {:.2}, initial {:.2}, maintenance {:.2}",
        usd(r.equity),
        usd(r.initial),
        usd(r.maintenance)
    );

    let r = m.report_with(dave.margin, lst_accounts.clone()).await;
    // The keeper's book (fetched accounts, the pool and the clock's epoch included) computes
    // the same equity off chain with the program's own code.
    let dave_acc = book.accounts.iter().find(|(k, _)| *k == dave.margin).map(|(_, a)| *a).ok_or("dave not found")?;
    let off_chain = book.evaluate(&dave_acc, &feeds.by_feed(), now)?;
    if off_chain.equity.raw() != r.equity {
        return Err(format!("the keeper values dave at {} raw, the program at {}", off_chain.equity.raw(), r.equity));
    }
    println!(
        "  dave's margin_report: equity {:.2} (1,000 USDC x 0.98 + 100 LST x 1.1 x SOL 99.99 x 0.90 = {:.2}), maintenance {:.2} (the LST moves with SOL's scenarios, plus its depeg shock)",
        usd(r.equity),
        1_000.0 * 0.9999 * 0.98 + 100.0 * 1.1 * (100.0 - 0.01) * 0.90,
        usd(r.maintenance)
    );

    // Erin: the venue's option and the bilateral future, one account, one margin.
    let erin_acc = book.accounts.iter().find(|(k, _)| *k == erin.margin).map(|(_, a)| *a).ok_or("erin not found")?;
    let (apart, together) = legs_and_book(&book, &erin_acc, &feeds, now)?;
    let apart_im: f64 = apart.iter().map(|l| l.1).sum();
    let venue_hedge_saved_pct = 100.0 * (1.0 - together.1 / apart_im);
    let r = m.report(erin.margin).await;
    println!(
        "  erin: long 10 calls (venue) {:.2} + short 5 futures (bilateral) {:.2} initial apart, {:.2} together ({venue_hedge_saved_pct:.1}% saved); margin_report: equity {:.2}, initial {:.2} (with {:.2} for the collateral's haircut)",
        apart[0].1,
        apart[1].1,
        together.1,
        usd(r.equity),
        usd(r.initial),
        usd(r.initial_haircut_extra)
    );

    step(5, "The SOL oracle crashes 100 -> 80 (-20%) one minute later");
    m.warp(60).await;
    feeds.publish(&mut m.env, 80.0);
    println!("  Pyth SOL/USD feed now 80.00; the risk snapshot still says 100 until someone cranks");

    step(6, "The keeper runs one pass: crank, evaluate every account, liquidate by the program's plan");
    let settings = Settings { oracles: feeds.by_feed(), ..Settings::default() };
    let keeper = Keeper::new(keeper_key, keeper_acc.margin, settings);
    let perp_before: Instrument = m.env.zero_copy(&sol_perp).await;
    let mut chain = LocalChain { env: &mut m.env };
    let outcomes = keeper.tick(&mut chain).await.map_err(|e| e.to_string())?;
    if !outcomes.iter().any(|o| matches!(o, Outcome::Liquidated { account, .. } if *account == alice.margin)) {
        return Err(format!("the keeper did not liquidate alice: {outcomes:?}"));
    }
    // A second pass finds nothing left to do.
    let again = keeper.tick(&mut chain).await.map_err(|e| e.to_string())?;
    // The keeper's crank accrued the perpetual's funding (its period had ended).
    let perp_after: Instrument = m.env.zero_copy(&sol_perp).await;
    let elapsed = perp_after.funding_time - perp_before.funding_time;
    if perp_after.funding_index == perp_before.funding_index || elapsed <= 0 {
        return Err("the keeper's crank accrued no funding".into());
    }
    let index_price = m.env.anchor::<portfolio_margin::state::Underlying>(&m.sol).await.snapshot.spot().to_f64();
    let per_lot = (perp_after.funding_index - perp_before.funding_index) as f64 / 4_294_967_296.0;
    let rate = per_lot / (index_price * elapsed as f64 / 60.0);
    let owed = -m.report(carol.margin).await.funding[0].unsettled as f64 / 4_294_967_296.0;
    let received = m.report(bob.margin).await.funding[0].unsettled as f64 / 4_294_967_296.0;
    println!(
        "  perp funding accrued by the crank: rate {:.4}% per period (the time-weighted +0.30% premium, clamped) over {elapsed} s at index {index_price:.2}",
        100.0 * rate
    );
    println!("  carol (long 5) owes {owed:.6} USDC of funding, bob (short 5) receives {received:.6}: the sum is zero");
    println!(
        "  second pass: {} liquidation(s)",
        again.iter().filter(|o| matches!(o, Outcome::Liquidated { .. })).count()
    );

    step(7, "Final state: every account's equity and margin, the insurance fund, vault vs books");
    println!(
        "  {:<10} {:>12} {:>12} {:>12} {:>10} {:>10}",
        "account", "equity", "maintenance", "initial", "positions", "USDC"
    );
    let named = [
        ("alice", alice.margin),
        ("bob", bob.margin),
        ("carol", carol.margin),
        ("dave", dave.margin),
        ("erin", erin.margin),
        ("keeper", keeper_acc.margin),
        ("insurance", insurance_pda()),
    ];
    let usdc_index = m.env.anchor::<CollateralAsset>(&m.usdc).await.loss_index();
    for (name, key) in named {
        let a = m.env.margin(&key).await;
        let r = m.report_with(key, if key == dave.margin { lst_accounts.clone() } else { vec![] }).await;
        println!(
            "  {name:<10} {:>12.2} {:>12.2} {:>12.2} {:>10} {:>10.2}",
            usd(r.equity),
            usd(r.maintenance),
            usd(r.initial),
            a.n_positions,
            a.balance_at(&m.usdc, usdc_index).map_err(|e| e.to_string())? as f64 / 1e6
        );
    }
    let vault = m.env.token_balance(&vault_pda(&m.usdc_mint)).await;
    let asset: CollateralAsset = m.env.anchor(&m.usdc).await;
    let accounts: Vec<Pubkey> = named.iter().map(|n| n.1).collect();
    // Effective balances: a socialized loss writes positive balances down through the index.
    let books = m.usdc_books(&accounts).await;
    let mut net_cash = 0;
    for i in m.instruments.clone() {
        net_cash += m.env.zero_copy::<Instrument>(&i).await.net_cash;
    }
    let backed = vault as i64 + net_cash;
    // Exact with no loss socialized; after one, the books may fall short of the vault by the
    // dust socialization left there, never exceed it.
    let no_loss = asset.loss_index() == portfolio_margin::state::LOSS_INDEX_ONE;
    let ok = (books == backed || (!no_loss && books < backed)) && vault == asset.total_deposits;
    println!(
        "  USDC vault {:.2} = deposits counter {:.2}; sum of balances {:.2} = vault + settled cash{}: {}",
        vault as f64 / 1e6,
        asset.total_deposits as f64 / 1e6,
        books as f64 / 1e6,
        if no_loss { "" } else { " (at most, after a socialized loss)" },
        if ok { "yes" } else { "NO" }
    );
    if !ok {
        return Err("vault and books disagree".into());
    }
    let _ = spl_token::ID;
    Ok(DemoResult { outcomes, saved_pct, venue_hedge_saved_pct })
}
