use anchor_lang::prelude::*;

/// Append-only: codes are part of the interface (clients match on them).
#[error_code]
pub enum PmError {
    #[msg("signer is not the authority for this action")]
    Unauthorized,
    #[msg("this instruction group is paused by the admin")]
    Paused,
    #[msg("risk parameter out of range")]
    InvalidParameter,
    #[msg("collateral asset is disabled")]
    AssetDisabled,
    #[msg("collateral asset is reduce-only: deposits are not accepted")]
    AssetReduceOnly,
    #[msg("deposit would exceed the asset's deposit cap")]
    DepositCapExceeded,
    #[msg("amount must be greater than zero")]
    ZeroAmount,
    #[msg("balance too small for this withdrawal")]
    InsufficientBalance,
    #[msg("account has no free collateral slot (capacity 8)")]
    CollateralCapacityExceeded,
    #[msg("the account would fall below initial margin")]
    InitialMarginViolated,
    #[msg("oracle account is not owned by the Pyth receiver program")]
    OracleWrongOwner,
    #[msg("oracle account is not a valid PriceUpdateV2")]
    OracleMalformed,
    #[msg("oracle feed id does not match the one registered for this asset")]
    OracleWrongFeed,
    #[msg("oracle update is not fully verified")]
    OracleNotVerified,
    #[msg("oracle price is older than the asset's max age")]
    OracleStale,
    #[msg("oracle price is zero or negative")]
    OracleNonPositive,
    #[msg("oracle confidence interval is wider than the asset's max ratio")]
    OracleConfidenceTooWide,
    #[msg("no Pyth price account for a balance's feed was passed (pass one per collateral asset)")]
    OracleMissing,
    #[msg("arithmetic overflow")]
    Overflow,
    #[msg("risk kernel rejected the input")]
    KernelInvalidInput,
    #[msg("a delegate may trade but never withdraw")]
    DelegateCannotWithdraw,
    #[msg("vault account does not belong to this collateral asset")]
    WrongVault,
    #[msg("mint does not match the collateral asset")]
    WrongMint,
    #[msg("account data has an unsupported version")]
    UnsupportedVersion,
    #[msg("vol surface is malformed (slices/points out of order or over capacity)")]
    InvalidVolSurface,
    #[msg("a vol surface point is outside the underlying's [min_vol, max_vol]")]
    VolOutOfBounds,
    #[msg("vol surface has no slice for this instrument's expiry")]
    VolSurfaceMissing,
    #[msg("vol surface is older than the underlying's max vol age: the vol oracle must republish")]
    VolSurfaceStale,
    #[msg("risk cache is stale: refresh the underlying, then its instruments, in one transaction")]
    RiskStale,
    #[msg("account does not belong to this underlying / instrument")]
    UnderlyingMismatch,
    #[msg("instrument has expired: only settlement is possible")]
    InstrumentExpired,
    #[msg("instrument has not expired yet")]
    InstrumentNotExpired,
    #[msg("account has no free position slot (capacity 32)")]
    PositionCapacityExceeded,
    #[msg("maker quote has expired")]
    QuoteExpired,
    #[msg("maker quote nonce already used (nonces must increase)")]
    NonceReplayed,
    #[msg("maker and taker must be different margin accounts")]
    SelfTrade,
    #[msg("lots out of range (0 < |lots| <= 2^24 - 1 per trade and per position)")]
    LotsOutOfRange,
    #[msg("the update was published before expiry: settlement takes the first update at or after expiry")]
    SettlementWindowMissed,
    #[msg("instrument is already settled")]
    AlreadySettled,
    #[msg("instrument has expired but has no settlement price yet")]
    NotSettled,
    #[msg("account holds an expired position: settle it first")]
    PositionExpiredUnsettled,
    #[msg("collateral asset is not this underlying's quote asset")]
    WrongQuoteAsset,
    #[msg("remaining accounts do not match the account's balances, positions and underlyings")]
    AccountsMismatch,
    #[msg("the same account was passed twice")]
    DuplicateAccount,
    #[msg("signer is neither the account's owner nor its delegate")]
    NotOwnerOrDelegate,
    #[msg("account has no position in this instrument")]
    NoPosition,
    #[msg("positions and mapped collateral span more than 4 underlyings")]
    TooManyUnderlyings,
    #[msg("account is not liquidatable: equity >= maintenance margin")]
    NotLiquidatable,
    #[msg("liquidation would leave the account's equity minus maintenance margin lower")]
    LiquidationWorsens,
    #[msg("liquidation request is empty, names a position or balance the account lacks, or more than it holds")]
    InvalidLiquidationRequest,
    #[msg("an account cannot liquidate itself, and the insurance fund cannot liquidate")]
    SelfLiquidation,
    #[msg("account is not bankrupt: it holds positions or collateral, or its quote balance is not negative")]
    NotBankrupt,
    #[msg("trade price is outside the underlying's band around the crank's fair value")]
    PriceOutOfBand,
    #[msg("a delegate may only trade at the crank's fair value or better for the account")]
    DelegatePriceWorse,
    #[msg("only the account's owner may open a balance of a non-quote asset")]
    DepositSlotRefused,
    #[msg("margin account state breaks its invariant")]
    AccountCorrupt,
    #[msg("oracle update is not newer than the one the snapshot already used")]
    OracleNotNewer,
    #[msg("settlement needs the update that straddles expiry (prev_publish_time < expiry <= publish_time)")]
    SettlementNotFirstUpdate,
    #[msg(
        "config_init must be signed by the program's upgrade authority (with the program and its program data account)"
    )]
    NotUpgradeAuthority,
    #[msg("signer is not the proposed authority for this role, or none is proposed")]
    NotProposedAuthority,
    #[msg(
        "mint has a Token-2022 extension the program refuses (permanent delegate, transfer hook, frozen default state, non-transferable, confidential transfers, pausable)"
    )]
    MintExtensionRefused,
    #[msg("the underlying's snapshot was refreshed less than min_refresh_secs ago")]
    RefreshTooSoon,
    #[msg("this change reprices balances or positions: propose it and apply it after the delay")]
    ParamChangeNeedsDelay,
    #[msg("the proposed change is not due yet")]
    ParamChangeNotDue,
    #[msg("the pending change is for another account or of another kind")]
    PendingParamsMismatch,
    #[msg("the quote's nonce is more than 2^32 above the maker's last nonce")]
    NonceTooFar,
    #[msg(
        "vol scaling out of bounds: t_ref in [1, 8760] hours, exponents <= 1, floor in (0, 1], cap in [1, 16], initial scale >= maintenance"
    )]
    InvalidVolScaling,
    #[msg("a published forward is <= 0 or its basis |F/S - 1| exceeds max_basis x (T + 1 day)")]
    ForwardOutOfBounds,
    #[msg(
        "funding settings out of bounds: period in [60, 86400] s, 0 < clamp <= 1% per period, impact lots in [1, 2^24]"
    )]
    FundingParamsInvalid,
    #[msg("this instruction applies to perpetuals only")]
    NotPerpetual,
    #[msg("the rate source account is not the one pinned for this asset, or does not issue its mint")]
    RateSourceMismatch,
    #[msg("the rate source's exchange rate is zero or above its bound")]
    RateOutOfBounds,
    #[msg("an asset's rate source is set once, before its first deposit")]
    RateSourceLocked,
    #[msg("the venue account is not a registered venue")]
    VenueNotRegistered,
    #[msg("the signer is not the venue's registered authority")]
    VenueAuthorityMismatch,
    #[msg("the venue is disabled")]
    VenueInactive,
    #[msg("a margin account has not approved this venue (or revoked it)")]
    VenueNotApproved,
    #[msg("the fill is larger than a margin account's approval allows per trade")]
    VenueLotsAboveApproval,
    #[msg("the instrument is outside the venue's scope")]
    VenueOutOfScope,
    #[msg("the fill would take the venue's open interest above its cap")]
    VenueOpenInterestCap,
    #[msg("only the margin account's owner may do this")]
    NotOwner,
}

impl From<risk_kernel::KernelError> for PmError {
    fn from(e: risk_kernel::KernelError) -> Self {
        match e {
            risk_kernel::KernelError::Overflow | risk_kernel::KernelError::DivisionByZero => PmError::Overflow,
            _ => PmError::KernelInvalidInput,
        }
    }
}

/// Kernel errors as Anchor errors, logging which input the kernel refused.
pub fn kernel_err(e: risk_kernel::KernelError) -> Error {
    msg!("risk kernel: {}", e);
    PmError::from(e).into()
}
