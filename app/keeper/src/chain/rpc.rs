//! A cluster through its JSON-RPC endpoint (solana-rpc-client, already in the workspace's
//! dependency tree through program-test, so it adds nothing to the build).
use super::{AccountFilter, Chain, ChainError, v0_transaction};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use base64::Engine;
use solana_account::Account;
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::CommitmentConfig;
use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

pub struct RpcChain {
    pub client: RpcClient,
}

impl RpcChain {
    pub fn new(url: String) -> Self {
        RpcChain { client: RpcClient::new_with_commitment(url, CommitmentConfig::confirmed()) }
    }
}

fn from_tx_error(e: TransactionError) -> ChainError {
    match e {
        TransactionError::InstructionError(_, InstructionError::Custom(c)) => ChainError::Program(c),
        other => ChainError::Rejected(other.to_string()),
    }
}

fn from_client(e: solana_rpc_client_api::client_error::Error) -> ChainError {
    match e.get_transaction_error() {
        Some(te) => from_tx_error(te),
        None => ChainError::Transport(e.to_string()),
    }
}

/// The `getProgramAccounts` configuration of `filter`: `memcmp` of the discriminator at offset
/// 0 (base58), `dataSize` when the type's size is fixed, base64 data.
pub fn program_accounts_config(filter: &AccountFilter) -> RpcProgramAccountsConfig {
    let mut filters = vec![RpcFilterType::Memcmp(Memcmp::new_base58_encoded(0, filter.discriminator))];
    filters.extend(filter.data_size.map(RpcFilterType::DataSize));
    RpcProgramAccountsConfig {
        filters: Some(filters),
        account_config: RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            ..RpcAccountInfoConfig::default()
        },
        ..RpcProgramAccountsConfig::default()
    }
}

/// Clock sysvar bytes: slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp.
const CLOCK_UNIX_TIMESTAMP: std::ops::Range<usize> = 32..40;

impl Chain for RpcChain {
    async fn now(&mut self) -> Result<i64, ChainError> {
        let clock = solana_sdk_ids::sysvar::clock::ID;
        let a = self.client.get_account(&clock).await.map_err(from_client)?;
        let bytes = a.data.get(CLOCK_UNIX_TIMESTAMP).ok_or(ChainError::Transport("short clock".into()))?;
        Ok(i64::from_le_bytes(bytes.try_into().expect("8 bytes")))
    }

    async fn program_accounts(&mut self, filter: &AccountFilter) -> Result<Vec<(Pubkey, Account)>, ChainError> {
        let config = program_accounts_config(filter);
        let found = self
            .client
            .get_program_ui_accounts_with_config(&portfolio_margin::ID, config)
            .await
            .map_err(from_client)?;
        found
            .into_iter()
            .map(|(k, ui)| {
                ui.to_account().map(|a| (k, a)).ok_or(ChainError::Transport(format!("account {k}: undecodable data")))
            })
            .collect()
    }

    async fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>, ChainError> {
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            out.extend(self.client.get_multiple_accounts(chunk).await.map_err(from_client)?);
        }
        Ok(out)
    }

    async fn simulate(&mut self, ixs: &[Instruction], payer: &Keypair) -> Result<Vec<u8>, ChainError> {
        let bh = self.client.get_latest_blockhash().await.map_err(from_client)?;
        let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &[payer], bh);
        let sim = self.client.simulate_transaction(&tx).await.map_err(from_client)?.value;
        if let Some(e) = sim.err {
            return Err(from_tx_error(e.into()));
        }
        let data = sim.return_data.map(|r| r.data.0).unwrap_or_default();
        base64::engine::general_purpose::STANDARD.decode(data).map_err(|e| ChainError::Transport(e.to_string()))
    }

    async fn send(&mut self, ixs: &[Instruction], signer: &Keypair) -> Result<String, ChainError> {
        let bh = self.client.get_latest_blockhash().await.map_err(from_client)?;
        let tx = Transaction::new_signed_with_payer(ixs, Some(&signer.pubkey()), &[signer], bh);
        let sig = self.client.send_and_confirm_transaction(&tx).await.map_err(from_client)?;
        Ok(sig.to_string())
    }

    async fn send_v0(
        &mut self,
        ixs: &[Instruction],
        signer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<String, ChainError> {
        let bh = self.client.get_latest_blockhash().await.map_err(from_client)?;
        let tx = v0_transaction(ixs, signer, tables, bh)?;
        let sig = self.client.send_and_confirm_transaction(&tx).await.map_err(from_client)?;
        Ok(sig.to_string())
    }

    async fn slot(&mut self) -> Result<u64, ChainError> {
        let finalized = CommitmentConfig::finalized();
        self.client.get_slot_with_commitment(finalized).await.map_err(from_client)
    }

    async fn wait_past(&mut self, slot: u64) -> Result<(), ChainError> {
        while self.slot().await? <= slot {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        Ok(())
    }
}
