// The SDK's pure parts, without a chain: the remaining-accounts order, events from logs (CPI
// aware), typed errors from every failure shape, the zero-copy decoder against the generated
// Borsh codec on a filled account, fake Pyth bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccountRole, generateKeyPairSigner, getBase64Decoder, type Address } from '@solana/kit';
import {
  PRICE_UPDATE_V2_LEN,
  PROGRAM_ID,
  PortfolioMarginError,
  RemainingAccounts,
  customErrorCode,
  decodeMarginAccount,
  decodeProgramError,
  encodePriceUpdateV2,
  errorCode,
  generated as g,
  parseEvents,
} from '@portfolio-margin/sdk';
import { EVENT_DISCRIMINATORS } from '../app/sdk/src/generated/idlExtras.ts';

const keys = async (n: number) => Promise.all(Array.from({ length: n }, async () => (await generateKeyPairSigner()).address));

test('remaining accounts: assets, oracles, underlyings, instruments; each once; instruments writable only for liquidations', async () => {
  const [a1, a2, o1, o2, u0, u1, i1, i2, a3, o3, rate] = await keys(11);
  const r = new RemainingAccounts()
    .asset(a1, o1)
    .asset(a2, o2, u1) // mapped to u1
    .instrument(i1, u0)
    .instrument(i2, u1)
    .asset(a1, o1) // the second account holds the same asset: nothing new
    .instrument(i1, u0);
  assert.deepEqual(r.keys(), [a1, a2, o1, o2, u1, u0, i1, i2]);
  // A receipt token (an LST): its rate account right after its price account.
  r.asset(a3, o3, undefined, rate);
  assert.deepEqual(r.keys(), [a1, a2, a3, o1, o2, o3, rate, u1, u0, i1, i2]);
  assert.ok(r.metas().every((m) => m.role === AccountRole.READONLY));
  const w = r.metas(true);
  assert.deepEqual(w.filter((m) => m.role === AccountRole.WRITABLE).map((m) => m.address), [i1, i2]);
});

function dataLine(bytes: Uint8Array) {
  return `Program data: ${getBase64Decoder().decode(bytes)}`;
}

test('events: only what the program itself logged, decoded with the generated codecs', () => {
  const body = g.getPauseChangedEventEncoder().encode({ paused: 5 });
  const ev = new Uint8Array([...EVENT_DISCRIMINATORS.PauseChanged, ...body]);
  const other = 'Other11111111111111111111111111111111111111';
  const logs = [
    `Program ${PROGRAM_ID} invoke [1]`,
    'Program log: Instruction: ConfigSetPause',
    `Program ${other} invoke [2]`,
    dataLine(ev), // a callee's log data: not ours even if the bytes match
    `Program ${other} success`,
    dataLine(ev),
    `Program ${PROGRAM_ID} consumed 1000 of 200000 compute units`,
    `Program ${PROGRAM_ID} success`,
    dataLine(ev), // outside any invocation
  ];
  assert.deepEqual(parseEvents(logs), [{ name: 'PauseChanged', data: { paused: 5 } }]);
});

test('typed errors: RPC JSON, litesvm, kit SolanaError and Anchor log shapes', () => {
  const rpc = { InstructionError: [2, { Custom: 6009 }] };
  assert.deepEqual(customErrorCode(rpc), { code: 6009, index: 2 });
  const e = decodeProgramError(rpc)!;
  assert.ok(e instanceof PortfolioMarginError && e.is('InitialMarginViolated') && e.instructionIndex === 2);
  assert.match(e.message, /InitialMarginViolated \(6009\): the account would fall below initial margin/);
  const lite = { index: 0, err: () => ({ code: 6047 }) };
  assert.equal(decodeProgramError(lite)!.errorName, 'NotLiquidatable');
  const kit = { context: { code: 6042, index: 1 } };
  assert.equal(decodeProgramError(kit)!.errorName, 'AccountsMismatch');
  const logs = ['Program log: AnchorError occurred. Error Code: ZeroAmount. Error Number: 6006. Error Message: amount must be greater than zero.'];
  assert.equal(decodeProgramError('whatever', logs)!.code, errorCode('ZeroAmount'));
  // Anchor's own codes (account constraints) are not the program's.
  assert.equal(decodeProgramError({ InstructionError: [0, { Custom: 3010 }] }), null);
  assert.equal(errorCode('NotPerpetual'), 6069);
});

test('zero-copy MarginAccount decoder = the generated Borsh decoder on a filled account', async () => {
  const size = g.getMarginAccountSize();
  assert.equal(size, 8 + 2696);
  const zero = new Uint8Array(size);
  zero.set(g.MARGIN_ACCOUNT_DISCRIMINATOR);
  const base = g.getMarginAccountDecoder().decode(zero);
  const [owner, delegate, asset, q, ...insts] = await keys(7);
  const acc = {
    ...base,
    owner,
    delegate,
    subId: 513,
    version: 1,
    bump: 254,
    nBalances: 2,
    nPositions: 3,
    balances: base.balances.map((b, i) => (i < 2 ? { asset, amount: i ? -7n : 123_456_789n } : b)),
    positions: base.positions.map((p, i) =>
      i < 3 ? { instrument: insts[i], lots: BigInt(i - 1) * 1000n + 1n, cost: -5n * BigInt(i), funding: 1n << 40n, fundingIndex: -(1n << 33n) } : p,
    ),
    lastNonce: 99n,
    liquidatableSince: 1_800_000_000n,
    liquidatableSeen: 1_800_000_100n,
    balanceIndex: base.balanceIndex.map((x, i) => (i === 1 ? 1n << 59n : x)),
    quoteNeeds: base.quoteNeeds.map((x, i) => (i === 0 ? q : x)),
  };
  const bytes = new Uint8Array(g.getMarginAccountEncoder().encode(acc));
  const z = decodeMarginAccount(bytes);
  assert.equal(z.owner, owner);
  assert.equal(z.delegate, delegate);
  assert.equal(z.subId, 513);
  assert.equal(z.bump, 254);
  assert.deepEqual(z.balances, [
    { asset, amount: 123_456_789n, balanceIndex: 0n },
    { asset, amount: -7n, balanceIndex: 1n << 59n },
  ]);
  assert.deepEqual(z.positions, acc.positions.slice(0, 3));
  assert.equal(z.lastNonce, 99n);
  assert.equal(z.liquidatableSince, 1_800_000_000n);
  assert.equal(z.liquidatableSeen, 1_800_000_100n);
  assert.deepEqual(z.quoteNeeds, [q]);
});

test('fake Pyth PriceUpdateV2: 134 bytes, the fields where the program reads them', () => {
  const feed = new Uint8Array(32).fill(7);
  const d = encodePriceUpdateV2({ feedId: feed, price: 15_000_000_000n, conf: 1_500_000n, exponent: -8, publishTime: 1_800_000_000n });
  assert.equal(d.length, PRICE_UPDATE_V2_LEN);
  const v = new DataView(d.buffer);
  assert.equal(d[40], 1, 'VerificationLevel::Full');
  assert.deepEqual(d.subarray(41, 73), feed);
  assert.equal(v.getBigInt64(73, true), 15_000_000_000n);
  assert.equal(v.getInt32(89, true), -8);
  assert.equal(v.getBigInt64(93, true), 1_800_000_000n);
  assert.equal(v.getBigInt64(101, true), 1_799_999_999n);
});
