//! Config, collateral registry, margin accounts, deposits and withdrawals: every success path
//! and each failure they guard against, with the exact error.
mod common;

use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::state::{CollateralAsset, Config, pause, status};
use solana_keypair::Keypair;
use solana_signer::Signer;

struct Usdc {
    mint: anchor_lang::prelude::Pubkey,
    asset: anchor_lang::prelude::Pubkey,
    vault: anchor_lang::prelude::Pubkey,
}

async fn setup() -> (Env, Usdc) {
    let mut env = Env::new().await;
    env.init_config().await.unwrap();
    let mint = env.mint(spl_token::ID, 6).await;
    let risk = env.risk.insecure_clone();
    env.register(&mint, spl_token::ID, usdc_params(), &risk).await.unwrap();
    (env, Usdc { mint, asset: asset_pda(&mint), vault: vault_pda(&mint) })
}

async fn funded_account(
    env: &mut Env,
    usdc: &Usdc,
    deposit: u64,
) -> (Keypair, anchor_lang::prelude::Pubkey, anchor_lang::prelude::Pubkey) {
    let owner = Keypair::new();
    env.fund(&owner.pubkey()).await;
    let margin = env.open(&owner, 0).await.unwrap();
    let wallet = env.token_account(spl_token::ID, &usdc.mint, &owner.pubkey(), 1_000_000_000_000).await;
    if deposit > 0 {
        let ix = env.deposit_ix(margin, usdc.mint, usdc.vault, wallet, owner.pubkey(), spl_token::ID, deposit);
        env.send(&[ix], &[&owner]).await.unwrap();
    }
    (owner, margin, wallet)
}

#[tokio::test]
async fn config_is_created_once_and_guarded() {
    let (mut env, _) = setup().await;
    let cfg: Config = env.anchor(&config_pda()).await;
    assert_eq!(cfg.admin, env.admin.pubkey());
    assert_eq!(cfg.risk_authority, env.risk.pubkey());
    // Reinitialization: the PDA exists already.
    assert!(env.init_config().await.is_err());
    // Pause by a non-admin.
    let stranger = Keypair::new();
    let ix = Env::ix(
        portfolio_margin::accounts::ConfigSetPause { config: config_pda(), admin: stranger.pubkey() },
        portfolio_margin::instruction::ConfigSetPause { paused: pause::DEPOSIT },
    );
    let e = env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::Unauthorized)));
    // Unknown pause bits.
    let admin = env.admin.insecure_clone();
    let ix = Env::ix(
        portfolio_margin::accounts::ConfigSetPause { config: config_pda(), admin: admin.pubkey() },
        portfolio_margin::instruction::ConfigSetPause { paused: 0x80 },
    );
    let e = env.send(&[ix], &[&admin]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidParameter)));
}

#[tokio::test]
async fn registry_accepts_the_risk_authority_only_and_sane_parameters() {
    let (mut env, usdc) = setup().await;
    let asset: CollateralAsset = env.anchor(&usdc.asset).await;
    assert_eq!((asset.mint, asset.vault, asset.decimals), (usdc.mint, usdc.vault, 6));
    assert_eq!(asset.token_program, spl_token::ID);

    let other = env.mint(spl_token::ID, 9).await;
    let stranger = Keypair::new();
    env.fund(&stranger.pubkey()).await;
    let e = env.register(&other, spl_token::ID, usdc_params(), &stranger).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::Unauthorized)));

    let risk = env.risk.insecure_clone();
    let mut bad = usdc_params();
    bad.init_haircut = ratio(0.01); // below maintenance
    let e = env.register(&other, spl_token::ID, bad, &risk).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InvalidParameter)));

    // A Token-2022 mint registers too, with its token program recorded.
    let t22 = env.mint(spl_token_2022::ID, 9).await;
    env.register(&t22, spl_token_2022::ID, usdc_params(), &risk).await.unwrap();
    let a: CollateralAsset = env.anchor(&asset_pda(&t22)).await;
    assert_eq!(a.token_program, spl_token_2022::ID);

    // Registering the same mint twice fails (the asset PDA exists).
    assert!(env.register(&t22, spl_token_2022::ID, usdc_params(), &risk).await.is_err());
}

#[tokio::test]
async fn deposit_and_withdraw_keep_vaults_equal_to_books() {
    let (mut env, usdc) = setup().await;
    let (owner, margin, wallet) = funded_account(&mut env, &usdc, 1_000_000_000).await;
    let acc = env.margin(&margin).await;
    assert_eq!(acc.n_balances, 1);
    assert_eq!(acc.balances[0].amount, 1_000_000_000);
    assert_eq!(env.token_balance(&usdc.vault).await, 1_000_000_000);

    let oracle = env.pyth(USDC_FEED, 100_000_000, 10_000, -8, env.now, true);
    let ix =
        env.withdraw_ix(margin, usdc.mint, wallet, owner.pubkey(), spl_token::ID, 400_000_000, &[(usdc.asset, oracle)]);
    env.send(&[ix], &[&owner]).await.unwrap();
    let acc = env.margin(&margin).await;
    assert_eq!(acc.balances[0].amount, 600_000_000);
    // Conservation: vault == sum of balances == the registry's total.
    let asset: CollateralAsset = env.anchor(&usdc.asset).await;
    assert_eq!(env.token_balance(&usdc.vault).await, 600_000_000);
    assert_eq!(asset.total_deposits, 600_000_000);

    // More than the balance.
    let ix =
        env.withdraw_ix(margin, usdc.mint, wallet, owner.pubkey(), spl_token::ID, 600_000_001, &[(usdc.asset, oracle)]);
    let e = env.send(&[ix], &[&owner]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InsufficientBalance)));
    // Everything, closing the slot.
    let ix =
        env.withdraw_ix(margin, usdc.mint, wallet, owner.pubkey(), spl_token::ID, 600_000_000, &[(usdc.asset, oracle)]);
    env.send(&[ix], &[&owner]).await.unwrap();
    assert_eq!(env.margin(&margin).await.n_balances, 0);
    assert_eq!(env.token_balance(&usdc.vault).await, 0);
}

#[tokio::test]
async fn withdrawals_need_the_owner_and_a_valid_oracle() {
    let (mut env, usdc) = setup().await;
    let (owner, margin, wallet) = funded_account(&mut env, &usdc, 1_000_000_000).await;
    let fresh = env.pyth(USDC_FEED, 100_000_000, 10_000, -8, env.now, true);

    // A delegate may trade but never withdraw.
    let delegate = Keypair::new();
    let ix = Env::ix(
        portfolio_margin::accounts::AccountSetDelegate { margin_account: margin, owner: owner.pubkey() },
        portfolio_margin::instruction::AccountSetDelegate { delegate: delegate.pubkey() },
    );
    env.send(&[ix], &[&owner]).await.unwrap();
    let ix = env.withdraw_ix(margin, usdc.mint, wallet, delegate.pubkey(), spl_token::ID, 1, &[(usdc.asset, fresh)]);
    let e = env.send(&[ix], &[&delegate]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::DelegateCannotWithdraw)));
    // A stranger.
    let stranger = Keypair::new();
    let ix = env.withdraw_ix(margin, usdc.mint, wallet, stranger.pubkey(), spl_token::ID, 1, &[(usdc.asset, fresh)]);
    let e = env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::Unauthorized)));

    let cases = [
        (env.pyth(USDC_FEED, 100_000_000, 10_000, -8, env.now - 3600, true), PmError::OracleStale),
        // Another feed's price is not this asset's oracle: the asset has none.
        (env.pyth(SOL_FEED, 100_000_000, 10_000, -8, env.now, true), PmError::OracleMissing),
        (env.pyth(USDC_FEED, 100_000_000, 10_000, -8, env.now, false), PmError::OracleNotVerified),
        (env.pyth(USDC_FEED, 0, 0, -8, env.now, true), PmError::OracleNonPositive),
        (env.pyth(USDC_FEED, 100_000_000, 5_000_000, -8, env.now, true), PmError::OracleConfidenceTooWide),
        (
            env.pyth_owned_by(anchor_lang::prelude::Pubkey::new_unique(), USDC_FEED, 100_000_000, 1, -8, env.now, true),
            PmError::OracleWrongOwner,
        ),
    ];
    for (oracle, want) in cases {
        let ix = env.withdraw_ix(margin, usdc.mint, wallet, owner.pubkey(), spl_token::ID, 1, &[(usdc.asset, oracle)]);
        let e = env.send(&[ix], &[&owner]).await.unwrap_err();
        assert_eq!(custom_code(&e), Some(pm_code(want)), "{want:?}");
    }
    // Missing accounts: no asset at all, then the asset without a price.
    let mut ix = env.withdraw_ix(margin, usdc.mint, wallet, owner.pubkey(), spl_token::ID, 1, &[]);
    let e = env.send(std::slice::from_ref(&ix), &[&owner]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::AccountsMismatch)));
    ix.accounts.push(anchor_lang::solana_program::instruction::AccountMeta::new_readonly(usdc.asset, false));
    let e = env.send(&[ix], &[&owner]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::OracleMissing)));
    // Nothing moved.
    assert_eq!(env.token_balance(&usdc.vault).await, 1_000_000_000);
    assert_eq!(env.margin(&margin).await.balances[0].amount, 1_000_000_000);
}

#[tokio::test]
async fn deposits_respect_pause_status_cap_and_vault() {
    let (mut env, usdc) = setup().await;
    let (owner, margin, wallet) = funded_account(&mut env, &usdc, 0).await;

    // Paused.
    let admin = env.admin.insecure_clone();
    let set_pause = |bits: u8| {
        Env::ix(
            portfolio_margin::accounts::ConfigSetPause { config: config_pda(), admin: admin.pubkey() },
            portfolio_margin::instruction::ConfigSetPause { paused: bits },
        )
    };
    env.send(&[set_pause(pause::DEPOSIT)], &[&admin]).await.unwrap();
    let ix = env.deposit_ix(margin, usdc.mint, usdc.vault, wallet, owner.pubkey(), spl_token::ID, 5);
    let e = env.send(std::slice::from_ref(&ix), &[&owner]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::Paused)));
    env.send(&[set_pause(0)], &[&admin]).await.unwrap();

    // Substituted vault: a token account of the same mint that is not the asset's vault.
    let fake_vault = env.token_account(spl_token::ID, &usdc.mint, &owner.pubkey(), 0).await;
    let bad = env.deposit_ix(margin, usdc.mint, fake_vault, wallet, owner.pubkey(), spl_token::ID, 5);
    let e = env.send(&[bad], &[&owner]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::WrongVault)));

    // Zero amount.
    let zero = env.deposit_ix(margin, usdc.mint, usdc.vault, wallet, owner.pubkey(), spl_token::ID, 0);
    let e = env.send(&[zero], &[&owner]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::ZeroAmount)));

    // Reduce-only and cap, set by the risk authority.
    let risk = env.risk.insecure_clone();
    let update = |p: portfolio_margin::state::CollateralParams| {
        Env::ix(
            portfolio_margin::accounts::CollateralUpdate {
                config: config_pda(),
                asset: usdc.asset,
                risk_authority: risk.pubkey(),
            },
            portfolio_margin::instruction::CollateralUpdate { params: p },
        )
    };
    let mut p = usdc_params();
    p.status = status::REDUCE_ONLY;
    env.send(&[update(p)], &[&risk]).await.unwrap();
    let e = env.send(std::slice::from_ref(&ix), &[&owner]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::AssetReduceOnly)));
    p.status = status::ACTIVE;
    p.deposit_cap = 4;
    env.send(&[update(p)], &[&risk]).await.unwrap();
    let e = env.send(std::slice::from_ref(&ix), &[&owner]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::DepositCapExceeded)));
    p.deposit_cap = 5;
    env.send(&[update(p)], &[&risk]).await.unwrap();
    env.send(&[ix], &[&owner]).await.unwrap();
    assert_eq!(env.margin(&margin).await.balances[0].amount, 5);
}

#[tokio::test]
async fn token_2022_collateral_round_trips() {
    let (mut env, _) = setup().await;
    let risk = env.risk.insecure_clone();
    let mint = env.mint(spl_token_2022::ID, 9).await;
    let mut params = usdc_params();
    params.feed_id = SOL_FEED;
    params.deposit_cap = u64::MAX;
    env.register(&mint, spl_token_2022::ID, params, &risk).await.unwrap();
    let owner = Keypair::new();
    env.fund(&owner.pubkey()).await;
    let margin = env.open(&owner, 7).await.unwrap();
    let wallet = env.token_account(spl_token_2022::ID, &mint, &owner.pubkey(), 5_000_000_000).await;
    let ix = env.deposit_ix(margin, mint, vault_pda(&mint), wallet, owner.pubkey(), spl_token_2022::ID, 2_000_000_000);
    env.send(&[ix], &[&owner]).await.unwrap();
    let oracle = env.pyth(SOL_FEED, 15_000_000_000, 5_000_000, -8, env.now, true);
    let ix = env.withdraw_ix(
        margin,
        mint,
        wallet,
        owner.pubkey(),
        spl_token_2022::ID,
        500_000_000,
        &[(asset_pda(&mint), oracle)],
    );
    env.send(&[ix], &[&owner]).await.unwrap();
    assert_eq!(env.token_balance(&vault_pda(&mint)).await, 1_500_000_000);
    assert_eq!(env.token_balance(&wallet).await, 3_500_000_000);
    assert_eq!(env.margin(&margin).await.balances[0].amount, 1_500_000_000);
}

#[tokio::test]
async fn margin_report_returns_equity_and_requirements() {
    let (mut env, usdc) = setup().await;
    let (_owner, margin, _) = funded_account(&mut env, &usdc, 1_000_000_000).await;
    let oracle = env.pyth(USDC_FEED, 100_000_000, 10_000, -8, env.now, true);
    let mut ix = Env::ix(
        portfolio_margin::accounts::MarginReport { config: config_pda(), margin_account: margin },
        portfolio_margin::instruction::MarginReport {},
    );
    for k in [usdc.asset, oracle] {
        ix.accounts.push(anchor_lang::solana_program::instruction::AccountMeta::new_readonly(k, false));
    }
    let summary: portfolio_margin::instructions::MarginSummary = env.view(ix).await;
    let money = |raw: i64| raw as f64 / (1u64 << 24) as f64;
    // 1,000 USDC at price - conf = 0.9999, maintenance haircut 2%.
    let want_equity = 1_000.0 * 0.9999 * 0.98;
    assert!((money(summary.equity) - want_equity).abs() < 1e-6, "{}", money(summary.equity));
    // No positions: the requirement is the extra initial haircut (1%) only.
    assert!((money(summary.initial) - 1_000.0 * 0.9999 * 0.01).abs() < 1e-6);
    assert_eq!(summary.maintenance, 0);
    assert!(summary.groups.is_empty());
}
