//! The program's accounts as the keeper sees them, and margin evaluated off chain by the
//! program's own `margin` module (its `MarketView` built from the fetched bytes, the same
//! decoding as on chain), so keeper and program agree.
use crate::chain::{Chain, ChainError};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::AccountMeta;
use anchor_lang::{AccountDeserialize, Discriminator};
use pm_client::{AssetInfo, MarketAccounts, RemainingAccounts};
use portfolio_margin::state::{CollateralAsset, Config, Instrument, MarginAccount, Underlying};
use risk_kernel::margin::MarginReport;
use solana_account::Account;
use std::collections::HashMap;

/// Pyth price accounts by feed id.
pub type Oracles = HashMap<[u8; 32], Pubkey>;

pub struct Book {
    pub config: Config,
    pub assets: Vec<(Pubkey, CollateralAsset)>,
    pub underlyings: Vec<(Pubkey, Underlying)>,
    pub instruments: Vec<(Pubkey, Instrument)>,
    pub accounts: Vec<(Pubkey, MarginAccount)>,
    /// Raw bytes of every account above and of the oracles, for off-chain margin checks.
    pub raw: HashMap<Pubkey, Account>,
}

fn zero_copy<T: bytemuck::Pod>(data: &[u8]) -> Option<T> {
    data.get(8..8 + std::mem::size_of::<T>()).map(bytemuck::pod_read_unaligned)
}

impl Book {
    /// Every program account, and the oracle accounts in `oracles`.
    pub async fn load<C: Chain>(chain: &mut C, oracles: &Oracles) -> Result<Book, ChainError> {
        // One filtered getProgramAccounts per account type (discriminator, size): only what
        // the keeper reads, never another program version's leftovers.
        let mut all = vec![];
        for filter in pm_client::filters::all() {
            all.extend(chain.program_accounts(&filter).await?);
        }
        let mut config = None;
        let (mut assets, mut underlyings, mut instruments, mut accounts) = (vec![], vec![], vec![], vec![]);
        let mut raw = HashMap::new();
        for (key, acc) in all {
            let d = &acc.data;
            let is = |disc: &[u8]| d.len() >= 8 && &d[..8] == disc;
            if is(Config::DISCRIMINATOR) {
                config = Config::try_deserialize(&mut &d[..]).ok().or(config);
            } else if is(CollateralAsset::DISCRIMINATOR) {
                assets.extend(CollateralAsset::try_deserialize(&mut &d[..]).ok().map(|a| (key, a)));
            } else if is(Underlying::DISCRIMINATOR) {
                underlyings.extend(Underlying::try_deserialize(&mut &d[..]).ok().map(|u| (key, u)));
            } else if is(Instrument::DISCRIMINATOR) {
                instruments.extend(zero_copy::<Instrument>(d).map(|i| (key, i)));
            } else if is(MarginAccount::DISCRIMINATOR) {
                accounts.extend(zero_copy::<MarginAccount>(d).map(|m| (key, m)));
            }
            raw.insert(key, acc);
        }
        let config = config.ok_or(ChainError::Rejected("no portfolio-margin Config account on this chain".into()))?;
        let mut book = Book { config, assets, underlyings, instruments, accounts, raw };
        let keys: Vec<Pubkey> = oracles.values().copied().collect();
        for (k, a) in keys.iter().zip(chain.accounts(&keys).await?) {
            if let Some(a) = a {
                book.raw.insert(*k, a);
            }
        }
        Ok(book)
    }

    pub fn underlying(&self, key: &Pubkey) -> Option<&Underlying> {
        self.underlyings.iter().find(|(k, _)| k == key).map(|(_, u)| u)
    }

    pub fn instrument(&self, key: &Pubkey) -> Option<&Instrument> {
        self.instruments.iter().find(|(k, _)| k == key).map(|(_, i)| i)
    }

    pub fn asset(&self, key: &Pubkey) -> Option<&CollateralAsset> {
        self.assets.iter().find(|(k, _)| k == key).map(|(_, a)| a)
    }

    /// The remaining accounts a margin check of `acc` needs, in `pm_client`'s order (the one
    /// rule: `pm_client::remaining`).
    pub fn check_accounts(&self, acc: &MarginAccount, oracles: &Oracles) -> Vec<Pubkey> {
        let mut r = RemainingAccounts::new();
        r.add_account(acc, &self.market(oracles));
        r.keys()
    }

    /// As account metas for `accounts` (a liquidation: liquidatee, then liquidator), instruments
    /// writable when `writable`.
    pub fn check_metas(&self, accounts: &[&MarginAccount], oracles: &Oracles, writable: bool) -> Vec<AccountMeta> {
        pm_client::margin_check_accounts(accounts, &self.market(oracles), writable)
    }

    /// The market as the remaining-accounts rule sees it: these accounts and `oracles`.
    pub fn market<'a>(&'a self, oracles: &'a Oracles) -> BookMarket<'a> {
        BookMarket { book: self, oracles }
    }

    /// The program's margin report of `acc` at `now`, computed here from the fetched accounts.
    pub fn evaluate(&self, acc: &MarginAccount, oracles: &Oracles, now: i64) -> Result<MarginReport, String> {
        use portfolio_margin::margin::{MarketView, RawAccount, snapshot};
        let keys = self.check_accounts(acc, oracles);
        let mut raws = Vec::with_capacity(keys.len());
        for k in &keys {
            let a = self.raw.get(k).ok_or_else(|| format!("account {k} not loaded"))?;
            raws.push(RawAccount { key: k, owner: &a.owner, data: &a.data });
        }
        let view = MarketView::from_raw(raws, now).map_err(|e| e.to_string())?;
        snapshot::report(&view, acc, &self.config)
            .and_then(|c| c.require_complete())
            .map(|r| *r)
            .map_err(|e| e.to_string())
    }
}

/// A [`Book`] and the keeper's oracles, for the remaining-accounts rule.
pub struct BookMarket<'a> {
    pub book: &'a Book,
    pub oracles: &'a Oracles,
}

impl MarketAccounts for BookMarket<'_> {
    fn asset(&self, asset: &Pubkey) -> Option<AssetInfo> {
        let a = self.book.asset(asset)?;
        Some(AssetInfo {
            oracle: self.oracles.get(&a.params.feed_id).copied(),
            group: a.params.group,
            rate_account: (a.rate_source != portfolio_margin::state::RateSource::None).then_some(a.rate_account),
        })
    }

    fn instrument_underlying(&self, instrument: &Pubkey) -> Option<Pubkey> {
        self.book.instrument(instrument).map(|i| i.underlying)
    }
}
