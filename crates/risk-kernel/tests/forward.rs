//! Dated futures marked at the published forward, and the basis scan (issue 11 item 4).
//! Expected values are written as the formula (f64), never copied from the kernel's output.
mod common;
use common::*;
use risk_kernel::instrument::InstrumentKind::{Call, Future, Perpetual};
use risk_kernel::instrument::{Instrument, instrument_risk};
use risk_kernel::margin::{MarginReport, Portfolio, Position, margin_from_risk, margin_full};
use risk_kernel::scenario::{ScanParams, Scenario, ScenarioGrid, Shocks, scan_range, validate_levels};
use risk_kernel::{KernelError, Money, Price, Ratio};

const SPOT: f64 = 100_000.0;
/// Annualized basis scan B at maintenance and initial (the README's defaults).
const B_MM: f64 = 0.05;
const B_IM: f64 = 0.075;

fn close(a: Money, want: f64, tol: f64) {
    assert!((a.to_f64() - want).abs() <= tol, "{} != {want}", a.to_f64());
}

/// One unit of BTC per lot.
fn fut(expiry: f64, forward_ratio: f64) -> Instrument {
    Instrument {
        kind: Future,
        strike: Price::ZERO,
        expiry: r(expiry),
        vol: Ratio::ZERO,
        lot_size: r(1.0),
        forward_ratio: if forward_ratio == 0.0 { Ratio::ZERO } else { r(forward_ratio) },
    }
}

fn perp() -> Instrument {
    Instrument { kind: Perpetual, expiry: Ratio::ZERO, ..fut(0.0, 0.0) }
}

/// Fixed scan range R (8% / 12%), vol scan as the defaults, basis scan B per level.
fn btc(b_mm: f64, b_im: f64) -> risk_kernel::margin::Underlying {
    let mut u = underlying(SPOT, 0.6);
    u.maintenance = ScanParams { dynamic: false, basis_scan: r(b_mm), ..scan(0.08, 0.25) };
    u.initial = ScanParams { dynamic: false, basis_scan: r(b_im), ..scan(0.12, 0.35) };
    u
}

/// The 14 regular points (price {-1..1} x R in thirds, vol up and down) and, when `basis`,
/// two basis points at spot and vol unchanged: basis up (+1 x B) and down (-1 x B). How a grid
/// declares a basis point: `Scenario { basis_scan: r(1.0), weight: r(1.0), ..Default::default() }`.
fn grid(basis: bool) -> ScenarioGrid {
    let mut pts = vec![];
    for thirds in -3i64..=3 {
        for vol in [1.0, -1.0] {
            pts.push(Scenario {
                price_scan: Ratio::from_ratio(thirds, 3, risk_kernel::Round::Down).unwrap(),
                vol_scan: r(vol),
                weight: r(1.0),
                ..Scenario::default()
            });
        }
    }
    if basis {
        for b in [1.0, -1.0] {
            pts.push(Scenario { basis_scan: r(b), weight: r(1.0), ..Scenario::default() });
        }
    }
    ScenarioGrid::new(&pts).unwrap()
}

fn report(u: risk_kernel::margin::Underlying, positions: &[Position], grid: &ScenarioGrid) -> MarginReport {
    let und = [u];
    let pf = Portfolio { underlyings: &und, positions, collateral: &[], grid, spread_credits: &[] };
    let full = margin_full(&pf).unwrap();
    // The cached arrays (what the program's crank stores) give the same report bit for bit.
    let arrays: Vec<_> = positions
        .iter()
        .map(|ps| {
            let sh = |l: &ScanParams| {
                let range = scan_range(l, u.market.spot, u.conf, u.atm_vol).unwrap();
                let mut s = Shocks::moves_only(grid, u.market.spot, range, l.vol_scan).unwrap();
                s.set_basis(grid, l.basis_scan).unwrap();
                s
            };
            instrument_risk(&ps.instrument, &u.market, &sh(&u.maintenance), &sh(&u.initial)).unwrap()
        })
        .collect();
    assert_eq!(margin_from_risk(&pf, &arrays).unwrap(), full);
    full
}

fn position(instrument: Instrument, lots: i64, entry: f64) -> Position {
    Position { group: 0, instrument, lots, entry_price: p(entry), funding: Money::ZERO }
}

/// The first example: 10 BTC of a 1-year future sold at a 15% basis (115,000 with spot
/// at 100,000), r = 5%. Marked at S e^{rT} it showed 10 x (115,000 - 100,000 e^{0.05}) = +98.7k
/// of equity at once; marked at the published forward F = 1.15 S it shows none.
#[test]
fn future_sold_at_a_basis_is_marked_at_the_published_forward() {
    let u = btc(B_MM, B_IM);
    assert_eq!(u.market.rate, r(0.05));
    let g = grid(true);
    let carry = report(u, &[position(fut(1.0, 0.0), -10, 115_000.0)], &g);
    let at_carry = 10.0 * (115_000.0 - SPOT * (r(0.05).to_f64()).exp());
    close(carry.equity, at_carry, 1e-3);
    assert!(at_carry > 98_700.0 && at_carry < 98_800.0);

    let fwd = report(u, &[position(fut(1.0, 1.15), -10, 115_000.0)], &g);
    // 10 x (115,000 - 100,000 x 1.15), to Price rounding of F (and r(1.15)).
    close(fwd.equity, 10.0 * (115_000.0 - SPOT * r(1.15).to_f64()), 1e-3);
    assert!(fwd.equity.to_f64().abs() < 0.01, "no equity at once: {}", fwd.equity.to_f64());
    // Its requirement: the outright scan at the forward's delta (F/S = 1.15 per unit of spot)
    // or the basis scan, whichever is larger: 10 x S x 1.15 x R.
    close(fwd.maintenance, 10.0 * SPOT * 1.15 * 0.08, 1e-3);
    let gr = &fwd.groups()[0];
    // Greeks at the forward: delta 1.15 per unit; theta -(F - S) / T per unit.
    assert!((gr.greeks.delta as f64 / 2f64.powi(48) + 11.5).abs() < 1e-9);
    let theta = gr.greeks.theta as f64 / 2f64.powi(32);
    assert!((theta - 10.0 * (SPOT * 1.15 - SPOT)).abs() < 1e-3, "short: +theta {theta}");
}

/// The second example: long 10 perpetual / short 10 one-year futures. Without a basis
/// scan it needed only the price scan of the forward's extra delta, 10 x S x R x (F/S - 1)
/// (4k at a 5% basis against 80k outright); with it the charge is the basis move
/// 10 x S x B x T at each level (IM >= MM as B_IM >= B_MM).
#[test]
fn calendar_spread_is_charged_the_basis_scan() {
    let u = btc(B_MM, B_IM);
    let book = [position(perp(), 10, SPOT), position(fut(1.0, 1.05), -10, 105_000.0)];
    let without = report(u, &book, &grid(false));
    close(without.maintenance, 10.0 * SPOT * 0.08 * (r(1.05).to_f64() - 1.0), 1e-3);
    close(without.initial, 10.0 * SPOT * 0.12 * (r(1.05).to_f64() - 1.0), 1e-3);
    let outright = report(u, &book[..1], &grid(false));
    close(outright.maintenance, 10.0 * SPOT * 0.08, 1e-3);

    let with = report(u, &book, &grid(true));
    close(with.maintenance, 10.0 * SPOT * B_MM * 1.0, 1e-3);
    close(with.initial, 10.0 * SPOT * B_IM * 1.0, 1e-3);
    let g = &with.groups()[0];
    assert_eq!(g.maintenance.worst, 14, "the basis-up point: the short future loses");
    close(g.maintenance.pnl[15], 10.0 * SPOT * B_MM, 1e-3); // basis down: a gain

    // Half a year: the charge scales with T.
    let half = [position(perp(), 10, SPOT), position(fut(0.5, 1.025), -10, 102_500.0)];
    close(report(u, &half, &grid(true)).maintenance, 10.0 * SPOT * B_MM * 0.5, 1e-3);
}

/// Basis points move dated futures only: a perpetual's and an option's risk arrays are the same
/// with or without a basis scan (options are priced off spot, unchanged), and price points
/// never move a future's basis.
#[test]
fn basis_points_move_only_dated_futures() {
    let g = grid(true);
    let u = btc(B_MM, B_IM);
    let sh = |b: f64| {
        let mut s = Shocks::new(&g, u.market.spot, r(0.08), r(0.25)).unwrap();
        s.set_basis(&g, r(b)).unwrap();
        s
    };
    let call = Instrument { kind: Call, strike: p(110_000.0), vol: r(0.6), ..fut(0.25, 0.0) };
    for inst in [perp(), call] {
        let a = instrument_risk(&inst, &u.market, &sh(0.0), &sh(0.0)).unwrap();
        let b = instrument_risk(&inst, &u.market, &sh(B_MM), &sh(B_IM)).unwrap();
        assert_eq!(a, b, "{:?}", inst.kind);
    }
    let f = instrument_risk(&fut(2.0, 1.1), &u.market, &sh(B_MM), &sh(B_IM)).unwrap();
    // Unchanged spot and basis (vol points at the middle): no P&L.
    assert_eq!(f.maintenance.get(6), Price::ZERO);
    // Basis up: S x B x T per lot; down: -S x B x T.
    let want = SPOT * B_MM * 2.0;
    assert!((f.maintenance.get(14).to_f64() - want).abs() < 1e-6);
    assert!((f.maintenance.get(15).to_f64() + want).abs() < 1e-6);
    assert!((f.initial.get(14).to_f64() - SPOT * B_IM * 2.0).abs() < 1e-6);
    // A basis fall past the forward floors F/S at 0 (a future is never worth less than 0).
    let deep = instrument_risk(&fut(1.0, 1.0), &u.market, &sh(16.0), &sh(16.0)).unwrap();
    assert!((deep.maintenance.get(15).to_f64() + SPOT).abs() < 1e-6);
}

/// A future without a published forward keeps S e^{rT}; a published forward of exactly
/// e^{rT} gives the same marks and arrays to rounding.
#[test]
fn no_forward_is_carry_at_the_configured_rate() {
    let u = btc(B_MM, B_IM);
    let g = grid(true);
    let sh = |b: f64| {
        let mut s = Shocks::moves_only(&g, u.market.spot, r(0.08), r(0.25)).unwrap();
        s.set_basis(&g, r(b)).unwrap();
        s
    };
    let carry = instrument_risk(&fut(0.5, 0.0), &u.market, &sh(B_MM), &sh(B_IM)).unwrap();
    let f = (0.05f64 * 0.5).exp();
    assert!((carry.fair.to_f64() - SPOT * f).abs() < 1e-4);
    let published = instrument_risk(&fut(0.5, f), &u.market, &sh(B_MM), &sh(B_IM)).unwrap();
    assert!((published.fair.to_f64() - carry.fair.to_f64()).abs() < 1e-4);
    for s in 0..g.len() {
        assert!((published.maintenance.get(s).to_f64() - carry.maintenance.get(s).to_f64()).abs() < 1e-4);
    }
}

/// Bad inputs are errors: a negative forward, a negative or IM < MM basis scan, a basis
/// multiple beyond +-16, more distinct basis moves than `Shocks` holds.
#[test]
fn basis_inputs_are_validated() {
    let u = btc(B_MM, B_IM);
    let g = grid(true);
    let mut sh = Shocks::moves_only(&g, u.market.spot, r(0.08), r(0.25)).unwrap();
    let neg = Instrument { forward_ratio: r(-1.0), ..fut(1.0, 0.0) };
    assert!(matches!(instrument_risk(&neg, &u.market, &sh, &sh), Err(KernelError::InvalidInput(_))));
    assert!(matches!(sh.set_basis(&g, r(-0.01)), Err(KernelError::InvalidInput(_))));
    let err = validate_levels(&u.initial, &u.maintenance);
    assert_eq!(err, Err(KernelError::InvalidInput("initial min_range must be >= maintenance min_range")));
    let low = ScanParams { basis_scan: r(0.01), ..u.initial };
    assert_eq!(
        validate_levels(&u.maintenance, &low),
        Err(KernelError::InvalidInput("initial basis_scan must be >= maintenance basis_scan"))
    );
    let negative = ScanParams { basis_scan: r(-0.01), ..u.maintenance };
    assert!(negative.validate().is_err());
    let far = Scenario { basis_scan: r(17.0), weight: r(1.0), ..Scenario::default() };
    assert!(matches!(ScenarioGrid::new(&[far]), Err(KernelError::InvalidInput(_))));
    let many: Vec<_> =
        (1..=4).map(|k| Scenario { basis_scan: r(k as f64), weight: r(1.0), ..Scenario::default() }).collect();
    let g4 = ScenarioGrid::new(&many).unwrap();
    let mut sh4 = Shocks::moves_only(&g4, u.market.spot, r(0.08), r(0.25)).unwrap();
    assert!(matches!(sh4.set_basis(&g4, r(0.05)), Err(KernelError::CapacityExceeded(_))));
}
