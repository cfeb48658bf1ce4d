// The program's events (Anchor `emit!`: "Program data: <base64>" log lines, an 8-byte
// discriminator then the Borsh struct), decoded with the codecs Codama generated for them
// (`<Name>Event` types, see scripts/generate.mjs). Only data logged while this program is the
// one executing is taken (the log's invoke/success lines are followed as a stack), so a CPI
// callee's logs are never misread as the program's events.
import { getBase64Encoder, type Address, type Decoder } from '@solana/kit';
import { PROGRAM_ID } from './constants.ts';
import * as types from './generated/types/index.ts';
import { EVENT_DISCRIMINATORS, type EventName } from './generated/idlExtras.ts';

export type { EventName };

/** An event: its IDL name and its decoded fields (the generated `<Name>Event` type). */
export type ProgramEvent = { name: EventName; data: Record<string, unknown> };

function decoderOf(name: EventName): Decoder<Record<string, unknown>> {
  const f = (types as Record<string, unknown>)[`get${name}EventDecoder`];
  if (typeof f !== 'function') throw new Error(`no generated decoder for event ${name}`);
  return (f as () => Decoder<Record<string, unknown>>)();
}

const ENTRIES = Object.entries(EVENT_DISCRIMINATORS) as [EventName, Uint8Array][];

/** The event in one log data payload (discriminator + Borsh), or null if it is not one of ours. */
export function decodeEvent(bytes: Uint8Array): ProgramEvent | null {
  if (bytes.length < 8) return null;
  for (const [name, disc] of ENTRIES) {
    if (disc.every((b, i) => bytes[i] === b)) {
      return { name, data: decoderOf(name).decode(bytes.subarray(8)) };
    }
  }
  return null;
}

/** Every event the program emitted in a transaction's logs, in order. */
export function parseEvents(logs: readonly string[], programId: Address = PROGRAM_ID): ProgramEvent[] {
  const stack: string[] = [];
  const out: ProgramEvent[] = [];
  const b64 = getBase64Encoder();
  for (const line of logs) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^Program (\w+) invoke \[\d+\]$/))) stack.push(m[1]);
    else if (/^Program \w+ (success|failed)/.test(line)) stack.pop();
    else if ((m = line.match(/^Program data: (.+)$/)) && stack[stack.length - 1] === programId) {
      for (const part of m[1].split(' ')) {
        const ev = decodeEvent(new Uint8Array(b64.encode(part)));
        if (ev) out.push(ev);
      }
    }
  }
  return out;
}

/** The events named `name` in `events`, typed by the caller. */
export function eventsNamed<T = Record<string, unknown>>(events: ProgramEvent[], name: EventName): T[] {
  return events.filter((e) => e.name === name).map((e) => e.data as T);
}
