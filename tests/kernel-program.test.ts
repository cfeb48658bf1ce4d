// The WASM kernel against the program itself: an account's `margin_report`, simulated on the
// .so in litesvm, and the report the SDK's RiskKernel computes in the client from the portfolio
// file `accountPortfolio` (app/sdk/src/kernel/account.ts) writes from the same chain state (the
// underlying's snapshot and parameters, the config's rate and grid, each instrument at its
// crank, the account's lots, cost and balances, the oracle's band), equal to the Money unit.
//
// The program margins from the crank's cached risk arrays (margin_from_risk), the client by
// full revaluation (margin_full) at the crank's inputs: the kernel computes both the same way.
// Futures, calls, puts and collateral.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InstrumentKind } from '@portfolio-margin/sdk';
import type { Address } from '@solana/kit';
import { Market, USDC, type Trader } from './helpers/market.ts';
import { marginReport } from './snippets/margin-report.ts';
import { trade } from './snippets/trade.ts';
import { RiskKernel } from '@portfolio-margin/sdk/kernel';
import { accountPortfolio } from '@portfolio-margin/sdk/kernel/account';

let m: Market;
let fut: Address, call: Address, put: Address, perp: Address;
let maker: Trader, taker: Trader;
let kernel: RiskKernel;

before(async () => {
  kernel = await RiskKernel.load();
  m = await Market.create();
  fut = await m.future();
  call = await m.list(InstrumentKind.Call, m.expiry, 106);
  put = await m.list(InstrumentKind.Put, m.expiry, 92.5);
  perp = await m.list(InstrumentKind.Perpetual, 0n, 0);
  await m.crank(100);
  maker = await m.trader(1_000_000n * USDC);
  taker = await m.trader(2_500n * USDC);
});

const money = (x: number) => BigInt(x * 2 ** 24); // exact: the report's money is raw / 2^24

async function compare(label: string) {
  const prog = (await marginReport(m.chain, m.payer, m.index, taker.margin)).raw;
  const file = await accountPortfolio(m.index, taker.margin, { underlyingNames: { 0: 'SOL' }, assetNames: { [m.usdc]: 'USDC' } });
  const rep = kernel.risk(file);
  assert.deepEqual(
    { equity: money(rep.equity), initial: money(rep.initial), maintenance: money(rep.maintenance) },
    { equity: prog.equity, initial: prog.initial, maintenance: prog.maintenance },
    `${label}: the WASM kernel (left) and the program's margin_report (right), Money raw`,
  );
  return rep;
}

test("program's margin_report = WASM kernel on the same inputs: a long future, then after a crank", async () => {
  await trade(m.chain, m.index, { instrument: fut, maker: { account: maker.margin, signer: maker.key }, taker: { account: taker.margin, signer: taker.key }, lots: 40n, px: 100.25, nonce: m.nonce++, now: m.chain.now() });
  const a = await compare('long 40 at 100.25, spot 100');
  assert.ok(a.maintenance > 0 && a.initial > a.maintenance);
  await m.crank(97.5);
  const b = await compare('spot 97.5');
  assert.ok(b.equity < a.equity);
});

test("program's margin_report = WASM kernel: short the future, spot up", async () => {
  await trade(m.chain, m.index, { instrument: fut, maker: { account: maker.margin, signer: maker.key }, taker: { account: taker.margin, signer: taker.key }, lots: -70n, px: 97.8, nonce: m.nonce++, now: m.chain.now() });
  await m.crank(103.1);
  const r = await compare('short 30 net, spot 103.1');
  assert.ok(r.groups[0].greeks.delta < 0);
});

test("program's margin_report = WASM kernel: short calls, long puts and the future, across cranks", async () => {
  const sides = { maker: { account: maker.margin, signer: maker.key }, taker: { account: taker.margin, signer: taker.key } };
  await trade(m.chain, m.index, { instrument: call, ...sides, lots: -25n, px: 2.1, nonce: m.nonce++, now: m.chain.now() });
  await trade(m.chain, m.index, { instrument: put, ...sides, lots: 15n, px: 1.4, nonce: m.nonce++, now: m.chain.now() });
  const a = await compare('short calls, long puts, short future');
  assert.ok(a.groups[0].short_option_charge > 0);
  await m.crank(98.2);
  await compare('spot 98.2');
  await m.crank(104.9);
  await compare('spot 104.9');
});

test("program's margin_report = WASM kernel: a perpetual added, after a crank", async () => {
  const sides = { maker: { account: maker.margin, signer: maker.key }, taker: { account: taker.margin, signer: taker.key } };
  await trade(m.chain, m.index, { instrument: perp, ...sides, lots: 12n, px: 104.5, nonce: m.nonce++, now: m.chain.now() });
  await compare('with a long perpetual');
  await m.crank(101.3);
  await compare('perpetual, spot 101.3');
});
