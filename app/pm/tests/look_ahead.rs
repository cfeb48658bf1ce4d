//! `pm risk` with the look-ahead, expiry-scaled vol shocks and twist points (issue 11 items 2
//! and 5): the optional fields, their defaults and IM >= MM rules, and a twist point declared in
//! a custom grid.
mod common;
use common::*;

/// The defaults written out equal the defaults left out.
#[test]
fn vol_scaling_defaults_are_deribits() {
    let base = r#"{"underlyings": [{"name": "BTC", "spot": 100000, "atm_vol": 0.6 EXTRA}],
        "positions": [{"underlying": "BTC", "type": "call", "strike": 100000, "expiry_years": 0.0192, "vol": 0.6, "lots": -3},
                      {"underlying": "BTC", "type": "call", "strike": 100000, "expiry_years": 0.2466, "vol": 0.55, "lots": 1}]}"#;
    let implicit = risk_ok(&base.replace("EXTRA", ""));
    let level = r#"{"vol_p_short": 0.3, "vol_p_long": 0.13, "vol_scale_cap": 4, "vol_scale_floor": 0.5}"#;
    let explicit = risk_ok(
        &base.replace("EXTRA", &format!(r#", "vol_t_ref_days": 30, "maintenance": {level}, "initial": {level}"#)),
    );
    assert_eq!(implicit, explicit);
    // Scaling off (p = 0, cap = floor = 1): a different (parallel-shift) margin.
    let flat = r#"{"vol_p_short": 0, "vol_p_long": 0, "vol_scale_cap": 1, "vol_scale_floor": 1}"#;
    let off = risk_ok(&base.replace("EXTRA", &format!(r#", "maintenance": {flat}, "initial": {flat}"#)));
    assert_ne!(f(&implicit["maintenance"]), f(&off["maintenance"]));
}

/// An initial scale below the maintenance one at some expiry is refused, naming the parameter.
#[test]
fn initial_vol_scale_below_maintenance_is_refused() {
    for (initial, name) in [
        (r#"{"vol_p_short": 0.2}"#, "p_short"),
        (r#"{"vol_p_long": 0.2}"#, "p_long"),
        (r#"{"vol_scale_cap": 3}"#, "cap"),
        (r#"{"vol_scale_floor": 0.4}"#, "floor"),
    ] {
        let json =
            format!(r#"{{"underlyings": [{{"name": "ETH", "spot": 3000, "atm_vol": 0.6, "initial": {initial}}}]}}"#);
        let out = risk(&json);
        assert_eq!(out.status.code(), Some(2), "{initial}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("underlyings[0]") && err.contains(name) && err.contains("maintenance"), "{err}");
    }
    let out = risk(r#"{"underlyings": [{"name": "ETH", "spot": 3000, "atm_vol": 0.6, "vol_t_ref_days": 0}]}"#);
    assert_eq!(out.status.code(), Some(2));
}

/// A long 1-day straddle: its maintenance requirement is its whole value (it is worth nothing
/// a day later at an unchanged spot), which equity counts.
#[test]
fn one_day_straddle_maintenance_is_its_value() {
    let r = risk_ok(
        r#"{"underlyings": [{"name": "ETH", "spot": 3000, "atm_vol": 0.65, "rate": 0.05}],
        "positions": [{"underlying": "ETH", "type": "call", "strike": 3000, "expiry_years": 0.0027397260273972603, "vol": 0.65, "lots": 1},
                      {"underlying": "ETH", "type": "put", "strike": 3000, "expiry_years": 0.0027397260273972603, "vol": 0.65, "lots": 1}]}"#,
    );
    let (equity, mm) = (f(&r["equity"]), f(&r["maintenance"]));
    assert!(equity > 80.0 && (mm - equity).abs() < 1e-6 * equity, "equity {equity}, maintenance {mm}");
}

/// Twist points are declared in a custom grid (`vol_twist`, a multiple of V); `pm` reports each
/// point's twist move (vol_twist x V) and a calendar's loss rises with them.
#[test]
fn twist_points_in_a_custom_grid() {
    let mut regular = Vec::new();
    for k in -3..=3 {
        for v in [1, -1] {
            regular.push(format!(r#"{{"price_scan": {}, "vol_scan": {v}}}"#, k as f64 / 3.0));
        }
    }
    let mut twisted = regular.clone();
    for ps in [-1, 0, 1] {
        for tw in [1, -1] {
            twisted.push(format!(r#"{{"price_scan": {ps}, "vol_scan": 0, "vol_twist": {tw}}}"#));
        }
    }
    let book = |grid: &[String]| {
        format!(
            r#"{{"underlyings": [{{"name": "BTC", "spot": 100000, "conf": 50, "atm_vol": 0.6, "rate": 0.05}}],
            "positions": [{{"underlying": "BTC", "type": "call", "strike": 100000, "expiry_years": 0.019178082191780823, "vol": 0.6, "lots": -3}},
                          {{"underlying": "BTC", "type": "call", "strike": 100000, "expiry_years": 0.2465753424657534, "vol": 0.55, "lots": 1}}],
            "scenarios": [{}]}}"#,
            grid.join(", ")
        )
    };
    let plain = risk_ok(&book(&regular));
    let twist = risk_ok(&book(&twisted));
    let g = &twist["groups"][0];
    let scen = g["scenarios"].as_array().unwrap();
    assert_eq!(scen.len(), 20);
    assert_eq!(f(&scen[14]["twist_move"]), 0.25);
    assert_eq!(f(&scen[15]["twist_move"]), -0.25);
    assert_eq!(f(&scen[0]["twist_move"]), 0.0);
    assert!(g["worst_scenario"]["index"].as_u64().unwrap() >= 14, "{}", g["worst_scenario"]);
    let (before, after) = (f(&plain["maintenance"]), f(&twist["maintenance"]));
    println!("calendar maintenance: regular grid {before:.2}, with twist points {after:.2}");
    assert!(after > 1.1 * before);
}
