//! Oracle adapters: an account in, a validated price band out.
//!
//! Pyth's pull oracle (`PriceUpdateV2`, owned by the Pyth receiver program) is the only
//! source today. Why not the legacy push format (`pyth-sdk-solana`): it compiles only against
//! solana-program 2.x, which would pull a second Solana stack into the program, and the push
//! oracle it reads was retired on Solana mainnet in 2024. Another source plugs in as another
//! function returning the same [`PriceBand`]. Receipt tokens (LSTs) are priced from their
//! issuer's own account on top of their underlying's band: [`stake_pool`].
pub mod pyth;
pub mod stake_pool;

use risk_kernel::Price;

/// A validated oracle reading in quote per whole token (Price, Q32).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceBand {
    /// Mid price, rounded down.
    pub price: Price,
    /// Confidence interval, rounded up.
    pub conf: Price,
    pub publish_time: i64,
    /// The feed's previous publish time (Pyth: the update before this one).
    pub prev_publish_time: i64,
}

/// Longest oracle age a risk authority may configure (seconds): a longer window lets a caller
/// choose among more prices.
pub const MAX_ORACLE_AGE_SECS: u32 = 120;

/// Per-asset limits the reading must meet.
#[derive(Clone, Copy, Debug)]
pub struct OracleLimits {
    pub feed_id: [u8; 32],
    pub max_age_secs: u32,
    /// conf / price, Ratio raw (Q16.48).
    pub max_conf_ratio: i64,
}
