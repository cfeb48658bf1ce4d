//! # kernel-wasm
//!
//! The risk kernel for browsers and Node: `pm risk` and its tools as WebAssembly
//! (`wasm32-unknown-unknown`, built by `scripts/wasm-build.sh`), wrapped by the TypeScript SDK
//! (`app/sdk/src/kernel/`).
//!
//! ## ABI (version 1)
//!
//! Plain `extern "C"` exports over linear memory; no imports, no wasm-bindgen. Every request
//! and answer is UTF-8 JSON text:
//!
//! 1. `pm_alloc(len) -> ptr`: `len` bytes for the request (`pm_alloc(0)` is a valid, empty
//!    buffer). The host writes the request there.
//! 2. `pm_<entry>(ptr, len) -> status`: runs an entry point. The entry takes the buffer back
//!    (the host never frees it). `status` 0: the answer is JSON; 1: it is an error message,
//!    naming the field at fault as `pm` does (`positions[0].underlying: unknown underlying ...`).
//! 3. `pm_output_ptr() -> ptr`, `pm_output_len() -> len`: the answer's bytes, valid until the
//!    next call into the module.
//!
//! `pm_free(ptr, len)` returns a buffer from `pm_alloc` that is not passed to an entry.
//! `pm_abi_version()` is 1. Pointers and lengths are wasm32 `i32` (read unsigned).
//!
//! | entry | request | answer |
//! |---|---|---|
//! | `pm_risk` | a portfolio file (README, "Portfolio file") | `pm risk`'s report, the very same text as `pm risk` prints (without its newline) |
//! | `pm_what_if` | `{"portfolio", "trades"?, "transfers"?, "pay_with"?}` | `{"before", "after"}` reports, `trades`, `transfers` |
//! | `pm_liquidation_prices` | `{"portfolio"}` | per underlying `{name, spot, down, up}`, `liquidatable_now`, `summary` |
//! | `pm_max_trade` | `{"portfolio", "trade", "side": "buy"\|"sell", "pay_with"?}` | `{lots, price, limited_by, before, after}` |
//!
//! The semantics are `pm_portfolio::tools`'. A trap (`unreachable`) would be a bug: the kernel
//! returns errors, it does not panic.
//!
//! Why JSON over linear memory and not a binary layout or wasm-bindgen: the request is the
//! portfolio file `pm` reads, converted by the same code (`pm-portfolio`), and the answer is
//! printed by the same serializer, so "same numbers as `pm risk`" holds by construction down to
//! the bytes; a binary struct layout would need a second, hand-kept encoder in TypeScript.
//! wasm-bindgen would add a CLI and JS glue that must match its crate version, for what four
//! exported functions and two pointers do.
use std::sync::Mutex;

/// The last answer (JSON or an error message).
static OUTPUT: Mutex<Vec<u8>> = Mutex::new(Vec::new());

fn set_output(bytes: Vec<u8>) {
    *OUTPUT.lock().unwrap_or_else(|e| e.into_inner()) = bytes;
}

/// A buffer of `len` bytes the host writes a request into.
#[unsafe(no_mangle)]
pub extern "C" fn pm_alloc(len: usize) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(len.max(1));
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

/// Returns a buffer from [`pm_alloc`] that was not handed to an entry point.
///
/// # Safety
/// `ptr` and `len` are exactly what `pm_alloc(len)` gave, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pm_free(ptr: *mut u8, len: usize) {
    // SAFETY: the caller's contract: a live allocation of capacity len.max(1).
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len.max(1)) });
}

#[unsafe(no_mangle)]
pub extern "C" fn pm_abi_version() -> u32 {
    1
}

#[unsafe(no_mangle)]
pub extern "C" fn pm_output_ptr() -> *const u8 {
    OUTPUT.lock().unwrap_or_else(|e| e.into_inner()).as_ptr()
}

#[unsafe(no_mangle)]
pub extern "C" fn pm_output_len() -> usize {
    OUTPUT.lock().unwrap_or_else(|e| e.into_inner()).len()
}

/// Takes the request buffer back, runs `f` on its text, stores the answer; the status.
///
/// # Safety
/// `ptr`/`len` come from `pm_alloc(len)`, written by the host, not freed.
unsafe fn run(ptr: *mut u8, len: usize, f: fn(&str) -> Result<serde_json::Value, String>) -> u32 {
    // SAFETY: the caller's contract; the buffer is ours again from here on.
    let input = unsafe { Vec::from_raw_parts(ptr, len, len.max(1)) };
    let answer = match std::str::from_utf8(&input) {
        Err(e) => Err(format!("request is not UTF-8: {e}")),
        Ok(text) => f(text).and_then(|v| serde_json::to_string(&v).map_err(|e| e.to_string())),
    };
    match answer {
        Ok(json) => {
            set_output(json.into_bytes());
            0
        }
        Err(msg) => {
            set_output(msg.into_bytes());
            1
        }
    }
}

/// `pm risk`: a portfolio file's margin report.
///
/// # Safety
/// `ptr`/`len` from `pm_alloc(len)`; the buffer is consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pm_risk(ptr: *mut u8, len: usize) -> u32 {
    unsafe { run(ptr, len, pm_portfolio::risk) }
}

/// Proposed trades and transfers: the report before and after.
///
/// # Safety
/// `ptr`/`len` from `pm_alloc(len)`; the buffer is consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pm_what_if(ptr: *mut u8, len: usize) -> u32 {
    unsafe { run(ptr, len, pm_portfolio::tools::what_if) }
}

/// Liquidation price per underlying (below and above spot).
///
/// # Safety
/// `ptr`/`len` from `pm_alloc(len)`; the buffer is consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pm_liquidation_prices(ptr: *mut u8, len: usize) -> u32 {
    unsafe { run(ptr, len, pm_portfolio::tools::liquidation_prices) }
}

/// The largest size of a trade within initial margin.
///
/// # Safety
/// `ptr`/`len` from `pm_alloc(len)`; the buffer is consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pm_max_trade(ptr: *mut u8, len: usize) -> u32 {
    unsafe { run(ptr, len, pm_portfolio::tools::max_trade) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(entry: unsafe extern "C" fn(*mut u8, usize) -> u32, req: &str) -> (u32, String) {
        let p = pm_alloc(req.len());
        // SAFETY: p has room for req.len() bytes; the entry consumes it.
        let status = unsafe {
            std::ptr::copy_nonoverlapping(req.as_ptr(), p, req.len());
            entry(p, req.len())
        };
        // SAFETY: the output buffer is live until the next call.
        let out = unsafe { std::slice::from_raw_parts(pm_output_ptr(), pm_output_len()) };
        (status, String::from_utf8(out.to_vec()).unwrap())
    }

    #[test]
    fn exports_answer_as_the_shared_code() {
        let pf = include_str!("../../../examples/portfolio.json");
        let (s, out) = call(pm_risk, pf);
        assert_eq!(s, 0, "{out}");
        assert_eq!(out, serde_json::to_string(&pm_portfolio::risk(pf).unwrap()).unwrap());
        let (s, out) = call(
            pm_risk,
            r#"{"underlyings": [{"name": "ETH", "spot": 1, "atm_vol": 0.5}], "positions": [{"underlying": "BTC", "type": "perp", "lots": 1}]}"#,
        );
        assert_eq!((s, out.as_str()), (1, "positions[0].underlying: unknown underlying \"BTC\" (known: ETH)"));
        let (s, _) = call(pm_risk, "");
        assert_eq!(s, 1);
        // SAFETY: a buffer from pm_alloc, freed once.
        unsafe { pm_free(pm_alloc(16), 16) };
    }
}
