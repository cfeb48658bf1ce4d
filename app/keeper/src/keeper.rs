//! One keeper pass: refresh stale risk snapshots, evaluate every margin account with the
//! program's code, liquidate the unhealthy ones by the program's own plan, resolve
//! bankruptcies. Program refusals are outcomes (a lost race is normal), transport errors are
//! retried with backoff.
use crate::book::{Book, Oracles};
use crate::chain::{Chain, ChainError, PACKET_BYTES, error_name, legacy_size};
use crate::metrics::{Counters, PassMetrics};
use crate::{info, warn};
use anchor_lang::AnchorDeserialize;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use pm_client::{ix as build, pm_code};
use portfolio_margin::error::PmError;
use portfolio_margin::instructions::LiquidationPlan;
use portfolio_margin::state::MarginAccount;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;
use solana_signer::Signer;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Settings {
    pub oracles: Oracles,
    /// Compute-unit limit and price (micro-lamports per CU) put in front of every transaction.
    pub cu_limit: u32,
    pub cu_price: u64,
    /// Attempts per transaction on transport errors (backoff doubles from `backoff`).
    pub retries: u32,
    pub backoff: Duration,
    /// Refresh an underlying's snapshot once it is older than this share of its max age, or
    /// when its oracle has published since.
    pub refresh_after_secs: i64,
    /// Wait for the auction's discount to reach this (Ratio raw); meanwhile the keeper starts
    /// the account's auction clock (`liquidation_flag`). 0 = liquidate at any discount.
    pub min_discount: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            oracles: Oracles::new(),
            cu_limit: 1_400_000,
            cu_price: 0,
            retries: 4,
            backoff: Duration::from_millis(500),
            refresh_after_secs: 30,
            min_discount: 0,
        }
    }
}

/// What happened to one account in a pass.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Refreshed an underlying's snapshot and its instruments' caches.
    Cranked {
        underlying: Pubkey,
    },
    Liquidated {
        account: Pubkey,
        fee: i64,
        reaches_target: bool,
    },
    /// Another keeper got there first, or the account recovered: nothing to do.
    LostRace {
        account: Pubkey,
    },
    Bankruptcy {
        account: Pubkey,
    },
    /// Liquidatable, but the discount is below `min_discount`: the auction clock runs.
    Waiting {
        account: Pubkey,
        discount: i64,
    },
    /// Settled an account's position in an expired instrument.
    Settled {
        account: Pubkey,
        instrument: Pubkey,
    },
    Failed {
        account: Pubkey,
        error: String,
    },
}

pub struct Keeper {
    pub wallet: Keypair,
    /// The keeper's own margin account: it takes over what it liquidates.
    pub margin: Pubkey,
    pub settings: Settings,
    /// Its address lookup table, once a transaction needed one.
    table: std::sync::Mutex<Option<AddressLookupTableAccount>>,
    /// This pass's counters (RPC errors, accounts scanned) and the number of passes run.
    counters: Counters,
    passes: std::sync::atomic::AtomicU64,
}

/// The insurance fund (the vault authority's margin account 0).
pub fn insurance_pda() -> Pubkey {
    pm_client::pda::insurance()
}

impl Keeper {
    pub fn new(wallet: Keypair, margin: Pubkey, settings: Settings) -> Self {
        Keeper {
            wallet,
            margin,
            settings,
            table: Default::default(),
            counters: Counters::default(),
            passes: Default::default(),
        }
    }

    /// The lookup table the keeper created, if a transaction needed one.
    pub fn lookup_table(&self) -> Option<Pubkey> {
        self.table.lock().expect("table lock").as_ref().map(|t| t.key)
    }

    fn budget(&self) -> Vec<Instruction> {
        use solana_compute_budget_interface::ComputeBudgetInstruction as Cb;
        // The CU limit and the heap frame the program's margin checks need (see pm-client).
        let mut v = pm_client::budget_ixs(self.settings.cu_limit);
        if self.settings.cu_price > 0 {
            v.push(Cb::set_compute_unit_price(self.settings.cu_price));
        }
        v
    }

    /// Sends with the compute-budget instructions, retrying transport errors with backoff; a
    /// transaction too large for a legacy packet goes as v0 through the keeper's lookup table.
    pub async fn send<C: Chain>(&self, chain: &mut C, ixs: &[Instruction]) -> Result<String, ChainError> {
        let mut all = self.budget();
        all.extend_from_slice(ixs);
        if legacy_size(&all, &self.wallet.pubkey()) <= PACKET_BYTES {
            return self.send_retrying(chain, &all, None).await;
        }
        let table = self.table_for(chain, &all).await?;
        self.send_retrying(chain, &all, Some(&table)).await
    }

    async fn send_retrying<C: Chain>(
        &self,
        chain: &mut C,
        ixs: &[Instruction],
        table: Option<&AddressLookupTableAccount>,
    ) -> Result<String, ChainError> {
        self.retry("send", async || match table {
            None => chain.send(ixs, &self.wallet).await,
            Some(t) => chain.send_v0(ixs, &self.wallet, std::slice::from_ref(t)).await,
        })
        .await
    }

    /// Runs `op` until it succeeds, fails for a reason other than transport, or has been tried
    /// `retries` times; the wait doubles from `backoff`.
    async fn retry<T>(&self, what: &str, mut op: impl AsyncFnMut() -> Result<T, ChainError>) -> Result<T, ChainError> {
        let mut wait = self.settings.backoff;
        let mut attempt = 1;
        loop {
            match op().await {
                Err(ChainError::Transport(e)) if attempt < self.settings.retries => {
                    self.counters.rpc_errors.fetch_add(1, Ordering::Relaxed);
                    warn!("{what} failed ({e}); retry {attempt} in {wait:?}");
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                    attempt += 1;
                }
                other => {
                    if matches!(other, Err(ChainError::Transport(_))) {
                        self.counters.rpc_errors.fetch_add(1, Ordering::Relaxed);
                    }
                    return other;
                }
            }
        }
    }

    /// The keeper's address lookup table, created or extended (and waited for) so that it
    /// holds every non-signer account of `ixs`.
    async fn table_for<C: Chain>(
        &self,
        chain: &mut C,
        ixs: &[Instruction],
    ) -> Result<AddressLookupTableAccount, ChainError> {
        use solana_address_lookup_table_interface::instruction::{create_lookup_table, extend_lookup_table};
        let me = self.wallet.pubkey();
        let mut wanted: Vec<Pubkey> = vec![];
        for a in ixs.iter().flat_map(|ix| &ix.accounts) {
            if !a.is_signer && !wanted.contains(&a.pubkey) {
                wanted.push(a.pubkey);
            }
        }
        let cached = self.table.lock().expect("table lock").clone();
        if let Some(t) = &cached
            && wanted.iter().all(|k| t.addresses.contains(k))
        {
            return Ok(t.clone());
        }
        let (key, mut addresses) = match cached {
            Some(t) => (t.key, t.addresses),
            None => {
                let slot = chain.slot().await?;
                let (ix, key) = create_lookup_table(me, me, slot);
                self.send_retrying(chain, &[ix], None).await?;
                info!("created address lookup table {key}");
                (key, vec![])
            }
        };
        let missing: Vec<Pubkey> = wanted.into_iter().filter(|k| !addresses.contains(k)).collect();
        for chunk in missing.chunks(20) {
            let ix = extend_lookup_table(key, me, Some(me), chunk.to_vec());
            self.send_retrying(chain, &[ix], None).await?;
            addresses.extend_from_slice(chunk);
        }
        // New entries resolve from the next slot on.
        let slot = chain.slot().await?;
        chain.wait_past(slot).await?;
        let table = AddressLookupTableAccount { key, addresses };
        *self.table.lock().expect("table lock") = Some(table.clone());
        Ok(table)
    }

    async fn load<C: Chain>(&self, chain: &mut C) -> Result<Book, ChainError> {
        self.retry("reading accounts", async || Book::load(chain, &self.settings.oracles).await).await
    }

    /// One pass with its metrics line ([`crate::metrics`]): outcomes counted, RPC errors seen
    /// (retried or not), margin accounts evaluated, wall time.
    pub async fn pass<C: Chain>(&self, chain: &mut C) -> (Result<Vec<Outcome>, ChainError>, PassMetrics) {
        let start = std::time::Instant::now();
        self.counters.reset();
        let r = self.tick(chain).await;
        let mut m = PassMetrics {
            pass: self.passes.fetch_add(1, Ordering::Relaxed) + 1,
            ts: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
            ok: r.is_ok(),
            accounts_scanned: self.counters.accounts_scanned.load(Ordering::Relaxed),
            rpc_errors: self.counters.rpc_errors.load(Ordering::Relaxed),
            duration_ms: start.elapsed().as_millis() as u64,
            ..PassMetrics::default()
        };
        match &r {
            Ok(outcomes) => m.count(outcomes),
            Err(e) => {
                // A transport error straight from the chain (not through a retry) counts too.
                if matches!(e, ChainError::Transport(_)) && m.rpc_errors == 0 {
                    m.rpc_errors = 1;
                }
                m.error = Some(e.to_string());
            }
        }
        (r, m)
    }

    /// One pass over the chain.
    pub async fn tick<C: Chain>(&self, chain: &mut C) -> Result<Vec<Outcome>, ChainError> {
        let now = chain.now().await?;
        let book = self.load(chain).await?;
        let mut out = self.crank(chain, &book, now).await;
        out.extend(self.settle(chain, &book, now).await);
        let book = if out.is_empty() { book } else { self.load(chain).await? };
        let plans = self.scan(chain, &book, now).await;
        for (account, plan) in plans {
            if plan.discount < self.settings.min_discount {
                out.push(self.wait(chain, &book, account, &plan).await);
            } else {
                out.push(self.liquidate(chain, &book, account, plan).await);
            }
        }
        // Accounts liquidation emptied with a debt left: the waterfall's next steps.
        let book = self.load(chain).await?;
        for (key, acc) in &book.accounts {
            if let Some((quote, _)) = acc.bankrupt_debt() {
                out.push(self.resolve_bankruptcy(chain, *key, quote).await);
            }
        }
        Ok(out)
    }

    /// Refreshes underlyings whose snapshot is old or whose oracle has published since.
    async fn crank<C: Chain>(&self, chain: &mut C, book: &Book, now: i64) -> Vec<Outcome> {
        let mut out = vec![];
        for (key, u) in &book.underlyings {
            let Some(oracle) = self.settings.oracles.get(&u.params.feed_id) else { continue };
            let published = book.raw.get(oracle).and_then(|a| publish_times(&a.data)).map(|(t, _)| t);
            // The program refreshes only from a newer update, at most every `min_refresh_secs`;
            // otherwise only instruments behind the current snapshot are re-cranked (someone
            // else refreshed the underlying: its caches must catch up within the interval).
            let moved = published.is_some_and(|t| t > u.snapshot.publish_time);
            let throttled = u.snapshot.refreshed_at > 0
                && now < u.snapshot.refreshed_at.saturating_add(u.params.min_refresh_secs as i64);
            let refresh_underlying = moved && !throttled;
            let snapshot_fresh = u.snapshot.is_fresh(now, u.params.max_risk_age_secs);
            // A perpetual whose funding period has ended is re-cranked too: the crank accrues it.
            let behind = |i: &portfolio_margin::state::Instrument| {
                i.risk_epoch != u.snapshot.epoch
                    || (i.kind == portfolio_margin::state::kind::PERPETUAL
                        && i.funding_time > 0
                        && now >= i.funding_time.saturating_add(portfolio_margin::funding::period(i)))
            };
            let caches_behind = snapshot_fresh
                && book.instruments.iter().any(|(_, i)| i.underlying == *key && !i.is_expired(now) && behind(i));
            if !refresh_underlying && !caches_behind {
                continue;
            }
            let mut ixs = vec![];
            if refresh_underlying {
                ixs.push(build::underlying_refresh(key, oracle));
            }
            let wanted = |i: &portfolio_margin::state::Instrument| {
                i.underlying == *key && !i.is_expired(now) && (refresh_underlying || behind(i))
            };
            for (ik, _) in book.instruments.iter().filter(|(_, i)| wanted(i)) {
                ixs.push(build::instrument_refresh(key, ik));
            }
            // The snapshot and the first instruments together, the rest eight at a time.
            let rest = ixs.split_off(ixs.len().min(8));
            let mut result = self.send(chain, &ixs).await;
            for chunk in rest.chunks(8) {
                if result.is_ok() {
                    result = self.send(chain, chunk).await;
                }
            }
            match result {
                Ok(_) => {
                    info!("crank: refreshed underlying {} and its instruments", u.id);
                    out.push(Outcome::Cranked { underlying: *key });
                }
                Err(e) => {
                    warn!("crank of underlying {} failed: {e}", u.id);
                    out.push(Outcome::Failed { account: *key, error: e.to_string() });
                }
            }
        }
        out
    }

    /// Expired instruments block their holders' margin checks until settled: fixes the
    /// settlement price from the oracle (the update that straddles expiry), then
    /// settles every holder's position.
    async fn settle<C: Chain>(&self, chain: &mut C, book: &Book, now: i64) -> Vec<Outcome> {
        use portfolio_margin::state::phase;
        let mut out = vec![];
        for (ik, i) in book.instruments.iter().filter(|(_, i)| i.is_expired(now)) {
            let Some(u) = book.underlying(&i.underlying) else { continue };
            if i.phase == phase::ACTIVE {
                let Some(oracle) = self.settings.oracles.get(&u.params.feed_id) else { continue };
                let (published, prev) = book.raw.get(oracle).and_then(|a| publish_times(&a.data)).unwrap_or((0, 0));
                // The program takes only the update that straddles expiry (after the settlement
                // window, however late or wide it was).
                if published < i.expiry || prev >= i.expiry {
                    continue; // not that update (yet, or it passed: an operator posts it)
                }
                let ix = build::settle_price_set(&i.underlying, ik, oracle);
                match self.send(chain, &[ix]).await {
                    Ok(_) => info!("settlement price fixed for instrument {ik}"),
                    Err(e) => {
                        warn!("settlement price of {ik} failed: {e}");
                        out.push(Outcome::Failed { account: *ik, error: e.to_string() });
                        continue;
                    }
                }
            }
            for (ak, _) in book.accounts.iter().filter(|(_, a)| a.position_slot(ik).is_some()) {
                let ix = build::settle_position(&i.underlying, ik, &u.quote_asset, ak, None);
                match self.send(chain, &[ix]).await {
                    Ok(_) => {
                        info!("settled {ak}'s expired position in {ik}");
                        out.push(Outcome::Settled { account: *ak, instrument: *ik });
                    }
                    Err(e) => out.push(Outcome::Failed { account: *ak, error: e.to_string() }),
                }
            }
        }
        out
    }

    /// Accounts under maintenance by the program's own code, with the program's plan for each.
    pub async fn scan<C: Chain>(&self, chain: &mut C, book: &Book, now: i64) -> Vec<(Pubkey, LiquidationPlan)> {
        let mut found = vec![];
        self.counters.accounts_scanned.store(book.accounts.len() as u64, Ordering::Relaxed);
        for (key, acc) in &book.accounts {
            if *key == self.margin || *key == insurance_pda() || acc.n_positions + acc.n_balances == 0 {
                continue;
            }
            match book.evaluate(acc, &self.settings.oracles, now) {
                Ok(r) if r.equity < r.maintenance => {
                    info!(
                        "account {key}: equity {:.2} < maintenance {:.2}: liquidatable",
                        r.equity.to_f64(),
                        r.maintenance.to_f64()
                    );
                    match self.plan(chain, book, key, acc).await {
                        Ok(plan) if plan.liquidatable => found.push((*key, plan)),
                        Ok(_) => info!("account {key}: healthy by the program's check"),
                        Err(e) => warn!("account {key}: no plan: {e}"),
                    }
                }
                Ok(_) => {}
                Err(e) => warn!("account {key}: cannot evaluate: {e}"),
            }
        }
        found
    }

    fn quote_asset(&self, book: &Book, acc: &MarginAccount) -> Option<Pubkey> {
        let from_position = acc.positions[..acc.n_positions as usize]
            .iter()
            .find_map(|p| book.instrument(&p.instrument).and_then(|i| book.underlying(&i.underlying)))
            .map(|u| u.quote_asset);
        from_position.or_else(|| book.underlyings.first().map(|(_, u)| u.quote_asset))
    }

    pub async fn plan<C: Chain>(
        &self,
        chain: &mut C,
        book: &Book,
        key: &Pubkey,
        acc: &MarginAccount,
    ) -> Result<LiquidationPlan, ChainError> {
        let quote = self.quote_asset(book, acc).ok_or(ChainError::Rejected("no quote asset".into()))?;
        let ix = build::liquidation_plan(&quote, key, book.check_metas(&[acc], &self.settings.oracles, false));
        let data = chain.simulate(&[ix], &self.wallet).await?;
        LiquidationPlan::deserialize(&mut &data[..]).map_err(|e| ChainError::Rejected(format!("plan: {e}")))
    }

    /// Starts the auction clock if it is not running, and waits for a better discount.
    async fn wait<C: Chain>(&self, chain: &mut C, book: &Book, key: Pubkey, plan: &LiquidationPlan) -> Outcome {
        let pct = plan.discount as f64 / (1u64 << 48) as f64 * 100.0;
        if plan.liquidatable_since == 0 {
            let Some(acc) = book.accounts.iter().find(|(k, _)| *k == key).map(|(_, a)| a) else {
                return Outcome::Failed { account: key, error: "account vanished".into() };
            };
            let ix = build::liquidation_flag(&key, book.check_metas(&[acc], &self.settings.oracles, false));
            if let Err(e) = self.send(chain, &[ix]).await {
                warn!("flagging {key} failed: {e}");
                return Outcome::Failed { account: key, error: e.to_string() };
            }
            info!("{key}: auction clock started at {pct:.2}% discount; waiting for the minimum");
        } else {
            info!("{key}: discount {pct:.2}% below the minimum; waiting");
        }
        Outcome::Waiting { account: key, discount: plan.discount }
    }

    /// Sends the plan's request; a refusal because the account is healthy is a lost race.
    pub async fn liquidate<C: Chain>(&self, chain: &mut C, book: &Book, key: Pubkey, plan: LiquidationPlan) -> Outcome {
        let Some(acc) = book.accounts.iter().find(|(k, _)| *k == key).map(|(_, a)| a) else {
            return Outcome::Failed { account: key, error: "account vanished".into() };
        };
        let Some(mine) = book.accounts.iter().find(|(k, _)| *k == self.margin).map(|(_, a)| a) else {
            return Outcome::Failed { account: key, error: format!("keeper margin account {} not found", self.margin) };
        };
        let Some(quote) = self.quote_asset(book, acc) else {
            return Outcome::Failed { account: key, error: "no quote asset".into() };
        };
        // Compact form: the program expands the plan's scope and finds the same share.
        let args = portfolio_margin::liquidation::LiquidateArgs { scope: plan.scope, ..Default::default() };
        let remaining = book.check_metas(&[acc, mine], &self.settings.oracles, true);
        let ix = build::liquidate(&quote, &key, &self.margin, &self.wallet.pubkey(), args, remaining);
        let takes = plan.request.positions.len() + plan.request.collateral.len();
        match self.send(chain, &[ix]).await {
            Ok(sig) => {
                info!(
                    "liquidated {key}: {takes} item(s), discount {:.2}%, fee {} native units, target {} ({sig})",
                    plan.discount as f64 / (1u64 << 48) as f64 * 100.0,
                    plan.fee,
                    if plan.reaches_target { "reached" } else { "not reachable: bankruptcy may follow" },
                );
                Outcome::Liquidated { account: key, fee: plan.fee, reaches_target: plan.reaches_target }
            }
            Err(ChainError::Program(c)) if c == pm_code(PmError::NotLiquidatable) => {
                info!("{key}: already healthy (another keeper won the race)");
                Outcome::LostRace { account: key }
            }
            Err(e) => {
                warn!(
                    "liquidation of {key} failed: {e}{}",
                    if let ChainError::Program(c) = e { error_name(c) } else { String::new() }
                );
                Outcome::Failed { account: key, error: e.to_string() }
            }
        }
    }

    async fn resolve_bankruptcy<C: Chain>(&self, chain: &mut C, key: Pubkey, quote: Pubkey) -> Outcome {
        let ix = build::resolve_bankruptcy(&quote, &key, vec![]);
        match self.send(chain, &[ix]).await {
            Ok(sig) => {
                info!("bankruptcy of {key} resolved: insurance fund, then socialized loss ({sig})");
                Outcome::Bankruptcy { account: key }
            }
            Err(ChainError::Program(c)) if c == pm_code(PmError::NotBankrupt) => Outcome::LostRace { account: key },
            Err(e) => Outcome::Failed { account: key, error: e.to_string() },
        }
    }
}

/// publish_time of a Pyth PriceUpdateV2 account.
/// (publish_time, prev_publish_time) of a Pyth update.
fn publish_times(data: &[u8]) -> Option<(i64, i64)> {
    use anchor_lang::AccountDeserialize;
    let u = pyth_solana_receiver_sdk::price_update::PriceUpdateV2::try_deserialize(&mut &data[..]).ok()?;
    Some((u.price_message.publish_time, u.price_message.prev_publish_time))
}
