//! Builders for test portfolios, in plain f64 at the edges (converted once, exactly rounded).
#![allow(dead_code)]
use risk_kernel::collateral::Collateral;
use risk_kernel::instrument::{Instrument, InstrumentKind, Market};
use risk_kernel::margin::{Position, Underlying};
use risk_kernel::scenario::ScanParams;
use risk_kernel::vol_scaling::VolScaling;
use risk_kernel::{Money, Price, Ratio};

pub fn r(v: f64) -> Ratio {
    Ratio::from_f64(v).unwrap()
}
pub fn p(v: f64) -> Price {
    Price::from_f64(v).unwrap()
}
pub fn m(v: f64) -> Money {
    Money::from_f64(v).unwrap()
}

pub fn scan(min_range: f64, vol_scan: f64) -> ScanParams {
    ScanParams {
        min_range: r(min_range),
        vol_mult: r(3.0),
        horizon: r(1.0 / 365.0),
        conf_mult: r(1.0),
        vol_scan: r(vol_scan),
        dynamic: true,
        basis_scan: Ratio::ZERO,
        vol_scaling: VolScaling::DEFAULT,
    }
}

pub fn underlying(spot: f64, atm_vol: f64) -> Underlying {
    Underlying {
        market: Market { spot: p(spot), rate: r(0.05), min_vol: r(0.05) },
        conf: p(spot * 0.0005),
        atm_vol: r(atm_vol),
        maintenance: scan(0.08, 0.25),
        initial: scan(0.12, 0.35),
        short_option_min: r(0.01),
    }
}

pub fn option(kind: InstrumentKind, strike: f64, expiry: f64, vol: f64) -> Instrument {
    Instrument {
        kind,
        strike: p(strike),
        expiry: r(expiry),
        vol: r(vol),
        lot_size: r(0.01),
        forward_ratio: Ratio::ZERO,
    }
}

pub fn linear(kind: InstrumentKind, expiry: f64) -> Instrument {
    Instrument {
        kind,
        strike: Price::ZERO,
        expiry: r(expiry),
        vol: Ratio::ZERO,
        lot_size: r(0.01),
        forward_ratio: Ratio::ZERO,
    }
}

pub fn pos(group: u8, instrument: Instrument, lots: i64, entry: f64) -> Position {
    Position { group, instrument, lots, entry_price: p(entry), funding: Money::ZERO }
}

pub fn usdc(amount_usd: f64) -> Collateral {
    Collateral {
        amount: (amount_usd * 1e6) as i64,
        decimals: 6,
        price: p(1.0),
        conf: p(0.0001),
        conf_mult: r(1.0),
        maint_haircut: r(0.02),
        init_haircut: r(0.03),
        size_growth: Ratio::ZERO,
        size_ref: m(1.0),
        group: None,
        depeg_shock: Ratio::ZERO,
    }
}

/// erfc(x) in f64, independent of the kernel: its Taylor series for |x| < 3, a continued
/// fraction beyond (a 1e-13 reference for N(x) and f64 Black–Scholes in tests).
pub fn erfc(x: f64) -> f64 {
    if x.abs() < 3.0 {
        let (mut sum, mut term, mut n) = (0.0, x, 0.0);
        while term.abs() > 1e-20 {
            sum += term / (2.0 * n + 1.0);
            n += 1.0;
            term *= -x * x / n;
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum
    } else if x > 0.0 {
        let mut f = 0.0;
        for k in (1..200).rev() {
            f = (k as f64 / 2.0) / (x + f);
        }
        (-x * x).exp() / std::f64::consts::PI.sqrt() / (x + f)
    } else {
        2.0 - erfc(-x)
    }
}

/// The standard normal CDF from [`erfc`].
pub fn ncdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}
