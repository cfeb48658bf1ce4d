//! The program's accounts as the keeper sees them, and margin evaluated off chain by the
//! program's own `margin` module (its `MarketView` built from the fetched bytes, the same
//! decoding as on chain), so keeper and program agree.
use crate::chain::{Chain, ChainError};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::AccountMeta;
use anchor_lang::{AccountDeserialize, Discriminator};
use portfolio_margin::state::{CollateralAsset, Config, Instrument, MarginAccount, NO_GROUP, Underlying, seeds};
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
        let all = chain.program_accounts().await?;
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

    /// The remaining accounts a margin check of `acc` needs (see the program's `margin` module):
    /// assets and their oracles, instruments, and underlyings (of instruments and mapped assets).
    pub fn check_accounts(&self, acc: &MarginAccount, oracles: &Oracles) -> Vec<Pubkey> {
        let mut v: Vec<Pubkey> = vec![];
        let mut push = |k: Pubkey| {
            if !v.contains(&k) {
                v.push(k)
            }
        };
        for b in &acc.balances[..acc.n_balances as usize] {
            push(b.asset);
            if let Some(a) = self.asset(&b.asset) {
                if let Some(o) = oracles.get(&a.params.feed_id) {
                    push(*o);
                }
                if a.params.group != NO_GROUP {
                    let id = a.params.group;
                    push(Pubkey::find_program_address(&[seeds::UNDERLYING, &[id]], &portfolio_margin::ID).0);
                }
            }
        }
        for p in &acc.positions[..acc.n_positions as usize] {
            push(p.instrument);
            if let Some(i) = self.instrument(&p.instrument) {
                push(i.underlying);
            }
        }
        v
    }

    /// As account metas, instruments writable when `writable` (liquidations).
    pub fn check_metas(&self, accounts: &[&MarginAccount], oracles: &Oracles, writable: bool) -> Vec<AccountMeta> {
        let mut keys: Vec<Pubkey> = vec![];
        for a in accounts {
            for k in self.check_accounts(a, oracles) {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        keys.into_iter()
            .map(|k| {
                if writable && self.instrument(&k).is_some() {
                    AccountMeta::new(k, false)
                } else {
                    AccountMeta::new_readonly(k, false)
                }
            })
            .collect()
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
