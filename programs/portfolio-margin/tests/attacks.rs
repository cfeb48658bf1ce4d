//! Hostile users: one test per finding of the security review, each the attack as it was
//! run, now failing for the attacker with the exact error (README: "Security").
mod common;

use anchor_spl::token::spl_token;
use common::market::*;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::state::MAX_BALANCES;
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: u64 = 1_000_000;

fn code(e: &solana_program_test::BanksClientError) -> Option<u32> {
    custom_code(e)
}

/// C-1: one wallet trades a future between its own two sub-accounts at an absurd price to move
/// the vault's money into one of them. The price band refuses it; inside the band, a side
/// already short of initial margin may not lose health to the other.
#[tokio::test]
async fn c1_off_market_trade_between_own_sub_accounts_is_refused() {
    let mut m = Market::new().await;
    let [_, _, f] = m.list_hedge_set(150.0).await;
    m.crank(150.0).await.unwrap();
    let wallet = Keypair::new();
    let a = m.trader_sub(wallet.insecure_clone(), 0, 2_000 * USDC).await;
    let b = m.trader_sub(wallet.insecure_clone(), 1, 2_000 * USDC).await;
    // 100,000 per SOL for a future worth ~150: far outside the band.
    let e = m.trade(f, &a, &b, -10, 100_000.0, 1).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::PriceOutOfBand)));
    let e = m.trade(f, &a, &b, 10, 0.01, 2).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::PriceOutOfBand)));

    // Inside the band (10% of spot): b buys 100 futures at the top of the band, losing ~14.25
    // per unit to a, with 2,000 USDC of collateral. b ends below initial margin and its
    // equity - initial fell: refused, whatever its maintenance margin does.
    let e = m.trade(f, &a, &b, 100, 164.9, 3).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InitialMarginViolated)));
    // At fair value the same size is fine for a funded account.
    let rich = m.trader_sub(wallet.insecure_clone(), 2, 200_000 * USDC).await;
    m.trade(f, &a, &rich, 10, 150.6, 4).await.unwrap();
}

/// C-1 (delegate): the owner's delegate trades the owner's account against its own at a price
/// worse than fair for the owner. Refused; at fair or better for the owner it may trade.
#[tokio::test]
async fn c1_delegate_cannot_trade_value_out_of_the_account() {
    let mut m = Market::new().await;
    let [_, _, f] = m.list_hedge_set(150.0).await;
    m.crank(150.0).await.unwrap();
    let victim = m.trader(100_000 * USDC).await;
    let thief = m.trader(100_000 * USDC).await;
    let set = Env::ix(
        portfolio_margin::accounts::AccountSetDelegate { margin_account: victim.margin, owner: victim.key.pubkey() },
        portfolio_margin::instruction::AccountSetDelegate { delegate: thief.key.pubkey() },
    );
    let vk = victim.key.insecure_clone();
    m.env.send(&[set], &[&vk]).await.unwrap();
    // The thief signs for the victim's account (as taker) and for its own (as maker): the
    // victim buys 50 futures 10 above fair.
    let fair = 150.0 * (0.05f64 * 30.0 / 365.0).exp();
    let args = portfolio_margin::instructions::TradeArgs {
        lots: 50,
        price: price(fair + 10.0),
        quote_expiry: m.env.now + 60,
        nonce: 1,
    };
    let extra = m.check_accounts();
    let tk = thief.key.pubkey();
    let ix = m.trade_ix_with(f, (&thief.margin, &tk), (&victim.margin, &tk), args, extra.clone());
    let t = thief.key.insecure_clone();
    let e = m.env.send(&[ix], &[&t]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::DelegatePriceWorse)));
    // Below fair for the victim (a buyer): allowed.
    let args = portfolio_margin::instructions::TradeArgs { price: price(fair - 1.0), nonce: 2, ..args };
    let ix = m.trade_ix_with(f, (&thief.margin, &tk), (&victim.margin, &tk), args, extra);
    m.env.send(&[ix], &[&t]).await.unwrap();
}

/// H-2: a stranger deposits 1-unit dust of seven tokens into a trader's account to fill its
/// slots (so settlement could not credit the quote asset). Only the owner opens balances of
/// non-quote assets, and none of them takes the last free slot.
#[tokio::test]
async fn h2_strangers_cannot_fill_an_accounts_slots() {
    let mut m = Market::new().await;
    let trader = m.trader(1_000 * USDC).await;
    let stranger = Keypair::new();
    m.env.fund(&stranger.pubkey()).await;
    let risk = m.env.risk.insecure_clone();
    let mut mints = vec![];
    for _ in 0..MAX_BALANCES {
        let mint = m.env.mint(spl_token::ID, 6).await;
        m.env.register(&mint, spl_token::ID, usdc_params(), &risk).await.unwrap();
        mints.push(mint);
    }
    // The stranger: refused for a non-quote asset.
    let wallet = m.env.token_account(spl_token::ID, &mints[0], &stranger.pubkey(), 10).await;
    let ix =
        m.env.deposit_ix(trader.margin, mints[0], vault_pda(&mints[0]), wallet, stranger.pubkey(), spl_token::ID, 1);
    let e = m.env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::DepositSlotRefused)));
    // A stranger may still add to the quote balance (a gift).
    m.env.deposit_new_tokens(spl_token::ID, m.usdc_mint, trader.margin, &stranger, 5).await;
    // The owner: six more non-quote balances (7 used), but not the eighth slot.
    for mint in &mints[..MAX_BALANCES - 2] {
        m.env.deposit_new_tokens(spl_token::ID, *mint, trader.margin, &trader.key, 1).await;
    }
    let owner = trader.key.insecure_clone();
    let last = mints[MAX_BALANCES - 2];
    let wallet = m.env.token_account(spl_token::ID, &last, &owner.pubkey(), 10).await;
    let ix = m.env.deposit_ix(trader.margin, last, vault_pda(&last), wallet, owner.pubkey(), spl_token::ID, 1);
    let e = m.env.send(&[ix], &[&owner]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::CollateralCapacityExceeded)));
    let acc = m.env.margin(&trader.margin).await;
    assert_eq!(acc.n_balances as usize, MAX_BALANCES - 1);
}

/// H-3: eight dust deposits into the insurance fund (anyone may fund it) so crediting its
/// share of a liquidation fee fails. Strangers may fund it in quote assets only.
#[tokio::test]
async fn h3_dust_cannot_fill_the_insurance_fund() {
    let mut m = Market::new().await;
    let stranger = Keypair::new();
    m.env.fund(&stranger.pubkey()).await;
    let risk = m.env.risk.insecure_clone();
    let mint = m.env.mint(spl_token::ID, 6).await;
    m.env.register(&mint, spl_token::ID, usdc_params(), &risk).await.unwrap();
    let wallet = m.env.token_account(spl_token::ID, &mint, &stranger.pubkey(), 10).await;
    let fund = insurance_pda();
    let ix = m.env.deposit_ix(fund, mint, vault_pda(&mint), wallet, stranger.pubkey(), spl_token::ID, 1);
    let e = m.env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::DepositSlotRefused)));
    m.env.deposit_new_tokens(spl_token::ID, m.usdc_mint, fund, &stranger, 7).await;
    assert_eq!(m.env.margin(&fund).await.balance(&m.usdc), 7);
}

/// H-4: roll the underlying's snapshot back to an older (chosen) Pyth update. Refused: only a
/// newer update refreshes it (so re-cranking the same one cannot stale every cache either).
#[tokio::test]
async fn h4_the_snapshot_cannot_be_rolled_back_to_an_older_price() {
    let mut m = Market::new().await;
    m.list(future(m.expiry)).await.unwrap();
    let old = m.sol_price(120.0);
    m.warp(5).await;
    m.crank(150.0).await.unwrap();
    let e = m.env.send(&[m.underlying_refresh_ix(old)], &[]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::OracleNotNewer)));
    // The same update as the snapshot's: refused too.
    let now = m.env.now;
    let same = m.env.pyth(SOL_FEED, 150 * 100_000_000, 1_000_000, -8, now, true);
    let e = m.env.send(&[m.underlying_refresh_ix(same)], &[]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::OracleNotNewer)));
}

/// Parameters: an oracle age beyond the bound is refused at registration.
#[tokio::test]
async fn h4_long_oracle_ages_are_refused() {
    let mut m = Market::new().await;
    let risk = m.env.risk.insecure_clone();
    let mint = m.env.mint(spl_token::ID, 6).await;
    let params = portfolio_margin::state::CollateralParams { max_oracle_age_secs: 3_600, ..usdc_params() };
    let e = m.env.register(&mint, spl_token::ID, params, &risk).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InvalidParameter)));
    let p = portfolio_margin::state::UnderlyingParams { max_oracle_age_secs: 3_600, ..sol_params() };
    let e = m.register_underlying(1, p, &risk).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InvalidParameter)));
}

/// Remaining accounts: the same account twice is refused (no double counting).
#[tokio::test]
async fn the_same_remaining_account_twice_is_refused() {
    let mut m = Market::new().await;
    let t = m.trader(1_000 * USDC).await;
    let mut ix = m.report_ix(t.margin);
    let dup = ix.accounts.last().unwrap().clone();
    ix.accounts.push(dup);
    let e = m.env.simulate(&[ix]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::DuplicateAccount)));
}

/// L-2 (a): right after deployment a stranger calls `config_init` to make itself the admin
/// (and name its own risk and vol-oracle authorities). Only the program's upgrade authority
/// may: the stranger is refused, also with a program data account of its own (a program it
/// deployed, recording it as upgrade authority); then the real deployer initializes.
#[tokio::test]
async fn l2_a_stranger_cannot_front_run_config_init() {
    use solana_account::{Account, AccountSharedData};
    let mut env = Env::new().await;
    let stranger = Keypair::new();
    env.fund(&stranger.pubkey()).await;
    let ix = env.config_init_ix(&stranger.pubkey());
    let e = env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::NotUpgradeAuthority)));
    // The stranger's own program data account (upgradeable loader, stranger as authority).
    let [_, (_, own)]: [(_, Account); 2] = upgradeable_program_accounts(&[], &stranger.pubkey());
    let fake = anchor_lang::prelude::Pubkey::new_unique();
    env.ctx.set_account(&fake, &AccountSharedData::from(own));
    let mut ix = env.config_init_ix(&stranger.pubkey());
    ix.accounts[4].pubkey = fake;
    let e = env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::NotUpgradeAuthority)));
    assert!(env.account(&config_pda()).await.is_none());
    // The upgrade authority initializes; nobody can afterwards (the PDA exists).
    env.init_config().await.unwrap();
    let cfg: portfolio_margin::state::Config = env.anchor(&config_pda()).await;
    assert_eq!(cfg.admin, env.admin.pubkey());
    let ix = env.config_init_ix(&stranger.pubkey());
    assert!(env.send(&[ix], &[&stranger]).await.is_err());
}

/// L-2 (b): a stranger tries to take the admin or the risk authority through the rotation:
/// proposing (only the role's holder may, not even the other role's), accepting a proposal
/// made for someone else, or accepting when nothing is proposed. All refused.
#[tokio::test]
async fn l2_strangers_cannot_propose_or_accept_authorities() {
    use portfolio_margin::state::role;
    let mut env = Env::new().await;
    env.init_config().await.unwrap();
    let (admin, risk, stranger) = (env.admin.insecure_clone(), env.risk.insecure_clone(), Keypair::new());
    env.fund(&stranger.pubkey()).await;
    for r in [role::ADMIN, role::RISK_AUTHORITY] {
        let ix = Env::propose_authority_ix(&stranger.pubkey(), r, stranger.pubkey());
        let e = env.send(&[ix], &[&stranger]).await.unwrap_err();
        assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
        // Nothing proposed: accepting is refused.
        let ix = Env::accept_authority_ix(&stranger.pubkey(), r);
        let e = env.send(&[ix], &[&stranger]).await.unwrap_err();
        assert_eq!(code(&e), Some(pm_code(PmError::NotProposedAuthority)));
    }
    // The risk authority cannot propose an admin, nor the admin a risk authority.
    let ix = Env::propose_authority_ix(&risk.pubkey(), role::ADMIN, risk.pubkey());
    let e = env.send(&[ix], &[&risk]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    let ix = Env::propose_authority_ix(&admin.pubkey(), role::RISK_AUTHORITY, admin.pubkey());
    let e = env.send(&[ix], &[&admin]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    // An unknown role.
    let ix = Env::propose_authority_ix(&admin.pubkey(), 2, stranger.pubkey());
    let e = env.send(&[ix], &[&admin]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InvalidParameter)));
    // A proposal for someone else: the stranger cannot accept it, for that role or the other.
    let successor = Keypair::new();
    let ix = Env::propose_authority_ix(&admin.pubkey(), role::ADMIN, successor.pubkey());
    env.send(&[ix], &[&admin]).await.unwrap();
    for r in [role::ADMIN, role::RISK_AUTHORITY] {
        let ix = Env::accept_authority_ix(&stranger.pubkey(), r);
        let e = env.send(&[ix], &[&stranger]).await.unwrap_err();
        assert_eq!(code(&e), Some(pm_code(PmError::NotProposedAuthority)));
    }
    // Nor can the successor accept the other role.
    let ix = Env::accept_authority_ix(&successor.pubkey(), role::RISK_AUTHORITY);
    let e = env.send(&[ix], &[&successor]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::NotProposedAuthority)));
    let cfg: portfolio_margin::state::Config = env.anchor(&config_pda()).await;
    assert_eq!((cfg.admin, cfg.risk_authority), (admin.pubkey(), risk.pubkey()));
}

/// L-2 (b): the rotation end to end. The admin proposes a successor (still admin until the
/// successor accepts), withdraws and re-proposes; the successor accepts and the old key loses
/// the role. The same for the risk authority, whose successor then registers collateral.
#[tokio::test]
async fn l2_admin_and_risk_authority_rotate_in_two_steps() {
    use portfolio_margin::state::{Config, pause, role};
    let mut env = Env::new().await;
    env.init_config().await.unwrap();
    let (admin, risk) = (env.admin.insecure_clone(), env.risk.insecure_clone());
    let (new_admin, new_risk) = (Keypair::new(), Keypair::new());
    env.fund(&new_admin.pubkey()).await;
    env.fund(&new_risk.pubkey()).await;
    let pause_ix = |k: &Keypair, paused: u8| {
        Env::ix(
            portfolio_margin::accounts::ConfigSetPause { config: config_pda(), admin: k.pubkey() },
            portfolio_margin::instruction::ConfigSetPause { paused },
        )
    };

    // Admin: propose, withdraw (default key), re-propose.
    env.send(&[Env::propose_authority_ix(&admin.pubkey(), role::ADMIN, new_admin.pubkey())], &[&admin]).await.unwrap();
    let cfg: Config = env.anchor(&config_pda()).await;
    assert_eq!((cfg.admin, cfg.pending_admin), (admin.pubkey(), new_admin.pubkey()));
    let none = anchor_lang::prelude::Pubkey::default();
    env.send(&[Env::propose_authority_ix(&admin.pubkey(), role::ADMIN, none)], &[&admin]).await.unwrap();
    let e = env.send(&[Env::accept_authority_ix(&new_admin.pubkey(), role::ADMIN)], &[&new_admin]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::NotProposedAuthority)));
    env.send(&[Env::propose_authority_ix(&admin.pubkey(), role::ADMIN, new_admin.pubkey())], &[&admin]).await.unwrap();
    // Until it accepts, the successor is not the admin and the old admin still is.
    let e = env.send(&[pause_ix(&new_admin, pause::DEPOSIT)], &[&new_admin]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    env.send(&[pause_ix(&admin, pause::DEPOSIT)], &[&admin]).await.unwrap();
    env.send(&[Env::accept_authority_ix(&new_admin.pubkey(), role::ADMIN)], &[&new_admin]).await.unwrap();
    let cfg: Config = env.anchor(&config_pda()).await;
    assert_eq!((cfg.admin, cfg.pending_admin), (new_admin.pubkey(), none));
    let e = env.send(&[pause_ix(&admin, 0)], &[&admin]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    env.send(&[pause_ix(&new_admin, 0)], &[&new_admin]).await.unwrap();
    // Accepted once: the proposal is spent.
    let e = env.send(&[Env::accept_authority_ix(&new_admin.pubkey(), role::ADMIN)], &[&new_admin]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::NotProposedAuthority)));

    // Risk authority.
    let ix = Env::propose_authority_ix(&risk.pubkey(), role::RISK_AUTHORITY, new_risk.pubkey());
    env.send(&[ix], &[&risk]).await.unwrap();
    env.send(&[Env::accept_authority_ix(&new_risk.pubkey(), role::RISK_AUTHORITY)], &[&new_risk]).await.unwrap();
    let cfg: Config = env.anchor(&config_pda()).await;
    assert_eq!((cfg.risk_authority, cfg.pending_risk_authority), (new_risk.pubkey(), none));
    assert_eq!(cfg.admin, new_admin.pubkey());
    let mint = env.mint(spl_token::ID, 6).await;
    let e = env.register(&mint, spl_token::ID, usdc_params(), &risk).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    env.register(&mint, spl_token::ID, usdc_params(), &new_risk).await.unwrap();
}

/// L-3: the risk authority is asked to list a Token-2022 mint whose issuer keeps a permanent
/// delegate (it could move the vault's tokens out), a transfer hook (its program runs on every
/// transfer and can block withdrawals), frozen new accounts (the vault would be frozen),
/// non-transferable tokens, or confidential transfers (balances the program cannot see). All
/// refused at registration; harmless extensions (transfer fee, metadata pointer) register.
#[tokio::test]
async fn l3_token_2022_mints_with_dangerous_extensions_are_refused() {
    use anchor_spl::token_2022::spl_token_2022;
    let mut env = Env::new().await;
    env.init_config().await.unwrap();
    let risk = env.risk.insecure_clone();
    for ext in [
        ExtensionType::PermanentDelegate,
        ExtensionType::TransferHook,
        ExtensionType::DefaultAccountState,
        ExtensionType::NonTransferable,
        ExtensionType::ConfidentialTransferMint,
    ] {
        let mint = env.mint_2022_with(6, &[ext]).await;
        let e = env.register(&mint, spl_token_2022::ID, usdc_params(), &risk).await.unwrap_err();
        assert_eq!(code(&e), Some(pm_code(PmError::MintExtensionRefused)), "{ext:?}: {e:?}");
        assert!(env.account(&asset_pda(&mint)).await.is_none());
    }
    // A dangerous extension among harmless ones is still refused.
    let mint = env.mint_2022_with(6, &[ExtensionType::MetadataPointer, ExtensionType::PermanentDelegate]).await;
    let e = env.register(&mint, spl_token_2022::ID, usdc_params(), &risk).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::MintExtensionRefused)));
    let mint = env.mint_2022_with(6, &[ExtensionType::TransferFeeConfig, ExtensionType::MetadataPointer]).await;
    env.register(&mint, spl_token_2022::ID, usdc_params(), &risk).await.unwrap();
}
