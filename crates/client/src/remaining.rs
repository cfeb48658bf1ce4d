//! The remaining-accounts rule of a margin check (withdraw, trade, margin report, liquidation
//! flag/plan, liquidate, resolve bankruptcy): the one place it is written down.
//!
//! **What** the program needs (`programs/portfolio-margin/src/margin/mod.rs`): for every
//! balance of the checked account(s) its `CollateralAsset` and a Pyth price account of its
//! feed; for every position its `Instrument`; the `Underlying` of every instrument and of
//! every mapped collateral asset (`params.group`). The program matches program accounts by
//! address and price accounts by feed id, ignores unrelated accounts and refuses an address
//! passed twice; it accepts any order.
//!
//! **Order** (what every client here sends, so that the Rust and TypeScript builders produce
//! the same bytes): four groups, each in order of first appearance, no address twice:
//! 1. assets: the accounts' balances, in slot order (first account's, then the next's);
//! 2. oracles: the price account of each of those assets, in the same order, each followed by
//!    the asset's rate account if it is a receipt token (an SPL stake pool);
//! 3. underlyings: the mapped assets' underlyings (balance order), then each position's
//!    instrument's underlying (position order);
//! 4. instruments: the positions' instruments, in slot order.
//!
//! Every account is read-only, except the instruments of a liquidation (it changes their open
//! interest): `writable_instruments`.
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::AccountMeta;
use portfolio_margin::state::{MarginAccount, NO_GROUP};

/// What the rule needs to know of a collateral asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetInfo {
    /// The Pyth price account the client passes for the asset's feed (None: a delisted asset
    /// is valued without its oracle, or the client has none: the check will say so).
    pub oracle: Option<Pubkey>,
    /// `params.group`: the id of the underlying the asset is mapped to, or [`NO_GROUP`].
    pub group: u8,
    /// A receipt token's pinned exchange-rate account (`rate_account` when `rate_source` is
    /// not `None`): passed right after the asset's price account.
    pub rate_account: Option<Pubkey>,
}

/// The market as a client knows it: the program's accounts it fetched and the price accounts
/// it uses for each feed.
pub trait MarketAccounts {
    fn asset(&self, asset: &Pubkey) -> Option<AssetInfo>;
    /// The underlying of an instrument.
    fn instrument_underlying(&self, instrument: &Pubkey) -> Option<Pubkey>;
}

/// The four groups of the rule, filled by hand (a market-wide list, as the test fixtures
/// pass) or from accounts ([`RemainingAccounts::add_account`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemainingAccounts {
    pub assets: Vec<Pubkey>,
    pub oracles: Vec<Pubkey>,
    pub underlyings: Vec<Pubkey>,
    pub instruments: Vec<Pubkey>,
}

fn push(v: &mut Vec<Pubkey>, k: Pubkey) {
    if !v.contains(&k) {
        v.push(k);
    }
}

impl RemainingAccounts {
    pub fn new() -> Self {
        Self::default()
    }

    /// A collateral asset, its price account, and (mapped) the underlying it moves with.
    pub fn asset(&mut self, asset: Pubkey, oracle: Option<Pubkey>, mapped_underlying: Option<Pubkey>) -> &mut Self {
        self.asset_parts(asset, [oracle, None], mapped_underlying)
    }

    /// A receipt token's rate account (after its asset's oracle, in the oracles group).
    pub fn rate_account(&mut self, rate_account: Pubkey) -> &mut Self {
        push(&mut self.oracles, rate_account);
        self
    }

    fn asset_with(&mut self, asset: Pubkey, info: Option<AssetInfo>) -> &mut Self {
        let mapped = info.filter(|i| i.group != NO_GROUP).map(|i| crate::pda::underlying(i.group));
        self.asset_parts(asset, [info.and_then(|i| i.oracle), info.and_then(|i| i.rate_account)], mapped)
    }

    /// The asset, its price accounts (oracle, then rate account) and its mapped underlying.
    fn asset_parts(&mut self, asset: Pubkey, prices: [Option<Pubkey>; 2], mapped: Option<Pubkey>) -> &mut Self {
        push(&mut self.assets, asset);
        for p in prices.into_iter().flatten() {
            push(&mut self.oracles, p);
        }
        if let Some(u) = mapped {
            push(&mut self.underlyings, u);
        }
        self
    }

    pub fn underlying(&mut self, underlying: Pubkey) -> &mut Self {
        push(&mut self.underlyings, underlying);
        self
    }

    /// An instrument and its underlying.
    pub fn instrument(&mut self, instrument: Pubkey, underlying: Option<Pubkey>) -> &mut Self {
        if let Some(u) = underlying {
            push(&mut self.underlyings, u);
        }
        push(&mut self.instruments, instrument);
        self
    }

    /// Everything a margin check of `acc` needs. Balances come before positions, so a mapped
    /// asset's underlying precedes the instruments' ones.
    pub fn add_account(&mut self, acc: &MarginAccount, market: &impl MarketAccounts) -> &mut Self {
        for b in &acc.balances[..(acc.n_balances as usize).min(acc.balances.len())] {
            self.asset_with(b.asset, market.asset(&b.asset));
        }
        for p in &acc.positions[..(acc.n_positions as usize).min(acc.positions.len())] {
            self.instrument(p.instrument, market.instrument_underlying(&p.instrument));
        }
        self
    }

    /// The addresses in the rule's order, each once.
    pub fn keys(&self) -> Vec<Pubkey> {
        let mut out: Vec<Pubkey> = vec![];
        for k in self.assets.iter().chain(&self.oracles).chain(&self.underlyings).chain(&self.instruments) {
            push(&mut out, *k);
        }
        out
    }

    /// As account metas: all read-only, the instruments writable if `writable_instruments`.
    pub fn metas(&self, writable_instruments: bool) -> Vec<AccountMeta> {
        self.keys()
            .into_iter()
            .map(|k| {
                if writable_instruments && self.instruments.contains(&k) {
                    AccountMeta::new(k, false)
                } else {
                    AccountMeta::new_readonly(k, false)
                }
            })
            .collect()
    }
}

/// The remaining accounts of a margin check of `accounts` (a trade: both sides; a
/// liquidation: the liquidatee then the liquidator, `writable_instruments`), in the rule's
/// order.
pub fn margin_check_accounts(
    accounts: &[&MarginAccount],
    market: &impl MarketAccounts,
    writable_instruments: bool,
) -> Vec<AccountMeta> {
    let mut r = RemainingAccounts::new();
    for acc in accounts {
        r.add_account(acc, market);
    }
    r.metas(writable_instruments)
}
