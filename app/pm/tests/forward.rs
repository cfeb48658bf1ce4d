//! `pm risk` with a future's published forward and a grid with basis points (issue 11 item 4).
//! Expected values are written as the formula.
mod common;
use common::*;

const BTC: &str = r#"{"name": "BTC", "spot": 100000, "atm_vol": 0.6, "rate": 0.05,
    "maintenance": {"min_range": 0.08, "dynamic": false}, "initial": {"min_range": 0.12, "dynamic": false}}"#;

/// The issue's example: 10 BTC of a 1-year future sold at 115,000 (a 15% basis), r = 5%. Without
/// a forward it is marked at S e^{rT}: +10 x (115,000 - 100,000 e^{0.05}) = +98.7k of equity at
/// once; with its forward in the file (115,000) it is marked there: no equity.
#[test]
fn future_with_a_forward_is_marked_at_it() {
    let file = |fwd: &str| {
        format!(
            r#"{{"underlyings": [{BTC}], "positions": [{{"underlying": "BTC", "type": "future",
            "expiry_years": 1, "lots": -10, "entry_price": 115000 {fwd}}}]}}"#
        )
    };
    let carry = risk_ok(&file(""));
    let want = 10.0 * (115_000.0 - 100_000.0 * 0.05f64.exp());
    assert!((f(&carry["equity"]) - want).abs() < 1e-3, "{} vs {want}", carry["equity"]);
    let fwd = risk_ok(&file(r#", "forward": 115000"#));
    assert!(f(&fwd["equity"]).abs() < 0.01, "{}", fwd["equity"]);
    // Short 10 at delta F/S = 1.15: the +R price scan, 10 x 100,000 x 1.15 x 8%.
    assert!((f(&fwd["maintenance"]) - 10.0 * 100_000.0 * 1.15 * 0.08).abs() < 1e-3);
}

/// Long 10 perpetual / short 10 one-year futures at a 5% basis, on the 14 regular points plus
/// the two basis points of a custom grid: maintenance is the basis move 10 x S x B x T with the
/// default B = 5% (initial 7.5%), against 10 x S x R x 5% = 4k without the basis points.
#[test]
fn basis_points_charge_the_calendar_spread() {
    let mut pts = vec![];
    for thirds in -3..=3 {
        for vol in [1, -1] {
            pts.push(format!(r#"{{"price_scan": {}, "vol_scan": {vol}}}"#, thirds as f64 / 3.0));
        }
    }
    let regular = pts.join(",");
    let basis =
        r#"{"price_scan": 0, "vol_scan": 0, "basis_scan": 1}, {"price_scan": 0, "vol_scan": 0, "basis_scan": -1}"#;
    let file = |grid: &str| {
        format!(
            r#"{{"underlyings": [{BTC}], "scenarios": [{grid}], "positions": [
            {{"underlying": "BTC", "type": "perp", "lots": 10, "entry_price": 100000}},
            {{"underlying": "BTC", "type": "future", "expiry_years": 1, "lots": -10, "entry_price": 105000,
              "forward": 105000}}]}}"#
        )
    };
    let without = risk_ok(&file(&regular));
    let want = 10.0 * 100_000.0 * 0.08 * 0.05;
    assert!((f(&without["maintenance"]) - want).abs() < 1e-2, "{} vs {want}", without["maintenance"]);
    let with = risk_ok(&file(&format!("{regular}, {basis}")));
    assert!((f(&with["maintenance"]) - 10.0 * 100_000.0 * 0.05).abs() < 1e-2, "{}", with["maintenance"]);
    assert!((f(&with["initial"]) - 10.0 * 100_000.0 * 0.075).abs() < 1e-2, "{}", with["initial"]);
    let g = &with["groups"][0];
    assert_eq!(g["worst_scenario"]["index"], 14);
    assert!((f(&g["worst_scenario"]["basis_move"]) - 0.05).abs() < 1e-12);
    assert!((f(&g["initial"]["worst_scenario"]["basis_move"]) - 0.075).abs() < 1e-12);
    // A basis scan of its own per level (initial >= maintenance).
    let own = file(&format!("{regular}, {basis}"))
        .replace(r#""dynamic": false}, "initial""#, r#""dynamic": false, "basis_scan": 0.02}, "initial""#);
    assert!((f(&risk_ok(&own)["maintenance"]) - 10.0 * 100_000.0 * 0.02).abs() < 1e-2);
}

/// A forward beyond max_basis x (T + 1 day) over spot, a forward on a perpetual, and an initial
/// basis scan below maintenance's are refused with the field named, exit 2.
#[test]
fn bad_forwards_are_refused() {
    let pos = |kind: &str, fwd: f64| {
        format!(
            r#"{{"underlyings": [{BTC}], "positions": [{{"underlying": "BTC", "type": "{kind}",
            "expiry_years": 0.5, "lots": 1, "entry_price": 100000, "forward": {fwd}}}]}}"#
        )
    };
    // Default max_basis 0.5: at T = 0.5 the bound is 0.5 x (0.5 + 1/365) = 0.2514.
    assert!(risk(&pos("future", 125_000.0)).status.success());
    for (json, what) in [
        (pos("future", 125_200.0), "positions[0].forward"),
        (pos("future", 74_800.0), "positions[0].forward"),
        (pos("perp", 100_000.0), "only futures have a forward"),
        (pos("future", 0.0), "must be > 0"),
        (
            pos("future", 100_000.0).replace(r#""dynamic": false}}"#, r#""dynamic": false, "basis_scan": 0.01}}"#),
            "initial basis_scan must be >= maintenance basis_scan",
        ),
    ] {
        let out = risk(&json);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{json}: {err}");
        assert!(err.contains(what), "{err}");
    }
}
