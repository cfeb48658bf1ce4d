// Every PDA of the program, derived from the seeds in state/seeds.rs the way crates/localnet
// derives them (lib.rs, market.rs) and crates/client/src/pda.rs names them. Codama generates a
// few of these from the IDL's seeds (config, vault authority, asset, vault, margin account,
// venue, venue approval); the ones whose seeds the IDL cannot express (an underlying's u8 id,
// an instrument's terms, the upgradeable loader's program data, a venue program's authority)
// are only here, and all are here under one naming.
import {
  getAddressEncoder,
  getI64Encoder,
  getProgramDerivedAddress,
  getU16Encoder,
  type Address,
} from '@solana/kit';
import { BPF_LOADER_UPGRADEABLE_ID, PROGRAM_ID, SEEDS } from './constants.ts';

const text = (s: string) => new TextEncoder().encode(s);
const addr = (a: Address) => getAddressEncoder().encode(a);

type Seeds = Parameters<typeof getProgramDerivedAddress>[0]['seeds'];

async function pda(seeds: Seeds, programAddress: Address = PROGRAM_ID): Promise<Address> {
  const [a] = await getProgramDerivedAddress({ programAddress, seeds });
  return a;
}

/** `["config"]` */
export const configPda = (programId?: Address) => pda([text(SEEDS.config)], programId);
/** `["vault-authority"]`: owns every vault; the insurance fund's owner. */
export const vaultAuthorityPda = (programId?: Address) => pda([text(SEEDS.vaultAuthority)], programId);
/** `["collateral", mint]`: the `CollateralAsset` of a mint. */
export const assetPda = (mint: Address, programId?: Address) => pda([text(SEEDS.collateral), addr(mint)], programId);
/** `["vault", mint]`: the asset's token account. */
export const vaultPda = (mint: Address, programId?: Address) => pda([text(SEEDS.vault), addr(mint)], programId);
/** `["margin", owner, sub_id u16 LE]` */
export const marginAccountPda = (owner: Address, subId = 0, programId?: Address) =>
  pda([text(SEEDS.marginAccount), addr(owner), new Uint8Array(getU16Encoder().encode(subId))], programId);
/** `["underlying", id u8]` */
export const underlyingPda = (id: number, programId?: Address) =>
  pda([text(SEEDS.underlying), new Uint8Array([id])], programId);
/** `["instrument", underlying, kind u8, expiry i64 LE, strike i64 LE]` */
export const instrumentPda = (
  underlying: Address,
  terms: { kind: number; expiry: bigint | number; strike: bigint | number },
  programId?: Address,
) =>
  pda(
    [
      text(SEEDS.instrument),
      addr(underlying),
      new Uint8Array([terms.kind]),
      new Uint8Array(getI64Encoder().encode(terms.expiry)),
      new Uint8Array(getI64Encoder().encode(terms.strike)),
    ],
    programId,
  );
/** The insurance fund: the vault authority's margin account 0. */
export const insurancePda = async (programId?: Address) =>
  marginAccountPda(await vaultAuthorityPda(programId), 0, programId);
/** `["pending-params", target]`: a parameter change of an asset or underlying waiting its delay. */
export const pendingParamsPda = (target: Address, programId?: Address) =>
  pda([text(SEEDS.pendingParams), addr(target)], programId);
/** The program's program data account (upgradeable loader): holds the upgrade authority. */
export const programDataPda = (programId: Address = PROGRAM_ID) => pda([addr(programId)], BPF_LOADER_UPGRADEABLE_ID);
/** `["venue", venue_program]`: the `Venue` registered for a venue program. */
export const venuePda = (venueProgram: Address, programId?: Address) =>
  pda([text(SEEDS.venue), addr(venueProgram)], programId);
/** `["venue-approval", margin_account, venue]`: a margin account's `VenueApproval` of a venue (the `Venue` PDA, not the venue program). */
export const venueApprovalPda = (marginAccount: Address, venue: Address, programId?: Address) =>
  pda([text(SEEDS.venueApproval), addr(marginAccount), addr(venue)], programId);
/**
 * `["venue-authority"]` derived from the VENUE program (not this one): the key a venue program
 * signs `venue_trade` with through its CPI, registered as the venue's `authority`.
 */
export const venueAuthorityPda = (venueProgram: Address) => pda([text(SEEDS.venueAuthority)], venueProgram);
