// End to end on the program's real .so in litesvm (npm, in-process SVM): wallet-signed
// transactions built by the SDK (app/sdk), every one sent as a v0 transaction with the
// compute-budget instructions the program needs. One market for the whole file (as
// crates/localnet's tests build theirs): setup, open, deposit, trade with both signers, the
// margin report by simulation, the crank, liquidation by the program's plan, typed errors,
// zero-copy decoders against the bytes the program wrote, events, lookup tables.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeInstrument,
  decodeMarginAccount,
  eventsNamed,
  fromMoney,
  fromPrice,
  generated as g,
  getMarginSummaryDecoder,
  marginReportInstruction,
  liquidationFlagInstruction,
  messageSize,
  PortfolioMarginError,
  errorCode,
  price,
  sendInstructions,
  simulateView,
  tableAddresses,
  createLookupTableInstruction,
  extendLookupTableInstruction,
  decodeLookupTable,
  tradeInstruction,
  withdrawInstruction,
  PACKET_BYTES,
  budgetInstructions,
  type LookupTables,
} from '@portfolio-margin/sdk';
import { Market, USDC, type Trader } from './helpers/market.ts';
import { marginReport } from './snippets/margin-report.ts';
import { trade } from './snippets/trade.ts';
import { liquidateByPlan } from './snippets/liquidate.ts';
import type { Address } from '@solana/kit';

let m: Market;
let fut: Address;
let maker: Trader, victim: Trader, liquidator: Trader;

before(async () => {
  m = await Market.create();
  fut = await m.future();
  await m.crank(100);
  maker = await m.trader(1_000_000n * USDC);
  victim = await m.trader(200n * USDC);
  liquidator = await m.trader(100_000n * USDC);
});

const side = (t: Trader) => ({ account: t.margin, signer: t.key });

test('setup: config, registry, underlying, insurance fund exist and decode', async () => {
  const [cfg] = await m.chain.getAccounts([(await g.findConfigPda())[0]]);
  const config = g.getConfigDecoder().decode(cfg!.data);
  assert.equal(config.admin, m.admin.address);
  assert.equal(config.riskAuthority, m.risk.address);
  const asset = await m.index.asset(m.usdc);
  assert.equal(asset.mint, m.usdcMint);
  const und = await m.index.underlying(m.sol);
  assert.equal(und.quoteAsset, m.usdc);
  assert.ok(und.snapshot.epoch > 0n, 'cranked');
});

test('open + deposit: the margin account holds the USDC, the vault received it', async () => {
  const acc = decodeMarginAccount((await m.chain.getAccounts([victim.margin]))[0]!.data);
  assert.equal(acc.owner, victim.key.address);
  assert.deepEqual(acc.balances.map((b) => [b.asset, b.amount]), [[m.usdc, 200n * USDC]]);
  assert.equal(m.chain.tokenBalance(victim.wallet), 0n);
});

test('zero-copy decoders: offsets agree with the generated Borsh decoders on bytes the program wrote', async () => {
  const [acc, inst] = await m.chain.getAccounts([liquidator.margin, fut]);
  const z = decodeMarginAccount(acc!.data);
  const b = g.getMarginAccountDecoder().decode(acc!.data);
  assert.equal(z.owner, b.owner);
  assert.equal(z.balances.length, b.nBalances);
  assert.equal(z.balances[0].amount, b.balances[0].amount);
  assert.equal(z.lastNonce, b.lastNonce);
  assert.deepEqual(z.quoteNeeds, b.quoteNeeds.filter((q) => q !== '11111111111111111111111111111111'));
  const zi = decodeInstrument(inst!.data);
  const bi = g.getInstrumentDecoder().decode(inst!.data);
  for (const k of ['expiry', 'strike', 'lotSize', 'openInterest', 'netCash', 'riskEpoch', 'riskTime', 'fundingClamp', 'pnlPool'] as const)
    assert.equal(zi[k], (bi as any)[k], k);
  assert.equal(zi.kind, 2);
  assert.equal(zi.underlying, m.sol);
  assert.equal(zi.risk.len, 26, 'the default 26-point grid');
  assert.equal(BigInt.asUintN(64, zi.risk.mark), bi.risk[2]);
  assert.ok(Math.abs(fromPrice(zi.risk.mark) - 100 * Math.exp(0.05 * 30 / 365)) < 0.05, `future marked at the forward: ${fromPrice(zi.risk.mark)}`);
  assert.equal(zi.risk.maintenance.length, 26);
});

test('trade signed by maker and taker; events decoded from the logs', async () => {
  const sent = await trade(m.chain, m.index, { instrument: fut, maker: side(maker), taker: side(victim), lots: 10n, px: 100, nonce: m.nonce++, now: m.chain.now() });
  const traded = eventsNamed<{ lots: bigint; price: bigint }>(sent.events, 'Traded');
  assert.equal(traded.length, 1);
  assert.equal(traded[0].lots, 10n);
  assert.equal(traded[0].price, price(100));
  const v = await m.index.marginAccount(victim.margin);
  assert.deepEqual(v.positions.map((p) => [p.instrument, p.lots]), [[fut, 10n]]);
  assert.equal(decodeInstrument((await m.chain.getAccounts([fut]))[0]!.data).openInterest, 10n);
  console.log(`trade: ${sent.computeUnits} CU`);
});

test('margin report by simulation (README snippet)', async () => {
  const r = await marginReport(m.chain, m.payer, m.index, victim.margin);
  // 200 USDC less the 2% maintenance haircut, plus the futures' gain at mark (bought at 100,
  // marked at the forward ~100.41).
  assert.ok(r.equity > 190 && r.equity < 210, `equity ${r.equity}`);
  assert.ok(r.maintenance > 0 && r.initial >= r.maintenance, `IM ${r.initial} MM ${r.maintenance}`);
  assert.ok(r.equity >= r.initial, 'the trade passed initial margin');
  assert.equal(r.raw.groups.length, 1);
  console.log(`victim: equity ${r.equity.toFixed(2)} IM ${r.initial.toFixed(2)} MM ${r.maintenance.toFixed(2)}`);
});

test('typed errors: a trade past initial margin is InitialMarginViolated (6009)', async () => {
  await assert.rejects(
    trade(m.chain, m.index, { instrument: fut, maker: side(maker), taker: side(victim), lots: 100n, px: 100, nonce: m.nonce++, now: m.chain.now() }),
    (e: unknown) => e instanceof PortfolioMarginError && e.is('InitialMarginViolated') && e.code === 6009 && e.code === errorCode('InitialMarginViolated'),
  );
});

test('typed errors: withdrawing more than the margin allows is refused with the program error', async () => {
  const ix = await withdrawInstruction(m.index, { marginAccount: victim.margin, mint: m.usdcMint, destination: victim.wallet, owner: victim.key, amount: 150n * USDC });
  await assert.rejects(sendInstructions(m.chain, victim.key, [ix]), (e: unknown) => e instanceof PortfolioMarginError && e.is('InitialMarginViolated'));
  // A small withdrawal passes the same check.
  const ok = await withdrawInstruction(m.index, { marginAccount: victim.margin, mint: m.usdcMint, destination: victim.wallet, owner: victim.key, amount: 1n * USDC });
  await sendInstructions(m.chain, victim.key, [ok]);
  assert.equal(m.chain.tokenBalance(victim.wallet), 1n * USDC);
});

test('v0 + address lookup table: a trade through a table the SDK created is smaller and executes', async () => {
  const ix = await tradeInstruction(m.index, { instrument: fut, maker: side(maker), taker: side(liquidator), lots: 1n, price: price(100), quoteExpiry: m.chain.now() + 60n, nonce: m.nonce++ });
  const all = [...budgetInstructions(), ix];
  const keys = tableAddresses(all);
  const slot = await m.chain.slot();
  const [create, table] = await createLookupTableInstruction(m.payer.address, m.payer, slot);
  await sendInstructions(m.chain, m.payer, [create]);
  await sendInstructions(m.chain, m.payer, [extendLookupTableInstruction(table, m.payer, m.payer, keys)]);
  m.chain.warp(1); // entries resolve from the next slot on
  const held = decodeLookupTable((await m.chain.getAccounts([table]))[0]!.data);
  assert.deepEqual(held, keys);
  const tables: LookupTables = { [table]: held };
  const plain = messageSize(m.payer, all);
  const compressed = messageSize(m.payer, all, tables);
  assert.ok(compressed < plain && compressed <= PACKET_BYTES, `v0 ${plain} -> ${compressed} bytes with the table`);
  console.log(`trade: ${plain} bytes v0, ${compressed} bytes v0 + lookup table (${keys.length} addresses in the table)`);
  const sent = await sendInstructions(m.chain, liquidator.key, [ix], { lookupTables: tables });
  assert.equal(eventsNamed(sent.events, 'Traded').length, 1);
});

test('crank to 88, liquidation through the program plan (README snippet)', async () => {
  await m.crank(88);
  const before = await marginReport(m.chain, m.payer, m.index, victim.margin);
  assert.ok(before.equity < before.maintenance, `under maintenance: equity ${before.equity} MM ${before.maintenance}`);
  // Anyone may start the auction clock (the keeper does before waiting for a better discount).
  const flagged = await sendInstructions(m.chain, m.payer, [await liquidationFlagInstruction(m.index, victim.margin)]);
  assert.equal(eventsNamed(flagged.events, 'LiquidationFlagged').length, 1);
  assert.equal((await m.index.marginAccount(victim.margin)).liquidatableSince, m.chain.now());
  const { plan, sent } = await liquidateByPlan(m.chain, m.index, victim.margin, liquidator.key, liquidator.margin);
  assert.ok(plan.liquidatable && plan.reachesTarget);
  const n = plan.request.positions[0].lots;
  assert.ok(n >= 2n && n < 10n, `partial: ${n} of 10 lots`);
  assert.ok(sent);
  assert.equal(eventsNamed(sent!.events, 'Liquidated').length, 1);
  const v = await m.index.marginAccount(victim.margin);
  assert.equal(v.positions[0].lots, 10n - n);
  const after = await marginReport(m.chain, m.payer, m.index, victim.margin);
  assert.ok(after.equity >= after.maintenance * 1.2 - 1e-6, `target reached: equity ${after.equity} MM ${after.maintenance}`);
  console.log(`liquidation: plan took ${n} of 10 lots, ${sent!.computeUnits} CU; equity/MM ${before.equity.toFixed(2)}/${before.maintenance.toFixed(2)} -> ${after.equity.toFixed(2)}/${after.maintenance.toFixed(2)}`);
  // Healthy now: the next attempt is the typed NotLiquidatable.
  const again = await liquidateByPlan(m.chain, m.index, victim.margin, liquidator.key, liquidator.margin);
  assert.equal(again.plan.liquidatable, false);
});

test('margin report instruction is a plain kit instruction: fee payer only, no other signer', async () => {
  const ix = await marginReportInstruction(m.index, maker.margin);
  const r = await simulateView(m.chain, m.payer, ix, getMarginSummaryDecoder());
  assert.ok(fromMoney(r.equity) > 900_000);
});
