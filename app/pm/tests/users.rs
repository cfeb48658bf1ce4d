//! `pm simulate`, `pm liquidation-price` and `pm account`: the commands for users, end to end.
mod common;
use common::{f, risk_ok};
use serde_json::{Value, json};
use solana_signer::Signer;
use std::process::{Command, Output};

const PORTFOLIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/portfolio.json");

fn pm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pm")).args(args).output().unwrap()
}

fn pm_ok(args: &[&str]) -> Value {
    let out = pm(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn pm_err(args: &[&str]) -> String {
    let out = pm(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
    let e = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!e.contains("panicked"), "{e}");
    e
}

fn example() -> Value {
    serde_json::from_str(&std::fs::read_to_string(PORTFOLIO).unwrap()).unwrap()
}

fn temp(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("pm-users-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn simulate_a_trade_is_the_portfolio_with_it() {
    // Another SOL perp lot block at the same entry price: the after report is `pm risk` of the
    // file with that position doubled, number for number.
    let trade = "underlying=SOL,type=perp,lot_size=0.1,lots=-1000,price=148";
    let s = pm_ok(&["simulate", "--portfolio", PORTFOLIO, "--trade", trade]);
    let before = risk_ok(&example().to_string());
    let mut doubled = example();
    doubled["positions"][5]["lots"] = json!(-2000);
    let after = risk_ok(&doubled.to_string());
    for k in ["equity", "initial", "maintenance"] {
        assert_eq!(f(&s["before"][k]), f(&before[k]), "before {k}");
        assert_eq!(f(&s["after"][k]), f(&after[k]), "after {k}");
        assert_eq!(f(&s["change"][k]), f(&after[k]) - f(&before[k]), "change {k}");
    }
    // Per group: SOL moves, ETH and BTC do not.
    let groups = s["groups"].as_array().unwrap();
    assert_eq!(groups.iter().map(|g| g["name"].as_str().unwrap()).collect::<Vec<_>>(), ["ETH", "BTC", "SOL"]);
    assert_eq!(f(&groups[2]["after"]["maintenance_loss"]), f(&after["groups"][2]["maintenance_loss"]));
    assert_eq!(f(&groups[2]["after"]["initial_loss"]), f(&after["groups"][2]["initial"]["loss"]));
    assert!(f(&groups[2]["change"]["maintenance_loss"]) > 0.0);
    assert_eq!(f(&groups[0]["change"]["maintenance_loss"]), 0.0);
    assert_eq!(s["trades"].as_array().unwrap().len(), 1);
    // --full carries both reports in `pm risk`'s format.
    let full = pm_ok(&["simulate", "--portfolio", PORTFOLIO, "--trade", trade, "--full"]);
    assert_eq!(full["reports"]["after"], after);
}

#[test]
fn simulate_trades_from_a_file_and_transfers() {
    let file = temp(
        "trades.json",
        r#"[{"underlying": "ETH", "type": "call", "strike": 3200, "expiry_years": 0.25, "vol": 0.65, "lot_size": 0.01, "lots": 200}]"#,
    );
    let s = pm_ok(&[
        "simulate",
        "--portfolio",
        PORTFOLIO,
        "--trades",
        &file,
        "--trade",
        "underlying=BTC,type=perp,lot_size=0.001,lots=100,price=61000",
        "--withdraw",
        "USDC=1000",
        "--pretty",
    ]);
    assert_eq!(s["trades"].as_array().unwrap().len(), 2);
    assert_eq!(s["transfers"][0]["name"], "USDC");
    assert!(s["meets_initial_after"].as_bool().unwrap());
    // A withdrawal alone: equity falls by the USDC's maintenance value (2% haircut, price - conf).
    let w = pm_ok(&["simulate", "--portfolio", PORTFOLIO, "--withdraw", "USDC=20000"]);
    let mut less = example();
    less["collateral"][0]["amount"] = json!(5000);
    let after = risk_ok(&less.to_string());
    assert_eq!(f(&w["after"]["equity"]), f(&after["equity"]));
    assert_eq!(f(&w["after"]["initial"]), f(&after["initial"]));
}

#[test]
fn simulate_names_bad_input() {
    let e = pm_err(&["simulate", "--portfolio", PORTFOLIO, "--trade", "underlying=ETH,type=put,strik=2800,lots=1"]);
    assert!(e.contains("--trade #1") && e.contains("unknown key `strik`") && e.contains("strike"), "{e}");
    let e = pm_err(&["simulate", "--portfolio", PORTFOLIO, "--trade", "underlying=DOGE,type=perp,lots=1"]);
    assert!(e.contains("--trade #1") && e.contains("DOGE") && e.contains("ETH, BTC, SOL"), "{e}");
    let e = pm_err(&["simulate", "--portfolio", PORTFOLIO, "--trade", "underlying=ETH,type=perp,lots=1.5"]);
    assert!(e.contains("whole number"), "{e}");
    let e = pm_err(&["simulate", "--portfolio", PORTFOLIO, "--trade", "type=perp,lots=1"]);
    assert!(e.contains("missing `underlying`"), "{e}");
    let e = pm_err(&["simulate", "--portfolio", PORTFOLIO]);
    assert!(e.contains("nothing to simulate"), "{e}");
    let e = pm_err(&["simulate", "--portfolio", PORTFOLIO, "--withdraw", "USDC"]);
    assert!(e.contains("NAME=AMOUNT"), "{e}");
    let e = pm_err(&["simulate", "--portfolio", PORTFOLIO, "--deposit", "DAI=5"]);
    assert!(e.contains("DAI"), "{e}");
    let e = pm_err(&["simulate", "--portfolio", "/nonexistent.json", "--deposit", "USDC=5"]);
    assert!(e.contains("cannot read"), "{e}");
    // The file's own errors name its fields, as `pm risk` does.
    let mut bad = example();
    bad["positions"][5]["underlying"] = json!("XRP");
    let bad = temp("bad.json", &bad.to_string());
    let e = pm_err(&["simulate", "--portfolio", &bad, "--deposit", "USDC=5"]);
    assert!(e.contains("bad.json") && e.contains("positions[5].underlying"), "{e}");
    let help = String::from_utf8(pm(&["simulate", "--help"]).stdout).unwrap();
    for word in ["--trade", "--trades", "--withdraw", "--pay-with", "expiry_years", "lots", "Example"] {
        assert!(help.contains(word), "{word} missing from help");
    }
}

/// The example with SOL's spot at `spot`, moving what the search moves with it: its oracle
/// confidence and the SOL-mapped collateral's price and confidence, in proportion.
fn sol_at(spot: f64) -> Value {
    let mut p = example();
    let k = spot / 150.0;
    p["underlyings"][2]["spot"] = json!(spot);
    p["underlyings"][2]["conf"] = json!(0.08 * k);
    p["collateral"][1]["price"] = json!(165.0 * k);
    p["collateral"][1]["conf"] = json!(0.1 * k);
    p
}

#[test]
fn liquidation_price_is_where_equity_meets_maintenance() {
    let r = pm_ok(&["liquidation-price", "--portfolio", PORTFOLIO]);
    assert!(!r["liquidatable_now"].as_bool().unwrap());
    assert_eq!(r["underlyings"].as_array().unwrap().len(), 3);
    let sol = pm_ok(&["liquidation-price", "--portfolio", PORTFOLIO, "--underlying", "SOL"]);
    let row = &sol["underlyings"][0];
    assert_eq!(row["name"], "SOL");
    let up = f(&row["up"]);
    assert!(up > 150.0);
    // Healthy just below it, liquidatable just above it, by `pm risk`.
    let margin = |p: Value| {
        let r = risk_ok(&p.to_string());
        f(&r["equity"]) - f(&r["maintenance"])
    };
    assert!(margin(sol_at(up * (1.0 - 1e-6))) > 0.0);
    assert!(margin(sol_at(up * (1.0 + 1e-6))) < 0.0);
    assert!((f(&row["up_move"]) - (up / 150.0 - 1.0)).abs() < 1e-12);
    // Short SOL and long jitoSOL: no price below spot liquidates within spot/100; said so.
    assert!(row["down"].is_null());
    assert!(row["notes"][0].as_str().unwrap().contains("no liquidation price below spot"), "{row}");
    let e = pm_err(&["liquidation-price", "--portfolio", PORTFOLIO, "--underlying", "XRP"]);
    assert!(e.contains("XRP") && e.contains("ETH, BTC, SOL"), "{e}");
    let help = String::from_utf8(pm(&["liquidation-price", "--help"]).stdout).unwrap();
    assert!(help.contains("--underlying") && help.contains("spot/100"), "{help}");
}

#[tokio::test(flavor = "multi_thread")]
async fn account_reports_a_live_account_as_the_program_does() {
    use localnet::market::*;
    use localnet::*;
    let mut m = Market::new().await;
    let c = m.list(call(m.expiry, 100.0)).await.unwrap();
    let fut = m.list(future(m.expiry)).await.unwrap();
    m.crank(100.0).await.unwrap();
    let maker = m.trader(1_000_000 * 1_000_000).await;
    let taker = m.trader(20_000 * 1_000_000).await;
    m.trade(c, &maker, &taker, -5, 6.0, 1).await.unwrap();
    m.trade(fut, &maker, &taker, 3, 100.0, 2).await.unwrap();
    let oracle = m.usdc_price();
    let summary = m.report(taker.margin).await;
    let rpc = localnet::fake_rpc::FakeRpc::from_env(&mut m.env).await;
    let feed: String = USDC_FEED.iter().map(|b| format!("{b:02x}")).collect();
    let flag = format!("{feed}={oracle}");
    let addr = taker.margin.to_string();
    let url = rpc.url.clone();
    let args = ["account", addr.as_str(), "--rpc-url", url.as_str(), "--oracle", flag.as_str()];
    // The server answers from its own threads: a blocking call here is fine.
    let out = pm(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The program's own margin_report, number for number (Money raw, printed as `pm risk` does).
    // (Within an ulp or two: serde_json's default float parsing is not always correctly rounded.)
    let money = |raw: i64| risk_kernel::Money::from_raw(raw).to_f64();
    let same = |got: &Value, raw: i64| {
        let (a, b) = (f(got), money(raw));
        assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0), "{a} vs the program's {b}");
    };
    same(&r["equity"], summary.equity);
    same(&r["initial"], summary.initial);
    same(&r["maintenance"], summary.maintenance);
    assert_eq!(r["groups"].as_array().unwrap().len(), summary.groups.len());
    same(&r["groups"][0]["maintenance_loss"], summary.groups[0].maintenance_loss);
    same(&r["groups"][0]["initial_loss"], summary.groups[0].initial_loss);
    assert_eq!(r["groups"][0]["underlying"], m.sol.to_string());
    assert_eq!(r["positions"].as_array().unwrap().len(), 2);
    assert_eq!(r["positions"][0]["type"], "call");
    assert_eq!(r["positions"][0]["lots"], -5);
    assert_eq!(r["owner"], taker.key.pubkey().to_string());
    // Only what the check needs was read: no getProgramAccounts scan.
    assert!(rpc.requests("getProgramAccounts").is_empty());
    // Without the USDC price account: the missing feed is named.
    let out = pm(&["account", &addr, "--rpc-url", &url]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains(&feed) && e.contains("--oracle"), "{e}");
    // Not a margin account; not an address.
    let cfg = config_pda().to_string();
    let out = pm(&["account", &cfg, "--rpc-url", &url]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a portfolio-margin margin account"));
    assert!(pm_err(&["account", "nope"]).contains("not an account address"));
}
