//! Venues (issue 13 item 2): a registered venue's authority fills trades between two margin
//! accounts that approved it, under every check of `trade`; everything a venue must not do is
//! refused with its code. The venue's authority here is a keypair (a venue program signs with
//! its PDA through a CPI: `programs/rfq-venue`).
mod common;

use anchor_lang::prelude::Pubkey;
use common::market::*;
use common::venue::venue_params;
use common::*;
use portfolio_margin::error::PmError;
use portfolio_margin::liquidation::{LiquidateArgs, PositionTake};
use portfolio_margin::state::{Instrument, Venue, VenueParams, pause};
use solana_keypair::Keypair;
use solana_signer::Signer;

const USDC: u64 = 1_000_000;

/// A market with one call and one future, a rich maker and a taker who both approved a
/// registered venue (10 lots per trade, open interest cap 100).
struct Setup {
    m: Market,
    call: Pubkey,
    fut: Pubkey,
    venue: Pubkey,
    auth: Keypair,
    maker: Trader,
    taker: Trader,
}

async fn setup() -> Setup {
    let mut m = Market::new().await;
    let expiry = m.expiry;
    let call = m.list(call(expiry, 150.0)).await.unwrap();
    let fut = m.list(future(expiry)).await.unwrap();
    m.crank(150.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let taker = m.trader(10_000 * USDC).await;
    let venue = Pubkey::new_unique();
    let auth = Keypair::new();
    m.register_venue(&venue, &auth.pubkey(), venue_params(100)).await.unwrap();
    m.approve_venue(&maker, &venue, 10).await.unwrap();
    m.approve_venue(&taker, &venue, 10).await.unwrap();
    Setup { m, call, fut, venue, auth, maker, taker }
}

fn code(e: &solana_program_test::BanksClientError) -> Option<u32> {
    custom_code(e)
}

#[tokio::test]
async fn a_venue_fill_moves_position_and_premium_like_a_trade() {
    let mut s = setup().await;
    let before = s.m.usdc_books(&[s.maker.margin, s.taker.margin]).await;
    s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 5, 10.5).await.unwrap();
    let (mk, tk) = (s.m.env.margin(&s.maker.margin).await, s.m.env.margin(&s.taker.margin).await);
    assert_eq!((tk.lots(&s.call), mk.lots(&s.call)), (5, -5));
    // The premium: 5 lots x 10.5 USDC, paid by the taker to the maker.
    assert_eq!(tk.balances[0].amount, (10_000 * USDC - 5 * 10_500_000) as i64);
    assert_eq!(mk.balances[0].amount, (1_000_000 * USDC + 5 * 10_500_000) as i64);
    assert_eq!(mk.last_nonce, 0, "a venue fill leaves the maker's nonce alone");
    let inst: Instrument = s.m.env.zero_copy(&s.call).await;
    assert_eq!(inst.open_interest, 5);
    let v: Venue = s.m.env.anchor(&pm_client::pda::venue(&s.venue)).await;
    assert_eq!(v.open_lots, 5);
    assert_eq!(s.m.usdc_books(&[s.maker.margin, s.taker.margin]).await, before, "cash is conserved");
    // Closing through the venue counts its open interest down.
    s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, -3, 10.5).await.unwrap();
    let v: Venue = s.m.env.anchor(&pm_client::pda::venue(&s.venue)).await;
    assert_eq!(v.open_lots, 2);
}

#[tokio::test]
async fn an_unregistered_venue_or_another_signer_is_refused() {
    let mut s = setup().await;
    let other = Pubkey::new_unique();
    let e = s.m.venue_trade(&other, &s.auth, s.call, &s.maker, &s.taker, 1, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VenueNotRegistered)));
    let impostor = Keypair::new();
    let e = s.m.venue_trade(&s.venue, &impostor, s.call, &s.maker, &s.taker, 1, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VenueAuthorityMismatch)));
    // A look-alike venue account: a margin account of this program passed as the venue.
    let mut ix = s.m.venue_trade_ix(&s.venue, &s.auth.pubkey(), s.call, &s.maker.margin, &s.taker.margin, 1, 10.5);
    ix.accounts[6].pubkey = s.maker.margin;
    let a = s.auth.insecure_clone();
    let e = s.m.env.send(&[ix], &[&a]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VenueNotRegistered)));
}

#[tokio::test]
async fn only_the_risk_authority_registers_and_updates_venues() {
    let mut s = setup().await;
    let stranger = Keypair::new();
    s.m.env.fund(&stranger.pubkey()).await;
    let ix =
        pm_client::ix::venue_register(&stranger.pubkey(), &Pubkey::new_unique(), &stranger.pubkey(), venue_params(1));
    let e = s.m.env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    let ix = pm_client::ix::venue_update(&stranger.pubkey(), &s.venue, venue_params(1_000_000));
    let e = s.m.env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Unauthorized)));
    // A venue is registered once.
    assert!(s.m.register_venue(&s.venue, &stranger.pubkey(), venue_params(1)).await.is_err());
    // Disabled: every fill refused; enabled again: fills go through.
    let risk = s.m.env.risk.insecure_clone();
    let off = VenueParams { active: false, ..venue_params(100) };
    s.m.env.send(&[pm_client::ix::venue_update(&risk.pubkey(), &s.venue, off)], &[&risk]).await.unwrap();
    let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 1, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VenueInactive)));
    s.m.env.send(&[pm_client::ix::venue_update(&risk.pubkey(), &s.venue, venue_params(100))], &[&risk]).await.unwrap();
    s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 1, 10.5).await.unwrap();
}

#[tokio::test]
async fn an_account_that_did_not_approve_cannot_be_filled() {
    let mut s = setup().await;
    let stranger = s.m.trader(10_000 * USDC).await;
    for (maker, taker) in [(&s.maker, &stranger), (&stranger, &s.taker)] {
        let e = s.m.venue_trade(&s.venue, &s.auth, s.call, maker, taker, 1, 10.5).await.unwrap_err();
        assert_eq!(code(&e), Some(pm_code(PmError::VenueNotApproved)));
    }
    // The stranger's approval of another venue does not approve this one.
    let other = Pubkey::new_unique();
    let other_auth = Keypair::new();
    s.m.register_venue(&other, &other_auth.pubkey(), venue_params(100)).await.unwrap();
    s.m.approve_venue(&stranger, &other, 10).await.unwrap();
    let mut ix = s.m.venue_trade_ix(&s.venue, &s.auth.pubkey(), s.call, &s.maker.margin, &stranger.margin, 1, 10.5);
    ix.accounts[9].pubkey = pm_client::pda::venue_approval(&stranger.margin, &pm_client::pda::venue(&other));
    let a = s.auth.insecure_clone();
    let e = s.m.env.send(&[ix], &[&a]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VenueNotApproved)));
    // Nor does the maker's approval stand for the taker's.
    let mut ix = s.m.venue_trade_ix(&s.venue, &s.auth.pubkey(), s.call, &s.maker.margin, &stranger.margin, 1, 10.5);
    ix.accounts[9].pubkey = ix.accounts[8].pubkey;
    let e = s.m.env.send(&[ix], &[&a]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VenueNotApproved)));
}

#[tokio::test]
async fn a_revoked_approval_stops_fills_and_returns_the_rent() {
    let mut s = setup().await;
    s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 1, 10.5).await.unwrap();
    let owner = s.taker.key.pubkey();
    let lamports = s.m.env.account(&owner).await.unwrap().lamports;
    let k = s.taker.key.insecure_clone();
    s.m.env.send(&[pm_client::ix::venue_revoke(&s.taker.margin, &owner, &s.venue)], &[&k]).await.unwrap();
    let approval = pm_client::pda::venue_approval(&s.taker.margin, &pm_client::pda::venue(&s.venue));
    assert!(s.m.env.account(&approval).await.is_none(), "closed");
    assert!(s.m.env.account(&owner).await.unwrap().lamports > lamports, "rent back to the owner");
    let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 1, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VenueNotApproved)));
    // Only the owner revokes (the maker's approval, attempted by the taker's key).
    let e = s.m.env.send(&[pm_client::ix::venue_revoke(&s.maker.margin, &owner, &s.venue)], &[&k]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::NotOwner)));
    // Approving again works (a new limit).
    s.m.approve_venue(&s.taker, &s.venue, 2).await.unwrap();
    s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 2, 10.5).await.unwrap();
}

#[tokio::test]
async fn a_fill_above_either_approval_is_refused() {
    let mut s = setup().await;
    let small = s.m.trader(10_000 * USDC).await;
    s.m.approve_venue(&small, &s.venue, 3).await.unwrap();
    for lots in [11, -11] {
        let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, lots, 10.5).await.unwrap_err();
        assert_eq!(code(&e), Some(pm_code(PmError::VenueLotsAboveApproval)));
    }
    let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &small, 4, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VenueLotsAboveApproval)));
    s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &small, 3, 10.5).await.unwrap();
    s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 10, 10.5).await.unwrap();
    // A delegate cannot approve (nor raise a limit).
    let delegate = Keypair::new();
    s.m.env.fund(&delegate.pubkey()).await;
    let fresh = s.m.trader(10_000 * USDC).await;
    let k = fresh.key.insecure_clone();
    let ix = pm_client::ix::account_set_delegate(&fresh.margin, &k.pubkey(), delegate.pubkey());
    s.m.env.send(&[ix], &[&k]).await.unwrap();
    let ix = pm_client::ix::venue_approve(&fresh.margin, &delegate.pubkey(), &s.venue, 100);
    let e = s.m.env.send(&[ix], &[&delegate]).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::NotOwner)));
    let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &fresh, 1, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VenueNotApproved)));
}

#[tokio::test]
async fn an_instrument_outside_the_venue_scope_is_refused() {
    let mut s = setup().await;
    let risk = s.m.env.risk.insecure_clone();
    let other_underlying = VenueParams { scope: 7, ..venue_params(100) };
    s.m.env.send(&[pm_client::ix::venue_update(&risk.pubkey(), &s.venue, other_underlying)], &[&risk]).await.unwrap();
    let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 1, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VenueOutOfScope)));
    let sol_only = VenueParams { scope: 0, ..venue_params(100) };
    s.m.env.send(&[pm_client::ix::venue_update(&risk.pubkey(), &s.venue, sol_only)], &[&risk]).await.unwrap();
    s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 1, 10.5).await.unwrap();
}

#[tokio::test]
async fn the_open_interest_cap_bounds_what_the_venue_opens() {
    let mut s = setup().await;
    let risk = s.m.env.risk.insecure_clone();
    s.m.env.send(&[pm_client::ix::venue_update(&risk.pubkey(), &s.venue, venue_params(6))], &[&risk]).await.unwrap();
    s.m.venue_trade(&s.venue, &s.auth, s.fut, &s.maker, &s.taker, 4, 150.0).await.unwrap();
    let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 3, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::VenueOpenInterestCap)));
    s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 2, 10.5).await.unwrap();
    // At the cap, closing is allowed and makes room.
    s.m.venue_trade(&s.venue, &s.auth, s.fut, &s.maker, &s.taker, -4, 150.0).await.unwrap();
    let v: Venue = s.m.env.anchor(&pm_client::pda::venue(&s.venue)).await;
    assert_eq!(v.open_lots, 2);
    s.m.venue_trade(&s.venue, &s.auth, s.fut, &s.maker, &s.taker, 4, 150.0).await.unwrap();
}

#[tokio::test]
async fn an_off_market_price_cannot_move_value_between_accounts() {
    let mut s = setup().await;
    // The call's fair value is near 10.5 and the band is 10% of spot (15 around fair): a venue
    // colluding with one side cannot make the other pay 40 for it, nor sell it for 40.
    for lots in [1, -1] {
        let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, lots, 40.0).await.unwrap_err();
        assert_eq!(code(&e), Some(pm_code(PmError::PriceOutOfBand)), "{lots} at 40");
    }
    // The future (fair near 150): neither 180 nor 120, whichever side buys.
    for (lots, px) in [(1, 180.0), (-1, 180.0), (1, 120.0), (-1, 120.0)] {
        let e = s.m.venue_trade(&s.venue, &s.auth, s.fut, &s.maker, &s.taker, lots, px).await.unwrap_err();
        assert_eq!(code(&e), Some(pm_code(PmError::PriceOutOfBand)), "{lots} at {px}");
    }
    // Self-trade and pause are refused as in `trade`.
    let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &s.taker, &s.taker, 1, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::SelfTrade)));
    let admin = s.m.env.admin.insecure_clone();
    s.m.env.send(&[pm_client::ix::config_set_pause(&admin.pubkey(), pause::TRADE)], &[&admin]).await.unwrap();
    let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 1, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::Paused)));
}

#[tokio::test]
async fn an_account_without_margin_is_refused() {
    let mut s = setup().await;
    let poor = s.m.trader(10 * USDC).await;
    s.m.approve_venue(&poor, &s.venue, 10).await.unwrap();
    // Selling calls or buying futures needs margin the account does not have.
    let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &poor, &s.taker, 10, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InitialMarginViolated)));
    let e = s.m.venue_trade(&s.venue, &s.auth, s.fut, &s.maker, &poor, 10, 150.0).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InitialMarginViolated)));
    // Nor can it buy options with money it does not have.
    let e = s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &poor, 10, 10.5).await.unwrap_err();
    assert_eq!(code(&e), Some(pm_code(PmError::InitialMarginViolated)));
}

#[tokio::test]
async fn a_venue_opened_position_is_liquidated_like_any_other() {
    let mut m = Market::new().await;
    let f = m.list(future(m.expiry)).await.unwrap();
    m.crank(100.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let victim = m.trader(200 * USDC).await;
    let liquidator = m.trader(100_000 * USDC).await;
    let (venue, auth) = (Pubkey::new_unique(), Keypair::new());
    m.register_venue(&venue, &auth.pubkey(), venue_params(100)).await.unwrap();
    m.approve_venue(&maker, &venue, 10).await.unwrap();
    m.approve_venue(&victim, &venue, 10).await.unwrap();
    m.venue_trade(&venue, &auth, f, &maker, &victim, 10, 100.0).await.unwrap();
    m.crank(88.0).await.unwrap();
    let r0 = m.report(victim.margin).await;
    assert!(r0.equity < r0.maintenance, "the crash put the victim under maintenance");
    let plan = m.plan(victim.margin).await;
    assert!(plan.liquidatable && plan.reaches_target);
    let n = plan.request.positions[0].lots;
    let args = LiquidateArgs { positions: vec![PositionTake { instrument: f, lots: 10 }], ..Default::default() };
    m.liquidate(victim.margin, &liquidator, args).await.unwrap();
    assert_eq!(m.env.margin(&victim.margin).await.lots(&f), 10 - n as i64);
    assert_eq!(m.env.margin(&liquidator.margin).await.lots(&f), n as i64);
    m.assert_conserved(&[maker.margin, victim.margin, liquidator.margin, insurance_pda()]).await;
}

/// CU of one fill, as a bilateral trade and through a venue (same accounts, same market):
/// `cargo test --release -p portfolio-margin --test venues -- --nocapture cu`.
#[tokio::test]
async fn cu_of_a_venue_fill_against_a_trade() {
    if localnet::native() {
        return;
    }
    let mut s = setup().await;
    s.m.venue_trade(&s.venue, &s.auth, s.call, &s.maker, &s.taker, 1, 10.5).await.unwrap();
    let budget = |ix| [budget_ixs(MAX_CU), vec![ix]].concat();
    let extra = s.m.check_accounts();
    let trade = s.m.trade_ix(s.call, &s.maker, &s.taker, 1, 10.5, 1, extra);
    let (mk, tk) = (s.maker.key.insecure_clone(), s.taker.key.insecure_clone());
    let trade_cu = s.m.env.units(&budget(trade), &[&mk, &tk]).await.unwrap();
    let fill = s.m.venue_trade_ix(&s.venue, &s.auth.pubkey(), s.call, &s.maker.margin, &s.taker.margin, 1, 10.5);
    let a = s.auth.insecure_clone();
    let venue_cu = s.m.env.units(&budget(fill), &[&a]).await.unwrap();
    println!("| one call lot, each side 1 position | trade {trade_cu} CU | venue_trade {venue_cu} CU |");
    assert!(venue_cu < trade_cu + 10_000, "a venue fill costs about a trade: {venue_cu} vs {trade_cu}");
}
