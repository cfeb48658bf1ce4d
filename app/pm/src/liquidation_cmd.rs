//! `pm liquidation-price --portfolio FILE [--underlying NAME]`: per underlying, the spot below
//! and above today's at which equity falls to maintenance margin, everything else fixed (the
//! shared search of `pm_portfolio::tools`: 2% steps out to /100 and x100, then bisection on the
//! kernel down to the price grid).
use serde_json::{Value, json};
use std::path::Path;

pub fn liquidation_price(portfolio: &Path, underlying: Option<&str>) -> Result<Value, String> {
    let text = crate::simulate_cmd::portfolio_text(portfolio)?;
    let r = pm_portfolio::tools::liquidation_prices(&format!("{{\"portfolio\": {text}}}"))?;
    let all = r["underlyings"].as_array().cloned().unwrap_or_default();
    if let Some(name) = underlying
        && !all.iter().any(|u| u["name"] == name)
    {
        let known: Vec<&str> = all.iter().filter_map(|u| u["name"].as_str()).collect();
        return Err(format!("--underlying {name}: not in the portfolio (known: {})", known.join(", ")));
    }
    let now = r["liquidatable_now"].as_bool().unwrap_or(false);
    let rows: Vec<Value> = all
        .iter()
        .filter(|u| underlying.is_none_or(|n| u["name"] == n))
        .map(|u| {
            let spot = u["spot"].as_f64().unwrap_or(f64::NAN);
            let side = |k: &str, dir: &str, bound: f64| -> (Value, Value, Option<String>) {
                match u[k].as_f64() {
                    Some(p) => (json!(p), json!(p / spot - 1.0), None),
                    None => (Value::Null, Value::Null, Some(format!("no liquidation price {dir} spot within {bound}"))),
                }
            };
            let (down, down_move, down_note) = side("down", "below", spot / 100.0);
            let (up, up_move, up_note) = side("up", "above", spot * 100.0);
            let notes: Vec<String> = [down_note, up_note].into_iter().flatten().collect();
            json!({
                "name": u["name"],
                "spot": spot,
                "down": down,
                "down_move": down_move,
                "up": up,
                "up_move": up_move,
                "searched": [spot / 100.0, spot * 100.0],
                "notes": notes,
            })
        })
        .collect();
    Ok(json!({
        "liquidatable_now": now,
        "equity": r["summary"]["equity"],
        "maintenance": r["summary"]["maintenance"],
        "excess_maintenance": r["summary"]["excess_maintenance"],
        "underlyings": rows,
    }))
}
