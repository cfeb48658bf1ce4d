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
