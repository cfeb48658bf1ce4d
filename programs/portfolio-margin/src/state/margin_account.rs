use crate::error::PmError;
use crate::state::collateral::{LOSS_INDEX_ONE, effective_amount};
use anchor_lang::prelude::*;

/// Capacities of one margin account (match the kernel's).
pub const MAX_BALANCES: usize = risk_kernel::margin::MAX_COLLATERAL;
pub const MAX_POSITIONS: usize = risk_kernel::margin::MAX_POSITIONS;
/// Quote assets an account's positions may settle in: one per underlying at most, and a
/// margin check takes at most the kernel's four underlyings.
pub const MAX_QUOTE_NEEDS: usize = risk_kernel::margin::MAX_GROUPS;

/// One collateral balance: the asset's registry account and a signed native amount.
#[zero_copy]
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Balance {
    /// CollateralAsset address; default (all zero) = free slot.
    pub asset: Pubkey,
    /// Native units; negative = a liability (settled losses).
    pub amount: i64,
}

/// One position slot (instruments arrive with the trading instructions).
#[zero_copy]
#[derive(Default, Debug, PartialEq, Eq)]
pub struct PositionSlot {
    /// Instrument account; default = free slot.
    pub instrument: Pubkey,
    /// Signed lots: > 0 long, < 0 short; |lots| <= the kernel's MAX_LOTS.
    pub lots: i64,
    /// Futures and perpetuals: quote-asset native units paid for the position (negative when
    /// received). Unrealized P&L = lots x value per lot - cost; settling P&L resets it.
    /// Options: 0 (the premium moved as cash at the trade).
    pub cost: i64,
    /// Perpetuals: funding settled into the position and not yet into cash, in quote units
    /// Q32 (2^-32, the instrument's `funding_index` scale; > 0 received). Realized into
    /// `cost` (rounded against the account) when the position is closed or its P&L settled.
    pub funding: i64,
    /// Perpetuals: the instrument's `funding_index` this position was last settled at; the
    /// funding not yet settled is lots x (index now - this).
    pub funding_index: i64,
}

/// A margin account (PDA: ["margin", owner, sub_id LE]). Zero-copy, fixed layout:
/// 8 balances and 32 positions, explicit padding, a version byte and reserved space.
#[account(zero_copy)]
#[derive(Debug)]
pub struct MarginAccount {
    pub owner: Pubkey,
    /// May trade, never withdraw; default = none.
    pub delegate: Pubkey,
    pub sub_id: u16,
    pub version: u8,
    pub bump: u8,
    pub n_balances: u8,
    pub n_positions: u8,
    pub padding: [u8; 2],
    pub balances: [Balance; MAX_BALANCES],
    pub positions: [PositionSlot; MAX_POSITIONS],
    /// Highest maker-quote nonce this account has traded (a quote is good once; a higher
    /// nonce invalidates every lower one still outstanding).
    pub last_nonce: u64,
    /// Unix seconds when a liquidation check first found equity < maintenance (0 = not
    /// flagged): the Dutch auction's clock. Cleared when a check finds the account healthy.
    pub liquidatable_since: i64,
    /// Unix seconds a check last confirmed equity < maintenance (0 = never). A clock not
    /// confirmed within the auction's ramp restarts (see [`MarginAccount::auction_start`]).
    pub liquidatable_seen: i64,
    /// Per balance slot (moves with it): the asset's `loss_index` the slot was last settled
    /// at; 0 = never written down ([`LOSS_INDEX_ONE`]). A positive balance is worth amount x
    /// the asset's index now / this (see [`MarginAccount::effective`]); every change to a
    /// balance first settles its slot to that effective amount at the current index.
    pub balance_index: [u64; MAX_BALANCES],
    /// The quote assets this account's positions settle in (their underlyings'
    /// `quote_asset`), distinct, first entries used, default = none (R2-4). Rewritten from the
    /// positions held at every trade and liquidation (an entry may outlive its positions until
    /// then: it only keeps a slot free). Each one not held as a balance keeps a slot free:
    /// balances + needed quote assets not held <= MAX_BALANCES (see
    /// [`MarginAccount::quote_room_deficit`]), so settlement, realized P&L and liquidation
    /// fees always find a place for the quote balance whoever deposited what.
    pub quote_needs: [Pubkey; MAX_QUOTE_NEEDS],
    pub reserved: [u8; 40],
}

const _: () =
    assert!(core::mem::size_of::<MarginAccount>() == 32 + 32 + 8 + 40 * MAX_BALANCES + 64 * MAX_POSITIONS + 256);

impl MarginAccount {
    pub const VERSION: u8 = 1;
    pub const SPACE: usize = 8 + core::mem::size_of::<MarginAccount>();

    pub fn balance_slot(&self, asset: &Pubkey) -> Option<usize> {
        self.balances[..self.n_balances as usize].iter().position(|b| b.asset == *asset)
    }

    /// The balance of `asset` as last settled (0 without a slot): its raw amount, which a
    /// socialized loss since may have written down (see [`MarginAccount::balance_at`]).
    pub fn balance(&self, asset: &Pubkey) -> i64 {
        self.balance_slot(asset).map(|i| self.balances[i].amount).unwrap_or(0)
    }

    /// The effective balance of `asset` when its loss index is `index` (0 without a slot).
    pub fn balance_at(&self, asset: &Pubkey, index: u64) -> Result<i64> {
        self.balance_slot(asset).map_or(Ok(0), |i| self.effective(i, index))
    }

    /// The loss index slot `i` was last settled at ([`LOSS_INDEX_ONE`] if never written down).
    pub fn slot_index(&self, i: usize) -> u64 {
        if self.balance_index[i] == 0 { LOSS_INDEX_ONE } else { self.balance_index[i] }
    }

    /// The effective amount of slot `i` when its asset's loss index is `index`: a positive
    /// amount x index / the slot's index, rounded down; a debt in full.
    pub fn effective(&self, i: usize, index: u64) -> Result<i64> {
        effective_amount(self.balances[i].amount, self.balance_index[i], index)
    }

    /// Settles slot `i` at `index`: its amount becomes the effective amount and the slot
    /// records `index`. Returns the amount; the caller closes the slot if it is now zero.
    pub fn settle_slot(&mut self, i: usize, index: u64) -> Result<i64> {
        let amount = self.effective(i, index)?;
        self.balances[i].amount = amount;
        self.balance_index[i] = if index >= LOSS_INDEX_ONE { 0 } else { index };
        Ok(amount)
    }

    /// Settles the balance of `asset` (if any) at `index`, freeing its slot if written down
    /// to zero. Returns the effective amount (0 without a slot).
    pub fn settle_asset(&mut self, asset: &Pubkey, index: u64) -> Result<i64> {
        let Some(i) = self.balance_slot(asset) else { return Ok(0) };
        let amount = self.settle_slot(i, index)?;
        self.close_empty_balance(i);
        Ok(amount)
    }

    /// Settles every balance at its asset's current index (`index_of`), freeing slots written
    /// down to zero: afterwards every raw amount is the effective amount.
    pub fn settle_all(&mut self, index_of: impl Fn(&Pubkey) -> Result<u64>) -> Result<()> {
        // From the last slot down: closing slot i moves the (already settled) last one into it.
        for i in (0..self.n_balances as usize).rev() {
            let index = index_of(&self.balances[i].asset)?;
            self.settle_slot(i, index)?;
            self.close_empty_balance(i);
        }
        Ok(())
    }

    /// Lots held in `instrument` (0 without a slot).
    pub fn lots(&self, instrument: &Pubkey) -> i64 {
        self.position_slot(instrument).map(|i| self.positions[i].lots).unwrap_or(0)
    }

    /// Bankrupt: no position left and a single balance, negative. Returns its asset and debt.
    pub fn bankrupt_debt(&self) -> Option<(Pubkey, i64)> {
        let b = &self.balances[0];
        if self.n_positions == 0 && self.n_balances == 1 && b.amount < 0 {
            Some((b.asset, b.amount.checked_neg()?))
        } else {
            None
        }
    }

    /// The slot of `asset`, opening one if needed.
    pub fn balance_slot_or_open(&mut self, asset: &Pubkey) -> Option<usize> {
        if let Some(i) = self.balance_slot(asset) {
            return Some(i);
        }
        let n = self.n_balances as usize;
        if n >= MAX_BALANCES {
            return None;
        }
        self.balances[n] = Balance { asset: *asset, amount: 0 };
        self.balance_index[n] = 0;
        self.n_balances += 1;
        Some(n)
    }

    pub fn position_slot(&self, instrument: &Pubkey) -> Option<usize> {
        self.positions[..self.n_positions as usize].iter().position(|p| p.instrument == *instrument)
    }

    /// The slot of `instrument`, opening one if needed.
    pub fn position_slot_or_open(&mut self, instrument: &Pubkey) -> Option<usize> {
        if let Some(i) = self.position_slot(instrument) {
            return Some(i);
        }
        let n = self.n_positions as usize;
        if n >= MAX_POSITIONS {
            return None;
        }
        self.positions[n] = PositionSlot { instrument: *instrument, ..PositionSlot::default() };
        self.n_positions += 1;
        Some(n)
    }

    /// When the Dutch auction of this (liquidatable) account started, as of `now`: its clock if
    /// a check confirmed it liquidatable within the last `ramp_secs`, else now. A clock left
    /// from an earlier episode (the account recovered without a check clearing it), or one
    /// that ran while liquidations were paused, never hands out a grown discount at once.
    pub fn auction_start(&self, now: i64, ramp_secs: i64) -> i64 {
        let confirmed = self.liquidatable_seen > 0 && self.liquidatable_seen.saturating_add(ramp_secs) >= now;
        if self.liquidatable_since == 0 || !confirmed { now } else { self.liquidatable_since }
    }

    /// The slot a deposit of `asset` goes to. Opening one is the owner's right, except for
    /// quote assets (anyone may fund those, the insurance fund included). A new balance keeps
    /// a free slot for every quote asset the positions need and the account does not hold
    /// (R2-4: owner included, who must not make itself unliquidatable); one of those needed
    /// quote assets may always take a slot. Besides, only the owner's quote asset may take
    /// the account's last free slot (H-2): a non-quote asset never does, nor does a
    /// stranger's gift of a quote asset the positions do not need, so strangers' dust can
    /// never fill an account's slots, nor the insurance fund's (which holds no positions and
    /// whose owner never signs: it takes a new balance from strangers while two slots are
    /// free, keeping one for the quote asset of the next fee).
    pub fn deposit_slot(&mut self, asset: &Pubkey, is_quote: bool, by_owner: bool) -> Result<usize> {
        if let Some(i) = self.balance_slot(asset) {
            return Ok(i);
        }
        require!(by_owner || is_quote, PmError::DepositSlotRefused);
        if !self.needs_quote(asset) {
            let missing = self.missing_quotes();
            let keep = if is_quote && by_owner { missing } else { missing.max(1) };
            let n = self.n_balances as usize;
            require!(n + 1 + keep <= MAX_BALANCES, PmError::CollateralCapacityExceeded);
        }
        self.balance_slot_or_open(asset).ok_or_else(|| PmError::CollateralCapacityExceeded.into())
    }

    /// The recorded quote assets (`quote_needs`) in use.
    pub fn quote_needs(&self) -> impl Iterator<Item = &Pubkey> {
        self.quote_needs.iter().take_while(|q| **q != Pubkey::default())
    }

    /// Whether the positions need `asset` as their quote asset (as recorded).
    pub fn needs_quote(&self, asset: &Pubkey) -> bool {
        self.quote_needs().any(|q| q == asset)
    }

    /// Recorded quote assets the account holds no balance of: each needs a free slot.
    pub fn missing_quotes(&self) -> usize {
        self.quote_needs().filter(|q| self.balance_slot(q).is_none()).count()
    }

    /// The distinct quote assets of the positions held (`quote_of`: an instrument's
    /// underlying's quote asset), in position order; more than [`MAX_QUOTE_NEEDS`] is
    /// `TooManyUnderlyings` (a margin check refuses such an account anyway).
    pub fn needed_quotes(&self, quote_of: impl Fn(&Pubkey) -> Result<Pubkey>) -> Result<[Pubkey; MAX_QUOTE_NEEDS]> {
        let mut needs = [Pubkey::default(); MAX_QUOTE_NEEDS];
        let mut n = 0;
        for p in &self.positions[..self.n_positions as usize] {
            let q = quote_of(&p.instrument)?;
            if needs[..n].contains(&q) {
                continue;
            }
            require!(n < MAX_QUOTE_NEEDS, PmError::TooManyUnderlyings);
            needs[n] = q;
            n += 1;
        }
        Ok(needs)
    }

    /// How many slots short the account is of holding or having room for every quote asset in
    /// `needs`: (balances + those not held) - MAX_BALANCES, at least 0.
    pub fn quote_room_deficit(&self, needs: &[Pubkey; MAX_QUOTE_NEEDS]) -> usize {
        let missing = needs.iter().filter(|q| **q != Pubkey::default() && self.balance_slot(q).is_none()).count();
        (self.n_balances as usize + missing).saturating_sub(MAX_BALANCES)
    }

    /// Records `needs` (from [`MarginAccount::needed_quotes`]) and requires room for them:
    /// balances + needed quote assets not held <= MAX_BALANCES (`CollateralCapacityExceeded`).
    /// Run on every account a trade or liquidation gives positions.
    pub fn set_quote_needs(&mut self, needs: [Pubkey; MAX_QUOTE_NEEDS]) -> Result<()> {
        require!(self.quote_room_deficit(&needs) == 0, PmError::CollateralCapacityExceeded);
        self.quote_needs = needs;
        Ok(())
    }

    /// Slots dense and unique, counts within capacity, lots within range, needed quote assets
    /// first and distinct, loss indexes at most one and zero in free slots (a slot's index >= its asset's is checked where the asset is
    /// read: `Snapshot::refill`).
    pub fn invariant(&self) -> Result<()> {
        let (nb, np) = (self.n_balances as usize, self.n_positions as usize);
        require!(nb <= MAX_BALANCES && np <= MAX_POSITIONS, PmError::AccountCorrupt);
        let bal = &self.balances;
        require!(bal[..nb].iter().all(|b| b.asset != Pubkey::default() && b.amount != 0), PmError::AccountCorrupt);
        require!(bal[nb..].iter().all(|b| *b == Balance::default()), PmError::AccountCorrupt);
        let idx = &self.balance_index;
        require!(
            idx[..nb].iter().all(|&x| x <= LOSS_INDEX_ONE) && idx[nb..].iter().all(|&x| x == 0),
            PmError::AccountCorrupt
        );
        require!((1..nb).all(|i| bal[..i].iter().all(|o| o.asset != bal[i].asset)), PmError::AccountCorrupt);
        let pos = &self.positions;
        let lots_ok = |p: &PositionSlot| p.lots.unsigned_abs() <= risk_kernel::margin::MAX_LOTS as u64;
        require!(pos[..np].iter().all(|p| p.instrument != Pubkey::default() && lots_ok(p)), PmError::AccountCorrupt);
        require!(pos[np..].iter().all(|p| *p == PositionSlot::default()), PmError::AccountCorrupt);
        require!((1..np).all(|i| pos[..i].iter().all(|o| o.instrument != pos[i].instrument)), PmError::AccountCorrupt);
        // Needed quote assets: first entries used, distinct. (The room rule itself is enforced
        // where slots open, not here: an account short of room must still be liquidated,
        // settled and withdrawn from, never frozen by its own check.)
        let needs = &self.quote_needs;
        let nq = needs.iter().take_while(|q| **q != Pubkey::default()).count();
        require!(needs[nq..].iter().all(|q| *q == Pubkey::default()), PmError::AccountCorrupt);
        require!((1..nq).all(|i| !needs[..i].contains(&needs[i])), PmError::AccountCorrupt);
        Ok(())
    }

    /// Frees the slot of a flat position with nothing left to settle (keeps slots dense).
    pub fn close_flat_position(&mut self, i: usize) {
        let n = self.n_positions as usize;
        if i < n && self.positions[i].lots == 0 && self.positions[i].cost == 0 && self.positions[i].funding == 0 {
            self.positions[i] = self.positions[n - 1];
            self.positions[n - 1] = PositionSlot::default();
            self.n_positions -= 1;
        }
    }

    /// Adds `delta` native units to the balance of `asset` (opening the slot if needed), whose
    /// loss index is now `index`: the slot is settled at `index` first, so `delta` is new money
    /// at the current index. A balance may go negative (a liability) through settlement.
    pub fn credit(&mut self, asset: &Pubkey, index: u64, delta: i64) -> Result<()> {
        let i = self.balance_slot_or_open(asset).ok_or(PmError::CollateralCapacityExceeded)?;
        self.credit_slot(i, index, delta)?;
        Ok(())
    }

    /// [`MarginAccount::credit`] to slot `i`; frees it if it ends at zero. Returns the amount.
    pub fn credit_slot(&mut self, i: usize, index: u64, delta: i64) -> Result<i64> {
        let amount = self.settle_slot(i, index)?.checked_add(delta).ok_or(PmError::Overflow)?;
        self.balances[i].amount = amount;
        self.close_empty_balance(i);
        Ok(amount)
    }

    /// Frees the slot of a zero balance (keeps slots dense; its loss index moves with it).
    pub fn close_empty_balance(&mut self, i: usize) {
        let n = self.n_balances as usize;
        if i < n && self.balances[i].amount == 0 {
            self.balances[i] = self.balances[n - 1];
            self.balance_index[i] = self.balance_index[n - 1];
            self.balances[n - 1] = Balance::default();
            self.balance_index[n - 1] = 0;
            self.n_balances -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::CollateralAsset;

    const ONE: u64 = LOSS_INDEX_ONE;

    fn account() -> Box<MarginAccount> {
        let mut a: Box<MarginAccount> = Box::new(bytemuck::Zeroable::zeroed());
        a.version = MarginAccount::VERSION;
        a
    }

    /// R2-4: every needed quote asset not held keeps a slot, against the owner and strangers
    /// alike; a needed quote asset may always take one; strangers never take the last slot.
    #[test]
    fn deposits_keep_a_slot_for_every_needed_quote_asset() {
        let (usdc, q2, q3) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let mut a = account();
        a.quote_needs[0] = usdc;
        for _ in 0..MAX_BALANCES - 1 {
            let i = a.deposit_slot(&Pubkey::new_unique(), false, true).unwrap();
            a.credit_slot(i, ONE, 1).unwrap();
        }
        let full = |r: Result<usize>| r.unwrap_err() == PmError::CollateralCapacityExceeded.into();
        // Seven plain balances, USDC needed and not held: its slot is kept from everyone.
        assert!(full(a.deposit_slot(&Pubkey::new_unique(), false, true)));
        assert!(full(a.deposit_slot(&q2, true, false)), "a stranger's gift of another quote asset");
        assert!(full(a.deposit_slot(&q2, true, true)), "the owner's other quote asset");
        assert_eq!(
            a.deposit_slot(&Pubkey::new_unique(), false, false).unwrap_err(),
            PmError::DepositSlotRefused.into()
        );
        // The needed quote asset itself, even a stranger's gift: the last slot.
        let i = a.deposit_slot(&usdc, true, false).unwrap();
        assert_eq!(i, MAX_BALANCES - 1);
        a.credit_slot(i, ONE, 1).unwrap();
        a.invariant().unwrap();

        // Two needed quote assets, six balances: the two free slots are theirs.
        let mut a = account();
        a.quote_needs[..2].copy_from_slice(&[usdc, q2]);
        for _ in 0..MAX_BALANCES - 2 {
            let i = a.balance_slot_or_open(&Pubkey::new_unique()).unwrap();
            a.credit_slot(i, ONE, 1).unwrap();
        }
        assert_eq!(a.quote_room_deficit(&a.quote_needs), 0);
        assert!(full(a.deposit_slot(&q3, true, true)));
        assert!(full(a.deposit_slot(&q3, true, false)));
        assert!(a.deposit_slot(&q2, true, false).is_ok());
        assert!(a.deposit_slot(&usdc, true, true).is_ok());
        // Trading into a third quote asset would need a ninth slot.
        let mut needs = a.quote_needs;
        needs[2] = q3;
        assert_eq!(a.quote_room_deficit(&needs), 1);
        assert!(a.set_quote_needs(needs).is_err());

        // No positions (the insurance fund): a stranger's quote asset leaves one slot free;
        // the owner's quote asset may take the last one (H-2).
        let mut fund = account();
        for _ in 0..MAX_BALANCES - 1 {
            let i = fund.deposit_slot(&Pubkey::new_unique(), true, false).unwrap();
            fund.credit_slot(i, ONE, 1).unwrap();
        }
        assert!(full(fund.deposit_slot(&q3, true, false)));
        assert!(fund.deposit_slot(&q3, true, true).is_ok());
    }

    #[test]
    fn needed_quote_assets_are_distinct_and_first() {
        let (q1, q2) = (Pubkey::new_unique(), Pubkey::new_unique());
        let mut a = account();
        let insts: Vec<Pubkey> = (0..6).map(|_| Pubkey::new_unique()).collect();
        for (k, i) in insts.iter().enumerate() {
            let s = a.position_slot_or_open(i).unwrap();
            a.positions[s].lots = 1 + k as i64;
        }
        let needs = a.needed_quotes(|i| Ok(if insts[..3].contains(i) { q1 } else { q2 })).unwrap();
        assert_eq!(needs, [q1, q2, Pubkey::default(), Pubkey::default()]);
        a.set_quote_needs(needs).unwrap();
        a.invariant().unwrap();
        // Five quote assets cannot be held (nor margined: four underlyings at most).
        let five = a.needed_quotes(|i| Ok(if *i == insts[5] { q1 } else { Pubkey::new_from_array(i.to_bytes()) }));
        assert_eq!(five.unwrap_err(), PmError::TooManyUnderlyings.into());
        // A hole or a repeat is corrupt.
        a.quote_needs = [q1, Pubkey::default(), q2, Pubkey::default()];
        assert!(a.invariant().is_err());
        a.quote_needs = [q1, q1, Pubkey::default(), Pubkey::default()];
        assert!(a.invariant().is_err());
    }

    #[test]
    fn a_positive_balance_is_written_down_rounding_against_it_a_debt_never() {
        assert_eq!(effective_amount(1_000, 0, ONE).unwrap(), 1_000);
        assert_eq!(effective_amount(1_000, 0, ONE / 3).unwrap(), 333);
        assert_eq!(effective_amount(1_000, ONE / 2, ONE / 4).unwrap(), 500);
        assert_eq!(effective_amount(-1_000, ONE, ONE / 4).unwrap(), -1_000);
        // A slot never settled (0) reads as one; an index above the slot's never writes up.
        assert_eq!(effective_amount(7, ONE / 2, ONE).unwrap(), 7);
        assert_eq!(
            effective_amount(i64::MAX, 0, ONE - 1).unwrap(),
            (i64::MAX as u128 * (ONE - 1) as u128 / ONE as u128) as i64
        );
    }

    #[test]
    fn a_deposit_after_a_loss_is_not_written_down_by_it() {
        let (x, y) = (Pubkey::new_unique(), Pubkey::new_unique());
        let mut a = account();
        a.credit(&x, ONE, 1_000).unwrap();
        a.credit(&y, ONE, 5).unwrap();
        // A loss halves x's index: the old 1,000 is 500; 1,000 more comes in at the new index.
        a.credit(&x, ONE / 2, 1_000).unwrap();
        assert_eq!((a.balance(&x), a.balance_index[0]), (1_500, ONE / 2));
        assert_eq!(a.balance_at(&x, ONE / 2).unwrap(), 1_500);
        assert_eq!(a.balance_at(&x, ONE / 4).unwrap(), 750);
        a.invariant().unwrap();
        // Slots move with their index: y (never written down) closes, x moves into slot 0.
        a.credit(&y, ONE, -5).unwrap();
        a.credit(&x, ONE / 2, -1_500).unwrap();
        assert_eq!(a.n_balances, 0);
        assert!(a.balance_index.iter().all(|&i| i == 0));
        a.invariant().unwrap();
    }

    #[test]
    fn settling_everything_frees_slots_written_down_to_zero() {
        let (x, y, z) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let mut a = account();
        a.credit(&x, ONE, 1).unwrap();
        a.credit(&y, ONE, 100).unwrap();
        a.credit(&z, ONE, -100).unwrap();
        a.settle_all(|_| Ok(ONE / 3)).unwrap();
        // x (1 unit) is gone; y is 33; the debt z stays in full.
        assert_eq!(a.n_balances, 2);
        assert_eq!((a.balance(&x), a.balance(&y), a.balance(&z)), (0, 33, -100));
        a.invariant().unwrap();
        // A free slot with a stale index, or an index above one, is corrupt.
        a.balance_index[5] = 1;
        assert!(a.invariant().is_err());
        a.balance_index[5] = 0;
        a.balance_index[0] = ONE + 1;
        assert!(a.invariant().is_err());
    }

    #[test]
    fn socializing_writes_holders_down_at_least_the_loss() {
        let mut asset: CollateralAsset = CollateralAsset {
            version: 1,
            bump: 0,
            vault_bump: 0,
            decimals: 6,
            mint: Pubkey::default(),
            vault: Pubkey::default(),
            token_program: Pubkey::default(),
            params: crate::state::CollateralParams {
                feed_id: [0; 32],
                max_oracle_age_secs: 1,
                max_conf_ratio: 0,
                conf_mult: 0,
                maint_haircut: 0,
                init_haircut: 0,
                size_growth: 0,
                size_ref: 0,
                depeg_shock: 0,
                deposit_cap: 0,
                group: crate::state::NO_GROUP,
                status: crate::state::status::ACTIVE,
            },
            total_deposits: 1_000,
            socialized_loss: 0,
            is_quote: 1,
            loss_index: 0, // an account from before the field: reads as one
            net_cash: -200,
            rate_source: crate::state::RateSource::None,
            rate_account: Pubkey::default(),
            reserved: [0; 6],
        };
        assert_eq!(asset.loss_index(), ONE);
        // Balances net of debts are 800 with the loss of 200 written off: holders hold 1,000.
        let index = asset.socialize(200).unwrap();
        assert_eq!(index as u128, ONE as u128 * 800 / 1_000);
        assert_eq!(asset.socialized_loss, 200);
        let held = [400i64, 350, 250];
        let after: i64 = held.iter().map(|&h| asset.effective(h, 0).unwrap()).sum();
        assert!(1_000 - after >= 200 && 1_000 - after <= 203, "written down {}", 1_000 - after);
        // Nothing claimable: the index falls to its floor, never to zero.
        asset.net_cash = -1_000;
        assert_eq!(asset.socialize(1).unwrap(), 1);
        assert_eq!(asset.socialized_loss, 201);
    }
}
