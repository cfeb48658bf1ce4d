#!/usr/bin/env python3
"""Independent Black-Scholes reference-vector generator for the risk kernel.

Writes crates/risk-kernel/tests/vectors/black_scholes.csv: European options
(Black-Scholes, no dividends, continuous rate r) evaluated with mpmath at
mp.dps = 50, as a high-precision oracle for the fixed-point kernel.

Input encoding (every input is exactly representable, so the only error a
test measures is the kernel's own):
  spot_raw, strike_raw  Q32.32  ("Price")  value = raw / 2**32
  vol_raw, t_raw, rate_raw  Q16.48           value = raw / 2**48
t is in years, vol and rate are per 1.00 (0.2 = 20%). Reference values are
computed at exactly raw / 2**k (mpf(raw) / 2**k; no floats in the math).

Columns: kind,spot_raw,strike_raw,vol_raw,t_raw,rate_raw,price,delta,gamma,
vega,theta,rho -- outputs in natural units, 25 significant digits:
  delta = dV/dS, gamma = d2V/dS2, vega = dV/dsigma (per 1.00 vol),
  theta = -dV/dT (per year of calendar time), rho = dV/dr (per 1.00 rate).
Deep out-of-the-money corner rows have values far below the f64 range
(e.g. 1e-1102937); Rust's f64::from_str parses those as 0.0.

Rows: 192 corners (cartesian product of spot {0.1,1,100,200000}, K/S
{0.3,1,3.3}, vol {0.05,3}, t {1/8760,3}, rate {0,0.1}, call/put), then 2808
random rows (log-uniform spot [0.1,200000], K/S [0.3,3.3], vol [0.05,3],
t [1h,3y]; uniform rate [0,0.1]; call/put alternating).

Every row is self-checked: each closed-form Greek is compared with
mpmath.diff of the price at high precision (1e-20 relative) and put-call
parity is verified.

Usage (from the repository root; needs mpmath, see requirements.txt):
  python3 scripts/reference/gen_bs_vectors.py          # (re)write the CSV
  python3 scripts/reference/gen_bs_vectors.py --check  # exit 1 if stale
Output is deterministic (random.Random(20261121)) and byte-identical per run.
"""
import itertools
import random
import sys
from pathlib import Path

from mpmath import mp, mpf

from vectors_io import write_or_check

mp.dps = 50
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "risk-kernel" / "tests" / "vectors" / "black_scholes.csv"
HEADER = "kind,spot_raw,strike_raw,vol_raw,t_raw,rate_raw,price,delta,gamma,vega,theta,rho"
SEED, N_RANDOM = 20261121, 2808
Q32, Q48 = 2**32, 2**48
MIN_SPOT_RAW = int(mp.nint(mpf("0.1") * Q32))
N, PHI = mp.ncdf, mp.npdf


def price(kind, S, K, v, T, r):
    """Black-Scholes price. Never forms 1 - N(x), so deep tails stay accurate."""
    sq = v * mp.sqrt(T)
    d1 = (mp.log(S / K) + (r + v * v / 2) * T) / sq
    d2 = d1 - sq
    disc = K * mp.exp(-r * T)
    if kind == "call":
        return S * N(d1) - disc * N(d2)
    return disc * N(-d2) - S * N(-d1)


def greeks(kind, S, K, v, T, r):
    """Closed forms. Returns (price, delta, gamma, vega, theta, rho, theta_norm)."""
    sqT = mp.sqrt(T)
    d1 = (mp.log(S / K) + (r + v * v / 2) * T) / (v * sqT)
    d2 = d1 - v * sqT
    disc = K * mp.exp(-r * T)
    decay = S * PHI(d1) * v / (2 * sqT)
    gamma = PHI(d1) / (S * v * sqT)
    vega = S * PHI(d1) * sqT
    if kind == "call":
        carry = r * disc * N(d2)
        return (S * N(d1) - disc * N(d2), N(d1), gamma, vega,
                -decay - carry, T * disc * N(d2), decay + carry)
    carry = r * disc * N(-d2)
    return (disc * N(-d2) - S * N(-d1), -N(-d1), gamma, vega,
            -decay + carry, -T * disc * N(-d2), decay + carry)


def close(a, b, norm, tol=mpf("1e-20")):
    return abs(a - b) <= tol * abs(norm)


def row(kind, s_raw, k_raw, v_raw, t_raw, r_raw):
    S, K = mpf(s_raw) / Q32, mpf(k_raw) / Q32
    v, T, r = mpf(v_raw) / Q48, mpf(t_raw) / Q48, mpf(r_raw) / Q48
    p, delta, gamma, vega, theta, rho, th_norm = greeks(kind, S, K, v, T, r)
    other = "put" if kind == "call" else "call"
    q = price(other, S, K, v, T, r)
    # Put-call parity: C - P = S - K e^{-rT}.
    c_minus_p = p - q if kind == "call" else q - p
    assert close(c_minus_p, S - K * mp.exp(-r * T), S + K, mpf("1e-35")), ("parity", s_raw, k_raw)
    # Independent guard on the formulas: mpmath.diff of price(). Differentiate the
    # cheaper (out-of-the-money) side; deep in the money the curvature is below any
    # working precision. Map back with the derivatives of parity's S - K e^{-rT}.
    dk, sign = (kind, 0) if p <= q else (other, 1 if kind == "call" else -1)
    disc = K * mp.exp(-r * T)
    f = lambda S_, v_, T_, r_: price(dk, S_, K, v_, T_, r_)
    num = {
        "delta": (mp.diff(lambda x: f(x, v, T, r), S) + sign, delta, delta),
        "gamma": (mp.diff(lambda x: f(x, v, T, r), S, 2), gamma, gamma),
        "vega": (mp.diff(lambda x: f(S, x, T, r), v), vega, vega),
        "theta": (-mp.diff(lambda x: f(S, v, x, r), T) - sign * r * disc, theta, th_norm),
        "rho": (mp.diff(lambda x: f(S, v, T, x), r) + sign * T * disc, rho, rho),
    }
    for name, (n, c, norm) in num.items():
        assert close(n, c, norm), (name, kind, s_raw, k_raw, v_raw, t_raw, r_raw, n, c)
    vals = ",".join(mp.nstr(x, 25) for x in (p, delta, gamma, vega, theta, rho))
    return f"{kind},{s_raw},{k_raw},{v_raw},{t_raw},{r_raw},{vals}"


def raws(spot, ratio, vol, t, rate):
    """Round real inputs (mpf) to raw fixed-point integers."""
    s_raw = max(int(mp.nint(spot * Q32)), MIN_SPOT_RAW)
    k_raw = int(mp.nint(mpf(s_raw) / Q32 * ratio * Q32))
    return s_raw, k_raw, int(mp.nint(vol * Q48)), int(mp.nint(t * Q48)), int(mp.nint(rate * Q48))


def log_uniform(u, lo, hi):
    return mp.exp(mp.log(lo) + u * (mp.log(hi) - mp.log(lo)))


def cases():
    corners = itertools.product(
        [mpf("0.1"), mpf(1), mpf(100), mpf(200000)], [mpf("0.3"), mpf(1), mpf("3.3")],
        [mpf("0.05"), mpf(3)], [mpf(1) / 8760, mpf(3)], [mpf(0), mpf("0.1")], ["call", "put"])
    for s, k, v, t, r, kind in corners:
        yield (kind,) + raws(s, k, v, t, r)
    rng = random.Random(SEED)
    for i in range(N_RANDOM):
        u = [mpf(rng.random()) for _ in range(5)]  # exact doubles -> mpf
        yield ("call" if i % 2 == 0 else "put",) + raws(
            log_uniform(u[0], mpf("0.1"), mpf(200000)),
            log_uniform(u[1], mpf("0.3"), mpf("3.3")),
            log_uniform(u[2], mpf("0.05"), mpf(3)),
            log_uniform(u[3], mpf(1) / 8760, mpf(3)),
            u[4] * mpf("0.10"))


def generate():
    return "\n".join([HEADER] + [row(*c) for c in cases()]) + "\n"


def main(argv):
    return write_or_check(OUT, generate().encode(), __file__, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
