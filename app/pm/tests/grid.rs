//! `pm risk` and the scenario grid (issue 11 item 6): the default grid is the program's (the
//! regular 14 and the dampened tail ladder), a file may give its own (with tail points as
//! `spot_shock`), validated by the program's rule. Expected values are written as the formula.
mod common;
use common::*;

const ETH: &str = r#"{"name": "ETH", "spot": 3000, "atm_vol": 0.6,
    "maintenance": {"min_range": 0.10, "dynamic": false}, "initial": {"min_range": 0.15, "dynamic": false}}"#;

fn regular() -> Vec<String> {
    let mut pts = vec![];
    for thirds in -3..=3 {
        for vol in [1, -1] {
            pts.push(format!(r#"{{"price_scan": {}, "vol_scan": {vol}}}"#, thirds as f64 / 3.0));
        }
    }
    pts
}

/// One unit of a perpetual long: the default grid's scenarios are the regular 14 and 8 tails
/// (spot -66% .. +500%, weights 0.06 / |move| rounded up to 1e-4); the tails' P&L is
/// S x move, their weighted loss at most 6.06% of notional, so the regular -R (10%) decides.
#[test]
fn default_grid_has_the_tail_ladder() {
    let file = format!(
        r#"{{"underlyings": [{ETH}], "positions": [{{"underlying": "ETH", "type": "perp", "lots": 1,
        "entry_price": 3000}}]}}"#
    );
    let v = risk_ok(&file);
    let g = &v["groups"][0];
    let sc = g["scenarios"].as_array().unwrap();
    assert_eq!(sc.len(), 26);
    let tails = [
        (-0.66, 0.0910),
        (-0.33, 0.1819),
        (0.5, 0.12),
        (1.0, 0.06),
        (2.0, 0.03),
        (3.0, 0.02),
        (4.0, 0.015),
        (5.0, 0.012),
    ];
    for (s, (m, w)) in sc[14..].iter().zip(tails) {
        assert!((f(&s["spot_move"]) - m).abs() < 1e-12, "{s}");
        assert!((f(&s["weight"]) - w).abs() < 1e-12, "{s}");
        assert!((f(&s["pnl"]) - 3000.0 * m).abs() < 1e-4, "{s}");
    }
    assert!((f(&v["maintenance"]) - 300.0).abs() < 1e-6, "{}", v["maintenance"]);
    assert!((g["worst_scenario"]["index"].as_u64().unwrap()) < 14);
    // SPAN's 16 points on request (`extreme_weight`), as before the ladder.
    let span = risk_ok(&file.replacen("{\"underlyings\"", "{\"extreme_weight\": 0.35, \"underlyings\"", 1));
    assert_eq!(span["groups"][0]["scenarios"].as_array().unwrap().len(), 16);
}

/// A file's own grid: the regular 14 plus a -50% tail at vol unchanged, weight 0.2. One short put
/// struck at half the spot: its loss there is 0.2 x (P(1500, 1500, 0.8, T) - P(3000, 1500, 0.8,
/// T)) per unit, with P the Black–Scholes put (rate 0, no look-ahead: horizon 0).
#[test]
fn a_file_grid_with_a_tail_point() {
    let mut pts = regular();
    pts.push(r#"{"price_scan": 0, "vol_scan": 0, "weight": 0.2, "spot_shock": -0.5}"#.into());
    let und = ETH.replace("\"dynamic\": false}", "\"dynamic\": false, \"horizon_days\": 0}");
    let file = format!(
        r#"{{"underlyings": [{und}], "scenarios": [{}], "positions": [{{"underlying": "ETH", "type": "put",
        "strike": 1500, "expiry_years": 0.25, "vol": 0.8, "lots": -1}}]}}"#,
        pts.join(",")
    );
    let v = risk_ok(&file);
    let g = &v["groups"][0];
    assert_eq!(g["scenarios"].as_array().unwrap().len(), 15);
    assert_eq!(g["worst_scenario"]["index"], 14);
    let put = |s: f64| {
        let (k, vol, t) = (1500.0, 0.8, 0.25);
        let sd = vol * f64::sqrt(t);
        let d1 = ((s / k).ln() + vol * vol / 2.0 * t) / sd;
        k * ncdf(-(d1 - sd)) - s * ncdf(-d1)
    };
    let want = 0.2 * (put(1500.0) - put(3000.0));
    assert!((f(&g["maintenance_loss"]) - want).abs() < 1e-4, "{} vs {want}", g["maintenance_loss"]);
}

fn ncdf(x: f64) -> f64 {
    // Abramowitz-Stegun 26.2.17 is too coarse here; the erfc series/continued fraction instead.
    let z = -x / std::f64::consts::SQRT_2;
    let erfc = |x: f64| -> f64 {
        if x.abs() < 3.0 {
            let (mut sum, mut term, mut n) = (0.0, x, 0.0);
            while term.abs() > 1e-20 {
                sum += term / (2.0 * n + 1.0);
                n += 1.0;
                term *= -x * x / n;
            }
            1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum
        } else {
            let y = x.abs();
            let mut fr = 0.0;
            for k in (1..200).rev() {
                fr = (k as f64 / 2.0) / (y + fr);
            }
            let c = (-y * y).exp() / std::f64::consts::PI.sqrt() / (y + fr);
            if x > 0.0 { c } else { 2.0 - c }
        }
    };
    0.5 * erfc(z)
}

/// The program's rule: a grid must keep the 14 regular points at weight 1, and no point twice.
#[test]
fn a_file_grid_is_validated_like_the_program() {
    let file = |pts: &[String]| {
        format!(
            r#"{{"underlyings": [{ETH}], "scenarios": [{}], "positions": [{{"underlying": "ETH", "type": "perp",
            "lots": 1, "entry_price": 3000}}]}}"#,
            pts.join(",")
        )
    };
    let err = |pts: &[String]| {
        let out = risk(&file(pts));
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let mut pts = regular();
    assert!(err(&pts[1..]).contains("14 regular points"), "{}", err(&pts[1..]));
    pts.push(r#"{"price_scan": 0, "vol_scan": 1, "weight": 0.1, "spot_shock": -0.5}"#.into());
    pts.push(r#"{"price_scan": 0, "vol_scan": 1, "weight": 0.3, "spot_shock": -0.5}"#.into());
    assert!(err(&pts).contains("duplicate"), "{}", err(&pts));
    pts.pop();
    pts.push(r#"{"price_scan": 0, "vol_scan": 1, "weight": 0.1, "spot_shock": 12}"#.into());
    assert!(err(&pts).contains("spot_shock"), "{}", err(&pts));
}
