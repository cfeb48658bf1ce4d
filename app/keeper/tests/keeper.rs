//! The keeper against the embedded chain: the demo's story, two keepers racing, retries.
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use keeper::book::{Book, Oracles};
use keeper::chain::local::LocalChain;
use keeper::chain::{AccountFilter, Chain, ChainError};
use keeper::keeper::{Keeper, Outcome, Settings};
use localnet::market::*;
use localnet::*;
use solana_account::Account;
use solana_keypair::Keypair;
use std::time::Duration;

const USDC: u64 = 1_000_000;

#[tokio::test]
async fn the_demo_runs_the_whole_story() {
    let r = keeper::demo::run().await.expect("demo");
    assert!(r.saved_pct > 30.0, "portfolio margin saves {:.1}%", r.saved_pct);
    // The option bought on the venue and the future sold bilaterally share one margin.
    assert!(r.venue_hedge_saved_pct > 30.0, "venue + bilateral hedge saves {:.1}%", r.venue_hedge_saved_pct);
    assert!(r.outcomes.iter().any(|o| matches!(o, Outcome::Liquidated { reaches_target: true, .. })));
}

/// An underwater account (10 futures bought at 100, SOL now 88) and its price feeds.
async fn underwater(m: &mut Market) -> (Pubkey, Feeds) {
    let feeds = Feeds::default();
    feeds.publish(&mut m.env, 100.0);
    let f = m.list(future(m.expiry)).await.unwrap();
    m.crank(100.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let victim = m.trader(200 * USDC).await;
    m.trade(f, &maker, &victim, 10, 100.0, 1).await.unwrap();
    m.warp(10).await;
    feeds.publish(&mut m.env, 88.0);
    (victim.margin, feeds)
}

async fn keeper_with(m: &mut Market, oracles: &Oracles) -> Keeper {
    let key = Keypair::new();
    let t = m.trader_sub(key.insecure_clone(), 0, 100_000 * USDC).await;
    Keeper::new(key, t.margin, Settings { oracles: oracles.clone(), ..Settings::default() })
}

#[tokio::test]
async fn two_keepers_racing_the_loser_gets_an_outcome_not_an_error() {
    let mut m = Market::new().await;
    let (victim, feeds) = underwater(&mut m).await;
    let oracles = feeds.by_feed();
    m.crank(88.0).await.unwrap();
    let k1 = keeper_with(&mut m, &oracles).await;
    let k2 = keeper_with(&mut m, &oracles).await;
    let now = m.env.now;
    let mut chain = LocalChain { env: &mut m.env };
    let book = Book::load(&mut chain, &oracles).await.unwrap();
    let p1 = k1.scan(&mut chain, &book, now).await;
    let p2 = k2.scan(&mut chain, &book, now).await;
    assert_eq!(p1.len(), 1);
    assert_eq!(p2.len(), 1);
    let (a, plan1) = p1.into_iter().next().unwrap();
    let (b, plan2) = p2.into_iter().next().unwrap();
    assert_eq!((a, b), (victim, victim));
    let won = k1.liquidate(&mut chain, &book, a, plan1).await;
    assert!(matches!(won, Outcome::Liquidated { .. }), "{won:?}");
    let lost = k2.liquidate(&mut chain, &book, b, plan2).await;
    assert_eq!(lost, Outcome::LostRace { account: victim });
    // And the next pass has nothing to do.
    let next = k2.tick(&mut chain).await.unwrap();
    assert!(!next.iter().any(|o| matches!(o, Outcome::Liquidated { .. } | Outcome::Failed { .. })), "{next:?}");
}

/// A chain whose first `failures` sends fail with a transport error.
struct Flaky<'a> {
    inner: LocalChain<'a>,
    failures: u32,
    sends: u32,
}

impl Chain for Flaky<'_> {
    async fn now(&mut self) -> Result<i64, ChainError> {
        self.inner.now().await
    }
    async fn program_accounts(&mut self, filter: &AccountFilter) -> Result<Vec<(Pubkey, Account)>, ChainError> {
        self.inner.program_accounts(filter).await
    }
    async fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>, ChainError> {
        self.inner.accounts(keys).await
    }
    async fn simulate(&mut self, ixs: &[Instruction], payer: &Keypair) -> Result<Vec<u8>, ChainError> {
        self.inner.simulate(ixs, payer).await
    }
    async fn send(&mut self, ixs: &[Instruction], signer: &Keypair) -> Result<String, ChainError> {
        self.sends += 1;
        if self.sends <= self.failures {
            return Err(ChainError::Transport("connection reset".into()));
        }
        self.inner.send(ixs, signer).await
    }
    async fn send_v0(
        &mut self,
        ixs: &[Instruction],
        signer: &Keypair,
        tables: &[solana_message::AddressLookupTableAccount],
    ) -> Result<String, ChainError> {
        self.inner.send_v0(ixs, signer, tables).await
    }
    async fn slot(&mut self) -> Result<u64, ChainError> {
        self.inner.slot().await
    }
    async fn wait_past(&mut self, slot: u64) -> Result<(), ChainError> {
        self.inner.wait_past(slot).await
    }
}

#[tokio::test]
async fn transport_errors_are_retried_with_backoff_then_given_up() {
    let mut m = Market::new().await;
    let (victim, feeds) = underwater(&mut m).await;
    let oracles = feeds.by_feed();
    let mut k = keeper_with(&mut m, &oracles).await;
    k.settings.backoff = Duration::from_millis(1);
    k.settings.retries = 3;
    // Two failures: the third attempt lands.
    let mut chain = Flaky { inner: LocalChain { env: &mut m.env }, failures: 2, sends: 0 };
    let out = k.tick(&mut chain).await.unwrap();
    assert!(out.iter().any(|o| matches!(o, Outcome::Liquidated { account, .. } if *account == victim)), "{out:?}");
    // More failures than attempts: reported, not a crash.
    let mut chain = Flaky { inner: LocalChain { env: &mut m.env }, failures: 100, sends: 0 };
    let r = k.send(&mut chain, &[]).await;
    assert_eq!(r, Err(ChainError::Transport("connection reset".into())));
    assert_eq!(chain.sends, 3);
}

#[tokio::test]
async fn expired_positions_are_settled_so_margin_checks_work_again() {
    let mut m = Market::new().await;
    let sol = Pubkey::new_unique();
    let c = m.list(call(m.expiry, 100.0)).await.unwrap();
    m.crank(100.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let taker = m.trader(10_000 * USDC).await;
    m.trade(c, &maker, &taker, 5, 6.0, 1).await.unwrap();
    // Past expiry; the feed's latest update is the first after expiry (its previous one was
    // before it), inside the settlement window: the update the program settles with.
    let expiry = m.expiry;
    m.env.pyth_at(sol, SOL_FEED, 109 * 100_000_000, 1_000_000, -8, expiry - 5);
    m.warp(expiry - m.env.now + 30).await;
    m.env.pyth_at(sol, SOL_FEED, 110 * 100_000_000, 1_000_000, -8, expiry + 10);
    let oracles = Oracles::from([(SOL_FEED, sol)]);
    let k = keeper_with(&mut m, &oracles).await;
    let mut chain = LocalChain { env: &mut m.env };
    let out = k.tick(&mut chain).await.unwrap();
    let settled: Vec<Pubkey> = out
        .iter()
        .filter_map(|o| if let Outcome::Settled { account, .. } = o { Some(*account) } else { None })
        .collect();
    assert!(settled.contains(&maker.margin) && settled.contains(&taker.margin), "{out:?}");
    assert_eq!(m.env.margin(&taker.margin).await.n_positions, 0);
    // Intrinsic value 10 per lot, 5 lots: paid to the long call holder.
    let acc = m.env.margin(&taker.margin).await;
    let usdc = acc.balances[..acc.n_balances as usize].iter().find(|b| b.asset == m.usdc).unwrap().amount;
    assert_eq!(usdc, (10_000 - 30 + 50) * USDC as i64);
}

#[tokio::test]
async fn a_patient_keeper_starts_the_auction_clock_and_waits_for_its_discount() {
    let mut m = Market::new().await;
    let (victim, feeds) = underwater(&mut m).await;
    let oracles = feeds.by_feed();
    let mut k = keeper_with(&mut m, &oracles).await;
    // 3%: halfway up the 1% -> 5% ramp of 300 s.
    k.settings.min_discount = ratio(0.03);
    let mut chain = LocalChain { env: &mut m.env };
    let out = k.tick(&mut chain).await.unwrap();
    assert!(out.contains(&Outcome::Waiting { account: victim, discount: ratio(0.01) }), "{out:?}");
    let since = m.env.margin(&victim).await.liquidatable_since;
    assert_eq!(since, m.env.now, "the keeper started the clock");
    // 100 s later: 2.33%, still waiting (the clock is not restarted).
    m.warp(100).await;
    feeds.publish(&mut m.env, 88.0);
    let mut chain = LocalChain { env: &mut m.env };
    let out = k.tick(&mut chain).await.unwrap();
    assert!(out.iter().any(|o| matches!(o, Outcome::Waiting { .. })), "{out:?}");
    assert_eq!(m.env.margin(&victim).await.liquidatable_since, since);
    // 160 s after the start: past 3%, it liquidates.
    m.warp(60).await;
    feeds.publish(&mut m.env, 88.0);
    let mut chain = LocalChain { env: &mut m.env };
    let out = k.tick(&mut chain).await.unwrap();
    assert!(out.iter().any(|o| matches!(o, Outcome::Liquidated { account, .. } if *account == victim)), "{out:?}");
}

#[tokio::test]
async fn the_largest_account_goes_through_a_lookup_table_in_one_v0_transaction() {
    let mut m = Market::new().await;
    let feeds = Feeds::default();
    feeds.publish(&mut m.env, 100.0);
    let n = portfolio_margin::state::MAX_POSITIONS;
    let futs = m.list_future_strip(n).await;
    m.crank(100.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let victim = m.trader(600 * USDC).await;
    m.buy_one_lot_each(&futs, &maker, &victim, 100.0).await;
    m.warp(10).await;
    feeds.publish(&mut m.env, 40.0);
    let oracles = feeds.by_feed();
    let mut k = keeper_with(&mut m, &oracles).await;
    k.settings.cu_limit = 1_400_000;
    let mut chain = LocalChain { env: &mut m.env };
    let out = k.tick(&mut chain).await.unwrap();
    assert!(
        out.iter().any(|o| matches!(o, Outcome::Liquidated { account, .. } if *account == victim.margin)),
        "{out:?}"
    );
    assert_eq!(m.env.margin(&victim.margin).await.n_positions, 0, "all 32 positions in one liquidation");
    assert_eq!(m.env.margin(&k.margin).await.n_positions as usize, n);
    let table = k.lookup_table().expect("the liquidation needed a lookup table");
    assert!(m.env.account(&table).await.is_some());
}

#[tokio::test]
async fn a_pass_reports_one_metrics_line() {
    let mut m = Market::new().await;
    let (victim, feeds) = underwater(&mut m).await;
    let oracles = feeds.by_feed();
    let mut k = keeper_with(&mut m, &oracles).await;
    k.settings.backoff = Duration::from_millis(1);
    // Two transport failures on the way: counted, retried, the liquidation lands.
    let mut chain = Flaky { inner: LocalChain { env: &mut m.env }, failures: 2, sends: 0 };
    let (r, metrics) = k.pass(&mut chain).await;
    let out = r.unwrap();
    assert!(out.iter().any(|o| matches!(o, Outcome::Liquidated { account, .. } if *account == victim)), "{out:?}");
    // Margin accounts: maker, victim, the keeper's and the insurance fund.
    assert_eq!(
        (metrics.pass, metrics.ok, metrics.accounts_scanned, metrics.liquidations, metrics.rpc_errors),
        (1, true, 4, 1, 2),
        "{metrics:?}"
    );
    let line: serde_json::Value = serde_json::from_str(&metrics.line()).expect("one JSON object");
    assert!(!metrics.line().contains('\n'));
    assert_eq!(line["metric"], "keeper_pass");
    for key in ["accounts_scanned", "liquidations", "lost_races", "rpc_errors", "duration_ms"] {
        assert!(line[key].is_u64(), "{key} in {line}");
    }
    assert_eq!((line["liquidations"].as_u64(), line["rpc_errors"].as_u64()), (Some(1), Some(2)));
    // The next pass: nothing to do, counters start again.
    let mut chain = LocalChain { env: &mut m.env };
    let (_, next) = k.pass(&mut chain).await;
    assert_eq!((next.pass, next.liquidations, next.rpc_errors), (2, 0, 0), "{next:?}");
}

#[tokio::test]
async fn get_program_accounts_is_filtered_by_discriminator_and_size() {
    use keeper::chain::rpc::RpcChain;
    use localnet::fake_rpc::FakeRpc;
    let mut m = Market::new().await;
    let (victim, feeds) = underwater(&mut m).await;
    let rpc = FakeRpc::from_env(&mut m.env).await;
    // A program account with a margin account's discriminator but another size (an older
    // layout, say): not a margin account.
    let filter = pm_client::filters::margin_accounts();
    let mut decoy = m.env.account(&victim).await.unwrap();
    decoy.data.truncate(200);
    rpc.set_account(Pubkey::new_unique(), decoy);
    let mut chain = RpcChain::new(rpc.url.clone());
    let found = chain.program_accounts(&filter).await.unwrap();
    assert_eq!(found.len(), 3, "maker, victim, the insurance fund; not the decoy");
    assert!(found.iter().any(|(k, _)| *k == victim));
    // The request: memcmp of the discriminator (base58) at offset 0, dataSize, base64 data.
    let body = rpc.requests("getProgramAccounts").pop().unwrap();
    assert_eq!(body["params"][0], portfolio_margin::ID.to_string());
    let cfg = &body["params"][1];
    let filters = cfg["filters"].as_array().unwrap();
    assert_eq!(filters.len(), 2, "{cfg}");
    assert_eq!(filters[0]["memcmp"]["offset"], 0);
    let disc = <portfolio_margin::state::MarginAccount as anchor_lang::Discriminator>::DISCRIMINATOR;
    let bytes = filters[0]["memcmp"]["bytes"].as_str().unwrap();
    assert_eq!(bs58::decode(bytes).into_vec().unwrap(), disc);
    let size = 8 + std::mem::size_of::<portfolio_margin::state::MarginAccount>() as u64;
    assert_eq!(filters[1]["dataSize"].as_u64(), Some(size));
    assert_eq!(cfg["encoding"], "base64");
    // A whole book through the RPC chain: one filtered request per account type.
    let before = rpc.requests("getProgramAccounts").len();
    let book = Book::load(&mut chain, &feeds.by_feed()).await.unwrap();
    assert_eq!(rpc.requests("getProgramAccounts").len() - before, 5);
    assert_eq!(book.accounts.len(), 3);
    assert!(rpc.requests("getProgramAccounts").iter().all(|r| r["params"][1]["filters"].as_array().is_some()));
}
