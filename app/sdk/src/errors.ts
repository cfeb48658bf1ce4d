// Typed errors: the program's codes (6000 + the index of `PmError`,
// programs/portfolio-margin/src/error.rs, listed in the IDL) as a class with the Rust name and
// message, and a decoder that finds the code in whatever a failed transaction gave back
// (a kit `SolanaError`, an RPC error object, litesvm's error, or the logs).
import { PROGRAM_ERRORS, type ProgramErrorName } from './generated/idlExtras.ts';

export type { ProgramErrorName };

const BY_CODE = new Map<number, (typeof PROGRAM_ERRORS)[number]>(PROGRAM_ERRORS.map((e) => [e.code, e]));
const BY_NAME = new Map<string, (typeof PROGRAM_ERRORS)[number]>(PROGRAM_ERRORS.map((e) => [e.name, e]));

/** The code of a program error by its Rust name: `errorCode('InitialMarginViolated') === 6009`. */
export function errorCode(name: ProgramErrorName): number {
  return BY_NAME.get(name)!.code;
}

/** An error the portfolio-margin program returned. */
export class PortfolioMarginError extends Error {
  readonly code: number;
  readonly errorName: ProgramErrorName;
  /** Index of the failing instruction in its transaction, when known. */
  readonly instructionIndex?: number;
  readonly logs?: readonly string[];
  constructor(code: number, opts: { instructionIndex?: number; logs?: readonly string[] } = {}) {
    const e = BY_CODE.get(code);
    if (!e) throw new Error(`${code} is not a portfolio-margin error code`);
    super(`${e.name} (${code}): ${e.message}`);
    this.name = 'PortfolioMarginError';
    this.code = code;
    this.errorName = e.name;
    this.instructionIndex = opts.instructionIndex;
    this.logs = opts.logs;
  }
  /** Whether this is the error named `name`. */
  is(name: ProgramErrorName): boolean {
    return this.errorName === name;
  }
}

export function isPortfolioMarginCode(code: number): boolean {
  return BY_CODE.has(code);
}

/**
 * The custom error code inside a failed transaction's error, whatever shape it came in:
 * `{ InstructionError: [i, { Custom: n }] }` (RPC JSON), litesvm's `TransactionErrorInstructionError`
 * (`.index`, `.err().code`), a kit `SolanaError` (`context.code`), or an Anchor log line
 * `Error Number: n`.
 */
export function customErrorCode(err: unknown, logs?: readonly string[]): { code: number; index?: number } | null {
  const e = err as any;
  if (e && Array.isArray(e.InstructionError)) {
    const [index, inner] = e.InstructionError;
    if (inner && typeof inner.Custom === 'number') return { code: inner.Custom, index };
  }
  if (e && typeof e.index === 'number' && typeof e.err === 'function') {
    const inner = e.err();
    if (inner && typeof inner.code === 'number') return { code: inner.code, index: e.index };
  }
  if (e && e.context && typeof e.context.code === 'number') return { code: e.context.code, index: e.context.index };
  if (e && e.cause) {
    const c = customErrorCode(e.cause);
    if (c) return c;
  }
  for (const line of logs ?? []) {
    const m = line.match(/Error Number: (\d+)/);
    if (m) return { code: Number(m[1]) };
  }
  return null;
}

/** The program's typed error in a failed transaction's error (or logs), or null. */
export function decodeProgramError(err: unknown, logs?: readonly string[]): PortfolioMarginError | null {
  const c = customErrorCode(err, logs);
  if (!c || !isPortfolioMarginCode(c.code)) return null;
  return new PortfolioMarginError(c.code, { instructionIndex: c.index, logs });
}
