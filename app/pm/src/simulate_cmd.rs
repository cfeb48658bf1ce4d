//! `pm simulate --portfolio FILE --trade SPEC ...`: margin before and after proposed trades and
//! transfers (the shared what-if of `pm_portfolio::tools`, the same the WASM kernel runs).
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

pub struct Args {
    pub portfolio: PathBuf,
    pub trades: Vec<String>,
    pub trades_file: Option<PathBuf>,
    pub deposits: Vec<String>,
    pub withdrawals: Vec<String>,
    pub pay_with: Option<String>,
    pub full: bool,
}

/// Reads the portfolio file and checks it alone first, so its errors name its own fields.
pub fn portfolio_text(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    pm_portfolio::risk(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text)
}

/// Keys of a trade (README, "`pm simulate`"), and whether each takes a string.
const TRADE_KEYS: [(&str, bool); 9] = [
    ("underlying", true),
    ("type", true),
    ("strike", false),
    ("expiry_years", false),
    ("vol", false),
    ("lot_size", false),
    ("lots", false),
    ("price", false),
    ("forward", false),
];

/// `underlying=ETH,type=call,strike=3200,expiry_years=0.25,vol=0.65,lots=10` to a trade object.
pub fn parse_trade(spec: &str) -> Result<Value, String> {
    let mut obj = Map::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = item.split_once('=').ok_or_else(|| format!("`{item}`: expected KEY=VALUE"))?;
        let (k, v) = (k.trim(), v.trim());
        let Some((_, is_text)) = TRADE_KEYS.iter().find(|(name, _)| *name == k) else {
            let known: Vec<&str> = TRADE_KEYS.iter().map(|(n, _)| *n).collect();
            return Err(format!("unknown key `{k}` (known: {})", known.join(", ")));
        };
        let value = if *is_text {
            json!(v)
        } else if k == "lots" {
            json!(v.parse::<i64>().map_err(|_| format!("lots: `{v}` is not a whole number of lots"))?)
        } else {
            let x: f64 = v.parse().map_err(|_| format!("{k}: `{v}` is not a number"))?;
            if !x.is_finite() {
                return Err(format!("{k}: `{v}` is not a finite number"));
            }
            json!(x)
        };
        if obj.insert(k.to_string(), value).is_some() {
            return Err(format!("`{k}` given twice"));
        }
    }
    for required in ["underlying", "type", "lots"] {
        if !obj.contains_key(required) {
            return Err(format!("missing `{required}`"));
        }
    }
    if obj["lots"] == json!(0) {
        return Err("lots: must not be 0 (> 0 buys, < 0 sells)".into());
    }
    Ok(Value::Object(obj))
}

/// `NAME=AMOUNT` (whole tokens, an exact decimal) to a transfer, negated for a withdrawal.
fn parse_transfer(spec: &str, withdraw: bool, flag: &str) -> Result<Value, String> {
    let (name, amount) = spec.split_once('=').ok_or_else(|| format!("{flag} {spec}: expected NAME=AMOUNT"))?;
    let amount = amount.trim();
    if amount.is_empty() || amount.starts_with('-') || amount.starts_with('+') {
        return Err(format!("{flag} {spec}: the amount is a positive number of whole tokens"));
    }
    let signed = if withdraw { format!("-{amount}") } else { amount.to_string() };
    Ok(json!({"name": name.trim(), "amount": signed}))
}

/// The headline numbers of a `pm risk` report.
fn headline(r: &Value) -> Value {
    let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
    json!({
        "equity": f("equity"),
        "initial": f("initial"),
        "maintenance": f("maintenance"),
        "excess_initial": f("equity") - f("initial"),
        "excess_maintenance": f("equity") - f("maintenance"),
    })
}

fn group_numbers(g: &Value) -> Value {
    json!({
        "maintenance_loss": g["maintenance_loss"],
        "initial_loss": g["initial"]["loss"],
        "short_option_charge": g["short_option_charge"],
        "worst_scenario": g["worst_scenario"]["index"],
        "delta": g["greeks"]["delta"],
    })
}

/// after - before, field by field (numbers only).
fn change(before: &Value, after: &Value) -> Value {
    let mut out = Map::new();
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (k, bv) in b {
            if k == "worst_scenario" {
                continue;
            }
            if let (Some(x), Some(y)) = (bv.as_f64(), a.get(k).and_then(Value::as_f64)) {
                out.insert(k.clone(), json!(y - x));
            }
        }
    }
    Value::Object(out)
}

pub fn simulate(a: &Args) -> Result<Value, String> {
    let portfolio = portfolio_text(&a.portfolio)?;
    let mut trades: Vec<Value> = vec![];
    if let Some(path) = &a.trades_file {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("--trades {}: cannot read: {e}", path.display()))?;
        let list: Value = serde_json::from_str(&text).map_err(|e| format!("--trades {}: {e}", path.display()))?;
        let list = list
            .as_array()
            .cloned()
            .ok_or_else(|| format!("--trades {}: expected a JSON array of trades", path.display()))?;
        trades.extend(list);
    }
    for (i, spec) in a.trades.iter().enumerate() {
        trades.push(parse_trade(spec).map_err(|e| format!("--trade #{} `{spec}`: {e}", i + 1))?);
    }
    let mut transfers = vec![];
    for d in &a.deposits {
        transfers.push(parse_transfer(d, false, "--deposit")?);
    }
    for w in &a.withdrawals {
        transfers.push(parse_transfer(w, true, "--withdraw")?);
    }
    if trades.is_empty() && transfers.is_empty() {
        return Err("nothing to simulate: give --trade, --trades, --deposit or --withdraw".into());
    }
    let n_file = trades.len() - a.trades.len();
    let request = format!(
        "{{\"portfolio\": {portfolio}, \"trades\": {}, \"transfers\": {}, \"pay_with\": {}}}",
        Value::Array(trades),
        Value::Array(transfers),
        a.pay_with.as_ref().map(|p| json!(p)).unwrap_or(Value::Null)
    );
    // The shared code names trades by their index in the combined list: the file's first.
    let w = pm_portfolio::tools::what_if(&request).map_err(|e| rename_trades(&e, n_file))?;
    let (before, after) = (&w["before"], &w["after"]);
    let groups: Vec<Value> = before["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(after["groups"].as_array().into_iter().flatten())
        .map(|(b, a)| {
            let (gb, ga) = (group_numbers(b), group_numbers(a));
            json!({"name": b["name"], "before": gb, "after": ga, "change": change(&gb, &ga)})
        })
        .collect();
    let (hb, ha) = (headline(before), headline(after));
    let mut out = json!({
        "before": hb,
        "after": ha,
        "change": change(&hb, &ha),
        "meets_initial_after": ha["excess_initial"].as_f64().is_some_and(|x| x >= 0.0),
        "groups": groups,
        "trades": w["trades"],
        "transfers": w["transfers"],
    });
    if a.full {
        out["reports"] = json!({"before": before, "after": after});
    }
    Ok(out)
}

/// `trades[i]` of the combined list as the flag the user wrote (`--trades` file entries come
/// first, then each `--trade`).
fn rename_trades(e: &str, n_file: usize) -> String {
    let Some(start) = e.find("trades[") else { return e.to_string() };
    let rest = &e[start + 7..];
    let Some(end) = rest.find(']') else { return e.to_string() };
    let Ok(i) = rest[..end].parse::<usize>() else { return e.to_string() };
    let name = if i < n_file { format!("--trades file entry {i}") } else { format!("--trade #{}", i - n_file + 1) };
    format!("{}{name}{}", &e[..start], &rest[end + 1..])
}
