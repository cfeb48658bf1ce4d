//! The program's accounts as the keeper sees them, and margin evaluated off chain by the
//! program's own `margin` module (its `MarketView` built from the fetched bytes, the same
//! decoding as on chain), so keeper and program agree.
use crate::chain::{Chain, ChainError};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::AccountMeta;
use anchor_lang::{AccountDeserialize, Discriminator};
use pm_client::{AssetInfo, MarketAccounts, RemainingAccounts};
use portfolio_margin::state::{CollateralAsset, Config, Instrument, MarginAccount, RateSource, Underlying};
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
    /// The cluster's epoch when loaded: a receipt token's rate must be from it (None: the
    /// clock could not be read, and such a token counts as unpriced).
    pub epoch: Option<u64>,
}

/// The clock sysvar's `epoch` field (slot, epoch_start_timestamp, then epoch: bytes 16..24).
fn clock_epoch(clock: Option<&Account>) -> Option<u64> {
    clock.and_then(|c| c.data.get(16..24)).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes)
}

const CLOCK: Pubkey = solana_sdk_ids::sysvar::clock::ID;

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
        // The oracles, the receipt tokens' rate accounts (not program accounts) and the clock.
        let rates = assets.iter().filter(|(_, a)| a.rate_source != RateSource::None).map(|(_, a)| a.rate_account);
        let keys: Vec<Pubkey> = oracles.values().copied().chain(rates).chain([CLOCK]).collect();
        let mut book = Book { config, assets, underlyings, instruments, accounts, raw, epoch: None };
        for (k, a) in keys.iter().zip(chain.accounts(&keys).await?) {
            if let Some(a) = a {
                book.raw.insert(*k, a);
            }
        }
        book.epoch = clock_epoch(book.raw.get(&CLOCK));
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
        let mut view = MarketView::from_raw(raws, now).map_err(|e| e.to_string())?;
        if let Some(epoch) = self.epoch {
            view = view.with_epoch(epoch);
        }
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
            rate_account: (a.rate_source != RateSource::None).then_some(a.rate_account),
        })
    }

    fn instrument_underlying(&self, instrument: &Pubkey) -> Option<Pubkey> {
        self.book.instrument(instrument).map(|i| i.underlying)
    }
}

impl Book {
    /// Only what a margin evaluation of the margin account `key` reads (the config, its
    /// assets, instruments and underlyings, the oracles and rate accounts the rule names), by
    /// `getMultipleAccounts`: `pm account`'s view of one live account, without scanning the
    /// program. `accounts` of the result holds that one account.
    pub async fn load_account<C: Chain>(chain: &mut C, key: &Pubkey, oracles: &Oracles) -> Result<Book, String> {
        let config_key = pm_client::pda::config();
        let mut raw: HashMap<Pubkey, Account> = HashMap::new();
        let fetched = chain.accounts(&[*key, config_key, CLOCK]).await.map_err(|e| e.to_string())?;
        let [acc_raw, config_raw, clock]: [Option<Account>; 3] =
            fetched.try_into().map_err(|_| "the RPC node answered the wrong number of accounts".to_string())?;
        let acc_raw = acc_raw.ok_or_else(|| format!("account {key} does not exist on this cluster"))?;
        if acc_raw.owner != portfolio_margin::ID || !acc_raw.data.starts_with(MarginAccount::DISCRIMINATOR) {
            return Err(format!("account {key} is not a portfolio-margin margin account (owner {})", acc_raw.owner));
        }
        let acc = zero_copy::<MarginAccount>(&acc_raw.data).ok_or_else(|| format!("account {key}: short data"))?;
        let config_raw = config_raw.ok_or("no portfolio-margin Config account on this cluster")?;
        let config = Config::try_deserialize(&mut &config_raw.data[..]).map_err(|e| format!("config: {e}"))?;
        raw.insert(*key, acc_raw);
        raw.insert(config_key, config_raw);
        let epoch = clock_epoch(clock.as_ref());
        let mut book = Book {
            config,
            assets: vec![],
            underlyings: vec![],
            instruments: vec![],
            accounts: vec![(*key, acc)],
            raw,
            epoch,
        };
        // Assets and instruments, then the underlyings they name, then the rule's remaining
        // accounts (oracles, rate accounts): each round fetches what the last one revealed.
        let mut wanted: Vec<Pubkey> = acc.balances[..(acc.n_balances as usize).min(acc.balances.len())]
            .iter()
            .map(|b| b.asset)
            .chain(acc.positions[..(acc.n_positions as usize).min(acc.positions.len())].iter().map(|p| p.instrument))
            .collect();
        for _ in 0..3 {
            wanted.retain(|k| !book.raw.contains_key(k));
            wanted.dedup();
            if wanted.is_empty() {
                break;
            }
            for (k, a) in wanted.clone().iter().zip(chain.accounts(&wanted).await.map_err(|e| e.to_string())?) {
                let Some(a) = a else { continue };
                let d = &a.data;
                if a.owner == portfolio_margin::ID {
                    if d.starts_with(CollateralAsset::DISCRIMINATOR) {
                        book.assets.extend(CollateralAsset::try_deserialize(&mut &d[..]).ok().map(|x| (*k, x)));
                    } else if d.starts_with(Underlying::DISCRIMINATOR) {
                        book.underlyings.extend(Underlying::try_deserialize(&mut &d[..]).ok().map(|x| (*k, x)));
                    } else if d.starts_with(Instrument::DISCRIMINATOR) {
                        book.instruments.extend(zero_copy::<Instrument>(d).map(|x| (*k, x)));
                    }
                }
                book.raw.insert(*k, a);
            }
            wanted = book.check_accounts(&acc, oracles);
        }
        // Every asset's feed must have a price account (a delisted asset reads none): name the
        // missing feeds.
        let missing: Vec<String> = book
            .assets
            .iter()
            .filter(|(_, a)| a.params.status != portfolio_margin::state::status::DELISTED)
            .filter(|(_, a)| !oracles.contains_key(&a.params.feed_id))
            .map(|(k, a)| {
                format!("{} (asset {k})", a.params.feed_id.iter().map(|b| format!("{b:02x}")).collect::<String>())
            })
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "no price account given for feed {}: pass --oracle FEED_ID_HEX=PRICE_ACCOUNT for each",
                missing.join(", ")
            ));
        }
        Ok(book)
    }
}

/// `FEED_ID_HEX=ACCOUNT` items (the keeper's and `pm account`'s `--oracle`) to [`Oracles`].
pub fn parse_oracles(list: &[String]) -> Result<Oracles, String> {
    use std::str::FromStr;
    let mut out = Oracles::new();
    for item in list {
        let (feed, acc) =
            item.split_once('=').ok_or_else(|| format!("--oracle {item}: expected FEED_ID_HEX=ACCOUNT"))?;
        let hex = feed.trim_start_matches("0x");
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(format!("--oracle {item}: the feed id must be 32 bytes of hex"));
        }
        let mut id = [0u8; 32];
        for (i, b) in id.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| format!("--oracle {item}: bad hex"))?;
        }
        let key = Pubkey::from_str(acc).map_err(|_| format!("--oracle {item}: bad account address"))?;
        out.insert(id, key);
    }
    Ok(out)
}
