//! Instruction-sequence fuzzing on the `.so` (openbook-v2's fuzz target is the model): random
//! sequences of deposits, withdrawals, trades at random prices, oracle moves, clock jumps,
//! liquidations and flags by owners with two sub-accounts, delegates and strangers. After
//! every step: every refusal is one of the program's (or the token program's) error codes,
//! never a panic or a VM fault; vault == books; nobody has withdrawn more than was deposited
//! overall; every account is healthy or liquidatable by the program's own plan.
//!
//! Deterministic: `PM_FUZZ_SEED` (default 7) and `PM_FUZZ_STEPS` (default 120, the CI run;
//! `PM_FUZZ_STEPS=5000` is the longer run the README documents).
mod common;

use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token::spl_token;
use common::market::*;
use common::*;
use portfolio_margin::instructions::TradeArgs;
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
    let delegate = Keypair::new();
    m.env.fund(&delegate.pubkey()).await;
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
    let mut deposited: i64 = 4 * 20_000 * USDC as i64 + 5_000_000 * USDC as i64;
    let mut withdrawn: i64 = 0;
    let (mut ok, mut refused) = (0, 0);
    let mut nonce = 100;
    let mut bankruptcies = 0;

    for step in 0..steps {
        let who = rng.below(traders.len() as u64) as usize;
        let t = &traders[who];
        let action = rng.below(8);
        let (what, ixs, signers): (String, Vec<Instruction>, Vec<Keypair>) = match action {
            0 => {
                // Deposit, by the owner or by a stranger.
                let amount = 1 + rng.below(5_000) * USDC;
                let by = if rng.below(4) == 0 { stranger.insecure_clone() } else { t.key.insecure_clone() };
                let wallet = m.env.token_account(spl_token::ID, &m.usdc_mint, &by.pubkey(), amount).await;
                deposited += amount as i64;
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
                let px = ((fair as f64) * (0.8 + 0.4 * rng.f())) as i64;
                let lots = (1 + rng.below(30) as i64) * if rng.below(2) == 0 { 1 } else { -1 };
                nonce += 1;
                let maker_signer = if other == 0 && rng.below(2) == 0 {
                    delegate.insecure_clone()
                } else {
                    traders[other].key.insecure_clone()
                };
                let args = TradeArgs { lots, price: px.max(1), quote_expiry: m.env.now + 60, nonce };
                let extra = m.check_accounts();
                let ix = m.trade_ix_with(
                    inst,
                    (&traders[other].margin, &maker_signer.pubkey()),
                    (&t.margin, &t.key.pubkey()),
                    args,
                    extra,
                );
                (format!("trade {lots} @ {px}"), vec![ix], vec![maker_signer, t.key.insecure_clone()])
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
                m.crank(spot).await.unwrap();
                ok += 1;
                continue;
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
                ("resolve_bankruptcy".into(), vec![m.bankruptcy_ix(t.margin)], vec![])
            }
            _ => {
                // A keeper liquidates by the program's own plan.
                let plan = m.plan(t.margin).await;
                if !plan.liquidatable {
                    continue;
                }
                let ix = m.liquidate_ix(t.margin, &liquidator, plan.request.clone());
                ("liquidate".into(), vec![ix], vec![liquidator.key.insecure_clone()])
            }
        };
        let refs: Vec<&Keypair> = signers.iter().collect();
        let before = m.env.token_balance(&t.wallet).await;
        match m.env.send(&ixs, &refs).await {
            Ok(()) => {
                ok += 1;
                if what.starts_with("withdraw") {
                    withdrawn += (m.env.token_balance(&t.wallet).await - before) as i64;
                }
            }
            Err(e) => {
                refused += 1;
                assert_clean_refusal(&format!("step {step}: {what}"), &e);
            }
        }
        // Invariants.
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
    assert!(ok > 0 && refused > 0, "the run exercised both outcomes");
}
