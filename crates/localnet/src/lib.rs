//! The embedded local chain: the program's real SBF `.so` (built by
//! `scripts/sbf-toolchain.sh program`) in solana-program-test's in-process SVM, with real
//! keypairs, signed transactions, SPL mints and fake Pyth prices. Program tests, the keeper's
//! tests and the demo all run on it. `PM_NATIVE=1` runs the program natively instead (for
//! debugging with a Rust debugger; CI's verdict comes from the `.so`).
pub mod fake_rpc;
pub mod market;
pub mod sysvar_bridge;
pub mod venue;
pub mod worst;

// No `anchor_lang::prelude::*` here: its `Result` would shadow the one `processor!` expands to.
use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, AccountSerialize, InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use anchor_spl::token_2022::spl_token_2022;
pub use anchor_spl::token_2022::spl_token_2022::extension::ExtensionType;
use portfolio_margin::oracle::stake_pool;
use portfolio_margin::state::{CollateralParams, NO_GROUP};
use pyth_solana_receiver_sdk::price_update::{PriceFeedMessage, PriceUpdateV2, VerificationLevel};
use solana_account::{Account, AccountSharedData};
use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
use solana_program_test::{BanksClientError, ProgramTest, ProgramTestContext, processor};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

pub const ONE: i64 = 1 << 48; // Ratio::ONE raw
pub const USDC_FEED: [u8; 32] = [1; 32];
pub const SOL_FEED: [u8; 32] = [2; 32];

// PDAs, builders and the remaining-accounts rule live in `pm-client` (crates/client); the
// names the suites use are kept here.
pub use pm_client;
pub use pm_client::{HEAP_FRAME, MAX_CU, RemainingAccounts, budget_ixs, pm_code};

pub fn pm_id() -> Pubkey {
    pm_client::program_id()
}
pub fn config_pda() -> Pubkey {
    pm_client::pda::config()
}
pub fn vault_authority() -> Pubkey {
    pm_client::pda::vault_authority()
}
pub fn asset_pda(mint: &Pubkey) -> Pubkey {
    pm_client::pda::asset(mint)
}
pub fn vault_pda(mint: &Pubkey) -> Pubkey {
    pm_client::pda::vault(mint)
}
/// The program's program data account (upgradeable loader): holds its upgrade authority.
pub fn program_data_pda() -> Pubkey {
    pm_client::pda::program_data()
}
pub fn margin_pda(owner: &Pubkey, sub_id: u16) -> Pubkey {
    pm_client::pda::margin_account(owner, sub_id)
}

/// Ratio raw of a decimal fraction.
pub fn ratio(v: f64) -> i64 {
    (v * ONE as f64).round() as i64
}

/// An SPL stake-pool account image as the stake-pool program writes it (the fields the
/// program reads, at its layout's offsets; the rest zero; a real pool's length).
pub fn stake_pool_data(mint: &Pubkey, total_lamports: u64, supply: u64, epoch: u64) -> Vec<u8> {
    use stake_pool::layout as l;
    let mut d = vec![0u8; 611];
    d[l::ACCOUNT_TYPE] = l::STAKE_POOL;
    d[l::POOL_MINT..l::POOL_MINT + 32].copy_from_slice(mint.as_ref());
    d[l::TOTAL_LAMPORTS..l::TOTAL_LAMPORTS + 8].copy_from_slice(&total_lamports.to_le_bytes());
    d[l::POOL_TOKEN_SUPPLY..l::POOL_TOKEN_SUPPLY + 8].copy_from_slice(&supply.to_le_bytes());
    d[l::LAST_UPDATE_EPOCH..l::LAST_UPDATE_EPOCH + 8].copy_from_slice(&epoch.to_le_bytes());
    d
}

pub fn usdc_params() -> CollateralParams {
    CollateralParams {
        feed_id: USDC_FEED,
        max_oracle_age_secs: 60,
        max_conf_ratio: ratio(0.02),
        conf_mult: ratio(1.0),
        maint_haircut: ratio(0.02),
        init_haircut: ratio(0.03),
        size_growth: 0,
        size_ref: 1 << 24,
        depeg_shock: 0,
        deposit_cap: 10_000_000 * 1_000_000,
        group: NO_GROUP,
        status: portfolio_margin::state::status::ACTIVE,
    }
}

/// The custom error code of a failed transaction, if it is one.
pub fn custom_code(e: &BanksClientError) -> Option<u32> {
    match e {
        BanksClientError::TransactionError(te) | BanksClientError::SimulationError { err: te, .. } => match te {
            TransactionError::InstructionError(_, InstructionError::Custom(c)) => Some(*c),
            _ => None,
        },
        _ => None,
    }
}

/// The bytes of a Pyth `PriceUpdateV2` account (its previous update one second earlier).
pub fn price_update(feed: [u8; 32], price: i64, conf: u64, expo: i32, publish_time: i64, full: bool) -> Vec<u8> {
    price_update_after(feed, price, conf, expo, publish_time, publish_time - 1, full)
}

/// The bytes of a Pyth `PriceUpdateV2` account whose feed last published at `prev_publish_time`.
pub fn price_update_after(
    feed: [u8; 32],
    price: i64,
    conf: u64,
    expo: i32,
    publish_time: i64,
    prev_publish_time: i64,
    full: bool,
) -> Vec<u8> {
    let update = PriceUpdateV2 {
        write_authority: Pubkey::new_unique(),
        verification_level: if full {
            VerificationLevel::Full
        } else {
            VerificationLevel::Partial { num_signatures: 3 }
        },
        price_message: PriceFeedMessage {
            feed_id: feed,
            price,
            conf,
            exponent: expo,
            publish_time,
            prev_publish_time,
            ema_price: price,
            ema_conf: conf,
        },
        posted_slot: 1,
    };
    let mut data = Vec::with_capacity(PriceUpdateV2::LEN);
    update.try_serialize(&mut data).unwrap();
    data.resize(PriceUpdateV2::LEN, 0);
    data
}

/// The program deployed with the upgradeable loader (BPF loader v3), as `solana program
/// deploy` leaves it: the program account pointing at its program data account, which holds
/// the upgrade authority and the ELF (program-test's `bpf_loader_upgradeable_program_accounts`,
/// with the authority a key the caller holds instead of `Pubkey::default()`).
pub fn upgradeable_program_accounts(elf: &[u8], upgrade_authority: &Pubkey) -> [(Pubkey, Account); 2] {
    upgradeable_accounts_of(pm_id(), elf, upgrade_authority)
}

/// [`upgradeable_program_accounts`] of any program `id` (another program the tests load
/// beside this one, e.g. the example venue).
pub fn upgradeable_accounts_of(id: Pubkey, elf: &[u8], upgrade_authority: &Pubkey) -> [(Pubkey, Account); 2] {
    use solana_sdk_ids::bpf_loader_upgradeable::ID as LOADER;
    let rent = anchor_lang::prelude::Rent::default();
    let program_data = Pubkey::find_program_address(&[id.as_ref()], &LOADER).0;
    // bincode of UpgradeableLoaderState::Program { programdata_address } (36 bytes)...
    let program = [&2u32.to_le_bytes()[..], program_data.as_ref()].concat();
    // ...and of UpgradeableLoaderState::ProgramData { slot: 0, upgrade_authority_address:
    // Some(..) } (45 bytes), followed by the ELF.
    let data = [&3u32.to_le_bytes()[..], &0u64.to_le_bytes(), &[1], upgrade_authority.as_ref(), elf].concat();
    let account = |data: Vec<u8>, executable| Account {
        lamports: rent.minimum_balance(data.len()),
        data,
        owner: LOADER,
        executable,
        rent_epoch: u64::MAX,
    };
    [(id, account(program, true)), (program_data, account(data, false))]
}

/// Syscall stubs are process-global: native-mode tests run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Where the program's `.so` is (`PM_PROGRAM_SO` overrides).
pub fn program_so_path() -> std::path::PathBuf {
    match std::env::var_os("PM_PROGRAM_SO") {
        Some(p) => p.into(),
        None => concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/sbf/portfolio_margin.so").into(),
    }
}

/// The newest modification time under `dir` (source files of the program and the kernel).
fn newest(dir: &std::path::Path) -> Option<std::time::SystemTime> {
    let mut t = None;
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let m = e.metadata().ok()?;
        let this = if m.is_dir() { newest(&e.path()) } else { m.modified().ok() };
        t = t.max(this);
    }
    t
}

/// The program's `.so`, or what to run to build it. The default build is refused when the
/// program's or the kernel's sources are newer than it: tests must never pass on stale code.
pub fn program_elf() -> std::result::Result<Vec<u8>, String> {
    let path = program_so_path();
    if std::env::var_os("PM_PROGRAM_SO").is_none() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let sources = ["programs/portfolio-margin/src", "crates/risk-kernel/src"].map(|d| newest(&root.join(d)));
        let built = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        if let (Some(built), Some(src)) = (built, sources.into_iter().flatten().max())
            && src > built
        {
            return Err(format!(
                "the program's SBF build {} is older than its sources: rebuild it with \
                 `scripts/sbf-toolchain.sh program`",
                path.display()
            ));
        }
    }
    std::fs::read(&path).map_err(|e| {
        format!(
            "cannot read the program's SBF build {} ({e}); build it with `scripts/sbf-toolchain.sh program` \
             (or set PM_PROGRAM_SO, or PM_NATIVE=1 to run the program natively)",
            path.display()
        )
    })
}

/// Whether this process runs the program natively (`PM_NATIVE=1`) instead of its `.so`.
pub fn native() -> bool {
    std::env::var("PM_NATIVE").is_ok_and(|v| v == "1")
}

/// The payer and those of `signers` that `ixs` require (an unneeded signature would make the
/// transaction invalid).
fn signers_for<'a>(ixs: &[Instruction], payer: &'a Keypair, signers: &[&'a Keypair]) -> Vec<&'a Keypair> {
    let required = |k: &Keypair| ixs.iter().flat_map(|ix| &ix.accounts).any(|a| a.is_signer && a.pubkey == k.pubkey());
    std::iter::once(payer).chain(signers.iter().copied().filter(|k| required(k))).collect()
}

/// `ixs` with [`budget_ixs`] first, unless they bring their own compute-budget instructions.
fn with_budget(ixs: &[Instruction]) -> std::borrow::Cow<'_, [Instruction]> {
    if ixs.iter().any(|ix| ix.program_id == solana_sdk_ids::compute_budget::ID) {
        std::borrow::Cow::Borrowed(ixs)
    } else {
        std::borrow::Cow::Owned([budget_ixs(MAX_CU), ixs.to_vec()].concat())
    }
}

pub struct Env {
    _serial: Option<std::sync::MutexGuard<'static, ()>>,
    pub ctx: ProgramTestContext,
    pub admin: Keypair,
    pub risk: Keypair,
    pub vol: Keypair,
    pub now: i64,
    /// Every account a transaction named or a fake price was written to: the embedded
    /// chain's index (program-test has no getProgramAccounts).
    pub known: std::collections::BTreeSet<Pubkey>,
    /// Signatures sent, to never resend a byte-identical transaction.
    sent: std::collections::HashSet<solana_signature::Signature>,
    /// Last publish time written to each in-place feed account (`pyth_at`).
    published: std::collections::HashMap<Pubkey, i64>,
}

impl Env {
    // The guard is held for the whole test on purpose (each test has its own runtime).
    #[allow(clippy::await_holding_lock)]
    pub async fn new() -> Self {
        Self::with_programs(&[]).await
    }

    /// [`Env::new`] with other programs' `.so` files deployed beside this one (`(program id,
    /// ELF)`, with the upgradeable loader; the `.so` path only, not natively).
    #[allow(clippy::await_holding_lock)]
    pub async fn with_programs(extra: &[(Pubkey, Vec<u8>)]) -> Self {
        // The admin deploys the program: it is the upgrade authority, the only key that may
        // run `config_init`.
        let admin = Keypair::new();
        let (serial, ctx) = if native() {
            // A test that panicked poisons the lock; the next one may still run.
            let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
            let mut pt = ProgramTest::new("portfolio_margin", pm_id(), processor!(sysvar_bridge::entry));
            pt.prefer_bpf(false);
            // A builtin has no loader state: only the program data account, at its address.
            let [_, program_data] = upgradeable_program_accounts(&[], &admin.pubkey());
            pt.add_account(program_data.0, program_data.1);
            let ctx = pt.start_with_context().await;
            sysvar_bridge::install();
            (Some(serial), ctx)
        } else {
            let elf = program_elf().unwrap_or_else(|e| panic!("{e}"));
            let mut pt = ProgramTest::default();
            pt.prefer_bpf(true);
            for (key, account) in upgradeable_program_accounts(&elf, &admin.pubkey()) {
                pt.add_account(key, account);
            }
            for (id, elf) in extra {
                for (key, account) in upgradeable_accounts_of(*id, elf, &admin.pubkey()) {
                    pt.add_account(key, account);
                }
            }
            (None, pt.start_with_context().await)
        };
        let clock: Clock = ctx.banks_client.get_sysvar().await.unwrap();
        let mut env = Env {
            _serial: serial,
            ctx,
            admin,
            risk: Keypair::new(),
            vol: Keypair::new(),
            now: clock.unix_timestamp,
            known: Default::default(),
            sent: Default::default(),
            published: Default::default(),
        };
        let (a, r, v) = (env.admin.pubkey(), env.risk.pubkey(), env.vol.pubkey());
        env.fund(&a).await;
        env.fund(&r).await;
        env.fund(&v).await;
        env
    }

    pub fn payer(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    /// Sends `ixs` signed by the payer and those of `signers` the instructions require (an
    /// unneeded signature would make the transaction invalid). Like every client of the
    /// program, it puts [`budget_ixs`] first unless `ixs` bring their own.
    pub async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> std::result::Result<(), BanksClientError> {
        let ixs = &with_budget(ixs)[..];
        self.known.extend(ixs.iter().flat_map(|ix| ix.accounts.iter().map(|a| a.pubkey)));
        let payer = self.ctx.payer.insecure_clone();
        let all = signers_for(ixs, &payer, signers);
        // The current blockhash (no wait for a new slot). A byte-identical repeat would carry
        // the same signature and be answered from the status cache: it gets a fresh blockhash.
        let bh = self.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let mut tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &all, bh);
        if self.sent.contains(&tx.signatures[0]) {
            self.ctx.last_blockhash = bh;
            let bh = self.ctx.get_new_latest_blockhash().await.unwrap();
            tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &all, bh);
        }
        self.sent.insert(tx.signatures[0]);
        self.ctx.banks_client.process_transaction(tx).await
    }

    /// Simulates `ixs` (as given: no budget instructions added) signed by the payer and the
    /// `signers` they need; returns the compute units consumed, or the error with its logs.
    pub async fn units(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> std::result::Result<u64, String> {
        let payer = self.ctx.payer.insecure_clone();
        let all = signers_for(ixs, &payer, signers);
        let bh = self.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let tx = Transaction::new_signed_with_payer(ixs, Some(&payer.pubkey()), &all, bh);
        let sim = self.ctx.banks_client.simulate_transaction(tx).await.map_err(|e| e.to_string())?;
        let (logs, units) = sim.simulation_details.map(|d| (d.logs, d.units_consumed)).unwrap_or_default();
        match sim.result {
            Some(Err(e)) => Err(format!("{e:?}: {}", logs.join(" | "))),
            _ => Ok(units),
        }
    }

    /// The smallest heap frame (KiB, a multiple of 8 from 32 to 256) with which `ix` succeeds,
    /// and its compute units there: the heap an instruction needs, measured on the `.so`.
    pub async fn heap_and_units(
        &mut self,
        ix: &Instruction,
        signers: &[&Keypair],
    ) -> std::result::Result<(u32, u64), String> {
        use solana_compute_budget_interface::ComputeBudgetInstruction as Cb;
        let with = |kib: u32| {
            let mut v = vec![Cb::set_compute_unit_limit(MAX_CU)];
            if kib > 32 {
                v.push(Cb::request_heap_frame(kib * 1024));
            }
            v.push(ix.clone());
            v
        };
        let top = self.units(&with(256), signers).await?;
        if self.units(&with(32), signers).await.is_ok() {
            return Ok((32, top));
        }
        let (mut lo, mut hi) = (4u32, 32u32); // in units of 8 KiB: 32 KiB fails, 256 KiB works
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if self.units(&with(mid * 8), signers).await.is_ok() { hi = mid } else { lo = mid }
        }
        Ok((hi * 8, top))
    }

    /// Simulates `ixs` and returns the return data (or the error).
    pub async fn simulate(&mut self, ixs: &[Instruction]) -> std::result::Result<Vec<u8>, BanksClientError> {
        let ixs = &with_budget(ixs)[..];
        let bh = self.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let tx = Transaction::new_signed_with_payer(ixs, Some(&self.ctx.payer.pubkey()), &[&self.ctx.payer], bh);
        let sim = self.ctx.banks_client.simulate_transaction(tx).await?;
        if let Some(Err(err)) = sim.result {
            return Err(BanksClientError::SimulationError { err, logs: vec![], units_consumed: 0, return_data: None });
        }
        Ok(sim.simulation_details.and_then(|d| d.return_data).map(|r| r.data).unwrap_or_default())
    }

    /// Simulates `ix` and decodes its return data (read-only instructions; panics on failure).
    pub async fn view<T: anchor_lang::AnchorDeserialize>(&mut self, ix: Instruction) -> T {
        let data = self.simulate(&[ix]).await.expect("instruction succeeded");
        T::deserialize(&mut &data[..]).expect("return data")
    }

    pub async fn fund(&mut self, to: &Pubkey) {
        let ix = solana_system_interface::instruction::transfer(&self.payer(), to, 10_000_000_000);
        self.send(&[ix], &[]).await.unwrap();
    }

    pub async fn account(&mut self, key: &Pubkey) -> Option<Account> {
        self.ctx.banks_client.get_account(*key).await.unwrap()
    }

    pub async fn anchor<T: AccountDeserialize>(&mut self, key: &Pubkey) -> T {
        let a = self.account(key).await.expect("account exists");
        T::try_deserialize(&mut &a.data[..]).unwrap()
    }

    pub async fn margin(&mut self, key: &Pubkey) -> portfolio_margin::state::MarginAccount {
        let a = self.account(key).await.expect("margin account exists");
        *bytemuck::from_bytes(&a.data[8..8 + std::mem::size_of::<portfolio_margin::state::MarginAccount>()])
    }

    /// A zero-copy program account (after its 8-byte discriminator).
    pub async fn zero_copy<T: bytemuck::Pod>(&mut self, key: &Pubkey) -> T {
        let a = self.account(key).await.expect("account exists");
        *bytemuck::from_bytes(&a.data[8..8 + std::mem::size_of::<T>()])
    }

    pub async fn token_balance(&mut self, key: &Pubkey) -> u64 {
        let a = self.account(key).await.expect("token account exists");
        u64::from_le_bytes(a.data[64..72].try_into().unwrap())
    }

    /// A new mint of `token_program` (SPL Token or Token-2022) with `decimals`.
    pub async fn mint(&mut self, token_program: Pubkey, decimals: u8) -> Pubkey {
        let mint = Keypair::new();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let create = solana_system_interface::instruction::create_account(
            &self.payer(),
            &mint.pubkey(),
            rent.minimum_balance(82),
            82,
            &token_program,
        );
        let init = if token_program == spl_token::ID {
            spl_token::instruction::initialize_mint2(&token_program, &mint.pubkey(), &self.payer(), None, decimals)
                .unwrap()
        } else {
            spl_token_2022::instruction::initialize_mint2(&token_program, &mint.pubkey(), &self.payer(), None, decimals)
                .unwrap()
        };
        self.send(&[create, init], &[&mint]).await.unwrap();
        mint.pubkey()
    }

    /// A Token-2022 mint with `extensions`, each initialized before the mint as its issuer
    /// would: the payer is every authority (mint, freeze, permanent delegate, hook, fees) and
    /// a transfer hook names a program that does not exist (nothing transfers in the tests
    /// that use it); `DefaultAccountState` is Frozen.
    pub async fn mint_2022_with(&mut self, decimals: u8, extensions: &[ExtensionType]) -> Pubkey {
        use spl_token_2022::extension::{
            confidential_transfer, default_account_state, metadata_pointer, pausable, transfer_fee, transfer_hook,
        };
        let t22 = spl_token_2022::ID;
        let mint = Keypair::new();
        let (m, payer) = (mint.pubkey(), self.payer());
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let space = ExtensionType::try_calculate_account_len::<spl_token_2022::state::Mint>(extensions).unwrap();
        let mut ixs = vec![solana_system_interface::instruction::create_account(
            &payer,
            &m,
            rent.minimum_balance(space),
            space as u64,
            &t22,
        )];
        for ext in extensions {
            ixs.push(
                match ext {
                    ExtensionType::PermanentDelegate => {
                        spl_token_2022::instruction::initialize_permanent_delegate(&t22, &m, &payer)
                    }
                    ExtensionType::TransferHook => {
                        transfer_hook::instruction::initialize(&t22, &m, Some(payer), Some(Pubkey::new_unique()))
                    }
                    ExtensionType::DefaultAccountState => {
                        default_account_state::instruction::initialize_default_account_state(
                            &t22,
                            &m,
                            &spl_token_2022::state::AccountState::Frozen,
                        )
                    }
                    ExtensionType::Pausable => pausable::instruction::initialize(&t22, &m, &payer),
                    ExtensionType::NonTransferable => {
                        spl_token_2022::instruction::initialize_non_transferable_mint(&t22, &m)
                    }
                    ExtensionType::ConfidentialTransferMint => {
                        confidential_transfer::instruction::initialize_mint(&t22, &m, Some(payer), true, None)
                    }
                    ExtensionType::MetadataPointer => {
                        metadata_pointer::instruction::initialize(&t22, &m, Some(payer), Some(m))
                    }
                    ExtensionType::TransferFeeConfig => transfer_fee::instruction::initialize_transfer_fee_config(
                        &t22,
                        &m,
                        Some(&payer),
                        Some(&payer),
                        100,
                        u64::MAX,
                    ),
                    other => panic!("mint_2022_with: no initializer for {other:?}"),
                }
                .unwrap(),
            );
        }
        ixs.push(spl_token_2022::instruction::initialize_mint2(&t22, &m, &payer, Some(&payer), decimals).unwrap());
        self.send(&ixs, &[&mint]).await.unwrap();
        m
    }

    /// A token account of `owner` holding `amount` freshly minted tokens.
    pub async fn token_account(&mut self, token_program: Pubkey, mint: &Pubkey, owner: &Pubkey, amount: u64) -> Pubkey {
        let acc = Keypair::new();
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        let create = solana_system_interface::instruction::create_account(
            &self.payer(),
            &acc.pubkey(),
            rent.minimum_balance(165),
            165,
            &token_program,
        );
        let (init, mint_to) = if token_program == spl_token::ID {
            (
                spl_token::instruction::initialize_account3(&token_program, &acc.pubkey(), mint, owner).unwrap(),
                spl_token::instruction::mint_to(&token_program, mint, &acc.pubkey(), &self.payer(), &[], amount)
                    .unwrap(),
            )
        } else {
            (
                spl_token_2022::instruction::initialize_account3(&token_program, &acc.pubkey(), mint, owner).unwrap(),
                spl_token_2022::instruction::mint_to(&token_program, mint, &acc.pubkey(), &self.payer(), &[], amount)
                    .unwrap(),
            )
        };
        let mut ixs = vec![create, init];
        if amount > 0 {
            ixs.push(mint_to);
        }
        self.send(&ixs, &[&acc]).await.unwrap();
        acc.pubkey()
    }

    /// A Pyth PriceUpdateV2 account at a fresh address.
    pub fn pyth(&mut self, feed: [u8; 32], price: i64, conf: u64, expo: i32, publish_time: i64, full: bool) -> Pubkey {
        self.pyth_owned_by(pyth_solana_receiver_sdk::ID, feed, price, conf, expo, publish_time, full)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn pyth_owned_by(
        &mut self,
        owner: Pubkey,
        feed: [u8; 32],
        price: i64,
        conf: u64,
        expo: i32,
        publish_time: i64,
        full: bool,
    ) -> Pubkey {
        let key = Pubkey::new_unique();
        self.write_account(key, price_update(feed, price, conf, expo, publish_time, full), owner);
        key
    }

    /// Writes a Pyth price at `key` (a feed account updated in place, as Pyth's push feeds are:
    /// its previous update is the one this account held).
    pub fn pyth_at(&mut self, key: Pubkey, feed: [u8; 32], price: i64, conf: u64, expo: i32, publish_time: i64) {
        let prev = self.published.get(&key).copied().filter(|t| *t < publish_time).unwrap_or(publish_time - 1);
        let data = price_update_after(feed, price, conf, expo, publish_time, prev, true);
        self.published.insert(key, publish_time);
        self.write_account(key, data, pyth_solana_receiver_sdk::ID);
    }

    /// A Pyth price at a fresh address whose feed previously published at `prev_publish_time`
    /// (settlement needs the update that straddles expiry).
    pub fn pyth_after(&mut self, feed: [u8; 32], price: i64, publish_time: i64, prev_publish_time: i64) -> Pubkey {
        let key = Pubkey::new_unique();
        let data = price_update_after(feed, price, 1_000_000, -8, publish_time, prev_publish_time, true);
        self.write_account(key, data, pyth_solana_receiver_sdk::ID);
        key
    }

    /// A fake-but-valid SPL stake pool at a fresh address: issuing `mint`, `total_lamports` /
    /// `supply` lamports per pool token, last updated in `epoch`.
    pub fn stake_pool(&mut self, mint: &Pubkey, total_lamports: u64, supply: u64, epoch: u64) -> Pubkey {
        let key = Pubkey::new_unique();
        self.write_account(key, stake_pool_data(mint, total_lamports, supply, epoch), stake_pool::PROGRAM_ID);
        key
    }

    /// The chain's current epoch.
    pub async fn epoch(&mut self) -> u64 {
        self.ctx.banks_client.get_sysvar::<Clock>().await.unwrap().epoch
    }

    /// Writes an account as is (fake oracles and rate sources; attack fixtures).
    pub fn write_account(&mut self, key: Pubkey, data: Vec<u8>, owner: Pubkey) {
        let acc = Account { lamports: 1_000_000_000, data, owner, executable: false, rent_epoch: 0 };
        self.ctx.set_account(&key, &AccountSharedData::from(acc));
        self.known.insert(key);
    }

    // ---- instructions ----

    pub fn ix<A: ToAccountMetas, D: InstructionData>(accounts: A, data: D) -> Instruction {
        pm_client::ix::ix(accounts, data)
    }

    /// `config_init` signed by `admin` (only the upgrade authority, [`Env::admin`], succeeds).
    pub fn config_init_ix(&self, admin: &Pubkey) -> Instruction {
        pm_client::ix::config_init(
            admin,
            portfolio_margin::instructions::ConfigInitArgs {
                risk_authority: self.risk.pubkey(),
                vol_oracle_authority: self.vol.pubkey(),
                rate: ratio(0.05),
                extreme_weight: ratio(0.35),
            },
        )
    }

    pub async fn init_config(&mut self) -> std::result::Result<(), BanksClientError> {
        let admin = self.admin.insecure_clone();
        let ix = self.config_init_ix(&admin.pubkey());
        self.send(&[ix], &[&admin]).await
    }

    /// `config_propose_authority(role, new)` signed by `authority`.
    pub fn propose_authority_ix(authority: &Pubkey, role: u8, new: Pubkey) -> Instruction {
        pm_client::ix::config_propose_authority(authority, role, new)
    }

    /// `config_accept_authority(role)` signed by `new_authority`.
    pub fn accept_authority_ix(new_authority: &Pubkey, role: u8) -> Instruction {
        pm_client::ix::config_accept_authority(new_authority, role)
    }

    pub async fn register(
        &mut self,
        mint: &Pubkey,
        token_program: Pubkey,
        params: CollateralParams,
        signer: &Keypair,
    ) -> std::result::Result<(), BanksClientError> {
        let ix =
            pm_client::ix::collateral_register(mint, token_program, params, &signer.pubkey(), &self.payer(), vec![]);
        self.send(&[ix], &[signer]).await
    }

    pub async fn open(&mut self, owner: &Keypair, sub_id: u16) -> std::result::Result<Pubkey, BanksClientError> {
        let ix = pm_client::ix::account_open(&owner.pubkey(), sub_id, &self.payer());
        self.send(&[ix], &[owner]).await.map(|_| margin_pda(&owner.pubkey(), sub_id))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn deposit_ix(
        &self,
        margin: Pubkey,
        mint: Pubkey,
        vault: Pubkey,
        source: Pubkey,
        depositor: Pubkey,
        token_program: Pubkey,
        amount: u64,
    ) -> Instruction {
        pm_client::ix::deposit(&margin, &mint, &vault, &source, &depositor, token_program, amount)
    }

    /// Mints `amount` of `mint` into a new wallet of `owner` and deposits it all into `margin`
    /// (any margin account, the insurance fund's too). Returns the wallet.
    pub async fn deposit_new_tokens(
        &mut self,
        token_program: Pubkey,
        mint: Pubkey,
        margin: Pubkey,
        owner: &Keypair,
        amount: u64,
    ) -> Pubkey {
        let wallet = self.token_account(token_program, &mint, &owner.pubkey(), amount).await;
        if amount > 0 {
            let ix = self.deposit_ix(margin, mint, vault_pda(&mint), wallet, owner.pubkey(), token_program, amount);
            self.send(&[ix], &[owner]).await.unwrap();
        }
        wallet
    }

    /// Withdraw with the remaining accounts (asset, oracle) per balance of the account.
    #[allow(clippy::too_many_arguments)]
    pub fn withdraw_ix(
        &self,
        margin: Pubkey,
        mint: Pubkey,
        destination: Pubkey,
        owner: Pubkey,
        token_program: Pubkey,
        amount: u64,
        oracles: &[(Pubkey, Pubkey)],
    ) -> Instruction {
        use anchor_lang::solana_program::instruction::AccountMeta;
        // (asset, oracle) pairs, as the suites have always passed them.
        let remaining = oracles
            .iter()
            .flat_map(|(a, o)| [AccountMeta::new_readonly(*a, false), AccountMeta::new_readonly(*o, false)]);
        pm_client::ix::withdraw(&margin, &mint, &destination, &owner, token_program, amount, remaining.collect())
    }
}

/// A transaction's size on the wire: legacy, and v0 with every account that is neither a
/// signer nor a program in one address lookup table (what a client or the keeper sends).
pub fn wire_sizes(ixs: &[Instruction], payer: &Pubkey) -> (usize, usize) {
    use solana_message::{AddressLookupTableAccount, VersionedMessage, v0};
    let legacy = Transaction::new_with_payer(ixs, Some(payer));
    let sigs = legacy.message.header.num_required_signatures as usize;
    let legacy_size = 1 + 64 * sigs + legacy.message.serialize().len();
    let mut addresses: Vec<Pubkey> = vec![];
    for ix in ixs {
        for a in &ix.accounts {
            let program = ixs.iter().any(|i| i.program_id == a.pubkey);
            if !a.is_signer && !program && !addresses.contains(&a.pubkey) {
                addresses.push(a.pubkey);
            }
        }
    }
    let table = AddressLookupTableAccount { key: Pubkey::new_unique(), addresses };
    let msg = v0::Message::try_compile(payer, ixs, &[table], solana_hash::Hash::default()).expect("v0 compiles");
    let v0_size = 1 + 64 * sigs + VersionedMessage::V0(msg).serialize().len();
    (legacy_size, v0_size)
}

/// Distinct accounts a transaction of `ixs` locks (the runtime's limit is 64).
pub fn account_count(ixs: &[Instruction], payer: &Pubkey) -> usize {
    let mut keys = vec![*payer];
    for ix in ixs {
        for k in std::iter::once(&ix.program_id).chain(ix.accounts.iter().map(|a| &a.pubkey)) {
            if !keys.contains(k) {
                keys.push(*k);
            }
        }
    }
    keys.len()
}
