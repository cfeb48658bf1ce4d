//! What a liquidator asks to take (the program may take less: see `engine::solve`).
use anchor_lang::prelude::*;

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionTake {
    pub instrument: Pubkey,
    /// Lots of the liquidatee's position to take over (<= its size; the side is its side).
    pub lots: u64,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollateralTake {
    /// CollateralAsset of the balance to buy (not the quote asset the liquidator pays in).
    pub asset: Pubkey,
    /// Native units (<= the balance).
    pub amount: u64,
}

/// A liquidation request: positions and collateral balances of the liquidatee, at most
/// [`MAX_TAKES`] entries in all.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct LiquidateArgs {
    pub positions: Vec<PositionTake>,
    pub collateral: Vec<CollateralTake>,
}

pub const MAX_TAKES: usize = crate::state::MAX_POSITIONS + crate::state::MAX_BALANCES;
