//! The embedded local chain (program-test, the program loaded natively).
use super::{AccountFilter, Chain, ChainError, v0_transaction};
use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use localnet::{Env, custom_code};
use solana_account::Account;
use solana_keypair::Keypair;
use solana_message::AddressLookupTableAccount;

pub struct LocalChain<'a> {
    pub env: &'a mut Env,
}

fn map_err(e: solana_program_test::BanksClientError) -> ChainError {
    match custom_code(&e) {
        Some(c) => ChainError::Program(c),
        None => ChainError::Rejected(e.to_string()),
    }
}

impl Chain for LocalChain<'_> {
    async fn now(&mut self) -> Result<i64, ChainError> {
        let clock: Clock = self.env.ctx.banks_client.get_sysvar().await.map_err(map_err)?;
        Ok(clock.unix_timestamp)
    }

    async fn program_accounts(&mut self, filter: &AccountFilter) -> Result<Vec<(Pubkey, Account)>, ChainError> {
        let keys: Vec<Pubkey> = self.env.known.iter().copied().collect();
        let accounts = self.accounts(&keys).await?;
        Ok(keys
            .into_iter()
            .zip(accounts)
            .filter_map(|(k, a)| {
                a.filter(|a| a.owner == portfolio_margin::ID && filter.matches(&a.data)).map(|a| (k, a))
            })
            .collect())
    }

    async fn accounts(&mut self, keys: &[Pubkey]) -> Result<Vec<Option<Account>>, ChainError> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.env.ctx.banks_client.get_account(*k).await.map_err(map_err)?);
        }
        Ok(out)
    }

    async fn simulate(&mut self, ixs: &[Instruction], _payer: &Keypair) -> Result<Vec<u8>, ChainError> {
        self.env.simulate(ixs).await.map_err(map_err)
    }

    async fn send(&mut self, ixs: &[Instruction], signer: &Keypair) -> Result<String, ChainError> {
        // The embedded chain's payer pays; the keeper signs where its signature is required.
        self.env.send(ixs, &[signer]).await.map_err(map_err)?;
        Ok("local".into())
    }

    async fn send_v0(
        &mut self,
        ixs: &[Instruction],
        signer: &Keypair,
        tables: &[AddressLookupTableAccount],
    ) -> Result<String, ChainError> {
        let ctx = &mut self.env.ctx;
        let bh = ctx.banks_client.get_latest_blockhash().await.map_err(map_err)?;
        let tx = v0_transaction(ixs, signer, tables, bh)?;
        ctx.banks_client.process_transaction(tx).await.map_err(map_err)?;
        Ok("local v0".into())
    }

    /// A slot the chain has moved past (so it is in SlotHashes, as a lookup table's
    /// creation requires): the embedded chain is warped one slot ahead first.
    async fn slot(&mut self) -> Result<u64, ChainError> {
        let root = self.env.ctx.banks_client.get_root_slot().await.map_err(map_err)?;
        self.wait_past(root).await?;
        Ok(root + 1)
    }

    /// Warps the embedded chain a slot ahead, keeping its clock's time (the demo and tests
    /// set the time themselves).
    async fn wait_past(&mut self, slot: u64) -> Result<(), ChainError> {
        let ctx = &mut self.env.ctx;
        let before: Clock = ctx.banks_client.get_sysvar().await.map_err(map_err)?;
        ctx.warp_to_slot(slot + 2).map_err(|e| ChainError::Rejected(format!("{e:?}")))?;
        let mut clock: Clock = ctx.banks_client.get_sysvar().await.map_err(map_err)?;
        clock.unix_timestamp = before.unix_timestamp;
        ctx.set_sysvar(&clock);
        Ok(())
    }
}
