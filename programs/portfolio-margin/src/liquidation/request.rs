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

/// What a request covers besides its lists (one byte on the wire: the variant's index).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LiquidationScope {
    /// Exactly the listed positions and balances.
    #[default]
    Listed,
    /// All of the liquidatee's positions (the lists must be empty).
    AllPositions,
    /// All of its positive balances except the quote asset's.
    AllCollateral,
    /// Both.
    Everything,
}

impl LiquidationScope {
    /// Whether it covers every position.
    pub fn all_positions(self) -> bool {
        matches!(self, LiquidationScope::AllPositions | LiquidationScope::Everything)
    }

    /// Whether it covers every positive non-quote balance.
    pub fn all_collateral(self) -> bool {
        matches!(self, LiquidationScope::AllCollateral | LiquidationScope::Everything)
    }
}

/// The scopes by their former constant names.
pub mod scope {
    use super::LiquidationScope;
    pub const LISTED: LiquidationScope = LiquidationScope::Listed;
    pub const ALL_POSITIONS: LiquidationScope = LiquidationScope::AllPositions;
    pub const ALL_COLLATERAL: LiquidationScope = LiquidationScope::AllCollateral;
    pub const EVERYTHING: LiquidationScope = LiquidationScope::Everything;
}

/// A liquidation request: positions and collateral balances of the liquidatee, at most
/// [`MAX_TAKES`] entries in all, either listed or (compact, for large accounts: a listed
/// 32-position request alone is 1,280 bytes, more than a transaction) named by `scope`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct LiquidateArgs {
    pub positions: Vec<PositionTake>,
    pub collateral: Vec<CollateralTake>,
    pub scope: LiquidationScope,
}

impl LiquidateArgs {
    /// The request as explicit lists: `scope` expanded against `acc`: the positions that settle
    /// in `quote` (`settles_in_quote`; an account may hold instruments of several quote assets),
    /// the balances other than `quote`.
    pub fn expand(
        &self,
        acc: &crate::state::MarginAccount,
        quote: &Pubkey,
        settles_in_quote: impl Fn(&Pubkey) -> bool,
    ) -> Option<LiquidateArgs> {
        let listed = || LiquidateArgs {
            positions: self.positions.clone(),
            collateral: self.collateral.clone(),
            scope: scope::LISTED,
        };
        if self.scope == scope::LISTED {
            return Some(listed());
        }
        if !self.positions.is_empty() || !self.collateral.is_empty() {
            return None;
        }
        let mut out = LiquidateArgs::default();
        if self.scope.all_positions() {
            out.positions = acc.positions[..acc.n_positions as usize]
                .iter()
                .filter(|p| p.lots != 0 && settles_in_quote(&p.instrument))
                .map(|p| PositionTake { instrument: p.instrument, lots: p.lots.unsigned_abs() })
                .collect();
        }
        if self.scope.all_collateral() {
            out.collateral = acc.balances[..acc.n_balances as usize]
                .iter()
                .filter(|b| b.asset != *quote && b.amount > 0)
                .map(|b| CollateralTake { asset: b.asset, amount: b.amount as u64 })
                .collect();
        }
        Some(out)
    }
}

pub const MAX_TAKES: usize = crate::state::MAX_POSITIONS + crate::state::MAX_BALANCES;
