// What the SDK needs from a chain, as one small interface: read accounts, a blockhash, send and
// simulate signed transactions. `RpcChain` implements it over a cluster's JSON-RPC (kit's
// `createSolanaRpc`); the tests implement it over litesvm (tests/helpers/litesvm-chain.ts), so
// the deployment script and every builder run the same code against both.
import {
  createSolanaRpc,
  getBase64Decoder,
  getBase64EncodedWireTransaction,
  getBase64Encoder,
  getSignatureFromTransaction,
  type Address,
  type Blockhash,
  type Transaction,
} from '@solana/kit';

export type RawAccount = {
  address: Address;
  owner: Address;
  data: Uint8Array;
  lamports: bigint;
  executable: boolean;
};

export type TxResult = {
  signature: string;
  logs: string[];
  computeUnits: bigint;
  /** The return data of the transaction's last instruction that set any (views), or null. */
  returnData: Uint8Array | null;
  /** The transaction error as the chain gave it (null on success). */
  err: unknown | null;
};

export interface AccountSource {
  getAccounts(addresses: readonly Address[]): Promise<(RawAccount | null)[]>;
}

export interface Chain extends AccountSource {
  latestBlockhash(): Promise<{ blockhash: Blockhash; lastValidBlockHeight: bigint }>;
  /** Sends and waits for confirmation; a failed transaction resolves with `err` set. */
  send(tx: Transaction): Promise<TxResult>;
  simulate(tx: Transaction): Promise<TxResult>;
  slot(): Promise<bigint>;
  /** Lamports needed for an account of `bytes` to be rent-exempt. */
  rentExempt(bytes: number): Promise<bigint>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A cluster over JSON-RPC. */
export class RpcChain implements Chain {
  readonly rpc: ReturnType<typeof createSolanaRpc>;
  constructor(readonly url: string, readonly opts: { confirmTimeoutMs?: number } = {}) {
    this.rpc = createSolanaRpc(url);
  }

  async getAccounts(addresses: readonly Address[]): Promise<(RawAccount | null)[]> {
    const out: (RawAccount | null)[] = [];
    const b64 = getBase64Encoder();
    for (let i = 0; i < addresses.length; i += 100) {
      const chunk = addresses.slice(i, i + 100);
      const { value } = await this.rpc.getMultipleAccounts(chunk, { encoding: 'base64', commitment: 'confirmed' }).send();
      value.forEach((a, k) =>
        out.push(
          a
            ? {
                address: chunk[k],
                owner: a.owner,
                data: new Uint8Array(b64.encode(a.data[0])),
                lamports: BigInt(a.lamports),
                executable: a.executable,
              }
            : null,
        ),
      );
    }
    return out;
  }

  async latestBlockhash() {
    const { value } = await this.rpc.getLatestBlockhash({ commitment: 'confirmed' }).send();
    return { blockhash: value.blockhash, lastValidBlockHeight: BigInt(value.lastValidBlockHeight) };
  }

  async slot() {
    return BigInt(await this.rpc.getSlot({ commitment: 'confirmed' }).send());
  }

  async rentExempt(bytes: number) {
    return BigInt(await this.rpc.getMinimumBalanceForRentExemption(BigInt(bytes)).send());
  }

  async simulate(tx: Transaction): Promise<TxResult> {
    const wire = getBase64EncodedWireTransaction(tx);
    const { value } = await this.rpc
      .simulateTransaction(wire, { encoding: 'base64', sigVerify: false, replaceRecentBlockhash: true, commitment: 'confirmed' })
      .send();
    const rd = value.returnData;
    return {
      signature: getSignatureFromTransaction(tx),
      logs: [...(value.logs ?? [])],
      computeUnits: BigInt(value.unitsConsumed ?? 0),
      returnData: rd ? new Uint8Array(getBase64Encoder().encode(rd.data[0])) : null,
      err: value.err ?? null,
    };
  }

  async send(tx: Transaction): Promise<TxResult> {
    const wire = getBase64EncodedWireTransaction(tx);
    const signature = await this.rpc.sendTransaction(wire, { encoding: 'base64', preflightCommitment: 'confirmed' }).send();
    const deadline = Date.now() + (this.opts.confirmTimeoutMs ?? 60_000);
    while (Date.now() < deadline) {
      const { value } = await this.rpc.getSignatureStatuses([signature]).send();
      const s = value[0];
      if (s && (s.confirmationStatus === 'confirmed' || s.confirmationStatus === 'finalized')) {
        const t = await this.rpc
          .getTransaction(signature, { commitment: 'confirmed', maxSupportedTransactionVersion: 0, encoding: 'json' })
          .send();
        const rd = t?.meta?.returnData;
        return {
          signature,
          logs: [...(t?.meta?.logMessages ?? [])],
          computeUnits: BigInt(t?.meta?.computeUnitsConsumed ?? 0),
          returnData: rd ? new Uint8Array(getBase64Encoder().encode(rd.data[0])) : null,
          err: s.err ?? null,
        };
      }
      await sleep(500);
    }
    throw new Error(`transaction ${signature} not confirmed in time`);
  }
}

/** A `getProgramAccounts` filter: bytes at an offset, or the account's size. */
export type AccountFilter = { memcmp: { offset: number; bytes: Uint8Array } } | { dataSize: number };

/** Whether `data` passes `filters` (what a cluster checks). */
export function matchesFilters(data: Uint8Array, filters: readonly AccountFilter[]): boolean {
  return filters.every((f) =>
    'dataSize' in f
      ? data.length === f.dataSize
      : f.memcmp.offset + f.memcmp.bytes.length <= data.length && f.memcmp.bytes.every((b, i) => data[f.memcmp.offset + i] === b),
  );
}

/** The program's accounts that pass `filters`, over JSON-RPC (`getProgramAccounts`). */
export async function getProgramAccounts(chain: RpcChain, programAddress: Address, filters: readonly AccountFilter[]): Promise<RawAccount[]> {
  const b64 = getBase64Encoder();
  const dec = getBase64Decoder();
  const rpcFilters = filters.map((f) =>
    'dataSize' in f
      ? { dataSize: BigInt(f.dataSize) }
      : { memcmp: { offset: BigInt(f.memcmp.offset), bytes: dec.decode(f.memcmp.bytes) as any, encoding: 'base64' as const } },
  );
  const res: any = await chain.rpc.getProgramAccounts(programAddress, { encoding: 'base64', commitment: 'confirmed', filters: rpcFilters as any }).send();
  const list: any[] = Array.isArray(res) ? res : res.value;
  return list.map((x) => ({
    address: x.pubkey,
    owner: x.account.owner,
    data: new Uint8Array(b64.encode(x.account.data[0])),
    lamports: BigInt(x.account.lamports),
    executable: x.account.executable,
  }));
}
