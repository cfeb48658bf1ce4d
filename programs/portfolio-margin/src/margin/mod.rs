//! Margin of an account, the way Mango v4's health cache is built: the accounts a check
//! needs are matched and decoded once per instruction ([`MarketView`]), one margin account's
//! kernel inputs are a reusable [`Snapshot`] (refilled in place for before/after and for every
//! liquidation step, no new heap), and the margin rules are apart ([`rules`]).
//!
//! Remaining accounts of a margin check: every account it needs, in any order (one list can
//! serve both sides of a trade): each balance's CollateralAsset and a Pyth price account for
//! its feed (and a receipt token's pinned rate account: its stake pool), each position's
//! Instrument, and the Underlying of every instrument and of every mapped collateral asset.
//! Program accounts and rate accounts are matched by address, Pyth accounts by feed id;
//! unrelated accounts are ignored, the same address twice is refused. The order clients send
//! is written down once, in `pm_client::remaining` (crates/client).
pub mod rules;
pub mod snapshot;
pub mod view;

pub use rules::{Checked, Health};
pub use snapshot::Snapshot;
pub use view::{MarketView, RawAccount};
