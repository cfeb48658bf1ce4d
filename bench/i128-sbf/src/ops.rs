//! The operations under test. This file is compiled twice: into the SBF program (where the
//! toolchain's pass plugin, scripts/sbf/lower_i128.cpp, lowers every 128-bit operation and packs
//! arguments) and, with `#[path]`, into the host test bench/cu-runner/tests/i128_sbf.rs (native
//! x86-64 code), which compares the two outputs bit for bit. Plain `core` Rust only.
//!
//! Instruction data: `[op, args...]`, little endian. Output: the bytes the program returns with
//! `sol_set_return_data` (at most [`MAX_OUT`]).

use core::hint::black_box;

/// Every 128-bit/64-bit operation below on one input. Args: a: u128, b: u128, n: u32.
/// Output: [`ALL_NAMES`].len() records of 17 bytes: a tag (0 = None, 1 = Some or plain value,
/// 2 = Some with the overflow flag set) and the value as 16 bytes.
pub const OP_ALL: u8 = 0;
/// Calls with more than 5 argument registers. Args: 8 x u64. Output: [`ARGS_NAMES`] x 16 bytes.
pub const OP_ARGS: u8 = 1;
/// Soft-float helpers (every one the link allows, scripts/sbf/link.sh). Args: a: u64, b: u64
/// (f64 bits), n: i32. Output: [`FLOAT_NAMES`] x 8 bytes (f64 bits).
pub const OP_FLOAT: u8 = 2;
/// `a * b` on u64 with overflow checks (the program's profile): aborts on overflow.
/// Args: a: u64, b: u64. Output: the product, 8 bytes.
pub const OP_MUL_CHECKED_64: u8 = 3;
/// As [`OP_MUL_CHECKED_64`] on u128. Args: a: u128, b: u128. Output: 16 bytes.
pub const OP_MUL_CHECKED_128: u8 = 4;
/// One operation alone, for its compute units. Args: which: u8 (an `ONE_*`), a: u128, b: u128.
/// Output: 16 bytes.
pub const OP_ONE: u8 = 5;
/// `core::fmt` of a u128 and an i128 (decimal formatting divides by 10^19 in u128).
/// Args: a: u128, b: u128. Output: "<a> <b as i128>" in ASCII.
pub const OP_FMT: u8 = 6;
/// A function with a ~3 KiB stack frame: the frame report must list it (the check of the
/// check, see scripts/sbf-toolchain.sh). Args: seed: u64. Output: 8 bytes.
pub const OP_BIG_FRAME: u8 = 7;

pub const MAX_OUT: usize = 1024;
pub const RECORD: usize = 17;

/// Invalid instruction data.
pub const ERR_INPUT: u32 = 1;
/// A division by zero asked of [`OP_ONE`].
pub const ERR_ZERO: u32 = 2;

pub const ONE_NAMES: [&str; 12] = [
    "nothing (baseline)",
    "u64 x u64 -> u128",
    "u64::checked_mul",
    "u128 x u128 (wrapping)",
    "u128::checked_mul",
    "u128 / u128, both < 2^64",
    "u128 / u64, dividend >= 2^64",
    "u128 / u128, divisor >= 2^64",
    "i128 / i128",
    "u128 << n (variable)",
    "f64 * f64",
    "f64 / f64",
];

pub const ALL_NAMES: [&str; 53] = [
    "u128 a.wrapping_mul(b)",
    "u64 x u64 -> u128",
    "i64 x i64 -> i128",
    "i128 a.wrapping_mul(b)",
    "u64 x u32 -> u128",
    "u128 a.checked_div(b)",
    "u128 a.checked_rem(b)",
    "i128 a.checked_div(b)",
    "i128 a.checked_rem(b)",
    "u128 a / (b as u64)",
    "u128 a % (b as u64)",
    "u128 (a as u64) / (b as u64)",
    "i128 (a as i64) / (b as i64)",
    "i128 (a as i64) % (b as i64)",
    "i128 a / (b as i64)",
    "i128 a.checked_div_euclid(b)",
    "i128 a.checked_rem_euclid(b)",
    "i128 a.wrapping_div(b)",
    "u64 x u64 / (a >> 64) as u64 (mul-div)",
    "u128 a << (n % 128)",
    "u128 a >> (n % 128)",
    "i128 a >> (n % 128)",
    "i128 a << (n % 128)",
    "u128 a.wrapping_shl(n)",
    "i128 a.wrapping_shr(n)",
    "u128 a.checked_shl(n)",
    "u128 a.checked_shr(n)",
    "u128 a.rotate_left(n)",
    "u128 a.rotate_right(n)",
    "u128 a >> 64",
    "u128 a << 64",
    "i128 a >> 100",
    "u128 leading_zeros | trailing_zeros << 8 | count_ones << 16",
    "u64 a.checked_mul(b)",
    "u64 a.overflowing_mul(b)",
    "i64 a.checked_mul(b)",
    "i64 a.overflowing_mul(b)",
    "u128 a.checked_mul(b)",
    "u128 a.overflowing_mul(b)",
    "i128 a.checked_mul(b)",
    "i128 a.overflowing_mul(b)",
    "u128 a.checked_add(b)",
    "i128 a.checked_sub(b)",
    "u128 a.saturating_mul(b)",
    "i128 a.saturating_mul(b)",
    "u64 a.checked_div(b)",
    "i64 a.checked_div(b)",
    "i64 a.checked_rem(b)",
    "u64 x u64 -> high 64 bits",
    "u128 a.isqrt()",
    "u128 a.wrapping_pow(n % 16)",
    "i128 (a as i64 x b as i64).checked_div(n as i64)",
    "u128 a.checked_next_power_of_two()",
];

pub const ARGS_NAMES: [&str; 6] = [
    "six(x0..x5) (6 u64)",
    "seven(x0..x6) through a fn pointer",
    "wide(u64, u64, u128, u8, i128, u64) -> u128 (sret, 128-bit arguments)",
    "extern \"C\" c_six(u64, u32, u16, u8, i64, u64)",
    "ten(x0..x7, x0 ^ x7, x1 ^ x6)",
    "wide_ptr(9 registers) through a fn pointer",
];

pub const FLOAT_NAMES: [&str; 44] = [
    "a + b",
    "a - b",
    "a * b",
    "a / b",
    "-a",
    "a == b",
    "a != b",
    "a < b",
    "a <= b",
    "a > b",
    "a >= b",
    "a.partial_cmp(b)",
    "a as u64",
    "a as i64",
    "a as u32",
    "a as i32",
    "(a bits) as f64 (u64)",
    "(a bits as i64) as f64",
    "(a bits as u32) as f64",
    "(a bits as i32) as f64",
    "a.powi(n)",
    "x + y (f32)",
    "x - y (f32)",
    "x * y (f32)",
    "x / y (f32)",
    "x == y (f32)",
    "x != y (f32)",
    "x < y (f32)",
    "x <= y (f32)",
    "x > y (f32)",
    "x >= y (f32)",
    "x.partial_cmp(y) (f32)",
    "x as u64 (f32)",
    "x as i64 (f32)",
    "x as u32 (f32)",
    "x as i32 (f32)",
    "(a bits) as f32 (u64)",
    "(a bits as i64) as f32",
    "(a bits as u32) as f32",
    "(a bits as i32) as f32",
    "x.powi(n) (f32)",
    "a as f32 (x)",
    "x as f64",
    "1e6 * a as u64 as f64 / b (rent-like)",
];

fn u64_at(d: &[u8], i: usize) -> Result<u64, u32> {
    d.get(i..i + 8).map(|s| u64::from_le_bytes(s.try_into().unwrap())).ok_or(ERR_INPUT)
}
fn u128_at(d: &[u8], i: usize) -> Result<u128, u32> {
    d.get(i..i + 16).map(|s| u128::from_le_bytes(s.try_into().unwrap())).ok_or(ERR_INPUT)
}
fn u32_at(d: &[u8], i: usize) -> Result<u32, u32> {
    d.get(i..i + 4).map(|s| u32::from_le_bytes(s.try_into().unwrap())).ok_or(ERR_INPUT)
}

struct Out<'a> {
    buf: &'a mut [u8; MAX_OUT],
    len: usize,
}

impl Out<'_> {
    fn bytes(&mut self, b: &[u8]) {
        self.buf[self.len..self.len + b.len()].copy_from_slice(b);
        self.len += b.len();
    }
    fn rec(&mut self, tag: u8, v: u128) {
        self.bytes(&[tag]);
        self.bytes(&v.to_le_bytes());
    }
    fn val(&mut self, v: u128) {
        self.rec(1, v);
    }
    fn opt(&mut self, v: Option<u128>) {
        match v {
            Some(v) => self.rec(1, v),
            None => self.rec(0, 0),
        }
    }
    fn ovf(&mut self, (v, o): (u128, bool)) {
        self.rec(if o { 2 } else { 1 }, v);
    }
}

pub fn run(data: &[u8], buf: &mut [u8; MAX_OUT]) -> Result<usize, u32> {
    let (&op, args) = data.split_first().ok_or(ERR_INPUT)?;
    let mut out = Out { buf, len: 0 };
    match op {
        OP_ALL => all(u128_at(args, 0)?, u128_at(args, 16)?, u32_at(args, 32)?, &mut out),
        OP_ARGS => {
            let mut x = [0u64; 8];
            for (i, v) in x.iter_mut().enumerate() {
                *v = u64_at(args, 8 * i)?;
            }
            many_args(x, &mut out)
        }
        OP_FLOAT => floats(u64_at(args, 0)?, u64_at(args, 8)?, u32_at(args, 16)? as i32, &mut out),
        OP_MUL_CHECKED_64 => out.bytes(&(u64_at(args, 0)? * u64_at(args, 8)?).to_le_bytes()),
        OP_MUL_CHECKED_128 => out.bytes(&(u128_at(args, 0)? * u128_at(args, 16)?).to_le_bytes()),
        OP_ONE => {
            let r = one(*args.first().ok_or(ERR_INPUT)?, u128_at(args, 1)?, u128_at(args, 17)?)?;
            out.bytes(&r.to_le_bytes())
        }
        OP_FMT => fmt(u128_at(args, 0)?, u128_at(args, 16)?, &mut out),
        OP_BIG_FRAME => out.bytes(&big_frame(u64_at(args, 0)?).to_le_bytes()),
        _ => return Err(ERR_INPUT),
    }
    Ok(out.len)
}

#[inline(never)]
fn all(a: u128, b: u128, n: u32, o: &mut Out) {
    let (ia, ib) = (a as i128, b as i128);
    let (a64, b64) = (a as u64, b as u64);
    let (ia64, ib64) = (a64 as i64, b64 as i64);
    let s = n % 128;
    let w = |v: u64| v as u128;
    let iw = |v: i64| v as i128 as u128;

    o.val(a.wrapping_mul(b));
    o.val(w(a64) * w(b64));
    o.val(((ia64 as i128) * (ib64 as i128)) as u128);
    o.val(ia.wrapping_mul(ib) as u128);
    o.val(w(a64) * (b as u32 as u128));
    o.opt(a.checked_div(b));
    o.opt(a.checked_rem(b));
    o.opt(ia.checked_div(ib).map(|v| v as u128));
    o.opt(ia.checked_rem(ib).map(|v| v as u128));
    o.opt(a.checked_div(w(b64)));
    o.opt(a.checked_rem(w(b64)));
    o.opt(w(a64).checked_div(w(b64)));
    o.opt((ia64 as i128).checked_div(ib64 as i128).map(|v| v as u128));
    o.opt((ia64 as i128).checked_rem(ib64 as i128).map(|v| v as u128));
    o.opt(ia.checked_div(ib64 as i128).map(|v| v as u128));
    o.opt(ia.checked_div_euclid(ib).map(|v| v as u128));
    o.opt(ia.checked_rem_euclid(ib).map(|v| v as u128));
    o.opt((ib != 0).then(|| ia.wrapping_div(ib) as u128));
    o.opt((w(a64) * w(b64)).checked_div(w((a >> 64) as u64)));
    o.val(a << s);
    o.val(a >> s);
    o.val((ia >> s) as u128);
    o.val((ia << s) as u128);
    o.val(a.wrapping_shl(n));
    o.val(ia.wrapping_shr(n) as u128);
    o.opt(a.checked_shl(n));
    o.opt(a.checked_shr(n));
    o.val(a.rotate_left(n));
    o.val(a.rotate_right(n));
    o.val(a >> 64);
    o.val(a << 64);
    o.val((ia >> 100) as u128);
    o.val(a.leading_zeros() as u128 | (a.trailing_zeros() as u128) << 8 | (a.count_ones() as u128) << 16);
    o.opt(a64.checked_mul(b64).map(w));
    o.ovf({
        let (v, f) = a64.overflowing_mul(b64);
        (w(v), f)
    });
    o.opt(ia64.checked_mul(ib64).map(iw));
    o.ovf({
        let (v, f) = ia64.overflowing_mul(ib64);
        (iw(v), f)
    });
    o.opt(a.checked_mul(b));
    o.ovf(a.overflowing_mul(b));
    o.opt(ia.checked_mul(ib).map(|v| v as u128));
    o.ovf({
        let (v, f) = ia.overflowing_mul(ib);
        (v as u128, f)
    });
    o.opt(a.checked_add(b));
    o.opt(ia.checked_sub(ib).map(|v| v as u128));
    o.val(a.saturating_mul(b));
    o.val(ia.saturating_mul(ib) as u128);
    o.opt(a64.checked_div(b64).map(w));
    o.opt(ia64.checked_div(ib64).map(iw));
    o.opt(ia64.checked_rem(ib64).map(iw));
    o.val((w(a64) * w(b64)) >> 64);
    o.val(a.isqrt());
    o.val(a.wrapping_pow(n % 16));
    o.opt(((ia64 as i128) * (ib64 as i128)).checked_div(n as i32 as i128).map(|v| v as u128));
    o.opt(a.checked_next_power_of_two());
}

/// An order-sensitive mix, so that a swapped or dropped argument shows.
fn mix(acc: u64, v: u64) -> u64 {
    (acc.rotate_left(11) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[inline(never)]
fn six(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64) -> u64 {
    [a, b, c, d, e, f].into_iter().fold(1, mix)
}

#[inline(never)]
fn seven(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64) -> u64 {
    [a, b, c, d, e, f, g].into_iter().fold(2, mix)
}

#[inline(never)]
fn wide(a: u64, b: u64, c: u128, d: u8, e: i128, f: u64) -> u128 {
    let h = [a, b, c as u64, (c >> 64) as u64, d as u64, e as u64, (e >> 64) as u64, f].into_iter().fold(3, mix);
    (h as u128) << 64 | mix(h, 4) as u128
}

#[inline(never)]
extern "C" fn c_six(a: u64, b: u32, c: u16, d: u8, e: i64, f: u64) -> u64 {
    [a, b as u64, c as u64, d as u64, e as u64, f].into_iter().fold(5, mix)
}

#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn ten(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64, i: u64, j: u64) -> u64 {
    [a, b, c, d, e, f, g, h, i, j].into_iter().fold(6, mix)
}

#[inline(never)]
fn wide_ptr(a: u128, b: u64, c: u128, d: u128, e: u64) -> u128 {
    let h = [a as u64, (a >> 64) as u64, b, c as u64, (c >> 64) as u64, d as u64, (d >> 64) as u64, e]
        .into_iter()
        .fold(7, mix);
    (h as u128) << 64 | mix(h, 8) as u128
}

#[inline(never)]
fn many_args(x: [u64; 8], o: &mut Out) {
    let wv = |hi: u64, lo: u64| (hi as u128) << 64 | lo as u128;
    o.bytes(&(six(x[0], x[1], x[2], x[3], x[4], x[5]) as u128).to_le_bytes());
    let f: fn(u64, u64, u64, u64, u64, u64, u64) -> u64 = black_box(seven);
    o.bytes(&(f(x[0], x[1], x[2], x[3], x[4], x[5], x[6]) as u128).to_le_bytes());
    o.bytes(&wide(x[0], x[1], wv(x[2], x[3]), x[4] as u8, wv(x[5], x[6]) as i128, x[7]).to_le_bytes());
    let c = black_box(c_six as extern "C" fn(u64, u32, u16, u8, i64, u64) -> u64);
    o.bytes(&(c(x[0], x[1] as u32, x[2] as u16, x[3] as u8, x[4] as i64, x[5]) as u128).to_le_bytes());
    o.bytes(&(ten(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], x[0] ^ x[7], x[1] ^ x[6]) as u128).to_le_bytes());
    let g: fn(u128, u64, u128, u128, u64) -> u128 = black_box(wide_ptr);
    o.bytes(&g(wv(x[0], x[1]), x[2], wv(x[3], x[4]), wv(x[5], x[6]), x[7]).to_le_bytes());
}

#[inline(never)]
fn floats(a: u64, b: u64, n: i32, o: &mut Out) {
    let (x, y) = (f64::from_bits(a), f64::from_bits(b));
    let (xf, yf) = (x as f32, y as f32);
    let (n, f) = (n % 64, |v: f32| v as f64);
    let c = |v: Option<core::cmp::Ordering>| v.map_or(7.0, |o| o as i8 as f64);
    let u = |v: u64| f64::from_bits(v);
    for v in [
        x + y,
        x - y,
        x * y,
        x / y,
        -x,
        (x == y) as u8 as f64,
        (x != y) as u8 as f64,
        (x < y) as u8 as f64,
        (x <= y) as u8 as f64,
        (x > y) as u8 as f64,
        (x >= y) as u8 as f64,
        c(x.partial_cmp(&y)),
        u(x as u64),
        u(x as i64 as u64),
        u(x as u32 as u64),
        u(x as i32 as u64),
        a as f64,
        a as i64 as f64,
        a as u32 as f64,
        a as i32 as f64,
        x.powi(n),
        f(xf + yf),
        f(xf - yf),
        f(xf * yf),
        f(xf / yf),
        (xf == yf) as u8 as f64,
        (xf != yf) as u8 as f64,
        (xf < yf) as u8 as f64,
        (xf <= yf) as u8 as f64,
        (xf > yf) as u8 as f64,
        (xf >= yf) as u8 as f64,
        c(xf.partial_cmp(&yf)),
        u(xf as u64),
        u(xf as i64 as u64),
        u(xf as u32 as u64),
        u(xf as i32 as u64),
        f(a as f32),
        f(a as i64 as f32),
        f(a as u32 as f32),
        f(a as i32 as f32),
        f(xf.powi(n)),
        u(xf.to_bits() as u64),
        f(xf),
        ((a as f64) * 1e6 / y) as u64 as f64,
    ] {
        o.bytes(&v.to_bits().to_le_bytes());
    }
}

/// One operation for its compute units; black_box keeps the operands opaque.
#[inline(never)]
fn one(which: u8, a: u128, b: u128) -> Result<u128, u32> {
    let (a, b) = (black_box(a), black_box(b));
    let nz = |v: u128| if v == 0 { Err(ERR_ZERO) } else { Ok(v) };
    Ok(match which {
        0 => a ^ b,
        1 => (a as u64 as u128) * (b as u64 as u128),
        2 => (a as u64).checked_mul(b as u64).unwrap_or(0) as u128,
        3 => a.wrapping_mul(b),
        4 => a.checked_mul(b).unwrap_or(0),
        5 => (a as u64 as u128) / nz(b as u64 as u128)?,
        6 => a / nz(b as u64 as u128)?,
        7 => a / nz(b)?,
        8 => (a as i128).checked_div(nz(b)? as i128).unwrap_or(0) as u128,
        9 => a << (b % 128),
        10 => (f64::from_bits(a as u64) * f64::from_bits(b as u64)).to_bits() as u128,
        11 => (f64::from_bits(a as u64) / f64::from_bits(b as u64)).to_bits() as u128,
        _ => return Err(ERR_INPUT),
    })
}

#[inline(never)]
fn fmt(a: u128, b: u128, o: &mut Out) {
    use core::fmt::Write;
    struct W<'a, 'b>(&'a mut Out<'b>);
    impl Write for W<'_, '_> {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            self.0.bytes(s.as_bytes());
            Ok(())
        }
    }
    let _ = write!(W(o), "{} {}", a, b as i128);
}

#[inline(never)]
fn big_frame(seed: u64) -> u64 {
    let mut buf = [0u64; 384]; // 3 KiB
    let mut v = seed;
    for slot in buf.iter_mut() {
        v = mix(v, seed);
        *slot = v;
    }
    black_box(&mut buf);
    buf.iter().fold(0, |acc, &x| mix(acc, x))
}
