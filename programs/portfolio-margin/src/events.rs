use anchor_lang::prelude::*;

#[event]
pub struct ConfigInitialized {
    pub admin: Pubkey,
    pub risk_authority: Pubkey,
    pub vol_oracle_authority: Pubkey,
}

#[event]
pub struct PauseChanged {
    pub paused: u8,
}

#[event]
pub struct CollateralRegistered {
    pub asset: Pubkey,
    pub mint: Pubkey,
    pub vault: Pubkey,
}

#[event]
pub struct CollateralUpdated {
    pub asset: Pubkey,
    pub status: crate::state::AssetStatus,
}

#[event]
pub struct MarginAccountOpened {
    pub account: Pubkey,
    pub owner: Pubkey,
    pub sub_id: u16,
}

#[event]
pub struct DelegateChanged {
    pub account: Pubkey,
    pub delegate: Pubkey,
}

#[event]
pub struct Deposited {
    pub account: Pubkey,
    pub asset: Pubkey,
    pub amount: u64,
    pub balance: i64,
}

#[event]
pub struct Withdrawn {
    pub account: Pubkey,
    pub asset: Pubkey,
    pub amount: u64,
    pub balance: i64,
    pub equity: i64,
    pub initial: i64,
    /// Token units paid out: `amount` (the balance was written down by socialized losses when
    /// they happened; before M-2 this was `amount` less a share of an outstanding loss).
    pub paid: u64,
}

#[event]
pub struct UnderlyingRegistered {
    pub underlying: Pubkey,
    pub id: u8,
    pub quote_asset: Pubkey,
    pub feed_id: [u8; 32],
}

#[event]
pub struct UnderlyingUpdated {
    pub underlying: Pubkey,
}

#[event]
pub struct VolSurfacePublished {
    pub underlying: Pubkey,
    pub published_at: i64,
    pub n_slices: u8,
}

#[event]
pub struct UnderlyingRefreshed {
    pub underlying: Pubkey,
    pub epoch: u64,
    /// Price raw (Q32).
    pub spot: i64,
    /// Ratio raw (Q48).
    pub atm_vol: i64,
    /// The vol surface was stale: `atm_vol` is the last one a fresh surface gave.
    pub vol_surface_stale: bool,
}

#[event]
pub struct InstrumentCreated {
    pub instrument: Pubkey,
    pub underlying: Pubkey,
    pub kind: u8,
    pub expiry: i64,
    pub strike: i64,
    pub lot_size: i64,
}

#[event]
pub struct InstrumentRefreshed {
    pub instrument: Pubkey,
    pub epoch: u64,
    /// Fair value per lot (Price raw).
    pub mark: i64,
    pub vol: i64,
    /// Degraded: the surface was stale, the option kept its last vol with a doubled vol scan.
    pub vol_surface_stale: bool,
}

#[event]
pub struct Traded {
    pub instrument: Pubkey,
    pub maker_account: Pubkey,
    pub taker_account: Pubkey,
    /// Taker's lots (> 0 bought).
    pub lots: i64,
    /// Price raw (Q32) per unit.
    pub price: i64,
    /// Quote native units the taker paid (options) or committed as cost (linear).
    pub cash: i64,
    pub nonce: u64,
    /// Money raw (Q24), after the trade.
    pub maker_equity: i64,
    pub maker_initial: i64,
    pub taker_equity: i64,
    pub taker_initial: i64,
}

#[event]
pub struct SettlementPriceSet {
    pub instrument: Pubkey,
    /// Price raw (Q32).
    pub price: i64,
    pub publish_time: i64,
    /// Fixed after the settlement window (a late first update, confidence limit waived).
    pub late: bool,
}

#[event]
pub struct PositionSettled {
    pub account: Pubkey,
    pub instrument: Pubkey,
    pub lots: i64,
    /// Quote native units credited (< 0: debited).
    pub amount: i64,
    /// True when the position expired (slot freed); false for a P&L settlement.
    pub expired: bool,
}

#[event]
pub struct LiquidationParamsSet {
    pub params: crate::state::LiquidationParams,
}

#[event]
pub struct InsuranceFundOpened {
    pub account: Pubkey,
}

/// An account was first seen liquidatable (the auction clock starts) or seen healthy again.
#[event]
pub struct LiquidationFlagged {
    pub account: Pubkey,
    /// 0 when cleared.
    pub liquidatable_since: i64,
    /// Money raw (Q24).
    pub equity: i64,
    pub maintenance: i64,
}

#[event]
pub struct PositionLiquidated {
    pub liquidatee: Pubkey,
    pub liquidator: Pubkey,
    pub instrument: Pubkey,
    /// Lots moved, signed as the liquidatee held them.
    pub lots: i64,
    /// Quote native units the position was worth at mark (what the taker paid or committed).
    pub value: i64,
}

#[event]
pub struct CollateralLiquidated {
    pub liquidatee: Pubkey,
    pub liquidator: Pubkey,
    pub asset: Pubkey,
    /// Native units of `asset` moved.
    pub amount: u64,
    /// Quote native units paid for them at the oracle price.
    pub paid: i64,
}

#[event]
pub struct Liquidated {
    pub liquidatee: Pubkey,
    pub liquidator: Pubkey,
    /// Auction discount applied (Ratio raw) and seconds since the account was flagged.
    pub discount: i64,
    pub elapsed_secs: i64,
    /// Share of the request taken (Ratio raw; < 1 when the target was reached with less).
    pub fraction: i64,
    /// Quote native units the liquidatee paid as discount, and the insurance fund's part.
    pub fee: i64,
    pub insurance_fee: i64,
    /// Money raw (Q24).
    pub equity_before: i64,
    pub maintenance_before: i64,
    pub equity_after: i64,
    pub maintenance_after: i64,
}

/// Loss waterfall, step 2: the insurance fund covered (part of) a bankrupt account's debt.
#[event]
pub struct InsuranceCovered {
    pub account: Pubkey,
    /// Quote native units.
    pub amount: i64,
    pub insurance_left: i64,
}

/// Loss waterfall, step 3: what the insurance fund could not cover, socialized.
#[event]
pub struct LossSocialized {
    pub account: Pubkey,
    pub asset: Pubkey,
    /// Quote native units written off this account.
    pub amount: u64,
    /// The asset's cumulative socialized loss afterwards (`socialized_loss`; nothing stays
    /// outstanding since M-2: the loss is booked in the index at once).
    pub outstanding: u64,
    /// The asset's loss index afterwards (fixed point, `LOSS_INDEX_ONE` = 2^60 = no loss):
    /// balances that existed now are worth amount x this / their slot's index.
    pub loss_index: u64,
}

/// The crank accrued a perpetual's funding for the period just ended (see `funding`).
#[event]
pub struct FundingAccrued {
    pub instrument: Pubkey,
    /// Time-weighted premium of trade prices over the index (Ratio raw, Q48).
    pub premium: i64,
    /// Funding rate per period after the clamp (Ratio raw): > 0 longs pay shorts.
    pub rate: i64,
    /// Index price used (Price raw).
    pub index_price: i64,
    /// Quote units Q32 per lot added to the cumulative index, and the index after.
    pub delta: i64,
    pub index: i64,
    /// Seconds accrued (>= the period).
    pub elapsed: i64,
}

/// A position's funding was settled at the instrument's cumulative index.
#[event]
pub struct FundingSettled {
    pub account: Pubkey,
    pub instrument: Pubkey,
    /// Quote units Q32 settled now (> 0 received) and the position's settled funding after.
    pub amount: i64,
    pub funding: i64,
    pub index: i64,
}

/// The risk authority set a perpetual's funding settings (`instrument_set_funding`).
#[event]
pub struct FundingParamsSet {
    pub instrument: Pubkey,
    pub period_secs: u32,
    /// Ratio raw (Q48) per period.
    pub clamp: i64,
    pub impact_lots: u32,
}

#[event]
pub struct RateSourceSet {
    pub asset: Pubkey,
    pub source: crate::state::RateSource,
    pub account: Pubkey,
}

#[event]
pub struct VenueRegistered {
    pub venue: Pubkey,
    pub program: Pubkey,
    pub authority: Pubkey,
    pub params: crate::state::VenueParams,
}

#[event]
pub struct VenueUpdated {
    pub venue: Pubkey,
    pub params: crate::state::VenueParams,
}

#[event]
pub struct VenueApproved {
    pub margin_account: Pubkey,
    pub venue: Pubkey,
    pub max_lots_per_trade: u64,
}

#[event]
pub struct VenueRevoked {
    pub margin_account: Pubkey,
    pub venue: Pubkey,
}

/// A fill through a venue (after the `Traded` event of the same fill, whose nonce is 0).
#[event]
pub struct VenueTraded {
    pub venue: Pubkey,
    pub instrument: Pubkey,
    pub maker_account: Pubkey,
    pub taker_account: Pubkey,
    /// Taker's lots (> 0 bought).
    pub lots: i64,
    /// Price raw (Q32) per unit.
    pub price: i64,
    /// The venue's open interest after the fill.
    pub venue_open_lots: u64,
}
