//! SPAN-style inter-group spread credits (issue 11, item 1): delta-matched, each delta used
//! once, on price risk only, continuous. Expected values are written as the formula.
mod common;
use common::*;
use proptest::prelude::*;
use risk_kernel::instrument::InstrumentKind::{Call, Future, Perpetual, Put};
use risk_kernel::margin::{MarginReport, Portfolio, Position, SpreadCredit, Underlying, margin_full};
use risk_kernel::scenario::{ScanParams, ScenarioGrid};
use risk_kernel::{Money, Ratio};

fn fixed(range: f64) -> ScanParams {
    ScanParams { dynamic: false, ..scan(range, 0.25) }
}

/// BTC at 50,000 (R = 8% / 12%), ETH at 2,500 (R = 10% / 15%), SOL at 100 (R = 12% / 18%).
fn groups() -> [Underlying; 3] {
    let mut out = [underlying(50_000.0, 0.6), underlying(2_500.0, 0.7), underlying(100.0, 0.9)];
    for (u, (mm, im)) in out.iter_mut().zip([(0.08, 0.12), (0.10, 0.15), (0.12, 0.18)]) {
        u.maintenance = fixed(mm);
        u.initial = fixed(im);
    }
    out
}

fn credit(a: u8, b: u8, rate: f64) -> SpreadCredit {
    SpreadCredit { group_a: a, group_b: b, rate: r(rate) }
}

fn report(und: &[Underlying], positions: &[Position], credits: &[SpreadCredit]) -> MarginReport {
    let grid = ScenarioGrid::span16(r(0.35)).unwrap();
    margin_full(&Portfolio { underlyings: und, positions, collateral: &[], grid: &grid, spread_credits: credits })
        .unwrap()
}

/// A perpetual of `units` of underlying in `group` (lots of 0.01), entered at spot.
fn perp(group: u8, units: i64, spot: f64) -> Position {
    pos(group, linear(Perpetual, 0.0), units * 100, spot)
}

fn close(got: Money, want: f64, tol: f64) {
    assert!((got.to_f64() - want).abs() <= tol, "{} != {want}", got.to_f64());
}

#[test]
fn matched_linear_deltas_earn_rate_times_both_legs_price_risk() {
    let und = groups();
    // Long 1 BTC ($50k of delta) against short 20 ETH ($50k): fully matched.
    let positions = [perp(0, 1, 50_000.0), perp(1, -20, 2_500.0)];
    let rep = report(&und[..2], &positions, &[credit(0, 1, 0.5)]);
    // A perp's price risk is its loss over the range: D x R per leg; every dollar matched.
    close(rep.spread_credit_maintenance, 0.5 * (50_000.0 * 0.08 + 50_000.0 * 0.10), 1e-4);
    close(rep.spread_credit_initial, 0.5 * (50_000.0 * 0.12 + 50_000.0 * 0.15), 1e-4);
    close(rep.maintenance, 50_000.0 * 0.08 + 50_000.0 * 0.10 - 0.5 * (4_000.0 + 5_000.0), 1e-4);
}

#[test]
fn partly_matched_deltas_credit_only_the_matched_part() {
    let und = groups();
    // $50k long BTC against $20k short ETH: $20k matched.
    let positions = [perp(0, 1, 50_000.0), perp(1, -8, 2_500.0)];
    let rep = report(&und[..2], &positions, &[credit(0, 1, 0.6)]);
    close(rep.spread_credit_maintenance, 0.6 * (20_000.0 * 0.08 + 20_000.0 * 0.10), 1e-4);
}

#[test]
fn same_sign_deltas_earn_nothing() {
    let und = groups();
    let rep = report(&und[..2], &[perp(0, 1, 50_000.0), perp(1, 20, 2_500.0)], &[credit(0, 1, 0.5)]);
    assert_eq!(rep.spread_credit_maintenance, Money::ZERO);
    assert_eq!(rep.spread_credit_initial, Money::ZERO);
}

#[test]
fn a_delta_is_used_once_in_priority_order() {
    let und = groups();
    // $50k long BTC against $50k short ETH and $50k short SOL: BTC's delta is used by the
    // first pair only, so the second pair adds nothing.
    let positions = [perp(0, 1, 50_000.0), perp(1, -20, 2_500.0), perp(2, -500, 100.0)];
    let both = report(&und, &positions, &[credit(0, 1, 0.5), credit(0, 2, 0.4)]);
    let first = report(&und, &positions, &[credit(0, 1, 0.5)]);
    assert_eq!(both.spread_credit_maintenance, first.spread_credit_maintenance);
    close(both.spread_credit_maintenance, 0.5 * (50_000.0 * 0.08 + 50_000.0 * 0.10), 1e-4);
    // In the other priority order BTC goes to SOL at 40%.
    let swapped = report(&und, &positions, &[credit(0, 2, 0.4), credit(0, 1, 0.5)]);
    close(swapped.spread_credit_maintenance, 0.4 * (50_000.0 * 0.08 + 50_000.0 * 0.12), 1e-4);
}

/// The case: a short straddle's delta flipping sign by one perp used to switch on a
/// credit of 60% of the group's whole loss. Now the credit follows the matched delta: with the
/// straddle's delta near zero it is near zero, whichever its sign.
#[test]
fn a_straddle_flipping_delta_sign_switches_nothing_on() {
    let und = groups();
    let straddle = |perps: i64| {
        vec![
            pos(0, option(Call, 52_000.0, 30.0 / 365.0, 0.6), -100, 0.0),
            pos(0, option(Put, 52_000.0, 30.0 / 365.0, 0.6), -100, 0.0),
            pos(0, linear(Perpetual, 0.0), perps, 50_000.0),
            pos(1, linear(Perpetual, 0.0), -20_000, 2_500.0), // 200 short ETH
        ]
    };
    let credits = [credit(0, 1, 0.6)];
    let mut last: Option<(f64, f64)> = None;
    for perps in (-60..=60).step_by(2) {
        let rep = report(&und[..2], &straddle(perps), &credits);
        let delta = rep.groups()[0].greeks.delta as f64 / 2f64.powi(48);
        let credit = rep.spread_credit_maintenance.to_f64();
        // Bound: rate x matched dollars x (R_a + R_b), matched <= |BTC dollar delta|.
        let bound = 0.6 * delta.max(0.0) * 50_000.0 * (0.08 + 0.10) + 1e-3;
        assert!(credit <= bound, "perps {perps}: credit {credit} > {bound} at delta {delta}");
        if let Some((d0, c0)) = last {
            // Continuous: the step in credit is bounded by the step in matched delta.
            let step = 0.6 * (delta - d0).abs() * 50_000.0 * 0.18 + 1e-3;
            assert!((credit - c0).abs() <= step, "jump {c0} -> {credit} at perps {perps}");
        }
        last = Some((delta, credit));
    }
}

/// The sum of a report's credits, checked against every group's price risk computed here
/// from the report's own scenario P&L (the credit may not exceed the risk it offsets).
fn price_risk(rep: &MarginReport, grid: &ScenarioGrid, g: usize, initial: bool) -> f64 {
    let level = if initial { &rep.groups()[g].initial } else { &rep.groups()[g].maintenance };
    let mut static_loss: f64 = 0.0;
    for (s, point) in grid.points().iter().enumerate() {
        if point.price_scan == Ratio::ZERO {
            static_loss = static_loss.max(-level.pnl[s].to_f64() * point.weight.to_f64());
        }
    }
    (level.loss.to_f64() - static_loss).max(0.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Credits never exceed the price risk of the groups they hedge (each rate <= 1, each
    /// delta used once), nor rate x matched delta x scan range.
    #[test]
    fn credits_never_exceed_the_hedged_price_risk(
        lots in proptest::collection::vec(-3000i64..3000, 6),
        k in 0.7f64..1.4, t in 0.02f64..0.5, rates in proptest::collection::vec(0.0f64..1.0, 3),
    ) {
        let und = groups();
        let grid = ScenarioGrid::span16(r(0.35)).unwrap();
        let positions = [
            pos(0, option(Call, 50_000.0 * k, t, 0.6), lots[0], 0.0),
            pos(0, linear(Future, t), lots[1], 50_000.0),
            pos(1, option(Put, 2_500.0 / k, t, 0.7), lots[2], 0.0),
            pos(1, linear(Perpetual, 0.0), lots[3] * 10, 2_500.0),
            pos(2, option(Call, 100.0 * k, t, 0.9), lots[4] * 100, 0.0),
            pos(2, linear(Perpetual, 0.0), lots[5] * 100, 100.0),
        ];
        let credits = [credit(0, 1, rates[0]), credit(1, 2, rates[1]), credit(0, 2, rates[2])];
        let rep = report(&und, &positions, &credits);
        for initial in [false, true] {
            let total: f64 = (0..3).map(|g| price_risk(&rep, &grid, g, initial)).sum();
            let c = if initial { rep.spread_credit_initial } else { rep.spread_credit_maintenance };
            prop_assert!(c.to_f64() <= total + 1e-6, "credit {} > price risk {total}", c.to_f64());
        }
        // With credits margin only falls, never below the non-price part of every group.
        let none = report(&und, &positions, &[]);
        prop_assert!(rep.maintenance <= none.maintenance && rep.initial <= none.initial);
        let floor: f64 = (0..3).map(|g| {
            let gr = &rep.groups()[g];
            gr.maintenance.loss.to_f64() - price_risk(&rep, &grid, g, false) + gr.short_option_charge.to_f64()
        }).sum();
        prop_assert!(rep.maintenance.to_f64() >= floor - 1e-6);
    }

    /// Offsetting a fraction of every position never raises margin, credits included: losses,
    /// price risks and matched deltas all scale with the book.
    #[test]
    fn offsetting_hedge_never_raises_margin_with_credits(
        lots in proptest::collection::vec(-500i64..500, 4),
        k in 0.7f64..1.4, t in 0.02f64..0.5, tenths in 1i64..=10,
    ) {
        let und = groups();
        let book = |scale: i64| vec![
            pos(0, option(Call, 50_000.0 * k, t, 0.6), lots[0] * scale, 0.0),
            pos(0, linear(Perpetual, 0.0), lots[1] * scale, 50_000.0),
            pos(1, option(Put, 2_500.0 / k, t, 0.7), lots[2] * scale, 0.0),
            pos(1, linear(Perpetual, 0.0), lots[3] * scale * 10, 2_500.0),
        ];
        let credits = [credit(0, 1, 0.7)];
        let (before, after) = (report(&und[..2], &book(10), &credits), report(&und[..2], &book(10 - tenths), &credits));
        prop_assert!(after.maintenance <= before.maintenance, "MM {:?} -> {:?}", before.maintenance, after.maintenance);
        prop_assert!(after.initial <= before.initial, "IM {:?} -> {:?}", before.initial, after.initial);
    }

    /// Combining two one-group books never margins above the two apart (credits >= 0).
    #[test]
    fn combined_books_margin_at_most_the_sum(a in -50i64..50, b in -1000i64..1000, rate in 0.0f64..1.0) {
        let und = groups();
        let (pa, pb) = (perp(0, a, 50_000.0), perp(1, b, 2_500.0));
        let credits = [credit(0, 1, rate)];
        let both = report(&und[..2], &[pa, pb], &credits).maintenance;
        let apart = report(&und[..2], &[pa], &credits).maintenance.add(report(&und[..2], &[pb], &credits).maintenance).unwrap();
        prop_assert!(both <= apart);
    }
}
