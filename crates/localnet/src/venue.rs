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

/// The example RFQ venue (`programs/rfq-venue`): its instructions, built the way a venue's
/// own client would (the tests, the demo).
pub mod rfq {
    use super::*;
    use anchor_lang::{InstructionData, ToAccountMetas};

    /// The example venue's program id.
    pub const VENUE: Pubkey = rfq_venue::ID;

    /// The quote `id` of the maker's margin account.
    pub fn quote_pda(maker_account: &Pubkey, id: u64) -> Pubkey {
        Pubkey::find_program_address(&[rfq_venue::QUOTE_SEED, maker_account.as_ref(), &id.to_le_bytes()], &VENUE).0
    }

    /// An instruction of the venue from its Anchor accounts and data.
    pub fn ix<A: ToAccountMetas, D: InstructionData>(accounts: A, data: D) -> Instruction {
        Instruction { program_id: VENUE, accounts: accounts.to_account_metas(None), data: data.data() }
    }

    impl Market {
        /// The maker (owner of `maker.margin`) posts quote `id`: `lots` the taker buys at `px`,
        /// valid for a minute.
        pub async fn rfq_post(
            &mut self,
            maker: &Trader,
            id: u64,
            instrument: Pubkey,
            lots: i64,
            px: f64,
        ) -> Result<Pubkey, BanksClientError> {
            let quote = quote_pda(&maker.margin, id);
            let k = maker.key.insecure_clone();
            let post = ix(
                rfq_venue::accounts::PostQuote {
                    quote,
                    maker_account: maker.margin,
                    maker: k.pubkey(),
                    system_program: anchor_lang::system_program::ID,
                },
                rfq_venue::instruction::PostQuote { id, instrument, lots, price: price(px), expiry: self.env.now + 60 },
            );
            self.env.send(&[post], &[&k]).await.map(|_| quote)
        }

        /// The fill of `quote` (posted by `maker` on `instrument`: `lots` at `px`, the terms
        /// the taker agrees to) for `taker_account`, signed by `taker`, with every account the
        /// margin checks read.
        #[allow(clippy::too_many_arguments)]
        pub fn rfq_fill_ix(
            &mut self,
            quote: Pubkey,
            instrument: Pubkey,
            maker: &Trader,
            taker: &Pubkey,
            taker_account: &Pubkey,
            lots: i64,
            px: f64,
        ) -> Instruction {
            let venue = pm_client::pda::venue(&VENUE);
            let mut fill = ix(
                rfq_venue::accounts::FillQuote {
                    quote,
                    maker: maker.key.pubkey(),
                    taker: *taker,
                    venue_authority: pm_client::pda::venue_authority(&VENUE),
                    margin_program: portfolio_margin::ID,
                    config: pm_client::pda::config(),
                    underlying: self.sol,
                    instrument,
                    quote_asset: self.usdc,
                    maker_account: maker.margin,
                    taker_account: *taker_account,
                    venue,
                    maker_approval: pm_client::pda::venue_approval(&maker.margin, &venue),
                    taker_approval: pm_client::pda::venue_approval(taker_account, &venue),
                },
                rfq_venue::instruction::FillQuote { lots, price: price(px) },
            );
            fill.accounts.extend(self.check_accounts());
            fill
        }

        /// [`Market::rfq_fill_ix`] for `taker`'s own account, signed by its wallet alone.
        #[allow(clippy::too_many_arguments)]
        pub async fn rfq_fill(
            &mut self,
            quote: Pubkey,
            instrument: Pubkey,
            maker: &Trader,
            taker: &Trader,
            lots: i64,
            px: f64,
        ) -> Result<(), BanksClientError> {
            let ix = self.rfq_fill_ix(quote, instrument, maker, &taker.key.pubkey(), &taker.margin, lots, px);
            let k = taker.key.insecure_clone();
            self.env.send(&[ix], &[&k]).await
        }
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
