//! [`MarketView`]: the remaining accounts of a margin check, matched and decoded once per
//! instruction. It copies what the kernel needs and holds no borrow of account data, so the
//! handler can still write to the same accounts (open interest, balances) afterwards.
use crate::error::PmError;
use crate::oracle::{OracleLimits, PriceBand, pyth, stake_pool};
use crate::state::{CollateralAsset, Instrument, RateSource, Underlying, seeds};
use anchor_lang::prelude::*;
use anchor_lang::{AccountDeserialize, Discriminator};
use pyth_solana_receiver_sdk::price_update::PriceUpdateV2;
use risk_kernel::instrument::InstrumentRisk;

/// An account as the program (an `AccountInfo`) and off-chain code (fetched bytes) both see it.
#[derive(Clone, Copy)]
pub struct RawAccount<'a> {
    pub key: &'a Pubkey,
    pub owner: &'a Pubkey,
    pub data: &'a [u8],
}

/// What a margin check reads of an instrument; the risk cache decoded once.
pub struct ViewInstrument {
    pub key: Pubkey,
    pub underlying: Pubkey,
    pub kind: u8,
    pub expiry: i64,
    pub strike: i64,
    pub lot_size: i64,
    pub vol: i64,
    /// Perpetuals: the cumulative funding index (quote units Q32 per lot; 0 otherwise).
    pub funding_index: i64,
    /// The crank's risk arrays (an index into [`MarketView`]'s) and the underlying snapshot
    /// epoch they were computed at ([`MarketView::risk_at`] checks it is current).
    risk: core::result::Result<u16, PmError>,
    risk_epoch: u64,
}

impl ViewInstrument {
    pub fn has_expiry(&self) -> bool {
        self.kind != crate::state::kind::PERPETUAL
    }
    pub fn is_expired(&self, now: i64) -> bool {
        self.has_expiry() && now >= self.expiry
    }
    pub fn is_option(&self) -> bool {
        self.kind == crate::state::kind::CALL || self.kind == crate::state::kind::PUT
    }
}

struct Oracle {
    owner: Pubkey,
    update: PriceUpdateV2,
}

/// The decoded remaining accounts of one instruction.
pub struct MarketView {
    pub underlyings: Vec<(Pubkey, Underlying)>,
    pub instruments: Vec<ViewInstrument>,
    /// The instruments' risk caches, decoded in place (kept apart: a ~1 KB element would make
    /// every `ViewInstrument` move an inline copy).
    risks: Vec<InstrumentRisk>,
    pub assets: Vec<(Pubkey, CollateralAsset)>,
    oracles: Vec<Oracle>,
    /// Stake pools passed for receipt-token assets (read with their owner and layout checked).
    pools: Vec<(Pubkey, Result<stake_pool::PoolState>)>,
    pub now: i64,
    /// The epoch a pool's rate must be from (on chain: read from the clock when a pool is
    /// passed; off chain: [`MarketView::with_epoch`]). None: no rate-sourced price is current.
    pub epoch: Option<u64>,
}

/// The field at `offset` of a zero-copy account's struct (after its 8-byte discriminator).
fn zero_copy_field<T: bytemuck::Pod>(data: &[u8], offset: usize) -> Option<T> {
    data.get(8 + offset..8 + offset + core::mem::size_of::<T>()).map(bytemuck::pod_read_unaligned)
}

/// Whether no address appears twice: sorted by each key's first 8 bytes (then the whole key),
/// neighbours compared. The pairwise check cost ~15k CU at 50 accounts (measured on the .so).
fn all_distinct(infos: &[AccountInfo]) -> bool {
    let prefix = |k: &Pubkey| u64::from_le_bytes(k.to_bytes()[..8].try_into().unwrap_or_default());
    let mut keys: Vec<(u64, &Pubkey)> = infos.iter().map(|a| (prefix(a.key), a.key)).collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    keys.windows(2).all(|w| w[0].0 != w[1].0 || w[0].1 != w[1].1)
}

impl MarketView {
    /// From the instruction's remaining accounts. The same address twice is refused.
    pub fn from_infos(infos: &[AccountInfo], now: i64) -> Result<MarketView> {
        require!(all_distinct(infos), PmError::DuplicateAccount);
        let mut view = MarketView::empty(infos.len(), now);
        for info in infos {
            let data = info.try_borrow_data()?;
            view.add(RawAccount { key: info.key, owner: info.owner, data: &data })?;
        }
        if !view.pools.is_empty() {
            view.epoch = Some(Clock::get()?.epoch);
        }
        Ok(view)
    }

    /// From fetched accounts (the keeper, `pm`, tests): the same decoding as on chain.
    pub fn from_raw<'a>(accounts: impl IntoIterator<Item = RawAccount<'a>>, now: i64) -> Result<MarketView> {
        let mut view = MarketView::empty(8, now);
        let mut seen: Vec<Pubkey> = Vec::new();
        for a in accounts {
            require!(!seen.contains(a.key), PmError::DuplicateAccount);
            seen.push(*a.key);
            view.add(a)?;
        }
        Ok(view)
    }

    fn empty(n: usize, now: i64) -> MarketView {
        MarketView {
            underlyings: Vec::with_capacity(4),
            instruments: Vec::with_capacity(n),
            risks: Vec::with_capacity(n),
            assets: Vec::with_capacity(8),
            oracles: Vec::with_capacity(8),
            pools: Vec::new(),
            now,
            epoch: None,
        }
    }

    fn add(&mut self, a: RawAccount) -> Result<()> {
        let d = a.data;
        let is = |disc: &[u8]| d.len() >= 8 && &d[..8] == disc;
        if *a.owner == crate::ID {
            if is(Underlying::DISCRIMINATOR) {
                let u = Underlying::try_deserialize(&mut &d[..])?;
                require!(u.version == Underlying::VERSION, PmError::UnsupportedVersion);
                self.underlyings.push((*a.key, u));
            } else if is(Instrument::DISCRIMINATOR) {
                // Field by field: a copy of the whole account (~1.4 KB with its 32-scenario
                // cache) and of the cache's words would overflow this 4 KiB frame.
                macro_rules! field {
                    ($f:ident) => {
                        zero_copy_field(d, core::mem::offset_of!(Instrument, $f))
                            .ok_or(ErrorCode::AccountDidNotDeserialize)?
                    };
                }
                let version: u8 = field!(version);
                require!(version == Instrument::VERSION, PmError::UnsupportedVersion);
                let risk_time: i64 = field!(risk_time);
                let risk_at = 8 + core::mem::offset_of!(Instrument, risk);
                let risk = match (risk_time > 0, d.get(risk_at..)) {
                    (true, Some(image)) => crate::mem::push_risk_image(&mut self.risks, image),
                    (true, None) => Err(PmError::AccountCorrupt),
                    (false, _) => Err(PmError::RiskStale),
                };
                self.instruments.push(ViewInstrument {
                    key: *a.key,
                    underlying: field!(underlying),
                    kind: field!(kind),
                    expiry: field!(expiry),
                    strike: field!(strike),
                    lot_size: field!(lot_size),
                    vol: field!(vol),
                    funding_index: field!(funding_index),
                    risk,
                    risk_epoch: field!(risk_epoch),
                });
            } else if is(CollateralAsset::DISCRIMINATOR) {
                let asset = CollateralAsset::try_deserialize(&mut &d[..])?;
                require!(asset.version == CollateralAsset::VERSION, PmError::UnsupportedVersion);
                self.assets.push((*a.key, asset));
            }
        } else if *a.owner == stake_pool::PROGRAM_ID {
            self.pools.push((*a.key, stake_pool::read(a.owner, d)));
        } else if let Ok(update) = PriceUpdateV2::try_deserialize(&mut &d[..]) {
            // Shaped like a Pyth update, whoever owns it: the owner is checked when read, so a
            // look-alike is refused, not skipped.
            self.oracles.push(Oracle { owner: *a.owner, update });
        }
        Ok(())
    }
}

impl MarketView {
    pub fn underlying(&self, key: &Pubkey) -> Result<&Underlying> {
        self.underlyings.iter().find(|(k, _)| k == key).map(|(_, u)| u).ok_or_else(|| PmError::AccountsMismatch.into())
    }

    /// The underlying with registry id `id` (collateral group mappings name ids).
    pub fn underlying_by_id(&self, id: u8) -> Result<(Pubkey, &Underlying)> {
        let key = Pubkey::find_program_address(&[seeds::UNDERLYING, &[id]], &crate::ID).0;
        Ok((key, self.underlying(&key)?))
    }

    /// `inst`'s cached risk, if computed at `epoch`.
    pub fn risk_at(&self, inst: &ViewInstrument, epoch: u64) -> Result<&InstrumentRisk> {
        require!(inst.risk_epoch == epoch, PmError::RiskStale);
        let i = inst.risk.map_err(Error::from)?;
        self.risks.get(i as usize).ok_or_else(|| PmError::AccountCorrupt.into())
    }

    pub fn instrument(&self, key: &Pubkey) -> Result<&ViewInstrument> {
        self.instruments.iter().find(|i| i.key == *key).ok_or_else(|| PmError::AccountsMismatch.into())
    }

    /// The quote asset `instrument` settles in (its underlying's).
    pub fn quote_of(&self, instrument: &Pubkey) -> Result<Pubkey> {
        Ok(self.underlying(&self.instrument(instrument)?.underlying)?.quote_asset)
    }

    /// Whether `instrument` (if passed) belongs to an underlying that settles in `quote`.
    pub fn settles_in(&self, instrument: &Pubkey, quote: &Pubkey) -> bool {
        self.instrument(instrument).and_then(|i| self.underlying(&i.underlying)).is_ok_and(|u| u.quote_asset == *quote)
    }

    pub fn asset(&self, key: &Pubkey) -> Result<&CollateralAsset> {
        self.assets.iter().find(|(k, _)| k == key).map(|(_, a)| a).ok_or_else(|| PmError::AccountsMismatch.into())
    }

    /// The epoch rate-sourced prices are read at (off chain: the cluster's current epoch).
    pub fn with_epoch(mut self, epoch: u64) -> Self {
        self.epoch = Some(epoch);
        self
    }

    /// The price of `asset` from the Pyth account carrying its feed, under its rules; for a
    /// receipt token, times its exchange rate from the pinned issuer account (which must be
    /// passed, current and valid: otherwise the asset's oracle counts as refused).
    pub fn price(&self, asset: &CollateralAsset) -> Result<PriceBand> {
        let band = self.price_for(&asset.oracle_limits())?;
        match asset.rate_source {
            RateSource::None => Ok(band),
            RateSource::SplStakePool => {
                let (_, pool) =
                    self.pools.iter().find(|(k, _)| *k == asset.rate_account).ok_or(PmError::OracleMissing)?;
                let pool = pool.as_ref().map_err(|_| PmError::OracleMalformed)?;
                let epoch = self.epoch.ok_or(PmError::OracleStale)?;
                let rate = stake_pool::rate(pool, &asset.mint, asset.decimals, epoch)?;
                stake_pool::apply(band, rate)
            }
        }
    }

    pub fn price_for(&self, limits: &OracleLimits) -> Result<PriceBand> {
        let o = self
            .oracles
            .iter()
            .find(|o| o.update.price_message.feed_id == limits.feed_id)
            .ok_or(PmError::OracleMissing)?;
        require_keys_eq!(o.owner, pyth_solana_receiver_sdk::ID, PmError::OracleWrongOwner);
        pyth::validate(&o.update, limits, self.now)
    }
}

/// The remaining account at `key` (for writing to it after a check).
pub fn info<'a, 'info>(infos: &'a [AccountInfo<'info>], key: &Pubkey) -> Result<&'a AccountInfo<'info>> {
    infos.iter().find(|a| a.key == key).ok_or_else(|| PmError::AccountsMismatch.into())
}
