use crate::error::PmError;
use crate::events::VenueTraded;
use crate::instructions::trading::trade::{Fill, Terms, execute};
use crate::state::{CollateralAsset, Config, Instrument, MarginAccount, Underlying, Venue, VenueApproval, seeds};
use anchor_lang::prelude::*;

/// A fill through a registered venue: `lots` the taker buys at `price`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct VenueTradeArgs {
    /// Lots the taker buys (> 0) or sells (< 0); the maker takes the other side.
    pub lots: i64,
    /// Price per unit of underlying (Price raw, Q32), as in `trade`.
    pub price: i64,
}

/// A registered venue moves a position between two margin accounts that approved it, signed by
/// the venue's registered authority (a CPI from the venue program signed by its PDA
/// ["venue-authority"]). Every check of `trade` applies (price band, funding, quote slots, each
/// side's initial margin or health not worse, events) except the owners' signatures and the
/// maker's nonce, which the approvals replace: both approvals of this venue for these
/// accounts, |lots| within each one's limit, the instrument's underlying within the venue's
/// scope, the venue active and its open-interest cap respected. Remaining accounts as `trade`.
#[derive(Accounts)]
pub struct VenueTrade<'info> {
    #[account(seeds = [seeds::CONFIG], bump = config.bump)]
    pub config: Box<Account<'info, Config>>,
    #[account(seeds = [seeds::UNDERLYING, &[underlying.id]], bump = underlying.bump)]
    pub underlying: Box<Account<'info, Underlying>>,
    #[account(mut, has_one = underlying @ PmError::UnderlyingMismatch)]
    pub instrument: AccountLoader<'info, Instrument>,
    #[account(address = underlying.quote_asset @ PmError::WrongQuoteAsset)]
    pub quote_asset: Box<Account<'info, CollateralAsset>>,
    #[account(mut)]
    pub maker_account: AccountLoader<'info, MarginAccount>,
    #[account(mut, constraint = taker_account.key() != maker_account.key() @ PmError::SelfTrade)]
    pub taker_account: AccountLoader<'info, MarginAccount>,
    /// CHECK: a `Venue` of this program (owner and discriminator checked in the handler:
    /// `VenueNotRegistered`); its open-interest counter is written back.
    #[account(mut)]
    pub venue: UncheckedAccount<'info>,
    /// The venue's registered authority (`VenueAuthorityMismatch`).
    pub authority: Signer<'info>,
    /// CHECK: the maker account's `VenueApproval` of this venue (`VenueNotApproved`).
    pub maker_approval: UncheckedAccount<'info>,
    /// CHECK: the taker account's `VenueApproval` of this venue (`VenueNotApproved`).
    pub taker_approval: UncheckedAccount<'info>,
}

pub fn handler<'info>(ctx: Context<'info, VenueTrade<'info>>, args: VenueTradeArgs) -> Result<()> {
    let a = &ctx.accounts;
    let venue_key = a.venue.key();
    let mut venue = load_venue(&a.venue)?;
    require_keys_eq!(venue.authority, a.authority.key(), PmError::VenueAuthorityMismatch);
    require!(venue.params.active, PmError::VenueInactive);
    require!(venue.covers(a.underlying.id), PmError::VenueOutOfScope);
    let size = args.lots.unsigned_abs();
    for (info, account) in [(&a.maker_approval, a.maker_account.key()), (&a.taker_approval, a.taker_account.key())] {
        let approval = load_approval(info, &account, &venue_key)?;
        require!(size <= approval.max_lots_per_trade, PmError::VenueLotsAboveApproval);
    }
    let fill = Fill {
        config: &a.config,
        underlying: &a.underlying,
        instrument: &a.instrument,
        quote_asset: &a.quote_asset,
        maker_account: &a.maker_account,
        taker_account: &a.taker_account,
        remaining: ctx.remaining_accounts,
    };
    let terms = Terms { lots: args.lots, price: args.price, quote_expiry: i64::MAX, nonce: 0 };
    let filled = execute(&fill, terms, |_, _, _| Ok(()))?;
    // Open interest created through the venue, capped; closing lots count it down (floor 0).
    let open = venue.open_lots as i128 + filled.open_interest as i128;
    if filled.open_interest > 0 {
        require!(open <= venue.params.max_open_lots as i128, PmError::VenueOpenInterestCap);
    }
    venue.open_lots = open.clamp(0, u64::MAX as i128) as u64;
    venue.try_serialize(&mut &mut a.venue.try_borrow_mut_data()?[..])?;
    emit!(VenueTraded {
        venue: venue_key,
        instrument: a.instrument.key(),
        maker_account: a.maker_account.key(),
        taker_account: a.taker_account.key(),
        lots: args.lots,
        price: args.price,
        venue_open_lots: venue.open_lots,
    });
    Ok(())
}

/// A registered venue: an account of this program holding a `Venue`.
fn load_venue(info: &AccountInfo) -> Result<Venue> {
    require_keys_eq!(*info.owner, crate::ID, PmError::VenueNotRegistered);
    Venue::try_deserialize(&mut &info.try_borrow_data()?[..]).map_err(|_| error!(PmError::VenueNotRegistered))
}

/// `account`'s live approval of `venue` (a revoked one is closed: no longer this program's).
fn load_approval(info: &AccountInfo, account: &Pubkey, venue: &Pubkey) -> Result<VenueApproval> {
    require_keys_eq!(*info.owner, crate::ID, PmError::VenueNotApproved);
    let approval = VenueApproval::try_deserialize(&mut &info.try_borrow_data()?[..])
        .map_err(|_| error!(PmError::VenueNotApproved))?;
    require!(approval.margin_account == *account && approval.venue == *venue, PmError::VenueNotApproved);
    Ok(approval)
}
