//! Instruction-sequence fuzzing on the `.so` (openbook-v2's fuzz target is the model): random
//! sequences of deposits, withdrawals, trades at random prices, oracle moves, clock jumps,
//! liquidations and flags by owners with two sub-accounts, delegates and strangers. After
//! every step: every refusal is one of the program's (or the token program's) error codes,
//! never a panic or a VM fault; vault == books; nobody has withdrawn more than was deposited
//! overall; every account is healthy or liquidatable by the program's own plan; and no wallet
//! family gains beyond its deposits and the market's P&L at fair prices ([`Family`]).
//!
//! Deterministic: `PM_FUZZ_SEED` (default 7) and `PM_FUZZ_STEPS` (default 120, the CI run;
//! `PM_FUZZ_STEPS=5000` is the longer run the README documents).
mod common;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token::spl_token;
use common::market::*;
use common::*;
use portfolio_margin::instructions::TradeArgs;
use risk_kernel::instrument::InstrumentRisk;
use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
use solana_program_test::BanksClientError;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;

const USDC: u64 = 1_000_000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A refusal must be an error code (the program's or the token program's), never a panic,
/// an access violation or a compute-budget overrun.
fn assert_clean_refusal(what: &str, e: &BanksClientError) {
    match e {
        BanksClientError::TransactionError(TransactionError::InstructionError(_, InstructionError::Custom(_)))
        | BanksClientError::SimulationError {
            err: TransactionError::InstructionError(_, InstructionError::Custom(_)),
            ..
        } => {}
        other => panic!("{what}: refused without an error code: {other:?}"),
    }
}

/// One wallet family: a wallet's margin accounts (owner and sub-accounts; its delegate acts
/// only on them). Its books, in quote native units (f64 where a value at fair prices enters):
///
/// `value now + withdrawn - deposited <= pnl + allowance`, after every step, where `value` is
/// its accounts at the crank's fair values (effective quote balances + lots x fair per lot -
/// cost), `pnl` the mark-to-market P&L of the positions it held across every crank (lots x the
/// change in fair value), and `allowance` what the rules let value move to it beyond that:
/// - a trade with another family: the part of the price difference to fair that the band
///   allows, `min(|price - fair|, band x spot) x |lots| x lot size`, to the side it favours,
///   and one native unit per lot of rounding either way (per-lot amounts round up);
/// - a liquidation: the discount received (the liquidator's part, or the insurance fund's), and
///   one unit per lot moved (positions move at the mark rounded against the liquidatee);
/// - a bankruptcy: the debt written off (covered by the fund or socialized).
///
/// Exact up to rounding: a trade priced outside the band (C-1) or any other off-market
/// transfer shows up at the step that makes it.
struct Family {
    name: &'static str,
    accounts: Vec<Pubkey>,
    deposited: i64,
    withdrawn: i64,
    pnl: f64,
    allowance: f64,
}

/// Native quote units (6 decimals) per lot of each instrument at the crank's fair value.
async fn fair_per_lot(m: &mut Market, instruments: &[Pubkey]) -> Vec<f64> {
    let mut v = Vec::with_capacity(instruments.len());
    for i in instruments {
        let inst: portfolio_margin::state::Instrument = m.env.zero_copy(i).await;
        let fair = InstrumentRisk::from_words(&inst.risk).map(|r| r.fair.raw()).unwrap_or(0);
        v.push(fair as f64 / PRICE_ONE as f64 * inst.lot_size as f64 / RATIO_ONE * 1e6);
    }
    v
}

/// `accounts` at fair values: effective USDC balances, and each position's lots x fair per lot
/// less its cost.
async fn value_at_fair(m: &mut Market, accounts: &[Pubkey], instruments: &[Pubkey], fair: &[f64]) -> f64 {
    let index = m.env.anchor::<portfolio_margin::state::CollateralAsset>(&m.usdc).await.loss_index();
    let mut v = 0.0;
    for a in accounts {
        let acc = m.env.margin(a).await;
        v += acc.balance_at(&m.usdc, index).expect("effective balance") as f64;
        for p in &acc.positions[..acc.n_positions as usize] {
            let k = instruments.iter().position(|i| *i == p.instrument).expect("a fuzzed instrument");
            v += p.lots as f64 * fair[k] - p.cost as f64;
        }
    }
    v
}

/// Lots held in each instrument by `accounts` (for the P&L of a crank).
async fn lots_held(m: &mut Market, accounts: &[Pubkey], instruments: &[Pubkey]) -> Vec<f64> {
    let mut lots = vec![0.0; instruments.len()];
    for a in accounts {
        let acc = m.env.margin(a).await;
        for p in &acc.positions[..acc.n_positions as usize] {
            let k = instruments.iter().position(|i| *i == p.instrument).expect("a fuzzed instrument");
            lots[k] += p.lots as f64;
        }
    }
    lots
}

/// The events of type `T` a simulation of `ixs` (signed by the payer and `signers`) would emit.
async fn simulated_events<T: anchor_lang::AnchorDeserialize + anchor_lang::Discriminator>(
    m: &mut Market,
    ixs: &[Instruction],
    signers: &[&Keypair],
) -> Vec<T> {
    use anchor_lang::__private::base64::{Engine, engine::general_purpose::STANDARD};
    let ixs = [budget_ixs(MAX_CU), ixs.to_vec()].concat();
    let payer = m.env.ctx.payer.insecure_clone();
    let mut all = vec![&payer];
    all.extend(signers.iter().copied());
    let bh = m.env.ctx.banks_client.get_latest_blockhash().await.unwrap();
    let tx = solana_transaction::Transaction::new_signed_with_payer(&ixs, Some(&payer.pubkey()), &all, bh);
    let sim = m.env.ctx.banks_client.simulate_transaction(tx).await.unwrap();
    let logs = sim.simulation_details.map(|d| d.logs).unwrap_or_default();
    logs.iter()
        .filter_map(|l| l.strip_prefix("Program data: "))
        .filter_map(|d| STANDARD.decode(d).ok())
        .filter(|b| b.starts_with(T::DISCRIMINATOR))
        .filter_map(|b| T::deserialize(&mut &b[T::DISCRIMINATOR.len()..]).ok())
        .collect()
}

const RATIO_ONE: f64 = (1u64 << 48) as f64;
/// Slack of the family invariant (native units): f64 sums of values up to ~10^13.
const FAMILY_TOLERANCE: f64 = 16.0;

#[tokio::test]
async fn random_sequences_keep_every_invariant() {
    let seed = env_u64("PM_FUZZ_SEED", 7);
    let steps = env_u64("PM_FUZZ_STEPS", 120);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut m = Market::new().await;
    let [c, p, f] = m.list_hedge_set(150.0).await;
    let perp = m.list(perp()).await.unwrap();
    let instruments = [c, p, f, perp];
    let mut spot = 150.0;
    m.crank(spot).await.unwrap();
    // Two wallets with two sub-accounts each, a delegate of the first, a stranger.
    let alice = Keypair::new();
    let bob = Keypair::new();
    let mut traders = vec![];
    for (k, sub) in [(&alice, 0), (&alice, 1), (&bob, 0), (&bob, 1)] {
        traders.push(m.trader_sub(k.insecure_clone(), sub, 20_000 * USDC).await);
    }
    // The delegate of alice's first sub-account, a wallet of its own with its own account.
    let delegate = Keypair::new();
    traders.push(m.trader_sub(delegate.insecure_clone(), 0, 20_000 * USDC).await);
    let ak = alice.insecure_clone();
    let set = Env::ix(
        portfolio_margin::accounts::AccountSetDelegate { margin_account: traders[0].margin, owner: alice.pubkey() },
        portfolio_margin::instruction::AccountSetDelegate { delegate: delegate.pubkey() },
    );
    m.env.send(&[set], &[&ak]).await.unwrap();
    let stranger = Keypair::new();
    m.env.fund(&stranger.pubkey()).await;
    let liquidator = m.trader(5_000_000 * USDC).await;
    let mut all: Vec<_> = traders.iter().map(|t| t.margin).collect();
    all.push(liquidator.margin);
    all.push(insurance_pda());
    let mut deposited: i64 = 5 * 20_000 * USDC as i64 + 5_000_000 * USDC as i64;
    let fam = |name, accounts: Vec<Pubkey>, deposited: u64| Family {
        name,
        accounts,
        deposited: deposited as i64,
        withdrawn: 0,
        pnl: 0.0,
        allowance: 0.0,
    };
    let mut families = vec![
        fam("alice", vec![traders[0].margin, traders[1].margin], 40_000 * USDC),
        fam("bob", vec![traders[2].margin, traders[3].margin], 40_000 * USDC),
        fam("delegate", vec![traders[4].margin], 20_000 * USDC),
        fam("liquidator", vec![liquidator.margin], 5_000_000 * USDC),
        fam("insurance", vec![insurance_pda()], 0),
    ];
    let family_of = |a: &Pubkey, families: &[Family]| families.iter().position(|f| f.accounts.contains(a)).unwrap();
    // The largest gain beyond the allowance seen (any family), and among families the rules
    // allowed something: how close the invariant came to failing.
    let (mut max_excess, mut closest) = (f64::MIN, f64::MIN);
    let (mut band_allowed, mut discounts, mut written_off) = (0.0, 0.0, 0.0);
    let mut withdrawn: i64 = 0;
    let (mut ok, mut refused) = (0, 0);
    let mut nonce = 100;
    let mut bankruptcies = 0;

    for step in 0..steps {
        let who = rng.below(traders.len() as u64) as usize;
        let t = &traders[who];
        let action = rng.below(8);
        // Credited to (family, amount) if the step's transaction goes through.
        let mut earned: Vec<(usize, f64)> = vec![];
        let (what, ixs, signers): (String, Vec<Instruction>, Vec<Keypair>) = match action {
            0 => {
                // Deposit, by the owner or by a stranger.
                let amount = 1 + rng.below(5_000) * USDC;
                let by = if rng.below(4) == 0 { stranger.insecure_clone() } else { t.key.insecure_clone() };
                let wallet = m.env.token_account(spl_token::ID, &m.usdc_mint, &by.pubkey(), amount).await;
                deposited += amount as i64;
                earned.push((usize::MAX, amount as f64)); // deposited into t's family (below)
                let ix = m.env.deposit_ix(
                    t.margin,
                    m.usdc_mint,
                    vault_pda(&m.usdc_mint),
                    wallet,
                    by.pubkey(),
                    spl_token::ID,
                    amount,
                );
                (format!("deposit {amount}"), vec![ix], vec![by])
            }
            1 | 2 => {
                // Withdraw, by the owner (or the delegate: always refused).
                let amount = 1 + rng.below(15_000) * USDC;
                let by = if rng.below(5) == 0 && who == 0 { delegate.insecure_clone() } else { t.key.insecure_clone() };
                let mut ix =
                    m.env.withdraw_ix(t.margin, m.usdc_mint, t.wallet, by.pubkey(), spl_token::ID, amount, &[]);
                ix.accounts.extend(m.check_accounts());
                (format!("withdraw {amount}"), vec![ix], vec![by])
            }
            3 | 4 => {
                // Trade at a random price around fair (often outside the band), random size.
                let other = (who + 1 + rng.below(traders.len() as u64 - 1) as usize) % traders.len();
                let inst = instruments[rng.below(4) as usize];
                let data: portfolio_margin::state::Instrument = m.env.zero_copy(&inst).await;
                let fair =
                    risk_kernel::instrument::InstrumentRisk::from_words(&data.risk).map(|r| r.fair.raw()).unwrap_or(0);
                let px = (((fair as f64) * (0.8 + 0.4 * rng.f())) as i64).max(1);
                let lots = (1 + rng.below(30) as i64) * if rng.below(2) == 0 { 1 } else { -1 };
                nonce += 1;
                // Alice's delegate signs for her first sub-account, on either side.
                let signer = |i: usize, rng: &mut Rng| {
                    if i == 0 && rng.below(2) == 0 {
                        delegate.insecure_clone()
                    } else {
                        traders[i].key.insecure_clone()
                    }
                };
                let maker_signer = signer(other, &mut rng);
                let taker_signer = signer(who, &mut rng);
                let args = TradeArgs { lots, price: px, quote_expiry: m.env.now + 60, nonce };
                let extra = m.check_accounts();
                let ix = m.trade_ix_with(
                    inst,
                    (&traders[other].margin, &maker_signer.pubkey()),
                    (&t.margin, &taker_signer.pubkey()),
                    args,
                    extra,
                );
                // What the band lets this trade move between two families, to the side its
                // price favours (the taker gains (fair - price) x lots), and the rounding.
                let (tf, mf) = (family_of(&t.margin, &families), family_of(&traders[other].margin, &families));
                if tf != mf {
                    let und: portfolio_margin::state::Underlying = m.env.anchor(&m.sol).await;
                    let width = und.snapshot.spot as f64 * und.params.price_band as f64 / RATIO_ONE;
                    let unit = data.lot_size as f64 / RATIO_ONE / PRICE_ONE as f64 * 1e6 * lots.unsigned_abs() as f64;
                    let moved = ((fair - px) as f64).abs().min(width) * unit;
                    let winner = if (fair - px) * lots > 0 { tf } else { mf };
                    let rounding = lots.unsigned_abs() as f64 + 1.0;
                    earned.extend([(winner, moved), (tf, rounding), (mf, rounding)]);
                    band_allowed += moved;
                }
                (format!("trade {lots} @ {px}"), vec![ix], vec![maker_signer, taker_signer])
            }
            5 => {
                // The market moves and time passes.
                spot = (spot * (0.85 + 0.3 * rng.f())).clamp(60.0, 400.0);
                let secs = 1 + rng.below(90) as i64;
                m.warp(secs).await;
                let expiry = m.expiry;
                if m.env.now >= expiry {
                    break; // the hedge set expired: settlement has its own suite
                }
                // The vol oracle republishes (a surface older than its max age prices nothing).
                let vol = m.env.vol.insecure_clone();
                m.publish(surface(&[expiry], 0.5 + 0.3 * rng.f()), &vol).await.unwrap();
                let before = fair_per_lot(&mut m, &instruments).await;
                m.crank(spot).await.unwrap();
                let after = fair_per_lot(&mut m, &instruments).await;
                // Each family's mark-to-market P&L: the lots it holds x the move in fair value.
                for f in families.iter_mut() {
                    let lots = lots_held(&mut m, &f.accounts, &instruments).await;
                    f.pnl += (0..instruments.len()).map(|k| lots[k] * (after[k] - before[k])).sum::<f64>();
                }
                ok += 1;
                ("crank".into(), vec![], vec![])
            }
            6 => {
                // A keeper flags the account.
                let ix = m.flag_ix(t.margin);
                ("flag".into(), vec![ix], vec![])
            }
            _ if m.env.margin(&t.margin).await.bankrupt_debt().is_some() => {
                // A keeper resolves a bankruptcy: the insurance fund, then a socialized loss
                // (the loss index falls; conservation is then one-sided).
                bankruptcies += 1;
                let (_, debt) = m.env.margin(&t.margin).await.bankrupt_debt().unwrap();
                earned.push((family_of(&t.margin, &families), debt as f64));
                written_off += debt as f64;
                ("resolve_bankruptcy".into(), vec![m.bankruptcy_ix(t.margin)], vec![])
            }
            _ => {
                // A keeper liquidates by the program's own plan.
                let plan = m.plan(t.margin).await;
                if !plan.liquidatable {
                    continue;
                }
                let ix = m.liquidate_ix(t.margin, &liquidator, plan.request.clone());
                // The discount as the program will pay it (a simulation of the same state), to
                // the liquidator and the insurance fund, and a unit per lot moved.
                let lk = liquidator.key.insecure_clone();
                let done: Vec<portfolio_margin::events::Liquidated> =
                    simulated_events(&mut m, std::slice::from_ref(&ix), &[&lk]).await;
                let moved: Vec<portfolio_margin::events::PositionLiquidated> =
                    simulated_events(&mut m, std::slice::from_ref(&ix), &[&lk]).await;
                if let Some(l) = done.first() {
                    let rounding = moved.iter().map(|p| p.lots.unsigned_abs() as f64 + 1.0).sum::<f64>();
                    let lf = family_of(&liquidator.margin, &families);
                    let inf = family_of(&insurance_pda(), &families);
                    earned.push((lf, (l.fee - l.insurance_fee) as f64 + rounding));
                    earned.push((inf, l.insurance_fee as f64));
                    discounts += l.fee as f64;
                }
                ("liquidate".into(), vec![ix], vec![lk])
            }
        };
        let refs: Vec<&Keypair> = signers.iter().collect();
        let before = m.env.token_balance(&t.wallet).await;
        let tf = family_of(&t.margin, &families);
        let sent = if ixs.is_empty() { Ok(()) } else { m.env.send(&ixs, &refs).await };
        match sent {
            Ok(()) if ixs.is_empty() => {} // the crank, counted above
            Ok(()) => {
                ok += 1;
                if what.starts_with("withdraw") {
                    let paid = (m.env.token_balance(&t.wallet).await - before) as i64;
                    withdrawn += paid;
                    families[tf].withdrawn += paid;
                }
                for (f, amount) in earned {
                    if f == usize::MAX {
                        families[tf].deposited += amount as i64;
                    } else {
                        families[f].allowance += amount;
                    }
                }
            }
            Err(e) => {
                refused += 1;
                assert_clean_refusal(&format!("step {step}: {what}"), &e);
            }
        }
        // Invariants.
        let fair = fair_per_lot(&mut m, &instruments).await;
        for f in &families {
            let value = value_at_fair(&mut m, &f.accounts, &instruments, &fair).await;
            let gain = value + f.withdrawn as f64 - f.deposited as f64 - f.pnl;
            let excess = gain - f.allowance;
            max_excess = max_excess.max(excess);
            if f.allowance > 0.0 {
                closest = closest.max(excess);
            }
            assert!(
                excess <= FAMILY_TOLERANCE,
                "step {step} ({what}): family {} gained {:.6} USDC beyond its deposits and the market's P&L at fair \
                 prices, {:.6} more than the rules allow (value {:.6}, withdrawn {}, deposited {}, P&L {:.6}, \
                 allowance {:.6})",
                f.name,
                gain / 1e6,
                excess / 1e6,
                value / 1e6,
                f.withdrawn,
                f.deposited,
                f.pnl / 1e6,
                f.allowance / 1e6
            );
        }
        m.assert_conserved(&all).await;
        assert!(withdrawn <= deposited, "step {step}: withdrawn {withdrawn} > deposited {deposited}");
        for tr in &traders {
            let r = m.report(tr.margin).await;
            if r.equity < r.maintenance {
                let plan = m.plan(tr.margin).await;
                assert!(plan.liquidatable, "step {step}: under maintenance but the plan says not liquidatable");
            }
        }
    }
    let index = m.env.anchor::<portfolio_margin::state::CollateralAsset>(&m.usdc).await.loss_index();
    let dust = m.assert_conserved(&all).await;
    println!(
        "fuzz seed {seed}: {steps} steps, {ok} accepted, {refused} refused, {bankruptcies} bankruptcies \
         (loss index {:.9}, dust {dust}), every invariant held",
        index as f64 / portfolio_margin::state::LOSS_INDEX_ONE as f64
    );
    println!(
        "families: largest gain beyond the allowance {:.0} native units (tolerance {FAMILY_TOLERANCE}; closest \
         approach of a family with an allowance {:.0}); allowed: {:.2} USDC by the band, {:.2} USDC of discounts, \
         {:.2} USDC of debts written off",
        max_excess,
        closest,
        band_allowed / 1e6,
        discounts / 1e6,
        written_off / 1e6
    );
    assert!(ok > 0 && refused > 0, "the run exercised both outcomes");
}
