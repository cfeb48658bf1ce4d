#!/usr/bin/env -S npx tsx
// Deploys the portfolio-margin program's state on a cluster where the program is already
// deployed (`solana program deploy`, the signer being its upgrade authority): the config,
// the liquidation terms, the collateral registry, the underlyings, the insurance fund, and the
// rotation of the authorities to their final keys (proposed here, accepted by those keys).
// Idempotent: a step whose account already exists is skipped, so a run that stopped halfway can
// be run again. `--dry-run` prints the plan (what exists, what would be sent) and sends nothing.
//
//   npx tsx migrations/deploy.ts --url https://api.devnet.solana.com --keypair ~/.config/solana/id.json \
//       --plan migrations/deploy.example.json [--dry-run]
//
// The work is `deploy(chain, signer, plan, opts)`, written against the SDK's `Chain`
// interface: the CLI passes a JSON-RPC chain, tests/deploy.test.ts passes litesvm.
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { address, createKeyPairSignerFromBytes, type Address, type Instruction, type TransactionSigner } from '@solana/kit';
import {
  AssetStatus,
  RpcChain,
  TOKEN_2022_PROGRAM_ID,
  TOKEN_PROGRAM_ID,
  NO_GROUP,
  assetPda,
  configPda,
  generated as g,
  insurancePda,
  programDataPda,
  ratio,
  sendInstructions,
  underlyingPda,
  type Chain,
  type CollateralParamsArgs,
  type UnderlyingParamsArgs,
} from '@portfolio-margin/sdk';

type Key = 'deployer' | string;
type Level = { minRange: number; volMult: number; horizonDays: number; confMult: number; volScan: number; dynamic: boolean; basisScan: number };
type ScaleLevel = { pShortBps: number; pLongBps: number; floorBps: number; capBps: number };

export type DeployPlan = {
  config: { rate: number; extremeWeight: number; admin: Key; riskAuthority: Key; volOracleAuthority: Key };
  liquidation: { startDiscount: number; maxDiscount: number; rampSecs: number; targetBuffer: number; insuranceShare: number };
  collateral: {
    name: string; mint: string; tokenProgram: 'spl-token' | 'token-2022'; feedId: string; maxOracleAgeSecs: number; maxConfRatio: number;
    confMult: number; maintHaircut: number; initHaircut: number; sizeGrowth: number; sizeRef: number; depegShock: number;
    depositCap: string | number; group: number | null; status: keyof typeof AssetStatus | number;
  }[];
  underlyings: {
    name: string; id: number; quoteMint: string; feedId: string; maxOracleAgeSecs: number; maxConfRatio: number;
    maintenance: Level; initial: Level; shortOptionMin: number; minVol: number; maxVol: number; maxBasis: number;
    maxVolAgeSecs: number; maxRiskAgeSecs: number; settleWindowSecs: number; priceBand: number; minRefreshSecs: number;
    profitHaircut: number; spreadCredits: { partner: number; rate: number }[];
    volScaling: { tRefHours: number; maintenance: ScaleLevel; initial: ScaleLevel };
  }[];
  insuranceFund: boolean;
};

export type Step = { name: string; status: 'exists' | 'sent' | 'planned'; signature?: string; note?: string };

const hex = (s: string) => {
  const h = s.replace(/^0x/, '');
  if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new Error(`feed id must be 32 bytes of hex: ${s}`);
  return Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));
};

const level = (l: Level) => ({
  minRange: ratio(l.minRange), volMult: ratio(l.volMult), horizon: ratio(l.horizonDays / 365), confMult: ratio(l.confMult),
  volScan: ratio(l.volScan), dynamic: l.dynamic, basisScan: ratio(l.basisScan),
});

export function collateralParams(c: DeployPlan['collateral'][number]): CollateralParamsArgs {
  return {
    feedId: hex(c.feedId), maxOracleAgeSecs: c.maxOracleAgeSecs, maxConfRatio: ratio(c.maxConfRatio), confMult: ratio(c.confMult),
    maintHaircut: ratio(c.maintHaircut), initHaircut: ratio(c.initHaircut), sizeGrowth: ratio(c.sizeGrowth), sizeRef: BigInt(c.sizeRef),
    depegShock: ratio(c.depegShock), depositCap: BigInt(c.depositCap), group: c.group ?? NO_GROUP,
    status: typeof c.status === 'number' ? c.status : AssetStatus[c.status as keyof typeof AssetStatus],
  };
}

export function underlyingParams(u: DeployPlan['underlyings'][number]): UnderlyingParamsArgs {
  const credits = u.spreadCredits.map((c) => ({ partner: c.partner, rate: ratio(c.rate) }));
  while (credits.length < 3) credits.push({ partner: NO_GROUP, rate: 0n });
  return {
    feedId: hex(u.feedId), maxOracleAgeSecs: u.maxOracleAgeSecs, maxConfRatio: ratio(u.maxConfRatio),
    maintenance: level(u.maintenance), initial: level(u.initial), shortOptionMin: ratio(u.shortOptionMin), minVol: ratio(u.minVol),
    maxVol: ratio(u.maxVol), maxBasis: ratio(u.maxBasis), maxVolAgeSecs: u.maxVolAgeSecs, maxRiskAgeSecs: u.maxRiskAgeSecs,
    settleWindowSecs: u.settleWindowSecs, priceBand: ratio(u.priceBand), minRefreshSecs: u.minRefreshSecs,
    profitHaircut: ratio(u.profitHaircut), spreadCredits: credits, volScaling: u.volScaling,
  };
}

/**
 * Runs (or, with `dryRun`, only lists) the deployment steps against `chain`, signed and paid by
 * `deployer` (the program's upgrade authority: `config_init` accepts no one else).
 */
export async function deploy(
  chain: Chain,
  deployer: TransactionSigner,
  plan: DeployPlan,
  opts: { dryRun?: boolean; log?: (line: string) => void } = {},
): Promise<Step[]> {
  const log = opts.log ?? (() => {});
  const steps: Step[] = [];
  const exists = async (a: Address) => (await chain.getAccounts([a]))[0] !== null;
  const key = (k: Key): Address => (k === 'deployer' ? deployer.address : address(k));
  const step = async (name: string, account: Address, build: () => Promise<Instruction>, note?: string) => {
    let s: Step;
    if (await exists(account)) s = { name, status: 'exists' };
    else if (opts.dryRun) s = { name, status: 'planned', note };
    else {
      const sent = await sendInstructions(chain, deployer, [await build()]);
      s = { name, status: 'sent', signature: sent.signature, note };
    }
    steps.push(s);
    log(`${s.status.padEnd(7)} ${name}${s.signature ? `  ${s.signature}` : ''}${s.note ? `  (${s.note})` : ''}`);
  };

  const config = await configPda();
  // The deployer holds every role while it sets up; the final keys are proposed at the end.
  await step(`config_init (admin ${deployer.address})`, config, async () =>
    g.getConfigInitInstructionAsync({
      admin: deployer, programData: await programDataPda(), riskAuthority: deployer.address, volOracleAuthority: deployer.address,
      rate: ratio(plan.config.rate), extremeWeight: ratio(plan.config.extremeWeight),
    }),
  );
  const liq = plan.liquidation;
  const setLiquidation = async () =>
    g.getConfigSetLiquidationInstructionAsync({
      riskAuthority: deployer,
      params: { startDiscount: ratio(liq.startDiscount), maxDiscount: ratio(liq.maxDiscount), rampSecs: liq.rampSecs, targetBuffer: ratio(liq.targetBuffer), insuranceShare: ratio(liq.insuranceShare) },
    });
  // Terms live in the config: set them on a fresh deployment only (rerun: `exists`).
  if (opts.dryRun || steps[0].status !== 'exists') {
    const name = `config_set_liquidation (discount ${liq.startDiscount}..${liq.maxDiscount} over ${liq.rampSecs} s)`;
    if (opts.dryRun) steps.push({ name, status: steps[0].status === 'exists' ? 'exists' : 'planned' });
    else steps.push({ name, status: 'sent', signature: (await sendInstructions(chain, deployer, [await setLiquidation()])).signature });
    log(`${steps[steps.length - 1].status.padEnd(7)} ${name}`);
  }
  for (const c of plan.collateral) {
    const mint = address(c.mint);
    await step(`collateral_register ${c.name} (${mint})`, await assetPda(mint), async () =>
      g.getCollateralRegisterInstructionAsync({
        mint, riskAuthority: deployer, payer: deployer, params: collateralParams(c),
        tokenProgram: c.tokenProgram === 'token-2022' ? TOKEN_2022_PROGRAM_ID : TOKEN_PROGRAM_ID,
      }),
    );
  }
  for (const u of plan.underlyings) {
    const underlying = await underlyingPda(u.id);
    await step(`underlying_register ${u.name} (id ${u.id})`, underlying, async () =>
      g.getUnderlyingRegisterInstructionAsync({
        underlying, quoteAsset: await assetPda(address(u.quoteMint)), riskAuthority: deployer, payer: deployer, id: u.id, params: underlyingParams(u),
      }),
    );
  }
  if (plan.insuranceFund) await step('insurance_init (the insurance fund)', await insurancePda(), async () => g.getInsuranceInitInstructionAsync({ payer: deployer }));
  // Authorities: proposed to their final keys (each accepts with `config_accept_authority`).
  const roles: [number, string, Key][] = [[1, 'risk authority', plan.config.riskAuthority], [2, 'vol-oracle authority', plan.config.volOracleAuthority], [0, 'admin', plan.config.admin]];
  for (const [role, label, k] of roles) {
    const target = key(k);
    if (target === deployer.address) continue;
    const name = `config_propose_authority ${label} -> ${target}`;
    let s: Step;
    if (opts.dryRun) s = { name, status: 'planned', note: 'the new key then signs config_accept_authority' };
    else {
      const sent = await sendInstructions(chain, deployer, [await g.getConfigProposeAuthorityInstructionAsync({ authority: deployer, role, new: target })]);
      s = { name, status: 'sent', signature: sent.signature, note: 'the new key then signs config_accept_authority' };
    }
    steps.push(s);
    log(`${s.status.padEnd(7)} ${name}  (${s.note})`);
  }
  return steps;
}

const USAGE = `Usage: npx tsx migrations/deploy.ts --url URL --keypair PATH [--plan FILE] [--dry-run]

Sets up the portfolio-margin program's state on a cluster where the program is deployed:
config (signed by the program's upgrade authority), liquidation terms, collateral registry,
underlyings, insurance fund, then proposes the final admin / risk / vol-oracle keys.
Idempotent: steps whose account exists are skipped.

  --url URL        cluster JSON-RPC endpoint (e.g. http://127.0.0.1:8899)
  --keypair PATH   the deployer's keypair file (64-byte JSON array; ~ expands)
  --plan FILE      deployment plan (default migrations/deploy.example.json)
  --dry-run        print what exists and what would be sent; send nothing
  -h, --help       this text`;

async function main(argv: string[]) {
  const arg = (n: string) => {
    const i = argv.indexOf(n);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const url = arg('--url');
  const keypair = arg('--keypair');
  if (!url || !keypair) {
    console.error(USAGE);
    return 2;
  }
  const planPath = arg('--plan') ?? fileURLToPath(new URL('./deploy.example.json', import.meta.url));
  const plan = JSON.parse(fs.readFileSync(planPath, 'utf8')) as DeployPlan;
  const bytes = Uint8Array.from(JSON.parse(fs.readFileSync(keypair.replace(/^~/, os.homedir()), 'utf8')));
  const deployer = await createKeyPairSignerFromBytes(bytes);
  const dryRun = argv.includes('--dry-run');
  console.log(`${dryRun ? 'plan (dry run)' : 'deploying'}: ${url}, deployer ${deployer.address}, plan ${planPath}`);
  await deploy(new RpcChain(url), deployer, plan, { dryRun, log: (l) => console.log(l) });
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
