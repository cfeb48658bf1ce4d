//! `pm greeks`: JSON lines in, JSON lines out, every line answered in order.
use risk_kernel::black_scholes::{OptionInputs, OptionKind, greeks};
use risk_kernel::{Fixed, KernelError};
use serde_json::{Map, Value, json};
use std::io::{BufRead, Write};
use std::process::ExitCode;

pub fn run(input: impl BufRead, out: &mut impl Write) -> ExitCode {
    let mut failed = false;
    for line in input.lines() {
        let answer = match line {
            Err(e) => json!({"id": null, "error": format!("cannot read input: {e}")}),
            Ok(l) if l.trim().is_empty() => continue,
            Ok(l) => answer(&l),
        };
        failed |= answer.get("error").is_some();
        if writeln!(out, "{answer}").is_err() {
            return ExitCode::from(1); // stdout closed: nothing more can be reported
        }
    }
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn answer(line: &str) -> Value {
    let obj = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(o)) => o,
        Ok(_) => return json!({"id": null, "error": "line is not a JSON object"}),
        Err(e) => return json!({"id": null, "error": format!("invalid JSON: {e}")}),
    };
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    match evaluate(&obj) {
        Ok(mut v) => {
            v.insert("id".into(), id);
            Value::Object(reorder(v))
        }
        Err(e) => json!({"id": id, "error": e}),
    }
}

/// Keep "id" first for readability.
fn reorder(v: Map<String, Value>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), v["id"].clone());
    for k in ["price", "delta", "gamma", "vega", "theta", "rho"] {
        m.insert(k.into(), v[k].clone());
    }
    m
}

fn number<const F: u32>(obj: &Map<String, Value>, field: &str) -> Result<Fixed<F>, String> {
    let v = obj.get(field).ok_or_else(|| format!("missing field `{field}`"))?;
    let x = v.as_f64().ok_or_else(|| format!("`{field}` must be a number, got {v}"))?;
    Fixed::<F>::from_f64(x).map_err(|_| format!("`{field}` = {x} is out of range"))
}

fn evaluate(obj: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let kind = match obj.get("type").and_then(Value::as_str) {
        Some("call") => OptionKind::Call,
        Some("put") => OptionKind::Put,
        Some(other) => return Err(format!("`type` must be \"call\" or \"put\", got \"{other}\"")),
        None => return Err("missing field `type` (\"call\" or \"put\")".into()),
    };
    let inp = OptionInputs {
        kind,
        spot: number(obj, "spot")?,
        strike: number(obj, "strike")?,
        vol: number(obj, "vol")?,
        t: number(obj, "t")?,
        rate: number(obj, "rate")?,
    };
    let g = greeks(&inp).map_err(|e| match e {
        KernelError::InvalidInput(m) => m.to_string(),
        other => format!("cannot evaluate: {other}"),
    })?;
    let mut m = Map::new();
    m.insert("price".into(), json!(g.price.to_f64()));
    m.insert("delta".into(), json!(g.delta.to_f64()));
    m.insert("gamma".into(), json!(g.gamma.to_f64()));
    m.insert("vega".into(), json!(g.vega.to_f64()));
    m.insert("theta".into(), json!(g.theta.to_f64()));
    m.insert("rho".into(), json!(g.rho.to_f64()));
    Ok(m)
}
