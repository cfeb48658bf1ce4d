// Decoders of the program's zero-copy accounts (`#[account(zero_copy)]`: bytemuck Pod structs,
// repr(C), explicit padding) by byte offset, after the 8-byte discriminator: MarginAccount
// (state/margin_account.rs, 2,696 bytes + 8) and Instrument (state/instrument.rs, with its
// crank-refreshed risk cache: the kernel's `InstrumentRisk` as 108 little-endian words,
// crates/risk-kernel/src/instrument.rs `to_words`). The offsets are the Rust layout's; a test
// decodes accounts the program wrote and checks them against the generated (Borsh) decoder.
import { getAddressDecoder, getAddressEncoder, type Address } from '@solana/kit';
import { MAX_BALANCES, MAX_POSITIONS } from './constants.ts';
import { MARGIN_ACCOUNT_DISCRIMINATOR } from './generated/accounts/marginAccount.ts';
import { INSTRUMENT_DISCRIMINATOR } from './generated/accounts/instrument.ts';

export const MARGIN_ACCOUNT_SIZE = 8 + 2696;
export const INSTRUMENT_SIZE = 8 + 1040;
/** Scenarios per risk array (the kernel's MAX_SCENARIOS). */
export const MAX_SCENARIOS = 32;
/** Words of a risk cache (kernel RISK_WORDS = 12 + 2 x (32 + 16)). */
export const RISK_WORDS = 108;

const DEFAULT_ADDRESS = '11111111111111111111111111111111' as Address;

class Reader {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly base: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  address(o: number): Address {
    return getAddressDecoder().decode(this.bytes.subarray(this.base + o, this.base + o + 32));
  }
  u8(o: number) { return this.view.getUint8(this.base + o); }
  u16(o: number) { return this.view.getUint16(this.base + o, true); }
  u32(o: number) { return this.view.getUint32(this.base + o, true); }
  i64(o: number) { return this.view.getBigInt64(this.base + o, true); }
  u64(o: number) { return this.view.getBigUint64(this.base + o, true); }
}

function checkDiscriminator(data: Uint8Array, disc: ArrayLike<number>, size: number, what: string) {
  if (data.length < size) throw new Error(`${what}: ${data.length} bytes, expected ${size}`);
  for (let i = 0; i < 8; i++) if (data[i] !== disc[i]) throw new Error(`${what}: wrong discriminator`);
}

export type Balance = { asset: Address; amount: bigint; balanceIndex: bigint };
export type Position = { instrument: Address; lots: bigint; cost: bigint; funding: bigint; fundingIndex: bigint };

export type MarginAccountData = {
  owner: Address;
  /** The default address (all zero) when none. */
  delegate: Address;
  subId: number;
  version: number;
  bump: number;
  /** The used slots only (`n_balances` of 8), with each slot's loss index (0 = one). */
  balances: Balance[];
  /** The used slots only (`n_positions` of 32). */
  positions: Position[];
  lastNonce: bigint;
  liquidatableSince: bigint;
  liquidatableSeen: bigint;
  /** The quote assets the positions settle in (entries in use). */
  quoteNeeds: Address[];
};

// MarginAccount offsets (after the discriminator).
const MA = {
  owner: 0, delegate: 32, subId: 64, version: 66, bump: 67, nBalances: 68, nPositions: 69,
  balances: 72, balanceSize: 40, positions: 72 + 40 * MAX_BALANCES, positionSize: 64,
  lastNonce: 72 + 40 * MAX_BALANCES + 64 * MAX_POSITIONS, // 2440
} as const;

export function decodeMarginAccount(data: Uint8Array): MarginAccountData {
  checkDiscriminator(data, MARGIN_ACCOUNT_DISCRIMINATOR, MARGIN_ACCOUNT_SIZE, 'MarginAccount');
  const r = new Reader(data, 8);
  const nb = r.u8(MA.nBalances);
  const np = r.u8(MA.nPositions);
  if (nb > MAX_BALANCES || np > MAX_POSITIONS) throw new Error('MarginAccount: slot count over capacity');
  const balanceIndex = MA.lastNonce + 24; // 2464: [u64; 8]
  const quoteNeeds = balanceIndex + 8 * MAX_BALANCES; // 2528: [Pubkey; 4]
  const balances: Balance[] = [];
  for (let i = 0; i < nb; i++) {
    const o = MA.balances + i * MA.balanceSize;
    balances.push({ asset: r.address(o), amount: r.i64(o + 32), balanceIndex: r.u64(balanceIndex + 8 * i) });
  }
  const positions: Position[] = [];
  for (let i = 0; i < np; i++) {
    const o = MA.positions + i * MA.positionSize;
    positions.push({
      instrument: r.address(o),
      lots: r.i64(o + 32),
      cost: r.i64(o + 40),
      funding: r.i64(o + 48),
      fundingIndex: r.i64(o + 56),
    });
  }
  const needs: Address[] = [];
  for (let i = 0; i < 4; i++) {
    const a = r.address(quoteNeeds + 32 * i);
    if (a === DEFAULT_ADDRESS) break;
    needs.push(a);
  }
  return {
    owner: r.address(MA.owner),
    delegate: r.address(MA.delegate),
    subId: r.u16(MA.subId),
    version: r.u8(MA.version),
    bump: r.u8(MA.bump),
    balances,
    positions,
    lastNonce: r.u64(MA.lastNonce),
    liquidatableSince: r.i64(MA.lastNonce + 8),
    liquidatableSeen: r.i64(MA.lastNonce + 16),
    quoteNeeds: needs,
  };
}

/** Fixed-point Greeks per lot of an instrument's cache (Price raw, delta and gamma Ratio raw). */
export type Greeks = { price: bigint; delta: bigint; gamma: bigint; vega: bigint; theta: bigint; rho: bigint };

/** The kernel's `InstrumentRisk` decoded from the cache words. */
export type InstrumentRisk = {
  /** Scenarios in the arrays (0 = never computed). */
  len: number;
  /** The grid tag (Config's grid epoch) the arrays were computed with. */
  grid: bigint;
  /** Fair value per lot and per unit (Price raw). */
  mark: bigint;
  fair: bigint;
  greeks: Greeks;
  /** Scenario P&L per lot (Price raw), `len` entries each. */
  maintenance: bigint[];
  initial: bigint[];
  maintenanceRange: bigint;
  initialRange: bigint;
};

export type InstrumentData = {
  underlying: Address;
  expiry: bigint;
  strike: bigint;
  lotSize: bigint;
  settlePrice: bigint;
  openInterest: bigint;
  netCash: bigint;
  riskEpoch: bigint;
  riskTime: bigint;
  vol: bigint;
  kind: number;
  phase: number;
  version: number;
  bump: number;
  risk: InstrumentRisk;
  pnlPool: bigint;
  fundingIndex: bigint;
  fundingTime: bigint;
  premiumSum: bigint;
  premium: bigint;
  premiumTime: bigint;
  fundingPeriod: number;
  fundingImpactLots: number;
  fundingClamp: bigint;
};

const RISK = 112; // offset of the cache words
const AFTER_RISK = RISK + 8 * RISK_WORDS; // 976

/** One risk array from its words: hi[32] (i64), then lo as 16 words of two u32 each. */
function riskArray(r: Reader, base: number, len: number): bigint[] {
  const out: bigint[] = [];
  for (let s = 0; s < len; s++) {
    const hi = r.i64(base + 8 * s);
    const lo = BigInt(r.u32(base + 8 * MAX_SCENARIOS + 4 * s));
    out.push((hi << 32n) | lo);
  }
  return out;
}

function decodeInstrumentRisk(r: Reader, base: number): InstrumentRisk {
  const w = (k: number) => r.i64(base + 8 * k);
  const len = Number(r.u64(base));
  if (len > MAX_SCENARIOS) throw new Error('Instrument: risk cache length over capacity');
  const arr = 8 * (MAX_SCENARIOS + MAX_SCENARIOS / 2);
  return {
    len,
    grid: r.u64(base + 8),
    mark: w(2),
    fair: w(3),
    greeks: { price: w(4), delta: w(5), gamma: w(6), vega: w(7), theta: w(8), rho: w(9) },
    maintenanceRange: w(10),
    initialRange: w(11),
    maintenance: riskArray(r, base + 8 * 12, len),
    initial: riskArray(r, base + 8 * 12 + arr, len),
  };
}

export function decodeInstrument(data: Uint8Array): InstrumentData {
  checkDiscriminator(data, INSTRUMENT_DISCRIMINATOR, INSTRUMENT_SIZE, 'Instrument');
  const r = new Reader(data, 8);
  return {
    underlying: r.address(0),
    expiry: r.i64(32),
    strike: r.i64(40),
    lotSize: r.i64(48),
    settlePrice: r.i64(56),
    openInterest: r.i64(64),
    netCash: r.i64(72),
    riskEpoch: r.u64(80),
    riskTime: r.i64(88),
    vol: r.i64(96),
    kind: r.u8(104),
    phase: r.u8(105),
    version: r.u8(106),
    bump: r.u8(107),
    risk: decodeInstrumentRisk(r, RISK),
    pnlPool: r.i64(AFTER_RISK),
    fundingIndex: r.i64(AFTER_RISK + 8),
    fundingTime: r.i64(AFTER_RISK + 16),
    premiumSum: r.i64(AFTER_RISK + 24),
    premium: r.i64(AFTER_RISK + 32),
    premiumTime: r.i64(AFTER_RISK + 40),
    fundingPeriod: r.u32(AFTER_RISK + 48),
    fundingImpactLots: r.u32(AFTER_RISK + 52),
    fundingClamp: r.i64(AFTER_RISK + 56),
  };
}

/**
 * `getProgramAccounts` filters for margin accounts (crates/client's `filters::margin_accounts`):
 * the discriminator at 0 and the size; with `owner`, only that owner's (owner at offset 8).
 */
export function marginAccountFilters(opts: { owner?: Address } = {}) {
  const filters: ({ memcmp: { offset: number; bytes: Uint8Array } } | { dataSize: number })[] = [
    { memcmp: { offset: 0, bytes: new Uint8Array(MARGIN_ACCOUNT_DISCRIMINATOR) } },
    { dataSize: MARGIN_ACCOUNT_SIZE },
  ];
  if (opts.owner) filters.push({ memcmp: { offset: 8, bytes: new Uint8Array(getAddressEncoder().encode(opts.owner)) } });
  return filters;
}

/** `getProgramAccounts` filters for instruments; with `underlying`, only its (offset 8). */
export function instrumentFilters(opts: { underlying?: Address } = {}) {
  const filters: ({ memcmp: { offset: number; bytes: Uint8Array } } | { dataSize: number })[] = [
    { memcmp: { offset: 0, bytes: new Uint8Array(INSTRUMENT_DISCRIMINATOR) } },
    { dataSize: INSTRUMENT_SIZE },
  ];
  if (opts.underlying) filters.push({ memcmp: { offset: 8, bytes: new Uint8Array(getAddressEncoder().encode(opts.underlying)) } });
  return filters;
}
