use crate::error::PmError;
use crate::state::NO_GROUP;
use anchor_lang::prelude::*;
use risk_kernel::scenario::ScanParams;
use risk_kernel::vol_scaling::VolScaling;
use risk_kernel::wide::Round;
use risk_kernel::{Price, Ratio};

/// Expiry slices and strike points of a vol surface (fixed capacity, documented in README).
pub const MAX_VOL_SLICES: usize = 4;
pub const MAX_VOL_POINTS: usize = 8;
/// Seconds per year used to turn expiries into year fractions (365 days).
pub const SECONDS_PER_YEAR: i64 = 365 * 24 * 3600;

/// Scan parameters of one margin level, as stored (Ratio raw, Q16.48).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanLevel {
    pub min_range: i64,
    pub vol_mult: i64,
    /// Years.
    pub horizon: i64,
    pub conf_mult: i64,
    pub vol_scan: i64,
    pub dynamic: bool,
    /// B: annualized basis scan (a grid point's `basis_scan` multiple moves a dated future's
    /// F/S by multiple x B x T), in [0, 1].
    pub basis_scan: i64,
}

impl ScanLevel {
    /// The kernel's parameters of this level with its expiry scaling
    /// ([`UnderlyingParams::kernel_levels`] pairs them).
    pub fn to_kernel(self, vol_scaling: VolScaling) -> ScanParams {
        ScanParams {
            min_range: Ratio::from_raw(self.min_range),
            vol_mult: Ratio::from_raw(self.vol_mult),
            horizon: Ratio::from_raw(self.horizon),
            conf_mult: Ratio::from_raw(self.conf_mult),
            vol_scan: Ratio::from_raw(self.vol_scan),
            dynamic: self.dynamic,
            basis_scan: Ratio::from_raw(self.basis_scan),
            vol_scaling,
        }
    }

    fn valid(&self) -> bool {
        let one = Ratio::ONE.raw();
        (0..=one).contains(&self.min_range)
            && (0..=16 * one).contains(&self.vol_mult)
            && (0..=one).contains(&self.horizon)
            && (0..=16 * one).contains(&self.conf_mult)
            && (0..=one).contains(&self.vol_scan)
            && (0..=one).contains(&self.basis_scan)
    }
}

/// What the risk authority sets for an underlying (Ratio raw unless named otherwise).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnderlyingParams {
    /// Pyth feed id (PriceUpdateV2) of the spot.
    pub feed_id: [u8; 32],
    pub max_oracle_age_secs: u32,
    /// Largest accepted conf / price.
    pub max_conf_ratio: i64,
    pub maintenance: ScanLevel,
    pub initial: ScanLevel,
    /// Charge per short option as a fraction of spot per unit of underlying.
    pub short_option_min: i64,
    /// Shocked vols are floored here; surface vols must lie in [min_vol, max_vol].
    pub min_vol: i64,
    pub max_vol: i64,
    /// Bound of the published forward curve (Ratio raw, annualized, in [0, 1]): each slice's
    /// `|F/S - 1| <= max_basis x (T + 1 day)` ([`VolSurface::validate_forwards`]).
    pub max_basis: i64,
    /// A vol surface older than this cannot price anything.
    pub max_vol_age_secs: u32,
    /// A risk snapshot (refresh) older than this cannot margin anything.
    pub max_risk_age_secs: u32,
    /// Settlement prices must be published within this many seconds after expiry.
    pub settle_window_secs: u32,
    /// Trades must be priced within this fraction of spot from the crank's fair value
    /// (Ratio raw, in (0, 1]): off-market prices cannot move value between accounts.
    pub price_band: i64,
    /// Smallest interval between two refreshes of the snapshot (seconds, below
    /// `max_risk_age_secs`): each refresh makes every cached risk array stale, so without it an
    /// account could keep its own book un-margined (and un-liquidatable) by re-cranking the
    /// underlying ahead of every liquidator. The interval is the liquidators' window to
    /// re-crank a book too large for one transaction.
    pub min_refresh_secs: u32,
    /// Share of the unrealized profit of live futures and perpetuals added to initial margin
    /// (Ratio raw, in [0, 1]; M-6): a profit at a mark that could be pushed (a thin
    /// underlying's oracle) is not fully spendable. Maintenance counts it in full.
    pub profit_haircut: i64,
    /// Inter-group spread credits this underlying grants against others (SPAN's
    /// inter-commodity spreads, issue 11 item 1; the kernel's `margin::spread_credits`):
    /// partner underlying id ([`NO_GROUP`] = unused) and rate. A pair declared on both sides
    /// takes the smaller rate; an account's pairs apply highest rate first.
    pub spread_credits: [SpreadCreditParam; MAX_CREDIT_PARTNERS],
    /// Expiry scaling of vol shocks per margin level and the twist's pivot (issue 11 item 5;
    /// the kernel's `vol_scaling`). Defaults [`VolScalingParams::DEFAULT`]: Deribit's and
    /// Derive's (30 days, 0.30, 0.13), capped at 4x, floored at 0.5x.
    pub vol_scaling: VolScalingParams,
}

/// Expiry scaling of vol moves, as stored: scale(T) = clamp((t_ref / T)^p, floor, cap) with
/// p = p_short below t_ref, p_long from it; a twist scenario moves expiries below t_ref one way
/// and beyond it the other. 22 bytes; hours and basis points convert to the kernel's Q16.48
/// with one native 64-bit division each (no 128-bit arithmetic in a margin check).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolScalingParams {
    /// T_ref in hours, in [1, 8,760] (both levels; 30 days = 720).
    pub t_ref_hours: u16,
    pub maintenance: VolScaleLevel,
    pub initial: VolScaleLevel,
}

/// One level's exponents and bounds, in basis points (1/10,000).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolScaleLevel {
    /// Exponent below t_ref, in [0, 10,000] (0.30 = 3,000).
    pub p_short_bps: u16,
    /// Exponent from t_ref on, in [0, 10,000] (0.13 = 1,300).
    pub p_long_bps: u16,
    /// Smallest scale, in [1, 10,000] (0.5x = 5,000).
    pub floor_bps: u16,
    /// Largest scale, in [10,000, 160,000] (4x = 40,000).
    pub cap_bps: u32,
}

impl VolScaleLevel {
    pub const DEFAULT: Self = Self { p_short_bps: 3_000, p_long_bps: 1_300, floor_bps: 5_000, cap_bps: 40_000 };
}

impl VolScalingParams {
    pub const DEFAULT: Self =
        Self { t_ref_hours: 30 * 24, maintenance: VolScaleLevel::DEFAULT, initial: VolScaleLevel::DEFAULT };

    /// The kernel's parameters of one level, each rounded toward a larger scale: t_ref,
    /// p_short, cap and floor up, p_long down. Exact in u64 for every stored value:
    /// bps x 2^48 / 10^4 = bps x 2^44 / 625 with bps < 2^18, hours x 2^48 / 8,760 =
    /// hours x 2^45 / 1,095 with hours < 2^16.
    pub fn to_kernel(&self, level: &VolScaleLevel) -> VolScaling {
        let q = |n: u64, d: u64, up: bool| Ratio::from_raw(((n + if up { d - 1 } else { 0 }) / d) as i64);
        let bps = |v: u32, up: bool| q((v as u64) << 44, 625, up);
        VolScaling {
            t_ref: q((self.t_ref_hours as u64) << 45, 1_095, true),
            p_short: bps(level.p_short_bps as u32, true),
            p_long: bps(level.p_long_bps as u32, false),
            cap: bps(level.cap_bps.min(1 << 18), true),
            floor: bps(level.floor_bps as u32, true),
        }
    }

    /// Each bound above, and the initial scale at least the maintenance one at every expiry:
    /// p_short, cap and floor at least maintenance's, p_long at most (the kernel's
    /// `validate_levels` checks the same on the converted values).
    pub fn validate(&self) -> Result<()> {
        let level_ok = |l: &VolScaleLevel| {
            l.p_short_bps <= 10_000
                && l.p_long_bps <= 10_000
                && (1..=10_000).contains(&l.floor_bps)
                && (10_000..=160_000).contains(&l.cap_bps)
        };
        let (m, i) = (&self.maintenance, &self.initial);
        let ok = (1..=8_760).contains(&self.t_ref_hours)
            && level_ok(m)
            && level_ok(i)
            && i.p_short_bps >= m.p_short_bps
            && i.p_long_bps <= m.p_long_bps
            && i.floor_bps >= m.floor_bps
            && i.cap_bps >= m.cap_bps;
        require!(ok, PmError::InvalidVolScaling);
        Ok(())
    }
}

/// Partners one underlying can declare a spread credit with (an account has at most 4 groups).
pub const MAX_CREDIT_PARTNERS: usize = 3;

/// One declared spread: partner id and rate (Ratio raw, in [0, 1]; 0 where unused).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpreadCreditParam {
    pub partner: u8,
    pub rate: i64,
}

impl SpreadCreditParam {
    pub const NONE: Self = Self { partner: NO_GROUP, rate: 0 };
}

impl UnderlyingParams {
    /// Both levels as the kernel takes them (scan parameters with their vol scaling).
    pub fn kernel_levels(&self) -> (ScanParams, ScanParams) {
        (self.kernel_level(false), self.kernel_level(true))
    }

    /// One level as the kernel takes it: maintenance, or initial if `initial`.
    pub fn kernel_level(&self, initial: bool) -> ScanParams {
        let v = &self.vol_scaling;
        if initial {
            self.initial.to_kernel(v.to_kernel(&v.initial))
        } else {
            self.maintenance.to_kernel(v.to_kernel(&v.maintenance))
        }
    }

    pub fn validate(&self) -> Result<()> {
        self.vol_scaling.validate()?;
        let (mm, im) = self.kernel_levels();
        let one = Ratio::ONE.raw();
        let ok = self.maintenance.valid()
            && self.initial.valid()
            && risk_kernel::scenario::validate_levels(&mm, &im).is_ok()
            && (0..=one).contains(&self.max_conf_ratio)
            && (0..=one).contains(&self.short_option_min)
            && 0 < self.min_vol
            && self.min_vol <= self.max_vol
            && self.max_vol <= 10 * one
            && (0..=one).contains(&self.max_basis)
            && (1..=crate::oracle::MAX_ORACLE_AGE_SECS).contains(&self.max_oracle_age_secs)
            && self.max_vol_age_secs > 0
            && self.max_risk_age_secs > 0
            && self.settle_window_secs > 0
            && 0 < self.price_band
            && self.price_band <= one
            && self.min_refresh_secs < self.max_risk_age_secs
            && (0..=one).contains(&self.profit_haircut)
            && self.spread_credits.iter().enumerate().all(|(i, c)| {
                (0..=one).contains(&c.rate)
                    && (c.partner != NO_GROUP || c.rate == 0)
                    // one declaration per partner
                    && (c.partner == NO_GROUP || self.spread_credits[..i].iter().all(|d| d.partner != c.partner))
            });
        require!(ok, PmError::InvalidParameter);
        Ok(())
    }
}

impl UnderlyingParams {
    /// Whether `new` moves only levers that reprice no position and so act at once (L-2):
    /// tighter oracle limits, a narrower price band, a shorter vol or risk age, the refresh
    /// interval and the settlement window. Scan parameters, vols and the feed wait
    /// `PARAM_DELAY_SECS` (`underlying_propose`).
    pub fn only_levers_changed(&self, new: &UnderlyingParams) -> bool {
        let mut rest = *new;
        rest.max_oracle_age_secs = self.max_oracle_age_secs;
        rest.max_conf_ratio = self.max_conf_ratio;
        rest.price_band = self.price_band;
        rest.max_vol_age_secs = self.max_vol_age_secs;
        rest.max_risk_age_secs = self.max_risk_age_secs;
        rest.min_refresh_secs = self.min_refresh_secs;
        rest.settle_window_secs = self.settle_window_secs;
        rest == *self
            && new.max_oracle_age_secs <= self.max_oracle_age_secs
            && new.max_conf_ratio <= self.max_conf_ratio
            && new.price_band <= self.price_band
            && new.max_vol_age_secs <= self.max_vol_age_secs
            && new.max_risk_age_secs <= self.max_risk_age_secs
    }
}

/// One expiry of a vol surface: vol by moneyness (strike / spot), linear between points,
/// flat beyond the outermost ones.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VolSlice {
    /// Unix seconds; options expiring exactly then read this slice.
    pub expiry: i64,
    pub n_points: u8,
    /// Strictly increasing, > 0 (Ratio raw).
    pub moneyness: [i64; MAX_VOL_POINTS],
    /// Implied vols (Ratio raw).
    pub vols: [i64; MAX_VOL_POINTS],
    /// The forward of this expiry over spot, F/S (Ratio raw, > 0), as the vol-oracle authority
    /// saw them at `published_at`; bounded by the underlying's `max_basis` (see
    /// [`VolSurface::validate_forwards`]). Dated futures are marked at it
    /// ([`VolSurface::forward_ratio_for`]).
    pub forward: i64,
}

impl VolSlice {
    /// Implied vol at `moneyness` (Ratio), interpolated linearly; rounds up (a higher vol
    /// makes no position look safer than a neighbour's point would).
    pub fn vol_at(&self, m: Ratio) -> Result<Ratio> {
        let n = self.n_points as usize;
        let (xs, vs) = (&self.moneyness[..n], &self.vols[..n]);
        let first = *vs.first().ok_or(PmError::VolSurfaceMissing)?;
        if m.raw() <= xs[0] {
            return Ok(Ratio::from_raw(first));
        }
        for i in 1..n {
            if m.raw() <= xs[i] {
                let (x0, x1, v0, v1) = (xs[i - 1], xs[i], vs[i - 1], vs[i]);
                // v0 + (v1 - v0) (m - x0) / (x1 - x0), all differences fit: inputs are bounded.
                let t = risk_kernel::wide::mul_div(v1 - v0, m.raw() - x0, (x1 - x0) as u64, Round::Up)
                    .map_err(|_| PmError::Overflow)?;
                return Ok(Ratio::from_raw(v0 + t));
            }
        }
        Ok(Ratio::from_raw(vs[n - 1]))
    }
}

/// The vol-oracle authority's latest surface.
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct VolSurface {
    /// Unix seconds of publication (0 = never published).
    pub published_at: i64,
    pub n_slices: u8,
    pub slices: [VolSlice; MAX_VOL_SLICES],
}

impl VolSurface {
    /// Bounds every point to [min_vol, max_vol]; moneyness strictly increasing and positive;
    /// expiries strictly increasing.
    pub fn validate(&self, p: &UnderlyingParams) -> Result<()> {
        require!(self.n_slices as usize <= MAX_VOL_SLICES, PmError::InvalidVolSurface);
        let mut last_expiry = i64::MIN;
        for s in &self.slices[..self.n_slices as usize] {
            let n = s.n_points as usize;
            require!((1..=MAX_VOL_POINTS).contains(&n) && s.expiry > last_expiry, PmError::InvalidVolSurface);
            last_expiry = s.expiry;
            let mut last_m = 0;
            for (&m, &v) in s.moneyness[..n].iter().zip(&s.vols[..n]) {
                require!(m > last_m && m <= 16 * Ratio::ONE.raw(), PmError::InvalidVolSurface);
                require!(p.min_vol <= v && v <= p.max_vol, PmError::VolOutOfBounds);
                last_m = m;
            }
        }
        Ok(())
    }

    /// Every slice's forward: F/S > 0 and `|F/S - 1| <= max_basis x (T + 1 day)`, T the slice's
    /// years to expiry from `now` (0 if past): an annualized basis of at most `max_basis`, with
    /// a day's worth of slack for spot and forward read at slightly different times.
    pub fn validate_forwards(&self, max_basis: i64, now: i64) -> Result<()> {
        for s in &self.slices[..self.n_slices as usize] {
            require!(s.forward > 0, PmError::ForwardOutOfBounds);
            let secs = s.expiry.saturating_sub(now).max(0).saturating_add(24 * 3600);
            let bound = risk_kernel::wide::mul_div(max_basis, secs, SECONDS_PER_YEAR as u64, Round::Down)
                .map_err(|_| PmError::Overflow)?;
            require!((s.forward - Ratio::ONE.raw()).unsigned_abs() <= bound as u64, PmError::ForwardOutOfBounds);
        }
        Ok(())
    }

    /// F/S of a dated future expiring at `expiry` (after `now`), from the published forwards.
    ///
    /// Each unexpired slice's basis `b_k = F_k/S - 1` was quoted at `published_at`; it is aged
    /// to `now` at its constant annualized basis, `b_k (e_k - now) / (e_k - published_at)` (the
    /// same as published on a fresh surface, converging to 0 at expiry on a stale one). Then
    /// linear in time to expiry: the slice's own basis at its expiry, between two slices the
    /// line through them, before the first `b_1 T / T_1` (0 basis at T = 0) and past the last
    /// `b_n T / T_n` (its annualized basis held flat). Rounds down; at least one unit. `None`
    /// without any unexpired slice (never published, or all expired): the future then carries at
    /// the configured rate.
    pub fn forward_ratio_for(&self, expiry: i64, now: i64) -> Result<Option<Ratio>> {
        if self.published_at <= 0 {
            return Ok(None);
        }
        let p = self.published_at;
        let live = || self.slices[..self.n_slices as usize].iter().filter(|s| s.expiry > now);
        // (seconds to expiry from now, basis aged to now)
        let knot = |s: &VolSlice| -> Result<(i64, i64)> {
            let (to_expiry, since_quote) =
                (s.expiry - now, u64::try_from(s.expiry - p).map_err(|_| PmError::Overflow)?);
            let b = risk_kernel::wide::mul_div(s.forward - Ratio::ONE.raw(), to_expiry, since_quote, Round::Down)
                .map_err(|_| PmError::Overflow)?;
            Ok((to_expiry, b))
        };
        let t = expiry.saturating_sub(now).max(0);
        let below = live().rfind(|s| s.expiry <= expiry);
        let above = live().find(|s| s.expiry > expiry);
        let basis = match (below, above) {
            (Some(a), _) if a.expiry == expiry => knot(a)?.1,
            (Some(a), Some(b)) => {
                let ((ta, ba), (tb, bb)) = (knot(a)?, knot(b)?);
                let span = u64::try_from(tb - ta).map_err(|_| PmError::Overflow)?;
                let step =
                    risk_kernel::wide::mul_div(bb - ba, t - ta, span, Round::Down).map_err(|_| PmError::Overflow)?;
                ba.checked_add(step).ok_or(PmError::Overflow)?
            }
            (Some(s), None) | (None, Some(s)) => {
                let (ts, bs) = knot(s)?;
                risk_kernel::wide::mul_div(bs, t, ts as u64, Round::Down).map_err(|_| PmError::Overflow)?
            }
            (None, None) => return Ok(None),
        };
        Ok(Some(Ratio::from_raw(Ratio::ONE.raw().checked_add(basis).ok_or(PmError::Overflow)?.max(1))))
    }

    pub fn is_fresh(&self, now: i64, max_age_secs: u32) -> bool {
        self.published_at > 0 && self.published_at.saturating_add(max_age_secs as i64) >= now
    }

    pub fn slice(&self, expiry: i64) -> Option<&VolSlice> {
        self.slices[..self.n_slices as usize].iter().find(|s| s.expiry == expiry)
    }

    /// Implied vol of an option expiring at `expiry` (after `now`) at `moneyness`: its own
    /// slice if published; otherwise linear in expiry between the unexpired slices around it,
    /// flat beyond the nearest one (so an expiry the vol oracle did not publish can still be
    /// priced: M-5). Rounds up, as [`VolSlice::vol_at`] does. `VolSurfaceMissing` only
    /// without any unexpired slice.
    pub fn vol_for(&self, expiry: i64, moneyness: Ratio, now: i64) -> Result<Ratio> {
        if let Some(s) = self.slice(expiry) {
            return s.vol_at(moneyness);
        }
        let live = || self.slices[..self.n_slices as usize].iter().filter(|s| s.expiry > now);
        let below = live().rfind(|s| s.expiry < expiry);
        let above = live().find(|s| s.expiry > expiry);
        match (below, above) {
            (Some(a), Some(b)) => {
                let (va, vb) = (a.vol_at(moneyness)?.raw(), b.vol_at(moneyness)?.raw());
                // va + (vb - va) (expiry - ea) / (eb - ea); expiries strictly increase.
                let span = u64::try_from(b.expiry - a.expiry).map_err(|_| PmError::Overflow)?;
                let t = risk_kernel::wide::mul_div(vb - va, expiry - a.expiry, span, Round::Up)
                    .map_err(|_| PmError::Overflow)?;
                Ok(Ratio::from_raw(va.checked_add(t).ok_or(PmError::Overflow)?))
            }
            (Some(s), None) | (None, Some(s)) => s.vol_at(moneyness),
            (None, None) => err!(PmError::VolSurfaceMissing),
        }
    }

    /// At-the-money vol of the nearest unexpired slice (0 if none: the scan range is then
    /// its minimum). Drives the dynamic scan range.
    pub fn atm_vol(&self, now: i64) -> Result<Ratio> {
        match self.slices[..self.n_slices as usize].iter().find(|s| s.expiry > now) {
            Some(s) => s.vol_at(Ratio::ONE),
            None => Ok(Ratio::ZERO),
        }
    }
}

/// The market state a refresh fixed: every instrument's risk arrays are computed from it,
/// so all of an underlying's arrays agree (same spot, same scan ranges).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RiskSnapshot {
    /// Spot and confidence (Price raw) as read from Pyth.
    pub spot: i64,
    pub conf: i64,
    pub publish_time: i64,
    pub atm_vol: i64,
    pub maintenance_range: i64,
    pub initial_range: i64,
    /// Unix seconds of the refresh; 0 = never.
    pub refreshed_at: i64,
    /// Bumped by every refresh; an instrument's cache is current only at the same epoch.
    pub epoch: u64,
}

impl RiskSnapshot {
    pub fn spot(&self) -> Price {
        Price::from_raw(self.spot)
    }
    pub fn is_fresh(&self, now: i64, max_age_secs: u32) -> bool {
        self.refreshed_at > 0 && self.refreshed_at.saturating_add(max_age_secs as i64) >= now
    }
}

/// An underlying (PDA: ["underlying", id]): its oracle, scan parameters, vol surface and the
/// latest risk snapshot. The id is what collateral `group` mappings name.
#[account]
#[derive(InitSpace)]
pub struct Underlying {
    pub version: u8,
    pub bump: u8,
    pub id: u8,
    /// CollateralAsset that premiums and P&L of this underlying's instruments settle in.
    pub quote_asset: Pubkey,
    /// The quote asset's mint decimals (cash amounts are native units of it).
    pub quote_decimals: u8,
    pub params: UnderlyingParams,
    pub surface: VolSurface,
    pub snapshot: RiskSnapshot,
    /// 56 bytes went to the forward curve: `VolSlice::forward` (4 x 8), `ScanLevel::basis_scan`
    /// (2 x 8) and `UnderlyingParams::max_basis` (8); the account keeps its size.
    pub reserved: [u8; 8],
}

impl Underlying {
    pub const VERSION: u8 = 1;
}
