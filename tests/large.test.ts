// The largest accounts need v0 transactions with an address lookup table: two accounts of 32
// positions each (a strip of 32 futures), every trade and the margin report sent through one
// table the SDK created. Without the table the transaction does not fit a packet; the program's
// margin check of 32 positions runs in the 256 KiB heap frame the SDK requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Address } from '@solana/kit';
import {
  budgetInstructions,
  createLookupTableInstruction,
  extendLookupTableInstruction,
  fromMoney,
  getMarginSummaryDecoder,
  marginReportInstruction,
  messageSize,
  PACKET_BYTES,
  price,
  sendInstructions,
  simulateView,
  tableAddresses,
  tradeInstruction,
  type LookupTables,
} from '@portfolio-margin/sdk';
import { DAY, Market, USDC } from './helpers/market.ts';

test('32 positions a side: trades and the margin report through a lookup table', async () => {
  const m = await Market.create();
  const futs: Address[] = [];
  for (let d = 1n; d <= 32n; d++) futs.push(await m.future(m.chain.now() + d * DAY));
  await m.crank(100);
  const maker = await m.trader(5_000_000n * USDC);
  const taker = await m.trader(1_000_000n * USDC);

  // One table with every account the trades and reports name (signers excepted).
  const [create, table] = await createLookupTableInstruction(m.payer.address, m.payer, await m.chain.slot());
  await m.send([create]);
  const first = await tradeInstruction(m.index, {
    instrument: futs[0], maker: { account: maker.margin, signer: maker.key }, taker: { account: taker.margin, signer: taker.key },
    lots: 1n, price: price(100), quoteExpiry: m.chain.now() + 600n, nonce: 1n,
  });
  const keys = [...new Set([...tableAddresses([...budgetInstructions(), first]), ...futs])];
  for (let i = 0; i < keys.length; i += 20) await m.send([extendLookupTableInstruction(table, m.payer, m.payer, keys.slice(i, i + 20))]);
  m.chain.warp(1);
  const tables: LookupTables = { [table]: keys };

  let lastTrade = { plain: 0, table: 0, cu: 0n };
  for (const [i, f] of futs.entries()) {
    const ix = await tradeInstruction(m.index, {
      instrument: f, maker: { account: maker.margin, signer: maker.key }, taker: { account: taker.margin, signer: taker.key },
      lots: 1n, price: price(100), quoteExpiry: m.chain.now() + 600n, nonce: BigInt(i + 1),
    });
    const all = [...budgetInstructions(), ix];
    const sent = await sendInstructions(m.chain, taker.key, [ix], { lookupTables: tables }).catch((e) => {
      throw new Error(`trade ${i}: ${e.message}\n${(e.logs ?? []).slice(-8).join("\n")}`);
    });
    lastTrade = { plain: messageSize(taker.key, all), table: messageSize(taker.key, all, tables), cu: sent.computeUnits };
  }
  const acc = await m.index.marginAccount(taker.margin);
  assert.equal(acc.positions.length, 32);
  assert.ok(lastTrade.plain > PACKET_BYTES, `the 32nd trade is ${lastTrade.plain} bytes as plain v0: too large without the table`);
  assert.ok(lastTrade.table <= PACKET_BYTES, `and ${lastTrade.table} bytes through the table`);

  const report = await marginReportInstruction(m.index, taker.margin);
  const all = [...budgetInstructions(), report];
  const plain = messageSize(m.payer, all);
  const compressed = messageSize(m.payer, all, tables);
  const r = await simulateView(m.chain, m.payer, report, getMarginSummaryDecoder(), { lookupTables: tables }).catch((e) => {
    throw new Error(`report: ${e.message}\n${(e.logs ?? []).join("\n")}`);
  });
  assert.ok(fromMoney(r.maintenance) > 0 && r.equity > r.initial);
  console.log(
    `32 positions: trade ${lastTrade.plain} -> ${lastTrade.table} bytes with the table, ${lastTrade.cu} CU; ` +
      `margin report ${plain} -> ${compressed} bytes (${report.accounts!.length} accounts), equity ${fromMoney(r.equity).toFixed(2)} MM ${fromMoney(r.maintenance).toFixed(2)}`,
  );
});
