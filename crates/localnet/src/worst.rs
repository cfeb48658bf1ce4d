//! The largest accounts the program allows, for the compute-unit, heap and size ceilings
//! measured on the `.so`: two margin accounts of 32 positions each (8 instruments on each of 4
//! underlyings: 2 calls, 2 puts, 3 futures, a perpetual) and 8 balances (two quote assets and
//! six others), each the other's counterparty in every position (the taker long the
//! underlyings throughout); a liquidator with quote only.
use crate::market::*;
use crate::*;
use anchor_lang::solana_program::instruction::AccountMeta;
use portfolio_margin::instructions::TradeArgs;
use portfolio_margin::state::{Instrument, MAX_BALANCES, SpreadCreditParam, UnderlyingParams};
use risk_kernel::instrument::InstrumentRisk;

pub const UNDERLYINGS: u8 = 4;

pub const PER_UNDERLYING: usize = 8;

/// Underlying `id`'s parameters in the worst case: spread credits declared with every lower
/// id, so an account on all 4 underlyings pairs all 6 (the margin check pays for pairing;
/// the accounts are long every underlying, so no pair matches a delta).
pub fn spread_params(id: u8) -> UnderlyingParams {
    let mut p = sol_params();
    for (slot, partner) in p.spread_credits.iter_mut().zip(0..id) {
        *slot = SpreadCreditParam { partner, rate: ratio(0.3) };
    }
    p
}

pub struct Worst {
    pub m: Market,
    pub underlyings: Vec<Pubkey>,
    /// (underlying, instrument), 32 of them.
    pub instruments: Vec<(Pubkey, Pubkey)>,
    /// (mint, asset): USDC, the second quote asset, six others.
    pub assets: Vec<(Pubkey, Pubkey)>,
    pub usdc_oracle: Pubkey,
    pub maker: Trader,
    pub taker: Trader,
    pub liquidator: Trader,
}

const USDC: u64 = 1_000_000;

impl Worst {
    pub async fn new() -> Worst {
        let mut m = Market::new().await;
        let risk = m.env.risk.insecure_clone();
        let vol = m.env.vol.insecure_clone();
        let (usdc_mint, usdc) = (m.usdc_mint, m.usdc);
        // A second quote asset (underlying 3 settles in it) and six plain ones.
        let mut assets = vec![(usdc_mint, usdc)];
        for _ in 1..MAX_BALANCES {
            let mint = m.env.mint(spl_token::ID, 6).await;
            m.env.register(&mint, spl_token::ID, usdc_params(), &risk).await.unwrap();
            assets.push((mint, asset_pda(&mint)));
        }
        let mut underlyings = vec![m.sol];
        for id in 1..UNDERLYINGS {
            if id == UNDERLYINGS - 1 {
                m.usdc = assets[1].1;
            }
            m.register_underlying(id, spread_params(id), &risk).await.unwrap();
            m.usdc = usdc;
            underlyings.push(underlying_pda(id));
        }
        let expiry = m.expiry;
        let mut instruments = vec![];
        for &u in &underlyings {
            m.sol = u;
            if u != underlyings[0] {
                m.publish(surface(&[expiry], 0.6), &vol).await.unwrap();
            }
            let terms = [
                call(expiry, 140.0),
                call(expiry, 160.0),
                put(expiry, 140.0),
                put(expiry, 160.0),
                future(expiry),
                future(expiry + DAY),
                future(expiry + 2 * DAY),
                perp(),
            ];
            for t in terms {
                instruments.push((u, m.list(t).await.unwrap()));
            }
        }
        m.sol = underlyings[0];
        let usdc_oracle = Pubkey::new_unique();
        let mut w = Worst {
            m,
            underlyings,
            instruments,
            assets,
            usdc_oracle,
            maker: Trader { key: Keypair::new(), margin: Pubkey::default(), wallet: Pubkey::default() },
            taker: Trader { key: Keypair::new(), margin: Pubkey::default(), wallet: Pubkey::default() },
            liquidator: Trader { key: Keypair::new(), margin: Pubkey::default(), wallet: Pubkey::default() },
        };
        w.crank(150.0).await;
        w.maker = w.full_account(2_000_000 * USDC).await;
        w.taker = w.full_account(2_000_000 * USDC).await;
        w.liquidator = w.m.trader(4_000_000 * USDC).await;
        // The taker buys 10 lots of each call, future and perpetual and sells 10 of each put
        // (long the underlying throughout), from the maker at fair value.
        for i in 0..w.instruments.len() {
            let (mk, tk) = (w.maker.key.insecure_clone(), w.taker.key.insecure_clone());
            let lots = if matches!(i % PER_UNDERLYING, 2 | 3) { -10 } else { 10 };
            let ix = w.trade_ix(i, lots, 1 + i as u64).await;
            w.m.env.send(&[ix], &[&mk, &tk]).await.unwrap();
        }
        w
    }

    /// An account with 8 balances: the six plain assets first (a plain asset never takes the
    /// last free slot), then both quote assets.
    async fn full_account(&mut self, usdc: u64) -> Trader {
        let key = Keypair::new();
        self.m.env.fund(&key.pubkey()).await;
        let margin = self.m.env.open(&key, 0).await.unwrap();
        for &(mint, _) in self.assets[2..].iter().chain(&self.assets[1..2]) {
            self.m.env.deposit_new_tokens(spl_token::ID, mint, margin, &key, 1_000 * USDC).await;
        }
        let wallet = self.m.env.deposit_new_tokens(spl_token::ID, self.assets[0].0, margin, &key, usdc).await;
        Trader { key, margin, wallet }
    }

    /// Every underlying refreshed at `spot` from a new USDC and SOL update, then every instrument.
    pub async fn crank(&mut self, spot: f64) {
        // A refresh waits `min_refresh_secs` after the last one.
        self.m.warp(sol_params().min_refresh_secs as i64).await;
        let now = self.m.env.now;
        self.m.env.pyth_at(self.usdc_oracle, USDC_FEED, 100_000_000, 10_000, -8, now);
        let oracle = self.m.sol_price(spot);
        for &u in &self.underlyings.clone() {
            self.m.sol = u;
            let ix = self.m.underlying_refresh_ix(oracle);
            self.m.env.send(&[ix], &[]).await.unwrap();
            let insts: Vec<Pubkey> = self.instruments.iter().filter(|(uu, _)| *uu == u).map(|(_, i)| *i).collect();
            for chunk in insts.chunks(2) {
                let ixs: Vec<_> = chunk.iter().map(|i| self.m.instrument_refresh_ix(*i)).collect();
                self.m.env.send(&ixs, &[]).await.unwrap();
            }
        }
        self.m.sol = self.underlyings[0];
    }

    /// Every account a margin check of these accounts needs: 8 assets, one USD oracle (every
    /// asset here reads the USDC feed), 4 underlyings, 32 instruments.
    pub fn check_accounts(&self, writable_instruments: bool) -> Vec<AccountMeta> {
        self.market_accounts().metas(writable_instruments)
    }

    /// [`Worst::check_accounts`] as the rule's groups (`pm_client::remaining`), in registration
    /// order: 8 assets, the USD oracle, 4 underlyings, 32 instruments.
    pub fn market_accounts(&self) -> RemainingAccounts {
        let mut r = RemainingAccounts::new();
        for (_, a) in &self.assets {
            r.asset(*a, Some(self.usdc_oracle), None);
        }
        for u in &self.underlyings {
            r.underlying(*u);
        }
        for (u, i) in &self.instruments {
            r.instrument(*i, Some(*u));
        }
        r
    }

    /// The crank's fair value of instrument `i` (Price raw).
    pub async fn fair(&mut self, i: usize) -> i64 {
        let inst: Instrument = self.m.env.zero_copy(&self.instruments[i].1).await;
        InstrumentRisk::from_words(&inst.risk).unwrap().fair.raw()
    }

    /// The taker buys `lots` of instrument `i` from the maker at fair value.
    pub async fn trade_ix(&mut self, i: usize, lots: i64, nonce: u64) -> Instruction {
        let (u, inst) = self.instruments[i];
        let args = TradeArgs { lots, price: self.fair(i).await, quote_expiry: self.m.env.now + 60, nonce };
        let quote = if u == self.underlyings[UNDERLYINGS as usize - 1] { self.assets[1].1 } else { self.assets[0].1 };
        let (usdc, sol) = (self.m.usdc, self.m.sol);
        (self.m.usdc, self.m.sol) = (quote, u);
        let extra = self.check_accounts(false);
        let ix = self.m.trade_ix_with(
            inst,
            (&self.maker.margin, &self.maker.key.pubkey()),
            (&self.taker.margin, &self.taker.key.pubkey()),
            args,
            extra,
        );
        (self.m.usdc, self.m.sol) = (usdc, sol);
        ix
    }
}
