// A SOL market quoted in USDC on litesvm, set up through the SDK the way crates/localnet's
// `Market::new` does (the same parameters): config, USDC collateral, the SOL underlying (id 0)
// with a published vol surface, liquidation terms, the insurance fund; traders with USDC.
import { generateKeyPairSigner, type Address, type Instruction, type KeyPairSigner } from '@solana/kit';
import {
  MarketIndex,
  NO_GROUP,
  assetPda,
  crankInstructions,
  depositInstruction,
  generated as g,
  instrumentPda,
  marginAccountPda,
  oracles,
  price,
  programDataPda,
  ratio,
  sendInstructions,
  underlyingPda,
  InstrumentKind,
  type CollateralParamsArgs,
  type UnderlyingParamsArgs,
} from '@portfolio-margin/sdk';
import { feed, LiteSvmChain } from './litesvm-chain.ts';

export const USDC_FEED = feed(1);
export const SOL_FEED = feed(2);
export const DAY = 86_400n;
export const USDC = 1_000_000n;

export function usdcParams(): CollateralParamsArgs {
  return {
    feedId: USDC_FEED,
    maxOracleAgeSecs: 60,
    maxConfRatio: ratio(0.02),
    confMult: ratio(1),
    maintHaircut: ratio(0.02),
    initHaircut: ratio(0.03),
    sizeGrowth: 0,
    sizeRef: 1n << 24n,
    depegShock: 0,
    depositCap: 10_000_000n * USDC,
    group: NO_GROUP,
    status: 0,
  };
}

const scanLevel = (minRange: number, volScan: number, basisScan: number) => ({
  minRange: ratio(minRange),
  volMult: ratio(3),
  horizon: ratio(1 / 365),
  confMult: ratio(1),
  volScan: ratio(volScan),
  dynamic: true,
  basisScan: ratio(basisScan),
});

export function solParams(): UnderlyingParamsArgs {
  const level = { pShortBps: 3_000, pLongBps: 1_300, floorBps: 5_000, capBps: 40_000 };
  return {
    feedId: SOL_FEED,
    maxOracleAgeSecs: 60,
    maxConfRatio: ratio(0.02),
    maintenance: scanLevel(0.08, 0.25, 0.05),
    initial: scanLevel(0.12, 0.35, 0.075),
    shortOptionMin: ratio(0.01),
    minVol: ratio(0.05),
    maxVol: ratio(3),
    maxBasis: ratio(0.5),
    maxVolAgeSecs: 600,
    maxRiskAgeSecs: 120,
    settleWindowSecs: 300,
    priceBand: ratio(0.1),
    minRefreshSecs: 2,
    profitHaircut: 0,
    spreadCredits: [0, 1, 2].map(() => ({ partner: NO_GROUP, rate: 0 })),
    volScaling: { tRefHours: 30 * 24, maintenance: level, initial: level },
  };
}

/** One slice per expiry, a gentle smile around `atm`, forward e^{0.05 T} (localnet `surface`). */
export function surface(now: bigint, expiries: bigint[], atm: number) {
  const pts: [number, number][] = [[0.8, atm + 0.05], [1.0, atm], [1.2, atm + 0.02]];
  const empty = { expiry: 0, nPoints: 0, moneyness: Array(8).fill(0), vols: Array(8).fill(0), forward: 0 };
  const slices = expiries.map((e) => {
    const t = Number(e - now) / (365 * 86_400);
    return {
      expiry: e,
      nPoints: pts.length,
      moneyness: [...pts.map(([m]) => ratio(m)), ...Array(8 - pts.length).fill(0)],
      vols: [...pts.map(([, v]) => ratio(v)), ...Array(8 - pts.length).fill(0)],
      forward: ratio(Math.exp(0.05 * t)),
    };
  });
  while (slices.length < 4) slices.push(empty as any);
  return { publishedAt: 0, nSlices: expiries.length, slices };
}

export type Trader = { key: KeyPairSigner; margin: Address; wallet: Address };

export class Market {
  instruments: Address[] = [];
  solOracle!: Address;
  usdcOracle!: Address;
  index!: MarketIndex;
  usdcMint!: Address;
  usdc!: Address;
  sol!: Address;
  expiry!: bigint;
  nonce = 1n;

  constructor(readonly chain: LiteSvmChain, readonly admin: KeyPairSigner, readonly risk: KeyPairSigner, readonly vol: KeyPairSigner, readonly payer: KeyPairSigner) {}

  static async create(): Promise<Market> {
    const chain = new LiteSvmChain();
    chain.setTime(1_800_000_000n);
    const [admin, risk, vol, payer] = [await chain.funded(), await chain.funded(), await chain.funded(), await chain.funded(1000n)];
    await chain.deployUpgradeable(admin.address);
    const m = new Market(chain, admin, risk, vol, payer);
    await m.setup();
    return m;
  }

  send(ixs: Instruction[], payer: KeyPairSigner = this.payer) {
    return sendInstructions(this.chain, payer, ixs);
  }

  private async setup() {
    const { chain, admin, risk, vol, payer } = this;
    await this.send([
      await g.getConfigInitInstructionAsync({
        admin,
        programData: await programDataPda(),
        riskAuthority: risk.address,
        volOracleAuthority: vol.address,
        rate: ratio(0.05),
        extremeWeight: ratio(0.35),
      }),
    ]);
    this.usdcMint = await chain.mint(payer.address, 6);
    this.usdc = await assetPda(this.usdcMint);
    await this.send([await g.getCollateralRegisterInstructionAsync({ mint: this.usdcMint, riskAuthority: risk, payer, params: usdcParams() })]);
    this.sol = await underlyingPda(0);
    await this.send([
      await g.getUnderlyingRegisterInstructionAsync({ underlying: this.sol, quoteAsset: this.usdc, riskAuthority: risk, payer, id: 0, params: solParams() }),
    ]);
    this.expiry = chain.now() + 30n * DAY;
    await this.send([await g.getVolSurfacePublishInstructionAsync({ underlying: this.sol, volOracleAuthority: vol, surface: surface(chain.now(), [this.expiry], 0.6) })]);
    await this.send([
      await g.getConfigSetLiquidationInstructionAsync({
        riskAuthority: risk,
        params: { startDiscount: ratio(0.01), maxDiscount: ratio(0.05), rampSecs: 300, targetBuffer: ratio(0.2), insuranceShare: ratio(0.25) },
      }),
    ]);
    await this.send([await g.getInsuranceInitInstructionAsync({ payer })]);
    this.solOracle = (await generateKeyPairSigner()).address;
    this.usdcOracle = (await generateKeyPairSigner()).address;
    this.index = new MarketIndex(chain, oracles([[SOL_FEED, this.solOracle], [USDC_FEED, this.usdcOracle]]));
  }

  async list(kind: number, expiry: bigint, strike: number): Promise<Address> {
    const terms = { kind, expiry, strike: price(strike) };
    const instrument = await instrumentPda(this.sol, terms);
    await this.send([
      await g.getInstrumentCreateInstructionAsync({ underlying: this.sol, instrument, riskAuthority: this.risk, payer: this.payer, ...terms, lotSize: ratio(1) }),
    ]);
    this.instruments.push(instrument);
    return instrument;
  }

  future(expiry = this.expiry) {
    return this.list(InstrumentKind.Future, expiry, 0);
  }

  /** Prices published now (SOL at `spot`, USDC at 1), a new snapshot and every cache at it. */
  async crank(spot: number) {
    this.chain.warp(3); // newer than the last update and past min_refresh_secs
    this.chain.publishPrice(this.solOracle, SOL_FEED, spot);
    this.chain.publishPrice(this.usdcOracle, USDC_FEED, 1);
    for (const batch of await crankInstructions(this.sol, this.solOracle, this.instruments)) await this.send(batch);
    this.index.refresh();
  }

  async trader(usdc: bigint, subId = 0): Promise<Trader> {
    const key = await this.chain.funded();
    const margin = await marginAccountPda(key.address, subId);
    await this.send([await g.getAccountOpenInstructionAsync({ owner: key, payer: this.payer, subId })]);
    const wallet = await this.chain.tokenAccount(this.usdcMint, key.address, usdc);
    if (usdc > 0n) await this.send([await depositInstruction({ marginAccount: margin, mint: this.usdcMint, source: wallet, depositor: key, amount: usdc })]);
    return { key, margin, wallet };
  }
}
