//! SPL stake-pool liquid staking tokens (LSTs): the exchange rate read from the pool account.
//!
//! One pool token is worth `total_lamports / pool_token_supply` lamports: the numbers the
//! stake-pool program itself keeps and updates once per epoch (`UpdateStakePoolBalance`). The
//! token's price is that rate x the SOL price (the asset's Pyth feed). Nothing here is anyone's
//! word: the account must be owned by the stake-pool program, be the pool pinned for the asset
//! at registration, be a pool (not a validator list), issue the asset's mint, and have been
//! updated this epoch (a pool not yet updated counts as a stale oracle: its rate lags rewards
//! and, worse, slashing). The rate is bounded, so a corrupted or hostile pool cannot price a
//! token at more than [`MAX_RATE`] SOL.
//!
//! Another rate source (Marinade's state, a lending receipt's reserve) is one module like this
//! one: bytes in, a checked [`PoolRate`] out.
use super::PriceBand;
use crate::error::PmError;
use anchor_lang::prelude::*;
use risk_kernel::wide::{self, Round};
use risk_kernel::{Price, Ratio};

/// The SPL stake-pool program (mainnet and devnet).
pub const PROGRAM_ID: Pubkey = pubkey!("SPoo1Ku8WFXoNDMHPsrGSTSG1Y47rzgn41SLUNakuHy");

/// Offsets in the pool's Borsh layout (spl-stake-pool `state::StakePool`, unchanged since v0.6):
/// `account_type` u8, then manager, staker, stake_deposit_authority (32 each), the withdraw
/// bump (u8), validator_list, reserve_stake, pool_mint, manager_fee_account, token_program_id
/// (32 each), total_lamports, pool_token_supply, last_update_epoch (u64 each).
pub mod layout {
    pub const ACCOUNT_TYPE: usize = 0;
    /// `AccountType::StakePool` (0 is uninitialized, 2 a validator list).
    pub const STAKE_POOL: u8 = 1;
    pub const POOL_MINT: usize = 1 + 3 * 32 + 1 + 2 * 32;
    pub const TOTAL_LAMPORTS: usize = POOL_MINT + 3 * 32;
    pub const POOL_TOKEN_SUPPLY: usize = TOTAL_LAMPORTS + 8;
    pub const LAST_UPDATE_EPOCH: usize = POOL_TOKEN_SUPPLY + 8;
    /// The fields read end here; a real pool account is longer (fees, lockup, authorities).
    pub const READ_END: usize = LAST_UPDATE_EPOCH + 8;
}

/// The largest accepted rate, SOL per token: LSTs trade near 1-1.5 SOL after years of rewards.
pub const MAX_RATE: i64 = 4 << 48;
/// Lamports per SOL (SOL has 9 decimals; the rate is per whole token of the asset's decimals).
const LAMPORTS_PER_SOL: u64 = 1_000_000_000;

/// What a margin check reads of a pool account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolState {
    pub pool_mint: Pubkey,
    pub total_lamports: u64,
    pub pool_token_supply: u64,
    pub last_update_epoch: u64,
}

/// A pool's state from an account: owner and layout checked.
pub fn read(owner: &Pubkey, data: &[u8]) -> Result<PoolState> {
    require_keys_eq!(*owner, PROGRAM_ID, PmError::OracleWrongOwner);
    let field = |at: usize| -> Result<[u8; 8]> {
        Ok(data.get(at..at + 8).ok_or(PmError::OracleMalformed)?.try_into().map_err(|_| PmError::OracleMalformed)?)
    };
    require!(data.len() >= layout::READ_END, PmError::OracleMalformed);
    require!(data[layout::ACCOUNT_TYPE] == layout::STAKE_POOL, PmError::OracleMalformed);
    let mint: [u8; 32] =
        data[layout::POOL_MINT..layout::POOL_MINT + 32].try_into().map_err(|_| PmError::OracleMalformed)?;
    Ok(PoolState {
        pool_mint: Pubkey::new_from_array(mint),
        total_lamports: u64::from_le_bytes(field(layout::TOTAL_LAMPORTS)?),
        pool_token_supply: u64::from_le_bytes(field(layout::POOL_TOKEN_SUPPLY)?),
        last_update_epoch: u64::from_le_bytes(field(layout::LAST_UPDATE_EPOCH)?),
    })
}

/// SOL per whole token of `mint` (with `decimals`), rounded down (against the holder), if the
/// pool issues `mint`, was updated in `epoch`, and its rate is within [`MAX_RATE`].
pub fn rate(pool: &PoolState, mint: &Pubkey, decimals: u8, epoch: u64) -> Result<Ratio> {
    require_keys_eq!(pool.pool_mint, *mint, PmError::RateSourceMismatch);
    require!(pool.last_update_epoch == epoch, PmError::OracleStale);
    require!(pool.pool_token_supply > 0 && pool.total_lamports > 0, PmError::RateOutOfBounds);
    // (total_lamports / 1e9) / (supply / 10^decimals) in Q48, in u128 (no overflow: < 2^64 x
    // 10^19 x 2^48 / 1 would, so divide in two steps and refuse anything over the bound).
    let tokens_scale = 10u128.checked_pow(decimals as u32).ok_or(PmError::RateOutOfBounds)?;
    let num = (pool.total_lamports as u128).checked_mul(tokens_scale).ok_or(PmError::RateOutOfBounds)?;
    let den = (pool.pool_token_supply as u128) * LAMPORTS_PER_SOL as u128;
    // num / den <= MAX_RATE / 2^48 = 4, else refuse (checked before shifting: no overflow).
    require!(num <= den * 4, PmError::RateOutOfBounds);
    let q48 = (num << 48) / den;
    let r = i64::try_from(q48).map_err(|_| PmError::RateOutOfBounds)?;
    require!(r > 0 && r <= MAX_RATE, PmError::RateOutOfBounds);
    Ok(Ratio::from_raw(r))
}

/// The token's band from the SOL band: price x rate rounded down, confidence x rate rounded up
/// (the rate is exact on chain; the SOL price carries all the uncertainty).
pub fn apply(sol: PriceBand, rate: Ratio) -> Result<PriceBand> {
    let scale = |p: Price, round: Round| -> Result<Price> {
        Ok(Price::from_raw(wide::mul_div(p.raw(), rate.raw(), 1u64 << 48, round).map_err(|_| PmError::Overflow)?))
    };
    Ok(PriceBand { price: scale(sol.price, Round::Down)?, conf: scale(sol.conf, Round::Up)?, ..sol })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A pool account image as the stake-pool program writes it (the fields read; the rest
    /// zero, the length of a real pool).
    pub fn pool_data(mint: &Pubkey, total_lamports: u64, supply: u64, epoch: u64) -> Vec<u8> {
        let mut d = vec![0u8; 611];
        d[layout::ACCOUNT_TYPE] = layout::STAKE_POOL;
        d[layout::POOL_MINT..layout::POOL_MINT + 32].copy_from_slice(mint.as_ref());
        d[layout::TOTAL_LAMPORTS..][..8].copy_from_slice(&total_lamports.to_le_bytes());
        d[layout::POOL_TOKEN_SUPPLY..][..8].copy_from_slice(&supply.to_le_bytes());
        d[layout::LAST_UPDATE_EPOCH..][..8].copy_from_slice(&epoch.to_le_bytes());
        d
    }

    fn code(e: Error) -> u32 {
        match e {
            Error::AnchorError(a) => a.error_code_number - anchor_lang::error::ERROR_CODE_OFFSET,
            Error::ProgramError(_) => u32::MAX,
        }
    }

    #[test]
    fn the_layout_matches_the_stake_pool_programs_field_order() {
        // 1 + 3 x 32 + 1 + 2 x 32 = 162: pool_mint; + 3 x 32 = 258: total_lamports.
        assert_eq!((layout::POOL_MINT, layout::TOTAL_LAMPORTS, layout::LAST_UPDATE_EPOCH), (162, 258, 274));
    }

    #[test]
    fn a_current_pool_gives_its_rate_rounded_down() {
        let mint = Pubkey::new_unique();
        // 1.15 SOL per token (9 decimals): 1,150 SOL staked, 1,000 tokens.
        let s = read(&PROGRAM_ID, &pool_data(&mint, 1_150 * LAMPORTS_PER_SOL, 1_000 * 1_000_000_000, 7)).unwrap();
        let r = rate(&s, &mint, 9, 7).unwrap();
        assert_eq!(r.raw(), ((115u128 << 48) / 100) as i64);
        // A token with 6 decimals: 1,000 tokens = 1e9 units.
        let s = read(&PROGRAM_ID, &pool_data(&mint, 2 * LAMPORTS_PER_SOL, 1_000_000, 7)).unwrap();
        assert_eq!(rate(&s, &mint, 6, 7).unwrap().raw(), 2 << 48);
        // 1/3: rounded down, never up.
        let s = read(&PROGRAM_ID, &pool_data(&mint, LAMPORTS_PER_SOL, 3 * LAMPORTS_PER_SOL, 7)).unwrap();
        assert_eq!(rate(&s, &mint, 9, 7).unwrap().raw(), (1i64 << 48) / 3);
    }

    #[test]
    fn every_check_refuses() {
        let mint = Pubkey::new_unique();
        let good = pool_data(&mint, 1_100 * LAMPORTS_PER_SOL, 1_000 * LAMPORTS_PER_SOL, 7);
        let err = |e: PmError| e as u32;
        // Another owner (a look-alike account).
        assert_eq!(code(read(&Pubkey::new_unique(), &good).unwrap_err()), err(PmError::OracleWrongOwner));
        // Too short, or a validator list rather than a pool.
        assert_eq!(code(read(&PROGRAM_ID, &good[..281]).unwrap_err()), err(PmError::OracleMalformed));
        let mut list = good.clone();
        list[0] = 2;
        assert_eq!(code(read(&PROGRAM_ID, &list).unwrap_err()), err(PmError::OracleMalformed));
        let s = read(&PROGRAM_ID, &good).unwrap();
        // Another mint's pool; not updated this epoch.
        assert_eq!(code(rate(&s, &Pubkey::new_unique(), 9, 7).unwrap_err()), err(PmError::RateSourceMismatch));
        assert_eq!(code(rate(&s, &mint, 9, 8).unwrap_err()), err(PmError::OracleStale));
        // Empty, or over the bound (5 SOL per token).
        let empty = read(&PROGRAM_ID, &pool_data(&mint, 0, 0, 7)).unwrap();
        assert_eq!(code(rate(&empty, &mint, 9, 7).unwrap_err()), err(PmError::RateOutOfBounds));
        let rich = read(&PROGRAM_ID, &pool_data(&mint, 5 * LAMPORTS_PER_SOL, LAMPORTS_PER_SOL, 7)).unwrap();
        assert_eq!(code(rate(&rich, &mint, 9, 7).unwrap_err()), err(PmError::RateOutOfBounds));
        let huge = read(&PROGRAM_ID, &pool_data(&mint, u64::MAX, 1, 7)).unwrap();
        assert_eq!(code(rate(&huge, &mint, 19, 7).unwrap_err()), err(PmError::RateOutOfBounds));
    }

    #[test]
    fn the_band_scales_against_the_holder() {
        let sol = PriceBand {
            price: Price::from_raw(150 << 32 | 1),
            conf: Price::from_raw(1 << 31),
            publish_time: 5,
            prev_publish_time: 4,
        };
        let third = Ratio::from_raw((1i64 << 48) / 3 + 1);
        let b = apply(sol, third).unwrap();
        let exact = |p: Price| (p.raw() as i128) * (third.raw() as i128);
        assert!((b.price.raw() as i128) << 48 <= exact(sol.price));
        assert!((b.conf.raw() as i128) << 48 >= exact(sol.conf));
        assert_eq!((b.publish_time, b.prev_publish_time), (5, 4));
    }
}
