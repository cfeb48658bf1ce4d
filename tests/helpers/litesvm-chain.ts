// The SDK's `Chain` over litesvm (npm, in-process SVM running the program's real .so), and what a
// local chain needs that a cluster has: the program deployed with the upgradeable loader (admin
// as upgrade authority, like crates/localnet's `upgradeable_program_accounts`), SPL mints and
// token accounts, fake Pyth prices, the clock.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LiteSVM, type FailedTransactionMetadata, type TransactionMetadata } from 'litesvm';
import {
  address,
  generateKeyPairSigner,
  getAddressEncoder,
  getSignatureFromTransaction,
  lamports,
  type Address,
  type KeyPairSigner,
  type Transaction,
} from '@solana/kit';
import { getMintEncoder, getTokenEncoder, AccountState, TOKEN_PROGRAM_ADDRESS } from '@solana-program/token';
import {
  BPF_LOADER_UPGRADEABLE_ID,
  PROGRAM_ID,
  PYTH_RECEIVER_PROGRAM_ID,
  encodePriceUpdateV2,
  programDataPda,
  type Chain,
  type RawAccount,
  type TxResult,
} from '@portfolio-margin/sdk';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The program's .so (`scripts/sbf-toolchain.sh program`); PM_PROGRAM_SO overrides. */
export const PROGRAM_SO = process.env.PM_PROGRAM_SO ?? path.join(ROOT, 'target/sbf/portfolio_margin.so');

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/**
 * The .so's bytes. As crates/localnet does, the default build is refused when the program's or
 * the kernel's sources are newer than it: a test must never pass on stale code.
 */
export function programElf(so = PROGRAM_SO): Buffer {
  if (!fs.existsSync(so)) throw new Error(`no program build at ${so}: run scripts/sbf-toolchain.sh program (or set PM_PROGRAM_SO)`);
  if (!process.env.PM_PROGRAM_SO && so === PROGRAM_SO) {
    const src = Math.max(...['programs/portfolio-margin/src', 'crates/risk-kernel/src'].map((d) => newest(path.join(ROOT, d))));
    if (src > fs.statSync(so).mtimeMs)
      throw new Error(`the program's SBF build ${so} is older than its sources: rebuild it with scripts/sbf-toolchain.sh program`);
  }
  return fs.readFileSync(so);
}

export class LiteSvmChain implements Chain {
  readonly svm: LiteSVM;
  constructor(svm?: LiteSVM) {
    this.svm = svm ?? new LiteSVM();
  }

  async getAccounts(addresses: readonly Address[]): Promise<(RawAccount | null)[]> {
    return addresses.map((a) => {
      const acc = this.svm.getAccount(a);
      if (!acc.exists) return null;
      return { address: a, owner: acc.programAddress, data: new Uint8Array(acc.data), lamports: acc.lamports, executable: acc.executable };
    });
  }

  async latestBlockhash() {
    return { blockhash: this.svm.latestBlockhash(), lastValidBlockHeight: 1_000_000n };
  }

  /** The newest slot of the SlotHashes sysvar (what "a recent slot" means to the lookup-table
   * program; litesvm's clock may run ahead of it). */
  async slot() {
    const h = this.svm.getSlotHashes();
    return h.length ? h[0].slot : this.svm.getClock().slot;
  }

  async rentExempt(bytes: number) {
    return this.svm.minimumBalanceForRentExemption(BigInt(bytes));
  }

  private result(tx: Transaction, r: TransactionMetadata | FailedTransactionMetadata): TxResult {
    const failed = 'err' in r && typeof (r as FailedTransactionMetadata).err === 'function';
    const meta: TransactionMetadata = failed ? (r as FailedTransactionMetadata).meta() : (r as TransactionMetadata);
    const rd = meta.returnData();
    const data = rd ? new Uint8Array(rd.data()) : new Uint8Array();
    return {
      signature: getSignatureFromTransaction(tx),
      logs: meta.logs(),
      computeUnits: meta.computeUnitsConsumed(),
      returnData: data.length ? data : null,
      err: failed ? (r as FailedTransactionMetadata).err() : null,
    };
  }

  async send(tx: Transaction): Promise<TxResult> {
    const r = this.svm.sendTransaction(tx);
    // A new blockhash for the next transaction: a byte-identical one would be refused as
    // already processed.
    this.svm.expireBlockhash();
    return this.result(tx, r);
  }

  async simulate(tx: Transaction): Promise<TxResult> {
    const r = this.svm.simulateTransaction(tx);
    if ('err' in r && typeof (r as FailedTransactionMetadata).err === 'function') return this.result(tx, r as FailedTransactionMetadata);
    return this.result(tx, (r as { meta(): TransactionMetadata }).meta());
  }

  // ---- what a local chain needs ----

  now(): bigint {
    return this.svm.getClock().unixTimestamp;
  }

  /** Moves the clock (and the slot) forward. */
  warp(secs: bigint | number) {
    const c = this.svm.getClock();
    this.svm.warpToSlot(c.slot + 1n);
    const d = this.svm.getClock();
    d.unixTimestamp = c.unixTimestamp + BigInt(secs);
    this.svm.setClock(d);
  }

  setTime(unix: bigint) {
    const c = this.svm.getClock();
    c.unixTimestamp = unix;
    this.svm.setClock(c);
  }

  async funded(sol = 100n): Promise<KeyPairSigner> {
    const k = await generateKeyPairSigner();
    this.svm.airdrop(k.address, lamports(sol * 1_000_000_000n));
    return k;
  }

  write(addr: Address, owner: Address, data: Uint8Array, executable = false) {
    const rent = this.svm.minimumBalanceForRentExemption(BigInt(data.length));
    this.svm.setAccount({ address: addr, programAddress: owner, data, lamports: lamports(rent), executable, space: BigInt(data.length) } as any);
  }

  /**
   * The program deployed with the upgradeable loader, `authority` its upgrade authority (only
   * it may run `config_init`): program data = [3u32, slot 0, Some(authority), ELF], program =
   * [2u32, program data address].
   */
  async deployUpgradeable(authority: Address, so = PROGRAM_SO, programId: Address = PROGRAM_ID) {
    const elf = programElf(so);
    const pd = await programDataPda(programId);
    const head = new Uint8Array(45);
    new DataView(head.buffer).setUint32(0, 3, true);
    head[12] = 1;
    head.set(getAddressEncoder().encode(authority), 13);
    const pdData = new Uint8Array(45 + elf.length);
    pdData.set(head);
    pdData.set(elf, 45);
    this.write(pd, BPF_LOADER_UPGRADEABLE_ID, pdData);
    const prog = new Uint8Array(36);
    new DataView(prog.buffer).setUint32(0, 2, true);
    prog.set(getAddressEncoder().encode(pd), 4);
    this.write(programId, BPF_LOADER_UPGRADEABLE_ID, prog, true);
  }

  /** An SPL mint whose authority is `authority`. */
  async mint(authority: Address, decimals: number): Promise<Address> {
    const m = (await generateKeyPairSigner()).address;
    const data = getMintEncoder().encode({
      mintAuthority: authority,
      supply: 0n,
      decimals,
      isInitialized: true,
      freezeAuthority: null,
    });
    this.write(m, TOKEN_PROGRAM_ADDRESS, new Uint8Array(data));
    return m;
  }

  /** A token account of `owner` holding `amount` (written directly, as if minted). */
  async tokenAccount(mint: Address, owner: Address, amount: bigint): Promise<Address> {
    const a = (await generateKeyPairSigner()).address;
    const data = getTokenEncoder().encode({
      mint,
      owner,
      amount,
      delegate: null,
      state: AccountState.Initialized,
      isNative: null,
      delegatedAmount: 0n,
      closeAuthority: null,
    });
    this.write(a, TOKEN_PROGRAM_ADDRESS, new Uint8Array(data));
    return a;
  }

  tokenBalance(account: Address): bigint {
    const acc = this.svm.getAccount(account);
    if (!acc.exists) throw new Error(`no token account ${account}`);
    return new DataView(acc.data.buffer, acc.data.byteOffset).getBigUint64(64, true);
  }

  /** A Pyth PriceUpdateV2 at `at` (a feed account updated in place) published now. */
  publishPrice(at: Address, feedId: Uint8Array, price: number, confFraction = 1e-4, expo = -8) {
    const scale = 10 ** -expo;
    const now = this.now();
    this.write(
      at,
      PYTH_RECEIVER_PROGRAM_ID,
      encodePriceUpdateV2({
        feedId,
        price: BigInt(Math.round(price * scale)),
        conf: BigInt(Math.round(price * confFraction * scale)),
        exponent: expo,
        publishTime: now,
        prevPublishTime: now - 1n,
      }),
    );
  }
}

export const feed = (byte: number) => new Uint8Array(32).fill(byte);
export { address };
