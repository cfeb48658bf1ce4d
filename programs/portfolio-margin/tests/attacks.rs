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
    for r in [role::ADMIN, role::RISK_AUTHORITY, role::VOL_ORACLE] {
        let ix = Env::propose_authority_ix(&stranger.pubkey(), r, stranger.pubkey());
        let e = env.send(&[ix], &[&stranger]).await.unwrap_err();
        assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
        // Nothing proposed: accepting is refused.
        let ix = Env::accept_authority_ix(&stranger.pubkey(), r);
        let e = env.send(&[ix], &[&stranger]).await.unwrap_err();
        assert_eq!(code(&e), Some(pm_code(PmError::NotProposedAuthority)));
    }
    // The risk authority cannot propose an admin or a vol oracle, nor the admin a risk authority.
    let ix = Env::propose_authority_ix(&risk.pubkey(), role::VOL_ORACLE, risk.pubkey());
    let e = env.send(&[ix], &[&risk]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    let ix = Env::propose_authority_ix(&risk.pubkey(), role::ADMIN, risk.pubkey());
    let e = env.send(&[ix], &[&risk]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    let ix = Env::propose_authority_ix(&admin.pubkey(), role::RISK_AUTHORITY, admin.pubkey());
    let e = env.send(&[ix], &[&admin]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    // An unknown role.
    let ix = Env::propose_authority_ix(&admin.pubkey(), 3, stranger.pubkey());
    let e = env.send(&[ix], &[&admin]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InvalidParameter)));
    // A proposal for someone else: the stranger cannot accept it, for that role or the other.
    let successor = Keypair::new();
    let ix = Env::propose_authority_ix(&admin.pubkey(), role::ADMIN, successor.pubkey());
    env.send(&[ix], &[&admin]).await.unwrap();
    for r in [role::ADMIN, role::RISK_AUTHORITY, role::VOL_ORACLE] {
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
        ExtensionType::Pausable,
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

/// M-4: a liquidatee re-cranks the underlying ahead of every liquidator, so the instruments'
/// caches are always one epoch behind and no check can run. Refused within
/// `min_refresh_secs`: the caches cranked with a snapshot stay current that long (the
/// liquidators' window, also to re-crank books too large for one transaction).
#[tokio::test]
async fn m4_the_underlying_cannot_be_re_cranked_ahead_of_liquidators() {
    use portfolio_margin::state::{Instrument, Underlying};
    let mut m = Market::new().await;
    let f = m.list(future(m.expiry)).await.unwrap();
    m.crank(150.0).await.unwrap();
    let u: Underlying = m.env.anchor(&m.sol).await;
    m.warp(1).await;
    let newer = m.sol_price(151.0);
    let e = m.env.send(&[m.underlying_refresh_ix(newer)], &[]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::RefreshTooSoon)));
    let inst: Instrument = m.env.zero_copy(&f).await;
    assert_eq!(inst.risk_epoch, u.snapshot.epoch);
    // Once the interval (2 s here) has passed, anyone refreshes again.
    m.warp(u.params.min_refresh_secs as i64 - 1).await;
    let newer = m.sol_price(152.0);
    m.env.send(&[m.underlying_refresh_ix(newer)], &[]).await.unwrap();
    // An interval as long as the risk age would leave no window at all: refused.
    let p = portfolio_margin::state::UnderlyingParams { min_refresh_secs: 120, ..sol_params() };
    let risk = m.env.risk.insecure_clone();
    let e = m.register_underlying(1, p, &risk).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InvalidParameter)));
}

/// M-5: the vol oracle goes silent. The underlying, its futures and the options already
/// priced stay margined (last ATM vol and last option vols, the vol scan doubled); an option
/// never priced cannot be.
#[tokio::test]
async fn m5_a_stale_vol_surface_does_not_freeze_the_underlying() {
    use portfolio_margin::state::{Instrument, Underlying};
    let mut m = Market::new().await;
    let [c, _, f] = m.list_hedge_set(150.0).await;
    m.crank(150.0).await.unwrap();
    let a = m.trader(100_000 * USDC).await;
    let b = m.trader(100_000 * USDC).await;
    let mark = |i: &Instrument| risk_kernel::instrument::InstrumentRisk::from_words(&i.risk).unwrap().mark;
    let call_mark = mark(&m.env.zero_copy(&c).await).to_f64();
    m.trade(c, &a, &b, 2, call_mark, 1).await.unwrap();
    m.trade(f, &a, &b, -2, 150.6, 2).await.unwrap();
    let before: Underlying = m.env.anchor(&m.sol).await;
    let priced: Instrument = m.env.zero_copy(&c).await;
    let never = m.list(call(m.expiry, 170.0)).await.unwrap();
    m.instruments.retain(|i| *i != never);

    m.warp(before.params.max_vol_age_secs as i64 + 1).await;
    m.crank(145.0).await.unwrap(); // was VolSurfaceStale
    let after: Underlying = m.env.anchor(&m.sol).await;
    assert_eq!(after.snapshot.atm_vol, before.snapshot.atm_vol);
    let repriced: Instrument = m.env.zero_copy(&c).await;
    assert_eq!((repriced.vol, repriced.risk_epoch), (priced.vol, after.snapshot.epoch));
    m.report(b.margin).await; // both positions margined on the degraded caches
    let e = m.env.send(&[m.instrument_refresh_ix(never)], &[]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VolSurfaceStale)));
}

/// M-5: an expiry the vol oracle did not publish a slice for is priced between its
/// neighbours (linear in expiry), or flat beyond the last one, instead of never.
#[tokio::test]
async fn m5_an_expiry_without_its_own_vol_slice_is_interpolated() {
    use portfolio_margin::state::Instrument;
    let mut m = Market::new().await;
    let (e1, e2) = (m.expiry, m.expiry + 60 * DAY);
    let mut s = surface(&[e1, e2], 0.6);
    s.slices[1].vols = surface(&[e2], 0.8).slices[0].vols;
    let vol = m.env.vol.insecure_clone();
    m.publish(s, &vol).await.unwrap();
    let mid = m.list(call(e1 + 30 * DAY, 150.0)).await.unwrap();
    let beyond = m.list(call(e2 + 30 * DAY, 150.0)).await.unwrap();
    m.crank(150.0).await.unwrap();
    let v = |i: &Instrument| i.vol as f64 / (1u64 << 48) as f64;
    let (vm, vb) = (v(&m.env.zero_copy(&mid).await), v(&m.env.zero_copy(&beyond).await));
    assert!((vm - 0.7).abs() < 1e-9, "{vm}");
    assert!((vb - 0.8).abs() < 1e-9, "{vb}");
}

/// M-5: the feed is silent across expiry and its first print comes after the settlement
/// window. That print (the one update that straddles expiry) still settles, so positions are
/// never frozen; any other update is still refused.
#[tokio::test]
async fn m5_a_late_first_print_still_settles() {
    use portfolio_margin::state::{Instrument, phase};
    let mut m = Market::new().await;
    let expiry = m.expiry;
    let f = m.list(future(expiry)).await.unwrap();
    m.crank(150.0).await.unwrap();
    m.warp(expiry - m.env.now + 3_600).await;
    let first = m.env.pyth_after(SOL_FEED, 17_000_000_000, expiry + 3_000, expiry - 600);
    let next = m.env.pyth_after(SOL_FEED, 16_000_000_000, expiry + 3_300, expiry + 3_000);
    let e = m.env.send(&[m.settle_price_ix(f, next)], &[]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::SettlementNotFirstUpdate)));
    m.env.send(&[m.settle_price_ix(f, first)], &[]).await.unwrap();
    let inst: Instrument = m.env.zero_copy(&f).await;
    assert_eq!((inst.phase, inst.settle_price), (phase::SETTLED, price(170.0)));
}

fn collateral_propose_ix(
    asset: anchor_lang::prelude::Pubkey,
    signer: anchor_lang::prelude::Pubkey,
    params: portfolio_margin::state::CollateralParams,
) -> anchor_lang::solana_program::instruction::Instruction {
    Env::ix(
        portfolio_margin::accounts::CollateralPropose {
            config: config_pda(),
            asset,
            pending: pending_pda(&asset),
            risk_authority: signer,
            system_program: anchor_lang::system_program::ID,
        },
        portfolio_margin::instruction::CollateralPropose { params },
    )
}

fn collateral_apply_ix(
    asset: anchor_lang::prelude::Pubkey,
    payer: anchor_lang::prelude::Pubkey,
) -> anchor_lang::solana_program::instruction::Instruction {
    Env::ix(
        portfolio_margin::accounts::CollateralApply {
            config: config_pda(),
            asset,
            pending: pending_pda(&asset),
            payer,
        },
        portfolio_margin::instruction::CollateralApply {},
    )
}

/// L-2: a stolen risk-authority key reprices live balances at once (a haircut cut to zero, a
/// new feed, a remapped group). Such changes now wait `PARAM_DELAY_SECS` between a proposal
/// anyone can read and its application; the levers that reprice nothing act at once.
#[tokio::test]
async fn l2_repricing_changes_wait_the_delay() {
    use portfolio_margin::state::{CollateralAsset, PARAM_DELAY_SECS, Underlying, UnderlyingParams};
    let mut m = Market::new().await;
    let risk = m.env.risk.insecure_clone();
    let stranger = Keypair::new();
    m.env.fund(&stranger.pubkey()).await;
    let update = |p| {
        Env::ix(
            portfolio_margin::accounts::CollateralUpdate {
                config: config_pda(),
                asset: m.usdc,
                risk_authority: risk.pubkey(),
            },
            portfolio_margin::instruction::CollateralUpdate { params: p },
        )
    };
    let cheaper = portfolio_margin::state::CollateralParams { maint_haircut: 0, init_haircut: 0, ..usdc_params() };
    let e = m.env.send(&[update(cheaper)], &[&risk]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::ParamChangeNeedsDelay)));
    let lever = portfolio_margin::state::CollateralParams { deposit_cap: 1, ..usdc_params() };
    m.env.send(&[update(lever)], &[&risk]).await.unwrap();

    let e = m.env.send(&[collateral_propose_ix(m.usdc, stranger.pubkey(), cheaper)], &[&stranger]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    m.env.send(&[collateral_propose_ix(m.usdc, risk.pubkey(), cheaper)], &[&risk]).await.unwrap();
    let e = m.env.send(&[collateral_apply_ix(m.usdc, risk.pubkey())], &[]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::ParamChangeNotDue)));
    m.warp(PARAM_DELAY_SECS).await;
    // The rent goes back to the proposer only.
    let e = m.env.send(&[collateral_apply_ix(m.usdc, stranger.pubkey())], &[]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::PendingParamsMismatch)));
    m.env.send(&[collateral_apply_ix(m.usdc, risk.pubkey())], &[]).await.unwrap();
    let asset: CollateralAsset = m.env.anchor(&m.usdc).await;
    assert_eq!(asset.params, cheaper);
    assert!(m.env.account(&pending_pda(&m.usdc)).await.is_none());
    // A quote asset is never delisted (its debts need a price).
    let delist = portfolio_margin::state::CollateralParams {
        status: portfolio_margin::state::status::DELISTED,
        ..usdc_params()
    };
    let e = m.env.send(&[collateral_propose_ix(m.usdc, risk.pubkey(), delist)], &[&risk]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InvalidParameter)));

    // Underlyings: a narrower band acts at once, a wider one waits; scan changes wait and,
    // once applied, stale every cache.
    let u_update = |p: UnderlyingParams| {
        Env::ix(
            portfolio_margin::accounts::UnderlyingUpdate {
                config: config_pda(),
                underlying: m.sol,
                risk_authority: risk.pubkey(),
            },
            portfolio_margin::instruction::UnderlyingUpdate { params: p },
        )
    };
    let narrow = UnderlyingParams { price_band: sol_params().price_band / 2, ..sol_params() };
    m.env.send(&[u_update(narrow)], &[&risk]).await.unwrap();
    let e = m.env.send(&[u_update(sol_params())], &[&risk]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::ParamChangeNeedsDelay)));
    m.apply_underlying_after_delay(sol_params()).await;
    let u: Underlying = m.env.anchor(&m.sol).await;
    assert_eq!((u.params, u.snapshot.refreshed_at), (sol_params(), 0));
}

/// M-5 / L-2: an asset's feed stops for good, and its stale balance blocks the owner's exit
/// (and would block a liquidation). The risk authority delists it (through the delay): it
/// then counts zero without an oracle and blocks nothing; its owner still withdraws it.
#[tokio::test]
async fn m5_a_delisted_asset_counts_zero_and_blocks_nothing() {
    use portfolio_margin::state::{PARAM_DELAY_SECS, status};
    let mut m = Market::new().await;
    let risk = m.env.risk.insecure_clone();
    let mint = m.env.mint(spl_token::ID, 6).await;
    let feed = [9u8; 32];
    let params = portfolio_margin::state::CollateralParams { feed_id: feed, ..usdc_params() };
    m.env.register(&mint, spl_token::ID, params, &risk).await.unwrap();
    let asset = asset_pda(&mint);
    let t = m.trader(1_000 * USDC).await;
    let tk = t.key.insecure_clone();
    let token_wallet = m.env.deposit_new_tokens(spl_token::ID, mint, t.margin, &tk, 50 * USDC).await;
    let stale = m.env.pyth(feed, 100_000_000, 10_000, -8, m.env.now - 3_600, true);
    let usdc_oracle = m.usdc_price();
    let withdraw = |m: &Market, usdc_oracle| {
        m.env.withdraw_ix(
            t.margin,
            m.usdc_mint,
            t.wallet,
            tk.pubkey(),
            spl_token::ID,
            10 * USDC,
            &[(m.usdc, usdc_oracle), (asset, stale)],
        )
    };
    let e = m.env.send(&[withdraw(&m, usdc_oracle)], &[&tk]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::OracleStale)));

    let delist = portfolio_margin::state::CollateralParams { status: status::DELISTED, ..params };
    m.env.send(&[collateral_propose_ix(asset, risk.pubkey(), delist)], &[&risk]).await.unwrap();
    m.warp(PARAM_DELAY_SECS).await;
    m.env.send(&[collateral_apply_ix(asset, risk.pubkey())], &[]).await.unwrap();
    let usdc_oracle = m.usdc_price();
    m.env.send(&[withdraw(&m, usdc_oracle)], &[&tk]).await.unwrap();
    // The delisted balance is worth nothing in the report, and leaves with its owner.
    let extra = || {
        vec![
            anchor_lang::solana_program::instruction::AccountMeta::new_readonly(asset, false),
            anchor_lang::solana_program::instruction::AccountMeta::new_readonly(stale, false),
        ]
    };
    let with_it = m.report_with(t.margin, extra()).await.equity;
    let out = m.env.withdraw_ix(
        t.margin,
        mint,
        token_wallet,
        tk.pubkey(),
        spl_token::ID,
        50 * USDC,
        &[(m.usdc, usdc_oracle), (asset, stale)],
    );
    m.env.send(&[out], &[&tk]).await.unwrap();
    assert_eq!(m.report_with(t.margin, extra()).await.equity, with_it);
    assert_eq!(m.env.token_balance(&token_wallet).await, 50 * USDC);
}

/// The vol-oracle authority rotates in two steps like the others; the admin may propose it
/// too (a leaked publishing key is replaced without an upgrade). The old key stops at once.
#[tokio::test]
async fn l2_the_vol_oracle_authority_rotates_in_two_steps() {
    use portfolio_margin::state::role;
    let mut m = Market::new().await;
    let (admin, old) = (m.env.admin.insecure_clone(), m.env.vol.insecure_clone());
    let new = Keypair::new();
    m.env.fund(&new.pubkey()).await;
    let stranger = Keypair::new();
    m.env.fund(&stranger.pubkey()).await;
    let e = m
        .env
        .send(&[Env::propose_authority_ix(&stranger.pubkey(), role::VOL_ORACLE, stranger.pubkey())], &[&stranger])
        .await
        .unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    m.env.send(&[Env::propose_authority_ix(&admin.pubkey(), role::VOL_ORACLE, new.pubkey())], &[&admin]).await.unwrap();
    m.env.send(&[Env::accept_authority_ix(&new.pubkey(), role::VOL_ORACLE)], &[&new]).await.unwrap();
    let s = surface(&[m.expiry], 0.5);
    let e = m.publish(s, &old).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    m.publish(s, &new).await.unwrap();
}

/// M-2: a loss socialized while `socialized_loss` stayed outstanding was charged to money
/// deposited after it (every positive balance counted at V / (V + D) until D was worked off).
/// Now the loss is booked at once in the asset's loss index: a newcomer deposits after the
/// loss and withdraws every unit; an earlier holder bears its pro-rata share (and a top-up it
/// adds after the loss is not written down); the vault covers every claim.
#[tokio::test]
async fn m2_a_socialized_loss_is_not_charged_to_later_deposits() {
    use portfolio_margin::state::{CollateralAsset, LOSS_INDEX_ONE};
    let mut m = Market::new().await;
    let f = m.list(future(m.expiry)).await.unwrap();
    m.crank(100.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let victim = m.trader(200 * USDC).await;
    let liquidator = m.trader(100_000 * USDC).await;
    let holder = m.trader(10_000 * USDC).await;
    m.trade(f, &maker, &victim, 10, 100.0, 1).await.unwrap();
    // A crash no margin covers: liquidated whole, the debt left is socialized.
    m.crank(60.0).await.unwrap();
    let plan = m.plan(victim.margin).await;
    m.liquidate(victim.margin, &liquidator, plan.request).await.unwrap();
    let debt = -m.env.margin(&victim.margin).await.balance(&m.usdc);
    let fund = m.env.margin(&insurance_pda()).await.balance(&m.usdc);
    assert!(debt > fund, "debt {debt}, fund {fund}");
    let ix = m.bankruptcy_ix(victim.margin);
    m.env.send(&[ix], &[]).await.unwrap();
    let asset: CollateralAsset = m.env.anchor(&m.usdc).await;
    let loss = (debt - fund) as u64;
    assert_eq!(asset.socialized_loss, loss);
    let index = asset.loss_index();
    assert!(index < LOSS_INDEX_ONE, "booked at once");
    let mut all = vec![maker.margin, victim.margin, liquidator.margin, holder.margin, insurance_pda()];
    let dust = m.assert_conserved(&all).await;
    assert!((0..3).contains(&dust), "holders bore the loss and no more: dust {dust}");

    // The newcomer deposits after the loss and withdraws in full: every unit comes back.
    let newcomer = m.trader(5_000 * USDC).await;
    all.push(newcomer.margin);
    let acc = m.env.margin(&newcomer.margin).await;
    assert_eq!(acc.balance_at(&m.usdc, index).unwrap(), 5_000 * USDC as i64, "not written down");
    let oracle = m.usdc_price();
    let nk = newcomer.key.insecure_clone();
    let ix = m.env.withdraw_ix(
        newcomer.margin,
        m.usdc_mint,
        newcomer.wallet,
        nk.pubkey(),
        spl_token::ID,
        5_000 * USDC,
        &[(m.usdc, oracle)],
    );
    m.env.send(&[ix], &[&nk]).await.unwrap();
    assert_eq!(m.env.token_balance(&newcomer.wallet).await, 5_000 * USDC, "every unit back");
    assert_eq!(m.env.margin(&newcomer.margin).await.n_balances, 0);
    assert_eq!(m.assert_conserved(&all).await, dust);

    // The earlier holder bears its pro-rata share of the loss: 10,000 x index, rounded down.
    let one = LOSS_INDEX_ONE as u128;
    let share = ((10_000 * USDC) as u128 * index as u128 / one) as i64;
    assert_eq!(m.env.margin(&holder.margin).await.balance_at(&m.usdc, index).unwrap(), share);
    let borne = 10_000 * USDC as i64 - share;
    let claims = asset.total_deposits as i64 + asset.net_cash + loss as i64; // no other debts
    let pro_rata = loss as f64 * (10_000 * USDC) as f64 / claims as f64;
    assert!((borne as f64 - pro_rata).abs() <= 1.0, "borne {borne}, pro rata {pro_rata}");
    // A top-up after the loss is new money: it adds in full to the written-down balance.
    let hk = holder.key.insecure_clone();
    m.env.deposit_new_tokens(spl_token::ID, m.usdc_mint, holder.margin, &hk, 1_000 * USDC).await;
    let acc = m.env.margin(&holder.margin).await;
    assert_eq!(acc.balance(&m.usdc), share + 1_000 * USDC as i64, "settled at the index, then credited");
    assert_eq!(acc.balance_at(&m.usdc, index).unwrap(), share + 1_000 * USDC as i64);
    // ...and all of it withdraws.
    let wallet = m.env.token_balance(&holder.wallet).await;
    let amount = (share + 1_000 * USDC as i64) as u64;
    let ix = m.env.withdraw_ix(
        holder.margin,
        m.usdc_mint,
        holder.wallet,
        hk.pubkey(),
        spl_token::ID,
        amount,
        &[(m.usdc, oracle)],
    );
    m.env.send(&[ix], &[&hk]).await.unwrap();
    assert_eq!(m.env.token_balance(&holder.wallet).await - wallet, amount);

    // Nothing lost overall: the vault still holds every remaining claim, the maker's gain (the
    // other side of the victim's loss) included once it is settled.
    assert_eq!(m.assert_conserved(&all).await, dust);
    m.crank(60.0).await.unwrap();
    let ix = m.realize_ix(f, maker.margin, maker.key.pubkey());
    m.env.send(&[ix], &[&maker.key.insecure_clone()]).await.unwrap();
    assert!(m.assert_conserved(&all).await >= 0);
}

/// M-6: a thin underlying's mark is pushed up within the oracle's rules and a wallet's long
/// perpetual shows a large profit (the Mango 2022 class). The profit is not spendable money:
/// it counts at (1 - profit_haircut) for initial margin, a stranger cannot lock the short
/// side's loss at the pushed mark, and realizing it pays only what losers have paid in.
#[tokio::test]
async fn m6_a_pushed_mark_is_not_withdrawable_profit() {
    use portfolio_margin::state::UnderlyingParams;
    let mut m = Market::new().await;
    let haircut = UnderlyingParams { profit_haircut: ratio(0.5), ..sol_params() };
    m.apply_underlying_after_delay(haircut).await;
    let p = m.list(perp()).await.unwrap();
    m.crank(100.0).await.unwrap();
    let long = m.trader(1_000 * USDC).await;
    let short = m.trader(1_000 * USDC).await;
    m.trade(p, &short, &long, 20, 100.0, 1).await.unwrap();
    m.crank(150.0).await.unwrap(); // pushed: the long is up 1,000 USDC

    // The same deposits and scan: the long's initial margin carries half its profit.
    let (rl, rs) = (m.report(long.margin).await, m.report(short.margin).await);
    let addon = usd(rl.initial) - usd(rs.initial);
    assert!((addon - 500.0).abs() < 0.01, "{addon}");

    // A stranger cannot realize the short's loss at this mark.
    let stranger = Keypair::new();
    m.env.fund(&stranger.pubkey()).await;
    let e = m.env.send(&[m.realize_ix(p, short.margin, stranger.pubkey())], &[&stranger]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::NotOwnerOrDelegate)));
    let e = m.env.send(&[m.settle_position_ix(p, short.margin)], &[]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::NotOwnerOrDelegate)));
    // The long realizes: nobody has paid in, so nothing is paid out; the profit stays a
    // position, and the vault's money cannot be withdrawn against it.
    let lk = long.key.insecure_clone();
    m.env.send(&[m.realize_ix(p, long.margin, lk.pubkey())], &[&lk]).await.unwrap();
    assert_eq!(m.env.margin(&long.margin).await.balance(&m.usdc), 1_000 * USDC as i64);
    let usdc_oracle = m.usdc_price();
    let sol = m.sol;
    let mut out = m.env.withdraw_ix(
        long.margin,
        m.usdc_mint,
        long.wallet,
        lk.pubkey(),
        spl_token::ID,
        1_500 * USDC,
        &[(m.usdc, usdc_oracle)],
    );
    out.accounts.push(anchor_lang::solana_program::instruction::AccountMeta::new_readonly(sol, false));
    out.accounts.push(anchor_lang::solana_program::instruction::AccountMeta::new_readonly(p, false));
    let e = m.env.send(&[out], &[&lk]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InsufficientBalance)));
    // Once the short pays its loss in, the long's profit is paid from it, and no more.
    let sk = short.key.insecure_clone();
    m.env.send(&[m.realize_ix(p, short.margin, sk.pubkey())], &[&sk]).await.unwrap();
    m.env.send(&[m.realize_ix(p, long.margin, lk.pubkey())], &[&lk]).await.unwrap();
    let paid = m.env.margin(&long.margin).await.balance(&m.usdc) - 1_000 * USDC as i64;
    let lost = 1_000 * USDC as i64 - m.env.margin(&short.margin).await.balance(&m.usdc);
    assert_eq!(paid, lost);
    assert!(paid > 999 * USDC as i64, "{paid}");
}

// ---- Second review (docs/security-review-2.md): R2-n ----

/// Every `(underlying, instruments)` refreshed at `spot` from one new SOL-feed update.
async fn r2_crank_each(
    m: &mut Market,
    unds: &[(anchor_lang::prelude::Pubkey, Vec<anchor_lang::prelude::Pubkey>)],
    spot: f64,
) {
    let sol = m.sol;
    m.warp(3).await; // past `min_refresh_secs` and the last update
    let oracle = m.sol_price(spot);
    for (u, insts) in unds {
        m.sol = *u;
        let mut ixs = vec![m.underlying_refresh_ix(oracle)];
        ixs.extend(insts.iter().map(|i| m.instrument_refresh_ix(*i)));
        m.env.send(&ixs, &[]).await.unwrap();
    }
    m.sol = sol;
}

fn r2_readonly(keys: &[anchor_lang::prelude::Pubkey]) -> Vec<anchor_lang::solana_program::instruction::AccountMeta> {
    keys.iter().map(|k| anchor_lang::solana_program::instruction::AccountMeta::new_readonly(*k, false)).collect()
}

/// R2-1: an owner with perpetuals on four underlyings deposits a collateral mapped into a fifth
/// (a deposit reads no market). Every margin check of the account then failed with
/// `TooManyUnderlyings`, its liquidation included: a free option on the market, the losses
/// left to the insurance fund. The balance that would open a fifth group now counts zero, so
/// the account is margined and, once under maintenance, liquidated.
#[tokio::test]
async fn r2_1_a_fifth_risk_group_cannot_make_an_account_unliquidatable() {
    use portfolio_margin::state::CollateralParams;
    let mut m = Market::new().await;
    let risk = m.env.risk.insecure_clone();
    let mut unds = vec![m.sol];
    for id in 1..=4u8 {
        m.register_underlying(id, sol_params(), &risk).await.unwrap();
        unds.push(underlying_pda(id));
    }
    // A perpetual on each of underlyings 0..=3 (no vol surface needed for linear instruments).
    let mut listed = vec![];
    for &u in &unds[..4] {
        m.sol = u;
        listed.push((u, vec![m.list(perp()).await.unwrap()]));
    }
    m.sol = unds[0];
    r2_crank_each(&mut m, &listed, 150.0).await;
    // A collateral mapped into underlying 4 (registration names it as first remaining account).
    let mint = m.env.mint(spl_token::ID, 6).await;
    let mut ix = Env::ix(
        portfolio_margin::accounts::CollateralRegister {
            config: config_pda(),
            asset: asset_pda(&mint),
            mint,
            vault: vault_pda(&mint),
            vault_authority: vault_authority(),
            risk_authority: risk.pubkey(),
            payer: m.env.payer(),
            token_program: spl_token::ID,
            system_program: anchor_lang::system_program::ID,
        },
        portfolio_margin::instruction::CollateralRegister { params: CollateralParams { group: 4, ..usdc_params() } },
    );
    ix.accounts.extend(r2_readonly(&[unds[4]]));
    m.env.send(&[ix], &[&risk]).await.unwrap();
    let mapped = asset_pda(&mint);
    // Every account a check of these accounts may need (the USDC feed prices both assets).
    let mut extra = r2_readonly(&[mapped]);
    extra.extend(r2_readonly(&unds[1..]));

    let maker = m.trader(1_000_000 * USDC).await;
    let wallet = Keypair::new();
    let x = m.trader_sub(wallet.insecure_clone(), 0, 1_000 * USDC).await;
    let perps: Vec<_> = listed.iter().map(|(_, i)| i[0]).collect();
    for (i, (u, insts)) in listed.iter().enumerate() {
        m.sol = *u;
        let usdc_oracle = m.usdc_price();
        let mut accs = r2_readonly(&[m.usdc, usdc_oracle, mapped]);
        accs.extend(r2_readonly(&unds));
        accs.extend(r2_readonly(&perps));
        let ix = m.trade_ix(insts[0], &maker, &x, 10, 150.0, 1 + i as u64, accs);
        let mk = maker.key.insecure_clone();
        m.env.send(&[ix], &[&mk, &wallet]).await.unwrap();
    }
    m.sol = unds[0];
    // The attacker's move: one token of the mapped asset (a fifth risk group).
    m.env.deposit_new_tokens(spl_token::ID, mint, x.margin, &wallet, USDC).await;
    // The market falls 13%: 10 perpetuals on each underlying lose 780 of the 1,000 deposited.
    r2_crank_each(&mut m, &listed, 130.0).await;
    let report = m.report_with(x.margin, extra.clone()).await;
    assert!(
        report.equity < report.maintenance,
        "under maintenance: {} vs {}",
        usd(report.equity),
        usd(report.maintenance)
    );
    // Liquidated whole by the program's own plan (the mapped balance counts zero).
    let mut ix = m.plan_ix(x.margin);
    ix.accounts.extend(extra.clone());
    let plan: portfolio_margin::instructions::LiquidationPlan = m.env.view(ix).await;
    assert!(plan.liquidatable && !plan.request.positions.is_empty());
    let liquidator = m.trader(5_000_000 * USDC).await;
    let mut ix = m.liquidate_ix(x.margin, &liquidator, plan.request.clone());
    ix.accounts.extend(extra);
    let k = liquidator.key.insecure_clone();
    let lots = |a: &portfolio_margin::state::MarginAccount| a.positions.iter().map(|p| p.lots.abs()).sum::<i64>();
    assert_eq!(lots(&m.env.margin(&x.margin).await), 40);
    m.env.send(&[ix], &[&k]).await.unwrap();
    assert!(lots(&m.env.margin(&x.margin).await) < 40, "positions taken over");
}

/// R2-2: a trade judges a side with a balance left out (its oracle missing) by comparing its
/// health before and after on the same view. Leaving out the quote asset's oracle hid the
/// premium: an account with 100 USDC bought options worth ~1,000 (its other sub-account,
/// backed by collateral, handed over the calls it had bought with borrowed USDC, and walked
/// away with its collateral). A side judged on a partial view now needs the quote asset's
/// price when a premium moves.
#[tokio::test]
async fn r2_2_a_premium_cannot_be_paid_out_of_a_balance_the_view_leaves_out() {
    use portfolio_margin::state::CollateralParams;
    let mut m = Market::new().await;
    let [c, _, _] = m.list_hedge_set(150.0).await;
    m.crank(150.0).await.unwrap();
    // A plain collateral priced by the SOL feed.
    let risk = m.env.risk.insecure_clone();
    let solc = m.env.mint(spl_token::ID, 6).await;
    let params = CollateralParams { feed_id: SOL_FEED, ..usdc_params() };
    m.env.register(&solc, spl_token::ID, params, &risk).await.unwrap();
    let z = m.trader(1_000_000 * USDC).await; // a market maker
    let wallet = Keypair::new();
    let x = m.trader_sub(wallet.insecure_clone(), 0, 100 * USDC).await;
    m.env.fund(&wallet.pubkey()).await;
    let mm = m.env.open(&wallet, 1).await.unwrap();
    m.env.deposit_new_tokens(spl_token::ID, solc, mm, &wallet, 100 * USDC).await; // 100 SOLC ~ 15,000
    let inst: portfolio_margin::state::Instrument = m.env.zero_copy(&c).await;
    let fair = risk_kernel::instrument::InstrumentRisk::from_words(&inst.risk).unwrap().fair.raw();
    let sol_oracle = m.sol_price(150.0);
    // The second sub-account buys 100 calls from the market maker on credit (full view).
    let mut accs = m.check_accounts();
    accs.extend(r2_readonly(&[asset_pda(&solc), sol_oracle]));
    let args =
        portfolio_margin::instructions::TradeArgs { lots: 100, price: fair, quote_expiry: m.env.now + 60, nonce: 1 };
    let ix = m.trade_ix_with(c, (&z.margin, &z.key.pubkey()), (&mm, &wallet.pubkey()), args, accs.clone());
    let zk = z.key.insecure_clone();
    m.env.send(&[ix], &[&zk, &wallet]).await.unwrap();
    assert!(m.env.margin(&mm).await.balance(&m.usdc) < 0, "bought on credit");
    // It sells them on to the first sub-account at the same price, with no USDC oracle in the
    // view: its own debt is repaid exactly (no USDC left, so its check is complete), and the
    // buyer's premium comes out of the USDC balance the view leaves out.
    let usdc_oracle = accs[1].pubkey;
    let partial: Vec<_> = accs.iter().filter(|a| a.pubkey != usdc_oracle).cloned().collect();
    let args = portfolio_margin::instructions::TradeArgs { nonce: 2, ..args };
    let ix = m.trade_ix_with(c, (&mm, &wallet.pubkey()), (&x.margin, &wallet.pubkey()), args, partial);
    let e = m.env.send(&[ix], &[&wallet]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::OracleMissing)));
    // With the full view the buyer is refused for what it is: short of initial margin.
    let args = portfolio_margin::instructions::TradeArgs { nonce: 3, ..args };
    let ix = m.trade_ix_with(c, (&mm, &wallet.pubkey()), (&x.margin, &wallet.pubkey()), args, accs);
    let e = m.env.send(&[ix], &[&wallet]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InitialMarginViolated)));
    assert_eq!(m.env.margin(&x.margin).await.n_positions, 0);
}

/// A market with a second quote asset (underlying 1 settles in it) and seven plain assets,
/// all $1, cranked at 150. Returns the second quote asset's mint, the plain mints, and the
/// extra remaining accounts a check of an account holding them needs.
async fn r2_4_market(
    m: &mut Market,
) -> (
    anchor_lang::prelude::Pubkey,
    Vec<anchor_lang::prelude::Pubkey>,
    Vec<anchor_lang::solana_program::instruction::AccountMeta>,
) {
    let risk = m.env.risk.insecure_clone();
    let q2 = m.env.mint(spl_token::ID, 6).await;
    m.env.register(&q2, spl_token::ID, usdc_params(), &risk).await.unwrap();
    let usdc = m.usdc;
    m.usdc = asset_pda(&q2);
    m.register_underlying(1, sol_params(), &risk).await.unwrap();
    m.usdc = usdc;
    let mut plain = vec![];
    for _ in 0..MAX_BALANCES - 1 {
        let mint = m.env.mint(spl_token::ID, 6).await;
        m.env.register(&mint, spl_token::ID, usdc_params(), &risk).await.unwrap();
        plain.push(mint);
    }
    m.crank(150.0).await.unwrap();
    let mut extra = r2_readonly(&[asset_pda(&q2)]);
    extra.extend(r2_readonly(&plain.iter().map(asset_pda).collect::<Vec<_>>()));
    (q2, plain, extra)
}

/// The future's fair value at 150.
fn r2_4_fair() -> i64 {
    price(150.0 * (0.05f64 * 30.0 / 365.0).exp())
}

/// R2-4: with two quote assets, an account could hold seven plain balances and the other
/// quote asset: eight slots, none of them for USDC, while it traded USDC-quoted futures (which
/// move no cash). Its USDC-quoted positions could then be neither liquidated (the fee needs a
/// USDC balance) nor settled at expiry (the payoff does), and an expired, unsettled position
/// blocked every margin check: the loss was never booked while the counterparty was paid from
/// the vault. Now an account records the quote assets its positions settle in and keeps a
/// balance or a free slot for each: the trade is refused (`CollateralCapacityExceeded`), and
/// so is the deposit that would take that room once the positions are held; the account is
/// then liquidated and settled like any other.
#[tokio::test]
async fn r2_4_an_account_without_room_for_its_quote_asset_cannot_hold_its_positions() {
    let mut m = Market::new().await;
    let [_, _, f] = m.list_hedge_set(150.0).await;
    let (q2, plain, extra) = r2_4_market(&mut m).await;
    let y = m.trader(1_000_000 * USDC).await;
    let wallet = Keypair::new();
    m.env.fund(&wallet.pubkey()).await;
    let x = m.env.open(&wallet, 0).await.unwrap();
    for mint in &plain {
        m.env.deposit_new_tokens(spl_token::ID, *mint, x, &wallet, 100 * USDC).await;
    }
    m.env.deposit_new_tokens(spl_token::ID, q2, x, &wallet, USDC).await; // the last slot
    assert_eq!(m.env.margin(&x).await.n_balances as usize, MAX_BALANCES);
    let mut accs = m.check_accounts();
    accs.extend(extra.clone());
    let args = portfolio_margin::instructions::TradeArgs {
        lots: 20,
        price: r2_4_fair(),
        quote_expiry: m.env.now + 60,
        nonce: 1,
    };
    let ix = m.trade_ix_with(f, (&y.margin, &y.key.pubkey()), (&x, &wallet.pubkey()), args, accs.clone());
    let yk = y.key.insecure_clone();
    let e = m.env.send(&[ix], &[&yk, &wallet]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::CollateralCapacityExceeded)));
    assert_eq!(m.env.margin(&x).await.n_positions, 0);

    // The other order: seven plain balances, the futures (USDC's slot now kept), then the
    // second quote asset: refused to the owner.
    let x = m.env.open(&wallet, 1).await.unwrap();
    for mint in &plain {
        m.env.deposit_new_tokens(spl_token::ID, *mint, x, &wallet, 100 * USDC).await;
    }
    let args = portfolio_margin::instructions::TradeArgs { nonce: 2, ..args };
    let ix = m.trade_ix_with(f, (&y.margin, &y.key.pubkey()), (&x, &wallet.pubkey()), args, accs);
    m.env.send(&[ix], &[&yk, &wallet]).await.unwrap();
    let acc = m.env.margin(&x).await;
    assert_eq!((acc.n_balances as usize, acc.quote_needs[0]), (MAX_BALANCES - 1, m.usdc));
    let w = m.env.token_account(spl_token::ID, &q2, &wallet.pubkey(), 10).await;
    let ix = m.env.deposit_ix(x, q2, vault_pda(&q2), w, wallet.pubkey(), spl_token::ID, 1);
    let e = m.env.send(&[ix], &[&wallet]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::CollateralCapacityExceeded)));

    // Under maintenance: liquidated (the fee opens the kept USDC slot).
    m.crank(120.0).await.unwrap();
    let mut ix = m.plan_ix(x);
    ix.accounts.extend(extra.clone());
    let plan: portfolio_margin::instructions::LiquidationPlan = m.env.view(ix).await;
    assert!(plan.liquidatable && !plan.request.positions.is_empty());
    let liquidator = m.trader(5_000_000 * USDC).await;
    let mut ix = m.liquidate_ix(x, &liquidator, plan.request.clone());
    ix.accounts.extend(extra);
    let lk = liquidator.key.insecure_clone();
    m.env.send(&[ix], &[&lk]).await.unwrap();
    let acc = m.env.margin(&x).await;
    assert!(acc.balance(&m.usdc) < 0 && acc.lots(&f).abs() < 20, "fee paid, positions taken over");
    assert_eq!(m.env.margin(&liquidator.margin).await.quote_needs[0], m.usdc);

    // Expiry: every holder settles, the loser included.
    let expiry = m.expiry;
    m.warp(expiry - m.env.now + 10).await;
    let final_price = m.env.pyth_after(SOL_FEED, 120 * 100_000_000, expiry + 5, expiry - 3);
    m.env.send(&[m.settle_price_ix(f, final_price)], &[]).await.unwrap();
    for acc in [y.margin, liquidator.margin, x] {
        if m.env.margin(&acc).await.lots(&f) != 0 {
            m.env.send(&[m.settle_position_ix(f, acc)], &[]).await.unwrap();
        }
    }
    assert_eq!(m.env.margin(&x).await.n_positions, 0);
}

/// R2-4 (stranger): a futures trader holding seven plain balances and no USDC has one free
/// slot, kept for USDC. A stranger's one-unit gift of the other quote asset no longer takes
/// it (`CollateralCapacityExceeded`); a gift of USDC itself may; the account stays
/// liquidatable.
#[tokio::test]
async fn r2_4_a_stranger_cannot_take_the_slot_of_an_accounts_quote_asset() {
    let mut m = Market::new().await;
    let [_, _, f] = m.list_hedge_set(150.0).await;
    let (q2, plain, extra) = r2_4_market(&mut m).await;
    let y = m.trader(1_000_000 * USDC).await;
    let victim = Keypair::new();
    m.env.fund(&victim.pubkey()).await;
    let x = m.env.open(&victim, 0).await.unwrap();
    for mint in &plain {
        m.env.deposit_new_tokens(spl_token::ID, *mint, x, &victim, 100 * USDC).await;
    }
    let mut accs = m.check_accounts();
    accs.extend(extra.clone());
    let args = portfolio_margin::instructions::TradeArgs {
        lots: 20,
        price: r2_4_fair(),
        quote_expiry: m.env.now + 60,
        nonce: 1,
    };
    let ix = m.trade_ix_with(f, (&y.margin, &y.key.pubkey()), (&x, &victim.pubkey()), args, accs);
    let yk = y.key.insecure_clone();
    m.env.send(&[ix], &[&yk, &victim]).await.unwrap();

    let stranger = Keypair::new();
    m.env.fund(&stranger.pubkey()).await;
    let w = m.env.token_account(spl_token::ID, &q2, &stranger.pubkey(), 10).await;
    let ix = m.env.deposit_ix(x, q2, vault_pda(&q2), w, stranger.pubkey(), spl_token::ID, 1);
    let e = m.env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::CollateralCapacityExceeded)));
    m.env.deposit_new_tokens(spl_token::ID, m.usdc_mint, x, &stranger, 1).await;
    assert_eq!(m.env.margin(&x).await.n_balances as usize, MAX_BALANCES);

    m.crank(120.0).await.unwrap();
    let mut ix = m.plan_ix(x);
    ix.accounts.extend(extra.clone());
    let plan: portfolio_margin::instructions::LiquidationPlan = m.env.view(ix).await;
    assert!(plan.liquidatable);
    let liquidator = m.trader(5_000_000 * USDC).await;
    let mut ix = m.liquidate_ix(x, &liquidator, plan.request.clone());
    ix.accounts.extend(extra);
    let lk = liquidator.key.insecure_clone();
    m.env.send(&[ix], &[&lk]).await.unwrap();
    assert!(m.env.margin(&x).await.lots(&f).abs() < 20, "positions taken over");
}

/// R2-4 (insurance fund): strangers' gifts of quote assets used to fill the fund's slots (the
/// H-3 rule let any quote asset in), and a fund without a USDC slot failed every USDC
/// liquidation whose fee has an insurance share. A stranger's new balance in the fund now
/// leaves one slot free (it holds no positions: the rule for any account's last slot); the
/// fee's share takes it. (A fund filled by leftovers and fees in other quote assets gets no
/// share: the liquidator takes the whole fee, `liquidation::apply_fee`.)
#[tokio::test]
async fn r2_4_strangers_cannot_take_the_insurance_funds_last_slot() {
    let mut m = Market::new().await;
    let [_, _, f] = m.list_hedge_set(150.0).await;
    let risk = m.env.risk.insecure_clone();
    let stranger = Keypair::new();
    m.env.fund(&stranger.pubkey()).await;
    let fund = insurance_pda();
    // Seven other quote assets (underlyings 1..=7 settle in them), a unit of each in the fund.
    let usdc = m.usdc;
    for id in 1..=7u8 {
        let q = m.env.mint(spl_token::ID, 6).await;
        m.env.register(&q, spl_token::ID, usdc_params(), &risk).await.unwrap();
        m.usdc = asset_pda(&q);
        m.register_underlying(id, sol_params(), &risk).await.unwrap();
        m.usdc = usdc;
        m.env.deposit_new_tokens(spl_token::ID, q, fund, &stranger, 1).await;
    }
    assert_eq!(m.env.margin(&fund).await.n_balances as usize, MAX_BALANCES - 1);
    // The last slot: not for a stranger's gift, USDC included.
    let w = m.env.token_account(spl_token::ID, &m.usdc_mint, &stranger.pubkey(), 10).await;
    let ix = m.env.deposit_ix(fund, m.usdc_mint, vault_pda(&m.usdc_mint), w, stranger.pubkey(), spl_token::ID, 1);
    let e = m.env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::CollateralCapacityExceeded)));

    // A USDC liquidation: the fund's share of the fee opens its last slot.
    m.crank(150.0).await.unwrap();
    let y = m.trader(1_000_000 * USDC).await;
    let x = m.trader(700 * USDC).await;
    let args = portfolio_margin::instructions::TradeArgs {
        lots: 20,
        price: r2_4_fair(),
        quote_expiry: m.env.now + 60,
        nonce: 1,
    };
    let accs = m.check_accounts();
    let ix = m.trade_ix_with(f, (&y.margin, &y.key.pubkey()), (&x.margin, &x.key.pubkey()), args, accs);
    let (yk, xk) = (y.key.insecure_clone(), x.key.insecure_clone());
    m.env.send(&[ix], &[&yk, &xk]).await.unwrap();
    m.crank(120.0).await.unwrap();
    let ix = m.plan_ix(x.margin);
    let plan: portfolio_margin::instructions::LiquidationPlan = m.env.view(ix).await;
    assert!(plan.liquidatable && plan.fee > 0);
    let liquidator = m.trader(5_000_000 * USDC).await;
    m.liquidate(x.margin, &liquidator, plan.request.clone()).await.unwrap();
    let fund = m.env.margin(&fund).await;
    assert_eq!(fund.n_balances as usize, MAX_BALANCES);
    assert!(fund.balance(&m.usdc) > 0, "the fund's share of the fee");
}

/// R2-3: on a straight health curve (collateral sold at the oracle, a linear book) the
/// solver's chord lands on the exact crossing of the target, where rounding the fee up put the
/// share a hair short, and the solver fell back to the whole request: most collateral
/// liquidations took all of it and charged the discount on all of it. The chord now aims a
/// few native units past the target: the share taken is the one the target needs.
#[tokio::test]
async fn r2_3_a_collateral_liquidation_takes_the_share_the_target_needs_not_all() {
    use portfolio_margin::liquidation::{CollateralTake, LiquidateArgs};
    use portfolio_margin::state::CollateralParams;
    let mut m = Market::new().await;
    let [_, _, f] = m.list_hedge_set(150.0).await;
    m.crank(150.0).await.unwrap();
    // A collateral priced by the SOL feed with a 30% haircut (35% at initial), 9 decimals like
    // SOL and its staked tokens (one native unit is worth far less than a micro-USDC fee unit).
    const SOLC: u64 = 1_000_000_000;
    let risk = m.env.risk.insecure_clone();
    let solc = m.env.mint(spl_token::ID, 9).await;
    let params =
        CollateralParams { feed_id: SOL_FEED, maint_haircut: ratio(0.30), init_haircut: ratio(0.35), ..usdc_params() };
    m.env.register(&solc, spl_token::ID, params, &risk).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let x = m.trader(0).await;
    m.env.deposit_new_tokens(spl_token::ID, solc, x.margin, &x.key, 10 * SOLC).await;
    let sol_oracle = m.sol_price(150.0);
    let extra = r2_readonly(&[asset_pda(&solc), sol_oracle]);
    let mut accs = m.check_accounts();
    accs.extend(extra.clone());
    let px = 150.0 * (0.05f64 * 30.0 / 365.0).exp();
    let ix = m.trade_ix(f, &maker, &x, 40, px, 1, accs);
    let (mk, xk) = (maker.key.insecure_clone(), x.key.insecure_clone());
    m.env.send(&[ix], &[&mk, &xk]).await.unwrap();
    // SOL at 135: the collateral and the futures both lose; under maintenance.
    m.crank(135.0).await.unwrap();
    let sol_oracle = m.sol_price(135.0);
    let extra = r2_readonly(&[asset_pda(&solc), sol_oracle]);
    let r = m.report_with(x.margin, extra.clone()).await;
    assert!(r.equity < r.maintenance);
    // A liquidator asks for all 10 SOLC; selling ~74% of them at the oracle restores the target.
    let liquidator = m.trader(5_000_000 * USDC).await;
    let args = LiquidateArgs {
        positions: vec![],
        collateral: vec![CollateralTake { asset: asset_pda(&solc), amount: 10 * SOLC }],
        scope: portfolio_margin::liquidation::scope::LISTED,
    };
    let mut ix = m.liquidate_ix(x.margin, &liquidator, args);
    ix.accounts.extend(extra.clone());
    let lk = liquidator.key.insecure_clone();
    m.env.send(&[ix], &[&lk]).await.unwrap();
    let left = m.env.margin(&x.margin).await.balance(&asset_pda(&solc));
    println!("R2-3: {left} native SOLC left of 10,000,000,000");
    assert!(left > 0, "the whole balance was taken");
    assert!(left > 2 * SOLC as i64 && left < 3 * SOLC as i64, "about 26% left: {left}");
    let r = m.report_with(x.margin, extra).await;
    assert!(r.equity as f64 >= 1.2 * r.maintenance as f64 * 0.999, "target reached: {} vs {}", r.equity, r.maintenance);
}

/// R2-5 (fixed): `underlying_refresh` takes any update newer than the snapshot's and within the
/// oracle's max age (60 s here), so a keeper picks, among the last minute's prices, the one that
/// puts accounts under water, and liquidates in the same transaction (liquidations then price
/// at that mark). Refused now: a refresh takes an update at most `MAX_REFRESH_LAG_SECS` (5 s)
/// old (`OracleStale`).
#[tokio::test]
async fn r2_5_the_crank_cannot_pick_an_old_price_among_the_last_minutes() {
    let mut m = Market::new().await;
    m.list(future(m.expiry)).await.unwrap();
    m.crank(150.0).await.unwrap();
    let t0 = m.env.now;
    m.warp(30).await;
    // Two genuine updates newer than the snapshot: 140 at t0 + 5, 150 now.
    let old = m.env.pyth(SOL_FEED, 140 * 100_000_000, 1_000_000, -8, t0 + 5, true);
    let now = m.sol_price(150.0);
    let e = m.env.send(&[m.underlying_refresh_ix(old)], &[]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::OracleStale)), "a 25 s old price the caller chose");
    m.env.send(&[m.underlying_refresh_ix(now)], &[]).await.unwrap();
}

/// R2-6 (fixed): a delegate signs a quote of the account it trades for with nonce u64::MAX (at
/// fair value, against its own account): no nonce is ever larger again, so the owner's account
/// can never be a maker again. Refused now: one quote advances the nonce by at most 2^32
/// (`NonceTooFar`), and the owner still quotes afterwards.
#[tokio::test]
async fn r2_6_a_delegate_cannot_exhaust_the_accounts_maker_nonces() {
    use portfolio_margin::instructions::TradeArgs;
    let mut m = Market::new().await;
    let [_, _, f] = m.list_hedge_set(150.0).await;
    m.crank(150.0).await.unwrap();
    let owner = m.trader(100_000 * USDC).await;
    let delegate = m.trader(100_000 * USDC).await;
    let other = m.trader(100_000 * USDC).await;
    let set = Env::ix(
        portfolio_margin::accounts::AccountSetDelegate { margin_account: owner.margin, owner: owner.key.pubkey() },
        portfolio_margin::instruction::AccountSetDelegate { delegate: delegate.key.pubkey() },
    );
    let ok = owner.key.insecure_clone();
    m.env.send(&[set], &[&ok]).await.unwrap();
    let inst: portfolio_margin::state::Instrument = m.env.zero_copy(&f).await;
    let fair = risk_kernel::instrument::InstrumentRisk::from_words(&inst.risk).unwrap().fair.raw();
    // The delegate's own account buys one future at fair from the owner's, nonce u64::MAX.
    let args = TradeArgs { lots: 1, price: fair, quote_expiry: m.env.now + 60, nonce: u64::MAX };
    let extra = m.check_accounts();
    let dk = delegate.key.pubkey();
    let ix = m.trade_ix_with(f, (&owner.margin, &dk), (&delegate.margin, &dk), args, extra);
    let d = delegate.key.insecure_clone();
    let e = m.env.send(&[ix], &[&d]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::NonceTooFar)));
    // The owner quotes to someone else.
    let e = m.trade(f, &owner, &other, 1, 150.6, 1).await;
    assert!(e.is_ok(), "the owner's account can no longer make a quote: {:?}", e.err().and_then(|e| code(&e)));
}

/// R2-7: `liquidate` names the liquidatee and the insurance fund as two `AccountLoader`s, and
/// Anchor's duplicate check skips zero-copy loaders: with the fund as the liquidatee, the
/// handler writes the liquidatee, then the liquidator, then its stale copy of the fund, which
/// undoes the liquidatee's side. The liquidator keeps what it bought and the fund keeps it too:
/// repeated, it takes the vault's tokens of that asset, other depositors' included, at the
/// auction's discount. The fund is liquidatable once it holds a bankrupt account's mapped
/// leftover whose haircut value is below its scenario loss and little quote. Refused now:
/// the liquidatee cannot be the insurance fund (`SelfLiquidation`).
#[tokio::test]
async fn r2_7_the_insurance_fund_cannot_be_liquidated_into_itself() {
    use portfolio_margin::liquidation::{CollateralTake, LiquidateArgs};
    use portfolio_margin::state::CollateralParams;
    let mut m = Market::new().await;
    let [_, _, f] = m.list_hedge_set(150.0).await;
    m.crank(150.0).await.unwrap();
    // An illiquid token that moves with SOL: mapped into its group, 95% haircut.
    let risk = m.env.risk.insecure_clone();
    let junk = m.env.mint(spl_token::ID, 6).await;
    let params = CollateralParams {
        feed_id: SOL_FEED,
        maint_haircut: ratio(0.95),
        init_haircut: ratio(0.96),
        group: 0,
        ..usdc_params()
    };
    let mut ix = Env::ix(
        portfolio_margin::accounts::CollateralRegister {
            config: config_pda(),
            asset: asset_pda(&junk),
            mint: junk,
            vault: vault_pda(&junk),
            vault_authority: vault_authority(),
            risk_authority: risk.pubkey(),
            payer: m.env.payer(),
            token_program: spl_token::ID,
            system_program: anchor_lang::system_program::ID,
        },
        portfolio_margin::instruction::CollateralRegister { params },
    );
    ix.accounts.extend(r2_readonly(&[m.sol]));
    m.env.send(&[ix], &[&risk]).await.unwrap();
    let junk_asset = asset_pda(&junk);
    // Other people's tokens in the vault: a holder with 100 of them.
    let holder = m.trader(10_000 * USDC).await;
    m.env.deposit_new_tokens(spl_token::ID, junk, holder.margin, &holder.key, 100 * USDC).await;
    // A trader with 10 of them and 2,000 USDC goes long 30 futures; SOL falls to 80: liquidated
    // whole, left with a USDC debt and the tokens; resolved bankrupt, the tokens go to the fund.
    let maker = m.trader(1_000_000 * USDC).await;
    let b = m.trader(2_000 * USDC).await;
    m.env.deposit_new_tokens(spl_token::ID, junk, b.margin, &b.key, 10 * USDC).await;
    let sol_oracle = m.sol_price(150.0);
    let mut accs = m.check_accounts();
    accs.extend(r2_readonly(&[junk_asset, sol_oracle]));
    let ix = m.trade_ix(f, &maker, &b, 30, 150.0 * (0.05f64 * 30.0 / 365.0).exp(), 1, accs);
    let (mk, bk) = (maker.key.insecure_clone(), b.key.insecure_clone());
    m.env.send(&[ix], &[&mk, &bk]).await.unwrap();
    m.crank(80.0).await.unwrap();
    let sol_oracle = m.sol_price(80.0);
    let more = r2_readonly(&[junk_asset, sol_oracle]);
    let liquidator = m.trader(100_000 * USDC).await;
    // Its positions taken whole (it is insolvent: no discount), the tokens left.
    let all_positions =
        LiquidateArgs { scope: portfolio_margin::liquidation::scope::ALL_POSITIONS, ..Default::default() };
    let mut ix = m.liquidate_ix(b.margin, &liquidator, all_positions);
    ix.accounts.extend(more.clone());
    let lk = liquidator.key.insecure_clone();
    m.env.send(&[ix], &[&lk]).await.unwrap();
    let acc = m.env.margin(&b.margin).await;
    assert!(acc.n_positions == 0 && acc.balance(&m.usdc) < 0, "a debt and the tokens left");
    let mut ix = m.bankruptcy_ix(b.margin);
    ix.accounts.extend(m.check_accounts());
    ix.accounts.extend(more.clone());
    m.env.send(&[ix], &[]).await.unwrap();
    let fund = m.env.margin(&insurance_pda()).await;
    assert_eq!(fund.balance(&junk_asset), 10 * USDC as i64, "the leftover went to the fund");
    let mut ix = m.report_ix(insurance_pda());
    ix.accounts.extend(more.clone());
    let r: portfolio_margin::instructions::MarginSummary = m.env.view(ix).await;
    assert!(r.equity < r.maintenance, "the fund is liquidatable: {} < {}", usd(r.equity), usd(r.maintenance));
    // The attack: the fund as the liquidatee, buying its tokens.
    let args = LiquidateArgs {
        positions: vec![],
        collateral: vec![CollateralTake { asset: junk_asset, amount: 10 * USDC }],
        scope: portfolio_margin::liquidation::scope::LISTED,
    };
    let mut ix = m.liquidate_ix(insurance_pda(), &liquidator, args);
    ix.accounts.extend(more);
    let e = m.env.send(&[ix], &[&lk]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::SelfLiquidation)));
    assert_eq!(m.env.margin(&liquidator.margin).await.balance(&junk_asset), 0);
}

/// Checked, not a hole: a withdrawal whose destination is the vault itself (the books debited,
/// the tokens going nowhere) is refused by the same check; and an oracle look-alike (right feed,
/// wrong owner) is refused, not skipped.
#[tokio::test]
async fn r2_checked_withdraw_to_the_vault_and_look_alike_oracles_are_refused() {
    let mut m = Market::new().await;
    let t = m.trader(1_000 * USDC).await;
    let k = t.key.insecure_clone();
    let oracle = m.usdc_price();
    let vault = vault_pda(&m.usdc_mint);
    let ix = m.env.withdraw_ix(t.margin, m.usdc_mint, vault, k.pubkey(), spl_token::ID, USDC, &[(m.usdc, oracle)]);
    let e = m.env.send(&[ix], &[&k]).await.unwrap_err();
    assert_eq!(code(&e), Some(anchor_lang::error::ErrorCode::ConstraintDuplicateMutableAccount as u32));
    let now = m.env.now;
    let fake = m.env.pyth_owned_by(k.pubkey(), USDC_FEED, 100_000_000, 10_000, -8, now, true);
    let ix = m.env.withdraw_ix(t.margin, m.usdc_mint, t.wallet, k.pubkey(), spl_token::ID, USDC, &[(m.usdc, fake)]);
    let e = m.env.send(&[ix], &[&k]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::OracleWrongOwner)));
}
