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
    #[msg("an oracle account is missing for a balance (pass one per balance, in order)")]
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
