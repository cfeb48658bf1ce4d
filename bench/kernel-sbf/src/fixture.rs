//! A deterministic benchmark portfolio, built the same way on chain and on the host.
//!
//! Fixed-size arrays, no allocation, integer-only inputs (no `f64` on SBF). Position `i` of
//! an `n`-position portfolio does not depend on `n`, so the portfolios are prefixes of one
//! another. Up to four risk groups (BTC-, ETH-, SOL-like and a ~1.25 token), mixed calls,
//! puts, dated futures and perpetuals, long and short, and three collateral balances: a
//! stablecoin, a major (with size-based haircut growth) and a token mapped into the last
//! group with a depeg shock.

use core::mem::MaybeUninit;

use risk_kernel::black_scholes::{OptionInputs, OptionKind, Prepared, VolTerms};
use risk_kernel::collateral::Collateral;
use risk_kernel::instrument::{Instrument, InstrumentKind, Market, option_value_in_scenario, shocked_vol};
use risk_kernel::margin::{MAX_GROUPS, MAX_POSITIONS, Portfolio, Position, SpreadCredit, Underlying};
use risk_kernel::scenario::{MAX_VOL_LEVELS, ScanParams, ScenarioGrid, Shocks, scan_range};
use risk_kernel::vol_scaling::{VolScaling, option_vol_move};
use risk_kernel::wide::Round::Down;
use risk_kernel::{KernelError, Money, Price, Ratio, Result};

/// Collateral balances of every fixture portfolio.
pub const N_COLLATERAL: usize = 3;

/// Spot of each risk group in thousandths of the quote asset.
const SPOT_MILLI: [i64; MAX_GROUPS] = [60_000_000, 3_000_000, 150_000, 1_250];
/// At-the-money implied vol of each group in basis points.
const ATM_VOL_BP: [i64; MAX_GROUPS] = [5_500, 6_500, 8_000, 10_000];
/// Minimum maintenance scan range of each group in basis points (initial: x 1.5).
const MIN_RANGE_BP: [i64; MAX_GROUPS] = [1_000, 1_200, 1_500, 2_000];
/// Units of underlying per lot of each group: numerator / denominator.
const LOT: [(i64, i64); MAX_GROUPS] = [(1, 100), (1, 10), (1, 1), (100, 1)];
/// Days to expiry of options and futures, cycled by position index.
const EXPIRY_DAYS: [i64; 6] = [7, 14, 30, 60, 90, 180];
/// Instrument kinds, cycled so that every group (and a 4-position, 4-group account) gets a mix.
const KINDS: [InstrumentKind; 8] = [
    InstrumentKind::Call,
    InstrumentKind::Put,
    InstrumentKind::Call,
    InstrumentKind::Future,
    InstrumentKind::Put,
    InstrumentKind::Call,
    InstrumentKind::Perpetual,
    InstrumentKind::Put,
];

/// n / d as a Ratio (Q48), truncated; |n| < 2^15.
fn ratio(n: i64, d: i64) -> Ratio {
    Ratio::from_raw((n << 48) / d)
}

fn bp(b: i64) -> Ratio {
    ratio(b, 10_000)
}

/// Thousandths of the quote asset as a Price (Q32), truncated; |m| < 2^31.
fn price_milli(m: i64) -> Price {
    Price::from_raw((m << 32) / 1_000)
}

fn spot(g: usize) -> Price {
    price_milli(SPOT_MILLI[g])
}

/// The risk-model defaults: daily horizon, dynamic range, vol scan 25% (maintenance) and
/// 35% (initial), the initial range 1.5 x the maintenance one.
pub fn underlying(g: usize) -> Underlying {
    let s = SPOT_MILLI[g];
    let level = |min_range_bp: i64, vol_mult: i64, conf_mult: i64, vol_scan_bp: i64, basis_bp: i64| ScanParams {
        min_range: bp(min_range_bp),
        vol_mult: ratio(vol_mult, 1),
        horizon: ratio(1, 365),
        conf_mult: ratio(conf_mult, 1),
        vol_scan: bp(vol_scan_bp),
        dynamic: true,
        basis_scan: bp(basis_bp),
        vol_scaling: VolScaling::DEFAULT,
    };
    Underlying {
        market: Market { spot: spot(g), rate: bp(500), min_vol: bp(500) },
        conf: price_milli(s / 2_000), // 5 bp of spot
        atm_vol: bp(ATM_VOL_BP[g]),
        maintenance: level(MIN_RANGE_BP[g], 3, 1, 2_500, 500),
        initial: level(MIN_RANGE_BP[g] * 3 / 2, 4, 2, 3_500, 750),
        short_option_min: bp(100),
    }
}

/// The default grid (26 points: the regular 14, the 8-point tail ladder, 2 twists, 2 basis scans).
pub fn grid() -> Result<ScenarioGrid> {
    ScenarioGrid::default_grid()
}

/// SPAN's 16-point grid (extreme moves weighted 0.35): the per-scenario cost of a margin check
/// is the difference to the default grid's, per scenario.
pub fn span_grid() -> Result<ScenarioGrid> {
    ScenarioGrid::span16(bp(3_500))
}

/// Maintenance and initial shocks of one group, exactly as `margin` builds them.
pub fn shocks(grid: &ScenarioGrid, u: &Underlying) -> Result<(Shocks, Shocks)> {
    let mut out = (Shocks::blank(), Shocks::blank());
    fill_level(&mut out.0, grid, u, &u.maintenance)?;
    fill_level(&mut out.1, grid, u, &u.initial)?;
    Ok(out)
}

/// [`shocks`] into `out` (the SBF profile keeps them in the heap: with the grid they would
/// not fit one 4 KiB frame).
pub fn shocks_into(out: &mut (Shocks, Shocks), grid: &ScenarioGrid, u: &Underlying) -> Result<()> {
    fill_level(&mut out.0, grid, u, &u.maintenance)?;
    fill_level(&mut out.1, grid, u, &u.initial)
}

/// One level's shocks, filled in place (by-value builders would copy the ~1.3 KB shocks once
/// per step and overflow a 4 KiB SBF frame).
#[inline(never)]
fn fill_level(s: &mut Shocks, grid: &ScenarioGrid, u: &Underlying, p: &ScanParams) -> Result<()> {
    let range = scan_range(p, u.market.spot, u.conf, u.atm_vol)?;
    s.fill(grid, u.market.spot, range, p.vol_scan)?;
    s.add_log_moves()?;
    s.set_basis(grid, p.basis_scan)?;
    s.set_time_terms(p)
}

/// Value of `inst` in the first `k` scenarios of `sh` (a checksum: the sum of the raw values),
/// after its per-option setup: `Prepared::new`, ln S/K, the option at the look-ahead, the expiry
/// scale of its vol moves, and the vol terms of each vol level. Shared by the SBF program and
/// the host check.
pub fn scenario_sum(inst: &Instrument, mkt: &Market, sh: &Shocks, k: usize) -> Result<i64> {
    let kind = if inst.kind == InstrumentKind::Put { OptionKind::Put } else { OptionKind::Call };
    let opt = Prepared::new(kind, inst.strike, inst.expiry, mkt.rate)?;
    let x0 = opt.log_moneyness(mkt.spot)?;
    let later = opt.after(sh.horizon)?;
    let factors = sh.vol_scaling.factors(inst.expiry)?;
    let mut terms: [Option<VolTerms>; MAX_VOL_LEVELS] = [None; MAX_VOL_LEVELS];
    for l in 0..sh.n_vol_levels {
        let v = option_vol_move(sh.vol_levels[l], sh.twist_levels[l], factors)?;
        terms[l] = later.vol_terms(shocked_vol(inst.vol, v, mkt.min_vol)?)?;
    }
    let mut sum = 0i64;
    for i in 0..k.min(sh.len) {
        let v = option_value_in_scenario(&later, x0, sh, &terms[sh.vol_level_of[i] as usize], i)?;
        sum = sum.wrapping_add(v.raw());
    }
    Ok(sum)
}

/// Position `i` of a portfolio over `n_groups` groups: group `i % n_groups`.
pub fn position(i: usize, n_groups: usize) -> Result<Position> {
    let g = i % n_groups;
    let rank = i / n_groups;
    let kind = KINDS[(rank + 3 * g) % KINDS.len()];
    let s = spot(g);
    let (lot_n, lot_d) = LOT[g];
    // Strikes 0.80 .. 1.20 x spot, vols at the money plus 0 .. 6 points of skew.
    let moneyness = bp(8_000 + 500 * ((i * 7) % 9) as i64);
    let expiry = ratio(EXPIRY_DAYS[i % EXPIRY_DAYS.len()], 365);
    let magnitude = 1 + ((i * 13) % 50) as i64;
    let lots = if i % 3 == 1 { -magnitude } else { magnitude };
    let is_option = matches!(kind, InstrumentKind::Call | InstrumentKind::Put);
    let linear = !is_option;
    Ok(Position {
        group: g as u8,
        instrument: Instrument {
            kind,
            strike: if is_option { s.mul_ratio(moneyness, Down)? } else { Price::ZERO },
            expiry: if kind == InstrumentKind::Perpetual { Ratio::ZERO } else { expiry },
            vol: if is_option { bp(ATM_VOL_BP[g] + 100 * ((i * 5) % 7) as i64) } else { Ratio::ZERO },
            lot_size: ratio(lot_n, lot_d),
            // Futures at a published forward of 1 + 5% x T (a 5% annualized basis).
            forward_ratio: if kind == InstrumentKind::Future {
                Ratio::ONE.add(bp(500).mul_ratio(expiry, Down)?)?
            } else {
                Ratio::ZERO
            },
        },
        lots,
        // Entered within +-2% of today's spot.
        entry_price: if linear { s.mul_ratio(bp(9_800 + 100 * (i % 5) as i64), Down)? } else { Price::ZERO },
        funding: if kind == InstrumentKind::Perpetual {
            Money::from_raw(((i % 7) as i64 - 3) * (5 << 24))
        } else {
            Money::ZERO
        },
    })
}

const EMPTY_POSITION: Position = Position {
    group: 0,
    instrument: Instrument {
        kind: InstrumentKind::Perpetual,
        strike: Price::ZERO,
        expiry: Ratio::ZERO,
        vol: Ratio::ZERO,
        lot_size: Ratio::ZERO,
        forward_ratio: Ratio::ZERO,
    },
    lots: 0,
    entry_price: Price::ZERO,
    funding: Money::ZERO,
};

/// Stablecoin (2% / 3%), a BTC-like major (10% / 15%, growing with size), and a token worth
/// 1.08 x the last group's spot mapped into that group with a 5% depeg shock.
pub fn collateral(n_groups: usize) -> [Collateral; N_COLLATERAL] {
    let last = n_groups - 1;
    let stable = Collateral {
        amount: 250_000_000_000, // 250,000.000000
        decimals: 6,
        price: price_milli(1_000),
        conf: Price::from_raw((1 << 32) / 2_000), // 0.0005
        conf_mult: ratio(1, 1),
        maint_haircut: bp(200),
        init_haircut: bp(300),
        size_growth: Ratio::ZERO,
        size_ref: Money::ZERO,
        group: None,
        depeg_shock: Ratio::ZERO,
    };
    let major = Collateral {
        amount: 150_000_000, // 1.5 at 8 decimals
        decimals: 8,
        price: spot(0),
        conf: price_milli(SPOT_MILLI[0] / 2_000),
        conf_mult: ratio(1, 1),
        maint_haircut: bp(1_000),
        init_haircut: bp(1_500),
        size_growth: bp(500),
        size_ref: Money::from_raw(1_000_000 << 24),
        group: None,
        depeg_shock: Ratio::ZERO,
    };
    // About 20,000 of quote value at 9 decimals. (The kernel carries a mapped balance's delta
    // in units of underlying as a Ratio, |x| < 32768: 100,000 of a 1.35 token overflows.)
    let mapped_price_milli = SPOT_MILLI[last] * 108 / 100;
    let mapped = Collateral {
        amount: 20_000_000_000_000_000 / mapped_price_milli,
        decimals: 9,
        price: price_milli(mapped_price_milli),
        conf: price_milli(mapped_price_milli / 1_000),
        conf_mult: ratio(1, 1),
        maint_haircut: bp(1_200),
        init_haircut: bp(1_800),
        size_growth: bp(200),
        size_ref: Money::from_raw(500_000 << 24),
        group: Some(last as u8),
        depeg_shock: bp(500),
    };
    [stable, major, mapped]
}

/// Everything `margin_full` / `margin_from_risk` read, in fixed-size arrays.
#[derive(Clone, Copy, Debug)]
pub struct Fixture {
    pub underlyings: [Underlying; MAX_GROUPS],
    pub n_groups: usize,
    pub positions: [Position; MAX_POSITIONS],
    pub n_positions: usize,
    pub collateral: [Collateral; N_COLLATERAL],
    /// BTC-ETH at 30% when there are at least two groups.
    pub spread_credits: [SpreadCredit; 1],
    pub n_spread_credits: usize,
    pub grid: ScenarioGrid,
}

impl Fixture {
    pub fn as_portfolio(&self) -> Portfolio<'_> {
        Portfolio {
            underlyings: &self.underlyings[..self.n_groups],
            positions: &self.positions[..self.n_positions],
            collateral: &self.collateral,
            grid: &self.grid,
            spread_credits: &self.spread_credits[..self.n_spread_credits],
        }
    }
}

fn check_sizes(n_positions: usize, n_groups: usize) -> Result<()> {
    if n_groups == 0 || n_groups > MAX_GROUPS {
        return Err(KernelError::InvalidInput("fixture: 1..=4 groups"));
    }
    if n_positions > MAX_POSITIONS {
        return Err(KernelError::CapacityExceeded("fixture: positions (max 32)"));
    }
    Ok(())
}

/// Builds the portfolio in place (on chain: in the heap, a `Fixture` is ~3.6 KB, close to
/// the 4 KiB stack frame). Unused position slots hold an inert placeholder.
pub fn fill(out: &mut MaybeUninit<Fixture>, n_positions: usize, n_groups: usize) -> Result<&mut Fixture> {
    check_sizes(n_positions, n_groups)?;
    let p = out.as_mut_ptr();
    // SAFETY: every field is written exactly once below through raw place pointers, before
    // `assume_init_mut`; no reference to uninitialised memory is created.
    unsafe {
        (&raw mut (*p).grid).write(grid()?);
        for g in 0..MAX_GROUPS {
            (&raw mut (*p).underlyings[g]).write(underlying(g));
        }
        (&raw mut (*p).n_groups).write(n_groups);
        for i in 0..MAX_POSITIONS {
            let pos = if i < n_positions { position(i, n_groups)? } else { EMPTY_POSITION };
            (&raw mut (*p).positions[i]).write(pos);
        }
        (&raw mut (*p).n_positions).write(n_positions);
        (&raw mut (*p).collateral).write(collateral(n_groups));
        (&raw mut (*p).spread_credits).write([SpreadCredit { group_a: 0, group_b: 1, rate: bp(3_000) }]);
        (&raw mut (*p).n_spread_credits).write(if n_groups >= 2 { 1 } else { 0 });
        Ok(out.assume_init_mut())
    }
}

/// The benchmark portfolio: `n_positions` (<= 32) positions over `n_groups` (1..=4) groups.
pub fn portfolio(n_positions: usize, n_groups: usize) -> Result<Fixture> {
    let mut f = MaybeUninit::uninit();
    fill(&mut f, n_positions, n_groups)?;
    // SAFETY: `fill` returned Ok, so every field is initialised.
    Ok(unsafe { f.assume_init() })
}

/// Groups used for an `n`-position account in the benchmark: one per position up to four.
pub fn groups_for(n_positions: usize) -> usize {
    n_positions.clamp(1, MAX_GROUPS)
}

/// The single option of the per-option benchmarks: a 30-day BTC call struck 5% out of the
/// money at 58% vol, r = 5%.
pub fn option_inputs() -> OptionInputs {
    OptionInputs {
        kind: OptionKind::Call,
        spot: spot(0),
        strike: price_milli(SPOT_MILLI[0] / 100 * 105),
        vol: bp(5_800),
        t: ratio(30, 365),
        rate: bp(500),
    }
}

/// The same option as an instrument of group 0, 0.01 BTC per lot.
pub fn option_instrument() -> Instrument {
    let o = option_inputs();
    Instrument {
        kind: InstrumentKind::Call,
        strike: o.strike,
        expiry: o.t,
        vol: o.vol,
        lot_size: ratio(1, 100),
        forward_ratio: Ratio::ZERO,
    }
}
