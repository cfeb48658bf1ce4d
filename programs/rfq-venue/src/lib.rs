//! # rfq-venue: an EXAMPLE venue (issue 13 item 3)
//!
//! A request-for-quote board that settles into portfolio-margin accounts: a maker posts a
//! quote (instrument, lots, price, expiry) signed by the owner of its margin account; a taker
//! fills the whole quote with one signature; the venue calls the margin program's
//! `venue_trade` by CPI, signed by its PDA ["venue-authority"], and closes the quote (a quote
//! fills once). The margin program applies every check of a bilateral trade (price band,
//! margin, ...) and that both margin accounts approved this venue; this program only checks
//! what a venue must: each signer owns the margin account it trades for, the quote is live, and
//! the fill is the quote. Small on purpose: no partial fills, no order book, no fees.
use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;

declare_id!("5xVPDWyczbeWv5trAHJu6pDVAke8Pfq1ZNw93YY6tADF");

/// The portfolio-margin program.
pub const MARGIN_PROGRAM: Pubkey = pubkey!("FEPTriadt2CZneb8PsXkev4QaV4mf1pTuvZ75VmvAZLt");
/// Anchor's discriminator of the margin program's `venue_trade` (sha256("global:venue_trade")[..8]).
pub const VENUE_TRADE: [u8; 8] = [200, 55, 147, 24, 212, 37, 220, 88];
/// Anchor's discriminator of its `MarginAccount` (sha256("account:MarginAccount")[..8]).
pub const MARGIN_ACCOUNT: [u8; 8] = [133, 220, 173, 213, 179, 211, 43, 238];
/// The seed of this program's signing PDA, registered with the margin program as the venue's
/// authority.
pub const AUTHORITY_SEED: &[u8] = b"venue-authority";
pub const QUOTE_SEED: &[u8] = b"quote";

#[program]
pub mod rfq_venue {
    use super::*;

    /// The maker (owner of `maker_account`) offers `lots` of `instrument` at `price` until
    /// `expiry`: `lots` > 0 the taker buys, < 0 the taker sells. Quote PDA ["quote",
    /// maker_account, id].
    pub fn post_quote(
        ctx: Context<PostQuote>,
        id: u64,
        instrument: Pubkey,
        lots: i64,
        price: i64,
        expiry: i64,
    ) -> Result<()> {
        require!(lots != 0 && price >= 0, RfqError::InvalidQuote);
        require_keys_eq!(
            margin_owner(&ctx.accounts.maker_account)?,
            ctx.accounts.maker.key(),
            RfqError::NotAccountOwner
        );
        let q = &mut ctx.accounts.quote;
        q.maker = ctx.accounts.maker.key();
        q.maker_account = ctx.accounts.maker_account.key();
        q.instrument = instrument;
        q.lots = lots;
        q.price = price;
        q.expiry = expiry;
        q.id = id;
        q.bump = ctx.bumps.quote;
        Ok(())
    }

    /// The maker withdraws its quote (rent back).
    pub fn cancel_quote(_ctx: Context<CancelQuote>) -> Result<()> {
        Ok(())
    }

    /// The taker (owner of `taker_account`) fills the whole quote: `venue_trade` by CPI, then
    /// the quote is closed. `lots` and `price` are the terms the taker saw: a quote's address
    /// is reusable (cancel, then post the same id), so a maker could otherwise swap the terms
    /// under a signed fill (`QuoteChanged`). Remaining accounts: the margin check's, forwarded
    /// as given.
    pub fn fill_quote<'info>(ctx: Context<'info, FillQuote<'info>>, lots: i64, price: i64) -> Result<()> {
        let a = &ctx.accounts;
        let q = &a.quote;
        require!(q.lots == lots && q.price == price, RfqError::QuoteChanged);
        require!(Clock::get()?.unix_timestamp <= q.expiry, RfqError::QuoteExpired);
        require_keys_eq!(margin_owner(&a.taker_account)?, a.taker.key(), RfqError::NotAccountOwner);
        let mut data = VENUE_TRADE.to_vec();
        data.extend_from_slice(&q.lots.to_le_bytes());
        data.extend_from_slice(&q.price.to_le_bytes());
        // venue_trade's accounts, in its order; then the margin check's.
        let named: [(&AccountInfo<'info>, bool, bool); 10] = [
            (&a.config, false, false),
            (&a.underlying, false, false),
            (&a.instrument, false, true),
            (&a.quote_asset, false, false),
            (&a.maker_account, false, true),
            (&a.taker_account, false, true),
            (&a.venue, false, true),
            (&a.venue_authority, true, false),
            (&a.maker_approval, false, false),
            (&a.taker_approval, false, false),
        ];
        let mut metas = Vec::with_capacity(named.len() + ctx.remaining_accounts.len());
        let mut infos = Vec::with_capacity(metas.capacity() + 1);
        for (info, signer, writable) in named {
            metas.push(AccountMeta { pubkey: info.key(), is_signer: signer, is_writable: writable });
            infos.push(info.clone());
        }
        for info in ctx.remaining_accounts {
            metas.push(AccountMeta { pubkey: info.key(), is_signer: false, is_writable: info.is_writable });
            infos.push(info.clone());
        }
        infos.push(a.margin_program.to_account_info());
        let ix = Instruction { program_id: MARGIN_PROGRAM, accounts: metas, data };
        invoke_signed(&ix, &infos, &[&[AUTHORITY_SEED, &[ctx.bumps.venue_authority]]])?;
        Ok(())
    }
}

/// The owner of a portfolio-margin `MarginAccount` (its first field).
fn margin_owner(info: &AccountInfo) -> Result<Pubkey> {
    require_keys_eq!(*info.owner, MARGIN_PROGRAM, RfqError::NotMarginAccount);
    let data = info.try_borrow_data()?;
    require!(data.len() >= 40 && data[..8] == MARGIN_ACCOUNT, RfqError::NotMarginAccount);
    Ok(Pubkey::try_from(&data[8..40]).map_err(|_| RfqError::NotMarginAccount)?)
}

/// A maker's offer.
#[account]
#[derive(InitSpace)]
pub struct Quote {
    pub maker: Pubkey,
    pub maker_account: Pubkey,
    pub instrument: Pubkey,
    /// Lots the taker buys (> 0) or sells (< 0).
    pub lots: i64,
    /// Price raw (Q32) per unit, as the margin program's `trade`.
    pub price: i64,
    /// Unix seconds after which it cannot be filled.
    pub expiry: i64,
    pub id: u64,
    pub bump: u8,
}

#[derive(Accounts)]
#[instruction(id: u64)]
pub struct PostQuote<'info> {
    #[account(
        init, payer = maker, space = 8 + Quote::INIT_SPACE,
        seeds = [QUOTE_SEED, maker_account.key().as_ref(), &id.to_le_bytes()], bump
    )]
    pub quote: Account<'info, Quote>,
    /// CHECK: a margin account owned by `maker` (`margin_owner`).
    pub maker_account: UncheckedAccount<'info>,
    #[account(mut)]
    pub maker: Signer<'info>,
    pub system_program: Program<'info, System>,
}

#[derive(Accounts)]
pub struct CancelQuote<'info> {
    #[account(mut, close = maker, has_one = maker)]
    pub quote: Account<'info, Quote>,
    #[account(mut)]
    pub maker: Signer<'info>,
}

#[derive(Accounts)]
pub struct FillQuote<'info> {
    #[account(
        mut, close = maker, has_one = maker, has_one = maker_account, has_one = instrument,
        seeds = [QUOTE_SEED, quote.maker_account.as_ref(), &quote.id.to_le_bytes()], bump = quote.bump
    )]
    pub quote: Box<Account<'info, Quote>>,
    /// CHECK: the quote's maker (receives its rent).
    #[account(mut)]
    pub maker: UncheckedAccount<'info>,
    pub taker: Signer<'info>,
    /// CHECK: this program's PDA ["venue-authority"]: signs the CPI.
    #[account(seeds = [AUTHORITY_SEED], bump)]
    pub venue_authority: UncheckedAccount<'info>,
    /// CHECK: the margin program.
    #[account(address = MARGIN_PROGRAM)]
    pub margin_program: UncheckedAccount<'info>,
    /// CHECK: checked by the margin program (as every account below).
    pub config: UncheckedAccount<'info>,
    /// CHECK: see `config`.
    pub underlying: UncheckedAccount<'info>,
    /// CHECK: the quote's instrument (`has_one`).
    #[account(mut)]
    pub instrument: UncheckedAccount<'info>,
    /// CHECK: see `config`.
    pub quote_asset: UncheckedAccount<'info>,
    /// CHECK: the quote's maker account (`has_one`).
    #[account(mut)]
    pub maker_account: UncheckedAccount<'info>,
    /// CHECK: owned by `taker` (`margin_owner`).
    #[account(mut)]
    pub taker_account: UncheckedAccount<'info>,
    /// CHECK: this venue's `Venue` in the margin program.
    #[account(mut)]
    pub venue: UncheckedAccount<'info>,
    /// CHECK: see `config`.
    pub maker_approval: UncheckedAccount<'info>,
    /// CHECK: see `config`.
    pub taker_approval: UncheckedAccount<'info>,
}

/// Codes from 9000, apart from the margin program's (6000 + index), whose errors a fill
/// propagates unchanged (a refused margin check: `InitialMarginViolated`).
#[error_code(offset = 9000)]
pub enum RfqError {
    #[msg("a quote needs lots != 0 and a price >= 0")]
    InvalidQuote,
    #[msg("the signer does not own the margin account it trades for")]
    NotAccountOwner,
    #[msg("not a portfolio-margin margin account")]
    NotMarginAccount,
    #[msg("the quote has expired")]
    QuoteExpired,
    #[msg("the quote's lots or price are not the ones the taker signed for")]
    QuoteChanged,
}
