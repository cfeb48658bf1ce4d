//! Pyth `PriceUpdateV2` -> [`PriceBand`], with every check spelled out.
//!
//! Security assumptions: the account is owned by the Pyth receiver program (so its bytes were
//! written by Pyth's verification), its feed id equals the one the risk authority registered,
//! it is fully verified (not Partial), not older than the asset's max age, positive, and its
//! confidence is within the asset's ratio. Exponents are normalized exactly: the mid price
//! rounds down and the confidence up, so later biases (price -/+ k conf) stay conservative.
use super::{OracleLimits, PriceBand};
use crate::error::PmError;
use anchor_lang::prelude::*;
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};
use risk_kernel::wide::{self, Round};
use risk_kernel::{Price, Ratio};

/// Reads and validates `info` as a Pyth price for `limits` at `now`.
pub fn read(info: &AccountInfo, limits: &OracleLimits, now: i64) -> Result<PriceBand> {
    require_keys_eq!(*info.owner, pyth_solana_receiver_sdk::ID, PmError::OracleWrongOwner);
    let data = info.try_borrow_data()?;
    let update = PriceUpdateV2::try_deserialize(&mut &data[..]).map_err(|_| PmError::OracleMalformed)?;
    validate(&update, limits, now)
}

/// The feed id of an account shaped like a Pyth price update, whoever owns it (for matching
/// accounts to assets; [`read`] then checks the owner, so a look-alike is refused, not skipped).
pub fn feed_id(info: &AccountInfo) -> Option<[u8; 32]> {
    let data = info.try_borrow_data().ok()?;
    PriceUpdateV2::try_deserialize(&mut &data[..]).ok().map(|u| u.price_message.feed_id)
}

pub fn validate(update: &PriceUpdateV2, limits: &OracleLimits, now: i64) -> Result<PriceBand> {
    let msg = &update.price_message;
    require!(msg.feed_id == limits.feed_id, PmError::OracleWrongFeed);
    require!(update.verification_level.gte(VerificationLevel::Full), PmError::OracleNotVerified);
    require!(msg.publish_time.saturating_add(limits.max_age_secs as i64) >= now, PmError::OracleStale);
    require!(msg.price > 0, PmError::OracleNonPositive);
    let price = normalize(msg.price, msg.exponent, Round::Down)?;
    let conf =
        normalize(i64::try_from(msg.conf).map_err(|_| PmError::OracleConfidenceTooWide)?, msg.exponent, Round::Up)?;
    require!(price.is_positive(), PmError::OracleNonPositive);
    // conf / price <= max ratio, compared exactly: conf * 2^48 <= ratio * price.
    let ratio: Ratio = conf.div(price, Round::Up).map_err(|_| PmError::OracleConfidenceTooWide)?;
    require!(ratio.raw() <= limits.max_conf_ratio, PmError::OracleConfidenceTooWide);
    Ok(PriceBand { price, conf, publish_time: msg.publish_time, prev_publish_time: msg.prev_publish_time })
}

/// value x 10^exponent as Price (Q32), rounded in `round`'s direction; overflow is an error.
pub fn normalize(value: i64, exponent: i32, round: Round) -> Result<Price> {
    const MAX_POW: i32 = 19; // 10^19 < 2^64
    let raw = if exponent <= 0 {
        let e = exponent.checked_neg().filter(|e| *e <= MAX_POW).ok_or(PmError::Overflow)?;
        wide::mul_div(value, 1i64 << 32, 10u64.pow(e as u32), round).map_err(|_| PmError::Overflow)?
    } else {
        let scale = 10i64.checked_pow(exponent as u32).ok_or(PmError::Overflow)?;
        value.checked_mul(scale).and_then(|v| v.checked_mul(1i64 << 32)).ok_or(PmError::Overflow)?
    };
    Ok(Price::from_raw(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_normalize_exactly_with_direction() {
        // 65.12345678 with expo -8
        let down = normalize(6_512_345_678, -8, Round::Down).unwrap();
        let up = normalize(6_512_345_678, -8, Round::Up).unwrap();
        let exact = 6_512_345_678i128 << 32;
        assert!((down.raw() as i128) * 100_000_000 <= exact && exact <= (up.raw() as i128) * 100_000_000);
        assert!(up.raw() - down.raw() <= 1);
        assert_eq!(normalize(3, 2, Round::Down).unwrap(), Price::from_int(300).unwrap());
        assert_eq!(normalize(1, 0, Round::Down).unwrap(), Price::ONE);
        assert!(normalize(i64::MAX, 5, Round::Down).is_err());
        assert!(normalize(1, -30, Round::Down).is_err());
    }
}
