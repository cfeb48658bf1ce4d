// The SDK builds the same instructions as the Rust client crate (crates/client, used by the
// keeper, pm and the Rust tests): every case of app/sdk/fixtures/instructions.json (written by
// `cargo run -p pm-client --example dump_instructions`) is rebuilt here from its inputs, the
// remaining accounts by the SDK's rule from the same accounts and market, and compared byte
// for byte: program id, every account (address, signer, writable), data. Its PDAs too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AccountRole, createNoopSigner, getBase16Decoder, type AccountMeta, type Address, type Instruction } from '@solana/kit';
import {
  assetPda,
  configPda,
  depositInstruction,
  generated as g,
  instrumentPda,
  insurancePda,
  liquidateIx,
  liquidationPlanIx,
  marginAccountPda,
  marginCheckAccounts,
  marginReportIx,
  pendingParamsPda,
  programDataPda,
  settlePositionIx,
  tradeIx,
  underlyingPda,
  vaultAuthorityPda,
  vaultPda,
  venueApprovalPda,
  venueApproveInstruction,
  venueAuthorityPda,
  venuePda,
  venueRegisterInstruction,
  venueRevokeInstruction,
  venueTradeIx,
  venueUpdateInstruction,
  withdrawIx,
  LiquidationScope,
  type AccountHoldings,
  type MarketAccounts,
} from '@portfolio-margin/sdk';
import { ROOT } from './helpers/litesvm-chain.ts';

const FIXTURE = path.join(ROOT, 'app/sdk/fixtures/instructions.json');

type Meta = { pubkey: string; is_signer: boolean; is_writable: boolean };
type Case = { name: string; inputs: any; program_id: string; accounts: Meta[]; data: string };

const signer = (a: string) => createNoopSigner(a as Address);
const A = (a: string) => a as Address;

/** The fixture's market and accounts as the SDK's rule takes them. */
async function remaining(rule: { accounts: any[]; market: any; writable_instruments: boolean }): Promise<AccountMeta[]> {
  const market: MarketAccounts = {
    async assetInfo(asset) {
      const a = rule.market.assets[asset];
      if (!a) throw new Error(`fixture market lacks asset ${asset}`);
      return { oracle: a.oracle ?? undefined, group: a.group, rateAccount: a.rate_account ?? undefined };
    },
    async instrumentUnderlying(instrument) {
      const u = rule.market.instruments[instrument];
      if (!u) throw new Error(`fixture market lacks instrument ${instrument}`);
      return u;
    },
  };
  const accounts: AccountHoldings[] = rule.accounts.map((a) => ({
    balances: a.balances.map((b: any) => ({ asset: A(b.asset) })),
    positions: a.positions.map((p: any) => ({ instrument: A(p.instrument) })),
  }));
  return marginCheckAccounts(accounts, market, rule.writable_instruments);
}

const venueParams = (p: any) => ({ scope: p.scope, maxOpenLots: BigInt(p.max_open_lots), active: p.active });

const scope = (s: string | number) => (typeof s === 'number' ? s : (LiquidationScope as unknown as Record<string, number>)[s]);

async function build(c: Case): Promise<Instruction> {
  const i = c.inputs;
  switch (c.name) {
    case 'account_open':
      return g.getAccountOpenInstructionAsync({ owner: signer(i.owner), payer: signer(i.payer), subId: i.sub_id });
    case 'deposit':
      return depositInstruction({
        marginAccount: A(i.margin_account), mint: A(i.mint), vault: A(i.vault), source: A(i.source),
        depositor: signer(i.depositor), tokenProgram: A(i.token_program), amount: BigInt(i.amount),
      });
    case 'instrument_create': {
      const terms = { kind: i.terms.kind, expiry: BigInt(i.terms.expiry), strike: BigInt(i.terms.strike) };
      return g.getInstrumentCreateInstructionAsync({
        underlying: A(i.underlying), instrument: await instrumentPda(A(i.underlying), terms), riskAuthority: signer(i.risk_authority),
        payer: signer(i.payer), ...terms, lotSize: BigInt(i.terms.lot_size),
      });
    }
    case 'underlying_refresh':
      return g.getUnderlyingRefreshInstructionAsync({ underlying: A(i.underlying), priceUpdate: A(i.price_update) });
    case 'trade': {
      const t = i.accounts;
      return tradeIx(
        {
          underlying: A(t.underlying), instrument: A(t.instrument), quoteAsset: A(t.quote_asset), makerAccount: A(t.maker_account),
          maker: signer(t.maker), takerAccount: A(t.taker_account), taker: signer(t.taker),
        },
        { lots: BigInt(i.args.lots), price: BigInt(i.args.price), quoteExpiry: BigInt(i.args.quote_expiry), nonce: BigInt(i.args.nonce) },
        await remaining(i.remaining.rule),
      );
    }
    case 'margin_report':
      return marginReportIx(A(i.margin_account), await remaining(i.remaining.rule));
    case 'liquidation_plan':
      return liquidationPlanIx(A(i.quote_asset), A(i.margin_account), await remaining(i.remaining.rule));
    case 'liquidate':
    case 'liquidate_listed':
      return liquidateIx(
        { quoteAsset: A(i.quote_asset), liquidatee: A(i.liquidatee), liquidatorAccount: A(i.liquidator_account), liquidator: signer(i.liquidator) },
        {
          positions: i.args.positions.map((p: any) => ({ instrument: A(p.instrument), lots: BigInt(p.lots) })),
          collateral: i.args.collateral.map((c: any) => ({ asset: A(c.asset), amount: BigInt(c.amount) })),
          scope: scope(i.args.scope),
        } as any,
        await remaining(i.remaining.rule),
      );
    case 'settle_position_realize':
      return settlePositionIx({
        underlying: A(i.underlying), instrument: A(i.instrument), quoteAsset: A(i.quote_asset), marginAccount: A(i.margin_account),
        realizer: i.realizer ? signer(i.realizer) : undefined,
      });
    case 'withdraw':
      return withdrawIx(
        { marginAccount: A(i.margin_account), mint: A(i.mint), destination: A(i.destination), owner: signer(i.owner), tokenProgram: A(i.token_program) },
        BigInt(i.amount),
        await remaining(i.remaining.rule),
      );
    case 'venue_register': {
      // The fixture registers the venue program's own authority PDA: the SDK's default.
      assert.equal(i.authority, await venueAuthorityPda(A(i.venue_program)), 'venue_register: authority is venue_authority(venue_program)');
      return venueRegisterInstruction({ riskAuthority: signer(i.risk_authority), venueProgram: A(i.venue_program), params: venueParams(i.params) });
    }
    case 'venue_update':
      return venueUpdateInstruction({ riskAuthority: signer(i.risk_authority), venueProgram: A(i.venue_program), params: venueParams(i.params) });
    case 'venue_approve':
      return venueApproveInstruction({
        marginAccount: A(i.margin_account), owner: signer(i.owner), venueProgram: A(i.venue_program), maxLotsPerTrade: BigInt(i.max_lots_per_trade),
      });
    case 'venue_revoke':
      return venueRevokeInstruction({ marginAccount: A(i.margin_account), owner: signer(i.owner), venueProgram: A(i.venue_program) });
    case 'venue_trade': {
      const t = i.accounts;
      return venueTradeIx(
        { underlying: A(t.underlying), instrument: A(t.instrument), quoteAsset: A(t.quote_asset), makerAccount: A(t.maker_account), takerAccount: A(t.taker_account) },
        A(i.venue_program),
        signer(i.authority),
        { lots: BigInt(i.args.lots), price: BigInt(i.args.price) },
        await remaining(i.remaining.rule),
      );
    }
    default:
      throw new Error(`the SDK has no builder for the fixture's case ${c.name}: add one`);
  }
}

const metaOf = (m: AccountMeta): Meta => ({
  pubkey: m.address,
  is_signer: m.role === AccountRole.READONLY_SIGNER || m.role === AccountRole.WRITABLE_SIGNER,
  is_writable: m.role === AccountRole.WRITABLE || m.role === AccountRole.WRITABLE_SIGNER,
});

const fixture = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));

test('Rust fixture: every instruction the Rust client builds, the SDK builds identically', async () => {
  assert.ok(fixture.instructions.length >= 16);
  for (const c of fixture.instructions as Case[]) {
    const ix = await build(c);
    assert.equal(ix.programAddress, c.program_id, `${c.name}: program id`);
    assert.deepEqual((ix.accounts ?? []).map(metaOf), c.accounts, `${c.name}: accounts`);
    assert.equal(getBase16Decoder().decode(ix.data!), c.data, `${c.name}: data`);
  }
});

test('Rust fixture: PDAs', async () => {
  const key = (n: number) => fixture.keys.find((k: any) => k.fill === n).pubkey as Address;
  const p = fixture.pdas;
  const sol = await underlyingPda(0);
  assert.equal(await configPda(), p['config']);
  assert.equal(await vaultAuthorityPda(), p['vault_authority']);
  assert.equal(await insurancePda(), p['insurance']);
  assert.equal(await assetPda(key(3)), p['asset(mint)']);
  assert.equal(await vaultPda(key(3)), p['vault(mint)']);
  assert.equal(await marginAccountPda(key(5), 0), p['margin_account(maker, 0)']);
  assert.equal(await marginAccountPda(key(6), 1), p['margin_account(taker, 1)']);
  assert.equal(sol, p['underlying(0)']);
  assert.equal(await underlyingPda(1), p['underlying(1)']);
  assert.equal(await instrumentPda(sol, { kind: 0, expiry: 1_800_000_000n, strike: 150n << 32n }), p['instrument(underlying(0), call 150 @ 1800000000)']);
  assert.equal(await pendingParamsPda(sol), p['pending(underlying(0))']);
  assert.equal(await programDataPda(), p['program_data']);
  const venue = await venuePda(key(15));
  assert.equal(venue, p['venue(venue_program)']);
  assert.equal(await venueApprovalPda(await marginAccountPda(key(6), 1), venue), p['venue_approval(margin_account(taker, 1), venue(venue_program))']);
  assert.equal(await venueAuthorityPda(key(15)), p['venue_authority(venue_program)']);
  // Codama's PDAs of the same seeds agree.
  assert.equal((await g.findVenuePda({ venueProgram: key(15) }))[0], venue);
  assert.equal((await g.findApprovalPda({ marginAccount: await marginAccountPda(key(6), 1), venue }))[0], p['venue_approval(margin_account(taker, 1), venue(venue_program))']);
});
