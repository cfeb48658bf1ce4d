//! `pm account ADDRESS --rpc-url URL --oracle FEED=ACCOUNT ...`: a live margin account's report
//! from a cluster, computed by the program's own code (the keeper's `Book`: the program's
//! `MarketView` built from the fetched bytes and its margin snapshot), reading only the
//! accounts that margin check needs (`getMultipleAccounts`).
use anchor_lang::prelude::Pubkey;
use keeper::book::{Book, parse_oracles};
use keeper::chain::Chain;
use keeper::chain::rpc::RpcChain;
use portfolio_margin::state::{NO_GROUP, kind, status};
use risk_kernel::Money;
use serde_json::{Value, json};
use std::str::FromStr;

fn money(m: Money) -> f64 {
    m.to_f64()
}

fn q(v: i64, bits: u32) -> f64 {
    v as f64 / (1u64 << bits) as f64
}

fn kind_name(k: u8) -> &'static str {
    match k {
        kind::CALL => "call",
        kind::PUT => "put",
        kind::FUTURE => "future",
        kind::PERPETUAL => "perp",
        _ => "unknown",
    }
}

pub fn account(address: &str, rpc_url: &str, oracles: &[String]) -> Result<Value, String> {
    let key = Pubkey::from_str(address).map_err(|_| format!("{address}: not an account address (base58)"))?;
    let oracles = parse_oracles(oracles)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut chain = RpcChain::new(rpc_url.to_string());
        let now = chain.now().await.map_err(|e| format!("{rpc_url}: {e}"))?;
        let book = Book::load_account(&mut chain, &key, &oracles).await.map_err(|e| format!("{rpc_url}: {e}"))?;
        let (_, acc) = book.accounts[0];
        let r = book.evaluate(&acc, &oracles, now)?;
        // The report's risk groups: the underlyings in order of first use, positions first,
        // then mapped balances (the program's snapshot order).
        let mut groups: Vec<Pubkey> = vec![];
        for p in &acc.positions[..acc.n_positions as usize] {
            if let Some(i) = book.instrument(&p.instrument)
                && !groups.contains(&i.underlying)
            {
                groups.push(i.underlying);
            }
        }
        for b in &acc.balances[..acc.n_balances as usize] {
            if let Some(a) = book.asset(&b.asset)
                && a.params.group != NO_GROUP
                && !(a.params.status == status::DELISTED && b.amount > 0)
            {
                let u = pm_client::pda::underlying(a.params.group);
                if !groups.contains(&u) && groups.len() < r.groups().len() {
                    groups.push(u);
                }
            }
        }
        let group_rows: Vec<Value> = r
            .groups()
            .iter()
            .enumerate()
            .map(|(g, gr)| {
                let u = groups.get(g).copied();
                json!({
                    "underlying": u.map(|k| k.to_string()),
                    "id": u.and_then(|k| book.underlying(&k)).map(|x| x.id),
                    "maintenance_loss": money(gr.maintenance.loss),
                    "initial_loss": money(gr.initial.loss),
                    "short_option_charge": money(gr.short_option_charge),
                    "worst_scenario": gr.maintenance.worst,
                    "greeks": {
                        "delta": gr.greeks.delta as f64 / (1u64 << 48) as f64,
                        "gamma": gr.greeks.gamma as f64 / (1u64 << 48) as f64,
                        "vega": gr.greeks.vega as f64 / (1u64 << 32) as f64,
                        "theta": gr.greeks.theta as f64 / (1u64 << 32) as f64,
                        "rho": gr.greeks.rho as f64 / (1u64 << 32) as f64,
                    },
                })
            })
            .collect();
        let balances: Vec<Value> = acc.balances[..acc.n_balances as usize]
            .iter()
            .map(|b| {
                let a = book.asset(&b.asset);
                let decimals = a.map(|a| a.decimals as i32).unwrap_or(0);
                json!({
                    "asset": b.asset.to_string(),
                    "mint": a.map(|a| a.mint.to_string()),
                    "amount_native": b.amount,
                    "amount": b.amount as f64 / 10f64.powi(decimals),
                })
            })
            .collect();
        let positions: Vec<Value> = acc.positions[..acc.n_positions as usize]
            .iter()
            .map(|p| {
                let i = book.instrument(&p.instrument);
                json!({
                    "instrument": p.instrument.to_string(),
                    "underlying": i.map(|i| i.underlying.to_string()),
                    "type": i.map(|i| kind_name(i.kind)),
                    "strike": i.map(|i| q(i.strike, 32)),
                    "expiry": i.map(|i| i.expiry),
                    "lot_size": i.map(|i| q(i.lot_size, 48)),
                    "lots": p.lots,
                })
            })
            .collect();
        let (equity, initial, maintenance) = (money(r.equity), money(r.initial), money(r.maintenance));
        Ok(json!({
            "account": key.to_string(),
            "owner": acc.owner.to_string(),
            "sub_id": acc.sub_id,
            "cluster_time": now,
            "equity": equity,
            "initial": initial,
            "maintenance": maintenance,
            "excess_initial": equity - initial,
            "excess_maintenance": equity - maintenance,
            "liquidatable": r.equity.raw() < r.maintenance.raw(),
            "spread_credit": {
                "maintenance": money(r.spread_credit_maintenance),
                "initial": money(r.spread_credit_initial),
            },
            "initial_haircut_extra": money(r.initial_haircut_extra),
            "groups": group_rows,
            "balances": balances,
            "positions": positions,
        }))
    })
}
