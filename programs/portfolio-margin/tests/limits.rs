//! The chain's limits, measured on the program's `.so` in the worst realistic case (see
//! `localnet::worst`): compute units, heap frame, accounts and wire size of every instruction,
//! printed as a table (`cargo test --release -p portfolio-margin --test limits -- --nocapture`)
//! and held to ceilings.
mod common;

use anchor_lang::AnchorDeserialize;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token::spl_token;
use common::market::*;
use common::worst::Worst;
use common::*;
use portfolio_margin::liquidation::{LiquidateArgs, scope};
use solana_keypair::Keypair;
use solana_signer::Signer;

const PACKET: usize = 1232;

struct Row {
    name: &'static str,
    units: u64,
    heap_kib: u32,
    accounts: usize,
    legacy: usize,
    v0: usize,
}

async fn measure(w: &mut Worst, name: &'static str, ix: Instruction, signers: &[&Keypair]) -> Row {
    let (heap_kib, units) = w.m.env.heap_and_units(&ix, signers).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    let payer = w.m.env.payer();
    let full = [localnet::budget_ixs(MAX_CU), vec![ix]].concat();
    let (legacy, v0) = wire_sizes(&full, &payer);
    Row { name, units, heap_kib, accounts: account_count(&full, &payer), legacy, v0 }
}

fn print(rows: &[Row]) {
    println!("\n| instruction (worst case) | CU | heap frame | accounts | legacy bytes | v0 + table bytes |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in rows {
        println!("| {} | {} | {} KiB | {} | {} | {} |", r.name, r.units, r.heap_kib, r.accounts, r.legacy, r.v0);
    }
}

#[tokio::test]
async fn every_instruction_fits_the_chain_in_the_worst_case() {
    if localnet::native() {
        return; // the limits are the .so's
    }
    let mut w = Worst::new().await;
    let mut rows = vec![];

    // Margin check of a 32-position, 8-balance account.
    let mut report = Env::ix(
        portfolio_margin::accounts::MarginReport { config: config_pda(), margin_account: w.taker.margin },
        portfolio_margin::instruction::MarginReport {},
    );
    report.accounts.extend(w.check_accounts(false));
    rows.push(measure(&mut w, "margin_report (32 positions, 8 balances)", report.clone(), &[]).await);

    // The same balances without positions: what each position adds.
    let mut empty_report = report.clone();
    empty_report.accounts[1].pubkey = w.liquidator.margin;
    let empty = measure(&mut w, "margin_report (0 positions, 1 balance)", empty_report, &[]).await;

    // A trade between the two full accounts (both sides checked before and after).
    let trade = w.trade_ix(4, 1, 1_000).await;
    let (mk, tk) = (w.maker.key.insecure_clone(), w.taker.key.insecure_clone());
    rows.push(measure(&mut w, "trade (both sides 32 positions)", trade.clone(), &[&mk, &tk]).await);

    // The same fill through a registered venue (its authority a keypair here; a CPI from a
    // venue program adds the invoke: `programs/rfq-venue`), both accounts approving it.
    let (venue, auth) = (Pubkey::new_unique(), Keypair::new());
    w.m.register_venue(&venue, &auth.pubkey(), localnet::venue::venue_params(1_000)).await.unwrap();
    for t in [&w.maker, &w.taker] {
        let k = t.key.insecure_clone();
        let ix = pm_client::ix::venue_approve(&t.margin, &k.pubkey(), &venue, 10);
        w.m.env.send(&[ix], &[&k]).await.unwrap();
    }
    let args = portfolio_margin::instructions::TradeArgs::deserialize(&mut &trade.data[8..]).unwrap();
    let key = |i: usize| trade.accounts[i].pubkey;
    let t = pm_client::ix::TradeAccounts {
        underlying: key(1),
        instrument: key(2),
        quote_asset: key(3),
        maker_account: key(4),
        taker_account: key(5),
        maker: key(6),
        taker: key(7),
    };
    let fill = portfolio_margin::instructions::VenueTradeArgs { lots: args.lots, price: args.price };
    let venue_fill = pm_client::ix::venue_trade(&t, &venue, &auth.pubkey(), fill, trade.accounts[8..].to_vec());
    rows.push(measure(&mut w, "venue_trade (both sides 32 positions)", venue_fill, &[&auth]).await);

    // A withdrawal from the full account (initial margin with every position).
    let usdc_mint = w.assets[0].0;
    let dest = w.m.env.token_account(spl_token::ID, &usdc_mint, &tk.pubkey(), 0).await;
    let mut withdraw = w.m.env.withdraw_ix(w.taker.margin, usdc_mint, dest, tk.pubkey(), spl_token::ID, 1_000_000, &[]);
    withdraw.accounts.extend(w.check_accounts(false));
    rows.push(measure(&mut w, "withdraw (32 positions, 8 balances)", withdraw, &[&tk]).await);

    // A deposit into the full account, a new account, a flag of the full account.
    let wallet = w.m.env.token_account(spl_token::ID, &usdc_mint, &tk.pubkey(), 1_000_000).await;
    let deposit = w.m.env.deposit_ix(
        w.taker.margin,
        usdc_mint,
        vault_pda(&usdc_mint),
        wallet,
        tk.pubkey(),
        spl_token::ID,
        1_000_000,
    );
    rows.push(measure(&mut w, "deposit (8 balances)", deposit, &[&tk]).await);
    let newcomer = Keypair::new();
    let open = Env::ix(
        portfolio_margin::accounts::AccountOpen {
            margin_account: margin_pda(&newcomer.pubkey(), 0),
            owner: newcomer.pubkey(),
            payer: w.m.env.payer(),
            system_program: anchor_lang::system_program::ID,
        },
        portfolio_margin::instruction::AccountOpen { sub_id: 0 },
    );
    rows.push(measure(&mut w, "account_open", open, &[&newcomer]).await);
    let mut flag = Env::ix(
        portfolio_margin::accounts::LiquidationFlag { config: config_pda(), margin_account: w.taker.margin },
        portfolio_margin::instruction::LiquidationFlag {},
    );
    flag.accounts.extend(w.check_accounts(false));
    rows.push(measure(&mut w, "liquidation_flag (32 positions)", flag, &[]).await);

    // Crank: the underlying (after the refresh interval), then one option and one future.
    w.m.warp(sol_params().min_refresh_secs as i64).await;
    let oracle = w.m.sol_price(150.0);
    let refresh = w.m.underlying_refresh_ix(oracle);
    rows.push(measure(&mut w, "underlying_refresh", refresh, &[]).await);
    let call = w.instruments[0].1;
    let fut = w.instruments[4].1;
    let refresh_call = w.m.instrument_refresh_ix(call);
    let refresh_fut = w.m.instrument_refresh_ix(fut);
    rows.push(measure(&mut w, "instrument_refresh (call)", refresh_call, &[]).await);
    rows.push(measure(&mut w, "instrument_refresh (future)", refresh_fut, &[]).await);

    // The taker goes under: its collateral is withdrawn down to just above initial margin
    // (in steps the margin check allows), then every underlying crashes 40%.
    let usdc = w.assets[0].1;
    let dest = w.m.env.token_account(spl_token::ID, &usdc_mint, &tk.pubkey(), 0).await;
    loop {
        let r: portfolio_margin::instructions::MarginSummary = w.m.env.view(report.clone()).await;
        let excess = (r.equity - r.initial) as f64 / (1u64 << 24) as f64;
        let balance = w.m.env.margin(&w.taker.margin).await.balance(&usdc);
        let amount = ((excess * 0.9 * 1e6) as i64).min(balance - 1);
        if amount < 1_000_000 {
            break;
        }
        let mut ix =
            w.m.env.withdraw_ix(w.taker.margin, usdc_mint, dest, tk.pubkey(), spl_token::ID, amount as u64, &[]);
        ix.accounts.extend(w.check_accounts(false));
        w.m.env.send(&[ix], &[&tk]).await.unwrap();
    }
    w.crank(90.0).await;
    let mut plan = Env::ix(
        portfolio_margin::accounts::LiquidationPlanView {
            config: config_pda(),
            quote_asset: usdc,
            margin_account: w.taker.margin,
        },
        portfolio_margin::instruction::LiquidationPlan {},
    );
    plan.accounts.extend(w.check_accounts(false));
    let budget = [localnet::budget_ixs(MAX_CU), vec![plan.clone()]].concat();
    if let Err(e) = w.m.env.units(&budget, &[]).await {
        panic!("liquidation_plan: {e}");
    }
    let p: portfolio_margin::instructions::LiquidationPlan = w.m.env.view(plan.clone()).await;
    assert!(p.liquidatable, "the crash put the taker under maintenance");
    rows.push(measure(&mut w, "liquidation_plan (32 positions)", plan, &[]).await);

    let lq = w.liquidator.key.insecure_clone();
    let mut liquidate = Env::ix(
        portfolio_margin::accounts::Liquidate {
            config: config_pda(),
            quote_asset: usdc,
            liquidatee: w.taker.margin,
            liquidator_account: w.liquidator.margin,
            liquidator: lq.pubkey(),
            insurance: insurance_pda(),
            vault_authority: vault_authority(),
        },
        portfolio_margin::instruction::Liquidate {
            args: LiquidateArgs { scope: scope::ALL_POSITIONS, ..LiquidateArgs::default() },
        },
    );
    liquidate.accounts.extend(w.check_accounts(true));
    rows.push(measure(&mut w, "liquidate (all 32 positions)", liquidate.clone(), &[&lq]).await);

    // The vol surface and its forward curve at full capacity (4 slices x 8 points, every
    // forward checked against max_basis), last: it reprices nothing measured above.
    let now = w.m.env.now;
    let mut full = surface(&[now + 7 * DAY, now + 30 * DAY, now + 90 * DAY, now + 180 * DAY], 0.6);
    for (k, s) in full.slices.iter_mut().enumerate() {
        s.n_points = portfolio_margin::state::MAX_VOL_POINTS as u8;
        for i in 0..portfolio_margin::state::MAX_VOL_POINTS {
            s.moneyness[i] = ratio(0.6 + 0.1 * i as f64);
            s.vols[i] = ratio(0.6);
        }
        s.forward = ratio(1.0 + 0.01 * k as f64);
    }
    let vol = w.m.env.vol.insecure_clone();
    let publish = Env::ix(
        portfolio_margin::accounts::VolSurfacePublish {
            config: config_pda(),
            underlying: w.m.sol,
            vol_oracle_authority: vol.pubkey(),
        },
        portfolio_margin::instruction::VolSurfacePublish { surface: full },
    );
    rows.push(measure(&mut w, "vol_surface_publish (4 slices x 8 points)", publish, &[&vol]).await);
    print(&rows);
    println!(
        "per position in a margin check: {} CU ((32-position report - empty report) / 32)",
        (rows[0].units - empty.units) / 32
    );

    // The liquidation really goes through in one transaction.
    w.m.env.send(&[liquidate], &[&lq]).await.unwrap();

    // Ceilings (issue 9): a margin check within 200,000 CU; every row within one transaction.
    assert!(rows[0].units <= 200_000, "margin check {} CU", rows[0].units);
    for r in &rows {
        assert!(r.units <= MAX_CU as u64, "{}: {} CU", r.name, r.units);
        assert!(r.accounts <= 64, "{}: {} accounts", r.name, r.accounts);
        assert!(r.v0 <= PACKET, "{}: {} bytes as v0", r.name, r.v0);
        assert!(r.heap_kib <= 256, "{}: heap", r.name);
    }
}
