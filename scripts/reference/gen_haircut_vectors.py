#!/usr/bin/env python3
"""Independent reference for collateral values with size-based haircuts (mpmath).

Writes crates/risk-kernel/tests/vectors/haircut.csv. Written from the risk model, not from
the kernel's code:

  h(x) = min(1, h0 + g * sqrt(x / ref))          the haircut at market size x (quote units)

  asset (amount > 0), market size s = A p, conservative price c = max(0, p - k conf):
      value = (c / p) * integral_0^s (1 - h(x)) dx
            = (c / p) * (s (1 - h0) - (2/3) g s^{3/2} / sqrt(ref))   while h(s) <= 1
            = (c / p) * x* (1 - h0) / 3                                past x* = ref ((1 - h0) / g)^2
    (each token is valued at the conservative price less the haircut of the size the
    balance had when that token was added: the marginal haircut, so value grows with A)

  liability (amount < 0), c = p + k conf:
      value = -|A| c (1 + h(|s|))                  the haircut of its full size on all of it

A = amount / 10^decimals (whole tokens), p = price_raw / 2^32, conf = conf_raw / 2^32,
k = conf_mult_raw / 2^48, h0 and g raw / 2^48, ref = ref_raw / 2^24 (quote units).
Every closed form is checked against mpmath.quad of the integral (80 digits).

Columns: amount,decimals,price_raw,conf_raw,conf_mult_raw,maint_raw,init_raw,growth_raw,
ref_raw,market,maintenance,initial. The last three are floor(value * 2^24), the exact value
rounded down to the kernel's Money resolution: a kernel value that never favours the account
is <= these integers.

Usage (from the repository root; needs mpmath, see requirements.txt):
  python3 scripts/reference/gen_haircut_vectors.py          # (re)write the CSV
  python3 scripts/reference/gen_haircut_vectors.py --check  # exit 1 if stale
Output is deterministic (random.Random(20260311)) and byte-identical per run.
"""
import itertools
import random
import sys
from pathlib import Path

from mpmath import mp, mpf

from vectors_io import write_or_check

mp.dps = 80
ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "crates" / "risk-kernel" / "tests" / "vectors" / "haircut.csv"
HEADER = ("amount,decimals,price_raw,conf_raw,conf_mult_raw,maint_raw,init_raw,growth_raw,"
          "ref_raw,market,maintenance,initial")
SEED, N_RANDOM = 20260311, 1500
Q24, Q32, Q48 = 2**24, 2**32, 2**48
MAX_MARKET = mpf(10) ** 11  # quote units; Money holds 5.5e11


def integral(s, h0, g, ref):
    """Closed form of integral_0^s (1 - min(1, h0 + g sqrt(x/ref))) dx, s >= 0."""
    if h0 >= 1:
        return mpf(0)
    if g == 0:
        return s * (1 - h0)
    x_star = ref * ((1 - h0) / g) ** 2
    if s >= x_star:
        return x_star * (1 - h0) / 3
    return s * (1 - h0) - mpf(2) / 3 * g * s ** mpf("1.5") / mp.sqrt(ref)


def integral_quad(s, h0, g, ref):
    """The same integral by quadrature (split where the haircut reaches 1)."""
    f = lambda x: 1 - min(mpf(1), h0 + g * mp.sqrt(x / ref))
    if g == 0 or h0 >= 1:
        return mp.quad(f, [0, s]) if s > 0 else mpf(0)
    x_star = ref * ((1 - h0) / g) ** 2
    pts = [0, min(s, x_star)] + ([s] if s > x_star else [])
    return mp.quad(f, pts) if s > 0 else mpf(0)


def value(amount, decimals, price_raw, conf_raw, cm_raw, h_raw, g_raw, ref_raw):
    A = mpf(amount) / mpf(10) ** decimals
    p, conf = mpf(price_raw) / Q32, mpf(conf_raw) / Q32
    k, h0, g, ref = mpf(cm_raw) / Q48, mpf(h_raw) / Q48, mpf(g_raw) / Q48, mpf(ref_raw) / Q24
    s = A * p
    if amount >= 0:
        c = max(mpf(0), p - k * conf)
        closed = c / p * integral(s, h0, g, ref)
        quad = c / p * integral_quad(s, h0, g, ref)
        assert abs(closed - quad) <= mpf("1e-30") * max(s, mpf(1)), (amount, closed, quad)
        return closed
    c = p + k * conf
    h = min(mpf(1), h0 + g * mp.sqrt(-s / ref))
    return A * c * (1 + h)


def floor_raw(v):
    """floor(v 2^24). Values that are exactly integers in 2^-24 units (rational inputs such as
    0.004 BTC x 100,000 = 400) come out of decimal division within 1e-40 of that integer at
    80 digits: those are that integer, not one unit below it."""
    x = v * Q24
    n = mp.nint(x)
    return int(n) if abs(x - n) < mpf("1e-40") else int(mp.floor(x))


def row(amount, decimals, price_raw, conf_raw, cm_raw, hm_raw, hi_raw, g_raw, ref_raw):
    market = mpf(amount) / mpf(10) ** decimals * mpf(price_raw) / Q32
    args = (amount, decimals, price_raw, conf_raw, cm_raw)
    maint = value(*args, hm_raw, g_raw, ref_raw)
    init = value(*args, hi_raw, g_raw, ref_raw)
    assert init <= maint
    vals = ",".join(str(floor_raw(x)) for x in (market, maint, init))
    return f"{amount},{decimals},{price_raw},{conf_raw},{cm_raw},{hm_raw},{hi_raw},{g_raw},{ref_raw},{vals}"


def case(size, decimals, price, conf_ratio, cm, hm, extra, g, ref, sign=1):
    """Round real inputs (mpf) to raw integers; size is the market value in quote units."""
    price_raw = max(int(mp.nint(price * Q32)), 1)
    p = mpf(price_raw) / Q32
    amount = int(mp.nint(size / p * mpf(10) ** decimals))
    amount = max(min(amount, 2**62), 0) * sign
    hm_raw = int(mp.nint(hm * Q48))
    hi_raw = min(int(mp.nint((hm + extra) * Q48)), Q48)
    return (amount, decimals, price_raw, int(mp.nint(price * conf_ratio * Q32)), int(mp.nint(cm * Q48)),
            hm_raw, hi_raw, int(mp.nint(g * Q48)), max(int(mp.nint(ref * Q24)), 1))


def x_star(hm, g, ref):
    return ref * ((1 - hm) / g) ** 2 if g > 0 and hm < 1 else MAX_MARKET


def log_uniform(u, lo, hi):
    return mp.exp(mp.log(lo) + u * (mp.log(hi) - mp.log(lo)))


def cases():
    # Corners: sizes around where the haircut reaches 1, the wBTC numbers
    # (h0 0.12, g 0.1, ref 1M, price 100,000: 344, 600 and 800 BTC), tiny and huge balances.
    for hm, g, ref in itertools.product([mpf(0), mpf("0.12"), mpf("0.5")], [mpf(0), mpf("0.05"), mpf(1)],
                                        [mpf(1000), mpf(10) ** 6, mpf(10) ** 9]):
        xs = x_star(hm, g, ref)
        for frac in [mpf("1e-6"), mpf("0.01"), mpf("0.5"), mpf("0.999"), mpf("1.001"), mpf(3)]:
            size = min(xs * frac, MAX_MARKET)
            for price, decimals, conf in [(mpf(100000), 8, mpf(0)), (mpf("0.5"), 6, mpf("0.001"))]:
                for sign in (1, -1):
                    yield case(size, decimals, price, conf, mpf(1), hm, mpf("0.03"), g, ref, sign)
    for btc in (344, 600, 800):
        yield case(mpf(btc) * 100000, 8, mpf(100000), mpf(0), mpf(1), mpf("0.12"), mpf("0.03"), mpf("0.1"),
                   mpf(10) ** 6)
    rng = random.Random(SEED)
    for i in range(N_RANDOM):
        u = [mpf(rng.random()) for _ in range(9)]  # exact doubles -> mpf
        hm = u[0] * mpf("0.6")
        g = mpf(0) if i % 10 == 0 else log_uniform(u[1], mpf("0.001"), mpf(2))
        ref = log_uniform(u[2], mpf(1000), mpf(10) ** 10)
        xs = x_star(hm, g, ref)
        size = min(log_uniform(u[3], mpf("1e-6"), mpf(4)) * xs, MAX_MARKET)
        price = log_uniform(u[4], mpf("0.01"), mpf(200000))
        decimals = int(u[5] * 13)
        conf = u[6] * mpf("0.01")
        cm = u[7] * 3
        yield case(size, decimals, price, conf, cm, hm, u[8] * mpf("0.2"), g, ref, 1 if i % 4 else -1)


def valid(c):
    amount, decimals, price_raw = c[0], c[1], c[2]
    market = abs(mpf(amount)) / mpf(10) ** decimals * mpf(price_raw) / Q32
    return abs(amount) < 2**63 and market * 2 < 2**39  # 2x: liabilities up to (1 + h) <= 2


def generate():
    return "\n".join([HEADER] + [row(*c) for c in cases() if valid(c)]) + "\n"


def main(argv):
    return write_or_check(OUT, generate().encode(), __file__, argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
