//! Underlyings, vol surfaces, instruments and the risk crank: success paths and each failure
//! they guard against, with the exact error.
mod common;

use common::market::*;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::state::{Instrument, Underlying};
use solana_keypair::Keypair;
use solana_signer::Signer;

#[tokio::test]
async fn underlyings_and_surfaces_need_their_authorities_and_sane_values() {
    let mut m = Market::new().await;
    let u: Underlying = m.env.anchor(&m.sol).await;
    assert_eq!((u.id, u.quote_asset, u.quote_decimals), (0, m.usdc, 6));
    assert!(u.surface.published_at > 0);

    let stranger = Keypair::new();
    m.env.fund(&stranger.pubkey()).await;
    let e = m.register_underlying(1, sol_params(), &stranger).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::Unauthorized)));
    let risk = m.env.risk.insecure_clone();
    let bad = portfolio_margin::state::UnderlyingParams { min_vol: 0, ..sol_params() };
    let e = m.register_underlying(1, bad, &risk).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidParameter)));
    // Reinitialization of an existing underlying.
    assert!(m.register_underlying(0, sol_params(), &risk).await.is_err());

    // Only the vol oracle publishes; vols are bounded; slices well-formed.
    let expiry = m.expiry;
    let e = m.publish(surface(&[expiry], 0.6), &risk).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::Unauthorized)));
    let vol = m.env.vol.insecure_clone();
    let e = m.publish(surface(&[expiry], 5.0), &vol).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::VolOutOfBounds)));
    let e = m.publish(surface(&[expiry, expiry], 0.6), &vol).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidVolSurface)));
}

#[tokio::test]
async fn instruments_are_listed_once_by_the_risk_authority() {
    let mut m = Market::new().await;
    let expiry = m.expiry;
    let c = m.list(call(expiry, 150.0)).await.unwrap();
    let inst: Instrument = m.env.zero_copy(&c).await;
    assert_eq!((inst.underlying, inst.expiry, inst.strike), (m.sol, expiry, price(150.0)));
    assert!(m.list(call(expiry, 150.0)).await.is_err(), "same terms, same address");
    let perp_with_expiry = portfolio_margin::instructions::InstrumentTerms { expiry, ..perp() };
    for bad in [call(m.env.now - 1, 150.0), call(expiry, 0.0), perp_with_expiry] {
        let e = m.list(bad).await.unwrap_err();
        assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidParameter)));
    }
}

#[tokio::test]
async fn the_crank_prices_every_kind_and_refuses_stale_inputs() {
    let mut m = Market::new().await;
    let expiry = m.expiry;
    let [c, p, f] = m.list_hedge_set(150.0).await;
    let q = m.list(perp()).await.unwrap();

    // Before any snapshot, instruments cannot be refreshed.
    let e = m.env.send(&[m.instrument_refresh_ix(c)], &[]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::RiskStale)));
    m.crank(150.0).await.unwrap();
    let u: Underlying = m.env.anchor(&m.sol).await;
    assert_eq!(u.snapshot.epoch, 1);
    assert_eq!(u.snapshot.spot, price(150.0));
    for (key, lo, hi) in [(c, 9.0, 12.0), (p, 9.0, 12.0), (f, 150.0, 151.5), (q, 150.0, 150.0)] {
        let inst: Instrument = m.env.zero_copy(&key).await;
        assert_eq!(inst.risk_epoch, 1);
        let risk = risk_kernel::instrument::InstrumentRisk::from_words(&inst.risk).unwrap();
        let mark = risk.mark.to_f64();
        assert!((lo..=hi).contains(&mark), "mark {mark} of {key}");
    }

    // Oracle failures at refresh.
    let now = m.env.now;
    let cases = [
        (m.env.pyth(SOL_FEED, 15_000_000_000, 1_000_000, -8, now - 3600, true), PmError::OracleStale),
        (m.env.pyth(USDC_FEED, 100_000_000, 10_000, -8, now, true), PmError::OracleWrongFeed),
        (m.env.pyth(SOL_FEED, 15_000_000_000, 1_000_000, -8, now, false), PmError::OracleNotVerified),
        (m.env.pyth(SOL_FEED, 15_000_000_000, 1_000_000_000, -8, now, true), PmError::OracleConfidenceTooWide),
        (
            m.env.pyth_owned_by(anchor_lang::prelude::Pubkey::new_unique(), SOL_FEED, 15_000_000_000, 1, -8, now, true),
            PmError::OracleWrongOwner,
        ),
    ];
    for (oracle, want) in cases {
        let e = m.env.send(&[m.underlying_refresh_ix(oracle)], &[]).await.unwrap_err();
        assert_eq!(custom_code(&e), Some(pm_code(want)), "{want:?}");
    }

    // A stale snapshot blocks instrument refreshes (a stale surface no longer blocks the
    // snapshot: the degraded mode is tested in attacks.rs, M-5).
    m.warp(121).await;
    let e = m.env.send(&[m.instrument_refresh_ix(q)], &[]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::RiskStale)));
    let vol = m.env.vol.insecure_clone();
    // With no unexpired slice at all, an option cannot be priced.
    let past = m.env.now - 1;
    m.publish(surface(&[past], 0.6), &vol).await.unwrap();
    let e = m.crank(150.0).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::VolSurfaceMissing)));
    m.publish(surface(&[expiry], 0.6), &vol).await.unwrap();
    m.crank(150.0).await.unwrap();
}
