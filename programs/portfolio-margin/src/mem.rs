//! `memcpy`, `memmove` and `memset` through the runtime's syscalls on SBF.
//!
//! Copies longer than a few words compile to calls of these symbols, which `build-std`'s
//! `compiler-builtins-mem` implements as loops of loads and stores in the VM: ~5 instructions
//! per 8 bytes, so copying one 32-scenario risk cache (864 bytes) cost ~540 CU, and a margin
//! check copies them several times. The syscalls cost a base of 10 CU plus 1 per 250 bytes
//! (agave's `mem_op_base_cost`, `cpi_bytes_per_unit`). These strong definitions replace the
//! builtins' (which are weak). Measured on the 32-position `margin_report`: README, "The
//! program on a real SBF VM".
//!
//! A copy of a value under ~1 KB (at most 128 stores) is not a call at all: LLVM's BPF backend
//! writes it inline, 2 instructions per word. A risk cache (880 bytes) then costs ~220 CU per
//! copy, and a plain `vec.push(*risk)` copies it more than once (measured: ~640 CU per position
//! of a margin check). [`push_copy`] and [`push_risk_image`] make it one syscall.
use crate::error::PmError;
#[cfg(target_os = "solana")]
use anchor_lang::solana_program::program_memory::syscalls::{sol_memcpy_, sol_memmove_, sol_memset_};
use risk_kernel::instrument::InstrumentRisk;

/// Copies `n` bytes with the runtime's syscall on SBF.
/// # Safety
/// `src` valid for `n` reads, `dst` for `n` writes, not overlapping.
#[inline(always)]
unsafe fn copy_bytes(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: the caller's contract above, which is both the syscall's and the intrinsic's.
    #[cfg(target_os = "solana")]
    unsafe {
        sol_memcpy_(dst, src, n as u64)
    };
    #[cfg(not(target_os = "solana"))]
    unsafe {
        core::ptr::copy_nonoverlapping(src, dst, n)
    };
}

/// `vec.push(*v)` with one copy.
pub fn push_copy<T: Copy>(vec: &mut Vec<T>, v: &T) {
    vec.reserve(1);
    let len = vec.len();
    // SAFETY: `reserve(1)` leaves room for element `len`; the bytes of a valid `T: Copy` make a
    // valid `T`, and a `Vec`'s spare capacity never overlaps a borrowed `v`.
    unsafe {
        copy_bytes(vec.as_mut_ptr().add(len).cast::<u8>(), (v as *const T).cast::<u8>(), size_of::<T>());
        vec.set_len(len + 1);
    }
}

/// Appends the risk cache whose stored image starts `image` (one copy: the kernel's value is
/// laid out as its image), checked in place; returns its index.
pub fn push_risk_image(vec: &mut Vec<InstrumentRisk>, image: &[u8]) -> Result<u16, PmError> {
    let image = image.get(..size_of::<InstrumentRisk>()).ok_or(PmError::AccountCorrupt)?;
    let at = vec.len();
    let index = u16::try_from(at).map_err(|_| PmError::Overflow)?;
    vec.reserve(1);
    // SAFETY: room for element `at` (reserved); `image` holds `size_of::<InstrumentRisk>()`
    // bytes (sliced above) of account data, which cannot overlap the heap. `InstrumentRisk`
    // is `repr(C)` of integers only, with no padding (asserted in the kernel): any bytes are a
    // value, and `check` below refuses one the kernel could not have written.
    unsafe {
        copy_bytes(vec.as_mut_ptr().add(at).cast::<u8>(), image.as_ptr(), image.len());
        vec.set_len(at + 1);
    }
    if let Err(e) = vec[at].check() {
        vec.pop();
        return Err(e.into());
    }
    Ok(index)
}

/// # Safety
/// C's `memcpy`: `n` bytes, `src` and `dst` valid and either equal or not overlapping (LLVM
/// may copy a value onto itself; the syscall refuses any overlap, so that case returns).
#[cfg(target_os = "solana")]
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
#[cfg(target_os = "solana")]
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
#[cfg(target_os = "solana")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(s: *mut u8, c: i32, n: usize) -> *mut u8 {
    if n != 0 {
        // SAFETY: the caller's contract above, which is the syscall's.
        unsafe { sol_memset_(s, c as u8, n as u64) };
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(r: &InstrumentRisk) -> Vec<u8> {
        r.to_words().iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    #[test]
    fn a_risk_image_reads_back_at_any_alignment_and_a_bad_one_leaves_nothing() {
        let mut r = InstrumentRisk::from_words(&[0; risk_kernel::instrument::RISK_WORDS]).unwrap();
        r.len = 3;
        r.fair = risk_kernel::Price::from_raw(-12345);
        let mut v = Vec::new();
        for shift in 0..3 {
            let mut bytes = vec![0u8; shift];
            bytes.extend(image(&r));
            assert_eq!(push_risk_image(&mut v, &bytes[shift..]).ok(), Some(shift as u16));
            assert_eq!(v[shift], r);
        }
        let mut bad = image(&r);
        bad[0] = 33; // a length over the kernel's capacity
        assert!(push_risk_image(&mut v, &bad).is_err());
        assert!(push_risk_image(&mut v, &image(&r)[1..]).is_err()); // too short
        assert_eq!(v.len(), 3);
        push_copy(&mut v, &r.clone());
        assert_eq!(v[3], r);
    }
}
