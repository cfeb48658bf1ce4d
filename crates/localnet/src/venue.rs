//! Venues (issue 13 item 2): registering a venue, approvals, and fills signed by the venue's
//! authority (a keypair standing in for a venue program's PDA, or the PDA through a CPI).
use crate::market::{Market, Trader, price};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use portfolio_margin::instructions::VenueTradeArgs;
use portfolio_margin::state::{SCOPE_ALL, VenueParams};
use solana_keypair::Keypair;
use solana_program_test::BanksClientError;
use solana_signer::Signer;

/// Every underlying, `max_open_lots` of open interest, active.
pub fn venue_params(max_open_lots: u64) -> VenueParams {
    VenueParams { scope: SCOPE_ALL, max_open_lots, active: true }
}

impl Market {
    /// Registers `venue_program` signing with `authority` (risk authority).
    pub async fn register_venue(
        &mut self,
        venue_program: &Pubkey,
        authority: &Pubkey,
        params: VenueParams,
    ) -> Result<(), BanksClientError> {
        let risk = self.env.risk.insecure_clone();
        let ix = pm_client::ix::venue_register(&risk.pubkey(), venue_program, authority, params);
        self.env.send(&[ix], &[&risk]).await
    }

    /// `trader`'s owner approves the venue of `venue_program` for its margin account.
    pub async fn approve_venue(
        &mut self,
        trader: &Trader,
        venue_program: &Pubkey,
        max_lots_per_trade: u64,
    ) -> Result<(), BanksClientError> {
        let k = trader.key.insecure_clone();
        let ix = pm_client::ix::venue_approve(&trader.margin, &k.pubkey(), venue_program, max_lots_per_trade);
        self.env.send(&[ix], &[&k]).await
    }

    /// A venue fill of `lots` (the taker's) at `px`, with every account a margin check may need.
    #[allow(clippy::too_many_arguments)]
    pub fn venue_trade_ix(
        &mut self,
        venue_program: &Pubkey,
        authority: &Pubkey,
        instrument: Pubkey,
        maker: &Pubkey,
        taker: &Pubkey,
        lots: i64,
        px: f64,
    ) -> Instruction {
        let extra = self.check_accounts();
        let t = pm_client::ix::TradeAccounts {
            underlying: self.sol,
            instrument,
            quote_asset: self.usdc,
            maker_account: *maker,
            maker: Pubkey::default(),
            taker_account: *taker,
            taker: Pubkey::default(),
        };
        pm_client::ix::venue_trade(&t, venue_program, authority, VenueTradeArgs { lots, price: price(px) }, extra)
    }

    /// [`Market::venue_trade_ix`] signed by `authority`.
    #[allow(clippy::too_many_arguments)]
    pub async fn venue_trade(
        &mut self,
        venue_program: &Pubkey,
        authority: &Keypair,
        instrument: Pubkey,
        maker: &Trader,
        taker: &Trader,
        lots: i64,
        px: f64,
    ) -> Result<(), BanksClientError> {
        let ix =
            self.venue_trade_ix(venue_program, &authority.pubkey(), instrument, &maker.margin, &taker.margin, lots, px);
        let a = authority.insecure_clone();
        self.env.send(&[ix], &[&a]).await
    }
}

/// The example venue's `.so` (`target/sbf/rfq_venue.so`, built by `scripts/sbf-toolchain.sh
/// program`), refused when older than its sources, as the margin program's.
pub fn rfq_venue_elf() -> Result<Vec<u8>, String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join("target/sbf/rfq_venue.so");
    let built = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    if let (Some(built), Some(src)) = (built, crate::newest(&root.join("programs/rfq-venue/src")))
        && src > built
    {
        return Err(format!(
            "{} is older than its sources: rebuild it with `scripts/sbf-toolchain.sh program`",
            path.display()
        ));
    }
    std::fs::read(&path)
        .map_err(|e| format!("cannot read {} ({e}): build it with `scripts/sbf-toolchain.sh program`", path.display()))
}
