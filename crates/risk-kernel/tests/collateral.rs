//! Collateral values with size-based haircuts: the marginal law against its formula and the
//! independent mpmath reference (scripts/reference/gen_haircut_vectors.py ->
//! tests/vectors/haircut.csv), and the properties the risk model promises (depositing more
//! never lowers the value; more debt never lowers what is owed).
mod common;
use common::*;
use proptest::prelude::*;
use risk_kernel::collateral::{self, Collateral, CollateralValue};
use risk_kernel::{Money, Price, Ratio};

fn wbtc(tokens: f64) -> Collateral {
    Collateral {
        amount: (tokens * 1e8).round() as i64,
        decimals: 8,
        price: p(100_000.0),
        conf: Price::ZERO,
        conf_mult: r(1.0),
        maint_haircut: r(0.12),
        init_haircut: r(0.15),
        size_growth: r(0.10),
        size_ref: m(1_000_000.0),
        group: None,
        depeg_shock: Ratio::ZERO,
    }
}

fn value(c: &Collateral) -> CollateralValue {
    collateral::value(c).unwrap()
}

/// integral_0^s (1 - min(1, h0 + g sqrt(x / ref))) dx in closed form (f64).
fn integral(s: f64, h0: f64, g: f64, size_ref: f64) -> f64 {
    if g == 0.0 {
        return s * (1.0 - h0);
    }
    let x_star = size_ref * ((1.0 - h0) / g).powi(2);
    if s >= x_star { x_star * (1.0 - h0) / 3.0 } else { s * (1.0 - h0) - 2.0 / 3.0 * g * s.powf(1.5) / size_ref.sqrt() }
}

/// Kernel value <= formula (never above it), and within `rel` of it.
fn below_and_near(got: Money, want: f64, rel: f64) {
    let got = got.to_f64();
    assert!(got <= want * (1.0 + 1e-15) && got >= want * (1.0 - rel) - 1e-6, "{got} vs formula {want}");
}

/// The numbers (h0 12%, growth 0.1, size_ref 1M, BTC at 100,000): the old law gave
/// 344 BTC 10.1M, 600 BTC 6.3M, 800 BTC 0. Marginally:
/// value = v (1 - h0) - (2/3) g v^{3/2} / sqrt(ref) up to x* = ref ((1 - h0) / g)^2 = 77.44M
/// (774.4 BTC), then x* (1 - h0) / 3 = 22,715,733.33.
#[test]
fn wbtc_haircut_is_marginal_and_monotone() {
    let f = |btc: f64, h0: f64| integral(btc * 100_000.0, h0, 0.10, 1e6);
    let mut last = Money::ZERO;
    for btc in [1.0, 10.0, 100.0, 344.0, 600.0, 774.0, 775.0, 800.0, 1_000.0, 5_000.0] {
        let v = value(&wbtc(btc));
        below_and_near(v.maintenance, f(btc, 0.12), 1e-7);
        below_and_near(v.initial, f(btc, 0.15), 1e-7);
        assert!(v.maintenance >= last, "{btc} BTC lowered the value");
        last = v.maintenance;
    }
    // Written out: 344 BTC = 34.4M: 34.4M x 0.88 - (2/3) 0.1 34.4M^1.5 / 1000.
    let want_344 = 34.4e6 * 0.88 - 2.0 / 3.0 * 0.1 * 34.4e6f64.powf(1.5) / 1000.0;
    below_and_near(value(&wbtc(344.0)).maintenance, want_344, 1e-7);
    assert!((want_344 - 16_821_253.0).abs() < 1.0, "{want_344}");
    // Past x*: flat at x* (1 - h0) / 3.
    let flat = 77.44e6 * 0.88 / 3.0;
    below_and_near(value(&wbtc(800.0)).maintenance, flat, 1e-7);
    below_and_near(value(&wbtc(5_000.0)).maintenance, flat, 1e-7);
}

/// The conservative price scales the integral: value = (c / p) integral_0^{A p}, with the
/// haircut read at market size (c = p - k conf).
#[test]
fn conservative_price_scales_the_marginal_value() {
    let c = Collateral { conf: p(200.0), conf_mult: r(2.0), ..wbtc(300.0) };
    let scale = (100_000.0 - 400.0) / 100_000.0;
    below_and_near(value(&c).maintenance, scale * integral(30e6, 0.12, 0.10, 1e6), 1e-7);
}

/// Without growth the value is exactly the flat haircut's: floor(amount x (p - k conf) x (1 - h0)).
#[test]
fn no_growth_is_the_flat_haircut_bit_for_bit() {
    let c = Collateral { size_growth: Ratio::ZERO, conf: p(3.0), ..wbtc(12.345_678_9) };
    let conservative = collateral::quote_value(c.amount, 8, p(100_000.0 - 3.0), risk_kernel::Round::Down).unwrap();
    let v = value(&c);
    assert_eq!(
        v.maintenance,
        conservative.mul_ratio(Ratio::ONE.sub(r(0.12)).unwrap(), risk_kernel::Round::Down).unwrap()
    );
    assert_eq!(v.initial, conservative.mul_ratio(Ratio::ONE.sub(r(0.15)).unwrap(), risk_kernel::Round::Down).unwrap());
}

/// A liability keeps the haircut of its full size on the whole balance: |v| (1 + h(|v|)) at
/// price + k conf, more than the marginal integral would charge.
#[test]
fn liability_is_charged_at_its_full_size_haircut() {
    let debt = Collateral { conf: p(50.0), ..wbtc(-344.0) };
    let h = 0.12 + 0.10 * (34.4e6f64 / 1e6).sqrt();
    let want = -344.0 * 100_050.0 * (1.0 + h);
    let got = value(&debt).maintenance.to_f64();
    assert!(got <= want && got >= want * (1.0 + 1e-12), "{got} vs {want}");
    // The marginal alternative, -(c / p) integral_0^s (1 + h(x)) dx, would charge less.
    let marginal = -(100_050.0 / 100_000.0) * (34.4e6 * 1.12 + 2.0 / 3.0 * 0.1 * 34.4e6f64.powf(1.5) / 1000.0);
    assert!(got < marginal, "the full-size charge {got} exceeds the marginal one {marginal}");
    // Past the cap the haircut is 100%: twice the debt.
    let big = Collateral { conf: Price::ZERO, ..wbtc(-1_000.0) };
    assert_eq!(value(&big).maintenance.to_f64(), -2.0 * 1e8);
}

struct RefRow {
    c: Collateral,
    want: [i128; 3],
}

fn reference_rows() -> Vec<RefRow> {
    let text = include_str!("vectors/haircut.csv");
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "amount,decimals,price_raw,conf_raw,conf_mult_raw,maint_raw,init_raw,growth_raw,ref_raw,market,maintenance,initial"
    );
    lines
        .map(|l| {
            let f: Vec<i128> = l.split(',').map(|x| x.parse().unwrap()).collect();
            let c = Collateral {
                amount: f[0] as i64,
                decimals: f[1] as u8,
                price: Price::from_raw(f[2] as i64),
                conf: Price::from_raw(f[3] as i64),
                conf_mult: Ratio::from_raw(f[4] as i64),
                maint_haircut: Ratio::from_raw(f[5] as i64),
                init_haircut: Ratio::from_raw(f[6] as i64),
                size_growth: Ratio::from_raw(f[7] as i64),
                size_ref: Money::from_raw(f[8] as i64),
                group: None,
                depeg_shock: Ratio::ZERO,
            };
            RefRow { c, want: [f[9], f[10], f[11]] }
        })
        .collect()
}

/// Against mpmath: the market value is exactly floor(A p) and each haircut value lies at or
/// below the exact value (never in the account's favour), by at most the step law's bound:
/// the kernel takes the haircut constant on each [y^2, (y+1)^2) of Money units at its right
/// end, at most B = g / sqrt(size_ref c / p) (per Money unit) above the continuous law, so it
/// is below by at most V B (V the conservative value in Money units), plus 1e-9 V for B's
/// own rounding and 4 units for the floors; both kinds also carry the conservative price's
/// rounding (k conf rounded up to a Price unit, per token). Liabilities: otherwise exact to
/// 1e-12 relative.
#[test]
fn values_match_the_mpmath_reference() {
    let rows = reference_rows();
    assert!(rows.len() > 2000, "reference vectors missing");
    let (mut worst_rel, mut worst_bound, mut n_growth) = (0f64, 0f64, 0);
    for (i, row) in rows.iter().enumerate() {
        let c = &row.c;
        let v = value(c);
        assert_eq!(v.market.raw() as i128, row.want[0], "row {i}: market");
        for (lvl, (got, want)) in [(v.maintenance, row.want[1]), (v.initial, row.want[2])].into_iter().enumerate() {
            let got = got.raw() as i128;
            assert!(got <= want, "row {i} level {lvl}: kernel {got} above the exact value {want}");
            let gap = (want - got) as f64;
            let (price, conf) = (c.price.to_f64(), c.conf.to_f64() * c.conf_mult.to_f64());
            // k conf rounds up to a Price unit (2^-32 = 2^-8 Money units) per token, x (1 + h) <= 2.
            let band = (c.amount as f64).abs() / 10f64.powi(c.decimals as i32) * 2f64.powi(-8) * 2.0;
            let bound = band
                + if c.amount >= 0 {
                    let cons = (price - conf).max(0.0);
                    let v_units = v.market.raw() as f64 * cons / price;
                    let b = if cons > 0.0 {
                        c.size_growth.to_f64() / (c.size_ref.raw() as f64 * cons / price).sqrt()
                    } else {
                        0.0
                    };
                    v_units * b * 1.000_001 + 1e-9 * v_units + 4.0
                } else {
                    1e-12 * (v.market.raw() as f64).abs() + 4.0
                };
            assert!(gap <= bound, "row {i} level {lvl}: {gap} units below the exact value, bound {bound}");
            if c.size_growth.is_positive() && c.amount > 0 {
                n_growth += 1;
                if v.market.to_f64() >= 1_000.0 {
                    worst_rel = worst_rel.max(gap / v.market.raw() as f64);
                }
                worst_bound = worst_bound.max(gap / bound);
            }
        }
    }
    println!(
        "{} rows, {n_growth} asset values with growth: max (exact - kernel) / market {worst_rel:.3e} (markets >= 1,000), max gap / bound {worst_bound:.4}",
        rows.len()
    );
}

fn asset() -> impl Strategy<Value = Collateral> {
    (
        0.0f64..0.7,
        0.0f64..0.2,
        prop_oneof![Just(0.0), (0.001f64.ln()..2f64.ln()).prop_map(f64::exp)],
        (1e3f64.ln()..1e10f64.ln()).prop_map(f64::exp),
        (0.01f64.ln()..2e5f64.ln()).prop_map(f64::exp),
        0.0f64..0.02,
        0u8..=12,
    )
        .prop_map(|(h0, extra, g, size_ref, price, conf, decimals)| Collateral {
            amount: 0,
            decimals,
            price: p(price),
            conf: p(price * conf),
            conf_mult: r(1.0),
            maint_haircut: r(h0),
            init_haircut: r((h0 + extra).min(1.0)),
            size_growth: r(g),
            size_ref: m(size_ref),
            group: None,
            depeg_shock: Ratio::ZERO,
        })
}

/// Native units for a market value of `size` quote units (clamped to what Money holds).
fn units_for(c: &Collateral, size: f64) -> i64 {
    let tokens = size.min(2e11) / c.price.to_f64();
    (tokens * 10f64.powi(c.decimals as i32)).clamp(0.0, 4e18) as i64
}

/// Where the haircut reaches 1: x* = size_ref ((1 - h0) / g)^2 (market size), or a large size
/// without growth.
fn cap_size(c: &Collateral, h0: Ratio) -> f64 {
    let g = c.size_growth.to_f64();
    if g == 0.0 { 1e9 } else { c.size_ref.to_f64() * ((1.0 - h0.to_f64()) / g).powi(2) }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    /// Depositing more never lowers the value (both levels), anywhere: from any balance to a
    /// larger one, and unit by unit around the size where the haircut reaches 1 (where the
    /// marginal value is smallest and a rounding could tip it); the value stays in
    /// [0, floor(conservative x (1 - h0))].
    #[test]
    fn depositing_more_never_lowers_value(
        c in asset(), frac in (1e-6f64.ln()..4f64.ln()).prop_map(f64::exp), more in 0.0f64..2.0, near in 0.98f64..1.02,
    ) {
        let x_star = cap_size(&c, c.maint_haircut);
        let a1 = units_for(&c, x_star * frac);
        let a2 = units_for(&c, x_star * frac * (1.0 + more)).max(a1);
        let (v1, v2) = (value(&Collateral { amount: a1, ..c }), value(&Collateral { amount: a2, ..c }));
        prop_assert!(v2.maintenance >= v1.maintenance && v2.initial >= v1.initial, "{a1} -> {a2}: {v1:?} {v2:?}");
        for (v, h0) in [(v2.maintenance, c.maint_haircut), (v2.initial, c.init_haircut)] {
            let flat = collateral::value(&Collateral { amount: a2, size_growth: Ratio::ZERO, maint_haircut: h0, ..c }).unwrap();
            prop_assert!(v >= Money::ZERO && v <= flat.maintenance, "{v:?} vs flat {flat:?}");
        }
        let start = units_for(&c, x_star * near);
        let mut last = value(&Collateral { amount: start, ..c });
        for a in start + 1..start + 64 {
            let v = value(&Collateral { amount: a, ..c });
            prop_assert!(v.maintenance >= last.maintenance && v.initial >= last.initial, "unit {a}: {last:?} -> {v:?}");
            last = v;
        }
    }

    /// More debt never lowers what is owed, and a liability is never worth more than
    /// -|conservative| (1 + h0): the size haircut only adds to it.
    #[test]
    fn more_debt_never_lowers_the_charge(
        c in asset(), frac in (1e-6f64.ln()..4f64.ln()).prop_map(f64::exp), more in 0.0f64..2.0,
    ) {
        let x_star = cap_size(&c, c.maint_haircut);
        let a1 = units_for(&c, x_star * frac);
        let a2 = units_for(&c, x_star * frac * (1.0 + more)).max(a1);
        let (v1, v2) = (value(&Collateral { amount: -a1, ..c }), value(&Collateral { amount: -a2, ..c }));
        prop_assert!(v2.maintenance <= v1.maintenance && v2.initial <= v1.initial, "{a1} -> {a2}: {v1:?} {v2:?}");
        let flat = value(&Collateral { amount: -a2, size_growth: Ratio::ZERO, ..c });
        prop_assert!(v2.maintenance <= flat.maintenance && v2.initial <= flat.initial);
        prop_assert!(v2.maintenance <= v2.market && v2.initial <= v2.maintenance);
    }
}
