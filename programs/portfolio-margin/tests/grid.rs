//! The scenario grid as on-chain configuration (issue 11 item 6): the default grid at
//! `config_init`, a change proposed by the risk authority and applied by anyone after the
//! 1-day delay, validated both times, and a new grid epoch that makes every cached risk array
//! stale until the crank recomputes it (no account is margined on a mix of grids).
mod common;

use anchor_lang::solana_program::instruction::Instruction;
use common::market::*;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::state::{Config, GridPoint, PARAM_DELAY_SECS};
use risk_kernel::scenario::ScenarioGrid;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: u64 = 1_000_000;

fn propose_ix(authority: &Keypair, points: Vec<GridPoint>) -> Instruction {
    Env::ix(
        portfolio_margin::accounts::GridPropose { config: config_pda(), risk_authority: authority.pubkey() },
        portfolio_margin::instruction::GridPropose { points },
    )
}

fn apply_ix() -> Instruction {
    Env::ix(portfolio_margin::accounts::GridApply { config: config_pda() }, portfolio_margin::instruction::GridApply {})
}

fn points(grid: &[risk_kernel::scenario::Scenario]) -> Vec<GridPoint> {
    grid.iter().map(GridPoint::from_kernel).collect()
}

#[tokio::test]
async fn a_grid_change_waits_the_delay_and_stales_every_cached_array() {
    let mut m = Market::new().await;
    let config: Config = m.env.anchor(&config_pda()).await;
    let default = ScenarioGrid::default_points().unwrap();
    assert_eq!(config.grid, points(&default), "config_init installs the default grid");
    assert_eq!((config.grid_epoch, config.pending_grid.len()), (1, 0));

    // A short put struck at half the spot: the tail ladder (-66% at weight 0.091) prices it.
    let expiry = m.expiry;
    let put = m.list(put(expiry, 75.0)).await.unwrap();
    m.crank(150.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let taker = m.trader(100_000 * USDC).await;
    m.trade(put, &maker, &taker, 100, 0.01, 1).await.unwrap();
    let with_tails = m.report(maker.margin).await;
    let g = &with_tails.groups[0];
    assert!(g.worst_scenario >= 14, "a tail is the worst scenario: {}", g.worst_scenario);

    // The regular 14 alone: SPAN's scan without extremes.
    let regular = points(&ScenarioGrid::regular().unwrap());
    let risk = m.env.risk.insecure_clone();
    let stranger = Keypair::new();
    m.env.fund(&stranger.pubkey()).await;
    let e = m.env.send(&[propose_ix(&stranger, regular.clone())], &[&stranger]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::Unauthorized)));
    // Refused: a regular point dropped, a weight above 1, a duplicate, past capacity.
    let mut bad = regular.clone();
    bad.remove(3);
    let mut heavy = regular.clone();
    heavy.push(GridPoint { spot_shock: ratio(-0.5), weight: ratio(1.5), ..GridPoint::default() });
    let mut twice = regular.clone();
    twice.push(twice[0]);
    let mut many = regular.clone();
    many.extend((1..=19).map(|k| GridPoint {
        spot_shock: ratio(-0.04 * k as f64),
        weight: ratio(0.1),
        ..GridPoint::default()
    }));
    for bad in [bad, heavy, twice, many] {
        let e = m.env.send(&[propose_ix(&risk, bad)], &[&risk]).await.unwrap_err();
        assert_eq!(custom_code(&e), Some(pm_code(PmError::KernelInvalidInput)));
    }
    m.env.send(&[propose_ix(&risk, regular.clone())], &[&risk]).await.unwrap();
    let config: Config = m.env.anchor(&config_pda()).await;
    assert_eq!((config.pending_grid.clone(), config.pending_grid_at), (regular.clone(), m.env.now + PARAM_DELAY_SECS));
    let e = m.env.send(&[apply_ix()], &[]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::ParamChangeNotDue)));

    // A day later, the market cranked under the old grid: still priced by a tail.
    m.warp(PARAM_DELAY_SECS).await;
    m.crank(150.0).await.unwrap();
    let before = m.report(maker.margin).await;
    assert!(before.groups[0].worst_scenario >= 14);
    // Applied by anyone: the epoch moves and every array computed before is stale at once,
    // though the underlying's snapshot is fresh.
    m.env.send(&[apply_ix()], &[]).await.unwrap();
    let config: Config = m.env.anchor(&config_pda()).await;
    assert_eq!((config.grid.clone(), config.grid_epoch, config.pending_grid.len()), (regular, 2, 0));
    let ix = m.report_ix(maker.margin);
    let e = m.env.simulate(&[ix]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::RiskStale)));
    let e = m.env.send(&[apply_ix()], &[]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidParameter)), "nothing pending");
    // The crank's instrument step alone (same snapshot) recomputes under the new grid.
    let ix = m.instrument_refresh_ix(put);
    m.env.send(&[ix], &[]).await.unwrap();
    let after = m.report(maker.margin).await;
    assert!(after.groups[0].worst_scenario < 14);
    assert!(
        after.maintenance < before.maintenance,
        "without tails the far put is margined by the regular scan and its minimum only: {} vs {}",
        after.maintenance,
        before.maintenance
    );
    // A proposal withdrawn: no points.
    m.env.send(&[propose_ix(&risk, points(&default))], &[&risk]).await.unwrap();
    m.env.send(&[propose_ix(&risk, vec![])], &[&risk]).await.unwrap();
    let config: Config = m.env.anchor(&config_pda()).await;
    assert_eq!((config.pending_grid.len(), config.pending_grid_at), (0, 0));
}
