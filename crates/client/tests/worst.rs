//! The remaining-accounts rule on the largest accounts the program allows (`localnet::worst`):
//! from the two accounts' own balances and positions it names exactly the accounts the suites
//! pass (the market-wide list of `Worst::check_accounts`: 8 assets, the oracle, 4 underlyings,
//! 32 instruments), in the rule's groups, and the program's margin report and liquidation plan
//! with it are byte for byte the ones with the suites' list.
use anchor_lang::prelude::Pubkey;
use pm_client::{AssetInfo, MarketAccounts, margin_check_accounts};
use portfolio_margin::state::CollateralAsset;
use std::collections::HashMap;

struct Index {
    assets: HashMap<Pubkey, AssetInfo>,
    instruments: HashMap<Pubkey, Pubkey>,
}

impl MarketAccounts for Index {
    fn asset(&self, asset: &Pubkey) -> Option<AssetInfo> {
        self.assets.get(asset).copied()
    }
    fn instrument_underlying(&self, instrument: &Pubkey) -> Option<Pubkey> {
        self.instruments.get(instrument).copied()
    }
}

#[tokio::test]
async fn worst_case_accounts_by_the_rule() {
    let mut w = localnet::worst::Worst::new().await;
    let mut index =
        Index { assets: HashMap::new(), instruments: w.instruments.iter().map(|(u, i)| (*i, *u)).collect() };
    for (_, a) in w.assets.clone() {
        let asset: CollateralAsset = w.m.env.anchor(&a).await;
        index
            .assets
            .insert(a, AssetInfo { oracle: Some(w.usdc_oracle), group: asset.params.group, rate_account: None });
    }
    let maker = w.m.env.margin(&w.maker.margin).await;
    let taker = w.m.env.margin(&w.taker.margin).await;
    assert_eq!((maker.n_positions, maker.n_balances), (32, 8));

    for writable in [false, true] {
        let rule = margin_check_accounts(&[&taker, &maker], &index, writable);
        let suites = w.check_accounts(writable);
        assert_eq!(rule.len(), 8 + 1 + 4 + 32);
        // The same metas (address, signer, writable)...
        let sorted = |mut v: Vec<pm_client::AccountMeta>| {
            v.sort_by_key(|m| (m.pubkey, m.is_writable));
            v
        };
        assert_eq!(sorted(rule.clone()), sorted(suites.clone()));
        // ...in the same groups: assets, oracle, underlyings, instruments (within a group the
        // rule follows the accounts' slots, the suites the registration order).
        let group = |k: &Pubkey| {
            if w.assets.iter().any(|(_, a)| a == k) {
                0
            } else if *k == w.usdc_oracle {
                1
            } else if w.underlyings.contains(k) {
                2
            } else {
                3
            }
        };
        let groups = |v: &[pm_client::AccountMeta]| v.iter().map(|m| group(&m.pubkey)).collect::<Vec<_>>();
        assert_eq!(groups(&rule), groups(&suites));
        // The suites' list is what they built by hand before pm-client: every asset, the oracle,
        // every underlying, every instruction (writable for a liquidation).
        use pm_client::AccountMeta;
        let mut before: Vec<AccountMeta> = w.assets.iter().map(|(_, a)| AccountMeta::new_readonly(*a, false)).collect();
        before.push(AccountMeta::new_readonly(w.usdc_oracle, false));
        before.extend(w.underlyings.iter().map(|u| AccountMeta::new_readonly(*u, false)));
        before.extend(w.instruments.iter().map(|(_, i)| AccountMeta {
            pubkey: *i,
            is_signer: false,
            is_writable: writable,
        }));
        assert_eq!(suites, before);
    }

    // The program reads the same accounts either way: identical report and plan bytes.
    let rule = margin_check_accounts(&[&taker], &index, false);
    for (with_rule, with_suites) in [
        (
            pm_client::ix::margin_report(&w.taker.margin, rule.clone()),
            pm_client::ix::margin_report(&w.taker.margin, w.check_accounts(false)),
        ),
        (
            pm_client::ix::liquidation_plan(&w.m.usdc, &w.taker.margin, rule.clone()),
            pm_client::ix::liquidation_plan(&w.m.usdc, &w.taker.margin, w.check_accounts(false)),
        ),
    ] {
        let a = w.m.env.simulate(&[with_rule]).await.expect("with the rule's accounts");
        let b = w.m.env.simulate(&[with_suites]).await.expect("with the suites' accounts");
        assert!(!a.is_empty());
        assert_eq!(a, b);
    }
}
