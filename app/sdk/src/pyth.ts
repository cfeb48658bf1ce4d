// The bytes of a Pyth `PriceUpdateV2` account (pyth-solana-receiver-sdk 2.0: Anchor
// discriminator, write authority, verification level, price message, posted slot; 134 bytes),
// for local chains (litesvm, solana-test-validator `--account`) where no Pyth receiver posts
// prices: crates/localnet's `price_update_after` in TypeScript. Accounts holding these must be
// owned by `PYTH_RECEIVER_PROGRAM_ID`.
import { getAddressEncoder, type Address } from '@solana/kit';

export const PRICE_UPDATE_V2_LEN = 134;
/** sha256("account:PriceUpdateV2")[..8] */
export const PRICE_UPDATE_V2_DISCRIMINATOR = new Uint8Array([34, 241, 35, 99, 157, 126, 244, 205]);

export type PriceUpdate = {
  feedId: Uint8Array;
  price: bigint;
  conf: bigint;
  exponent: number;
  publishTime: bigint;
  /** Default: publishTime - 1. */
  prevPublishTime?: bigint;
  /** Fully verified (default) or partially (3 signatures). */
  full?: boolean;
  writeAuthority?: Address;
  postedSlot?: bigint;
};

export function encodePriceUpdateV2(p: PriceUpdate): Uint8Array {
  const out = new Uint8Array(PRICE_UPDATE_V2_LEN);
  const v = new DataView(out.buffer);
  out.set(PRICE_UPDATE_V2_DISCRIMINATOR, 0);
  let o = 8;
  out.set(getAddressEncoder().encode(p.writeAuthority ?? ('11111111111111111111111111111111' as Address)), o);
  o += 32;
  if (p.full ?? true) out[o++] = 1; // VerificationLevel::Full
  else {
    out[o++] = 0; // Partial { num_signatures }
    out[o++] = 3;
  }
  if (p.feedId.length !== 32) throw new Error('feed id must be 32 bytes');
  out.set(p.feedId, o);
  o += 32;
  v.setBigInt64(o, p.price, true);
  v.setBigUint64(o + 8, p.conf, true);
  v.setInt32(o + 16, p.exponent, true);
  v.setBigInt64(o + 20, p.publishTime, true);
  v.setBigInt64(o + 28, p.prevPublishTime ?? p.publishTime - 1n, true);
  v.setBigInt64(o + 36, p.price, true); // ema price
  v.setBigUint64(o + 44, p.conf, true); // ema conf
  v.setBigUint64(o + 52, p.postedSlot ?? 1n, true);
  return out;
}
