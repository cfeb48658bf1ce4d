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
    pub status: u8,
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
