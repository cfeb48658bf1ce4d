//! Snapshot of a margin account for the risk kernel: validate accounts, read oracles, build
//! the kernel's inputs, return its report.
use crate::error::{PmError, kernel_err};
use crate::oracle::{OracleLimits, pyth};
use crate::state::{CollateralAsset, Config, MAX_BALANCES, MarginAccount};
use anchor_lang::prelude::*;
use risk_kernel::Ratio;
use risk_kernel::margin::{MarginReport, Portfolio, margin_full};
use risk_kernel::scenario::ScenarioGrid;

/// The margin report of `acc`. `remaining` holds, per balance in order, the balance's
/// CollateralAsset account and its Pyth price account.
pub fn report<'info>(
    acc: &MarginAccount,
    remaining: &'info [AccountInfo<'info>],
    now: i64,
    config: &Config,
) -> Result<MarginReport> {
    // Positions arrive with the trading instructions; until then an account holds none.
    require!(acc.n_positions == 0, PmError::UnsupportedVersion);
    let n = acc.n_balances as usize;
    require!(remaining.len() >= 2 * n, PmError::OracleMissing);
    let mut cols = [None; MAX_BALANCES];
    for (i, b) in acc.balances[..n].iter().enumerate() {
        let (asset_info, oracle_info) = (&remaining[2 * i], &remaining[2 * i + 1]);
        require_keys_eq!(asset_info.key(), b.asset, PmError::OracleMissing);
        let asset = Account::<CollateralAsset>::try_from(asset_info)?;
        let limits = OracleLimits {
            feed_id: asset.params.feed_id,
            max_age_secs: asset.params.max_oracle_age_secs,
            max_conf_ratio: asset.params.max_conf_ratio,
        };
        let band = pyth::read(oracle_info, &limits, now)?;
        cols[i] = Some(asset.to_kernel(b.amount, band.price, band.conf));
    }
    let collateral: Vec<_> = cols.iter().flatten().copied().collect();
    let grid = ScenarioGrid::span16(Ratio::from_raw(config.extreme_weight)).map_err(kernel_err)?;
    let portfolio =
        Portfolio { underlyings: &[], positions: &[], collateral: &collateral, grid: &grid, spread_credits: &[] };
    margin_full(&portfolio).map_err(kernel_err)
}
