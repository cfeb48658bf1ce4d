//! Conversions between the kernel's fixed-point scales and token amounts, each rounding in a
//! direction its caller names. Cash moves between accounts as one integer amount (paid by one
//! side, received by the other), so transfers are exact and vaults always match the books.
use crate::error::PmError;
use crate::state::SECONDS_PER_YEAR;
use anchor_lang::prelude::*;
use risk_kernel::wide::{self, Round};
use risk_kernel::{Money, Price, Ratio};

fn pow10(decimals: u8) -> Result<u64> {
    10u64.checked_pow(decimals as u32).ok_or_else(|| PmError::Overflow.into())
}

/// Years from `now` to `expiry` (Ratio), 0 if past.
pub fn years_until(expiry: i64, now: i64) -> Result<Ratio> {
    let secs = expiry.saturating_sub(now).max(0);
    Ratio::from_ratio(secs, SECONDS_PER_YEAR, Round::Down).map_err(|_| PmError::Overflow.into())
}

/// Native units (10^-decimals) of a quote asset as Money (Q24), rounded `round`.
pub fn native_to_money(native: i64, decimals: u8, round: Round) -> Result<Money> {
    let raw = wide::mul_div(native, 1 << Money::FRAC_BITS, pow10(decimals)?, round).map_err(|_| PmError::Overflow)?;
    Ok(Money::from_raw(raw))
}

/// Native quote units per lot of a value per unit of underlying (`price`, Q32) with lots of
/// `lot_size` units, rounded `round`. One integer per lot: every account trading or settling
/// the same lots at the same price moves the same cash.
pub fn native_per_lot(price: Price, lot_size: Ratio, decimals: u8, round: Round) -> Result<i64> {
    let per_lot = price.mul_ratio(lot_size, round).map_err(|_| PmError::Overflow)?;
    wide::mul_div(per_lot.raw(), pow10(decimals)? as i64, 1 << Price::FRAC_BITS, round)
        .map_err(|_| PmError::Overflow.into())
}

/// lots x per-lot amount, checked.
pub fn cash(lots: i64, per_lot: i64) -> Result<i64> {
    lots.checked_mul(per_lot).ok_or_else(|| PmError::Overflow.into())
}
