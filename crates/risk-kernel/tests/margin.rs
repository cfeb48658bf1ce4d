//! Table tests of the margin aggregation; expected values are written as the formula.
mod common;
use common::*;
use risk_kernel::collateral::{self, Collateral};
use risk_kernel::instrument::InstrumentKind::{Call, Future, Perpetual, Put};
use risk_kernel::instrument::{InstrumentRisk, instrument_risk};
use risk_kernel::margin::{MAX_POSITIONS, Portfolio, Position, margin_from_risk, margin_full};
use risk_kernel::scenario::{ScanParams, ScenarioGrid, Shocks, scan_range};
use risk_kernel::{KernelError, Money, Ratio};

fn fixed_scan(range: f64) -> ScanParams {
    ScanParams { dynamic: false, ..scan(range, 0.25) }
}

fn close(a: Money, want: f64, tol: f64) {
    assert!((a.to_f64() - want).abs() <= tol, "{} != {want}", a.to_f64());
}

#[test]
fn long_perp_margin_is_the_scan_range() {
    let mut u = underlying(3000.0, 0.5);
    u.maintenance = fixed_scan(0.10);
    u.initial = fixed_scan(0.15);
    let und = [u];
    let grid = ScenarioGrid::span16(r(0.35)).unwrap();
    // 100 lots of 0.01 = 1 unit, entered at 2900: +100 unrealized.
    let positions = [pos(0, linear(Perpetual, 0.0), 100, 2900.0)];
    let cash = [usdc(10_000.0)];
    let rep = margin_full(&Portfolio {
        underlyings: &und,
        positions: &positions,
        collateral: &cash,
        grid: &grid,
        spread_credits: &[],
    })
    .unwrap();
    // worst of: 1 x 3000 x R (weight 1) and 1 x 3000 x 2R x 0.35
    close(rep.maintenance, 3000.0 * 0.10, 1e-6);
    close(rep.initial, 3000.0 * 0.15 + 10_000.0 * (1.0 - 0.0001) * (0.03 - 0.02), 1e-5);
    close(rep.equity, 100.0 + 10_000.0 * (1.0 - 0.0001) * (1.0 - 0.02), 1e-5);
    let g = &rep.groups()[0];
    assert_eq!(g.maintenance.worst, 0, "spot -R, vol up is the first worst scenario");
    close(g.maintenance.pnl[0], -300.0, 1e-6);
    close(g.maintenance.pnl[14], -0.35 * 0.0 - 600.0, 1e-6); // -2R, unweighted
    assert!((g.greeks.delta as f64 / 2f64.powi(48) - 1.0).abs() < 1e-12); // 100 x 0.01 units
}

#[test]
fn dynamic_scan_range_follows_vol_and_confidence() {
    let p0 = scan(0.02, 0.25);
    // k sigma sqrt(h) = 3 x 0.8 x sqrt(1/365) = 0.12563 > R_min; + 1 x conf/price
    let got = scan_range(&p0, p(100.0), p(0.5), r(0.8)).unwrap().to_f64();
    let want = 3.0 * r(0.8).to_f64() * p0.horizon.to_f64().sqrt() + 0.005;
    assert!((got - want).abs() < 1e-12 && got >= want, "{got} vs {want}: must round up");
    let low_vol = scan_range(&p0, p(100.0), p(0.0), r(0.01)).unwrap().to_f64();
    assert!((low_vol - 0.02).abs() < 1e-14);
}

#[test]
fn short_option_minimum_charges_deep_otm_shorts() {
    let und = [underlying(3000.0, 0.5)];
    let grid = ScenarioGrid::span16(r(0.35)).unwrap();
    // A 1-day put struck at a third of spot: no scenario touches it.
    let positions = [pos(0, option(Put, 1000.0, 1.0 / 365.0, 0.5), -1000, 0.0)];
    let rep = margin_full(&Portfolio {
        underlyings: &und,
        positions: &positions,
        collateral: &[],
        grid: &grid,
        spread_credits: &[],
    })
    .unwrap();
    let charge = 1000.0 * 0.01 * 3000.0 * 0.01; // lots x lot size x spot x 1%
    close(rep.groups()[0].short_option_charge, charge, 1e-6);
    assert!(rep.maintenance.to_f64() >= charge);
}

#[test]
fn haircut_grows_with_size_marginally() {
    let mut sol = usdc(0.0);
    sol.decimals = 9;
    sol.price = p(150.0);
    sol.conf = p(0.0);
    sol.maint_haircut = r(0.10);
    sol.init_haircut = r(0.15);
    sol.size_growth = r(0.05);
    sol.size_ref = m(1_000_000.0);
    let value_at = |tokens: f64| {
        let c = Collateral { amount: (tokens * 1e9) as i64, ..sol };
        collateral::value(&c).unwrap()
    };
    let small = value_at(10.0); // $1,500
    let big = value_at(100_000.0); // $15M: marginally, v (1 - h0) - (2/3) g v^1.5 / sqrt(ref)
    let want = 15e6 * 0.90 - 2.0 / 3.0 * 0.05 * 15e6f64.powf(1.5) / 1e3;
    close(big.maintenance, want, 1.0);
    assert!(big.maintenance.to_f64() <= want);
    assert!(small.maintenance.to_f64() / 1500.0 > big.maintenance.to_f64() / 15e6);
    assert!(big.maintenance > value_at(50_000.0).maintenance, "more is worth more");
    // A liability is valued at price + conf and a haircut that makes it larger.
    let debt = collateral::value(&Collateral { amount: -1_000_000_000, conf: p(1.0), ..sol }).unwrap();
    close(debt.maintenance, -(151.0 * (1.0 + 0.10 + 0.05 * (150.0f64 / 1e6).sqrt())), 1e-6);
}

#[test]
fn risk_arrays_and_full_revaluation_agree_bit_for_bit() {
    let und = [underlying(3000.0, 0.7), underlying(60000.0, 0.55)];
    let grid = ScenarioGrid::span16(r(0.35)).unwrap();
    let positions = [
        pos(0, option(Call, 3200.0, 0.1, 0.72), 50, 0.0),
        pos(0, option(Put, 2800.0, 0.1, 0.75), -50, 0.0),
        pos(0, linear(Future, 0.1), -20, 3010.0),
        pos(1, linear(Perpetual, 0.0), 7, 61000.0),
        pos(1, option(Call, 70000.0, 0.5, 0.5), -3, 0.0),
    ];
    let cash = [usdc(50_000.0)];
    let pf =
        Portfolio { underlyings: &und, positions: &positions, collateral: &cash, grid: &grid, spread_credits: &[] };
    let full = margin_full(&pf).unwrap();
    let arrays: Vec<_> = positions
        .iter()
        .map(|ps| {
            let u = &und[ps.group as usize];
            let sh = |l: &ScanParams| {
                Shocks::new(&grid, u.market.spot, scan_range(l, u.market.spot, u.conf, u.atm_vol).unwrap(), l.vol_scan)
                    .unwrap()
                    .with_time_terms(l)
                    .unwrap()
            };
            instrument_risk(&ps.instrument, &u.market, &sh(&u.maintenance), &sh(&u.initial)).unwrap()
        })
        .collect();
    assert_eq!(margin_from_risk(&pf, &arrays).unwrap(), full);
    // The flat image an on-chain cache stores reads back to the same arrays, and a corrupted
    // entry is refused rather than summed.
    for a in &arrays {
        let mut w = a.to_words();
        assert_eq!(InstrumentRisk::from_words(&w).unwrap(), *a);
        // The words and their little-endian bytes (an account's data) read back the same.
        let bytes: Vec<u8> = w.iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(InstrumentRisk::from_le_bytes(&bytes).unwrap(), *a);
        w[0] = 33; // a length over the capacity
        assert!(InstrumentRisk::from_words(&w).is_err());
        w[0] = a.len;
        w[12] = 1 << 40; // the first scenario entry, after the 12 header words
        assert!(InstrumentRisk::from_words(&w).is_err());
    }
    assert_eq!(margin_from_risk(&pf, &arrays[..2]), Err(KernelError::InvalidInput("one risk array per position")));
}

#[test]
fn hedged_book_needs_far_less_margin_than_its_legs() {
    // Long call + short put + short future on one underlying: a synthetic long hedged flat.
    let und = [underlying(3000.0, 0.6)];
    let grid = ScenarioGrid::span16(r(0.35)).unwrap();
    let t = 0.25;
    let fwd = 3000.0 * (0.05f64 * t).exp();
    let legs = [
        pos(0, option(Call, 3000.0, t, 0.6), 100, 0.0),
        pos(0, option(Put, 3000.0, t, 0.6), -100, 0.0),
        pos(0, linear(Future, t), -100, fwd),
    ];
    let run = |positions: &[Position]| {
        margin_full(&Portfolio { underlyings: &und, positions, collateral: &[], grid: &grid, spread_credits: &[] })
            .unwrap()
            .initial
            .to_f64()
    };
    let together = run(&legs);
    let isolated: f64 = legs.iter().map(|l| run(std::slice::from_ref(l))).sum();
    assert!(together <= 0.3 * isolated, "portfolio {together} vs isolated {isolated}");
}

#[test]
fn bad_input_is_an_error() {
    let und = [underlying(3000.0, 0.6)];
    let grid = ScenarioGrid::span16(r(0.35)).unwrap();
    let run = |positions: &[Position]| {
        margin_full(&Portfolio { underlyings: &und, positions, collateral: &[], grid: &grid, spread_credits: &[] })
    };
    let perp = linear(Perpetual, 0.0);
    assert!(matches!(run(&[pos(1, perp, 1, 0.0)]), Err(KernelError::InvalidInput(_))));
    assert!(matches!(run(&[pos(0, perp, 1i64 << 31, 0.0)]), Err(KernelError::InvalidInput(_))));
    let many = vec![pos(0, perp, 1, 3000.0); MAX_POSITIONS + 1];
    assert!(matches!(run(&many), Err(KernelError::CapacityExceeded(_))));
    let mut bad = option(Call, 0.0, 0.1, 0.6);
    assert!(matches!(run(&[pos(0, bad, 1, 0.0)]), Err(KernelError::InvalidInput(_))));
    bad.strike = p(3000.0);
    bad.vol = Ratio::ZERO;
    assert!(matches!(run(&[pos(0, bad, 1, 0.0)]), Err(KernelError::InvalidInput(_))));
}

/// jitoSOL-like balance of `tokens` at 150 mapped into SOL's group (no conf, no haircut) with a
/// 2% depeg shock, alone in an account with a fixed 10% maintenance range.
fn mapped(tokens: f64, depeg: f64) -> risk_kernel::margin::MarginReport {
    let mut u = underlying(150.0, 0.8);
    u.maintenance = fixed_scan(0.10);
    u.initial = fixed_scan(0.15);
    let und = [u];
    let grid = ScenarioGrid::span16(r(0.35)).unwrap();
    let sol = Collateral {
        amount: (tokens * 1e9) as i64,
        decimals: 9,
        price: p(150.0),
        conf: p(0.0),
        maint_haircut: Ratio::ZERO,
        init_haircut: Ratio::ZERO,
        group: Some(0),
        depeg_shock: r(depeg),
        ..usdc(0.0)
    };
    let coll = [sol];
    margin_full(&Portfolio { underlyings: &und, positions: &[], collateral: &coll, grid: &grid, spread_credits: &[] })
        .unwrap()
}

/// The depeg shock always counts against the account: an asset is worth market (1 - d) in the
/// group's scenarios, a liability market (1 + d) (more is owed, never less). P&L at a move m:
/// kept (1 + m) - market. Default grid order: (-R, vol up), (-R, vol down), ..., index 6 = 0,
/// index 12 = +R, 14 = -2R and 15 = +2R (weight 0.35).
#[test]
fn depeg_shock_is_always_against_the_account() {
    let market = 10.0 * 150.0;
    let pnl = |kept: f64, m: f64| kept * (1.0 + m) - market;
    // Asset: kept = 1500 x 0.98 = 1470.
    let g = mapped(10.0, 0.02).groups()[0];
    close(g.maintenance.pnl[6], pnl(1470.0, 0.0), 1e-6); // -30: the depeg alone
    close(g.maintenance.pnl[0], pnl(1470.0, -0.10), 1e-6); // -177
    close(g.maintenance.loss, 177.0, 1e-6);
    // Liability: kept = -1500 x 1.02 = -1530 (before: -1470, the depeg was a gain of 30).
    let (market, g) = (-market, mapped(-10.0, 0.02).groups()[0]);
    let pnl = |kept: f64, m: f64| kept * (1.0 + m) - market;
    close(g.maintenance.pnl[6], pnl(-1530.0, 0.0), 1e-6); // -30, not +30
    close(g.maintenance.pnl[12], pnl(-1530.0, 0.10), 1e-6); // -183
    close(g.maintenance.pnl[15], pnl(-1530.0, 0.20), 1e-6); // -336, weighted 117.6
    close(g.maintenance.loss, 183.0, 1e-6);
    assert!(g.maintenance.pnl[6].is_negative(), "a liability's depeg is never a gain");
    // Without a depeg both are the bare price move.
    let g0 = mapped(-10.0, 0.0).groups()[0];
    close(g0.maintenance.pnl[6], 0.0, 1e-6);
    close(g0.maintenance.loss, 150.0, 1e-6);
}

/// Initial scan parameters must cover maintenance's one by one (issue 11, item 8).
#[test]
fn initial_scan_parameters_cover_maintenance_one_by_one() {
    use risk_kernel::scenario::validate_levels;
    let mm = scan(0.08, 0.25);
    let im = ScanParams { vol_mult: r(4.5), conf_mult: r(1.5), ..scan(0.12, 0.35) };
    assert_eq!(validate_levels(&mm, &im), Ok(()));
    assert_eq!(validate_levels(&mm, &mm), Ok(()), "equal levels are allowed");
    let cases: [(ScanParams, &str); 6] = [
        (ScanParams { min_range: r(0.07), ..im }, "min_range"),
        (ScanParams { vol_mult: r(2.0), ..im }, "vol_mult"),
        (ScanParams { horizon: r(0.5 / 365.0), ..im }, "horizon"),
        (ScanParams { conf_mult: r(0.5), ..im }, "conf_mult"),
        (ScanParams { vol_scan: r(0.2), ..im }, "vol_scan"),
        (ScanParams { dynamic: false, ..im }, "dynamic"),
    ];
    for (bad, name) in cases {
        match validate_levels(&mm, &bad) {
            Err(KernelError::InvalidInput(msg)) => assert!(msg.contains(name), "{name}: {msg}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    // A fixed maintenance range under a dynamic initial one is fine (it can only be wider).
    assert_eq!(validate_levels(&ScanParams { dynamic: false, ..mm }, &im), Ok(()));
    let negative = ScanParams { vol_scan: r(-0.1), ..mm };
    assert!(validate_levels(&negative, &im).is_err());
}
