//! A SOL market quoted in USDC: underlying, vol surface, instruments, traders, and the
//! instruction builders for the crank, trades, reports and settlement.
use super::*;
use anchor_lang::solana_program::instruction::AccountMeta;
use portfolio_margin::instructions::{InstrumentTerms, LiquidationPlan, TradeArgs};
use portfolio_margin::liquidation::LiquidateArgs;
use portfolio_margin::state::{
    LiquidationParams, MAX_CREDIT_PARTNERS, MAX_VOL_POINTS, MAX_VOL_SLICES, ScanLevel, SpreadCreditParam,
    UnderlyingParams, VolScalingParams, VolSlice, VolSurface, kind,
};

pub const PRICE_ONE: i64 = 1 << 32; // Price::ONE raw
pub const DAY: i64 = 24 * 3600;

/// Money raw (Q24, what margin reports carry) in quote units.
pub fn usd(money_raw: i64) -> f64 {
    money_raw as f64 / (1u64 << 24) as f64
}

pub fn price(v: f64) -> i64 {
    (v * PRICE_ONE as f64).round() as i64
}

pub fn underlying_pda(id: u8) -> Pubkey {
    pm_client::pda::underlying(id)
}

pub fn instrument_pda(underlying: &Pubkey, terms: &InstrumentTerms) -> Pubkey {
    pm_client::pda::instrument(underlying, terms)
}

pub fn scan_level(min_range: f64, vol_scan: f64) -> ScanLevel {
    ScanLevel {
        min_range: ratio(min_range),
        vol_mult: ratio(3.0),
        horizon: ratio(1.0 / 365.0),
        conf_mult: ratio(1.0),
        vol_scan: ratio(vol_scan),
        dynamic: true,
        // The README's default maintenance basis scan; `sol_params` widens the initial one.
        basis_scan: ratio(0.05),
    }
}

pub fn sol_params() -> UnderlyingParams {
    UnderlyingParams {
        feed_id: SOL_FEED,
        max_oracle_age_secs: 60,
        max_conf_ratio: ratio(0.02),
        maintenance: scan_level(0.08, 0.25),
        initial: ScanLevel { basis_scan: ratio(0.075), ..scan_level(0.12, 0.35) },
        short_option_min: ratio(0.01),
        min_vol: ratio(0.05),
        max_vol: ratio(3.0),
        max_basis: ratio(0.5),
        max_vol_age_secs: 600,
        max_risk_age_secs: 120,
        settle_window_secs: 300,
        price_band: ratio(0.10),
        min_refresh_secs: 2,
        // The fixture counts unrealized profit in full for initial margin (its numbers are the
        // README's); the M-6 attack test sets a haircut.
        profit_haircut: 0,
        // One underlying in the fixture: no inter-group spreads.
        spread_credits: [SpreadCreditParam::NONE; MAX_CREDIT_PARTNERS],
        // Deribit's / Derive's expiry scaling of vol shocks (30 days, 0.30, 0.13; 4x, 0.5x).
        vol_scaling: VolScalingParams::DEFAULT,
    }
}

/// The demo's liquidation terms: 1% discount growing to 5% over 5 minutes, target 20% above
/// maintenance, a quarter of each discount to the insurance fund.
pub fn liquidation_params() -> LiquidationParams {
    LiquidationParams {
        start_discount: ratio(0.01),
        max_discount: ratio(0.05),
        ramp_secs: 300,
        target_buffer: ratio(0.2),
        insurance_share: ratio(0.25),
    }
}

/// The insurance fund: the vault authority's margin account 0.
pub fn insurance_pda() -> Pubkey {
    pm_client::pda::insurance()
}

/// A pending parameter change of `target` (an asset, an underlying): ["pending-params", target].
pub fn pending_pda(target: &Pubkey) -> Pubkey {
    pm_client::pda::pending(target)
}

/// One slice per expiry: a gentle smile around `atm`.
pub fn surface(expiries: &[i64], atm: f64) -> VolSurface {
    let mut s = VolSurface { published_at: 0, n_slices: expiries.len() as u8, ..VolSurface::default() };
    for (slice, &e) in s.slices.iter_mut().zip(expiries).take(MAX_VOL_SLICES) {
        let pts = [(0.8, atm + 0.05), (1.0, atm), (1.2, atm + 0.02)];
        let mut v = VolSlice { expiry: e, n_points: pts.len() as u8, ..VolSlice::default() };
        for (i, (m, vol)) in pts.iter().enumerate().take(MAX_VOL_POINTS) {
            v.moneyness[i] = ratio(*m);
            v.vols[i] = ratio(*vol);
        }
        *slice = v;
    }
    s
}

pub fn call(expiry: i64, strike: f64) -> InstrumentTerms {
    InstrumentTerms { kind: kind::CALL, expiry, strike: price(strike), lot_size: ratio(1.0) }
}
pub fn put(expiry: i64, strike: f64) -> InstrumentTerms {
    InstrumentTerms { kind: kind::PUT, expiry, strike: price(strike), lot_size: ratio(1.0) }
}
pub fn future(expiry: i64) -> InstrumentTerms {
    InstrumentTerms { kind: kind::FUTURE, expiry, strike: 0, lot_size: ratio(1.0) }
}
pub fn perp() -> InstrumentTerms {
    InstrumentTerms { kind: kind::PERPETUAL, expiry: 0, strike: 0, lot_size: ratio(1.0) }
}

/// Price accounts updated in place, as Pyth's push feeds are (the keeper is given their
/// addresses once), for SOL/USD and USDC/USD.
pub struct Feeds {
    pub sol: Pubkey,
    pub usdc: Pubkey,
}

impl Default for Feeds {
    fn default() -> Self {
        Feeds { sol: Pubkey::new_unique(), usdc: Pubkey::new_unique() }
    }
}

impl Feeds {
    /// SOL at `spot` (conf 1bp) and USDC at 1, published now.
    pub fn publish(&self, env: &mut Env, spot: f64) {
        let now = env.now;
        env.pyth_at(self.sol, SOL_FEED, (spot * 1e8) as i64, (spot * 1e4) as u64, -8, now);
        env.pyth_at(self.usdc, USDC_FEED, 100_000_000, 10_000, -8, now);
    }

    /// Feed id -> price account.
    pub fn by_feed(&self) -> std::collections::HashMap<[u8; 32], Pubkey> {
        std::collections::HashMap::from([(SOL_FEED, self.sol), (USDC_FEED, self.usdc)])
    }
}

/// A trader: keypair, margin account, USDC wallet.
pub struct Trader {
    pub key: Keypair,
    pub margin: Pubkey,
    pub wallet: Pubkey,
}

/// Config, USDC collateral, the SOL underlying (id 0) with a published surface.
pub struct Market {
    pub env: Env,
    pub usdc_mint: Pubkey,
    pub usdc: Pubkey,
    pub sol: Pubkey,
    pub expiry: i64,
    pub instruments: Vec<Pubkey>,
}

impl Market {
    pub async fn new() -> Self {
        Self::on(Env::new().await).await
    }

    /// The market on a fresh `env` (e.g. [`Env::with_programs`]: other programs loaded too).
    pub async fn on(mut env: Env) -> Self {
        env.init_config().await.unwrap();
        let usdc_mint = env.mint(spl_token::ID, 6).await;
        let risk = env.risk.insecure_clone();
        env.register(&usdc_mint, spl_token::ID, usdc_params(), &risk).await.unwrap();
        let usdc = asset_pda(&usdc_mint);
        let sol = underlying_pda(0);
        let expiry = env.now + 30 * DAY;
        let mut m = Market { env, usdc_mint, usdc, sol, expiry, instruments: vec![] };
        m.register_underlying(0, sol_params(), &risk).await.unwrap();
        let vol = m.env.vol.insecure_clone();
        m.publish(surface(&[expiry], 0.6), &vol).await.unwrap();
        m.set_liquidation(liquidation_params()).await.unwrap();
        let ix = m.insurance_init_ix();
        m.env.send(&[ix], &[]).await.unwrap();
        m
    }

    /// Opens the insurance fund (once).
    pub fn insurance_init_ix(&self) -> Instruction {
        pm_client::ix::insurance_init(&self.env.payer())
    }

    pub async fn set_liquidation(&mut self, params: LiquidationParams) -> std::result::Result<(), BanksClientError> {
        let risk = self.env.risk.insecure_clone();
        let ix = pm_client::ix::config_set_liquidation(&risk.pubkey(), params);
        self.env.send(&[ix], &[&risk]).await
    }

    pub async fn register_underlying(
        &mut self,
        id: u8,
        params: UnderlyingParams,
        signer: &Keypair,
    ) -> std::result::Result<(), BanksClientError> {
        let ix = pm_client::ix::underlying_register(id, params, &self.usdc, &signer.pubkey(), &self.env.payer());
        self.env.send(&[ix], &[signer]).await
    }

    /// Publishes `surface`; a slice left without a forward (0) gets the carry forward
    /// e^{r T} at the fixture's rate (5%) and the current clock, as a vol oracle quoting the
    /// configured rate would (`publish_exact` sends it as given).
    pub async fn publish(
        &mut self,
        mut surface: VolSurface,
        signer: &Keypair,
    ) -> std::result::Result<(), BanksClientError> {
        for s in surface.slices.iter_mut().filter(|s| s.forward == 0) {
            let t = (s.expiry - self.env.now).max(0) as f64 / (365.0 * 86_400.0);
            s.forward = ratio((0.05 * t).exp());
        }
        self.publish_exact(surface, signer).await
    }

    pub async fn publish_exact(
        &mut self,
        surface: VolSurface,
        signer: &Keypair,
    ) -> std::result::Result<(), BanksClientError> {
        let ix = pm_client::ix::vol_surface_publish(&self.sol, surface, &signer.pubkey());
        self.env.send(&[ix], &[signer]).await
    }

    pub async fn list(&mut self, terms: InstrumentTerms) -> std::result::Result<Pubkey, BanksClientError> {
        let risk = self.env.risk.insecure_clone();
        let (ix, inst) = pm_client::ix::instrument_create(&self.sol, terms, &risk.pubkey(), &self.env.payer());
        self.env.send(&[ix], &[&risk]).await?;
        self.instruments.push(inst);
        Ok(inst)
    }

    /// `n` futures expiring one day apart (the first tomorrow).
    pub async fn list_future_strip(&mut self, n: usize) -> Vec<Pubkey> {
        let mut futs = Vec::with_capacity(n);
        for d in 1..=n as i64 {
            futs.push(self.list(future(self.env.now + d * DAY)).await.unwrap());
        }
        futs
    }

    /// `taker` buys one lot of each of `instruments` from `maker` at `px` (nonces 1, 2, ...).
    pub async fn buy_one_lot_each(&mut self, instruments: &[Pubkey], maker: &Trader, taker: &Trader, px: f64) {
        for (i, inst) in instruments.iter().enumerate() {
            self.trade(*inst, maker, taker, 1, px, 1 + i as u64).await.unwrap();
        }
    }

    /// The hedge set at the market's expiry: a call and a put at `strike`, and a future.
    pub async fn list_hedge_set(&mut self, strike: f64) -> [Pubkey; 3] {
        let e = self.expiry;
        [
            self.list(call(e, strike)).await.unwrap(),
            self.list(put(e, strike)).await.unwrap(),
            self.list(future(e)).await.unwrap(),
        ]
    }

    /// A SOL/USD Pyth price published now.
    pub fn sol_price(&mut self, spot: f64) -> Pubkey {
        let now = self.env.now;
        self.env.pyth(SOL_FEED, (spot * 1e8) as i64, (spot * 1e4) as u64, -8, now, true)
    }

    pub fn usdc_price(&mut self) -> Pubkey {
        let now = self.env.now;
        self.env.pyth(USDC_FEED, 100_000_000, 10_000, -8, now, true)
    }

    pub fn underlying_refresh_ix(&self, oracle: Pubkey) -> Instruction {
        pm_client::ix::underlying_refresh(&self.sol, &oracle)
    }

    pub fn instrument_refresh_ix(&self, instrument: Pubkey) -> Instruction {
        pm_client::ix::instrument_refresh(&self.sol, &instrument)
    }

    /// The crank: a new snapshot at `spot`, then every listed live instrument (eight per
    /// transaction after the first).
    pub async fn crank(&mut self, spot: f64) -> std::result::Result<(), BanksClientError> {
        // The program refreshes only from a newer Pyth update and at most every
        // `min_refresh_secs`: a crank too soon waits (as a keeper waits for the oracle).
        let und: portfolio_margin::state::Underlying = self.env.anchor(&self.sol).await;
        let s = und.snapshot;
        let ready = (s.publish_time + 1).max(if s.refreshed_at == 0 {
            0
        } else {
            s.refreshed_at + und.params.min_refresh_secs as i64
        });
        if ready > self.env.now {
            self.warp(ready - self.env.now).await;
        }
        let oracle = self.sol_price(spot);
        let mut live = vec![];
        for i in self.instruments.clone() {
            let inst: portfolio_margin::state::Instrument = self.env.zero_copy(&i).await;
            if inst.expiry == 0 || inst.expiry > self.env.now {
                live.push(self.instrument_refresh_ix(i));
            }
        }
        let first = live.len().min(7);
        let mut ixs = vec![self.underlying_refresh_ix(oracle)];
        ixs.extend(live.drain(..first));
        self.env.send(&ixs, &[]).await?;
        for chunk in live.chunks(8) {
            self.env.send(chunk, &[]).await?;
        }
        Ok(())
    }

    /// The delayed path of the current underlying's parameters (L-2): the risk authority
    /// proposes, the clock passes `PARAM_DELAY_SECS`, anyone applies (the rent back to the
    /// proposer).
    pub async fn apply_underlying_after_delay(&mut self, params: UnderlyingParams) {
        let risk = self.env.risk.insecure_clone();
        let propose = pm_client::ix::underlying_propose(&self.sol, params, &risk.pubkey());
        self.env.send(&[propose], &[&risk]).await.unwrap();
        self.warp(portfolio_margin::state::PARAM_DELAY_SECS).await;
        let apply = pm_client::ix::underlying_apply(&self.sol, &risk.pubkey());
        self.env.send(&[apply], &[]).await.unwrap();
    }

    /// Moves the cluster clock (and `env.now`) forward.
    pub async fn warp(&mut self, secs: i64) {
        let mut clock: Clock = self.env.ctx.banks_client.get_sysvar().await.unwrap();
        clock.unix_timestamp += secs;
        self.env.ctx.set_sysvar(&clock);
        self.env.now = clock.unix_timestamp;
    }

    pub async fn trader(&mut self, usdc: u64) -> Trader {
        self.trader_sub(Keypair::new(), 0, usdc).await
    }

    pub async fn trader_sub(&mut self, key: Keypair, sub_id: u16, usdc: u64) -> Trader {
        self.env.fund(&key.pubkey()).await;
        let margin = self.env.open(&key, sub_id).await.unwrap();
        let wallet = self.env.deposit_new_tokens(spl_token::ID, self.usdc_mint, margin, &key, usdc).await;
        Trader { key, margin, wallet }
    }

    /// The market-wide remaining accounts (the rule's groups, `pm_client::remaining`): USDC and
    /// its price account `usdc_oracle`, the underlying, every listed instrument.
    pub fn market_accounts(&self, usdc_oracle: Pubkey) -> RemainingAccounts {
        let mut r = RemainingAccounts::new();
        r.asset(self.usdc, Some(usdc_oracle), None).underlying(self.sol);
        for i in &self.instruments {
            r.instrument(*i, Some(self.sol));
        }
        r
    }

    /// Everything a margin check may need: the assets, fresh oracles, instruments, underlying.
    pub fn check_accounts(&mut self) -> Vec<AccountMeta> {
        let usdc_oracle = self.usdc_price();
        self.market_accounts(usdc_oracle).metas(false)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn trade_ix(
        &mut self,
        instrument: Pubkey,
        maker: &Trader,
        taker: &Trader,
        lots: i64,
        px: f64,
        nonce: u64,
        extra: Vec<AccountMeta>,
    ) -> Instruction {
        let args = TradeArgs { lots, price: price(px), quote_expiry: self.env.now + 60, nonce };
        self.trade_ix_with(
            instrument,
            (&maker.margin, &maker.key.pubkey()),
            (&taker.margin, &taker.key.pubkey()),
            args,
            extra,
        )
    }

    pub fn trade_ix_with(
        &mut self,
        instrument: Pubkey,
        (maker_account, maker): (&Pubkey, &Pubkey),
        (taker_account, taker): (&Pubkey, &Pubkey),
        args: TradeArgs,
        extra: Vec<AccountMeta>,
    ) -> Instruction {
        let accounts = pm_client::ix::TradeAccounts {
            underlying: self.sol,
            instrument,
            quote_asset: self.usdc,
            maker_account: *maker_account,
            maker: *maker,
            taker_account: *taker_account,
            taker: *taker,
        };
        pm_client::ix::trade(&accounts, args, extra)
    }

    /// Sends a trade signed by both sides, with every account a margin check may need.
    pub async fn trade(
        &mut self,
        instrument: Pubkey,
        maker: &Trader,
        taker: &Trader,
        lots: i64,
        px: f64,
        nonce: u64,
    ) -> std::result::Result<(), BanksClientError> {
        let extra = self.check_accounts();
        let ix = self.trade_ix(instrument, maker, taker, lots, px, nonce, extra);
        let (mk, tk) = (maker.key.insecure_clone(), taker.key.insecure_clone());
        self.env.send(&[ix], &[&mk, &tk]).await
    }

    pub fn report_ix(&mut self, margin: Pubkey) -> Instruction {
        let remaining = self.check_accounts();
        pm_client::ix::margin_report(&margin, remaining)
    }

    /// The report with extra remaining accounts (other assets and their oracles).
    pub async fn report_with(
        &mut self,
        margin: Pubkey,
        extra: Vec<AccountMeta>,
    ) -> portfolio_margin::instructions::MarginSummary {
        let mut ix = self.report_ix(margin);
        ix.accounts.extend(extra);
        self.env.view(ix).await
    }

    pub async fn report(&mut self, margin: Pubkey) -> portfolio_margin::instructions::MarginSummary {
        let ix = self.report_ix(margin);
        self.env.view(ix).await
    }

    /// `check_accounts` with the instruments writable (liquidations change open interest).
    pub fn check_accounts_mut(&mut self) -> Vec<AccountMeta> {
        let mut v = self.check_accounts();
        for a in v.iter_mut().filter(|a| self.instruments.contains(&a.pubkey)) {
            a.is_writable = true;
        }
        v
    }

    pub fn liquidate_ix(&mut self, liquidatee: Pubkey, liquidator: &Trader, args: LiquidateArgs) -> Instruction {
        let remaining = self.check_accounts_mut();
        pm_client::ix::liquidate(&self.usdc, &liquidatee, &liquidator.margin, &liquidator.key.pubkey(), args, remaining)
    }

    pub async fn liquidate(
        &mut self,
        liquidatee: Pubkey,
        liquidator: &Trader,
        args: LiquidateArgs,
    ) -> std::result::Result<(), BanksClientError> {
        let ix = self.liquidate_ix(liquidatee, liquidator, args);
        let k = liquidator.key.insecure_clone();
        self.env.send(&[ix], &[&k]).await
    }

    pub fn plan_ix(&mut self, margin: Pubkey) -> Instruction {
        let remaining = self.check_accounts();
        pm_client::ix::liquidation_plan(&self.usdc, &margin, remaining)
    }

    pub async fn plan(&mut self, margin: Pubkey) -> LiquidationPlan {
        let ix = self.plan_ix(margin);
        self.env.view(ix).await
    }

    pub fn flag_ix(&mut self, margin: Pubkey) -> Instruction {
        let remaining = self.check_accounts();
        pm_client::ix::liquidation_flag(&margin, remaining)
    }

    pub fn bankruptcy_ix(&self, margin: Pubkey) -> Instruction {
        pm_client::ix::resolve_bankruptcy(&self.usdc, &margin, vec![])
    }

    pub fn settle_price_ix(&self, instrument: Pubkey, oracle: Pubkey) -> Instruction {
        pm_client::ix::settle_price_set(&self.sol, &instrument, &oracle)
    }

    pub fn settle_position_ix(&self, instrument: Pubkey, margin: Pubkey) -> Instruction {
        pm_client::ix::settle_position(&self.sol, &instrument, &self.usdc, &margin, None)
    }

    /// Realizes a live future's or perpetual's P&L: `settle_position` signed by the account's
    /// owner or delegate (`trader`), passed as the first remaining account.
    pub fn realize_ix(&self, instrument: Pubkey, margin: Pubkey, trader: Pubkey) -> Instruction {
        pm_client::ix::settle_position(&self.sol, &instrument, &self.usdc, &margin, Some(trader))
    }

    /// Sum of every account's effective USDC balance: a positive balance at its amount x the
    /// asset's loss index / its slot's (rounded down, as the program values it), debts in full.
    pub async fn usdc_books(&mut self, accounts: &[Pubkey]) -> i64 {
        let asset: portfolio_margin::state::CollateralAsset = self.env.anchor(&self.usdc).await;
        let mut sum = 0;
        for a in accounts {
            sum += self.env.margin(a).await.balance_at(&self.usdc, asset.loss_index()).expect("effective balance");
        }
        sum
    }

    /// The conservation rule (include the insurance fund in `accounts`): vault == deposits
    /// counter; the asset's `net_cash` == the sum of its instruments'; and the effective
    /// balances never claim more than vault + net_cash. Exact (dust 0) while no loss was ever
    /// socialized; after one, the dust (vault + net_cash - books) is what socialization wrote
    /// down beyond the loss (see `CollateralAsset::socialize`) plus rounding, and stays in the
    /// vault. Returns the dust.
    pub async fn assert_conserved(&mut self, accounts: &[Pubkey]) -> i64 {
        let vault = self.env.token_balance(&vault_pda(&self.usdc_mint)).await;
        let asset: portfolio_margin::state::CollateralAsset = self.env.anchor(&self.usdc).await;
        assert_eq!(vault, asset.total_deposits, "vault vs deposits counter");
        let mut net_cash = 0i64;
        for i in self.instruments.clone() {
            let inst: portfolio_margin::state::Instrument = self.env.zero_copy(&i).await;
            net_cash += inst.net_cash;
        }
        assert_eq!(asset.net_cash, net_cash, "asset's net_cash vs its instruments'");
        let books = self.usdc_books(accounts).await;
        let dust = vault as i64 + net_cash - books;
        if asset.loss_index() == portfolio_margin::state::LOSS_INDEX_ONE {
            assert_eq!(dust, 0, "books vs vault + settled cash (no loss socialized)");
        } else {
            assert!(dust >= 0, "books {books} claim more than vault {vault} + settled cash {net_cash}");
        }
        dust
    }
}
