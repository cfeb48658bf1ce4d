//! The example venue end to end, on the `.so` of both programs (`target/sbf/rfq_venue.so` and
//! `portfolio_margin.so` in one program-test chain): a quote posted and filled by CPI into
//! `venue_trade`, and every refusal a venue must propagate.
use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, Discriminator};
use localnet::market::*;
use localnet::venue::rfq::{VENUE, ix, quote_pda};
use localnet::venue::{rfq_venue_elf, venue_params};
use localnet::*;
use portfolio_margin::error::PmError;
use portfolio_margin::liquidation::{LiquidateArgs, PositionTake};
use rfq_venue::RfqError;
use solana_keypair::Keypair;
use solana_program_test::BanksClientError;
use solana_signer::Signer;

const USDC: u64 = 1_000_000;

fn rfq_code(e: RfqError) -> u32 {
    u32::from(e)
}

/// Both programs loaded; a call and a future on SOL at 150; the example venue registered
/// (unless `register` is false) with its PDA as authority; a rich maker and a taker who both
/// approved it (10 lots per trade).
async fn setup(register: bool) -> (Market, Pubkey, Pubkey, Trader, Trader) {
    if localnet::native() {
        panic!("the example venue's tests run on the .so files only");
    }
    let elf = rfq_venue_elf().unwrap_or_else(|e| panic!("{e}"));
    let mut m = Market::on(Env::with_programs(&[(VENUE, elf)]).await).await;
    let expiry = m.expiry;
    let c = m.list(call(expiry, 150.0)).await.unwrap();
    let f = m.list(future(expiry)).await.unwrap();
    m.crank(150.0).await.unwrap();
    let maker = m.trader(1_000_000 * USDC).await;
    let taker = m.trader(10_000 * USDC).await;
    if register {
        m.register_venue(&VENUE, &pm_client::pda::venue_authority(&VENUE), venue_params(1_000)).await.unwrap();
        m.approve_venue(&maker, &VENUE, 10).await.unwrap();
        m.approve_venue(&taker, &VENUE, 10).await.unwrap();
    }
    (m, c, f, maker, taker)
}

async fn post(
    m: &mut Market,
    maker: &Trader,
    id: u64,
    i: Pubkey,
    lots: i64,
    px: f64,
) -> Result<Pubkey, BanksClientError> {
    m.rfq_post(maker, id, i, lots, px).await
}

/// The quote's terms as a taker reads them before signing (lots, price); none once closed.
async fn terms(m: &mut Market, quote: Pubkey) -> (i64, f64) {
    match m.env.account(&quote).await {
        Some(a) => {
            let q = rfq_venue::Quote::try_deserialize(&mut &a.data[..]).expect("a quote");
            (q.lots, q.price as f64 / PRICE_ONE as f64)
        }
        None => (0, 0.0),
    }
}

/// The taker fills the quote at the terms it reads.
async fn fill(
    m: &mut Market,
    quote: Pubkey,
    i: Pubkey,
    maker: &Trader,
    taker: &Trader,
) -> Result<(), BanksClientError> {
    let (lots, px) = terms(m, quote).await;
    m.rfq_fill(quote, i, maker, taker, lots, px).await
}

#[test]
fn the_interface_constants_are_the_margin_programs() {
    assert_eq!(rfq_venue::VENUE_TRADE, portfolio_margin::instruction::VenueTrade::DISCRIMINATOR);
    assert_eq!(rfq_venue::MARGIN_ACCOUNT, portfolio_margin::state::MarginAccount::DISCRIMINATOR);
    assert_eq!(rfq_venue::MARGIN_PROGRAM, portfolio_margin::ID);
    assert_eq!(rfq_venue::AUTHORITY_SEED, portfolio_margin::state::seeds::VENUE_AUTHORITY);
}

#[tokio::test]
async fn a_quote_is_filled_by_cpi_once() {
    let (mut m, c, _f, maker, taker) = setup(true).await;
    let quote = post(&mut m, &maker, 1, c, 5, 10.5).await.unwrap();
    let before = m.usdc_books(&[maker.margin, taker.margin]).await;
    let budget =
        [budget_ixs(MAX_CU), vec![m.rfq_fill_ix(quote, c, &maker, &taker.key.pubkey(), &taker.margin, 5, 10.5)]]
            .concat();
    let tk = taker.key.insecure_clone();
    let cu = m.env.units(&budget, &[&tk]).await.unwrap();
    println!("| fill_quote (RFQ venue -> venue_trade by CPI, each side 1 position) | {cu} CU |");
    fill(&mut m, quote, c, &maker, &taker).await.unwrap();
    let (mk, tk) = (m.env.margin(&maker.margin).await, m.env.margin(&taker.margin).await);
    assert_eq!((tk.lots(&c), mk.lots(&c)), (5, -5));
    assert_eq!(tk.balances[0].amount, (10_000 * USDC - 5 * 10_500_000) as i64, "premium paid");
    assert_eq!(m.usdc_books(&[maker.margin, taker.margin]).await, before);
    assert!(m.env.account(&quote).await.is_none(), "a filled quote is closed");
    let v: portfolio_margin::state::Venue = m.env.anchor(&pm_client::pda::venue(&VENUE)).await;
    assert_eq!(v.open_lots, 5);
    // The same quote cannot be filled again (closed: Anchor's AccountNotInitialized).
    let e = fill(&mut m, quote, c, &maker, &taker).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(3012));
    // The maker cancels another quote; it is gone.
    let q2 = post(&mut m, &maker, 2, c, 1, 10.5).await.unwrap();
    let k = maker.key.insecure_clone();
    let cancel =
        ix(rfq_venue::accounts::CancelQuote { quote: q2, maker: k.pubkey() }, rfq_venue::instruction::CancelQuote {});
    m.env.send(&[cancel], &[&k]).await.unwrap();
    assert!(m.env.account(&q2).await.is_none());
}

#[tokio::test]
async fn a_margin_refusal_is_propagated() {
    let (mut m, _c, f, maker, _taker) = setup(true).await;
    let poor = m.trader(10 * USDC).await;
    m.approve_venue(&poor, &VENUE, 10).await.unwrap();
    let quote = post(&mut m, &maker, 1, f, 10, 150.0).await.unwrap();
    let e = fill(&mut m, quote, f, &maker, &poor).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::InitialMarginViolated)));
    assert!(m.env.account(&quote).await.is_some(), "nothing happened: the quote is still there");
}

#[tokio::test]
async fn an_unregistered_venue_is_refused() {
    let (mut m, c, _f, maker, taker) = setup(false).await;
    let quote = post(&mut m, &maker, 1, c, 1, 10.5).await.unwrap();
    let e = fill(&mut m, quote, c, &maker, &taker).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::VenueNotRegistered)));
    // Registered with another authority (not this program's PDA): refused too.
    m.register_venue(&VENUE, &Keypair::new().pubkey(), venue_params(1_000)).await.unwrap();
    let e = fill(&mut m, quote, c, &maker, &taker).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::VenueAuthorityMismatch)));
}

#[tokio::test]
async fn an_account_that_did_not_approve_or_revoked_is_refused() {
    let (mut m, c, _f, maker, taker) = setup(true).await;
    let stranger = m.trader(10_000 * USDC).await;
    let quote = post(&mut m, &maker, 1, c, 1, 10.5).await.unwrap();
    let e = fill(&mut m, quote, c, &maker, &stranger).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::VenueNotApproved)));
    let k = taker.key.insecure_clone();
    m.env.send(&[pm_client::ix::venue_revoke(&taker.margin, &k.pubkey(), &VENUE)], &[&k]).await.unwrap();
    let e = fill(&mut m, quote, c, &maker, &taker).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::VenueNotApproved)));
}

#[tokio::test]
async fn a_price_outside_the_band_is_refused() {
    let (mut m, c, _f, maker, taker) = setup(true).await;
    let quote = post(&mut m, &maker, 1, c, 1, 40.0).await.unwrap();
    let e = fill(&mut m, quote, c, &maker, &taker).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(pm_code(PmError::PriceOutOfBand)));
}

#[tokio::test]
async fn the_venue_checks_who_signs_for_which_account_and_expiry() {
    let (mut m, c, _f, maker, taker) = setup(true).await;
    // A quote for someone else's margin account.
    let k = taker.key.insecure_clone();
    let post_for_maker = ix(
        rfq_venue::accounts::PostQuote {
            quote: quote_pda(&maker.margin, 9),
            maker_account: maker.margin,
            maker: k.pubkey(),
            system_program: anchor_lang::system_program::ID,
        },
        rfq_venue::instruction::PostQuote { id: 9, instrument: c, lots: 1, price: price(10.5), expiry: m.env.now + 60 },
    );
    let e = m.env.send(&[post_for_maker], &[&k]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(rfq_code(RfqError::NotAccountOwner)));
    // A fill for someone else's margin account (the taker's, signed by a stranger).
    let quote = post(&mut m, &maker, 1, c, 1, 10.5).await.unwrap();
    let stranger = Keypair::new();
    let ix = m.rfq_fill_ix(quote, c, &maker, &stranger.pubkey(), &taker.margin, 1, 10.5);
    let e = m.env.send(&[ix], &[&stranger]).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(rfq_code(RfqError::NotAccountOwner)));
    // An expired quote.
    m.warp(61).await;
    let e = fill(&mut m, quote, c, &maker, &taker).await.unwrap_err();
    assert_eq!(custom_code(&e), Some(rfq_code(RfqError::QuoteExpired)));
}

#[tokio::test]
async fn a_position_opened_on_the_venue_is_liquidated_like_any_other() {
    let (mut m, _c, f, maker, _taker) = setup(true).await;
    let victim = m.trader(300 * USDC).await;
    let liquidator = m.trader(100_000 * USDC).await;
    m.approve_venue(&victim, &VENUE, 10).await.unwrap();
    let quote = post(&mut m, &maker, 1, f, 10, 150.0).await.unwrap();
    fill(&mut m, quote, f, &maker, &victim).await.unwrap();
    m.crank(132.0).await.unwrap();
    let r = m.report(victim.margin).await;
    assert!(r.equity < r.maintenance, "the crash put the victim under maintenance");
    let args = LiquidateArgs { positions: vec![PositionTake { instrument: f, lots: 10 }], ..Default::default() };
    m.liquidate(victim.margin, &liquidator, args).await.unwrap();
    let taken = m.env.margin(&liquidator.margin).await.lots(&f);
    assert!(taken > 0 && m.env.margin(&victim.margin).await.lots(&f) == 10 - taken);
}

/// Issue 13's use case: an option bought on the venue, hedged with a future traded
/// bilaterally, is margined together with it in one account (`margin_report`).
#[tokio::test]
async fn an_option_bought_on_the_venue_is_hedged_by_a_bilateral_future() {
    let (mut m, c, f, maker, _taker) = setup(true).await;
    let owner = Keypair::new();
    let mut accounts = vec![];
    for sub in 0..3u16 {
        let t = m.trader_sub(owner.insecure_clone(), sub, 20_000 * USDC).await;
        m.approve_venue(&t, &VENUE, 10).await.unwrap();
        accounts.push(t);
    }
    let [hedged, call_only, future_only] = [&accounts[0], &accounts[1], &accounts[2]];
    for (id, t) in [(1, hedged), (2, call_only)] {
        let quote = post(&mut m, &maker, id, c, 10, 10.5).await.unwrap();
        fill(&mut m, quote, c, &maker, t).await.unwrap();
    }
    m.trade(f, &maker, hedged, -5, 150.0, 1).await.unwrap();
    m.trade(f, &maker, future_only, -5, 150.0, 2).await.unwrap();
    let mut im = vec![];
    for t in [hedged, call_only, future_only] {
        let r = m.report(t.margin).await;
        im.push(usd(r.initial - r.initial_haircut_extra));
    }
    println!(
        "long 10 calls (venue) + short 5 futures (bilateral): initial {:.2} USD together, {:.2} + {:.2} apart ({:.1}% saved)",
        im[0],
        im[1],
        im[2],
        100.0 * (1.0 - im[0] / (im[1] + im[2]))
    );
    assert!(im[0] < 0.8 * (im[1] + im[2]), "the venue's option offsets the bilateral future: {im:?}");
}

/// A quote's address is reusable (cancel, then post the same id): a maker who swaps the terms
/// under a taker's signed fill (another price, more lots, the other side) gets `QuoteChanged`.
#[tokio::test]
async fn a_fill_is_refused_when_the_maker_swapped_the_quote_under_it() {
    let (mut m, c, _f, maker, taker) = setup(true).await;
    let quote = post(&mut m, &maker, 1, c, 1, 10.5).await.unwrap();
    let seen = terms(&mut m, quote).await;
    assert_eq!(seen, (1, 10.5));
    let k = maker.key.insecure_clone();
    for (lots, px) in [(1, 12.0), (5, 10.5), (-1, 10.5)] {
        let cancel =
            ix(rfq_venue::accounts::CancelQuote { quote, maker: k.pubkey() }, rfq_venue::instruction::CancelQuote {});
        m.env.send(&[cancel], &[&k]).await.unwrap();
        assert_eq!(post(&mut m, &maker, 1, c, lots, px).await.unwrap(), quote, "the same address");
        let e = m.rfq_fill(quote, c, &maker, &taker, seen.0, seen.1).await.unwrap_err();
        assert_eq!(custom_code(&e), Some(rfq_code(RfqError::QuoteChanged)), "swapped to {lots} at {px}");
    }
    assert_eq!(m.env.margin(&taker.margin).await.lots(&c), 0, "nothing filled");
}
