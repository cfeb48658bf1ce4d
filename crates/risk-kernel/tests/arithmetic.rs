//! The 64-bit-limb routines against native i128 (host only) and the `fixed` crate.
use fixed::types::I16F48;
use proptest::prelude::*;
use risk_kernel::wide::{self, Round};
use risk_kernel::{KernelError, Ratio};

fn ref_mul_shr(a: i64, b: i64, s: u32, r: Round) -> Option<i64> {
    let p = a as i128 * b as i128;
    let q = match r {
        Round::Down => p >> s,
        Round::Up => -((-p) >> s),
    };
    i64::try_from(q).ok()
}

fn ref_div_shl(a: i64, b: i64, s: u32, r: Round) -> Option<i64> {
    let n = (a as i128) << s;
    let (q, rem) = (n / b as i128, n % b as i128);
    let q = if rem != 0 && ((rem < 0) != (b < 0)) == (r == Round::Down) {
        if r == Round::Down { q - 1 } else { q + 1 }
    } else {
        q
    };
    i64::try_from(q).ok()
}

fn any_i64() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), (any::<i64>(), 0u32..63).prop_map(|(v, s)| v >> s)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]
    #[test]
    fn mul_shr_matches_i128(a in any_i64(), b in any_i64(), s in 0u32..127, up in any::<bool>()) {
        let r = if up { Round::Up } else { Round::Down };
        prop_assert_eq!(wide::mul_shr(a, b, s, r).ok(), ref_mul_shr(a, b, s, r));
    }

    #[test]
    fn div_shl_matches_i128(a in any_i64(), b in any_i64(), s in 0u32..63, up in any::<bool>()) {
        prop_assume!(b != 0);
        let r = if up { Round::Up } else { Round::Down };
        prop_assert_eq!(wide::div_shl(a, b, s, r).ok(), ref_div_shl(a, b, s, r));
    }

    #[test]
    fn mul_div_matches_i128(a in any_i64(), b in any_i64(), d in 1u64..u64::MAX, up in any::<bool>()) {
        let r = if up { Round::Up } else { Round::Down };
        let p = a as i128 * b as i128;
        let d128 = d as i128;
        let q = p.div_euclid(d128);
        let want = if up && p.rem_euclid(d128) != 0 { q + 1 } else { q };
        prop_assert_eq!(wide::mul_div(a, b, d, r).ok(), i64::try_from(want).ok());
    }

    #[test]
    fn lots_mul_is_exact(lots in -(1i64 << 31) + 1..(1i64 << 31), x in any::<i64>()) {
        prop_assert_eq!(wide::lots_mul(lots, x), lots as i128 * x as i128);
    }

    /// Q16.48 multiply agrees with the independent `fixed` crate (I16F48 rounds down too).
    #[test]
    fn ratio_mul_matches_fixed_crate(a in any::<i64>(), b in any::<i64>()) {
        let ours = Ratio::from_raw(a).mul_ratio(Ratio::from_raw(b), Round::Down).map(|v| v.raw());
        let theirs = I16F48::from_bits(a).checked_mul(I16F48::from_bits(b)).map(|v| v.to_bits());
        prop_assert_eq!(ours.ok(), theirs);
    }
}

#[test]
fn errors_not_panics() {
    assert_eq!(wide::div_shl(1, 0, 10, Round::Down), Err(KernelError::DivisionByZero));
    assert_eq!(wide::mul_shr(i64::MAX, i64::MAX, 0, Round::Down), Err(KernelError::Overflow));
    assert_eq!(wide::div_shl(i64::MIN, -1, 0, Round::Down), Err(KernelError::Overflow));
    assert_eq!(Ratio::from_int(40_000), Err(KernelError::Overflow));
    assert_eq!(Ratio::MAX.add(Ratio::ONE), Err(KernelError::Overflow));
}
