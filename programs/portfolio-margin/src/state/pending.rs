//! Risk-parameter changes that reprice live balances or positions wait [`PARAM_DELAY_SECS`]
//! between proposal and effect (L-2): holders see them coming (an event and a readable
//! account) and can reduce risk or leave, and a stolen risk-authority key cannot reprice the
//! book at once (a new feed id, a zero haircut, a remapped group). The emergency levers that
//! reprice nothing (status, deposit caps, tighter oracle limits and price bands) act at once
//! through `collateral_update` / `underlying_update`.
use super::{CollateralParams, UnderlyingParams};
use anchor_lang::prelude::*;

/// One day: the delay between `*_propose` and `*_apply`.
pub const PARAM_DELAY_SECS: i64 = 24 * 3600;

/// The proposed parameters of one asset or underlying.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamChange {
    Collateral(CollateralParams),
    Underlying(UnderlyingParams),
}

/// A pending change (PDA: ["pending-params", target]); one per target at a time.
#[account]
#[derive(InitSpace)]
pub struct PendingParams {
    pub version: u8,
    pub bump: u8,
    /// The CollateralAsset or Underlying the change applies to.
    pub target: Pubkey,
    /// Paid the rent; receives it back when the change is applied or cancelled.
    pub payer: Pubkey,
    pub proposed_at: i64,
    /// Unix seconds from which anyone may apply it.
    pub effective_at: i64,
    pub change: ParamChange,
}

impl PendingParams {
    pub const VERSION: u8 = 1;
}
