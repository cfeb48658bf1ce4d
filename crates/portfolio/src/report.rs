//! The margin report as JSON: `pm risk`'s output, field by field (README, "`pm risk`").
use crate::file::{Loaded, PortfolioFile, money, q32, q48, ratio};
use risk_kernel::margin::{LevelReport, MarginReport, Portfolio, margin_full};
use risk_kernel::scenario::{ScanParams, Shocks};
use serde_json::{Value, json};

/// A portfolio file's text to its report (`pm risk --portfolio FILE`).
pub fn risk(text: &str) -> Result<Value, String> {
    let file: PortfolioFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let l = file.load()?;
    let rep = evaluate(&l)?;
    report_json(&l, &rep)
}

/// The kernel's full revaluation of loaded inputs.
pub fn evaluate(l: &Loaded) -> Result<MarginReport, String> {
    let pf = Portfolio {
        underlyings: &l.underlyings,
        positions: &l.positions,
        collateral: &l.collateral,
        grid: &l.grid,
        spread_credits: &l.credits,
    };
    margin_full(&pf).map_err(|e| format!("cannot evaluate: {e}"))
}

fn level_json(l: &Loaded, g: usize, params: &ScanParams, lvl: &LevelReport) -> Result<Value, String> {
    let spot = l.underlyings[g].market.spot;
    let mut sh = Shocks::new(&l.grid, spot, lvl.range, params.vol_scan).map_err(|e| e.to_string())?;
    sh.set_basis(&l.grid, params.basis_scan).map_err(|e| e.to_string())?;
    let scenarios: Vec<Value> = (0..sh.len)
        .map(|s| {
            json!({
                "spot_move": ratio(sh.spot_move[s]),
                "vol_move": ratio(sh.vol_move[s]),
                "weight": ratio(l.grid.points()[s].weight),
                "basis_move": ratio(sh.basis_move(s)),
                "twist_move": ratio(sh.twist_levels[sh.vol_level_of[s] as usize]),
                "pnl": money(lvl.pnl[s]),
            })
        })
        .collect();
    let w = lvl.worst as usize;
    Ok(json!({
        "scan_range": ratio(lvl.range),
        "scenarios": scenarios,
        "worst_scenario": {
            "index": w,
            "spot_move": ratio(sh.spot_move[w]),
            "vol_move": ratio(sh.vol_move[w]),
            "weight": ratio(l.grid.points()[w].weight),
            "basis_move": ratio(sh.basis_move(w)),
            "twist_move": ratio(sh.twist_levels[sh.vol_level_of[w] as usize]),
            "pnl": money(lvl.pnl[w]),
        },
        "loss": money(lvl.loss),
    }))
}

/// The report of `rep` (computed from `l`) as `pm risk` prints it.
pub fn report_json(l: &Loaded, rep: &MarginReport) -> Result<Value, String> {
    let mut groups = Vec::new();
    for (g, gr) in rep.groups().iter().enumerate() {
        let u = &l.underlyings[g];
        let mm = level_json(l, g, &u.maintenance, &gr.maintenance)?;
        let im = level_json(l, g, &u.initial, &gr.initial)?;
        groups.push(json!({
            "name": l.names[g],
            "scan_range": mm["scan_range"],
            "scenarios": mm["scenarios"],
            "worst_scenario": mm["worst_scenario"],
            "maintenance_loss": mm["loss"],
            "initial": im,
            "short_option_charge": money(gr.short_option_charge),
            "greeks": {
                "delta": q48(gr.greeks.delta),
                "gamma": q48(gr.greeks.gamma),
                "vega": q32(gr.greeks.vega),
                "theta": q32(gr.greeks.theta),
                "rho": q32(gr.greeks.rho),
            },
        }));
    }
    let mut collateral = Vec::new();
    for (name, c) in l.collateral_names.iter().zip(&l.collateral) {
        let v = risk_kernel::collateral::value(c).map_err(|e| format!("collateral {name}: {e}"))?;
        collateral.push(json!({
            "name": name,
            "market_value": money(v.market),
            "maintenance_value": money(v.maintenance),
            "initial_value": money(v.initial),
        }));
    }
    // Perpetual funding carried by each perp position (quote units, < 0 owed), in equity.
    let funding: Vec<Value> = l
        .positions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.instrument.kind == risk_kernel::instrument::InstrumentKind::Perpetual)
        .map(|(i, p)| json!({"position": i, "funding": money(p.funding)}))
        .collect();
    Ok(json!({
        "equity": money(rep.equity),
        "initial": money(rep.initial),
        "maintenance": money(rep.maintenance),
        "excess_initial": money(rep.equity) - money(rep.initial),
        "spread_credit": {"maintenance": money(rep.spread_credit_maintenance), "initial": money(rep.spread_credit_initial)},
        "initial_haircut_extra": money(rep.initial_haircut_extra),
        "collateral": collateral,
        "funding": funding,
        "groups": groups,
    }))
}
