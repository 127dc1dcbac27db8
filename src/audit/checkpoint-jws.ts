// Checkpoint statements: "the chain had `seq` events ending in `headHash` at `issuedAt`", as an Ed25519
// compact JWS that anyone holding the published public key can check offline.
import { CompactSign, compactVerify, decodeProtectedHeader, importJWK, type CryptoKey, type JWK } from "jose";
import { assertEd25519Jwk, type CheckpointSigningMaterial } from "../crypto/key-material";
import { canonicalJson, isHashHex, type ChainHead } from "./core";

/** `typ` of every checkpoint JWS, so a checkpoint can never pass as an access token or the reverse. */
export const CHECKPOINT_TYP = "custos-checkpoint+jws";
const ALG = "EdDSA";
const ISSUED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The signed payload, serialised as RFC 8785 canonical JSON (the same form as audit events). Version 2 also
 * commits to the RFC 6962 Merkle tree of the log (docs/audit-merkle.md); version 1 checkpoints, sealed before
 * the tree existed, still verify and simply carry no root.
 */
export interface CheckpointPayload {
  v: 1 | 2;
  /** Number of events covered, which is also the seq of the last one (seq is gapless from 1). */
  seq: number;
  /** Hash of event `seq`, 64 lower-case hex characters. */
  headHash: string;
  /** When it was sealed: ISO 8601 UTC with milliseconds. */
  issuedAt: string;
  kid: string;
  /** v2 only: the Merkle tree size, always equal to `seq`. */
  treeSize?: number;
  /** v2 only: the Merkle tree head MTH of leaves 1..seq, 64 lower-case hex characters. */
  rootHash?: string;
}

export interface SignedCheckpoint extends CheckpointPayload {
  jws: string;
}

export interface CheckpointVerificationKey {
  kid: string;
  publicKey: CryptoKey;
  publicJwk: JWK;
  /**
   * The key's validity (ISO 8601 UTC, from `keys rotate-checkpoint`): a checkpoint it signed must have been
   * issued within [activatedAt, retiredAt]. A leaked retired key therefore cannot sign a newer checkpoint.
   */
  activatedAt?: string;
  retiredAt?: string;
}

export interface CheckpointSigningKey extends CheckpointVerificationKey {
  privateKey: CryptoKey;
}

/** Why a JWS is not a valid checkpoint; callers switch on the reason, never on the message. */
export type CheckpointErrorReason =
  | "malformed"
  | "bad_header"
  | "unknown_kid"
  | "bad_signature"
  | "bad_payload"
  /** issuedAt after its key's retiredAt: signed with a retired key (a leaked old key?). */
  | "key_retired"
  /** issuedAt before its key's activatedAt. */
  | "key_not_yet_active";

export class CheckpointError extends Error {
  constructor(readonly reason: CheckpointErrorReason) {
    super(`invalid audit checkpoint: ${reason}`);
    this.name = "CheckpointError";
  }
}

export async function importCheckpointKey(material: CheckpointSigningMaterial): Promise<CheckpointSigningKey> {
  const jwk = assertEd25519Jwk(material.privateJwk, "checkpointSigning.privateJwk");
  const publicJwk: JWK = Object.freeze({ kty: "OKP", crv: "Ed25519", x: jwk.x });
  return Object.freeze({
    kid: material.kid,
    ...(material.activatedAt !== undefined ? { activatedAt: material.activatedAt } : {}),
    publicJwk,
    publicKey: (await importJWK(publicJwk, ALG)) as CryptoKey,
    privateKey: (await importJWK({ ...jwk }, ALG, { extractable: false })) as CryptoKey,
  });
}

/**
 * A verification key from a published JWK (what an outside auditor holds), with its validity when the
 * JWK carries `activatedAt` / `retiredAt` (members of our JWK Set, see checkpointJwks).
 */
export async function importCheckpointPublicJwk(jwk: JWK & { kid?: string; activatedAt?: unknown; retiredAt?: unknown }): Promise<CheckpointVerificationKey> {
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string" || typeof jwk.kid !== "string") {
    throw new TypeError("checkpoint public key must be an Ed25519 OKP JWK with a kid");
  }
  const instant = (v: unknown, what: string): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== "string" || !ISSUED_AT.test(v) || new Date(v).toISOString() !== v) throw new TypeError(`checkpoint public key ${what} must be an ISO 8601 UTC instant`);
    return v;
  };
  const activatedAt = instant(jwk.activatedAt, "activatedAt");
  const retiredAt = instant(jwk.retiredAt, "retiredAt");
  const publicJwk: JWK = Object.freeze({ kty: "OKP", crv: "Ed25519", x: jwk.x });
  return Object.freeze({
    kid: jwk.kid,
    ...(activatedAt !== undefined ? { activatedAt } : {}),
    ...(retiredAt !== undefined ? { retiredAt } : {}),
    publicJwk,
    publicKey: (await importJWK(publicJwk, ALG)) as CryptoKey,
  });
}

/**
 * The JWK Set published at /.well-known/audit-checkpoint-keys.json and by `custos keys checkpoint-public`:
 * the current key and every retired one, each with its validity (`activatedAt`, `retiredAt`) when known.
 */
export function checkpointJwks(keys: readonly CheckpointVerificationKey[]): { keys: JWK[] } {
  return {
    keys: keys.map((k) => ({
      ...k.publicJwk,
      kid: k.kid,
      alg: ALG,
      use: "sig",
      ...(k.activatedAt !== undefined ? { activatedAt: k.activatedAt } : {}),
      ...(k.retiredAt !== undefined ? { retiredAt: k.retiredAt } : {}),
    })),
  };
}

/** With `rootHash` (the Merkle root at head.seq) a v2 checkpoint, else a v1 one. */
export async function signCheckpoint(key: CheckpointSigningKey, head: ChainHead, issuedAt: Date, rootHash?: string): Promise<SignedCheckpoint> {
  if (!Number.isSafeInteger(head.seq) || head.seq < 1) throw new TypeError("checkpoint seq must be a positive safe integer");
  if (!isHashHex(head.hash)) throw new TypeError("checkpoint headHash must be 64 lower-case hex characters");
  if (!(issuedAt instanceof Date) || Number.isNaN(issuedAt.getTime())) throw new TypeError("issuedAt must be a valid Date");
  if (rootHash !== undefined && !isHashHex(rootHash)) throw new TypeError("checkpoint rootHash must be 64 lower-case hex characters");
  const payload: CheckpointPayload =
    rootHash === undefined
      ? { v: 1, seq: head.seq, headHash: head.hash, issuedAt: issuedAt.toISOString(), kid: key.kid }
      : { v: 2, seq: head.seq, headHash: head.hash, issuedAt: issuedAt.toISOString(), kid: key.kid, treeSize: head.seq, rootHash };
  const jws = await new CompactSign(Buffer.from(canonicalJson(payload), "utf8"))
    .setProtectedHeader({ alg: ALG, typ: CHECKPOINT_TYP, kid: key.kid })
    .sign(key.privateKey);
  return { ...payload, jws };
}

/**
 * Checks the header (alg pinned, typ, kid known), the signature, and the payload's shape. The payload
 * must also be in canonical form: two encodings of one statement would be two different files.
 */
export async function verifyCheckpoint(jws: string, keys: readonly CheckpointVerificationKey[]): Promise<SignedCheckpoint> {
  if (typeof jws !== "string" || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws)) throw new CheckpointError("malformed");
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new CheckpointError("malformed");
  }
  if (header.alg !== ALG || header.typ !== CHECKPOINT_TYP || typeof header.kid !== "string") throw new CheckpointError("bad_header");
  const key = keys.find((k) => k.kid === header.kid);
  if (!key) throw new CheckpointError("unknown_kid");
  let bytes: Uint8Array;
  try {
    ({ payload: bytes } = await compactVerify(jws, key.publicKey, { algorithms: [ALG] }));
  } catch {
    throw new CheckpointError("bad_signature");
  }
  const text = Buffer.from(bytes).toString("utf8");
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CheckpointError("bad_payload");
  }
  const ok =
    typeof raw === "object" && raw !== null &&
    (raw.v === 1 || raw.v === 2) &&
    Number.isSafeInteger(raw.seq) && (raw.seq as number) >= 1 &&
    isHashHex(raw.headHash) &&
    typeof raw.issuedAt === "string" && ISSUED_AT.test(raw.issuedAt) &&
    raw.kid === header.kid &&
    (raw.v === 1 ? Object.keys(raw).length === 5 : raw.treeSize === raw.seq && isHashHex(raw.rootHash) && Object.keys(raw).length === 7);
  if (!ok) throw new CheckpointError("bad_payload");
  const payload = raw as unknown as CheckpointPayload;
  if (canonicalJson(payload) !== text) throw new CheckpointError("bad_payload");
  // After the signature: only a statement the key really made is judged against the key's validity.
  const issued = Date.parse(payload.issuedAt);
  if (key.retiredAt !== undefined && issued > Date.parse(key.retiredAt)) throw new CheckpointError("key_retired");
  if (key.activatedAt !== undefined && issued < Date.parse(key.activatedAt)) throw new CheckpointError("key_not_yet_active");
  const tree = payload.v === 2 ? { treeSize: payload.treeSize, rootHash: payload.rootHash } : {};
  return { v: payload.v, seq: payload.seq, headHash: payload.headHash, issuedAt: payload.issuedAt, kid: payload.kid, ...tree, jws };
}
