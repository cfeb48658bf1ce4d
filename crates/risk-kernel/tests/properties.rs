//! Properties of prices and margin that must hold for every input.
mod common;
use common::*;
use proptest::prelude::*;
use risk_kernel::black_scholes::{OptionInputs, OptionKind, greeks, price};
use risk_kernel::instrument::InstrumentKind::{Call, Future, Perpetual, Put};
use risk_kernel::margin::{Portfolio, Position, margin_full};
use risk_kernel::scenario::ScenarioGrid;
use risk_kernel::wide::Round;
use risk_kernel::{Money, Price};

fn inputs(kind: OptionKind, s: f64, k: f64, v: f64, t: f64, rate: f64) -> OptionInputs {
    OptionInputs { kind, spot: p(s), strike: p(s * k), vol: r(v), t: r(t), rate: r(rate) }
}

fn domain() -> impl Strategy<Value = (f64, f64, f64, f64, f64)> {
    (
        (0.1f64.ln()..200_000f64.ln()).prop_map(f64::exp),
        (0.3f64.ln()..3.3f64.ln()).prop_map(f64::exp),
        (0.05f64.ln()..3.0f64.ln()).prop_map(f64::exp),
        ((1.0f64 / 8760.0).ln()..3f64.ln()).prop_map(f64::exp),
        0.0f64..0.10,
    )
}

/// Rounding slack of a two-term price, in units of the last place of Price: 2 roundings per
/// term plus N(x)'s 1e-13 absolute error (twice) scaled by the spot and strike.
fn slack(s: f64, k: f64) -> i64 {
    4 + ((s + k) * 2.0 * 1.1e-13 * 2f64.powi(32)).ceil() as i64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// C - P = S - K e^{-rT}, to the rounding slack above.
    #[test]
    fn put_call_parity((s, k, v, t, rate) in domain()) {
        let c = greeks(&inputs(OptionKind::Call, s, k, v, t, rate)).unwrap();
        let q = greeks(&inputs(OptionKind::Put, s, k, v, t, rate)).unwrap();
        let inp = inputs(OptionKind::Call, s, k, v, t, rate);
        let disc = risk_kernel::math::exp(inp.rate.mul_ratio(inp.t, Round::Down).unwrap().neg().unwrap()).unwrap();
        let kd = inp.strike.mul_ratio(disc, Round::Down).unwrap();
        let lhs = c.price.raw() - q.price.raw();
        let rhs = inp.spot.raw() - kd.raw();
        prop_assert!((lhs - rhs).abs() <= slack(s, s * k), "C-P={lhs} S-KD={rhs}");
        // delta_call - delta_put = 1, gamma and vega equal
        prop_assert_eq!(c.delta.raw() - q.delta.raw(), 1i64 << 48);
        prop_assert_eq!(c.gamma, q.gamma);
        prop_assert_eq!(c.vega, q.vega);
    }

    /// Calls rise with spot, puts fall; both rise with vol, to the rounding slack above.
    #[test]
    fn monotone_in_spot_and_vol((s, k, v, t, rate) in domain(), bump in 1.0001f64..1.5) {
        for kind in [OptionKind::Call, OptionKind::Put] {
            let base = inputs(kind, s, k, v, t, rate);
            let up_spot = OptionInputs { spot: p(s * bump), ..base };
            let up_vol = OptionInputs { vol: r((v * bump).min(3.0)), ..base };
            let (v0, vs, vv) = (price(&base).unwrap(), price(&up_spot).unwrap(), price(&up_vol).unwrap());
            let ulps = |a: Price, b: Price| a.raw() - b.raw();
            let tol = -slack(s * bump, s * k);
            match kind {
                OptionKind::Call => prop_assert!(ulps(vs, v0) >= tol, "{vs:?} < {v0:?}"),
                OptionKind::Put => prop_assert!(ulps(v0, vs) >= tol, "{vs:?} > {v0:?}"),
            }
            prop_assert!(ulps(vv, v0) >= tol, "vol up: {vv:?} < {v0:?}");
        }
    }

    /// A position plus its exact offset: zero P&L in every scenario, zero mark, zero Greeks.
    #[test]
    fn exact_offset_has_zero_risk(kind in 0usize..4, k in 0.5f64..2.0, t in 0.01f64..2.0, lots in 1i64..100_000) {
        let inst = [option(Call, 3000.0 * k, t, 0.7), option(Put, 3000.0 * k, t, 0.7), linear(Future, t), linear(Perpetual, 0.0)][kind];
        let und = [underlying(3000.0, 0.7)];
        let grid = ScenarioGrid::span16(r(0.35)).unwrap();
        let positions = [pos(0, inst, lots, 3000.0), pos(0, inst, -lots, 3000.0)];
        let pf = Portfolio { underlyings: &und, positions: &positions, collateral: &[], grid: &grid, spread_credits: &[] };
        let rep = margin_full(&pf).unwrap();
        let g = &rep.groups()[0];
        prop_assert!(g.maintenance.pnl.iter().chain(g.initial.pnl.iter()).all(|v| *v == Money::ZERO));
        prop_assert_eq!(g.maintenance.loss, Money::ZERO);
        prop_assert_eq!(g.initial.loss, Money::ZERO);
        prop_assert_eq!(rep.equity, Money::ZERO);
        prop_assert_eq!(g.greeks.delta, 0);
    }

    /// Offsetting a fraction of every position (netted, so lots shrink toward zero) never
    /// raises maintenance or initial margin: scenario P&L is linear in lots.
    #[test]
    fn offsetting_hedge_never_raises_margin(
        lots in proptest::collection::vec(-500i64..500, 6),
        k in 0.6f64..1.6, t in 0.02f64..1.0, vol in 0.2f64..1.5, tenths in 1i64..=10,
    ) {
        let und = [underlying(3000.0, vol), underlying(60000.0, 0.6)];
        let grid = ScenarioGrid::span16(r(0.35)).unwrap();
        let insts = [
            (0, option(Call, 3000.0 * k, t, vol)), (0, option(Put, 3000.0 / k, t, vol)), (0, linear(Future, t)),
            (1, linear(Perpetual, 0.0)), (1, option(Call, 60000.0, t, 0.6)), (1, option(Put, 55000.0, t, 0.6)),
        ];
        let book = |scale: i64| -> Vec<Position> {
            insts.iter().zip(&lots).map(|(&(g, i), &l)| pos(g, i, l * scale, if g == 0 { 3000.0 } else { 60000.0 })).collect()
        };
        let full = book(10);
        let hedged = book(10 - tenths); // the book plus -tenths/10 of itself
        let cash = [usdc(1e7)];
        let pf = |positions: &[Position]| margin_full(&Portfolio { underlyings: &und, positions, collateral: &cash, grid: &grid, spread_credits: &[] }).unwrap();
        let (before, after) = (pf(&full), pf(&hedged));
        prop_assert!(after.maintenance <= before.maintenance, "MM {:?} -> {:?}", before.maintenance, after.maintenance);
        prop_assert!(after.initial <= before.initial, "IM {:?} -> {:?}", before.initial, after.initial);
    }

    /// Requirements are never below zero and initial never below maintenance.
    #[test]
    fn initial_at_least_maintenance(lots in -5000i64..5000, k in 0.5f64..2.0) {
        prop_assume!(lots != 0);
        let und = [underlying(60000.0, 0.6)];
        let grid = ScenarioGrid::span16(r(0.35)).unwrap();
        let positions = [pos(0, option(Call, 60000.0 * k, 0.25, 0.6), lots, 0.0), pos(0, linear(Perpetual, 0.0), -lots / 2, 60000.0)];
        let rep = margin_full(&Portfolio { underlyings: &und, positions: &positions, collateral: &[usdc(1e6)], grid: &grid, spread_credits: &[] }).unwrap();
        prop_assert!(rep.maintenance >= Money::ZERO);
        prop_assert!(rep.initial >= rep.maintenance);
    }
}

#[test]
fn zero_price_is_not_an_option_price() {
    let mut inp = inputs(OptionKind::Call, 100.0, 1.0, 0.5, 0.5, 0.01);
    inp.spot = Price::ZERO;
    assert!(greeks(&inp).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5_000))]

    /// Collateral rounds against the account: an asset's market value is exactly
    /// floor(amount x price / 10^decimals); after a haircut h an asset is worth at most
    /// market x (1 - h) and a liability at least |market| x (1 + h).
    #[test]
    fn collateral_rounds_against_the_account(
        amount in -(1i64 << 30)..(1i64 << 30), price_raw in 1i64..(1i64 << 38), decimals in 0u8..=12, h in 0.0f64..0.5,
    ) {
        let exact = amount as i128 * price_raw as i128;
        let d = 10i128.pow(decimals as u32) << 8; // Price (Q32) -> Money (Q24)
        prop_assume!(exact.div_euclid(d).abs() < 1 << 60);
        let c = risk_kernel::collateral::Collateral {
            amount, decimals, price: Price::from_raw(price_raw), conf: Price::ZERO,
            maint_haircut: r(h), init_haircut: r(h), ..usdc(0.0)
        };
        let v = risk_kernel::collateral::value(&c).unwrap();
        let market = v.market.raw() as i128;
        prop_assert_eq!(market, exact.div_euclid(d));
        let (one, hq) = (1i128 << 48, r(h).raw() as i128);
        let factor = if amount >= 0 { one - hq } else { one + hq };
        prop_assert!((v.maintenance.raw() as i128) * one <= market * factor);
        prop_assert!(v.initial <= v.maintenance);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// A mapped balance's depeg shock is a charge, never a gain: with the shock, every scenario
    /// P&L of its group is at most what it is without (assets and liabilities, both levels), so
    /// the group's loss never falls; at an unchanged spot the P&L is never positive.
    #[test]
    fn depeg_charge_is_never_a_gain(
        tokens in -1e6f64..1e6, depeg in 0.0f64..1.0, spot in 1.0f64..1e5, vol in 0.1f64..2.0,
    ) {
        let und = [underlying(spot, vol)];
        let grid = ScenarioGrid::span16(r(0.35)).unwrap();
        let run = |d: f64| {
            let c = risk_kernel::collateral::Collateral {
                amount: (tokens * 1e6) as i64, price: p(spot), conf: Price::ZERO, group: Some(0), depeg_shock: r(d), ..usdc(0.0)
            };
            margin_full(&Portfolio { underlyings: &und, positions: &[], collateral: &[c], grid: &grid, spread_credits: &[] }).unwrap()
        };
        let (with, without) = (run(depeg), run(0.0));
        let (g, g0) = (&with.groups()[0], &without.groups()[0]);
        for (a, b) in g.maintenance.pnl.iter().zip(&g0.maintenance.pnl).chain(g.initial.pnl.iter().zip(&g0.initial.pnl)) {
            prop_assert!(a <= b, "{a:?} > {b:?} without the depeg");
        }
        prop_assert!(g.maintenance.loss >= g0.maintenance.loss && g.initial.loss >= g0.initial.loss);
        prop_assert!(!g.maintenance.pnl[6].is_positive(), "unchanged spot: {:?}", g.maintenance.pnl[6]);
        prop_assert!(with.maintenance >= without.maintenance && with.initial >= without.initial);
    }

    /// Scan parameters that pass `validate_levels` give an initial range at least the
    /// maintenance range in every market.
    #[test]
    fn validated_levels_give_initial_range_at_least_maintenance(
        mm in (0.0f64..0.3, 0.0f64..6.0, 0.1f64..5.0, 0.0f64..3.0, 0.0f64..0.6, any::<bool>()),
        up in (0.0f64..0.1, 0.0f64..2.0, 0.0f64..2.0, 0.0f64..1.0, 0.0f64..0.2, any::<bool>()),
        spot in 1.0f64..1e5, conf in 0.0f64..0.02, atm in 0.05f64..3.0,
    ) {
        use risk_kernel::scenario::{ScanParams, scan_range, validate_levels};
        let m = ScanParams { min_range: r(mm.0), vol_mult: r(mm.1), horizon: r(mm.2 / 365.0), conf_mult: r(mm.3), vol_scan: r(mm.4), dynamic: mm.5, basis_scan: r(mm.4 / 4.0), vol_scaling: risk_kernel::vol_scaling::VolScaling::DEFAULT };
        let i = ScanParams {
            min_range: r(mm.0 + up.0), vol_mult: r(mm.1 + up.1), horizon: r((mm.2 + up.2) / 365.0),
            conf_mult: r(mm.3 + up.3), vol_scan: r(mm.4 + up.4), dynamic: mm.5 || up.5,
            basis_scan: r((mm.4 + up.4) / 4.0),
            vol_scaling: risk_kernel::vol_scaling::VolScaling::DEFAULT,
        };
        prop_assert_eq!(validate_levels(&m, &i), Ok(()));
        let range = |s: &ScanParams| scan_range(s, p(spot), p(spot * conf), r(atm)).unwrap();
        prop_assert!(range(&i) >= range(&m));
    }
}
