//! `pm risk` and perpetual funding: a perp position's accrued `funding` (quote units, < 0 owed)
//! counts in equity one for one, moves no scenario, and is shown per position.
use std::process::Command;

fn risk(json: &str, tag: &str) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("pm-funding-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("p.json");
    std::fs::write(&f, json).unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_pm")).args(["risk", "--portfolio", f.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn portfolio(funding: Option<f64>) -> String {
    let f = funding.map(|v| format!(r#", "funding": {v}"#)).unwrap_or_default();
    format!(
        r#"{{"underlyings": [{{"name": "SOL", "spot": 150, "atm_vol": 0.8}}],
  "positions": [
    {{"underlying": "SOL", "type": "call", "strike": 160, "expiry_years": 0.1, "vol": 0.8, "lots": 3}},
    {{"underlying": "SOL", "type": "perp", "lots": -20, "entry_price": 150{f}}}
  ],
  "collateral": [{{"name": "USDC", "amount": 10000, "decimals": 6, "price": 1}}]}}"#
    )
}

#[test]
fn accrued_funding_counts_in_equity_and_is_shown_per_perp_position() {
    let none = risk(&portfolio(None), "none");
    let owed = risk(&portfolio(Some(-37.25)), "owed");
    let recv = risk(&portfolio(Some(12.5)), "recv");
    let eq = |v: &serde_json::Value| v["equity"].as_f64().unwrap();
    // Exactly representable amounts: equity moves by the funding, to the Money unit (2^-24).
    assert!((eq(&owed) - (eq(&none) - 37.25)).abs() < 1e-7, "{} vs {}", eq(&owed), eq(&none));
    assert!((eq(&recv) - (eq(&none) + 12.5)).abs() < 1e-7);
    for k in ["maintenance", "initial"] {
        assert_eq!(owed[k], none[k], "funding is cash: it moves no scenario ({k})");
    }
    // Shown per perp position (its index in `positions`), 0 by default.
    assert_eq!(none["funding"], serde_json::json!([{"position": 1, "funding": 0.0}]));
    assert_eq!(owed["funding"][0]["position"], 1);
    assert!((owed["funding"][0]["funding"].as_f64().unwrap() + 37.25).abs() < 1e-7);
}
