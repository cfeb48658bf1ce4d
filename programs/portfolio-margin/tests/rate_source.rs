//! Receipt-token collateral priced on chain (issue 13 item 1): an SPL stake-pool LST is worth
//! the pool's total_lamports / pool_token_supply x SOL/USD, read from the pool account itself,
//! pinned per asset before its first deposit. Every check, on the .so, with the exact error.
mod common;

use anchor_lang::AnchorDeserialize;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_spl::token::spl_token;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::instructions::MarginSummary;
use portfolio_margin::oracle::stake_pool;
use portfolio_margin::state::{CollateralAsset, RateSource};
use solana_keypair::Keypair;
use solana_signer::Signer;

const SOL: u64 = 1_000_000_000;

struct Lst {
    mint: Pubkey,
    asset: Pubkey,
    pool: Pubkey,
    usdc_asset: Pubkey,
    usdc_oracle: Pubkey,
    sol_oracle: Pubkey,
    margin: Pubkey,
    epoch: u64,
}

fn set_source_ix(asset: &Pubkey, pool: &Pubkey, signer: &Pubkey) -> Instruction {
    pm_client::ix::collateral_set_rate_source(asset, RateSource::SplStakePool, pool, signer)
}

/// USDC and an LST (9 decimals, SOL's feed, 10% haircut) registered; the LST's pool pinned at
/// 1.1 SOL per token; an account holding 1,000 USDC and 10 LST.
async fn setup() -> (Env, Lst) {
    let mut env = Env::new().await;
    env.init_config().await.unwrap();
    let risk = env.risk.insecure_clone();
    let usdc = env.mint(spl_token::ID, 6).await;
    env.register(&usdc, spl_token::ID, usdc_params(), &risk).await.unwrap();
    let mint = env.mint(spl_token::ID, 9).await;
    let params = portfolio_margin::state::CollateralParams {
        feed_id: SOL_FEED,
        maint_haircut: ratio(0.10),
        init_haircut: ratio(0.15),
        deposit_cap: 1_000_000 * SOL,
        ..usdc_params()
    };
    env.register(&mint, spl_token::ID, params, &risk).await.unwrap();
    let epoch = env.epoch().await;
    let pool = env.stake_pool(&mint, 1_100 * SOL, 1_000 * SOL, epoch);
    env.send(&[set_source_ix(&asset_pda(&mint), &pool, &risk.pubkey())], &[&risk]).await.unwrap();

    let owner = Keypair::new();
    env.fund(&owner.pubkey()).await;
    let margin = env.open(&owner, 0).await.unwrap();
    for (m, amount) in [(usdc, 1_000_000_000), (mint, 10 * SOL)] {
        let wallet = env.token_account(spl_token::ID, &m, &owner.pubkey(), amount).await;
        let ix = env.deposit_ix(margin, m, vault_pda(&m), wallet, owner.pubkey(), spl_token::ID, amount);
        env.send(&[ix], &[&owner]).await.unwrap();
    }
    let usdc_oracle = env.pyth(USDC_FEED, 100_000_000, 0, -8, env.now, true);
    // SOL at 150 +- 0.15.
    let sol_oracle = env.pyth(SOL_FEED, 15_000_000_000, 15_000_000, -8, env.now, true);
    let lst = Lst {
        mint,
        asset: asset_pda(&mint),
        pool,
        usdc_asset: asset_pda(&usdc),
        usdc_oracle,
        sol_oracle,
        margin,
        epoch,
    };
    (env, lst)
}

fn report_ix(lst: &Lst, rate_account: Option<Pubkey>) -> Instruction {
    let mut keys = vec![lst.usdc_asset, lst.asset, lst.usdc_oracle, lst.sol_oracle];
    keys.extend(rate_account);
    pm_client::ix::margin_report(&lst.margin, keys.into_iter().map(|k| AccountMeta::new_readonly(k, false)).collect())
}

async fn report(env: &mut Env, lst: &Lst, rate_account: Option<Pubkey>) -> Result<MarginSummary, Option<u32>> {
    let ix = report_ix(lst, rate_account);
    env.simulate(&[ix])
        .await
        .map(|data| MarginSummary::deserialize(&mut &data[..]).unwrap())
        .map_err(|e| custom_code(&e))
}

fn money(raw: i64) -> f64 {
    raw as f64 / (1u64 << 24) as f64
}

#[tokio::test]
async fn an_lst_is_worth_the_pools_rate_times_sol() {
    let (mut env, lst) = setup().await;
    let asset: CollateralAsset = env.anchor(&lst.asset).await;
    assert_eq!((asset.rate_source, asset.rate_account), (RateSource::SplStakePool, lst.pool));
    let r = report(&mut env, &lst, Some(lst.pool)).await.unwrap();
    // 1,000 USDC x 0.98, plus 10 LST x 1.1 SOL x (150 - 0.15) x 0.90 (maintenance haircut).
    let want = 1_000.0 * 0.98 + 10.0 * 1.1 * (150.0 - 0.15) * 0.90;
    assert!((money(r.equity) - want).abs() < 1e-3, "equity {} want {want}", money(r.equity));
    // The same balance without the rate (an LST priced as if it were SOL) would be ~10% lower:
    // the rate is really applied.
    assert!(money(r.equity) > 1_000.0 * 0.98 + 10.0 * 149.85 * 0.90 + 100.0);
}

#[tokio::test]
async fn a_missing_stale_or_foreign_pool_is_a_refused_oracle() {
    let (mut env, lst) = setup().await;
    // Not passed: the balance has no price (a report refuses to misstate equity).
    assert_eq!(report(&mut env, &lst, None).await.unwrap_err(), Some(pm_code(PmError::OracleMissing)));
    // Another pool of the same mint, passed instead of the pinned one: not this asset's source.
    let other = env.stake_pool(&lst.mint, 2_000 * SOL, 1_000 * SOL, lst.epoch);
    assert_eq!(report(&mut env, &lst, Some(other)).await.unwrap_err(), Some(pm_code(PmError::OracleMissing)));
    // The pinned pool not updated this epoch (its rate lags rewards and slashing): stale.
    let stale = stake_pool_data(&lst.mint, 1_100 * SOL, 1_000 * SOL, lst.epoch.wrapping_sub(1));
    env.write_account(lst.pool, stale, stake_pool::PROGRAM_ID);
    assert_eq!(report(&mut env, &lst, Some(lst.pool)).await.unwrap_err(), Some(pm_code(PmError::OracleStale)));
    // Rewritten by another owner (a look-alike at the pinned address) or as a non-pool.
    let good = stake_pool_data(&lst.mint, 1_100 * SOL, 1_000 * SOL, lst.epoch);
    env.write_account(lst.pool, good.clone(), Pubkey::new_unique());
    assert!(report(&mut env, &lst, Some(lst.pool)).await.is_err());
    let mut list = good.clone();
    list[stake_pool::layout::ACCOUNT_TYPE] = 2;
    env.write_account(lst.pool, list, stake_pool::PROGRAM_ID);
    assert_eq!(report(&mut env, &lst, Some(lst.pool)).await.unwrap_err(), Some(pm_code(PmError::OracleMalformed)));
    // A rate over the bound (5 SOL per token).
    env.write_account(
        lst.pool,
        stake_pool_data(&lst.mint, 5_000 * SOL, 1_000 * SOL, lst.epoch),
        stake_pool::PROGRAM_ID,
    );
    assert_eq!(report(&mut env, &lst, Some(lst.pool)).await.unwrap_err(), Some(pm_code(PmError::RateOutOfBounds)));
    // Restored: priced again.
    env.write_account(lst.pool, good, stake_pool::PROGRAM_ID);
    assert!(report(&mut env, &lst, Some(lst.pool)).await.is_ok());
}

#[tokio::test]
async fn the_source_is_pinned_once_by_the_risk_authority_before_any_deposit() {
    let (mut env, lst) = setup().await;
    let risk = env.risk.insecure_clone();
    // Already set, and the asset holds deposits: locked.
    let again = env.stake_pool(&lst.mint, 1_000 * SOL, 1_000 * SOL, lst.epoch);
    let e = env.send(&[set_source_ix(&lst.asset, &again, &risk.pubkey())], &[&risk]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::RateSourceLocked)));

    // A fresh asset: a stranger may not pin; a pool of another mint, a look-alike owner and a
    // validator list are refused; `None` is not a source.
    let mint = env.mint(spl_token::ID, 9).await;
    env.register(&mint, spl_token::ID, usdc_params(), &risk).await.unwrap();
    let asset = asset_pda(&mint);
    let pool = env.stake_pool(&mint, 1_050 * SOL, 1_000 * SOL, lst.epoch);
    let stranger = Keypair::new();
    env.fund(&stranger.pubkey()).await;
    let e = env.send(&[set_source_ix(&asset, &pool, &stranger.pubkey())], &[&stranger]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::Unauthorized)));
    let e = env.send(&[set_source_ix(&asset, &lst.pool, &risk.pubkey())], &[&risk]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::RateSourceMismatch)));
    let fake = Pubkey::new_unique();
    env.write_account(fake, stake_pool_data(&mint, SOL, SOL, lst.epoch), Pubkey::new_unique());
    let e = env.send(&[set_source_ix(&asset, &fake, &risk.pubkey())], &[&risk]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::OracleWrongOwner)));
    let none = pm_client::ix::collateral_set_rate_source(&asset, RateSource::None, &pool, &risk.pubkey());
    let e = env.send(&[none], &[&risk]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidParameter)));
    env.send(&[set_source_ix(&asset, &pool, &risk.pubkey())], &[&risk]).await.unwrap();
    let a: CollateralAsset = env.anchor(&asset).await;
    assert_eq!((a.rate_source, a.rate_account), (RateSource::SplStakePool, pool));
}
