// migrations/deploy.ts against the program's .so in litesvm through the SDK's `Chain`
// interface: a dry run sends nothing, a run creates config, registry, underlying and insurance
// fund and proposes the final risk authority (which accepts), a rerun finds everything there;
// and the CLI's --help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { assetPda, configPda, generated as g, insurancePda, sendInstructions, underlyingPda } from '@portfolio-margin/sdk';
import { deploy, type DeployPlan } from '../migrations/deploy.ts';
import { LiteSvmChain, ROOT } from './helpers/litesvm-chain.ts';

async function freshChain() {
  const chain = new LiteSvmChain();
  chain.setTime(1_800_000_000n);
  const deployer = await chain.funded();
  await chain.deployUpgradeable(deployer.address);
  const plan = JSON.parse(fs.readFileSync(path.join(ROOT, 'migrations/deploy.example.json'), 'utf8')) as DeployPlan;
  // The example names mainnet USDC: here a mint of the local chain takes its place.
  const usdc = await chain.mint(deployer.address, 6);
  plan.collateral[0].mint = usdc;
  plan.underlyings[0].quoteMint = usdc;
  return { chain, deployer, plan, usdc };
}

test('deploy: dry run lists every step and sends nothing', async () => {
  const { chain, deployer, plan } = await freshChain();
  const lines: string[] = [];
  const steps = await deploy(chain, deployer, plan, { dryRun: true, log: (l) => lines.push(l) });
  assert.deepEqual(steps.map((s) => s.status), ['planned', 'planned', 'planned', 'planned', 'planned']);
  assert.match(lines.join('\n'), /config_init[\s\S]*collateral_register USDC[\s\S]*underlying_register SOL[\s\S]*insurance_init/);
  assert.equal((await chain.getAccounts([await configPda()]))[0], null, 'nothing sent');
});

test('deploy: config, registry, underlying, insurance fund; authorities proposed; rerun is idempotent', async () => {
  const { chain, deployer, plan, usdc } = await freshChain();
  const risk = await chain.funded();
  plan.config.riskAuthority = risk.address;
  const steps = await deploy(chain, deployer, plan);
  assert.deepEqual(steps.map((s) => s.status), ['sent', 'sent', 'sent', 'sent', 'sent', 'sent']);
  const [cfg, asset, und, ins] = await chain.getAccounts([await configPda(), await assetPda(usdc), await underlyingPda(0), await insurancePda()]);
  assert.ok(cfg && asset && und && ins);
  const config = g.getConfigDecoder().decode(cfg.data);
  assert.equal(config.admin, deployer.address);
  assert.equal(config.pendingRiskAuthority, risk.address);
  assert.equal(config.liquidation.rampSecs, 300n);
  // The proposed key accepts: it is the risk authority now.
  await sendInstructions(chain, risk, [await g.getConfigAcceptAuthorityInstructionAsync({ newAuthority: risk, role: 1 })]);
  const after = g.getConfigDecoder().decode((await chain.getAccounts([await configPda()]))[0]!.data);
  assert.equal(after.riskAuthority, risk.address);
  // Rerun: everything exists (the rotation is proposed again only while it differs).
  plan.config.riskAuthority = 'deployer';
  const again = await deploy(chain, deployer, plan);
  assert.deepEqual(again.map((s) => s.status), ['exists', 'exists', 'exists', 'exists']);
});

/** A keypair file as `solana-keygen` writes it: 64 bytes (secret, public) as a JSON array. */
function keypairFile(): string {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pm-deploy-')), 'id.json');
  fs.writeFileSync(file, JSON.stringify([...d, ...x]));
  return file;
}

test('deploy CLI: --dry-run over JSON-RPC (a loopback stub cluster with no accounts) prints the plan', async () => {
  const methods: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const call = JSON.parse(body);
      methods.push(call.method);
      const result = call.method === 'getMultipleAccounts' ? { context: { slot: 1 }, value: call.params[0].map(() => null) } : null;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'migrations/deploy.ts', '--url', url, '--keypair', keypairFile(), '--dry-run'], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
    assert.equal(code, 0, out);
    assert.match(out, /plan \(dry run\)[\s\S]*planned +config_init[\s\S]*planned +collateral_register USDC[\s\S]*planned +underlying_register SOL[\s\S]*planned +insurance_init/);
    assert.ok(methods.every((m) => m === 'getMultipleAccounts'), `a dry run only reads: ${methods}`);
  } finally {
    server.close();
  }
});

test('deploy CLI: --help', () => {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'migrations/deploy.ts', '--help'], { cwd: ROOT, encoding: 'utf8' });
  assert.match(out, /--url URL[\s\S]*--keypair PATH[\s\S]*--dry-run/);
});
