//! Native-mode plumbing for solana-program-test 4.2 with anchor-lang 1.2 (solana-v3).
//!
//! program-test installs its syscall stubs (sysvars, CPI, return data) into solana-sysvar 4.x,
//! but anchor-lang's solana-v3 reads sysvars through solana-sysvar 3.x: without a bridge,
//! `init` fails with UnsupportedSysvar and CPIs silently do nothing. After the test context
//! starts, [`install`] takes program-test's stubs and serves both versions from them.
use anchor_lang::prelude::*;
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::instruction::Instruction;
use std::sync::Arc;

type V4Stubs = Arc<Box<dyn solana_sysvar_v4::program_stubs::SyscallStubs>>;

macro_rules! forward_stubs {
    () => {
        fn sol_get_clock_sysvar(&self, a: *mut u8) -> u64 {
            self.0.sol_get_clock_sysvar(a)
        }
        fn sol_get_rent_sysvar(&self, a: *mut u8) -> u64 {
            self.0.sol_get_rent_sysvar(a)
        }
        fn sol_get_epoch_schedule_sysvar(&self, a: *mut u8) -> u64 {
            self.0.sol_get_epoch_schedule_sysvar(a)
        }
        fn sol_get_sysvar(&self, id: *const u8, a: *mut u8, offset: u64, len: u64) -> u64 {
            self.0.sol_get_sysvar(id, a, offset, len)
        }
        fn sol_invoke_signed(&self, ix: &Instruction, infos: &[AccountInfo], seeds: &[&[&[u8]]]) -> ProgramResult {
            self.0.sol_invoke_signed(ix, infos, seeds)
        }
        fn sol_log(&self, m: &str) {
            self.0.sol_log(m)
        }
        fn sol_log_data(&self, d: &[&[u8]]) {
            self.0.sol_log_data(d)
        }
        fn sol_get_stack_height(&self) -> u64 {
            self.0.sol_get_stack_height()
        }
        fn sol_set_return_data(&self, d: &[u8]) {
            self.0.sol_set_return_data(d)
        }
        fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
            self.0.sol_get_return_data()
        }
    };
}

struct ToV3(V4Stubs);
impl solana_sysvar::program_stubs::SyscallStubs for ToV3 {
    forward_stubs!();
}

struct BackToV4(V4Stubs);
impl solana_sysvar_v4::program_stubs::SyscallStubs for BackToV4 {
    forward_stubs!();
}

struct Placeholder;
impl solana_sysvar_v4::program_stubs::SyscallStubs for Placeholder {}

/// Call once after `ProgramTest::start_with_context`.
pub fn install() {
    let program_test_stubs: V4Stubs =
        Arc::new(solana_sysvar_v4::program_stubs::set_syscall_stubs(Box::new(Placeholder)));
    solana_sysvar_v4::program_stubs::set_syscall_stubs(Box::new(BackToV4(program_test_stubs.clone())));
    solana_sysvar::program_stubs::set_syscall_stubs(Box::new(ToV3(program_test_stubs)));
}

/// Anchor's `entry` ties every argument to one `'info`; program-test's processor type is
/// higher-ranked over each lifetime separately. The lifetimes are erased at run time.
pub fn entry<'a, 'b, 'c, 'd>(program_id: &'a Pubkey, accounts: &'b [AccountInfo<'c>], data: &'d [u8]) -> ProgramResult {
    // SAFETY: only lifetimes change; every reference lives for the whole call.
    let (program_id, accounts, data) = unsafe {
        (
            std::mem::transmute::<&'a Pubkey, &'c Pubkey>(program_id),
            std::mem::transmute::<&'b [AccountInfo<'c>], &'c [AccountInfo<'c>]>(accounts),
            std::mem::transmute::<&'d [u8], &'c [u8]>(data),
        )
    };
    portfolio_margin::entry(program_id, accounts, data)
}
