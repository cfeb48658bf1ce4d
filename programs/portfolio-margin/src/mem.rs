//! `memcpy`, `memmove` and `memset` through the runtime's syscalls on SBF.
//!
//! Copies longer than a few words compile to calls of these symbols, which `build-std`'s
//! `compiler-builtins-mem` implements as loops of loads and stores in the VM: ~5 instructions
//! per 8 bytes, so copying one 32-scenario risk cache (864 bytes) cost ~540 CU, and a margin
//! check copies them several times. The syscalls cost a base of 10 CU plus 1 per 250 bytes
//! (agave's `mem_op_base_cost`, `cpi_bytes_per_unit`). These strong definitions replace the
//! builtins' (which are weak). Measured on the 32-position `margin_report`: README, "The
//! program on a real SBF VM".
#![cfg(target_os = "solana")]
use anchor_lang::solana_program::program_memory::syscalls::{sol_memcpy_, sol_memmove_, sol_memset_};

/// # Safety
/// C's `memcpy`: `n` bytes, `src` and `dst` valid and either equal or not overlapping (LLVM
/// may copy a value onto itself; the syscall refuses any overlap, so that case returns).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if n != 0 && dst as *const u8 != src {
        // SAFETY: the caller's contract above, which is the syscall's.
        unsafe { sol_memcpy_(dst, src, n as u64) };
    }
    dst
}

/// # Safety
/// C's `memmove`: `n` bytes, `src` and `dst` valid; they may overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if n != 0 {
        // SAFETY: the caller's contract above, which is the syscall's.
        unsafe { sol_memmove_(dst, src, n as u64) };
    }
    dst
}

/// # Safety
/// C's `memset`: `n` bytes at `s` valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(s: *mut u8, c: i32, n: usize) -> *mut u8 {
    if n != 0 {
        // SAFETY: the caller's contract above, which is the syscall's.
        unsafe { sol_memset_(s, c as u8, n as u64) };
    }
    s
}
