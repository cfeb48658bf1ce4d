//! Exact decimal amounts: "0.0045" at 8 decimals is 450,000 units, not the 449,999 a binary
//! float (0.0045 = 0.00449999999999999966...) truncates to. No f64 anywhere on this path.

/// A decimal number as written (a JSON number or a JSON string: `0.0045`, `"-1.5"`, `2.5e-3`)
/// as an exact, signed count of 10^-decimals units. Refused, with the reason: text that is
/// not a decimal number, a value with a non-zero digit beyond `decimals` places (it is not a
/// whole number of units), and a count that does not fit an i64.
pub fn units(text: &str, decimals: u8) -> Result<i64, String> {
    let t = text.trim();
    let t = match t.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => inner.trim(),
        None => t,
    };
    let bad = || format!("{t:?} is not a decimal number");
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => {
            let e: i32 = body[i + 1..].parse().map_err(|_| bad())?;
            (&body[..i], e)
        }
        None => (body, 0),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) if !f.is_empty() => (i, f),
        Some(_) => return Err(bad()),
        None => (mantissa, ""),
    };
    let digit_str = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digit_str(int) || !digit_str(frac) {
        return Err(bad());
    }
    // value = digits x 10^(exp - len(frac)); in units: x 10^(that + decimals).
    let digits = format!("{int}{frac}");
    let shift = exp as i64 - frac.len() as i64 + decimals as i64;
    let digits = digits.trim_start_matches('0');
    let too_big = || format!("{t} does not fit a token balance ({} units max at {decimals} decimals)", i64::MAX);
    if !digits.is_empty() && shift > 19 {
        return Err(too_big()); // >= 10^20 units
    }
    let (kept, dropped) = if shift >= 0 {
        (digits, "")
    } else {
        let cut = digits.len().saturating_sub(shift.unsigned_abs().min(usize::MAX as u64) as usize);
        digits.split_at(cut)
    };
    if dropped.bytes().any(|b| b != b'0') {
        return Err(format!(
            "{t} has more decimal places than the token's {decimals} (its smallest unit is 10^-{decimals}): not a whole number of units"
        ));
    }
    let mut n: u128 = 0;
    for b in kept.bytes() {
        n = n.checked_mul(10).and_then(|n| n.checked_add((b - b'0') as u128)).ok_or_else(too_big)?;
    }
    for _ in 0..shift.max(0) {
        if n == 0 {
            break;
        }
        n = n.checked_mul(10).ok_or_else(too_big)?;
    }
    let n = i64::try_from(n).map_err(|_| too_big())?;
    Ok(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::units;

    #[test]
    fn exact_units() {
        // The case: 0.0045 at 8 decimals through f64 gave 449,999.
        assert_eq!(units("0.0045", 8), Ok(450_000));
        assert_eq!((0.0045f64 * 1e8).floor() as i64, 449_999, "what f64 did");
        assert_eq!(units("\"0.0045\"", 8), Ok(450_000));
        assert_eq!(units("25000", 6), Ok(25_000_000_000));
        assert_eq!(units("-1.5", 9), Ok(-1_500_000_000));
        assert_eq!(units("100", 9), Ok(100_000_000_000));
        assert_eq!(units("0.1", 1), Ok(1));
        assert_eq!(units("0.30000000", 1), Ok(3), "trailing zeros are exact");
        assert_eq!(units("2.5e-3", 6), Ok(2_500));
        assert_eq!(units("4.5E3", 0), Ok(4_500));
        assert_eq!(units("1e-8", 8), Ok(1));
        assert_eq!(units("0", 16), Ok(0));
        assert_eq!(units("-0.0", 2), Ok(0));
        assert_eq!(units("0e400", 0), Ok(0));
        assert_eq!(units("000123.4500", 2), Ok(12_345));
        assert_eq!(units("9223372036854775807", 0), Ok(i64::MAX));
        assert_eq!(units("-922.3372036854775807", 16), Ok(-i64::MAX));
        // 0.1 + 0.2 style: every decimal digit survives.
        assert_eq!(units("1234567.123456789", 9), Ok(1_234_567_123_456_789));
    }

    #[test]
    fn refused_with_the_reason() {
        let err = |t: &str, d: u8| units(t, d).unwrap_err();
        assert!(err("0.123456789", 8).contains("more decimal places than the token's 8"), "{}", err("0.123456789", 8));
        assert!(err("1e-9", 8).contains("more decimal places"));
        assert!(err("0.5", 0).contains("more decimal places"));
        assert!(err("9223372036854775808", 0).contains("does not fit"));
        assert!(err("1e19", 0).contains("does not fit"));
        assert!(err("1000000000000", 8).contains("does not fit"));
        assert!(err("1e999", 0).contains("does not fit"));
        assert!(err("1e-999", 8).contains("more decimal places"));
        assert_eq!(units("0e999", 0), Ok(0));
        for bad in
            ["", "-", "abc", "1.", ".5", "1.2.3", "1e", "1e+", "0x10", "1_000", "--1", "1e99999999999", "\"1\"x", "NaN"]
        {
            assert!(err(bad, 6).contains("is not a decimal number"), "{bad}: {}", err(bad, 6));
        }
    }
}
