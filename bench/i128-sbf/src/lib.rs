//! A tiny SBF program that runs the operations of [`ops`] on the inputs of its instruction data
//! and returns the results as return data. It exists to test, in the SVM, what the project's SBF
//! toolchain (scripts/sbf-toolchain.sh, scripts/sbf/) does to 128-bit arithmetic and to calls
//! with more than 5 argument registers: bench/cu-runner/tests/i128_sbf.rs compares every result
//! bit for bit with the same code compiled natively on the host.
//!
//! Built with std (like the program), by `scripts/sbf-toolchain.sh i128` -> target/sbf/i128_sbf.so.

pub mod ops;

#[cfg(target_os = "solana")]
mod program {
    use crate::ops;
    use solana_define_syscall::definitions::sol_set_return_data;

    /// The loader's serialized input, with no accounts: u64 account count (0), u64 instruction
    /// data length, the data, the program id. Returns 0 or a custom error code.
    ///
    /// # Safety
    /// Called by the VM with its input region.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn entrypoint(input: *mut u8) -> u64 {
        // SAFETY: the VM's input region has this layout.
        let (accounts, len) =
            unsafe { ((input as *const u64).read_unaligned(), (input.add(8) as *const u64).read_unaligned()) };
        if accounts != 0 {
            return ops::ERR_INPUT as u64;
        }
        // SAFETY: `len` bytes of instruction data follow.
        let data = unsafe { core::slice::from_raw_parts(input.add(16), len as usize) };
        let mut out = [0u8; ops::MAX_OUT];
        match ops::run(data, &mut out) {
            Ok(n) => {
                // SAFETY: a valid slice.
                unsafe { sol_set_return_data(out.as_ptr(), n as u64) };
                0
            }
            Err(code) => code as u64,
        }
    }
}
