//! Look-ahead and expiry-scaled vol shocks on chain (issue 11 items 2 and 5): the crank
//! revalues options a horizon later, the per-underlying vol scaling is validated and, as a
//! repricing change, waits the parameter delay.
mod common;

use common::market::*;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::state::{Instrument, Underlying, UnderlyingParams, VolScaleLevel};
use risk_kernel::instrument::InstrumentRisk;
use solana_signer::Signer;

/// An option expiring within the horizon (1 day) is worth its intrinsic value at the look-ahead:
/// at an unchanged spot an at-the-money option loses its whole mark, at both levels.
#[tokio::test]
async fn the_crank_revalues_options_a_horizon_later() {
    let mut m = Market::new().await;
    let soon = m.env.now + 12 * 3600;
    let c = m.list(call(soon, 150.0)).await.unwrap();
    let p = m.list(put(soon, 150.0)).await.unwrap();
    m.crank(150.0).await.unwrap();
    for key in [c, p] {
        let inst: Instrument = m.env.zero_copy(&key).await;
        let r = InstrumentRisk::from_words(&inst.risk).unwrap();
        let mark = r.mark.raw();
        assert!(r.mark.to_f64() > 0.5, "mark {}", r.mark.to_f64());
        // Scenarios 6 and 7 of the regular grid leave spot unchanged (vol up, vol down).
        for s in [6, 7] {
            for arr in [&r.maintenance, &r.initial] {
                let pnl = arr.get(s).raw();
                assert!((pnl + mark).abs() <= 2, "scenario {s}: pnl {pnl} vs -mark {}", -mark);
            }
        }
    }
}

/// Vol scaling out of bounds, or an initial scale below the maintenance one, is refused with
/// its own error; a change of it reprices options: it waits the delay, then applies.
#[tokio::test]
async fn vol_scaling_is_validated_and_waits_the_delay() {
    let mut m = Market::new().await;
    let risk = m.env.risk.insecure_clone();
    let base = sol_params();
    let with = |f: &dyn Fn(&mut UnderlyingParams)| {
        let mut p = base;
        f(&mut p);
        p
    };
    let bad = [
        with(&|p| p.vol_scaling.t_ref_hours = 0),
        with(&|p| p.vol_scaling.maintenance.p_short_bps = 10_001),
        with(&|p| p.vol_scaling.maintenance.floor_bps = 0),
        with(&|p| p.vol_scaling.maintenance.cap_bps = 9_999),
        with(&|p| p.vol_scaling.initial.p_short_bps = 2_000),
        with(&|p| p.vol_scaling.initial.p_long_bps = 2_000),
        with(&|p| p.vol_scaling.initial.cap_bps = 30_000),
        with(&|p| p.vol_scaling.initial.floor_bps = 4_000),
    ];
    for (i, p) in bad.into_iter().enumerate() {
        let e = m.register_underlying(1, p, &risk).await.unwrap_err();
        assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidVolScaling)), "case {i}");
    }

    // Steeper short-dated scaling: not a lever, so `underlying_update` refuses it...
    let steeper = with(&|p| {
        p.vol_scaling.maintenance = VolScaleLevel { p_short_bps: 4_000, ..VolScaleLevel::DEFAULT };
        p.vol_scaling.initial = VolScaleLevel { p_short_bps: 4_500, ..VolScaleLevel::DEFAULT };
    });
    let update = Env::ix(
        portfolio_margin::accounts::UnderlyingUpdate {
            config: config_pda(),
            underlying: m.sol,
            risk_authority: risk.pubkey(),
        },
        portfolio_margin::instruction::UnderlyingUpdate { params: steeper },
    );
    let e = m.env.send(&[update], &[&risk]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::ParamChangeNeedsDelay)));
    // ...and the delayed path applies it.
    m.apply_underlying_after_delay(steeper).await;
    let u: Underlying = m.env.anchor(&m.sol).await;
    assert_eq!(u.params.vol_scaling, steeper.vol_scaling);
}
