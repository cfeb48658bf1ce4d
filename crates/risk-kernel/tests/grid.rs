//! The scenario grid as configuration (issue 11 item 6): tail points as a fraction of spot,
//! their dampened weights, the grid's validation, and risk arrays tagged with their grid.
//! Expected values are written as the formula (Black–Scholes in f64 here, independent of the
//! kernel's fixed point).
mod common;
use common::*;
use risk_kernel::collateral::Collateral;
use risk_kernel::instrument::InstrumentKind::{Future, Perpetual, Put};
use risk_kernel::instrument::{InstrumentRisk, instrument_risk};
use risk_kernel::margin::{MarginReport, Portfolio, Position, Underlying, margin_from_risk, margin_full};
use risk_kernel::scenario::{DEFAULT_TAILS, MAX_SCENARIOS, ScanParams, Scenario, ScenarioGrid, Shocks, scan_range};
use risk_kernel::{KernelError, Ratio};

/// A fixed range and no look-ahead (horizon 0: the option is revalued at its own expiry, so
/// the formula below is Black–Scholes at the shocked spot and vol only).
fn fixed_scan(range: f64, vol_scan: f64) -> ScanParams {
    ScanParams { dynamic: false, horizon: Ratio::ZERO, ..scan(range, vol_scan) }
}

/// Black–Scholes put: K e^{-rT} N(-d2) - S N(-d1).
fn bs_put(s: f64, k: f64, vol: f64, t: f64, rate: f64) -> f64 {
    let sd = vol * t.sqrt();
    let d1 = ((s / k).ln() + (rate + vol * vol / 2.0) * t) / sd;
    k * (-rate * t).exp() * ncdf(-(d1 - sd)) - s * ncdf(-d1)
}

fn und(spot: f64) -> Underlying {
    let mut u = underlying(spot, 0.6);
    u.maintenance = fixed_scan(0.10, 0.25);
    u.initial = fixed_scan(0.15, 0.35);
    u
}

fn report(u: Underlying, positions: &[Position], collateral: &[Collateral], grid: &ScenarioGrid) -> MarginReport {
    margin_full(&Portfolio { underlyings: &[u], positions, collateral, grid, spread_credits: &[] }).unwrap()
}

/// Index of the default grid's tail at `pct` percent.
fn tail(pct: i64) -> usize {
    14 + DEFAULT_TAILS.iter().position(|t| t.0 == pct).unwrap()
}

#[test]
fn default_grid_is_the_regular_scan_and_the_dampened_tail_ladder() {
    let g = ScenarioGrid::default_grid().unwrap();
    assert_eq!(g.len(), 26);
    // Then a twist each way and a basis scan each way, at weight 1, spot and vol unchanged.
    let one = Ratio::ONE;
    let extra: Vec<_> = g.points()[22..].iter().map(|p| (p.vol_twist, p.basis_scan, p.weight)).collect();
    assert_eq!(
        extra,
        [
            (one, Ratio::ZERO, one),
            (one.neg().unwrap(), Ratio::ZERO, one),
            (Ratio::ZERO, one, one),
            (Ratio::ZERO, one.neg().unwrap(), one)
        ]
    );
    g.require_regular().unwrap();
    assert_eq!(&g.points()[..14], &ScenarioGrid::regular().unwrap()[..]);
    for (pt, (pct, _)) in g.points()[14..22].iter().zip(DEFAULT_TAILS) {
        assert_eq!((pt.price_scan, pt.vol_scan), (Ratio::ZERO, Ratio::ONE), "tails: spot only, vol up");
        assert!((pt.spot_shock.to_f64() - pct as f64 / 100.0).abs() < 1e-14);
        // d / |move| with d = 0.06, rounded up to 1e-4: a linear tail loss of ~6% of notional.
        let want = 0.06 / (pct as f64 / 100.0).abs();
        assert!(pt.weight.to_f64() >= want && pt.weight.to_f64() < want + 1e-4, "{pct}%: {}", pt.weight.to_f64());
        assert!(pt.weight.to_f64() * (pct as f64 / 100.0).abs() <= 0.0606);
    }
}

/// A short put struck at half the spot: untouched by the regular scan (-10%) and SPAN's -2R,
/// priced by the -66% tail. Its P&L there is -(P(S (1 - 0.66), K, sigma (1 + V)) - P(S, K,
/// sigma)) per unit, its loss that times the tail's weight, rounded up.
#[test]
fn tail_prices_a_short_deep_otm_put_at_the_shocked_spot() {
    let (spot, strike, t, vol, rate) = (3000.0, 1500.0, 30.0 / 365.0, 0.8, 0.05);
    let u = und(spot);
    // -100 lots of 0.01: one unit short.
    let positions = [pos(0, option(Put, strike, t, vol), -100, 0.0)];
    let grid = ScenarioGrid::default_grid().unwrap();
    let rep = report(u, &positions, &[], &grid);
    let g = &rep.groups()[0];
    let (t, vol, rate) = (r(t).to_f64(), r(vol).to_f64(), r(rate).to_f64());
    let v0 = bs_put(spot, strike, vol, t, rate);
    let i = tail(-66);
    for (level, v_scan) in [(&g.maintenance, 0.25), (&g.initial, 0.35)] {
        let shocked = bs_put(spot * (1.0 - 0.66), strike, vol * (1.0 + v_scan), t, rate);
        let want_pnl = -(shocked - v0);
        let got = level.pnl[i].to_f64();
        assert!((got - want_pnl).abs() < 1e-6 * spot, "pnl at -66%: {got} vs {want_pnl}");
        assert_eq!(level.worst as usize, i, "the -66% tail is the worst scenario");
        let weight = grid.points()[i].weight;
        let want_loss = weight.to_f64() * -want_pnl;
        assert!((level.loss.to_f64() - want_loss).abs() < 1e-6 * spot, "{} vs {want_loss}", level.loss.to_f64());
        // The weight is applied to the kernel's own P&L, rounded up.
        assert_eq!(level.loss, level.pnl[i].neg().unwrap().mul_ratio(weight, risk_kernel::Round::Up).unwrap());
    }
    // SPAN's 16 points barely see it (-2R = -20% at weight 0.35).
    let span = report(und(spot), &positions, &[], &ScenarioGrid::span16(r(0.35)).unwrap());
    assert!(span.groups()[0].maintenance.loss.to_f64() * 10.0 < g.maintenance.loss.to_f64());
}

/// Futures and mapped collateral move with the tails too: a long future gains
/// (S (1 + m) - S) e^{rT} per unit, a mapped asset is worth kept (1 + m) with kept = market
/// (1 - depeg). A linear position's tail loss stays below its regular-scan loss.
#[test]
fn futures_and_mapped_collateral_move_with_the_tails() {
    let spot = 3000.0;
    let grid = ScenarioGrid::default_grid().unwrap();
    let fut = linear(Future, 0.5);
    let positions = [pos(0, fut, 100, spot * (r(0.05).to_f64() * r(0.5).to_f64()).exp())];
    let mut token = usdc(0.0);
    token.amount = 10_000_000; // 10 tokens at 6 decimals
    token.price = p(spot);
    token.conf = p(0.0);
    token.maint_haircut = Ratio::ZERO;
    token.init_haircut = Ratio::ZERO;
    token.group = Some(0);
    token.depeg_shock = r(0.02);
    let rep = report(und(spot), &positions, &[token], &grid);
    let g = &rep.groups()[0];
    let growth = (r(0.05).to_f64() * r(0.5).to_f64()).exp();
    let market = 10.0 * spot;
    let kept = market * (1.0 - 0.02);
    for (pct, _) in DEFAULT_TAILS {
        let m = pct as f64 / 100.0;
        let want = spot * m * growth + (kept * (1.0 + m) - market);
        let got = g.maintenance.pnl[tail(pct)].to_f64();
        assert!((got - want).abs() < 1e-5 && got <= want + 1e-9, "{pct}%: {got} vs {want}");
    }
    // A long perpetual alone: margined by the regular scan (R = 10%), not by a tail (<= 6.06%).
    let perp = [pos(0, linear(Perpetual, 0.0), 100, spot)];
    let rep = report(und(spot), &perp, &[], &grid);
    let g = &rep.groups()[0];
    assert!(g.maintenance.worst < 14, "worst {}", g.maintenance.worst);
    assert!((g.maintenance.loss.to_f64() - spot * 0.10).abs() < 1e-6);
}

fn pt(price_scan: f64, vol_scan: f64, weight: f64, spot_shock: f64) -> Scenario {
    Scenario {
        price_scan: r(price_scan),
        vol_scan: r(vol_scan),
        weight: r(weight),
        spot_shock: r(spot_shock),
        ..Scenario::default()
    }
}

#[test]
fn grid_validation_errors() {
    let regular = ScenarioGrid::regular().unwrap().to_vec();
    let with = |extra: &[Scenario]| {
        let mut v = regular.clone();
        v.extend_from_slice(extra);
        ScenarioGrid::new(&v)
    };
    let err = |e: Result<ScenarioGrid, KernelError>| match e {
        Err(KernelError::InvalidInput(m)) | Err(KernelError::CapacityExceeded(m)) => m,
        other => panic!("accepted: {other:?}"),
    };
    assert!(err(ScenarioGrid::new(&[])).contains("empty"));
    assert!(err(with(&[pt(0.0, 1.0, 1.01, -0.5)])).contains("weight"));
    assert!(err(with(&[pt(0.0, 1.0, -0.01, -0.5)])).contains("weight"));
    assert!(err(with(&[pt(17.0, 0.0, 0.5, 0.0)])).contains("scan multiple"));
    assert!(err(with(&[pt(0.0, 17.0, 0.5, 0.0)])).contains("scan multiple"));
    assert!(err(with(&[pt(0.0, 1.0, 0.1, -1.01)])).contains("spot_shock"));
    assert!(err(with(&[pt(0.0, 1.0, 0.1, 10.01)])).contains("spot_shock"));
    // The same moves twice, whatever the weights.
    assert!(err(with(&[pt(0.0, 1.0, 0.1, -0.5), pt(0.0, 1.0, 0.2, -0.5)])).contains("duplicate"));
    assert!(err(with(&[regular[3]])).contains("duplicate"));
    // Capacity: 32 points pass, 33 do not.
    let tails: Vec<Scenario> = (1..=19).map(|k| pt(0.0, 1.0, 0.01, -(k as f64) / 20.0)).collect();
    assert_eq!(with(&tails[..18]).unwrap().len(), MAX_SCENARIOS);
    assert!(err(with(&tails)).contains("max 32"));
    // The program's rule: the regular 14 at weight 1 must all be there.
    let mut dropped = regular.clone();
    dropped.remove(5);
    dropped.push(pt(0.0, 1.0, 0.1, -0.66));
    assert!(err(ScenarioGrid::new(&dropped).and_then(|g| g.require_regular().map(|_| g))).contains("regular"));
    let mut lighter = regular.clone();
    lighter[0].weight = r(0.5);
    assert!(err(ScenarioGrid::new(&lighter).and_then(|g| g.require_regular().map(|_| g))).contains("regular"));
    ScenarioGrid::span16(r(0.35)).unwrap().require_regular().unwrap();
    // Extremes accepted: a crash to zero and +1,000%.
    with(&[pt(0.0, 0.0, 0.01, -1.0), pt(0.0, 0.0, 0.01, 10.0)]).unwrap().require_regular().unwrap();
}

fn arrays(u: &Underlying, positions: &[Position], grid: &ScenarioGrid) -> Vec<InstrumentRisk> {
    let level = |s: &ScanParams| {
        let range = scan_range(s, u.market.spot, u.conf, u.atm_vol).unwrap();
        Shocks::new(grid, u.market.spot, range, s.vol_scan).unwrap()
    };
    let (mm, im) = (level(&u.maintenance), level(&u.initial));
    positions.iter().map(|q| instrument_risk(&q.instrument, &u.market, &mm, &im).unwrap()).collect()
}

/// Grids of any length (not only multiples of the inner loop's chunk of 4) sum every scenario
/// of the grid: each group P&L is floor(sum of lots x per-lot array entry / 2^8) exactly (Q32
/// to Q24), checked against an i128 sum here. Arrays stamped with another grid's tag are refused.
#[test]
fn any_grid_length_sums_every_scenario_and_arrays_carry_their_grid() {
    let u = und(3000.0);
    let positions = [
        pos(0, option(Put, 2500.0, 0.1, 0.7), -37, 0.0),
        pos(0, linear(Perpetual, 0.0), 12, 2900.0),
        pos(0, option(Put, 1200.0, 0.3, 0.9), 5, 0.0),
    ];
    let mut points = ScenarioGrid::default_grid().unwrap().points().to_vec();
    points.extend((1..=6).map(|k| pt(0.0, -1.0, 0.05, 0.25 * k as f64)));
    for n in [1, 3, 5, 14, 15, 16, 21, 22, 26, 27, 31, 32] {
        let grid = ScenarioGrid::new(&points[..n]).unwrap();
        let risk = arrays(&u, &positions, &grid);
        let p =
            Portfolio { underlyings: &[u], positions: &positions, collateral: &[], grid: &grid, spread_credits: &[] };
        let rep = margin_from_risk(&p, &risk).unwrap();
        let g = &rep.groups()[0];
        for s in 0..MAX_SCENARIOS {
            let sum = |level: fn(&InstrumentRisk) -> &risk_kernel::instrument::RiskArray| -> i128 {
                positions.iter().zip(&risk).map(|(q, a)| q.lots as i128 * level(a).get(s).raw() as i128).sum()
            };
            let (mm, im) = (sum(|a| &a.maintenance), sum(|a| &a.initial));
            let want = |v: i128| if s < n { (v >> 8) as i64 } else { 0 };
            assert_eq!(g.maintenance.pnl[s].raw(), want(mm), "{n} points, scenario {s}");
            assert_eq!(g.initial.pnl[s].raw(), want(im), "{n} points, scenario {s}");
        }
        // The margin check on arrays of another grid (tag 2 against the arrays' 0): refused.
        let tagged = grid.with_tag(2);
        let q = Portfolio { grid: &tagged, ..p };
        assert!(
            matches!(margin_from_risk(&q, &risk), Err(KernelError::InvalidInput(m)) if m.contains("another scenario grid"))
        );
        let mut stamped = risk.clone();
        stamped.iter_mut().for_each(|a| a.grid = 2);
        assert_eq!(margin_from_risk(&q, &stamped).unwrap(), rep);
    }
}
