//! `pm` end to end: the binary, its stdin/stdout/exit-status contract.
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn pm(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pm"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn greeks_answers_every_line_in_order() {
    let input = r#"{"id": 1, "type": "call", "spot": 100, "strike": 100, "vol": 0.2, "t": 1, "rate": 0.05}
{"id": "b", "type": "put", "spot": 100, "strike": 100, "vol": 0.2, "t": 1, "rate": 0.05}
"#;
    let out = pm(&["greeks"], input);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v = lines(&out);
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["id"], 1);
    assert_eq!(v[1]["id"], "b");
    // Textbook values: C = 10.4506, P = 5.5735, delta_C = 0.6368, vega = 37.524
    let near = |x: &serde_json::Value, want: f64| (x.as_f64().unwrap() - want).abs() < 1e-3;
    assert!(near(&v[0]["price"], 10.4506), "{}", v[0]);
    assert!(near(&v[1]["price"], 5.5735), "{}", v[1]);
    assert!(near(&v[0]["delta"], 0.6368) && near(&v[0]["vega"], 37.5240), "{}", v[0]);
    assert!(near(&v[0]["gamma"], 0.018762), "{}", v[0]);
}

#[test]
fn greeks_bad_lines_get_errors_and_exit_1() {
    let input = r#"{"id": 7, "type": "call", "spot": -5, "strike": 100, "vol": 0.2, "t": 1, "rate": 0.05}
not json
{"id": [1], "type": "straddle", "spot": 1, "strike": 1, "vol": 0.2, "t": 1, "rate": 0}
{"id": 9, "type": "put", "strike": 1, "vol": 0.2, "t": 1, "rate": 0}
{"id": 10, "type": "put", "spot": 1, "strike": 1, "vol": 0.2, "t": 1, "rate": 0}
"#;
    let out = pm(&["greeks"], input);
    assert_eq!(out.status.code(), Some(1));
    let v = lines(&out);
    assert_eq!(v.len(), 5);
    assert_eq!(v[0]["id"], 7);
    assert!(v[0]["error"].as_str().unwrap().contains("spot"), "{}", v[0]);
    assert!(v[1]["id"].is_null() && v[1]["error"].as_str().unwrap().contains("invalid JSON"));
    assert_eq!(v[2]["id"], serde_json::json!([1]));
    assert!(v[2]["error"].as_str().unwrap().contains("type"));
    assert!(v[3]["error"].as_str().unwrap().contains("missing field `spot`"));
    assert!(v[4]["price"].as_f64().unwrap() > 0.0 && v[4].get("error").is_none());
}

#[test]
fn risk_reports_the_example_portfolio() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/portfolio.json");
    let out = pm(&["risk", "--portfolio", path], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (eq, im, mm) =
        (v["equity"].as_f64().unwrap(), v["initial"].as_f64().unwrap(), v["maintenance"].as_f64().unwrap());
    assert!(eq > im && im > mm && mm > 0.0, "{eq} {im} {mm}");
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    for g in groups {
        let sc = g["scenarios"].as_array().unwrap();
        assert_eq!(sc.len(), 26); // the default grid: regular 14, 8 tails, 2 twists, 2 basis scans
        for s in sc {
            for k in ["spot_move", "vol_move", "weight", "pnl"] {
                assert!(s[k].is_number(), "{k} in {s}");
            }
        }
        // The worst scenario is the one with the largest weighted loss.
        let worst = &g["worst_scenario"];
        let loss = |s: &serde_json::Value| -s["pnl"].as_f64().unwrap() * s["weight"].as_f64().unwrap();
        let max = sc.iter().map(loss).fold(0.0, f64::max);
        assert!((loss(worst) - max).abs() < 1e-6);
        for k in ["delta", "gamma", "vega", "theta", "rho"] {
            assert!(g["greeks"][k].is_number());
        }
    }
}

/// `pm risk` on a portfolio written to its own temporary file.
fn risk(json: &str) -> Output {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("pm-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("p.json");
    std::fs::write(&f, json).unwrap();
    pm(&["risk", "--portfolio", f.to_str().unwrap()], "")
}

fn risk_error(json: &str) -> (Option<i32>, String) {
    let out = risk(json);
    assert!(out.stdout.is_empty());
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn risk_ok(json: &str) -> serde_json::Value {
    let out = risk(json);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A partial initial block takes the initial defaults for what it leaves out (not the
/// maintenance ones): `{"vol_scan": 0.35}` is the whole default initial level.
#[test]
fn partial_initial_block_gets_initial_defaults() {
    let base = r#"{"underlyings": [{"name": "ETH", "spot": 3000, "conf": 1.5, "atm_vol": 0.65 INITIAL}],
        "positions": [{"underlying": "ETH", "type": "perp", "lots": -10, "entry_price": 3000}]}"#;
    let full = risk_ok(&base.replace("INITIAL", ""));
    let partial = risk_ok(&base.replace("INITIAL", r#", "initial": {"vol_scan": 0.35}"#));
    assert_eq!(full, partial);
    // 4.5 x 0.65 x sqrt(1/365) + 1.5 x 1.5 / 3000: the initial vol_mult and conf_mult, not 3 and 1.
    let want = 4.5 * 0.65 * (1.0f64 / 365.0).sqrt() + 1.5 * 1.5 / 3000.0;
    let got = partial["groups"][0]["initial"]["scan_range"].as_f64().unwrap();
    assert!((got - want).abs() < 1e-9, "{got} vs {want}");
}

/// Initial scan parameters below maintenance's, any one of them, are refused (the program's
/// rule): exit 2, the underlying and the parameter named.
#[test]
fn initial_below_maintenance_is_refused_parameter_by_parameter() {
    for (initial, name) in [
        (r#"{"min_range": 0.05}"#, "min_range"),
        (r#"{"vol_mult": 2}"#, "vol_mult"),
        (r#"{"horizon_days": 0.5}"#, "horizon"),
        (r#"{"conf_mult": 0.5}"#, "conf_mult"),
        (r#"{"vol_scan": 0.2}"#, "vol_scan"),
        (r#"{"dynamic": false}"#, "dynamic"),
    ] {
        let json =
            format!(r#"{{"underlyings": [{{"name": "ETH", "spot": 3000, "atm_vol": 0.6, "initial": {initial}}}]}}"#);
        let (code, err) = risk_error(&json);
        assert_eq!(code, Some(2), "{initial}");
        assert!(
            err.contains("underlyings[0]") && err.contains(name) && err.contains("maintenance"),
            "{initial}: {err}"
        );
    }
}

/// An option's vol below its underlying's min_vol is refused (the program refuses it; the
/// kernel would floor every shocked vol up to min_vol, a phantom gain for a long option).
#[test]
fn option_vol_below_min_vol_is_refused() {
    let json = |vol: f64| {
        format!(
            r#"{{"underlyings": [{{"name": "ETH", "spot": 3000, "atm_vol": 0.6, "min_vol": 0.05}}],
            "positions": [{{"underlying": "ETH", "type": "call", "strike": 3000, "expiry_years": 0.1, "vol": {vol}, "lots": 1}}]}}"#
        )
    };
    let (code, err) = risk_error(&json(0.03));
    assert_eq!(code, Some(2));
    assert!(err.contains("positions[0].vol") && err.contains("min_vol 0.05"), "{err}");
    risk_ok(&json(0.05));
    let (code, err) = risk_error(r#"{"underlyings": [{"name": "ETH", "spot": 3000, "atm_vol": 0.6, "min_vol": 0}]}"#);
    assert_eq!(code, Some(2));
    assert!(err.contains("underlyings[0].min_vol"), "{err}");
}

/// Amounts are exact decimals: 0.0045 at 8 decimals is 450,000 units (f64 gave 449,999: at a
/// price of 1,000,000 that is 4,499.99 instead of 4,500).
#[test]
fn collateral_amounts_are_exact_decimals() {
    let json = |amount: &str| {
        format!(
            r#"{{"underlyings": [{{"name": "ETH", "spot": 3000, "atm_vol": 0.6}}],
            "collateral": [{{"name": "X", "amount": {amount}, "decimals": 8, "price": 1000000}}]}}"#
        )
    };
    for amount in ["0.0045", "\"0.0045\"", "4.5e-3", "0.00450000000"] {
        let v = risk_ok(&json(amount));
        assert_eq!(v["collateral"][0]["market_value"].as_f64(), Some(4500.0), "{amount}");
    }
    let (code, err) = risk_error(&json("0.000000001"));
    assert_eq!(code, Some(2));
    assert!(err.contains("collateral[0].amount") && err.contains("more decimal places than the token's 8"), "{err}");
    let (code, err) = risk_error(&json("1e12"));
    assert_eq!(code, Some(2));
    assert!(err.contains("collateral[0].amount") && err.contains("does not fit"), "{err}");
    let (code, err) = risk_error(&json("\"lots\""));
    assert_eq!(code, Some(2));
    assert!(err.contains("is not a decimal number"), "{err}");
}

#[test]
fn risk_bad_input_names_the_field_and_exits_2() {
    let (code, err) = risk_error(r#"{"underlyings": [{"name": "ETH", "spot": 3000, "atm_vol": 0.6, "sopt": 1}]}"#);
    assert_eq!(code, Some(2));
    assert!(err.contains("sopt"), "{err}");
    let (code, err) = risk_error(
        r#"{"underlyings": [{"name": "ETH", "spot": 3000, "atm_vol": 0.6}], "positions": [{"underlying": "BTC", "type": "perp", "lots": 1}]}"#,
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("positions[0].underlying") && err.contains("BTC"), "{err}");
    let (code, err) = risk_error(
        r#"{"underlyings": [{"name": "ETH", "spot": 3000, "atm_vol": 0.6}], "positions": [{"underlying": "ETH", "type": "call", "strike": 0, "expiry_years": 1, "vol": 0.5, "lots": 1}]}"#,
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("strike"), "{err}");
    let (code, err) = risk_error(r#"{"underlyings": [{"name": "ETH", "spot": -1, "atm_vol": 0.6}]}"#);
    assert_eq!(code, Some(2));
    assert!(err.contains("underlyings[0].spot"), "{err}");
    let (code, err) = risk_error("{");
    assert_eq!(code, Some(2));
    assert!(err.contains("EOF"), "{err}");
    let out = pm(&["risk", "--portfolio", "/nonexistent/p.json"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_is_there() {
    for args in [&["--help"][..], &["greeks", "--help"], &["risk", "--help"]] {
        let out = pm(args, "");
        assert!(out.status.success());
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"));
    }
}

/// Spread credits in `pm risk` (issue 11 item 1): long $50k of BTC perps against short $50k of
/// ETH perps at fixed ranges 8% / 10%: credit = rate x (50,000 x 0.08 + 50,000 x 0.10); pairs
/// apply in the order given and a delta is used once (a second pair on BTC adds nothing).
#[test]
fn risk_applies_delta_matched_spread_credits_in_order() {
    let json = r#"{"underlyings": [
        {"name": "BTC", "spot": 50000, "atm_vol": 0.6, "maintenance": {"min_range": 0.08, "dynamic": false}},
        {"name": "ETH", "spot": 2500, "atm_vol": 0.7, "maintenance": {"min_range": 0.10, "dynamic": false}},
        {"name": "SOL", "spot": 100, "atm_vol": 0.9, "maintenance": {"min_range": 0.12, "dynamic": false}}],
      "positions": [
        {"underlying": "BTC", "type": "perp", "lot_size": 1, "lots": 1, "entry_price": 50000},
        {"underlying": "ETH", "type": "perp", "lot_size": 1, "lots": -20, "entry_price": 2500},
        {"underlying": "SOL", "type": "perp", "lot_size": 1, "lots": -500, "entry_price": 100}],
      "spread_credits": PAIRS}"#;
    let credit = |pairs: &str| {
        let v = risk_ok(&json.replace("PAIRS", pairs));
        v["spread_credit"]["maintenance"].as_f64().unwrap()
    };
    let near = |got: f64, want: f64| assert!((got - want).abs() < 1e-4, "{got} vs {want}");
    near(credit(r#"[{"a": "BTC", "b": "ETH", "rate": 0.5}]"#), 0.5 * (4_000.0 + 5_000.0));
    near(credit(r#"[{"a": "BTC", "b": "ETH", "rate": 0.5}, {"a": "BTC", "b": "SOL", "rate": 0.4}]"#), 4_500.0);
    near(
        credit(r#"[{"a": "BTC", "b": "SOL", "rate": 0.4}, {"a": "BTC", "b": "ETH", "rate": 0.5}]"#),
        0.4 * (4_000.0 + 6_000.0),
    );
    near(credit(r#"[{"a": "ETH", "b": "SOL", "rate": 0.5}]"#), 0.0); // same sign: nothing
}
