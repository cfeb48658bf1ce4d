#!/usr/bin/env python3
"""Independent reference for scenario revaluation with look-ahead and expiry-scaled vol moves.

Writes crates/risk-kernel/tests/vectors/scenario.csv: one option in one scenario, evaluated
with mpmath at mp.dps = 50 from the formulas of the README ("Look-ahead and expiry-scaled
vol shocks"), not from the kernel's code:

  T'       = max(T - h, 0)                                  (SPAN's look-ahead)
  scale(T) = clamp((t_ref / T)^p, floor, cap),  p = p_short if T < t_ref else p_long
  side(T)  = clamp(log2(t_ref / T), -1, 1)
  sigma'   = max(sigma (1 + (a + b side(T)) scale(T)), min_vol)
  pnl      = BS(S (1 + m), K, sigma', T', r) - BS(S, K, sigma, T, r)
  with BS at T' = 0 the intrinsic value max(+-(S' - K), 0).

Scenario inputs as the kernel takes them: m = price_scan x R, a = vol_scan x V,
b = vol_twist x V with dyadic multiples (price_scan, vol_scan, vol_twist in
{-2, -1, -1/2, 0, 1/2, 1, 2}), so every product is exact.

Input encoding (every input exactly representable): spot_raw, strike_raw Q32.32; every other
input Q16.48 (value = raw / 2**k; no floats in the math).

Columns: kind,spot_raw,strike_raw,vol_raw,t_raw,rate_raw,min_vol_raw,horizon_raw,t_ref_raw,
p_short_raw,p_long_raw,cap_raw,floor_raw,range_raw,vscan_raw,price_scan_q1,vol_scan_q1,
twist_q1,scale,side,pnl -- the three multiples in halves (q1 = 2 x multiple), outputs with 25
significant digits, pnl per unit of underlying.

Rows: N_RANDOM random options (log-uniform spot [0.1, 200000], K/S [0.5, 2], vol [0.05, 3],
T [1 hour, 3 years] or exactly at / below the horizon, horizon 0..7 days, rate [0, 0.1],
scaling parameters around Deribit's, one in four rows the defaults).

Usage (from the repository root; needs mpmath, see requirements.txt):
  python3 scripts/reference/gen_scenario_vectors.py          # (re)write the CSV
  python3 scripts/reference/gen_scenario_vectors.py --check  # exit 1 if stale
Output is deterministic (random.Random(20261201)) and byte-identical per run.
"""
import random
import sys
from pathlib import Path

from mpmath import mp, mpf

from vectors_io import write_or_check

mp.dps = 50
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "risk-kernel" / "tests" / "vectors" / "scenario.csv"
HEADER = ("kind,spot_raw,strike_raw,vol_raw,t_raw,rate_raw,min_vol_raw,horizon_raw,t_ref_raw,"
          "p_short_raw,p_long_raw,cap_raw,floor_raw,range_raw,vscan_raw,price_scan_q1,vol_scan_q1,"
          "twist_q1,scale,side,pnl")
SEED, N_RANDOM = 20261201, 1500
Q32, Q48 = 2**32, 2**48
N = mp.ncdf
YEAR_DAYS = 365
MULTIPLES_Q1 = [-4, -2, -1, 0, 1, 2, 4]  # halves: -2, -1, -1/2, 0, 1/2, 1, 2
# The kernel's defaults (vol_scaling.rs, VolScaling::DEFAULT): raw Q48 values.
DEFAULT_SCALING = (((30 << 48) + 364) // 365, ((3 << 48) + 9) // 10, (13 << 48) // 100, 4 << 48, 1 << 47)


def bs(kind, S, K, v, T, r):
    if T == 0:
        return max(S - K, 0) if kind == "call" else max(K - S, 0)
    sq = v * mp.sqrt(T)
    d1 = (mp.log(S / K) + (r + v * v / 2) * T) / sq
    d2 = d1 - sq
    disc = K * mp.exp(-r * T)
    if kind == "call":
        return S * N(d1) - disc * N(d2)
    return disc * N(-d2) - S * N(-d1)


def factors(T, t_ref, p_short, p_long, cap, floor):
    x = t_ref / T
    p = p_short if T < t_ref else p_long
    scale = min(max(x ** p, floor), cap)
    side = min(max(mp.log(x) / mp.log(2), mpf(-1)), mpf(1))
    return scale, side


def row(kind, s_raw, k_raw, v_raw, t_raw, r_raw, mv_raw, h_raw, sc, range_raw, vscan_raw, ps_q, vs_q, tw_q):
    S, K = mpf(s_raw) / Q32, mpf(k_raw) / Q32
    v, T, r, min_vol, h = (mpf(x) / Q48 for x in (v_raw, t_raw, r_raw, mv_raw, h_raw))
    t_ref, p_short, p_long, cap, floor = (mpf(x) / Q48 for x in sc)
    R, V = mpf(range_raw) / Q48, mpf(vscan_raw) / Q48
    m, a, b = ps_q * R / 2, vs_q * V / 2, tw_q * V / 2
    scale, side = factors(T, t_ref, p_short, p_long, cap, floor)
    shocked = max(v * (1 + (a + b * side) * scale), min_vol)
    t2 = max(T - h, mpf(0))
    pnl = bs(kind, S * (1 + m), K, shocked, t2, r) - bs(kind, S, K, v, T, r)
    ints = ",".join(str(x) for x in (s_raw, k_raw, v_raw, t_raw, r_raw, mv_raw, h_raw) + tuple(sc)
                    + (range_raw, vscan_raw, ps_q, vs_q, tw_q))
    outs = ",".join(mp.nstr(x, 25) for x in (scale, side, pnl))
    return f"{kind},{ints},{outs}"


def q48(x):
    return int(mp.nint(x * Q48))


def log_uniform(rng, lo, hi):
    u = mpf(rng.random())
    return mp.exp(mp.log(lo) + u * (mp.log(hi) - mp.log(lo)))


def cases():
    rng = random.Random(SEED)
    for i in range(N_RANDOM):
        kind = "call" if i % 2 == 0 else "put"
        s_raw = int(mp.nint(log_uniform(rng, mpf("0.1"), mpf(200000)) * Q32))
        k_raw = int(mp.nint(mpf(s_raw) * log_uniform(rng, mpf("0.5"), mpf(2))))
        v_raw = q48(log_uniform(rng, mpf("0.05"), mpf(3)))
        r_raw = q48(mpf(rng.random()) * mpf("0.1"))
        mv_raw = q48(mpf(rng.choice([1, 5, 10])) / 100)
        h_raw = q48(mpf(rng.choice([0, 1, 1, 1, 2, 7])) / YEAR_DAYS)
        # Mostly live expiries; some exactly at the horizon or inside it (intrinsic at T' = 0).
        kind_t = rng.random()
        if kind_t < 0.06 and h_raw > 0:
            t_raw = h_raw
        elif kind_t < 0.12 and h_raw > 0:
            t_raw = max(1, h_raw // rng.choice([2, 3, 24]))
        else:
            t_raw = q48(log_uniform(rng, mpf(1) / 8760, mpf(3)))
            # T' is 0 or at least an hour: the kernel's discounted-intrinsic cut-off stays out.
            if 0 < t_raw - h_raw < q48(mpf(1) / 8760):
                t_raw = h_raw
        if i % 4 == 0:
            sc = DEFAULT_SCALING
        else:
            sc = (q48(mpf(rng.choice([7, 14, 30, 60, 90])) / YEAR_DAYS), q48(mpf(rng.random())),
                  q48(mpf(rng.random()) / 2), q48(1 + 3 * mpf(rng.random())), q48(mpf("0.25") + mpf(rng.random()) * 3 / 4))
        range_raw = q48(log_uniform(rng, mpf("0.01"), mpf("0.4")))
        vscan_raw = q48(mpf("0.05") + mpf(rng.random()) * mpf("0.55"))
        ps_q, vs_q, tw_q = (rng.choice(MULTIPLES_Q1) for _ in range(3))
        yield (kind, s_raw, k_raw, v_raw, t_raw, r_raw, mv_raw, h_raw, sc, range_raw, vscan_raw, ps_q, vs_q, tw_q)


def generate():
    return "\n".join([HEADER] + [row(*c) for c in cases()]) + "\n"


def main(argv):
    return write_or_check(OUT, generate().encode(), __file__, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
