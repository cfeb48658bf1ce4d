//! What the keeper needs from a chain, with two implementations: a cluster's JSON-RPC
//! ([`rpc::RpcChain`]) and the embedded local chain ([`local::LocalChain`]).
#[cfg(feature = "local")]
pub mod local;
pub mod rpc;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
pub use pm_client::filters::AccountFilter;
use solana_account::Account;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// The program refused with this custom error code (not retried).
    Program(u32),
    /// The chain refused the transaction for another reason (not retried).
    Rejected(String),
    /// RPC or transport trouble (retried with backoff).
    Transport(String),
}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainError::Program(c) => write!(f, "program error {c}{}", error_name(*c)),
            ChainError::Rejected(m) => write!(f, "rejected: {m}"),
            ChainError::Transport(m) => write!(f, "transport: {m}"),
        }
    }
}

/// " (Name)" for the program errors a keeper meets in normal operation.
pub fn error_name(c: u32) -> String {
    use portfolio_margin::error::PmError::*;
    let known = [
        NotLiquidatable,
        LiquidationWorsens,
        InvalidLiquidationRequest,
        InitialMarginViolated,
        RiskStale,
        OracleStale,
        AccountsMismatch,
        PositionExpiredUnsettled,
        Paused,
        NotBankrupt,
    ];
    known.into_iter().find(|e| pm_client::pm_code(*e) == c).map(|e| format!(" ({e:?})")).unwrap_or_default()
}

/// A chain the keeper can read and write.
#[allow(async_fn_in_trait)] // used through generics only, never as a trait object
pub trait Chain {
    /// The cluster's unix time (Clock sysvar).
    async fn now(&mut self) -> Result<i64, ChainError>;
    /// The portfolio-margin program's accounts of one type (`getProgramAccounts` with the
    /// type's discriminator and size filters: `pm_client::filters`).
    async fn program_accounts(&mut self, filter: &AccountFilter) -> Result<Vec<(Pubkey, Account)>, ChainError>;
    async fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>, ChainError>;
    /// Simulates `ixs` and returns the last instruction's return data.
    async fn simulate(&mut self, ixs: &[Instruction], payer: &Keypair) -> Result<Vec<u8>, ChainError>;
    /// Sends `ixs` signed (and paid) by `signer`; returns the signature or a description.
    async fn send(&mut self, ixs: &[Instruction], signer: &Keypair) -> Result<String, ChainError>;
    /// Sends `ixs` as a v0 transaction resolving accounts through `tables`.
    async fn send_v0(
        &mut self,
        ixs: &[Instruction],
        signer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<String, ChainError>;
    /// A recent slot the chain has moved past (lookup-table creation names one).
    async fn slot(&mut self) -> Result<u64, ChainError>;
    /// Returns once the chain is past `slot` (a new lookup table is usable from the next slot).
    async fn wait_past(&mut self, slot: u64) -> Result<(), ChainError>;
}

/// Size in bytes of `ixs` as a legacy transaction paid and signed by `payer`.
pub fn legacy_size(ixs: &[Instruction], payer: &Pubkey) -> usize {
    let tx = solana_transaction::Transaction::new_with_payer(ixs, Some(payer));
    1 + 64 * tx.message.header.num_required_signatures as usize + tx.message.serialize().len()
}

/// `ixs` as a v0 transaction paid and signed by `signer`, accounts resolved through `tables`.
pub fn v0_transaction(
    ixs: &[Instruction],
    signer: &Keypair,
    tables: &[AddressLookupTableAccount],
    blockhash: solana_hash::Hash,
) -> Result<solana_transaction::versioned::VersionedTransaction, ChainError> {
    use solana_signer::Signer;
    let msg = solana_message::v0::Message::try_compile(&signer.pubkey(), ixs, tables, blockhash)
        .map_err(|e| ChainError::Rejected(e.to_string()))?;
    solana_transaction::versioned::VersionedTransaction::try_new(solana_message::VersionedMessage::V0(msg), &[signer])
        .map_err(|e| ChainError::Rejected(e.to_string()))
}

/// The packet limit a cluster puts on a serialized transaction.
pub const PACKET_BYTES: usize = 1232;
