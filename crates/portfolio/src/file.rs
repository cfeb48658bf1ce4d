//! The portfolio file (README, "Portfolio file"): plain decimal numbers in, kernel types out.
//! Every conversion error names the field it came from.
use risk_kernel::collateral::Collateral;
use risk_kernel::instrument::{Instrument, InstrumentKind, Market};
use risk_kernel::margin::{Position, SpreadCredit, Underlying};
use risk_kernel::scenario::{ScanParams, Scenario, ScenarioGrid};
use risk_kernel::vol_scaling::VolScaling;
use risk_kernel::{Fixed, Money, Price, Ratio};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortfolioFile {
    pub underlyings: Vec<UnderlyingIn>,
    #[serde(default)]
    pub positions: Vec<PositionIn>,
    #[serde(default)]
    pub collateral: Vec<CollateralIn>,
    #[serde(default)]
    pub spread_credits: Vec<CreditIn>,
    /// Custom scenario grid; default: the 16-point SPAN grid.
    #[serde(default)]
    pub scenarios: Option<Vec<ScenarioIn>>,
    /// Without `scenarios`: SPAN's 16-point grid with this weight on its +-2R pair, instead of
    /// the default grid (the program's: regular 14 + tail ladder).
    #[serde(default)]
    pub extreme_weight: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnderlyingIn {
    pub name: String,
    pub spot: f64,
    #[serde(default)]
    pub conf: f64,
    pub atm_vol: f64,
    #[serde(default)]
    pub rate: f64,
    #[serde(default = "default_min_vol")]
    pub min_vol: f64,
    #[serde(default = "default_short_option_min")]
    pub short_option_min: f64,
    #[serde(default)]
    pub maintenance: ScanIn,
    #[serde(default)]
    pub initial: ScanIn,
    /// Bound of a future's `forward`: |F/S - 1| <= max_basis x (T + 1 day) (the program's
    /// bound on a published forward curve).
    #[serde(default = "default_max_basis")]
    pub max_basis: f64,
    /// T_ref of the expiry scaling of vol shocks (both levels) and the twist's pivot, in days.
    #[serde(default = "default_vol_t_ref_days")]
    pub vol_t_ref_days: f64,
}

/// Scan parameters of one level as written: a field left out takes its own level's default
/// ([`ScanDefaults`]), so a partial initial block never inherits maintenance values.
#[derive(Deserialize, Clone, Copy, Default)]
#[serde(deny_unknown_fields)]
pub struct ScanIn {
    pub min_range: Option<f64>,
    pub vol_mult: Option<f64>,
    pub horizon_days: Option<f64>,
    pub conf_mult: Option<f64>,
    pub vol_scan: Option<f64>,
    pub dynamic: Option<bool>,
    pub basis_scan: Option<f64>,
    /// Expiry scaling of vol shocks: exponents below and from t_ref, and the scale's bounds.
    pub vol_p_short: Option<f64>,
    pub vol_p_long: Option<f64>,
    pub vol_scale_cap: Option<f64>,
    pub vol_scale_floor: Option<f64>,
}

/// Each level's defaults (README, "Portfolio file").
pub struct ScanDefaults {
    pub min_range: f64,
    pub vol_mult: f64,
    pub horizon_days: f64,
    pub conf_mult: f64,
    pub vol_scan: f64,
    pub basis_scan: f64,
}

pub const MAINTENANCE_DEFAULTS: ScanDefaults = ScanDefaults {
    min_range: 0.08,
    vol_mult: 3.0,
    horizon_days: 1.0,
    conf_mult: 1.0,
    vol_scan: 0.25,
    basis_scan: 0.05,
};
pub const INITIAL_DEFAULTS: ScanDefaults = ScanDefaults {
    min_range: 0.12,
    vol_mult: 4.5,
    horizon_days: 1.0,
    conf_mult: 1.5,
    vol_scan: 0.35,
    basis_scan: 0.075,
};

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct PositionIn {
    pub underlying: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub strike: f64,
    #[serde(default)]
    pub expiry_years: f64,
    #[serde(default)]
    pub vol: f64,
    #[serde(default = "default_lot_size")]
    pub lot_size: f64,
    pub lots: i64,
    #[serde(default)]
    pub entry_price: f64,
    #[serde(default)]
    pub funding: f64,
    /// Futures: the published forward price F (quote per unit of underlying); none: S e^{rT}.
    #[serde(default)]
    pub forward: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollateralIn {
    pub name: String,
    /// Whole tokens (e.g. 1.5 SOL) as an exact decimal (a JSON number or string), at most
    /// `decimals` places: converted to native units without binary floating point.
    pub amount: Box<RawValue>,
    pub decimals: u8,
    pub price: f64,
    #[serde(default)]
    pub conf: f64,
    #[serde(default = "default_conf_mult")]
    pub conf_mult: f64,
    #[serde(default)]
    pub maint_haircut: f64,
    #[serde(default)]
    pub init_haircut: f64,
    #[serde(default)]
    pub size_growth: f64,
    #[serde(default = "default_size_ref")]
    pub size_ref: f64,
    /// Name of the underlying whose scenarios move this balance.
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub depeg_shock: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditIn {
    pub a: String,
    pub b: String,
    pub rate: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioIn {
    pub price_scan: f64,
    pub vol_scan: f64,
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// A move as a fraction of spot added to price_scan x R (tails: -0.66 is -66%).
    #[serde(default)]
    pub spot_shock: f64,
    /// Multiple of the level's basis scan B: futures' F/S moves by basis_scan x B x T.
    #[serde(default)]
    pub basis_scan: f64,
    /// Term-structure twist, a multiple of V: options' vols move by a further
    /// vol_twist x V x side(T) x scale(T), up short of vol_t_ref_days and down beyond it.
    #[serde(default)]
    pub vol_twist: f64,
}

fn default_min_vol() -> f64 {
    0.05
}
fn default_short_option_min() -> f64 {
    0.01
}
fn default_conf_mult() -> f64 {
    1.0
}
fn default_lot_size() -> f64 {
    1.0
}
fn default_size_ref() -> f64 {
    1_000_000.0
}
fn default_weight() -> f64 {
    1.0
}
fn default_max_basis() -> f64 {
    0.5
}
fn default_vol_t_ref_days() -> f64 {
    30.0
}

/// The kernel's inputs, owned.
#[derive(Clone)]
pub struct Loaded {
    pub names: Vec<String>,
    pub collateral_names: Vec<String>,
    pub underlyings: Vec<Underlying>,
    pub positions: Vec<Position>,
    pub collateral: Vec<Collateral>,
    pub credits: Vec<SpreadCredit>,
    pub grid: ScenarioGrid,
}

pub(crate) fn fx<const F: u32>(v: f64, field: &str) -> Result<Fixed<F>, String> {
    Fixed::<F>::from_f64(v).map_err(|_| format!("{field}: {v} is not a number in range"))
}

pub(crate) fn group_index(names: &[String], name: &str, field: &str) -> Result<u8, String> {
    names
        .iter()
        .position(|n| n == name)
        .map(|i| i as u8)
        .ok_or_else(|| format!("{field}: unknown underlying \"{name}\" (known: {})", names.join(", ")))
}

fn scan(s: &ScanIn, d: &ScanDefaults, t_ref_days: f64, field: &str) -> Result<ScanParams, String> {
    // Defaults: Deribit's / Derive's (30 days, 0.30, 0.13), capped at 4x, floored at 0.5x, at
    // both levels (the program's `VolScalingParams::DEFAULT`).
    let dv = VolScaling::DEFAULT;
    let vol_scaling = VolScaling {
        t_ref: fx(t_ref_days / 365.0, "vol_t_ref_days")?,
        p_short: s.vol_p_short.map_or(Ok(dv.p_short), |v| fx(v, &format!("{field}.vol_p_short")))?,
        p_long: s.vol_p_long.map_or(Ok(dv.p_long), |v| fx(v, &format!("{field}.vol_p_long")))?,
        cap: s.vol_scale_cap.map_or(Ok(dv.cap), |v| fx(v, &format!("{field}.vol_scale_cap")))?,
        floor: s.vol_scale_floor.map_or(Ok(dv.floor), |v| fx(v, &format!("{field}.vol_scale_floor")))?,
    };
    Ok(ScanParams {
        min_range: fx(s.min_range.unwrap_or(d.min_range), &format!("{field}.min_range"))?,
        vol_mult: fx(s.vol_mult.unwrap_or(d.vol_mult), &format!("{field}.vol_mult"))?,
        horizon: fx(s.horizon_days.unwrap_or(d.horizon_days) / 365.0, &format!("{field}.horizon_days"))?,
        conf_mult: fx(s.conf_mult.unwrap_or(d.conf_mult), &format!("{field}.conf_mult"))?,
        vol_scan: fx(s.vol_scan.unwrap_or(d.vol_scan), &format!("{field}.vol_scan"))?,
        dynamic: s.dynamic.unwrap_or(true),
        basis_scan: fx(s.basis_scan.unwrap_or(d.basis_scan), &format!("{field}.basis_scan"))?,
        vol_scaling,
    })
}

/// A future's F/S from its `forward` price, within the program's bound on a published forward:
/// F > 0 and |F/S - 1| <= max_basis x (T + 1 day).
fn forward_ratio(u: &UnderlyingIn, kind: InstrumentKind, fwd: f64, t: f64, field: &str) -> Result<Ratio, String> {
    if kind != InstrumentKind::Future {
        return Err(format!("{field}: only futures have a forward"));
    }
    if !fwd.is_finite() || fwd <= 0.0 {
        return Err(format!("{field}: must be > 0"));
    }
    let ratio = fwd / u.spot;
    let bound = u.max_basis * (t.max(0.0) + 1.0 / 365.0);
    if (ratio - 1.0).abs() > bound {
        return Err(format!(
            "{field}: {fwd} is a basis of {:.6} over spot {}, beyond max_basis x (T + 1 day) = {bound:.6} (the program refuses such a forward curve)",
            ratio - 1.0,
            u.spot
        ));
    }
    fx(ratio, field)
}

impl PortfolioFile {
    pub fn load(&self) -> Result<Loaded, String> {
        let names: Vec<String> = self.underlyings.iter().map(|u| u.name.clone()).collect();
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(format!("underlyings[{i}].name: \"{n}\" appears twice"));
            }
        }
        let mut underlyings = Vec::new();
        for (i, u) in self.underlyings.iter().enumerate() {
            let f = |name: &str| format!("underlyings[{i}].{name}");
            let spot: Price = fx(u.spot, &f("spot"))?;
            if !spot.is_positive() {
                return Err(format!("{}: must be > 0", f("spot")));
            }
            let min_vol: Ratio = fx(u.min_vol, &f("min_vol"))?;
            if !min_vol.is_positive() {
                return Err(format!("{}: must be > 0 (shocked vols are floored there)", f("min_vol")));
            }
            let maintenance = scan(&u.maintenance, &MAINTENANCE_DEFAULTS, u.vol_t_ref_days, &f("maintenance"))?;
            let initial = scan(&u.initial, &INITIAL_DEFAULTS, u.vol_t_ref_days, &f("initial"))?;
            // The program's rule (UnderlyingParams::validate): initial >= maintenance, one by one.
            risk_kernel::scenario::validate_levels(&maintenance, &initial).map_err(|e| match e {
                risk_kernel::KernelError::InvalidInput(what) => format!("underlyings[{i}]: {what}"),
                e => format!("underlyings[{i}]: {e}"),
            })?;
            underlyings.push(Underlying {
                market: Market { spot, rate: fx(u.rate, &f("rate"))?, min_vol },
                conf: fx(u.conf, &f("conf"))?,
                atm_vol: fx(u.atm_vol, &f("atm_vol"))?,
                maintenance,
                initial,
                short_option_min: fx(u.short_option_min, &f("short_option_min"))?,
            });
        }
        let mut positions = Vec::new();
        for (i, p) in self.positions.iter().enumerate() {
            positions.push(self.position(&names, &underlyings, p, &format!("positions[{i}]"))?);
        }
        let mut collateral = Vec::new();
        for (i, c) in self.collateral.iter().enumerate() {
            let f = |name: &str| format!("collateral[{i}].{name}");
            if c.decimals > 16 {
                return Err(format!("{}: must be <= 16", f("decimals")));
            }
            collateral.push(Collateral {
                amount: crate::decimal::units(c.amount.get(), c.decimals)
                    .map_err(|e| format!("{}: {e}", f("amount")))?,
                decimals: c.decimals,
                price: fx(c.price, &f("price"))?,
                conf: fx(c.conf, &f("conf"))?,
                conf_mult: fx(c.conf_mult, &f("conf_mult"))?,
                maint_haircut: fx(c.maint_haircut, &f("maint_haircut"))?,
                init_haircut: fx(c.init_haircut, &f("init_haircut"))?,
                size_growth: fx(c.size_growth, &f("size_growth"))?,
                size_ref: fx::<24>(c.size_ref, &f("size_ref"))?,
                group: c.group.as_deref().map(|g| group_index(&names, g, &f("group"))).transpose()?,
                depeg_shock: fx(c.depeg_shock, &f("depeg_shock"))?,
            });
        }
        let mut credits = Vec::new();
        for (i, c) in self.spread_credits.iter().enumerate() {
            let f = |name: &str| format!("spread_credits[{i}].{name}");
            credits.push(SpreadCredit {
                group_a: group_index(&names, &c.a, &f("a"))?,
                group_b: group_index(&names, &c.b, &f("b"))?,
                rate: fx(c.rate, &f("rate"))?,
            });
        }
        let grid = match &self.scenarios {
            None => match self.extreme_weight {
                None => ScenarioGrid::default_grid(),
                Some(w) => ScenarioGrid::span16(fx(w, "extreme_weight")?),
            },
            Some(pts) => {
                let mut v = Vec::new();
                for (i, s) in pts.iter().enumerate() {
                    let f = |name: &str| format!("scenarios[{i}].{name}");
                    v.push(Scenario {
                        price_scan: fx(s.price_scan, &f("price_scan"))?,
                        vol_scan: fx(s.vol_scan, &f("vol_scan"))?,
                        weight: fx(s.weight, &f("weight"))?,
                        spot_shock: fx(s.spot_shock, &f("spot_shock"))?,
                        basis_scan: fx(s.basis_scan, &f("basis_scan"))?,
                        vol_twist: fx(s.vol_twist, &f("vol_twist"))?,
                    });
                }
                // The program's rule (`validate_grid`): valid, with the 14 regular points.
                ScenarioGrid::new(&v).and_then(|g| g.require_regular().map(|_| g))
            }
        }
        .map_err(|e| format!("scenarios: {e}"))?;
        Ok(Loaded {
            names,
            collateral_names: self.collateral.iter().map(|c| c.name.clone()).collect(),
            underlyings,
            positions,
            collateral,
            credits,
            grid,
        })
    }
    /// One position as the kernel takes it (a portfolio's `positions[]` entry or a proposed
    /// trade), checked as [`PortfolioFile::load`] checks every position; errors name `field`.
    pub fn position(
        &self,
        names: &[String],
        underlyings: &[Underlying],
        p: &PositionIn,
        field: &str,
    ) -> Result<Position, String> {
        let f = |name: &str| format!("{field}.{name}");
        let kind = match p.kind.as_str() {
            "call" => InstrumentKind::Call,
            "put" => InstrumentKind::Put,
            "future" => InstrumentKind::Future,
            "perp" | "perpetual" => InstrumentKind::Perpetual,
            other => return Err(format!("{}: \"{other}\" is not one of call, put, future, perp", f("type"))),
        };
        let group = group_index(names, &p.underlying, &f("underlying"))?;
        let vol: Ratio = fx(p.vol, &f("vol"))?;
        let min_vol = underlyings[group as usize].market.min_vol;
        if matches!(kind, InstrumentKind::Call | InstrumentKind::Put) && vol < min_vol {
            return Err(format!(
                "{}: {} is below {}'s min_vol {} (the program refuses such a vol: every scenario would floor it up to min_vol, a phantom gain)",
                f("vol"),
                p.vol,
                p.underlying,
                self.underlyings[group as usize].min_vol
            ));
        }
        let forward_ratio = match p.forward {
            None => Ratio::ZERO,
            Some(fwd) => forward_ratio(&self.underlyings[group as usize], kind, fwd, p.expiry_years, &f("forward"))?,
        };
        Ok(Position {
            group,
            instrument: Instrument {
                kind,
                strike: fx(p.strike, &f("strike"))?,
                expiry: fx(p.expiry_years, &f("expiry_years"))?,
                vol,
                lot_size: fx(p.lot_size, &f("lot_size"))?,
                forward_ratio,
            },
            lots: p.lots,
            entry_price: fx(p.entry_price, &f("entry_price"))?,
            funding: fx::<24>(p.funding, &f("funding"))?,
        })
    }
}

/// Money sums of the report are exact i128 at these scales.
pub fn q48(v: i128) -> f64 {
    v as f64 / (1u64 << 48) as f64
}
pub fn q32(v: i128) -> f64 {
    v as f64 / (1u64 << 32) as f64
}
pub fn money(m: Money) -> f64 {
    m.to_f64()
}
pub fn ratio(r: Ratio) -> f64 {
    r.to_f64()
}
