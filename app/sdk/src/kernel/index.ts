/**
 * The risk kernel in the client: `crates/kernel-wasm` (the on-chain kernel and `pm`'s portfolio
 * code, compiled to WebAssembly by `scripts/wasm-build.sh`) behind typed calls. Loads in Node
 * (from `app/sdk/wasm/risk_kernel.wasm`) and in browsers (from a URL or bytes).
 *
 * ```ts
 * const kernel = await RiskKernel.load();
 * const report = kernel.risk(portfolioFileText); // the same numbers, to the bit, as `pm risk`
 * const { before, after } = kernel.whatIf({ portfolio, trades: [{ underlying: "ETH", type: "call", strike: 3200, expiry_years: 0.25, vol: 0.65, lot_size: 0.01, lots: 100 }] });
 * ```
 *
 * ABI (crates/kernel-wasm/src/lib.rs): `pm_alloc(len)`, write UTF-8 JSON, `pm_<entry>(ptr, len)`
 * returns 0 (answer is JSON) or 1 (answer is an error message), the answer at
 * `pm_output_ptr()`/`pm_output_len()`. No imports, no glue.
 *
 * Only erasable TypeScript (types, no enums or parameter properties): `app/dashboard/serve.mjs`
 * serves this file to browsers with its types stripped.
 */
import type {
  LiquidationAnswer,
  MarginReport,
  MaxTradeAnswer,
  MaxTradeRequest,
  PortfolioFile,
  WhatIfAnswer,
  WhatIfRequest,
} from "./types.ts";

export type * from "./types.ts";

/** The module's ABI version this wrapper speaks. */
export const KERNEL_ABI_VERSION = 1;

/** A request the kernel refused: `message` names the field, as `pm` does. */
export class KernelError extends Error {
  readonly entry: string;
  constructor(message: string, entry: string) {
    super(message);
    this.name = "KernelError";
    this.entry = entry;
  }
}

interface Exports {
  memory: WebAssembly.Memory;
  pm_abi_version(): number;
  pm_alloc(len: number): number;
  pm_free(ptr: number, len: number): void;
  pm_output_ptr(): number;
  pm_output_len(): number;
  pm_risk(ptr: number, len: number): number;
  pm_what_if(ptr: number, len: number): number;
  pm_liquidation_prices(ptr: number, len: number): number;
  pm_max_trade(ptr: number, len: number): number;
}

type Entry = "pm_risk" | "pm_what_if" | "pm_liquidation_prices" | "pm_max_trade";

/** Where the module comes from: its bytes, a compiled module, or a URL (browser: fetched). */
export type KernelSource = BufferSource | WebAssembly.Module | URL | string;

const isNode = typeof process !== "undefined" && !!process.versions?.node;

/** The SDK's own build of the module (scripts/wasm-build.sh writes it there). */
export const DEFAULT_WASM_URL = new URL("../../wasm/risk_kernel.wasm", import.meta.url);

async function compile(source: KernelSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === "string" || source instanceof URL) {
    const url = source instanceof URL ? source : new URL(source, isNode ? `file://${process.cwd()}/` : undefined);
    if (url.protocol === "file:") {
      const { readFile } = await import("node:fs/promises");
      return WebAssembly.compile(await readFile(url));
    }
    const res = await fetch(url);
    if (!res.ok) throw new Error(`risk kernel: ${url}: HTTP ${res.status}`);
    return WebAssembly.compile(await res.arrayBuffer());
  }
  return WebAssembly.compile(source);
}

export class RiskKernel {
  private readonly x: Exports;
  private readonly enc = new TextEncoder();
  private readonly dec = new TextDecoder("utf-8", { fatal: true });

  private constructor(instance: WebAssembly.Instance) {
    this.x = instance.exports as unknown as Exports;
    const v = this.x.pm_abi_version();
    if (v !== KERNEL_ABI_VERSION) throw new Error(`risk kernel: ABI ${v}, this SDK speaks ${KERNEL_ABI_VERSION}`);
  }

  /** Instantiates the module (default: the SDK's `wasm/risk_kernel.wasm`, read or fetched). */
  static async load(source: KernelSource = DEFAULT_WASM_URL): Promise<RiskKernel> {
    const module = await compile(source);
    return new RiskKernel(await WebAssembly.instantiate(module, {}));
  }

  /** One call: the request's text in, the answer's text out (or a KernelError). */
  call(entry: Entry, request: string): string {
    const bytes = this.enc.encode(request);
    const ptr = this.x.pm_alloc(bytes.length);
    // Views are taken after every call into the module: memory may have grown.
    new Uint8Array(this.x.memory.buffer, ptr, bytes.length).set(bytes);
    const status = this.x[entry](ptr, bytes.length);
    const out = new Uint8Array(this.x.memory.buffer, this.x.pm_output_ptr(), this.x.pm_output_len());
    const text = this.dec.decode(out.slice());
    if (status !== 0) throw new KernelError(text, entry);
    return text;
  }

  /** The margin report's JSON text: byte for byte what `pm risk --portfolio FILE` prints. */
  riskText(portfolio: PortfolioFile | string): string {
    return this.call("pm_risk", text(portfolio));
  }

  /** The margin report (`pm risk`'s fields: equity, initial, maintenance, groups, ...). */
  risk(portfolio: PortfolioFile | string): MarginReport {
    return JSON.parse(this.riskText(portfolio)) as MarginReport;
  }

  /** Proposed trades and transfers: the report before and after. */
  whatIf(request: WhatIfRequest | string): WhatIfAnswer {
    return JSON.parse(this.call("pm_what_if", wrap(request))) as WhatIfAnswer;
  }

  /** Per underlying, the nearest spot below and above today's at which equity < maintenance. */
  liquidationPrices(portfolio: PortfolioFile | string): LiquidationAnswer {
    return JSON.parse(this.call("pm_liquidation_prices", `{"portfolio":${text(portfolio)}}`)) as LiquidationAnswer;
  }

  /** The largest size of a trade after which equity stays at or above initial margin. */
  maxTrade(request: MaxTradeRequest | string): MaxTradeAnswer {
    return JSON.parse(this.call("pm_max_trade", wrap(request))) as MaxTradeAnswer;
  }
}

function text(p: PortfolioFile | string): string {
  return typeof p === "string" ? p : JSON.stringify(p);
}

/** A request object whose `portfolio` may be a file's text: spliced in verbatim (no reparse). */
function wrap(r: { portfolio: PortfolioFile | string } | string): string {
  if (typeof r === "string") return r;
  const { portfolio, ...rest } = r;
  const tail = JSON.stringify(rest);
  return `{"portfolio":${text(portfolio)}${tail === "{}" ? "" : `,${tail.slice(1, -1)}`}}`;
}
