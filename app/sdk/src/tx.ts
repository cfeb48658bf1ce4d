// Transactions: the compute-budget instructions every client puts first (CU limit and the
// 256 KiB heap frame the program's margin checks grow into: README "heap", localnet
// `budget_ixs`), v0 messages with optional address lookup tables, sizes on the wire, sending
// with typed errors, simulation of the program's views (return data), and the lookup-table
// program's create/extend instructions.
import {
  AccountRole,
  appendTransactionMessageInstructions,
  compileTransaction,
  compressTransactionMessageUsingAddressLookupTables,
  createTransactionMessage,
  getAddressDecoder,
  getAddressEncoder,
  getProgramDerivedAddress,
  getTransactionEncoder,
  getU64Encoder,
  pipe,
  setTransactionMessageFeePayerSigner,
  setTransactionMessageLifetimeUsingBlockhash,
  signTransactionMessageWithSigners,
  type AccountMeta,
  type Address,
  type Decoder,
  type Instruction,
  type Transaction,
  type TransactionSigner,
} from '@solana/kit';
import { getRequestHeapFrameInstruction, getSetComputeUnitLimitInstruction } from '@solana-program/compute-budget';
import type { Chain, TxResult } from './chain.ts';
import {
  ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
  COMPUTE_BUDGET_PROGRAM_ID,
  HEAP_FRAME,
  MAX_CU,
  PROGRAM_ID,
  SYSTEM_PROGRAM_ID,
} from './constants.ts';
import { decodeProgramError, PortfolioMarginError } from './errors.ts';
import { parseEvents, type ProgramEvent } from './events.ts';

/** The compute-budget instructions: a CU limit and the heap frame (localnet `budget_ixs`). */
export function budgetInstructions(cuLimit = MAX_CU, heapBytes = HEAP_FRAME): Instruction[] {
  return [getSetComputeUnitLimitInstruction({ units: cuLimit }), getRequestHeapFrameInstruction({ bytes: heapBytes })];
}

/** Lookup tables for `compressTransactionMessageUsingAddressLookupTables`: table -> its addresses. */
export type LookupTables = { [table: Address]: Address[] };

export type TxOptions = {
  /** Compute-unit limit; the budget instructions are added unless `ixs` bring their own. */
  cuLimit?: number;
  heapBytes?: number;
  /** Address lookup tables to compress the v0 message with. */
  lookupTables?: LookupTables;
};

/** A signed v0 transaction of `ixs` (budget instructions first), paid by `payer`. */
export async function buildTransaction(chain: Chain, payer: TransactionSigner, ixs: Instruction[], opts: TxOptions = {}): Promise<Transaction> {
  const hasBudget = ixs.some((ix) => ix.programAddress === COMPUTE_BUDGET_PROGRAM_ID);
  const all = hasBudget ? ixs : [...budgetInstructions(opts.cuLimit, opts.heapBytes), ...ixs];
  const lifetime = await chain.latestBlockhash();
  let msg: any = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(payer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash(lifetime, m),
    (m) => appendTransactionMessageInstructions(all, m),
  );
  if (opts.lookupTables) msg = compressTransactionMessageUsingAddressLookupTables(msg, opts.lookupTables);
  return signTransactionMessageWithSigners(msg);
}

/** Bytes of a transaction on the wire (must be at most 1,232). */
export function transactionSize(tx: Transaction): number {
  return getTransactionEncoder().encode(tx).length;
}

/** Bytes `ixs` would take as a v0 transaction paid by `payer` (optionally through tables). */
export function messageSize(payer: TransactionSigner, ixs: Instruction[], lookupTables?: LookupTables): number {
  let msg: any = pipe(
    createTransactionMessage({ version: 0 }),
    (m) => setTransactionMessageFeePayerSigner(payer, m),
    (m) => setTransactionMessageLifetimeUsingBlockhash({ blockhash: '11111111111111111111111111111111' as any, lastValidBlockHeight: 0n }, m),
    (m) => appendTransactionMessageInstructions(ixs, m),
  );
  if (lookupTables) msg = compressTransactionMessageUsingAddressLookupTables(msg, lookupTables);
  return transactionSize(compileTransaction(msg));
}

/** A transaction that failed: the chain's error, its logs, and the program's typed error if any. */
export class TransactionFailedError extends Error {
  constructor(readonly result: TxResult, readonly programError: PortfolioMarginError | null) {
    super(programError ? programError.message : `transaction failed: ${String(result.err)}\n${result.logs.join('\n')}`);
    this.name = 'TransactionFailedError';
  }
}

export type Sent = TxResult & { events: ProgramEvent[] };

/**
 * Sends `ixs` signed by `payer` and every signer their account metas carry. A failure throws
 * the program's `PortfolioMarginError` when it is one of its codes, else `TransactionFailedError`.
 */
export async function sendInstructions(chain: Chain, payer: TransactionSigner, ixs: Instruction[], opts: TxOptions = {}): Promise<Sent> {
  const tx = await buildTransaction(chain, payer, ixs, opts);
  let result: TxResult;
  try {
    result = await chain.send(tx);
  } catch (e) {
    // A cluster refuses a failing transaction at preflight: the RPC error carries the
    // transaction error (kit: as the error's cause) and the logs.
    throw decodeProgramError(e, (e as any)?.context?.logs) ?? e;
  }
  if (result.err) throw typedFailure(result);
  return { ...result, events: parseEvents(result.logs) };
}

function typedFailure(result: TxResult): Error {
  return decodeProgramError(result.err, result.logs) ?? new TransactionFailedError(result, null);
}

/** Simulates a view instruction (`margin_report`, `liquidation_plan`) and decodes its return data. */
export async function simulateView<T>(chain: Chain, payer: TransactionSigner, ix: Instruction, decoder: Decoder<T>, opts: TxOptions = {}): Promise<T> {
  const tx = await buildTransaction(chain, payer, [ix], opts);
  const result = await chain.simulate(tx);
  if (result.err) throw typedFailure(result);
  if (!result.returnData) throw new Error(`${ix.programAddress ?? PROGRAM_ID}: no return data`);
  return decoder.decode(result.returnData);
}

// ---- address lookup tables ----

/** Every account of `ixs` a lookup table can hold: not a signer, not an invoked program. */
export function tableAddresses(ixs: Instruction[]): Address[] {
  const programs = new Set(ixs.map((ix) => ix.programAddress));
  const out: Address[] = [];
  for (const ix of ixs)
    for (const a of (ix.accounts ?? []) as AccountMeta[]) {
      const signer = a.role === AccountRole.READONLY_SIGNER || a.role === AccountRole.WRITABLE_SIGNER;
      if (!signer && !programs.has(a.address) && !out.includes(a.address)) out.push(a.address);
    }
  return out;
}

/** The lookup table `authority` creates at `recentSlot`, and its bump. */
export async function lookupTableAddress(authority: Address, recentSlot: bigint): Promise<[Address, number]> {
  const [a, bump] = await getProgramDerivedAddress({
    programAddress: ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
    seeds: [getAddressEncoder().encode(authority), getU64Encoder().encode(recentSlot)],
  });
  return [a, bump];
}

/** The lookup-table program's `CreateLookupTable` (authority need not sign). */
export async function createLookupTableInstruction(authority: Address, payer: TransactionSigner, recentSlot: bigint): Promise<[Instruction, Address]> {
  const [table, bump] = await lookupTableAddress(authority, recentSlot);
  const data = new Uint8Array(13);
  const v = new DataView(data.buffer);
  v.setUint32(0, 0, true);
  v.setBigUint64(4, recentSlot, true);
  data[12] = bump;
  const ix = {
    programAddress: ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
    accounts: [
      { address: table, role: AccountRole.WRITABLE },
      { address: authority, role: AccountRole.READONLY },
      { address: payer.address, role: AccountRole.WRITABLE_SIGNER, signer: payer },
      { address: SYSTEM_PROGRAM_ID, role: AccountRole.READONLY },
    ],
    data,
  } as Instruction;
  return [ix, table];
}

/** The lookup-table program's `ExtendLookupTable` with `addresses` (about 20 per transaction). */
export function extendLookupTableInstruction(table: Address, authority: TransactionSigner, payer: TransactionSigner, addresses: Address[]): Instruction {
  const data = new Uint8Array(12 + 32 * addresses.length);
  const v = new DataView(data.buffer);
  v.setUint32(0, 2, true);
  v.setBigUint64(4, BigInt(addresses.length), true);
  addresses.forEach((a, i) => data.set(getAddressEncoder().encode(a), 12 + 32 * i));
  const accounts: AccountMeta[] = [
    { address: table, role: AccountRole.WRITABLE },
    { address: authority.address, role: AccountRole.READONLY_SIGNER, signer: authority } as AccountMeta,
  ];
  accounts.push({ address: payer.address, role: AccountRole.WRITABLE_SIGNER, signer: payer } as AccountMeta);
  accounts.push({ address: SYSTEM_PROGRAM_ID, role: AccountRole.READONLY });
  return { programAddress: ADDRESS_LOOKUP_TABLE_PROGRAM_ID, accounts, data } as Instruction;
}

/** The addresses a lookup table account holds (after its 56-byte header). */
export function decodeLookupTable(data: Uint8Array): Address[] {
  const dec = getAddressDecoder();
  const out: Address[] = [];
  for (let o = 56; o + 32 <= data.length; o += 32) out.push(dec.decode(data.subarray(o, o + 32)));
  return out;
}
