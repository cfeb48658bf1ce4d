//! Entrypoint, panic handler and memory builtins: SBF only.

use core::hint::black_box;
use core::mem::{MaybeUninit, align_of, size_of};

use pinocchio::error::ProgramError;
use pinocchio::{AccountView, Address, ProgramResult, no_allocator, nostd_panic_handler, program_entrypoint};
use risk_kernel::black_scholes::{Prepared, greeks};
use risk_kernel::instrument::{InstrumentRisk, instrument_risk};
use risk_kernel::margin::{MarginReport, Portfolio, margin_from_risk_into, margin_full_into};
use risk_kernel::scenario::{ScenarioGrid, Shocks};
use risk_kernel::{KernelError, Ratio, collateral, math};

use crate::fixture::{self, Fixture};
use crate::*;

// At most one account (the risk arrays): keeps the entrypoint's account array small.
program_entrypoint!(process_instruction, 1);
no_allocator!();
nostd_panic_handler!();

// Read in place from account bytes and returned as raw bytes: 8-byte integers only.
const _: () = assert!(align_of::<InstrumentRisk>() == 8 && size_of::<InstrumentRisk>() % 8 == 0);
const _: () = assert!(size_of::<InstrumentRisk>() <= 1024); // the return-data limit

fn kernel(e: KernelError) -> ProgramError {
    ProgramError::Custom(error_code(&e))
}

fn set_return_data(bytes: &[u8]) {
    // SAFETY: a valid slice.
    unsafe { pinocchio::syscalls::sol_set_return_data(bytes.as_ptr(), bytes.len() as u64) };
}

fn return_i64s<const N: usize>(vals: [i64; N]) {
    // SAFETY: [i64; N] has no padding; SBF is little endian.
    set_return_data(unsafe { core::slice::from_raw_parts(vals.as_ptr() as *const u8, N * 8) });
}

/// The raw bytes of a `repr(C)` value made of 8-byte integers only.
fn return_raw<T: Copy>(v: &T) {
    // SAFETY: callers pass `Greeks` / `InstrumentRisk`: repr(C), all i64/u64, no padding.
    set_return_data(unsafe { core::slice::from_raw_parts(v as *const T as *const u8, size_of::<T>()) });
}

fn arg_i64(args: &[u8], i: usize) -> Result<i64, ProgramError> {
    let b = args.get(i * 8..i * 8 + 8).ok_or(ProgramError::InvalidInstructionData)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(i64::from_le_bytes(a))
}

fn arg_u8(args: &[u8], i: usize) -> Result<usize, ProgramError> {
    args.get(i).map(|&b| b as usize).ok_or(ProgramError::InvalidInstructionData)
}

pub fn process_instruction(_program_id: &Address, accounts: &mut [AccountView], data: &[u8]) -> ProgramResult {
    let (&op, args) = data.split_first().ok_or(ProgramError::InvalidInstructionData)?;
    match op {
        OP_NOOP => Ok(()),
        OP_GREEKS => op_greeks(),
        OP_SCENARIO => op_scenario(args),
        OP_RISK_ARRAY => op_risk_array(),
        OP_MARGIN_FROM_RISK => op_margin(Some(accounts), args),
        OP_MARGIN_FULL => op_margin(None, args),
        OP_PROFILE => op_profile(args),
        _ => Err(ProgramError::InvalidInstructionData),
    }
}

#[inline(never)]
fn op_greeks() -> ProgramResult {
    // black_box: inputs the compiler cannot see, as if read from an account.
    let g = greeks(&black_box(fixture::option_inputs())).map_err(kernel)?;
    return_raw(&g);
    Ok(())
}

#[inline(never)]
fn op_scenario(args: &[u8]) -> ProgramResult {
    let k = arg_u8(args, 0)?;
    let v = scenarios_value(&black_box(fixture::option_instrument()), &black_box(fixture::underlying(0)), k)
        .map_err(kernel)?;
    return_i64s([v]);
    Ok(())
}

/// The benchmark option valued in the first `k` maintenance scenarios of the default grid,
/// after its setup (shocks, `Prepared::new`, ln S/K, vol terms per level). The difference of
/// two k is the per-scenario cost of full revaluation.
#[inline(never)]
fn scenarios_value(
    inst: &risk_kernel::instrument::Instrument,
    u: &risk_kernel::margin::Underlying,
    k: usize,
) -> risk_kernel::Result<i64> {
    let (_, (mm, _)) = heap_shocks(u)?;
    fixture::scenario_sum(inst, &u.market, mm, k)
}

#[inline(never)]
fn op_risk_array() -> ProgramResult {
    let r = risk_array(&black_box(fixture::option_instrument()), &black_box(fixture::underlying(0))).map_err(kernel)?;
    return_raw(&r);
    Ok(())
}

#[inline(never)]
fn risk_array(
    inst: &risk_kernel::instrument::Instrument,
    u: &risk_kernel::margin::Underlying,
) -> risk_kernel::Result<InstrumentRisk> {
    let (_, (mm, im)) = heap_shocks(u)?;
    instrument_risk(inst, &u.market, mm, im)
}

/// The fixture lives in the heap: at ~3.6 KB it would nearly fill a 4 KiB stack frame.
fn heap_fixture(n_positions: usize, n_groups: usize) -> Result<&'static mut Fixture, ProgramError> {
    // SAFETY: the only heap allocation of the program, at offset 0; MaybeUninit needs no
    // particular bit pattern.
    let slot = unsafe { allocate_unchecked::<MaybeUninit<Fixture>>(0) };
    fixture::fill(slot, n_positions, n_groups).map_err(kernel)
}

#[inline(never)]
fn op_margin(accounts: Option<&mut [AccountView]>, args: &[u8]) -> ProgramResult {
    let (n, groups) = (arg_u8(args, 0)?, arg_u8(args, 1)?);
    let f = heap_fixture(n, groups)?;
    // A third argument 1: SPAN's 16-point grid instead of the default (the per-scenario cost).
    if args.get(2) == Some(&1) {
        use_span_grid(f)?;
    }
    let p = f.as_portfolio();
    let vals = match accounts {
        None => margin_values(&p, None),
        Some(accounts) => {
            let acc = accounts.first().ok_or(ProgramError::NotEnoughAccountKeys)?;
            let data = acc.try_borrow()?;
            let bytes = n * size_of::<InstrumentRisk>();
            if data.len() < bytes || data.as_ptr() as usize % align_of::<InstrumentRisk>() != 0 {
                return Err(ProgramError::InvalidAccountData);
            }
            // SAFETY: in bounds and aligned (checked above); InstrumentRisk is repr(C) of
            // 8-byte integers, so every bit pattern is a valid value; `data` outlives it.
            let risk = unsafe { core::slice::from_raw_parts(data.as_ptr() as *const InstrumentRisk, n) };
            margin_values(&p, Some(risk))
        }
    }
    .map_err(kernel)?;
    return_i64s(vals);
    Ok(())
}

/// SPAN's 16 points written into the fixture's grid in place (a grid by value is ~1.5 KB).
#[inline(never)]
fn use_span_grid(f: &mut Fixture) -> ProgramResult {
    let regular = risk_kernel::scenario::ScenarioGrid::regular().map_err(kernel)?;
    let extreme = |m: i64| -> Result<risk_kernel::scenario::Scenario, ProgramError> {
        Ok(risk_kernel::scenario::Scenario {
            price_scan: Ratio::from_int(m).map_err(kernel)?,
            weight: Ratio::from_ratio(35, 100, risk_kernel::Round::Down).map_err(kernel)?,
            ..Default::default()
        })
    };
    let (down, up) = (extreme(-2)?, extreme(2)?);
    f.grid.refill_validated(regular.iter().copied().chain([down, up]), 0).map_err(kernel)
}

/// Its own frame: the ~2.7 KB MarginReport stays out of the caller's.
#[inline(never)]
fn margin_values(p: &Portfolio, risk: Option<&[InstrumentRisk]>) -> risk_kernel::Result<[i64; 3]> {
    // The report lives in the heap right after the fixture (~2.7 KB: over a frame beside the
    // kernel's own).
    // SAFETY: past the fixture (the only other allocation, at offset 0), written before read.
    let at = size_of::<Fixture>().next_multiple_of(16);
    let r = unsafe { allocate_unchecked::<MaybeUninit<MarginReport>>(at) }.write(MarginReport::EMPTY);
    match risk {
        Some(risk) => margin_from_risk_into(p, risk, r)?,
        None => margin_full_into(p, r)?,
    };
    Ok([r.equity.raw(), r.maintenance.raw(), r.initial.raw()])
}

/// Both levels' shocks of one group, built as `margin` builds them. Grid and shocks live in the
/// heap (the only allocation of this operation): together they exceed a 4 KiB frame.
#[inline(never)]
fn profile_shocks() -> Result<i64, ProgramError> {
    let u = black_box(fixture::underlying(0));
    let (_, sh) = heap_shocks(&u).map_err(kernel)?;
    Ok(sh.0.spot[0].raw() ^ sh.1.spot[sh.0.len - 1].raw())
}

/// The default grid and one group's shocks at both levels, in the heap (the only allocations of
/// the operations that use them, at offset 0): together ~4 KB, over a 4 KiB SBF frame.
#[inline(never)]
fn heap_shocks(
    u: &risk_kernel::margin::Underlying,
) -> risk_kernel::Result<(&'static ScenarioGrid, &'static (Shocks, Shocks))> {
    // SAFETY: both are written before being read; they do not overlap (the grid starts past the
    // shocks, 16-byte aligned).
    let sh = unsafe { allocate_unchecked::<MaybeUninit<(Shocks, Shocks)>>(0) };
    let grid_at = size_of::<(Shocks, Shocks)>().next_multiple_of(16);
    let grid = unsafe { allocate_unchecked::<MaybeUninit<ScenarioGrid>>(grid_at) };
    let grid = grid.write(fixture::grid()?);
    let sh = sh.write((Shocks::blank(), Shocks::blank()));
    fixture::shocks_into(sh, grid, u)?;
    Ok((grid, sh))
}

#[inline(never)]
fn op_profile(args: &[u8]) -> ProgramResult {
    let (&what, args) = args.split_first().ok_or(ProgramError::InvalidInstructionData)?;
    let x = black_box(Ratio::from_raw(0x1_6a09_e667_f3bc)); // ~1.414, opaque
    let v: i64 = match what {
        PROFILE_FIXTURE => {
            let f = heap_fixture(arg_u8(args, 0)?, arg_u8(args, 1)?)?;
            f.positions[0].lots ^ f.n_positions as i64
        }
        PROFILE_SHOCKS => profile_shocks()?,
        PROFILE_PREPARE => {
            let inst = black_box(fixture::option_instrument());
            let mkt = black_box(fixture::underlying(0).market);
            let opt = Prepared::new(risk_kernel::black_scholes::OptionKind::Call, inst.strike, inst.expiry, mkt.rate)
                .map_err(kernel)?;
            opt.log_moneyness(mkt.spot).map_err(kernel)?.raw() ^ opt.kd.raw()
        }
        PROFILE_VALUE => {
            let inst = black_box(fixture::option_instrument());
            let mkt = black_box(fixture::underlying(0).market);
            let opt = Prepared::new(risk_kernel::black_scholes::OptionKind::Call, inst.strike, inst.expiry, mkt.rate)
                .map_err(kernel)?;
            let x0 = opt.log_moneyness(mkt.spot).map_err(kernel)?;
            opt.value(mkt.spot, x0, inst.vol).map_err(kernel)?.raw()
        }
        PROFILE_NPDF => math::npdf(x).raw(),
        PROFILE_LN => math::ln(x).map_err(kernel)?.raw(),
        PROFILE_EXP => math::exp(x).map_err(kernel)?.raw(),
        PROFILE_SQRT => math::sqrt(x).map_err(kernel)?.raw(),
        PROFILE_NCDF => math::ncdf(x).raw(),
        PROFILE_COLLATERAL => {
            let cs = black_box(fixture::collateral(arg_u8(args, 0)?.clamp(1, 4)));
            let mut acc = 0i64;
            for c in &cs {
                acc ^= collateral::value(c).map_err(kernel)?.maintenance.raw();
            }
            acc
        }
        PROFILE_POSITION_RISK => {
            let (i, groups) = (arg_u8(args, 0)?, arg_u8(args, 1)?);
            if groups == 0 || groups > 4 || i >= 32 {
                return Err(ProgramError::InvalidInstructionData);
            }
            let pos = fixture::position(i, groups).map_err(kernel)?;
            let u = black_box(fixture::underlying(pos.group as usize));
            risk_array(&pos.instrument, &u).map_err(kernel)?.mark.raw()
        }
        _ => return Err(ProgramError::InvalidInstructionData),
    };
    return_i64s([v]);
    Ok(())
}

// Memory builtins over the SVM syscalls: LLVM emits calls to these for large copies and
// fills, and this build (no platform-tools) has no compiler-builtins implementation of them.
mod builtins {
    use pinocchio::syscalls::{sol_memcmp_, sol_memcpy_, sol_memmove_, sol_memset_};

    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn memcpy(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
        unsafe { sol_memcpy_(d, s, n as u64) };
        d
    }
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn memmove(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
        unsafe { sol_memmove_(d, s, n as u64) };
        d
    }
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn memset(d: *mut u8, c: i32, n: usize) -> *mut u8 {
        unsafe { sol_memset_(d, c as u8, n as u64) };
        d
    }
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        let mut r = 0i32;
        unsafe { sol_memcmp_(a, b, n as u64, &mut r) };
        r
    }
}
