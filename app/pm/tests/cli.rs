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
        assert_eq!(sc.len(), 16);
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

fn risk_error(json: &str) -> (Option<i32>, String) {
    let dir = std::env::temp_dir().join(format!("pm-test-{}-{}", std::process::id(), json.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("p.json");
    std::fs::write(&f, json).unwrap();
    let out = pm(&["risk", "--portfolio", f.to_str().unwrap()], "");
    assert!(out.stdout.is_empty());
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
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
