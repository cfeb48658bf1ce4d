// The production path over JSON-RPC: the SDK's `RpcChain` and the deploy CLI (not a dry run)
// against a loopback endpoint backed by litesvm running the program's .so
// (helpers/rpc-server.ts). Typed errors come back through the RPC's preflight failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKeyPairSignerFromBytes, lamports } from '@solana/kit';
import {
  PortfolioMarginError,
  RpcChain,
  MarketIndex,
  configPda,
  depositInstruction,
  fromMoney,
  generated as g,
  getMarginSummaryDecoder,
  insurancePda,
  marginAccountPda,
  marginReportInstruction,
  sendInstructions,
  simulateView,
  getProgramAccounts,
  marginAccountFilters,
  instrumentFilters,
  decodeMarginAccount,
  PROGRAM_ID,
} from '@portfolio-margin/sdk';
import { LiteSvmChain, ROOT } from './helpers/litesvm-chain.ts';
import { Market, USDC } from './helpers/market.ts';
import { startRpc } from './helpers/rpc-server.ts';

function keypair(): { file: string; bytes: Uint8Array } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const bytes = new Uint8Array([...d, ...x]);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pm-rpc-')), 'id.json');
  fs.writeFileSync(file, JSON.stringify([...bytes]));
  return { file, bytes };
}

test('deploy CLI over JSON-RPC: the config, registry, underlying and insurance fund land on the .so', async () => {
  const chain = new LiteSvmChain();
  chain.setTime(1_800_000_000n);
  const kp = keypair();
  const deployer = await createKeyPairSignerFromBytes(kp.bytes);
  chain.svm.airdrop(deployer.address, lamports(100_000_000_000n));
  await chain.deployUpgradeable(deployer.address);
  const usdc = await chain.mint(deployer.address, 6);
  const plan = JSON.parse(fs.readFileSync(path.join(ROOT, 'migrations/deploy.example.json'), 'utf8'));
  plan.collateral[0].mint = usdc;
  plan.underlyings[0].quoteMint = usdc;
  const planFile = path.join(path.dirname(kp.file), 'plan.json');
  fs.writeFileSync(planFile, JSON.stringify(plan));
  const rpc = await startRpc(chain);
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'migrations/deploy.ts', '--url', rpc.url, '--keypair', kp.file, '--plan', planFile], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
    assert.equal(code, 0, out);
    assert.equal((out.match(/^sent /gm) ?? []).length, 5, out);
    const [cfg, ins] = await chain.getAccounts([await configPda(), await insurancePda()]);
    assert.equal(g.getConfigDecoder().decode(cfg!.data).admin, deployer.address);
    assert.ok(ins);
    assert.ok(rpc.calls.includes('sendTransaction') && rpc.calls.includes('getTransaction'));
  } finally {
    await rpc.close();
  }
});

test('RpcChain: margin report by simulation, and a typed error from the preflight failure', async () => {
  const m = await Market.create();
  const fut = await m.future();
  await m.crank(100);
  const t = await m.trader(1_000n * USDC);
  const rpc = await startRpc(m.chain);
  try {
    const chain = new RpcChain(rpc.url);
    const market = new MarketIndex(chain, m.index.oracles);
    const r = await simulateView(chain, m.payer, await marginReportInstruction(market, t.margin), getMarginSummaryDecoder());
    assert.ok(Math.abs(fromMoney(r.equity) - 980) < 1, `equity ${fromMoney(r.equity)} (1,000 less the 2% haircut)`);
    const zero = await depositInstruction({ marginAccount: await marginAccountPda(t.key.address), mint: m.usdcMint, source: t.wallet, depositor: t.key, amount: 0n });
    await assert.rejects(sendInstructions(chain, t.key, [zero]), (e: unknown) => e instanceof PortfolioMarginError && e.is('ZeroAmount') && !!e.logs?.length);
    assert.ok(fut);
    // Discovery with getProgramAccounts filters: every margin account (the insurance fund's
    // too), or one owner's; every instrument of the underlying.
    const all = await getProgramAccounts(chain, PROGRAM_ID, marginAccountFilters());
    assert.deepEqual(new Set(all.map((a) => a.address)), new Set([t.margin, await insurancePda()]));
    const mine = await getProgramAccounts(chain, PROGRAM_ID, marginAccountFilters({ owner: t.key.address }));
    assert.deepEqual(mine.map((a) => decodeMarginAccount(a.data).owner), [t.key.address]);
    const insts = await getProgramAccounts(chain, PROGRAM_ID, instrumentFilters({ underlying: m.sol }));
    assert.deepEqual(insts.map((a) => a.address), [fut]);
  } finally {
    await rpc.close();
  }
});
