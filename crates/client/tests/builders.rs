//! Every builder against Anchor's own accounts struct and instruction data (what the suites,
//! the keeper and the demo built by hand before `pm-client`), with the PDAs derived here from
//! literal seeds (not through `pm_client::pda`).
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{InstructionData, ToAccountMetas, system_program};
use pm_client::ix;
use portfolio_margin::accounts as a;
use portfolio_margin::instruction as d;
use portfolio_margin::instructions::{InstrumentTerms, TradeArgs};
use portfolio_margin::liquidation::{LiquidateArgs, PositionTake};

fn anchor<A: ToAccountMetas, D: InstructionData>(accounts: A, data: D) -> Instruction {
    Instruction { program_id: portfolio_margin::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

fn pda(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &portfolio_margin::ID).0
}

fn key(n: u8) -> Pubkey {
    Pubkey::new_from_array([n; 32])
}

fn with(mut ix: Instruction, extra: &[AccountMeta]) -> Instruction {
    ix.accounts.extend_from_slice(extra);
    ix
}

#[test]
fn builders_match_anchor_accounts_and_data() {
    let config = pda(&[b"config"]);
    let vault_authority = pda(&[b"vault-authority"]);
    let insurance = pda(&[b"margin", vault_authority.as_ref(), &0u16.to_le_bytes()]);
    let (owner, mint, payer, risk) = (key(1), key(2), key(3), key(4));
    let asset = pda(&[b"collateral", mint.as_ref()]);
    let vault = pda(&[b"vault", mint.as_ref()]);
    let margin = pda(&[b"margin", owner.as_ref(), &7u16.to_le_bytes()]);
    let underlying = pda(&[b"underlying", &[3]]);
    let terms = InstrumentTerms { kind: 1, expiry: 1_800_000_000, strike: 150 << 32, lot_size: 1 << 48 };
    let instrument = pda(&[
        b"instrument",
        underlying.as_ref(),
        &[1],
        &1_800_000_000i64.to_le_bytes(),
        &(150i64 << 32).to_le_bytes(),
    ]);
    assert_eq!(pm_client::pda::instrument(&underlying, &terms), instrument);
    let extra = [AccountMeta::new_readonly(key(9), false), AccountMeta::new(key(10), false)];

    assert_eq!(
        ix::account_open(&owner, 7, &payer),
        anchor(
            a::AccountOpen { margin_account: margin, owner, payer, system_program: system_program::ID },
            d::AccountOpen { sub_id: 7 }
        )
    );
    assert_eq!(
        ix::deposit(&margin, &mint, &vault, &key(5), &owner, key(6), 42),
        anchor(
            a::Deposit {
                config,
                asset,
                margin_account: margin,
                mint,
                vault,
                source: key(5),
                depositor: owner,
                token_program: key(6)
            },
            d::Deposit { amount: 42 }
        )
    );
    assert_eq!(
        ix::withdraw(&margin, &mint, &key(5), &owner, key(6), 42, extra.to_vec()),
        with(
            anchor(
                a::Withdraw {
                    config,
                    asset,
                    margin_account: margin,
                    mint,
                    vault,
                    vault_authority,
                    destination: key(5),
                    owner,
                    token_program: key(6)
                },
                d::Withdraw { amount: 42 }
            ),
            &extra
        )
    );
    assert_eq!(
        ix::insurance_init(&payer),
        anchor(
            a::InsuranceInit { config, vault_authority, insurance, payer, system_program: system_program::ID },
            d::InsuranceInit {}
        )
    );
    assert_eq!(
        ix::instrument_create(&underlying, terms, &risk, &payer),
        (
            anchor(
                a::InstrumentCreate {
                    config,
                    underlying,
                    instrument,
                    risk_authority: risk,
                    payer,
                    system_program: system_program::ID
                },
                d::InstrumentCreate { terms }
            ),
            instrument
        )
    );
    assert_eq!(
        ix::underlying_refresh(&underlying, &key(8)),
        anchor(a::UnderlyingRefresh { config, underlying, price_update: key(8) }, d::UnderlyingRefresh {})
    );
    assert_eq!(
        ix::instrument_refresh(&underlying, &instrument),
        anchor(a::InstrumentRefresh { config, underlying, instrument }, d::InstrumentRefresh {})
    );
    let args = TradeArgs { lots: -3, price: 5 << 32, quote_expiry: 1_700_000_060, nonce: 9 };
    let t = ix::TradeAccounts {
        underlying,
        instrument,
        quote_asset: asset,
        maker_account: margin,
        maker: owner,
        taker_account: key(11),
        taker: key(12),
    };
    assert_eq!(
        ix::trade(&t, args, extra.to_vec()),
        with(
            anchor(
                a::Trade {
                    config,
                    underlying,
                    instrument,
                    quote_asset: asset,
                    maker_account: margin,
                    taker_account: key(11),
                    maker: owner,
                    taker: key(12)
                },
                d::Trade { args }
            ),
            &extra
        )
    );
    assert_eq!(
        ix::margin_report(&margin, extra.to_vec()),
        with(anchor(a::MarginReport { config, margin_account: margin }, d::MarginReport {}), &extra)
    );
    assert_eq!(
        ix::liquidation_plan(&asset, &margin, extra.to_vec()),
        with(
            anchor(
                a::LiquidationPlanView { config, quote_asset: asset, margin_account: margin },
                d::LiquidationPlan {}
            ),
            &extra
        )
    );
    assert_eq!(
        ix::liquidation_flag(&margin, extra.to_vec()),
        with(anchor(a::LiquidationFlag { config, margin_account: margin }, d::LiquidationFlag {}), &extra)
    );
    let largs = LiquidateArgs { positions: vec![PositionTake { instrument, lots: 2 }], ..Default::default() };
    assert_eq!(
        ix::liquidate(&asset, &margin, &key(11), &key(12), largs.clone(), extra.to_vec()),
        with(
            anchor(
                a::Liquidate {
                    config,
                    quote_asset: asset,
                    liquidatee: margin,
                    liquidator_account: key(11),
                    liquidator: key(12),
                    insurance,
                    vault_authority
                },
                d::Liquidate { args: largs }
            ),
            &extra
        )
    );
    assert_eq!(
        ix::resolve_bankruptcy(&asset, &margin, vec![]),
        anchor(
            a::ResolveBankruptcy { config, quote_asset: asset, margin_account: margin, insurance, vault_authority },
            d::ResolveBankruptcy {}
        )
    );
    assert_eq!(
        ix::settle_price_set(&underlying, &instrument, &key(8)),
        anchor(a::SettlePriceSet { config, underlying, instrument, price_update: key(8) }, d::SettlePriceSet {})
    );
    let settle = anchor(
        a::SettlePosition { config, underlying, instrument, quote_asset: asset, margin_account: margin },
        d::SettlePosition {},
    );
    assert_eq!(ix::settle_position(&underlying, &instrument, &asset, &margin, None), settle);
    assert_eq!(
        ix::settle_position(&underlying, &instrument, &asset, &margin, Some(owner)),
        with(settle, &[AccountMeta::new_readonly(owner, true)])
    );
    assert_eq!(
        ix::underlying_propose(&underlying, localnet::market::sol_params(), &risk),
        anchor(
            a::UnderlyingPropose {
                config,
                underlying,
                pending: pda(&[b"pending-params", underlying.as_ref()]),
                risk_authority: risk,
                system_program: system_program::ID
            },
            d::UnderlyingPropose { params: localnet::market::sol_params() }
        )
    );
    assert_eq!(
        ix::collateral_register(&mint, key(6), localnet::usdc_params(), &risk, &payer, vec![]),
        anchor(
            a::CollateralRegister {
                config,
                asset,
                mint,
                vault,
                vault_authority,
                risk_authority: risk,
                payer,
                token_program: key(6),
                system_program: system_program::ID
            },
            d::CollateralRegister { params: localnet::usdc_params() }
        )
    );

    // Venues: PDAs from their seeds, builders against Anchor's structs.
    let venue_program = key(20);
    let venue = pda(&[b"venue", venue_program.as_ref()]);
    let approval = |m: &Pubkey| pda(&[b"venue-approval", m.as_ref(), venue.as_ref()]);
    let authority = Pubkey::find_program_address(&[b"venue-authority"], &venue_program).0;
    assert_eq!(pm_client::pda::venue_authority(&venue_program), authority);
    let params = portfolio_margin::state::VenueParams { scope: 3, max_open_lots: 50, active: true };
    assert_eq!(
        ix::venue_register(&risk, &venue_program, &authority, params),
        anchor(
            a::VenueRegister { config, venue, risk_authority: risk, system_program: system_program::ID },
            d::VenueRegister { venue_program, authority, params }
        )
    );
    assert_eq!(
        ix::venue_update(&risk, &venue_program, params),
        anchor(a::VenueUpdate { config, venue, risk_authority: risk }, d::VenueUpdate { params })
    );
    assert_eq!(
        ix::venue_approve(&margin, &owner, &venue_program, 4),
        anchor(
            a::VenueApprove {
                margin_account: margin,
                venue,
                approval: approval(&margin),
                owner,
                system_program: system_program::ID
            },
            d::VenueApprove { max_lots_per_trade: 4 }
        )
    );
    assert_eq!(
        ix::venue_revoke(&margin, &owner, &venue_program),
        anchor(a::VenueRevoke { approval: approval(&margin), owner }, d::VenueRevoke {})
    );
    let fill = portfolio_margin::instructions::VenueTradeArgs { lots: -3, price: 5 << 32 };
    assert_eq!(
        ix::venue_trade(&t, &venue_program, &authority, fill, extra.to_vec()),
        with(
            anchor(
                a::VenueTrade {
                    config,
                    underlying,
                    instrument,
                    quote_asset: asset,
                    maker_account: margin,
                    taker_account: key(11),
                    venue,
                    authority,
                    maker_approval: approval(&margin),
                    taker_approval: approval(&key(11)),
                },
                d::VenueTrade { args: fill }
            ),
            &extra
        )
    );
}

#[test]
fn remaining_accounts_groups_in_order_each_address_once() {
    let mut r = pm_client::RemainingAccounts::new();
    // A mapped asset (its underlying), a plain one sharing its oracle, two instruments of the
    // mapped underlying and one of another.
    r.asset(key(1), Some(key(2)), Some(key(3)))
        .asset(key(4), Some(key(2)), None)
        .instrument(key(5), Some(key(3)))
        .instrument(key(6), Some(key(7)))
        .instrument(key(5), Some(key(3)));
    let keys: Vec<Pubkey> = [1, 4, 2, 3, 7, 5, 6].map(key).to_vec();
    assert_eq!(r.keys(), keys);
    let metas = r.metas(true);
    assert!(metas.iter().all(|m| !m.is_signer));
    assert_eq!(metas.iter().filter(|m| m.is_writable).map(|m| m.pubkey).collect::<Vec<_>>(), vec![key(5), key(6)]);
    assert!(r.metas(false).iter().all(|m| !m.is_writable));
}
