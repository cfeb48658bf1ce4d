//! Conversions between the kernel's fixed-point scales and token amounts, each rounding in a
//! direction its caller names. Cash moves between accounts as one integer amount (paid by one
//! side, received by the other), so transfers are exact and vaults always match the books.
use crate::error::{PmError, kernel_err};
use crate::state::SECONDS_PER_YEAR;
use anchor_lang::prelude::*;
use risk_kernel::collateral;
use risk_kernel::{Money, Price, Ratio, Round};

/// Years from `now` to `expiry` (Ratio), 0 if past.
pub fn years_until(expiry: i64, now: i64) -> Result<Ratio> {
    let secs = expiry.saturating_sub(now).max(0);
    Ratio::from_ratio(secs, SECONDS_PER_YEAR, Round::Down).map_err(|_| PmError::Overflow.into())
}

/// Native units (10^-decimals) of a quote asset as Money (Q24), rounded `round`: the quote
/// token counts at 1 quote unit (trade prices and P&L are in it).
pub fn native_to_money(native: i64, decimals: u8, round: Round) -> Result<Money> {
    collateral::quote_value(native, decimals, Price::ONE, round).map_err(kernel_err)
}

/// Money (Q24) as native quote units (the quote token counts at 1), rounded `round`.
pub fn money_to_native(value: Money, decimals: u8, round: Round) -> Result<i64> {
    let v: Price = value.rescale(round).map_err(kernel_err)?;
    collateral::native_units(v, decimals, round).map_err(kernel_err)
}

/// Native quote units per lot of a value per unit of underlying (`price`, Q32) with lots of
/// `lot_size` units, rounded `round`. One integer per lot: every account trading or settling
/// the same lots at the same price moves the same cash.
pub fn native_per_lot(price: Price, lot_size: Ratio, decimals: u8, round: Round) -> Result<i64> {
    let per_lot = price.mul_ratio(lot_size, round).map_err(kernel_err)?;
    collateral::native_units(per_lot, decimals, round).map_err(kernel_err)
}

/// lots x per-lot amount, checked.
pub fn cash(lots: i64, per_lot: i64) -> Result<i64> {
    lots.checked_mul(per_lot).ok_or_else(|| PmError::Overflow.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cash_conversions_round_as_named() {
        let usdc = |v: f64| native_to_money((v * 1e6) as i64, 6, Round::Down).unwrap().to_f64();
        assert_eq!(usdc(12.5), 12.5);
        // 10.5 per unit, 0.25 units per lot: 2.625 USDC per lot, exact either way.
        let px = Price::from_f64(10.5).unwrap();
        let lot = Ratio::from_f64(0.25).unwrap();
        assert_eq!(native_per_lot(px, lot, 6, Round::Down).unwrap(), 2_625_000);
        assert_eq!(native_per_lot(px, lot, 6, Round::Up).unwrap(), 2_625_000);
        // A third of a micro-unit rounds to 0 down and 1 up.
        let third = Price::from_ratio(1, 3_000_000, Round::Down).unwrap();
        assert_eq!(native_per_lot(third, Ratio::ONE, 6, Round::Down).unwrap(), 0);
        assert_eq!(native_per_lot(third, Ratio::ONE, 6, Round::Up).unwrap(), 1);
        assert!(native_per_lot(px, lot, 17, Round::Down).is_err());
        assert!(cash(i64::MAX, 2).is_err());
        assert_eq!(years_until(100, 200).unwrap(), Ratio::ZERO);
        // 1/3 of a micro-USDC as Money: 0 down, 1 up; whole amounts exact.
        let m = Money::from_ratio(1, 3_000_000, Round::Down).unwrap();
        assert_eq!(money_to_native(m, 6, Round::Down).unwrap(), 0);
        assert_eq!(money_to_native(m, 6, Round::Up).unwrap(), 1);
        let m = Money::from_f64(2.5).unwrap();
        assert_eq!(money_to_native(m, 6, Round::Up).unwrap(), 2_500_000);
    }
}
