//! Tools around one account's report, all computed by the kernel's full revaluation:
//!
//! - [`what_if`]: proposed trades and collateral transfers, the report before and after;
//! - [`liquidation_prices`]: per underlying, the nearest spot below and above today's at which
//!   equity falls under maintenance margin;
//! - [`max_trade`]: the largest number of lots of a trade that keeps equity at or above
//!   initial margin.
//!
//! A trade is a position entry (README, "Portfolio file", `positions[]`) with an optional
//! `price` per unit: the option premium paid (received when selling) from the `pay_with`
//! collateral balance (default the first one), or the futures/perpetual entry price; default the
//! kernel's mark (Black-Scholes value at the trade's vol, the forward, the spot). An option
//! trade on the same instrument as a position adds to its lots (the short-option charge nets,
//! as on chain); a future or perpetual adds to a position with the same entry price, else it
//! is a position of its own (equity and every scenario P&L are linear in lots, so that is exact).
use crate::decimal;
use crate::file::{Loaded, PortfolioFile, PositionIn, fx, money};
use crate::report::{evaluate, report_json};
use risk_kernel::collateral::native_units;
use risk_kernel::instrument::{InstrumentKind, instrument_risk};
use risk_kernel::margin::{MAX_LOTS, MarginReport, Position};
use risk_kernel::scenario::Shocks;
use risk_kernel::wide::Round::{Down, Up};
use risk_kernel::{Fixed, Price};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// A proposed trade: a position entry with a trade `price` instead of `entry_price`/`funding`.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct TradeIn {
    pub underlying: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub strike: f64,
    #[serde(default)]
    pub expiry_years: f64,
    #[serde(default)]
    pub vol: f64,
    #[serde(default = "one")]
    pub lot_size: f64,
    /// Signed lots (> 0 buy). [`max_trade`] takes its side from `side` and ignores this.
    #[serde(default)]
    pub lots: i64,
    /// Per unit of underlying; default the kernel's mark.
    #[serde(default)]
    pub price: Option<f64>,
    #[serde(default)]
    pub forward: Option<f64>,
}

fn one() -> f64 {
    1.0
}

/// A deposit (> 0) or withdrawal (< 0) of whole tokens of a collateral balance, exact decimal.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferIn {
    pub name: String,
    pub amount: Box<RawValue>,
}

/// `what_if` request: `{"portfolio": {...}, "trades": [...], "transfers": [...], "pay_with": "USDC"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatIfIn {
    pub portfolio: PortfolioFile,
    #[serde(default)]
    pub trades: Vec<TradeIn>,
    #[serde(default)]
    pub transfers: Vec<TransferIn>,
    #[serde(default)]
    pub pay_with: Option<String>,
}

/// `liquidation_prices` request: `{"portfolio": {...}}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiquidationIn {
    pub portfolio: PortfolioFile,
}

/// `max_trade` request: `{"portfolio": {...}, "trade": {...}, "side": "buy"|"sell", "pay_with": ..}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaxTradeIn {
    pub portfolio: PortfolioFile,
    pub trade: TradeIn,
    pub side: String,
    #[serde(default)]
    pub pay_with: Option<String>,
}

/// The kernel's mark per unit of underlying of `p` (option value, forward, spot).
fn mark(l: &Loaded, p: &Position) -> Result<Price, String> {
    let u = &l.underlyings[p.group as usize];
    let lvl = &u.maintenance; // any shocks: only the fair value is read
    let sh = Shocks::new(&l.grid, u.market.spot, lvl.min_range, lvl.vol_scan)
        .and_then(|s| s.with_basis(&l.grid, lvl.basis_scan))
        .and_then(|s| s.with_time_terms(lvl))
        .map_err(|e| format!("cannot mark: {e}"))?;
    Ok(instrument_risk(&p.instrument, &u.market, &sh, &sh).map_err(|e| format!("cannot mark: {e}"))?.fair)
}

fn collateral_index(l: &Loaded, name: &str, field: &str) -> Result<usize, String> {
    l.collateral_names
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| format!("{field}: unknown collateral \"{name}\" (known: {})", l.collateral_names.join(", ")))
}

/// What [`apply_trade`] did.
struct Applied {
    position: Option<usize>,
    price: Price,
    /// Native units of the paying balance moved (< 0 paid).
    cash_units: i64,
}

/// Adds `t` (with `lots`) to `l`; `price`, when known, saves re-marking.
fn apply_trade(
    file: &PortfolioFile,
    l: &mut Loaded,
    t: &TradeIn,
    lots: i64,
    price: Option<Price>,
    pay_with: Option<&str>,
    field: &str,
) -> Result<Applied, String> {
    let entry = PositionIn {
        underlying: t.underlying.clone(),
        kind: t.kind.clone(),
        strike: t.strike,
        expiry_years: t.expiry_years,
        vol: t.vol,
        lot_size: t.lot_size,
        lots,
        entry_price: 0.0,
        funding: 0.0,
        forward: t.forward,
    };
    let mut pos = file.position(&l.names, &l.underlyings, &entry, field)?;
    let price = match (price, t.price) {
        (Some(p), _) => p,
        (None, Some(p)) => fx::<32>(p, &format!("{field}.price"))?,
        (None, None) => mark(l, &pos)?,
    };
    let option = matches!(pos.instrument.kind, InstrumentKind::Call | InstrumentKind::Put);
    let mut cash_units = 0;
    if option {
        // Premium = price x lot_size x |lots|, paid rounded up, received rounded down.
        let (round, sign) = if lots > 0 { (Up, -1) } else { (Down, 1) };
        let per_lot: Price = price.mul_ratio(pos.instrument.lot_size, round).map_err(|e| format!("{field}: {e}"))?;
        let premium = (per_lot.raw() as i128) * (lots.unsigned_abs() as i128);
        let premium = Price::from_raw(i64::try_from(premium).map_err(|_| format!("{field}: premium out of range"))?);
        if premium.is_positive() {
            let c = match pay_with {
                Some(n) => collateral_index(l, n, "pay_with")?,
                None if l.collateral.is_empty() => {
                    return Err(format!("{field}: an option premium needs a collateral balance to pay it"));
                }
                None => 0,
            };
            let bal = &mut l.collateral[c];
            let tokens: Price = premium.div::<32, 32>(bal.price, round).map_err(|e| format!("{field}: {e}"))?;
            let units = native_units(tokens, bal.decimals, round).map_err(|e| format!("{field}: {e}"))?;
            cash_units = sign * units;
            bal.amount = bal.amount.checked_add(cash_units).ok_or_else(|| format!("{field}: balance out of range"))?;
        }
    } else {
        pos.entry_price = price;
    }
    let same = l.positions.iter().position(|p| {
        p.group == pos.group && p.instrument == pos.instrument && (option || p.entry_price == pos.entry_price)
    });
    let position = match same {
        Some(i) => {
            l.positions[i].lots =
                l.positions[i].lots.checked_add(lots).ok_or_else(|| format!("{field}.lots: out of range"))?;
            if l.positions[i].lots == 0 && l.positions[i].funding == Fixed::ZERO {
                l.positions.remove(i);
                None
            } else {
                Some(i)
            }
        }
        None if lots == 0 => None,
        None => {
            l.positions.push(pos);
            Some(l.positions.len() - 1)
        }
    };
    Ok(Applied { position, price, cash_units })
}

/// Headline numbers of a report, per group too.
pub fn summary(l: &Loaded, r: &MarginReport) -> Value {
    let groups: Vec<Value> = r
        .groups()
        .iter()
        .enumerate()
        .map(|(g, gr)| {
            json!({
                "name": l.names[g],
                "maintenance_loss": money(gr.maintenance.loss),
                "initial_loss": money(gr.initial.loss),
                "short_option_charge": money(gr.short_option_charge),
            })
        })
        .collect();
    json!({
        "equity": money(r.equity),
        "initial": money(r.initial),
        "maintenance": money(r.maintenance),
        "excess_initial": money(r.equity) - money(r.initial),
        "excess_maintenance": money(r.equity) - money(r.maintenance),
        "groups": groups,
    })
}

fn tokens(units: i64, decimals: u8) -> f64 {
    units as f64 / 10f64.powi(decimals as i32)
}

/// Proposed trades, then transfers, applied in order: both reports in `pm risk`'s format.
pub fn what_if(text: &str) -> Result<Value, String> {
    let req: WhatIfIn = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let before = req.portfolio.load()?;
    let before_rep = evaluate(&before)?;
    let mut after = before.clone();
    let mut trades = Vec::new();
    for (i, t) in req.trades.iter().enumerate() {
        let field = format!("trades[{i}]");
        let a = apply_trade(&req.portfolio, &mut after, t, t.lots, None, req.pay_with.as_deref(), &field)?;
        trades.push(json!({"position": a.position, "price": a.price.to_f64(), "cash_units": a.cash_units}));
    }
    let mut transfers = Vec::new();
    for (i, t) in req.transfers.iter().enumerate() {
        let field = format!("transfers[{i}]");
        let c = collateral_index(&after, &t.name, &format!("{field}.name"))?;
        let bal = &mut after.collateral[c];
        let units = decimal::units(t.amount.get(), bal.decimals).map_err(|e| format!("{field}.amount: {e}"))?;
        bal.amount = bal.amount.checked_add(units).ok_or_else(|| format!("{field}.amount: balance out of range"))?;
        transfers.push(json!({"name": t.name, "units": units, "balance": tokens(bal.amount, bal.decimals)}));
    }
    let after_rep = evaluate(&after)?;
    Ok(json!({
        "before": report_json(&before, &before_rep)?,
        "after": report_json(&after, &after_rep)?,
        "trades": trades,
        "transfers": transfers,
    }))
}

/// `l` with underlying `g`'s spot at `spot`: its oracle confidence and the prices (and
/// confidences) of collateral mapped to it move in proportion; vols, rates, forwards over
/// spot, entry prices and every other group stay.
fn at_spot(l: &Loaded, g: usize, spot: f64) -> Result<Loaded, String> {
    let mut m = l.clone();
    let u = &mut m.underlyings[g];
    let k = spot / u.market.spot.to_f64();
    u.market.spot = fx(spot, "spot")?;
    u.conf = fx(u.conf.to_f64() * k, "conf")?;
    for c in m.collateral.iter_mut().filter(|c| c.group == Some(g as u8)) {
        c.price = fx(c.price.to_f64() * k, "collateral price")?;
        c.conf = fx(c.conf.to_f64() * k, "collateral conf")?;
    }
    Ok(m)
}

/// equity - maintenance (Money raw), or None where the kernel cannot evaluate.
fn health(l: &Loaded) -> Option<i128> {
    evaluate(l).ok().map(|r| r.equity.raw() as i128 - r.maintenance.raw() as i128)
}

/// Scan factor per step and how far the search goes (x spot).
const STEP: f64 = 1.02;
const FAR: f64 = 100.0;

/// The liquidation side of the first crossing from `s0` outward (`dir` 1 up, -1 down): scanned
/// in 2% steps up to x100 / /100, then bisected down to the price grid (2^-32).
fn crossing(l: &Loaded, g: usize, s0: f64, dir: i32) -> Result<Option<f64>, String> {
    let f = if dir > 0 { STEP } else { 1.0 / STEP };
    let limit = if dir > 0 { s0 * FAR } else { s0 / FAR };
    let mut healthy = s0;
    let mut s = s0;
    let bad = loop {
        s *= f;
        if (dir > 0 && s > limit) || (dir < 0 && s < limit) {
            return Ok(None);
        }
        match health(&at_spot(l, g, s)?) {
            Some(h) if h >= 0 => healthy = s,
            Some(_) => break s,
            None => return Ok(None), // past the kernel's range: no crossing found before it
        }
    };
    let (mut ok, mut liq) = (healthy, bad);
    for _ in 0..80 {
        let mid = 0.5 * (ok + liq);
        let q = |v: f64| Price::from_f64(v).map(|p| p.raw()).unwrap_or(i64::MIN);
        if q(mid) == q(ok) || q(mid) == q(liq) {
            break;
        }
        match health(&at_spot(l, g, mid)?) {
            Some(h) if h >= 0 => ok = mid,
            _ => liq = mid,
        }
    }
    Ok(Some(liq))
}

/// Per underlying: the nearest spots below (`down`) and above (`up`) today's at which the
/// account becomes liquidatable (equity < maintenance), moving that underlying alone; null
/// where none is found within /100..x100 of spot. The scan steps 2%, so a healthy window
/// narrower than that can be missed; the crossing found is bisected to the price grid.
pub fn liquidation_prices(text: &str) -> Result<Value, String> {
    let req: LiquidationIn = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let l = req.portfolio.load()?;
    let rep = evaluate(&l)?;
    let now = (rep.equity.raw() as i128) < rep.maintenance.raw() as i128;
    let mut out = Vec::new();
    for g in 0..l.underlyings.len() {
        let s0 = l.underlyings[g].market.spot.to_f64();
        let (down, up) = if now { (Some(s0), Some(s0)) } else { (crossing(&l, g, s0, -1)?, crossing(&l, g, s0, 1)?) };
        out.push(json!({"name": l.names[g], "spot": s0, "down": down, "up": up}));
    }
    Ok(json!({"liquidatable_now": now, "summary": summary(&l, &rep), "underlyings": out}))
}

/// The largest number of lots of `trade` on `side` after which equity >= initial margin:
/// doubling from 1 lot while that holds, then bisection (exact for a requirement that grows
/// with size; a hedge that first lowers it is searched the same way). 0 when 1 lot does not fit.
pub fn max_trade(text: &str) -> Result<Value, String> {
    let req: MaxTradeIn = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let sign = match req.side.as_str() {
        "buy" => 1,
        "sell" => -1,
        other => return Err(format!("side: \"{other}\" is not one of buy, sell")),
    };
    let l = req.portfolio.load()?;
    let rep = evaluate(&l)?;
    // The trade at one lot: checks it and fixes its price for every size.
    let mut one = l.clone();
    let a = apply_trade(&req.portfolio, &mut one, &req.trade, sign, None, req.pay_with.as_deref(), "trade")?;
    let price = a.price;
    let at = |n: i64| -> Option<(Loaded, MarginReport)> {
        let mut m = l.clone();
        apply_trade(&req.portfolio, &mut m, &req.trade, sign * n, Some(price), req.pay_with.as_deref(), "trade")
            .ok()?;
        let r = evaluate(&m).ok()?;
        (r.equity.raw() >= r.initial.raw()).then_some((m, r))
    };
    let (mut lo, mut hi) = (0i64, None::<i64>);
    let mut best = None;
    let mut n = 1i64;
    while n <= MAX_LOTS {
        match at(n) {
            Some(found) => {
                lo = n;
                best = Some(found);
                if n == MAX_LOTS {
                    break;
                }
                n = (n * 2).min(MAX_LOTS);
            }
            None => {
                hi = Some(n);
                break;
            }
        }
    }
    if let (Some(mut h), true) = (hi, lo > 0) {
        while h - lo > 1 {
            let mid = lo + (h - lo) / 2;
            match at(mid) {
                Some(found) => {
                    lo = mid;
                    best = Some(found);
                }
                None => h = mid,
            }
        }
    }
    Ok(json!({
        "lots": sign * lo,
        "price": price.to_f64(),
        "limited_by": if hi.is_some() { "initial margin" } else { "lot capacity (|lots| < 2^24)" },
        "before": summary(&l, &rep),
        "after": best.map(|(m, r)| summary(&m, &r)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PF: &str = include_str!("../../../examples/portfolio.json");

    fn num(v: &Value) -> f64 {
        v.as_f64().unwrap()
    }

    #[test]
    fn empty_what_if_changes_nothing() {
        let v = what_if(&format!(r#"{{"portfolio": {PF}}}"#)).unwrap();
        assert_eq!(v["before"], v["after"]);
        assert_eq!(v["before"], crate::risk(PF).unwrap());
    }

    #[test]
    fn buying_an_option_at_mark_pays_its_premium() {
        let req = format!(
            r#"{{"portfolio": {PF}, "trades": [{{"underlying": "ETH", "type": "call", "strike": 3200, "expiry_years": 0.25, "vol": 0.65, "lot_size": 0.01, "lots": 100}}]}}"#
        );
        let v = what_if(&req).unwrap();
        let units = v["trades"][0]["cash_units"].as_i64().unwrap();
        let price = num(&v["trades"][0]["price"]);
        // 100 lots x 0.01 = 1 ETH of calls: premium = price, in USDC units (6 decimals), paid.
        assert!((units as f64 + price * 1e6).abs() <= 1.0, "{units} {price}");
        // At mark, equity moves only by what the USDC paid was discounted by in equity (its
        // conservative price 1 - 0.0005 and 2% haircut), and roundings.
        let (e0, e1) = (num(&v["before"]["equity"]), num(&v["after"]["equity"]));
        let kept = price * (1.0 - 0.9995 * 0.98);
        assert!((e1 - e0 - kept).abs() < 0.01, "{e0} -> {e1}, premium {price}");
        let delta = |r: &Value| num(&r["groups"][0]["greeks"]["delta"]);
        assert!(delta(&v["after"]) > delta(&v["before"]));
    }

    #[test]
    fn closing_a_position_removes_it() {
        let req = format!(
            r#"{{"portfolio": {PF}, "trades": [{{"underlying": "ETH", "type": "call", "strike": 3000, "expiry_years": 0.25, "vol": 0.65, "lot_size": 0.01, "lots": -1000}}]}}"#
        );
        let v = what_if(&req).unwrap();
        assert_eq!(v["trades"][0]["position"], Value::Null);
        assert!(num(&v["after"]["initial"]) != num(&v["before"]["initial"]));
    }

    #[test]
    fn a_withdrawal_lowers_equity() {
        let req = format!(r#"{{"portfolio": {PF}, "transfers": [{{"name": "USDC", "amount": "-1000"}}]}}"#);
        let v = what_if(&req).unwrap();
        let d = num(&v["after"]["equity"]) - num(&v["before"]["equity"]);
        assert!((d + 980.0).abs() < 1.0, "{d}"); // 1000 USDC at a 2% haircut (and conf)
        let bad = what_if(&format!(r#"{{"portfolio": {PF}, "transfers": [{{"name": "USDT", "amount": 1}}]}}"#));
        assert!(bad.unwrap_err().contains("transfers[0].name: unknown collateral \"USDT\""));
    }

    #[test]
    fn liquidation_prices_bracket_a_crossing() {
        let v = liquidation_prices(&format!(r#"{{"portfolio": {PF}}}"#)).unwrap();
        let text: PortfolioFile = serde_json::from_str(PF).unwrap();
        let l = text.load().unwrap();
        for (g, u) in v["underlyings"].as_array().unwrap().iter().enumerate() {
            let s0 = num(&u["spot"]);
            for side in ["down", "up"] {
                if let Some(s) = u[side].as_f64() {
                    assert!(if side == "down" { s < s0 } else { s > s0 });
                    let at = health(&at_spot(&l, g, s).unwrap()).unwrap();
                    assert!(at < 0, "{side} {s}: liquidatable");
                    // One price-grid step back toward spot (a relative 1e-9 at most) is healthy.
                    let back = if side == "down" { s * (1.0 + 1e-9) } else { s * (1.0 - 1e-9) };
                    assert!(health(&at_spot(&l, g, back).unwrap()).unwrap() >= 0, "{side} {s}");
                }
            }
        }
    }

    #[test]
    fn max_trade_is_the_edge_of_initial_margin() {
        let req = format!(
            r#"{{"portfolio": {PF}, "side": "sell", "trade": {{"underlying": "BTC", "type": "perp", "lot_size": 0.001}}}}"#
        );
        let v = max_trade(&req).unwrap();
        let n = v["lots"].as_i64().unwrap();
        assert!(n < 0, "{v}");
        assert!(num(&v["after"]["excess_initial"]) >= 0.0);
        let w = |lots: i64| {
            what_if(&format!(
                r#"{{"portfolio": {PF}, "trades": [{{"underlying": "BTC", "type": "perp", "lot_size": 0.001, "lots": {lots}}}]}}"#
            ))
            .unwrap()
        };
        assert!(num(&w(n)["after"]["excess_initial"]) >= 0.0);
        assert!(num(&w(n - 1)["after"]["excess_initial"]) < 0.0, "one more lot is over initial margin");
    }
}
