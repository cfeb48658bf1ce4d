// A JSON-RPC endpoint on loopback backed by litesvm: the handful of methods the SDK's
// `RpcChain` calls (accounts, blockhash, slot, rent, send with preflight, statuses,
// transactions, simulate), answered the way a cluster does. It lets the tests run the
// production path (RpcChain, the deploy CLI without --dry-run) against the real .so.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getBase58Encoder, getBase64Decoder, getBase64Encoder, getSignatureFromTransaction, getTransactionDecoder } from '@solana/kit';
import { matchesFilters } from '@portfolio-margin/sdk';
import type { LiteSvmChain } from './litesvm-chain.ts';

/** A litesvm transaction error as the RPC's JSON (`{ InstructionError: [i, { Custom: n }] }`). */
function errJson(err: any): unknown {
  if (err == null) return null;
  if (typeof err.index === 'number' && typeof err.err === 'function') {
    const inner = err.err();
    return { InstructionError: [err.index, typeof inner?.code === 'number' ? { Custom: inner.code } : String(inner)] };
  }
  return String(err);
}

export async function startRpc(chain: LiteSvmChain): Promise<{ url: string; calls: string[]; close(): Promise<void> }> {
  const done = new Map<string, { slot: bigint; err: unknown; logs: string[]; cu: bigint; returnData: Uint8Array | null }>();
  const calls: string[] = [];
  const b64 = getBase64Decoder();
  const bytes = (s: string) => new Uint8Array(getBase64Encoder().encode(s));
  const rd = (d: Uint8Array | null) => (d ? { programId: 'FEPTriadt2CZneb8PsXkev4QaV4mf1pTuvZ75VmvAZLt', data: [b64.decode(d), 'base64'] } : null);

  async function handle(method: string, params: any[]): Promise<{ result?: unknown; error?: unknown }> {
    const slot = chain.svm.getClock().slot;
    const ctx = { context: { slot: Number(slot) } };
    switch (method) {
      case 'getMultipleAccounts': {
        const accs = await chain.getAccounts(params[0]);
        return {
          result: {
            ...ctx,
            value: accs.map((a) =>
              a ? { data: [b64.decode(a.data), 'base64'], executable: a.executable, lamports: Number(a.lamports), owner: a.owner, rentEpoch: 0, space: a.data.length } : null,
            ),
          },
        };
      }
      case 'getLatestBlockhash': {
        const { blockhash } = await chain.latestBlockhash();
        return { result: { ...ctx, value: { blockhash, lastValidBlockHeight: Number(slot) + 150 } } };
      }
      case 'getSlot':
        return { result: Number(await chain.slot()) };
      case 'getMinimumBalanceForRentExemption':
        return { result: Number(await chain.rentExempt(Number(params[0]))) };
      case 'simulateTransaction': {
        const tx = getTransactionDecoder().decode(bytes(params[0]));
        const r = await chain.simulate(tx);
        return { result: { ...ctx, value: { err: errJson(r.err), logs: r.logs, unitsConsumed: Number(r.computeUnits), returnData: rd(r.returnData), accounts: null } } };
      }
      case 'sendTransaction': {
        const tx = getTransactionDecoder().decode(bytes(params[0]));
        const pre = await chain.simulate(tx); // preflight, as a cluster does
        if (pre.err)
          return {
            error: {
              code: -32002,
              message: `Transaction simulation failed: ${String(pre.err)}`,
              data: { err: errJson(pre.err), logs: pre.logs, accounts: null, unitsConsumed: Number(pre.computeUnits), returnData: rd(pre.returnData) },
            },
          };
        const r = await chain.send(tx);
        const sig = getSignatureFromTransaction(tx);
        done.set(sig, { slot, err: errJson(r.err), logs: r.logs, cu: r.computeUnits, returnData: r.returnData });
        return { result: sig };
      }
      case 'getSignatureStatuses':
        return {
          result: {
            ...ctx,
            value: params[0].map((s: string) => {
              const t = done.get(s);
              return t ? { slot: Number(t.slot), confirmations: null, err: t.err, status: t.err ? { Err: t.err } : { Ok: null }, confirmationStatus: 'confirmed' } : null;
            }),
          },
        };
      case 'getTransaction': {
        const t = done.get(params[0]);
        return {
          result: t
            ? { slot: Number(t.slot), blockTime: null, meta: { err: t.err, logMessages: t.logs, computeUnitsConsumed: Number(t.cu), returnData: rd(t.returnData), fee: 5000 }, transaction: null }
            : null,
        };
      }
      case 'getProgramAccounts': {
        const filters = (params[1]?.filters ?? []).map((f: any) =>
          f.dataSize !== undefined
            ? { dataSize: Number(f.dataSize) }
            : { memcmp: { offset: Number(f.memcmp.offset), bytes: f.memcmp.encoding === 'base64' ? bytes(f.memcmp.bytes) : getBase58Encoder().encode(f.memcmp.bytes) } },
        );
        const all = chain.svm.getProgramAccounts(params[0]);
        return {
          result: all
            .filter((a) => matchesFilters(new Uint8Array(a.data), filters))
            .map((a) => ({
              pubkey: a.address,
              account: { data: [b64.decode(new Uint8Array(a.data)), 'base64'], executable: a.executable, lamports: Number(a.lamports), owner: a.programAddress, rentEpoch: 0, space: a.data.length },
            })),
        };
      }
      default:
        return { error: { code: -32601, message: `method ${method} not served by the test endpoint` } };
    }
  }

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      const call = JSON.parse(body);
      calls.push(call.method);
      const out = await handle(call.method, call.params ?? []).catch((e) => ({ error: { code: -32603, message: String(e) } }));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, ...out }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, calls, close: () => new Promise<void>((r) => server.close(() => r())) };
}
