//! `cargo run -p pm-client --example dump_instructions [-- --check FILE]`: a deterministic JSON
//! dump of instructions built by the Rust client, for the TypeScript SDK to assert it builds
//! the same bytes (the format is in crates/client/README.md). Writes to stdout; with
//! `--check FILE` compares with FILE instead and exits 1 if it differs.
use pm_client::{AccountMeta, AssetInfo, Instruction, MarketAccounts, Pubkey, ix, pda};
use portfolio_margin::instructions::{InstrumentTerms, TradeArgs, VenueTradeArgs};
use portfolio_margin::liquidation::{LiquidateArgs, LiquidationScope, PositionTake};
use portfolio_margin::state::{MarginAccount, NO_GROUP, VenueParams, kind};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A fixed key: 32 bytes of `n`.
fn key(n: u8) -> Pubkey {
    Pubkey::new_from_array([n; 32])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn metas(v: &[AccountMeta]) -> Value {
    v.iter()
        .map(|m| json!({"pubkey": m.pubkey.to_string(), "is_signer": m.is_signer, "is_writable": m.is_writable}))
        .collect()
}

fn case(name: &str, inputs: Value, ix: &Instruction) -> Value {
    json!({
        "name": name,
        "inputs": inputs,
        "program_id": ix.program_id.to_string(),
        "accounts": metas(&ix.accounts),
        "data": hex(&ix.data),
    })
}

/// The market of the remaining-accounts cases: assets (oracle, group), instruments (underlying).
struct Market {
    assets: BTreeMap<Pubkey, AssetInfo>,
    instruments: BTreeMap<Pubkey, Pubkey>,
}

impl MarketAccounts for Market {
    fn asset(&self, asset: &Pubkey) -> Option<AssetInfo> {
        self.assets.get(asset).copied()
    }
    fn instrument_underlying(&self, instrument: &Pubkey) -> Option<Pubkey> {
        self.instruments.get(instrument).copied()
    }
}

impl Market {
    fn json(&self) -> Value {
        let assets: serde_json::Map<String, Value> = self
            .assets
            .iter()
            .map(|(k, a)| (k.to_string(), json!({"oracle": a.oracle.map(|o| o.to_string()), "group": a.group})))
            .collect();
        let instruments: serde_json::Map<String, Value> =
            self.instruments.iter().map(|(k, u)| (k.to_string(), json!(u.to_string()))).collect();
        json!({"assets": assets, "instruments": instruments})
    }
}

/// A margin account holding `balances` (asset, amount) and `positions` (instrument, lots).
fn account(balances: &[(Pubkey, i64)], positions: &[(Pubkey, i64)]) -> MarginAccount {
    let mut a: MarginAccount = bytemuck::Zeroable::zeroed();
    for (slot, (asset, amount)) in a.balances.iter_mut().zip(balances) {
        slot.asset = *asset;
        slot.amount = *amount;
    }
    for (slot, (instrument, lots)) in a.positions.iter_mut().zip(positions) {
        slot.instrument = *instrument;
        slot.lots = *lots;
    }
    a.n_balances = balances.len() as u8;
    a.n_positions = positions.len() as u8;
    a
}

fn account_json(balances: &[(Pubkey, i64)], positions: &[(Pubkey, i64)]) -> Value {
    json!({
        "balances": balances.iter().map(|(a, n)| json!({"asset": a.to_string(), "amount": n.to_string()})).collect::<Vec<_>>(),
        "positions": positions.iter().map(|(i, n)| json!({"instrument": i.to_string(), "lots": n.to_string()})).collect::<Vec<_>>(),
    })
}

pub fn dump() -> Value {
    let (owner, payer, mint, token_program) = (key(1), key(2), key(3), key(4));
    let (maker, taker, liquidator) = (key(5), key(6), key(7));
    let (usdc_oracle, wbtc_oracle, sol_oracle) = (key(8), key(9), key(10));
    let wbtc_mint = key(11);
    let venue_program = key(15);
    let venue = pda::venue(&venue_program);
    let venue_authority = pda::venue_authority(&venue_program);
    let venue_params = VenueParams { scope: 0, max_open_lots: 1_000, active: true };
    let sol = pda::underlying(0);
    let btc = pda::underlying(1);
    let usdc = pda::asset(&mint);
    let wbtc = pda::asset(&wbtc_mint);
    let call_terms = InstrumentTerms { kind: kind::CALL, expiry: 1_800_000_000, strike: 150 << 32, lot_size: 1 << 48 };
    let call = pda::instrument(&sol, &call_terms);
    let perp =
        pda::instrument(&btc, &InstrumentTerms { kind: kind::PERPETUAL, expiry: 0, strike: 0, lot_size: 1 << 44 });
    let (maker_acc, taker_acc, liq_acc) =
        (pda::margin_account(&maker, 0), pda::margin_account(&taker, 1), pda::margin_account(&liquidator, 0));

    // wBTC is mapped to BTC (group 1): its balances move with that underlying.
    let market = Market {
        assets: BTreeMap::from([
            (usdc, AssetInfo { oracle: Some(usdc_oracle), group: NO_GROUP, rate_account: None }),
            (wbtc, AssetInfo { oracle: Some(wbtc_oracle), group: 1, rate_account: None }),
        ]),
        instruments: BTreeMap::from([(call, sol), (perp, btc)]),
    };
    let taker_b = [(usdc, 5_000_000_000), (wbtc, 10_000_000)];
    let taker_p = [(call, 10), (perp, -3)];
    let maker_b = [(usdc, 9_000_000_000)];
    let maker_p = [(call, -10)];
    let liq_b = [(usdc, 50_000_000_000)];
    let (taker_a, maker_a, liq_a) = (account(&taker_b, &taker_p), account(&maker_b, &maker_p), account(&liq_b, &[]));

    let both = pm_client::margin_check_accounts(&[&maker_a, &taker_a], &market, false);
    let liq = pm_client::margin_check_accounts(&[&taker_a, &liq_a], &market, true);
    let trade_args = TradeArgs { lots: 10, price: 7 << 32, quote_expiry: 1_700_000_060, nonce: 1 };
    let t = ix::TradeAccounts {
        underlying: sol,
        instrument: call,
        quote_asset: usdc,
        maker_account: maker_acc,
        maker,
        taker_account: taker_acc,
        taker,
    };
    let liq_args = LiquidateArgs { scope: LiquidationScope::Everything, ..Default::default() };
    let listed = LiquidateArgs {
        positions: vec![PositionTake { instrument: perp, lots: 2 }],
        collateral: vec![],
        scope: LiquidationScope::Listed,
    };
    let k = |p: &Pubkey| json!(p.to_string());
    let params_json =
        |p: &VenueParams| json!({"scope": p.scope, "max_open_lots": p.max_open_lots.to_string(), "active": p.active});
    let cases = vec![
        case(
            "account_open",
            json!({"owner": k(&owner), "sub_id": 3, "payer": k(&payer)}),
            &ix::account_open(&owner, 3, &payer),
        ),
        case(
            "deposit",
            json!({"margin_account": k(&maker_acc), "mint": k(&mint), "vault": k(&pda::vault(&mint)), "source": k(&key(12)),
                   "depositor": k(&maker), "token_program": k(&token_program), "amount": "1000000"}),
            &ix::deposit(&maker_acc, &mint, &pda::vault(&mint), &key(12), &maker, token_program, 1_000_000),
        ),
        case(
            "instrument_create",
            json!({"underlying": k(&sol), "terms": {"kind": kind::CALL, "expiry": "1800000000", "strike": (150i64 << 32).to_string(),
                   "lot_size": (1i64 << 48).to_string()}, "risk_authority": k(&key(13)), "payer": k(&payer)}),
            &ix::instrument_create(&sol, call_terms, &key(13), &payer).0,
        ),
        case(
            "underlying_refresh",
            json!({"underlying": k(&sol), "price_update": k(&sol_oracle)}),
            &ix::underlying_refresh(&sol, &sol_oracle),
        ),
        case(
            "trade",
            json!({"accounts": {"underlying": k(&sol), "instrument": k(&call), "quote_asset": k(&usdc), "maker_account": k(&maker_acc),
                   "maker": k(&maker), "taker_account": k(&taker_acc), "taker": k(&taker)},
                   "args": {"lots": "10", "price": (7i64 << 32).to_string(), "quote_expiry": "1700000060", "nonce": "1"},
                   "remaining": {"rule": {"accounts": [account_json(&maker_b, &maker_p), account_json(&taker_b, &taker_p)],
                                          "market": market.json(), "writable_instruments": false}}}),
            &ix::trade(&t, trade_args, both.clone()),
        ),
        case(
            "margin_report",
            json!({"margin_account": k(&taker_acc),
                   "remaining": {"rule": {"accounts": [account_json(&taker_b, &taker_p)], "market": market.json(), "writable_instruments": false}}}),
            &ix::margin_report(&taker_acc, pm_client::margin_check_accounts(&[&taker_a], &market, false)),
        ),
        case(
            "liquidation_plan",
            json!({"quote_asset": k(&usdc), "margin_account": k(&taker_acc),
                   "remaining": {"rule": {"accounts": [account_json(&taker_b, &taker_p)], "market": market.json(), "writable_instruments": false}}}),
            &ix::liquidation_plan(&usdc, &taker_acc, pm_client::margin_check_accounts(&[&taker_a], &market, false)),
        ),
        case(
            "liquidate",
            json!({"quote_asset": k(&usdc), "liquidatee": k(&taker_acc), "liquidator_account": k(&liq_acc), "liquidator": k(&liquidator),
                   "args": {"positions": [], "collateral": [], "scope": "Everything"},
                   "remaining": {"rule": {"accounts": [account_json(&taker_b, &taker_p), account_json(&liq_b, &[])],
                                          "market": market.json(), "writable_instruments": true}}}),
            &ix::liquidate(&usdc, &taker_acc, &liq_acc, &liquidator, liq_args, liq.clone()),
        ),
        case(
            "liquidate_listed",
            json!({"quote_asset": k(&usdc), "liquidatee": k(&taker_acc), "liquidator_account": k(&liq_acc), "liquidator": k(&liquidator),
                   "args": {"positions": [{"instrument": k(&perp), "lots": "2"}], "collateral": [], "scope": "Listed"},
                   "remaining": {"rule": {"accounts": [account_json(&taker_b, &taker_p), account_json(&liq_b, &[])],
                                          "market": market.json(), "writable_instruments": true}}}),
            &ix::liquidate(&usdc, &taker_acc, &liq_acc, &liquidator, listed, liq),
        ),
        case(
            "settle_position_realize",
            json!({"underlying": k(&btc), "instrument": k(&perp), "quote_asset": k(&usdc), "margin_account": k(&taker_acc), "realizer": k(&taker)}),
            &ix::settle_position(&btc, &perp, &usdc, &taker_acc, Some(taker)),
        ),
        case(
            "withdraw",
            json!({"margin_account": k(&taker_acc), "mint": k(&wbtc_mint), "destination": k(&key(14)), "owner": k(&taker),
                   "token_program": k(&token_program), "amount": "5000000",
                   "remaining": {"rule": {"accounts": [account_json(&taker_b, &taker_p)], "market": market.json(), "writable_instruments": false}}}),
            &ix::withdraw(
                &taker_acc,
                &wbtc_mint,
                &key(14),
                &taker,
                token_program,
                5_000_000,
                pm_client::margin_check_accounts(&[&taker_a], &market, false),
            ),
        ),
        case(
            "venue_register",
            json!({"risk_authority": k(&key(13)), "venue_program": k(&venue_program), "authority": k(&venue_authority),
                   "params": params_json(&venue_params)}),
            &ix::venue_register(&key(13), &venue_program, &venue_authority, venue_params),
        ),
        case(
            "venue_update",
            json!({"risk_authority": k(&key(13)), "venue_program": k(&venue_program),
                   "params": params_json(&VenueParams { active: false, ..venue_params })}),
            &ix::venue_update(&key(13), &venue_program, VenueParams { active: false, ..venue_params }),
        ),
        case(
            "venue_approve",
            json!({"margin_account": k(&taker_acc), "owner": k(&taker), "venue_program": k(&venue_program), "max_lots_per_trade": "50"}),
            &ix::venue_approve(&taker_acc, &taker, &venue_program, 50),
        ),
        case(
            "venue_revoke",
            json!({"margin_account": k(&maker_acc), "owner": k(&maker), "venue_program": k(&venue_program)}),
            &ix::venue_revoke(&maker_acc, &maker, &venue_program),
        ),
        case(
            "venue_trade",
            json!({"accounts": {"underlying": k(&sol), "instrument": k(&call), "quote_asset": k(&usdc), "maker_account": k(&maker_acc),
                   "taker_account": k(&taker_acc)},
                   "venue_program": k(&venue_program), "authority": k(&venue_authority),
                   "args": {"lots": "-4", "price": (7i64 << 32).to_string()},
                   "remaining": {"rule": {"accounts": [account_json(&maker_b, &maker_p), account_json(&taker_b, &taker_p)],
                                          "market": market.json(), "writable_instruments": false}}}),
            &ix::venue_trade(&t, &venue_program, &venue_authority, VenueTradeArgs { lots: -4, price: 7 << 32 }, both),
        ),
    ];
    let pdas = json!({
        "config": k(&pda::config()),
        "vault_authority": k(&pda::vault_authority()),
        "insurance": k(&pda::insurance()),
        "asset(mint)": k(&usdc),
        "vault(mint)": k(&pda::vault(&mint)),
        "margin_account(maker, 0)": k(&maker_acc),
        "margin_account(taker, 1)": k(&taker_acc),
        "underlying(0)": k(&sol),
        "underlying(1)": k(&btc),
        "instrument(underlying(0), call 150 @ 1800000000)": k(&call),
        "pending(underlying(0))": k(&pda::pending(&sol)),
        "program_data": k(&pda::program_data()),
        "venue(venue_program)": k(&venue),
        "venue_approval(margin_account(taker, 1), venue(venue_program))": k(&pda::venue_approval(&taker_acc, &venue)),
        "venue_authority(venue_program)": k(&venue_authority),
    });
    json!({
        "format": "pm-client instructions v1 (crates/client/README.md)",
        "program_id": pm_client::program_id().to_string(),
        "keys": (1u8..=15).map(|n| json!({"fill": n, "pubkey": key(n).to_string()})).collect::<Vec<_>>(),
        "pdas": pdas,
        "instructions": cases,
    })
}

/// The dump as written to the fixture file.
pub fn text() -> String {
    serde_json::to_string_pretty(&dump()).expect("json") + "\n"
}

#[allow(dead_code)] // also compiled as a module of tests/fixture.rs
fn main() -> std::process::ExitCode {
    let text = text();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {
            print!("{text}");
            std::process::ExitCode::SUCCESS
        }
        [flag, file] if flag == "--check" => match std::fs::read_to_string(file) {
            Ok(committed) if committed == text => {
                eprintln!("dump_instructions: {file} is up to date");
                std::process::ExitCode::SUCCESS
            }
            Ok(_) => {
                eprintln!("dump_instructions: {file} is out of date: regenerate it (crates/client/README.md)");
                std::process::ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("dump_instructions: cannot read {file}: {e}");
                std::process::ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: dump_instructions [--check FILE]");
            std::process::ExitCode::from(2)
        }
    }
}
