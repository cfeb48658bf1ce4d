//! The forward curve on chain (issue 11 item 4): the vol-oracle authority publishes one F/S per
//! slice with the surface, bounded by the underlying's `max_basis`; the crank marks dated
//! futures at it (interpolated in T between slices, flat annualized basis beyond) and shocks the
//! basis by the level's B x T; a stale surface keeps the last curve with the basis scan doubled.
//! Expected values are written as the formula (f64).
mod common;

use common::market::*;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::state::{Config, GridPoint, Instrument, PARAM_DELAY_SECS, Underlying, VolSurface};
use risk_kernel::instrument::InstrumentRisk;
use solana_signer::Signer;

const DAY: i64 = 86_400;
const YEAR: f64 = 365.0 * 86_400.0;

fn with_forwards(mut s: VolSurface, forwards: &[f64]) -> VolSurface {
    for (slice, f) in s.slices.iter_mut().zip(forwards) {
        slice.forward = ratio(*f);
    }
    s
}

async fn risk_of(m: &mut Market, key: &anchor_lang::prelude::Pubkey) -> (Instrument, InstrumentRisk) {
    let inst: Instrument = m.env.zero_copy(key).await;
    let risk = InstrumentRisk::from_words(&inst.risk).unwrap();
    (inst, risk)
}

/// The indices of the configured grid's basis-up and basis-down points (multiple +1 / -1). A
/// grid without them gets them the way a risk authority would add them: proposed, applied
/// after the delay (the clock moves a day; callers publish their surface afterwards).
async fn basis_points(m: &mut Market) -> (usize, usize) {
    let find = |c: &Config, b: f64| c.grid.iter().position(|p| p.basis_scan == ratio(b) && p.price_scan == 0);
    let config: Config = m.env.anchor(&config_pda()).await;
    if find(&config, 1.0).is_none() {
        let mut points = config.grid.clone();
        for b in [1.0, -1.0] {
            points.push(GridPoint { basis_scan: ratio(b), weight: ratio(1.0), ..GridPoint::default() });
        }
        let risk = m.env.risk.insecure_clone();
        let propose = Env::ix(
            portfolio_margin::accounts::GridPropose { config: config_pda(), risk_authority: risk.pubkey() },
            portfolio_margin::instruction::GridPropose { points },
        );
        m.env.send(&[propose], &[&risk]).await.unwrap();
        m.warp(PARAM_DELAY_SECS).await;
        let apply = Env::ix(
            portfolio_margin::accounts::GridApply { config: config_pda() },
            portfolio_margin::instruction::GridApply {},
        );
        m.env.send(&[apply], &[]).await.unwrap();
    }
    let config: Config = m.env.anchor(&config_pda()).await;
    (find(&config, 1.0).unwrap(), find(&config, -1.0).unwrap())
}

/// F/S of a future expiring at `e` at time `now`, from slices `(expiry, F/S)` published at `p`:
/// each slice's basis aged to now at its annualized rate, then linear in T between slices,
/// b_1 T / T_1 before the first and b_n T / T_n past the last.
fn forward_formula(slices: &[(i64, f64)], p: i64, now: i64, e: i64) -> f64 {
    let knots: Vec<(f64, f64)> =
        slices.iter().map(|&(ek, f)| ((ek - now) as f64, (f - 1.0) * (ek - now) as f64 / (ek - p) as f64)).collect();
    let t = (e - now) as f64;
    let b = match knots.iter().position(|&(tk, _)| tk >= t) {
        Some(0) => knots[0].1 * t / knots[0].0,
        Some(i) if knots[i].0 == t => knots[i].1,
        Some(i) => {
            let ((ta, ba), (tb, bb)) = (knots[i - 1], knots[i]);
            ba + (bb - ba) * (t - ta) / (tb - ta)
        }
        None => {
            let (tn, bn) = knots[knots.len() - 1];
            bn * t / tn
        }
    };
    1.0 + b
}

#[tokio::test]
async fn forwards_are_bounded_on_publish() {
    let mut m = Market::new().await;
    let vol = m.env.vol.insecure_clone();
    let e = m.env.now + 30 * DAY;
    // max_basis 0.5: |F/S - 1| <= 0.5 x (30 + 1) / 365 = 0.042466 (to the second).
    let bound = 0.5 * (e - m.env.now + DAY) as f64 / YEAR;
    for f in [1.0 + bound - 1e-6, 1.0 - bound + 1e-6, 1.0] {
        m.publish_exact(with_forwards(surface(&[e], 0.6), &[f]), &vol).await.unwrap();
    }
    for f in [1.0 + bound + 1e-6, 1.0 - bound - 1e-6, 0.0, -1.0] {
        let err = m.publish_exact(with_forwards(surface(&[e], 0.6), &[f]), &vol).await.unwrap_err();
        assert_eq!(custom_code(&err), Some(pm_code(PmError::ForwardOutOfBounds)), "F/S {f}");
    }
    // An underlying with max_basis above 1 (100% a year) is refused.
    let risk = m.env.risk.insecure_clone();
    let bad = portfolio_margin::state::UnderlyingParams { max_basis: ratio(1.01), ..sol_params() };
    let err = m.register_underlying(1, bad, &risk).await.unwrap_err();
    assert_eq!(custom_code(&err), Some(pm_code(PmError::InvalidParameter)));
}

/// Futures at a slice's expiry, between slices, before the first and past the last: marked at
/// the interpolated forward, and the basis points move each by S x B x T.
#[tokio::test]
async fn futures_are_marked_at_the_interpolated_forward_and_basis_scanned() {
    let mut m = Market::new().await;
    let (up, down) = basis_points(&mut m).await;
    let vol = m.env.vol.insecure_clone();
    let now0 = m.env.now;
    let slices = [(now0 + 30 * DAY, 1.01), (now0 + 180 * DAY, 1.06)];
    let s = with_forwards(surface(&[slices[0].0, slices[1].0], 0.6), &[slices[0].1, slices[1].1]);
    m.publish_exact(s, &vol).await.unwrap();
    let expiries = [now0 + 10 * DAY, now0 + 30 * DAY, now0 + 90 * DAY, now0 + 180 * DAY, now0 + 365 * DAY];
    let mut futs = vec![];
    for e in expiries {
        futs.push(m.list(future(e)).await.unwrap());
    }
    m.crank(150.0).await.unwrap();
    let u: Underlying = m.env.anchor(&m.sol).await;
    let p = u.surface.published_at;
    for (key, e) in futs.iter().zip(expiries) {
        let (inst, risk) = risk_of(&mut m, key).await;
        let f = forward_formula(&slices, p, inst.risk_time, e);
        let fair = risk.fair.to_f64();
        assert!((fair - 150.0 * f).abs() < 1e-6, "expiry +{}d: {fair} vs {}", (e - now0) / DAY, 150.0 * f);
        let t = (e - inst.risk_time) as f64 / YEAR;
        for (arr, b) in [(&risk.maintenance, 0.05), (&risk.initial, 0.075)] {
            assert!(
                (arr.get(up).to_f64() - 150.0 * b * t).abs() < 1e-6,
                "{} vs {}",
                arr.get(up).to_f64(),
                150.0 * b * t
            );
            assert!((arr.get(down).to_f64() + 150.0 * b * t).abs() < 1e-6);
        }
    }
}

/// M-5 for futures: with the surface stale, the crank still marks futures at the last curve
/// (its basis aged to now at the published annualized rate) and doubles the basis scan; with no
/// unexpired slice at all, futures carry at the configured rate (5%), basis scan doubled.
#[tokio::test]
async fn a_stale_curve_still_marks_futures_with_a_wider_basis_scan() {
    let mut m = Market::new().await;
    let (up, _) = basis_points(&mut m).await;
    let vol = m.env.vol.insecure_clone();
    let e = m.env.now + 60 * DAY;
    m.publish_exact(with_forwards(surface(&[e], 0.6), &[1.02]), &vol).await.unwrap();
    let f = m.list(future(e)).await.unwrap();
    m.crank(150.0).await.unwrap();
    let p = m.env.anchor::<Underlying>(&m.sol).await.surface.published_at;
    let (_, fresh) = risk_of(&mut m, &f).await;

    // max_vol_age_secs is 600: the surface is stale, the crank goes on.
    m.warp(3 * DAY).await;
    m.crank(150.0).await.unwrap();
    let (inst, stale) = risk_of(&mut m, &f).await;
    let now = inst.risk_time;
    let want = 150.0 * (1.0 + 0.02 * (e - now) as f64 / (e - p) as f64);
    assert!((stale.fair.to_f64() - want).abs() < 1e-6, "{} vs {want}", stale.fair.to_f64());
    assert!(stale.fair < fresh.fair);
    let t = (e - now) as f64 / YEAR;
    assert!((stale.maintenance.get(up).to_f64() - 150.0 * 2.0 * 0.05 * t).abs() < 1e-6);
    assert!((stale.initial.get(up).to_f64() - 150.0 * 2.0 * 0.075 * t).abs() < 1e-6);

    // No unexpired slice: carry at e^{rT}, r = 5% (the fixture's config), basis scan doubled.
    let past = m.env.now - 1;
    m.publish_exact(with_forwards(surface(&[past], 0.6), &[1.0]), &vol).await.unwrap();
    m.crank(150.0).await.unwrap();
    let (inst, carry) = risk_of(&mut m, &f).await;
    let t = (e - inst.risk_time) as f64 / YEAR;
    assert!((carry.fair.to_f64() - 150.0 * (0.05 * t).exp()).abs() < 1e-6);
    assert!((carry.maintenance.get(up).to_f64() - 150.0 * 2.0 * 0.05 * t).abs() < 1e-6);
}
