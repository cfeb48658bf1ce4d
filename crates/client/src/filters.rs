//! `getProgramAccounts` filters that find each of the program's account types without
//! downloading the others: the type's 8-byte Anchor discriminator at offset 0 (`memcmp`), and
//! for the fixed-size zero-copy accounts (margin accounts, instruments) their size
//! (`dataSize`). A keeper discovers margin accounts with [`margin_accounts`].
use anchor_lang::Discriminator;
use portfolio_margin::state::{CollateralAsset, Config, Instrument, MarginAccount, Underlying};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountFilter {
    /// The account type's name (for logs).
    pub name: &'static str,
    /// Its Anchor discriminator: `memcmp` at offset 0.
    pub discriminator: &'static [u8],
    /// Its size in bytes (discriminator included), when fixed: `dataSize`.
    pub data_size: Option<u64>,
}

impl AccountFilter {
    /// Whether `data` passes the filter (what the cluster checks).
    pub fn matches(&self, data: &[u8]) -> bool {
        data.starts_with(self.discriminator) && self.data_size.is_none_or(|n| data.len() as u64 == n)
    }
}

const fn zero_copy_size<T>() -> Option<u64> {
    Some(8 + std::mem::size_of::<T>() as u64)
}

pub fn margin_accounts() -> AccountFilter {
    AccountFilter {
        name: "MarginAccount",
        discriminator: MarginAccount::DISCRIMINATOR,
        data_size: zero_copy_size::<MarginAccount>(),
    }
}

pub fn instruments() -> AccountFilter {
    AccountFilter {
        name: "Instrument",
        discriminator: Instrument::DISCRIMINATOR,
        data_size: zero_copy_size::<Instrument>(),
    }
}

pub fn config() -> AccountFilter {
    AccountFilter { name: "Config", discriminator: Config::DISCRIMINATOR, data_size: None }
}

pub fn collateral_assets() -> AccountFilter {
    AccountFilter { name: "CollateralAsset", discriminator: CollateralAsset::DISCRIMINATOR, data_size: None }
}

pub fn underlyings() -> AccountFilter {
    AccountFilter { name: "Underlying", discriminator: Underlying::DISCRIMINATOR, data_size: None }
}

/// Every account type a keeper or a margin evaluation reads: config, assets, underlyings,
/// instruments, margin accounts.
pub fn all() -> [AccountFilter; 5] {
    [config(), collateral_assets(), underlyings(), instruments(), margin_accounts()]
}
