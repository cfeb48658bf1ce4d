use crate::error::PmError;
use anchor_lang::prelude::*;
use risk_kernel::Price;
use risk_kernel::instrument::{FAIR_WORD, InstrumentKind, RISK_WORDS};

/// Instrument kinds as stored.
pub mod kind {
    pub const CALL: u8 = 0;
    pub const PUT: u8 = 1;
    pub const FUTURE: u8 = 2;
    pub const PERPETUAL: u8 = 3;
}

/// Lifecycle.
pub mod phase {
    pub const ACTIVE: u8 = 0;
    /// Expired with a settlement price: positions settle into cash.
    pub const SETTLED: u8 = 1;
}

pub fn kernel_kind(k: u8) -> Result<InstrumentKind> {
    Ok(match k {
        kind::CALL => InstrumentKind::Call,
        kind::PUT => InstrumentKind::Put,
        kind::FUTURE => InstrumentKind::Future,
        kind::PERPETUAL => InstrumentKind::Perpetual,
        _ => return err!(PmError::InvalidParameter),
    })
}

/// An instrument (PDA: ["instrument", underlying, kind, expiry LE, strike LE]) and its
/// crank-refreshed risk cache: the kernel's `InstrumentRisk` as plain words, current when
/// `risk_epoch` equals the underlying's snapshot epoch.
#[account(zero_copy)]
#[derive(Debug)]
pub struct Instrument {
    pub underlying: Pubkey,
    /// European cash-settled expiry, unix seconds (0 for perpetuals).
    pub expiry: i64,
    /// Options: strike (Price raw, Q32); 0 otherwise.
    pub strike: i64,
    /// Units of underlying per lot (Ratio raw, Q48).
    pub lot_size: i64,
    /// Settlement price (Price raw) once fixed; 0 before.
    pub settle_price: i64,
    /// Sum of long lots over all accounts (== sum of short lots).
    pub open_interest: i64,
    /// Quote-asset native units paid into accounts by P&L and expiry settlement, minus those
    /// taken (conservation: vault = sum of balances - sum of net_cash).
    pub net_cash: i64,
    /// Underlying snapshot epoch and time the cache was computed at (0 = never).
    pub risk_epoch: u64,
    pub risk_time: i64,
    /// Implied vol used by the cache (options; Ratio raw).
    pub vol: i64,
    pub kind: u8,
    pub phase: u8,
    pub version: u8,
    pub bump: u8,
    pub padding: [u8; 4],
    pub risk: [u64; RISK_WORDS],
    /// Quote native units that live losers have actually paid in by realizing (covered by
    /// their quote balance), not yet paid out to live winners: a live profit is realized only
    /// from this (M-6). Expiry settlement pays in full and does not use it.
    pub pnl_pool: i64,
    /// Perpetual funding (see `crate::funding`): the cumulative funding per lot, in quote
    /// units Q32 (Price scale, 2^-32) per lot; a long pays (a short receives) its rise.
    pub funding_index: i64,
    /// Unix seconds of the last accrual: the start of the current funding period (0 = never).
    pub funding_time: i64,
    /// Time-weighted premium of the current period so far: sum of premium (Q32 ratio,
    /// 2^-32 = one) x seconds it held, up to `premium_time`.
    pub premium_sum: i64,
    /// The premium signal (Ratio raw, Q48): trade price over the index, minus one, moved
    /// toward each perpetual trade's premium by its size (`funding_impact_lots`); 0 at the
    /// start of each period.
    pub premium: i64,
    /// Unix seconds the signal last changed (its segment since then is not yet in the sum).
    pub premium_time: i64,
    /// Funding period in seconds (0 = the default, one hour).
    pub funding_period: u32,
    /// Lots that move the signal all the way to a trade's premium; a smaller trade moves it
    /// by lots / this (0 = 1: every trade sets it).
    pub funding_impact_lots: u32,
    /// The largest |funding rate| per period (Ratio raw; 0 = the default, 0.05%).
    pub funding_clamp: i64,
}

const _: () = assert!(core::mem::size_of::<Instrument>() == 32 + 9 * 8 + 8 + 8 * RISK_WORDS + 64);

impl Instrument {
    pub const VERSION: u8 = 1;
    pub const SPACE: usize = 8 + core::mem::size_of::<Instrument>();

    pub fn is_option(&self) -> bool {
        self.kind == kind::CALL || self.kind == kind::PUT
    }

    pub fn has_expiry(&self) -> bool {
        self.kind != kind::PERPETUAL
    }

    pub fn is_expired(&self, now: i64) -> bool {
        self.has_expiry() && now >= self.expiry
    }

    /// The cached fair value per unit of underlying, if computed at `epoch` (one word: a
    /// trade or a settlement needs no scenario arrays).
    pub fn fair_at(&self, epoch: u64) -> Result<Price> {
        require!(self.risk_time > 0 && self.risk_epoch == epoch, PmError::RiskStale);
        Ok(Price::from_raw(self.risk[FAIR_WORD] as i64))
    }
}
