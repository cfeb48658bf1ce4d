//! Permissionless liquidation: positions and collateral at a discount to mark, the Dutch
//! auction, the target (and no more), the liquidator's own margin, the loss waterfall, and
//! two keepers racing for one account.
mod common;

use anchor_lang::prelude::Pubkey;
use common::market::*;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::liquidation::{CollateralTake, LiquidateArgs, PositionTake, scope};
use portfolio_margin::state::{CollateralAsset, LOSS_INDEX_ONE};
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: u64 = 1_000_000;
const SPL_TOKEN: Pubkey = anchor_spl::token::spl_token::ID;

fn take_all(inst: Pubkey, lots: u64) -> LiquidateArgs {
    LiquidateArgs { positions: vec![PositionTake { instrument: inst, lots }], ..Default::default() }
}

/// A future at 100; the victim (200 USDC) buys 10 lots from a rich maker; a liquidator
/// stands by. Returns (future, maker, victim, liquidator).
async fn long_futures(m: &mut Market) -> (Pubkey, Trader, Trader, Trader) {
    let f = m.list(future(m.expiry)).await.unwrap();
    m.crank(100.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let victim = m.trader(200 * USDC).await;
    let liquidator = m.trader(100_000 * USDC).await;
    m.trade(f, &maker, &victim, 10, 100.0, 1).await.unwrap();
    (f, maker, victim, liquidator)
}

/// [`long_futures`], then the price falls to 88: the victim is under maintenance.
async fn underwater_future(m: &mut Market) -> (Pubkey, Trader, Trader, Trader) {
    let book = long_futures(m).await;
    m.crank(88.0).await.unwrap();
    book
}

fn all_accounts(ts: &[&Trader]) -> Vec<Pubkey> {
    let mut v: Vec<Pubkey> = ts.iter().map(|t| t.margin).collect();
    v.push(insurance_pda());
    v
}

#[tokio::test]
async fn healthy_accounts_cannot_be_liquidated() {
    let mut m = Market::new().await;
    let (f, _maker, victim, liquidator) = long_futures(&mut m).await;
    let plan = m.plan(victim.margin).await;
    assert!(!plan.liquidatable && plan.request.positions.is_empty());
    let e = m.liquidate(victim.margin, &liquidator, take_all(f, 10)).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::NotLiquidatable)));
    // Nor can an account liquidate itself.
    let e = m.liquidate(victim.margin, &victim, take_all(f, 10)).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::SelfLiquidation)));
}

fn past_target(r: &portfolio_margin::instructions::MarginSummary) -> f64 {
    r.equity as f64 - 1.2 * r.maintenance as f64
}

#[tokio::test]
async fn positions_move_at_mark_up_to_the_target_and_no_further() {
    let mut m = Market::new().await;
    let (f, maker, victim, liquidator) = underwater_future(&mut m).await;
    let r0 = m.report(victim.margin).await;
    assert!(r0.equity < r0.maintenance, "the crash put the victim under maintenance");
    // The plan names the smallest number of lots that restores the target.
    let plan = m.plan(victim.margin).await;
    assert!(plan.liquidatable && plan.reaches_target);
    let n = plan.request.positions[0].lots;
    assert!((2..10).contains(&n), "partial: {n} of 10 lots");
    println!("plan: take {n} of 10 lots");

    // Asking for all 10 lots takes exactly the plan's n.
    m.liquidate(victim.margin, &liquidator, take_all(f, 10)).await.unwrap();
    let v = m.env.margin(&victim.margin).await;
    assert_eq!(v.lots(&f), 10 - n as i64);
    assert_eq!(m.env.margin(&liquidator.margin).await.lots(&f), n as i64);
    let r1 = m.report(victim.margin).await;
    assert!(past_target(&r1) >= 0.0, "target: equity {} vs maintenance {}", usd(r1.equity), usd(r1.maintenance));
    assert_eq!(v.liquidatable_since, 0, "healthy again: the auction clock is cleared");
    // Healthy now: a second attempt is refused.
    let e = m.liquidate(victim.margin, &liquidator, take_all(f, 1)).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::NotLiquidatable)));
    let inst: portfolio_margin::state::Instrument = m.env.zero_copy(&f).await;
    assert_eq!(inst.open_interest, 10, "open interest: the maker's short is still 10 lots");
    m.assert_conserved(&all_accounts(&[&maker, &victim, &liquidator])).await;
}

#[tokio::test]
async fn one_lot_fewer_than_the_plan_falls_short_of_the_target() {
    let mut m = Market::new().await;
    let (f, _maker, victim, liquidator) = underwater_future(&mut m).await;
    let r0 = m.report(victim.margin).await;
    let n = m.plan(victim.margin).await.request.positions[0].lots;
    m.liquidate(victim.margin, &liquidator, take_all(f, n - 1)).await.unwrap();
    assert_eq!(m.env.margin(&victim.margin).await.lots(&f), 10 - (n as i64 - 1));
    let r1 = m.report(victim.margin).await;
    assert!(past_target(&r1) < 0.0, "n - 1 lots do not reach the target");
    assert!(r1.equity - r1.maintenance > r0.equity - r0.maintenance, "but they improved it");
}

#[tokio::test]
async fn the_discount_is_a_dutch_auction_paid_by_the_liquidatee() {
    let mut m = Market::new().await;
    let (_f, maker, victim, liquidator) = underwater_future(&mut m).await;
    let p = liquidation_params();
    // Not flagged yet: a liquidation now would get the starting discount.
    let plan = m.plan(victim.margin).await;
    assert_eq!((plan.liquidatable_since, plan.discount), (0, p.start_discount));
    let ix = m.flag_ix(victim.margin);
    m.env.send(&[ix], &[]).await.unwrap();
    let since = m.env.margin(&victim.margin).await.liquidatable_since;
    assert_eq!(since, m.env.now);
    let mut seen = vec![];
    for _ in 0..3 {
        m.warp(150).await;
        m.crank(88.0).await.unwrap();
        // A keeper watching the account confirms it is still under (the clock stays valid).
        let ix = m.flag_ix(victim.margin);
        m.env.send(&[ix], &[]).await.unwrap();
        let plan = m.plan(victim.margin).await;
        assert_eq!(plan.liquidatable_since, since, "flagging again does not restart the clock");
        seen.push(plan.discount);
    }
    // Half the ramp: halfway from 1% to 5%; then the cap, and it stays there.
    let mid = p.start_discount + (p.max_discount - p.start_discount) / 2;
    assert!((seen[0] - mid).abs() <= 1, "{} vs {}", seen[0], mid);
    assert_eq!(&seen[1..], &[p.max_discount, p.max_discount]);

    // At the cap: the liquidatee pays 5% of the margin freed; a quarter goes to insurance.
    let before = m.env.margin(&victim.margin).await;
    let liq_before = m.env.margin(&liquidator.margin).await.balance(&m.usdc);
    let r0 = m.report(victim.margin).await;
    let plan = m.plan(victim.margin).await;
    m.liquidate(victim.margin, &liquidator, plan.request.clone()).await.unwrap();
    let r1 = m.report(victim.margin).await;
    let fee_expected = usd(r0.maintenance - r1.maintenance) * 0.05;
    let after = m.env.margin(&victim.margin).await;
    let paid = before.balance(&m.usdc) - after.balance(&m.usdc);
    assert!((paid as f64 / 1e6 - fee_expected).abs() < 1e-5, "fee {} vs {}", paid, fee_expected);
    assert_eq!(paid, plan.fee, "the plan's fee is the fee");
    let to_insurance = m.env.margin(&insurance_pda()).await.balance(&m.usdc);
    let to_liquidator = m.env.margin(&liquidator.margin).await.balance(&m.usdc) - liq_before;
    assert_eq!(to_insurance + to_liquidator, paid);
    assert_eq!(to_insurance, paid / 4);
    m.assert_conserved(&all_accounts(&[&maker, &victim, &liquidator])).await;
}

#[tokio::test]
async fn a_liquidator_must_meet_its_own_initial_margin() {
    let mut m = Market::new().await;
    let (f, _maker, victim, _) = underwater_future(&mut m).await;
    let thin = m.trader(5 * USDC).await;
    let e = m.liquidate(victim.margin, &thin, take_all(f, 10)).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InitialMarginViolated)));
    // Bad requests are named: more lots than held, a position the account lacks.
    let rich = m.trader(100_000 * USDC).await;
    let e = m.liquidate(victim.margin, &rich, take_all(f, 11)).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidLiquidationRequest)));
    let other = m.list(put(m.expiry, 90.0)).await.unwrap();
    m.crank(88.0).await.unwrap();
    let e = m.liquidate(victim.margin, &rich, take_all(other, 1)).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidLiquidationRequest)));
    // A scope that does not exist (the enum's byte past its last variant) does not decode.
    let mut ix = m.liquidate_ix(victim.margin, &rich, LiquidateArgs::default());
    *ix.data.last_mut().unwrap() = 4;
    let k = rich.key.insecure_clone();
    let e = m.env.send(&[ix], &[&k]).await.unwrap_err();
    let did_not_deserialize = anchor_lang::error::ErrorCode::InstructionDidNotDeserialize as u32;
    assert_eq!(custom_code(&e), Some(did_not_deserialize));
    // A scope with lists as well, or nothing at all.
    for args in [LiquidateArgs { scope: scope::ALL_POSITIONS, ..take_all(f, 1) }, LiquidateArgs::default()] {
        let e = m.liquidate(victim.margin, &rich, args).await.unwrap_err();
        assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidLiquidationRequest)));
    }
}

#[tokio::test]
async fn liquidation_terms_belong_to_the_risk_authority_and_are_checked() {
    let mut m = Market::new().await;
    let mut bad = liquidation_params();
    bad.max_discount = ratio(0.6); // above the 50% cap
    let e = m.set_liquidation(bad).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidParameter)));
    bad = liquidation_params();
    bad.ramp_secs = 0;
    let e = m.set_liquidation(bad).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidParameter)));
    // Someone else signing as the risk authority.
    let stranger = Keypair::new();
    let ix = Env::ix(
        portfolio_margin::accounts::ConfigSetLiquidation { config: config_pda(), risk_authority: stranger.pubkey() },
        portfolio_margin::instruction::ConfigSetLiquidation { params: liquidation_params() },
    );
    let e = m.env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::Unauthorized)));
    let config: portfolio_margin::state::Config = m.env.anchor(&config_pda()).await;
    assert_eq!(config.liquidation, liquidation_params(), "nothing changed");
    // The insurance fund opens once.
    let ix = m.insurance_init_ix();
    assert!(m.env.send(&[ix], &[]).await.is_err());
}

#[tokio::test]
async fn taking_one_leg_of_a_hedge_is_refused_as_worsening() {
    let mut m = Market::new().await;
    let [c, p, f] = m.list_hedge_set(100.0).await;
    m.crank(100.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let victim = m.trader(300 * USDC).await;
    let liquidator = m.trader(100_000 * USDC).await;
    // Synthetic long (short put + long call) hedged by a short future: nearly riskless.
    m.trade(p, &maker, &victim, -10, 8.0, 1).await.unwrap();
    m.trade(c, &maker, &victim, 10, 8.0, 2).await.unwrap();
    m.trade(f, &maker, &victim, -10, 100.0, 3).await.unwrap();
    // A naked future on top, then a fall: the naked part makes the account liquidatable.
    let g = m.list(future(m.expiry + DAY)).await.unwrap();
    m.crank(100.0).await.unwrap();
    m.trade(g, &maker, &victim, 15, 100.0, 4).await.unwrap();
    m.crank(85.0).await.unwrap();
    let r = m.report(victim.margin).await;
    assert!(r.equity < r.maintenance);
    // Taking the hedge (the short future) alone adds risk: refused.
    let e = m.liquidate(victim.margin, &liquidator, take_all(f, 10)).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::LiquidationWorsens)));
    // The plan finds what does help.
    let plan = m.plan(victim.margin).await;
    assert!(plan.reaches_target);
    m.liquidate(victim.margin, &liquidator, plan.request).await.unwrap();
    let r = m.report(victim.margin).await;
    assert!(r.equity >= r.maintenance);
}

#[tokio::test]
async fn collateral_is_bought_at_the_oracle_price_less_the_discount() {
    let mut m = Market::new().await;
    // wSOL-like collateral (9 decimals, SOL feed, 10% / 15% haircuts), not mapped.
    let mint = m.env.mint(SPL_TOKEN, 9).await;
    let params = portfolio_margin::state::CollateralParams {
        feed_id: SOL_FEED,
        maint_haircut: ratio(0.10),
        init_haircut: ratio(0.15),
        deposit_cap: u64::MAX / 4,
        ..usdc_params()
    };
    let risk = m.env.risk.insecure_clone();
    m.env.register(&mint, SPL_TOKEN, params, &risk).await.unwrap();
    let wsol = asset_pda(&mint);
    let f = m.list(future(m.expiry)).await.unwrap();
    m.crank(100.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let liquidator = m.trader(100_000 * USDC).await;
    let victim = m.trader(0).await;
    m.env.deposit_new_tokens(SPL_TOKEN, mint, victim.margin, &victim.key, 10_000_000_000).await;
    let sol_extra = |m: &mut Market| {
        let o = m.sol_price(100.0);
        vec![
            anchor_lang::solana_program::instruction::AccountMeta::new_readonly(wsol, false),
            anchor_lang::solana_program::instruction::AccountMeta::new_readonly(o, false),
        ]
    };
    let mut extra = m.check_accounts();
    extra.extend(sol_extra(&mut m));
    let ix = m.trade_ix(f, &maker, &victim, 40, 100.0, 1, extra);
    m.env.send(&[ix], &[&maker.key.insecure_clone(), &victim.key.insecure_clone()]).await.unwrap();
    m.crank(85.0).await.unwrap();
    // Realize the futures loss into a USDC debt.
    let ix = m.realize_ix(f, victim.margin, victim.key.pubkey());
    m.env.send(&[ix], &[&victim.key.insecure_clone()]).await.unwrap();
    let sol_oracle = m.sol_price(85.0);
    let extra = vec![
        anchor_lang::solana_program::instruction::AccountMeta::new_readonly(wsol, false),
        anchor_lang::solana_program::instruction::AccountMeta::new_readonly(sol_oracle, false),
    ];
    let r0 = m.report_with(victim.margin, extra.clone()).await;
    assert!(r0.equity < r0.maintenance);
    let before = m.env.margin(&victim.margin).await;
    let args =
        LiquidateArgs { collateral: vec![CollateralTake { asset: wsol, amount: 4_000_000_000 }], ..Default::default() };
    let mut ix = m.liquidate_ix(victim.margin, &liquidator, args);
    ix.accounts.extend(extra.clone());
    m.env.send(&[ix], &[&liquidator.key.insecure_clone()]).await.unwrap();
    let after = m.env.margin(&victim.margin).await;
    let sol_moved = before.balance(&wsol) - after.balance(&wsol);
    assert!(sol_moved > 0 && sol_moved <= 4_000_000_000);
    assert_eq!(m.env.margin(&liquidator.margin).await.balance(&wsol), sol_moved);
    // Paid at the oracle mid (85) for the SOL, less the 1% discount on its value.
    let got = after.balance(&m.usdc) - before.balance(&m.usdc);
    let value = sol_moved as f64 / 1e9 * 85.0;
    assert!((got as f64 / 1e6 - value * 0.99).abs() < 1e-4, "{} vs {}", got, value * 0.99);
    let r1 = m.report_with(victim.margin, extra).await;
    assert!(r1.equity - r1.maintenance > r0.equity - r0.maintenance);
    let asset: CollateralAsset = m.env.anchor(&wsol).await;
    assert_eq!(asset.total_deposits, 10_000_000_000, "collateral moved on the books, not out of the vault");
}

#[tokio::test]
async fn bankruptcy_runs_the_waterfall_insurance_then_socialized() {
    let mut m = Market::new().await;
    let (f, maker, victim, liquidator) = long_futures(&mut m).await;
    let saver = m.trader(10_000 * USDC).await;
    // A small insurance fund, topped up with a plain deposit.
    m.env.deposit_new_tokens(SPL_TOKEN, m.usdc_mint, insurance_pda(), &saver.key, 30 * USDC).await;
    // A crash no margin covers: the victim owes more than it has.
    m.crank(60.0).await.unwrap();
    let r = m.report(victim.margin).await;
    assert!(r.equity < 0);
    // Not bankrupt while it still holds a position.
    let ix = m.bankruptcy_ix(victim.margin);
    let e = m.env.send(&[ix], &[]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::NotBankrupt)));
    let plan = m.plan(victim.margin).await;
    assert!(!plan.reaches_target, "nothing restores it: everything goes");
    assert_eq!(plan.request.positions[0].lots, 10);
    m.liquidate(victim.margin, &liquidator, plan.request).await.unwrap();
    let v = m.env.margin(&victim.margin).await;
    assert_eq!(v.n_positions, 0);
    let debt = -v.balance(&m.usdc);
    let fund = m.env.margin(&insurance_pda()).await.balance(&m.usdc);
    assert!(debt > fund && fund >= 30 * USDC as i64, "debt {debt} beyond the fund {fund}");
    let ix = m.bankruptcy_ix(victim.margin);
    m.env.send(&[ix], &[]).await.unwrap();
    assert_eq!(m.env.margin(&insurance_pda()).await.n_balances, 0, "the fund paid all it had");
    assert_eq!(m.env.margin(&victim.margin).await.n_balances, 0, "the debt is gone");
    let asset: CollateralAsset = m.env.anchor(&m.usdc).await;
    let rest = debt - fund;
    assert_eq!(asset.socialized_loss as i64, rest, "the cumulative socialized loss");
    // Booked at once in the loss index: it fell by B / (B + R), B = vault + net_cash (the
    // victim's realized loss is in net_cash: the maker's matching gain is not on a balance).
    let one = LOSS_INDEX_ONE as i128;
    let b = asset.total_deposits as i128 + asset.net_cash as i128;
    assert!(asset.net_cash < 0 && b > 0);
    assert_eq!(asset.loss_index as i128, one * b / (b + rest as i128));
    let index = asset.loss_index();
    let everyone = all_accounts(&[&maker, &victim, &liquidator, &saver]);
    // No other account owes USDC, so the holders bore the loss and no more: what stays in the
    // vault is rounding (under a unit per balance written down: the maker, liquidator, saver).
    let dust = m.assert_conserved(&everyone).await;
    assert!((0..3).contains(&dust), "dust {dust}");

    // Pro rata: the saver's 10,000 USDC are worth 10,000 x the index now (rounded down), and
    // that is what it can withdraw, in full.
    let held = m.env.margin(&saver.margin).await.balance_at(&m.usdc, index).unwrap();
    assert_eq!(held as i128, (10_000 * USDC) as i128 * index as i128 / one);
    assert!(held < 10_000 * USDC as i64);
    let oracle = m.usdc_price();
    let key = saver.key.insecure_clone();
    let w = |amount: u64, m: &mut Market| {
        m.env.withdraw_ix(saver.margin, m.usdc_mint, saver.wallet, key.pubkey(), SPL_TOKEN, amount, &[(m.usdc, oracle)])
    };
    let ix = w(held as u64 + 1, &mut m);
    let e = m.env.send(&[ix], &[&key]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InsufficientBalance)));
    let w0 = m.env.token_balance(&saver.wallet).await;
    let ix = w(held as u64, &mut m);
    m.env.send(&[ix], &[&key]).await.unwrap();
    assert_eq!(m.env.token_balance(&saver.wallet).await - w0, held as u64, "paid in full");
    assert_eq!(m.env.margin(&saver.margin).await.n_balances, 0);
    assert_eq!(m.assert_conserved(&everyone).await, dust, "a withdrawal moves no dust");

    // The maker's gain (the other side of the victim's loss) is realized live only from what
    // the victim actually paid in (M-6: its debt, socialized above, pays nobody); the gain
    // stays in the position until expiry settles it. The vault still covers every claim.
    m.crank(60.0).await.unwrap();
    let pool = m.env.zero_copy::<portfolio_margin::state::Instrument>(&f).await.pnl_pool;
    let held = m.env.margin(&maker.margin).await.balance(&m.usdc);
    let ix = m.realize_ix(f, maker.margin, maker.key.pubkey());
    m.env.send(&[ix], &[&maker.key.insecure_clone()]).await.unwrap();
    let paid = m.env.margin(&maker.margin).await.balance(&m.usdc) - held;
    // The victim's collateral was wSOL (sold to liquidators), its USDC loss a debt: it paid
    // nothing in, so nothing is paid out live.
    assert_eq!((pool, paid), (0, 0));
    assert_eq!(m.env.zero_copy::<portfolio_margin::state::Instrument>(&f).await.pnl_pool, 0);
    assert!(m.env.margin(&maker.margin).await.lots(&f) != 0, "the unpaid gain stays a position");
    assert!(m.assert_conserved(&everyone).await >= 0);
}

#[tokio::test]
async fn two_keepers_racing_one_wins_the_other_is_refused_cleanly() {
    let mut m = Market::new().await;
    let (f, maker, victim, first) = underwater_future(&mut m).await;
    let second = m.trader(100_000 * USDC).await;
    let plan = m.plan(victim.margin).await;
    // Both keepers saw the same plan and sent it; one lands first.
    let a = m.liquidate_ix(victim.margin, &first, plan.request.clone());
    let b = m.liquidate_ix(victim.margin, &second, plan.request.clone());
    m.env.send(&[a], &[&first.key.insecure_clone()]).await.unwrap();
    let snapshot = m.env.margin(&second.margin).await;
    let e = m.env.send(&[b], &[&second.key.insecure_clone()]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::NotLiquidatable)));
    let after = m.env.margin(&second.margin).await;
    assert_eq!(after.balance(&m.usdc), snapshot.balance(&m.usdc));
    assert_eq!(after.lots(&f), 0);
    m.assert_conserved(&all_accounts(&[&maker, &victim, &first, &second])).await;
}

#[tokio::test]
async fn the_largest_account_is_fully_liquidated_in_one_instruction() {
    let mut m = Market::new().await;
    let n = portfolio_margin::state::MAX_POSITIONS;
    let futs = m.list_future_strip(n).await;
    m.crank(100.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let victim = m.trader(600 * USDC).await;
    let liquidator = m.trader(1_000_000 * USDC).await;
    m.buy_one_lot_each(&futs, &maker, &victim, 100.0).await;
    assert_eq!(m.env.margin(&victim.margin).await.n_positions as usize, n);
    // A crash past what 32 lots can bear: no share of the book restores the target.
    m.crank(40.0).await.unwrap();
    let plan = m.plan(victim.margin).await;
    assert!(plan.liquidatable && !plan.reaches_target);
    // 32 listed takes do not fit the plan's return data (1,024 bytes): it names the scope.
    assert!(plan.request.positions.is_empty() && plan.request.scope == scope::ALL_POSITIONS);
    assert_eq!(plan.scope, scope::ALL_POSITIONS);
    // Listed, the request alone (32 x 40 bytes) exceeds a 1232-byte transaction.
    let takes = futs.iter().map(|f| PositionTake { instrument: *f, lots: 1 }).collect();
    let listed = m.liquidate_ix(victim.margin, &liquidator, LiquidateArgs { positions: takes, ..Default::default() });
    assert!(listed.data.len() > 1232);
    // Compact: `scope` names all positions; the program finds the share itself.
    let args = LiquidateArgs { scope: plan.scope, ..Default::default() };
    let ix = m.liquidate_ix(victim.margin, &liquidator, args);
    let accounts = ix.accounts.len();
    // Its size as a v0 transaction whose remaining accounts come from a lookup table (the
    // table need not exist to compile the message): it fits a cluster's 1232-byte packet.
    let table = solana_message::AddressLookupTableAccount {
        key: Pubkey::new_unique(),
        addresses: ix.accounts.iter().skip(7).map(|a| a.pubkey).collect(),
    };
    let payer = m.env.payer();
    let msg = solana_message::v0::Message::try_compile(&payer, std::slice::from_ref(&ix), &[table], Default::default())
        .unwrap();
    let size = 1
        + 64 * msg.header.num_required_signatures as usize
        + solana_message::VersionedMessage::V0(msg).serialize().len();
    assert!(size <= 1232, "{size} bytes");
    m.env.send(&[ix], &[&liquidator.key.insecure_clone()]).await.unwrap();
    assert_eq!(m.env.margin(&victim.margin).await.n_positions, 0);
    assert_eq!(m.env.margin(&liquidator.margin).await.n_positions as usize, n);
    println!(
        "32-position liquidation: one instruction, {accounts} accounts, {size} bytes as a v0 transaction with a lookup table"
    );
    // Bankrupt now (a debt, nothing else): the waterfall closes it.
    let ix = m.bankruptcy_ix(victim.margin);
    m.env.send(&[ix], &[]).await.unwrap();
    m.assert_conserved(&all_accounts(&[&maker, &victim, &liquidator])).await;
}

#[tokio::test]
async fn the_auction_clock_stops_when_the_account_is_seen_healthy() {
    let mut m = Market::new().await;
    let (_f, _maker, victim, _liquidator) = underwater_future(&mut m).await;
    let ix = m.flag_ix(victim.margin);
    m.env.send(&[ix], &[]).await.unwrap();
    assert_eq!(m.env.margin(&victim.margin).await.liquidatable_since, m.env.now);
    // The owner adds collateral (a deposit reads no oracle: the clock keeps running)...
    let key = victim.key.insecure_clone();
    let wallet = m.env.deposit_new_tokens(SPL_TOKEN, m.usdc_mint, victim.margin, &key, 1_000 * USDC).await;
    assert_ne!(m.env.margin(&victim.margin).await.liquidatable_since, 0);
    // ...and any check that finds it healthy (a withdrawal here) stops it.
    let mut ix = m.env.withdraw_ix(victim.margin, m.usdc_mint, wallet, key.pubkey(), SPL_TOKEN, USDC, &[]);
    ix.accounts.extend(m.check_accounts());
    m.env.send(&[ix], &[&key]).await.unwrap();
    assert_eq!(m.env.margin(&victim.margin).await.liquidatable_since, 0);
}

/// M-3: an auction clock from an earlier episode (the account recovered without any check
/// clearing it) must not hand the next liquidator a grown discount at once, and no clock
/// starts while liquidations are paused.
#[tokio::test]
async fn an_old_auction_clock_restarts_and_pauses_stop_it() {
    let mut m = Market::new().await;
    let (_f, _maker, victim, _liquidator) = underwater_future(&mut m).await;
    let ix = m.flag_ix(victim.margin);
    m.env.send(&[ix], &[]).await.unwrap();
    let flagged = m.env.now;
    // The price recovers (a crank reads no account: the clock stays), time passes.
    m.crank(100.0).await.unwrap();
    let p = liquidation_params();
    m.warp(2 * p.ramp_secs).await;
    assert_eq!(m.env.margin(&victim.margin).await.liquidatable_since, flagged);
    // Under again: the plan's discount starts over, not at the cap.
    let vol = m.env.vol.insecure_clone();
    let expiry = m.expiry;
    m.publish(surface(&[expiry], 0.6), &vol).await.unwrap();
    m.crank(88.0).await.unwrap();
    let plan = m.plan(victim.margin).await;
    assert!(plan.liquidatable);
    assert_eq!(plan.discount, p.start_discount, "a stale clock restarts");
    // While liquidations are paused, nobody starts the clock.
    let admin = m.env.admin.insecure_clone();
    let pause = Env::ix(
        portfolio_margin::accounts::ConfigSetPause { config: config_pda(), admin: admin.pubkey() },
        portfolio_margin::instruction::ConfigSetPause { paused: portfolio_margin::state::pause::LIQUIDATE },
    );
    m.env.send(&[pause], &[&admin]).await.unwrap();
    let ix = m.flag_ix(victim.margin);
    let e = m.env.send(&[ix], &[]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::Paused)));
}
