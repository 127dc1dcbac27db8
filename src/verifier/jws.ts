// Compact JWS checks for the offline verifier: the published keys (a JWK Set or one JWK), checkpoints
// (custos-checkpoint+jws, docs/audit-checkpoints.md §1) and the bundle manifest (custos-bundle+jws). Only
// node built-ins, jose and the pure canonical form: nothing of the server's key handling.
import { calculateJwkThumbprint, compactVerify, importJWK, type CryptoKey, type JWK } from "jose";
import { canonicalJson } from "../audit/core/canonical";
import { decodeBase64UrlStrict } from "./bundle-format";

const ALG = "EdDSA";
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;
export const CHECKPOINT_TYP = "custos-checkpoint+jws";

export interface VerifierKey {
  kid: string;
  key: CryptoKey;
  activatedAt?: string;
  retiredAt?: string;
}

/** Why a JWS was refused; a closed set the CLI prints as is. */
export type JwsFailure = "malformed" | "bad_header" | "unknown_kid" | "bad_signature" | "bad_payload" | "key_retired" | "key_not_yet_active";

export class JwsCheckError extends Error {
  constructor(readonly failure: JwsFailure) {
    super(failure);
    this.name = "JwsCheckError";
  }
}

/** A bad key file: the CLI's usage error (exit 2), not a verdict on the bundle. */
export class KeyFileError extends Error {
  override name = "KeyFileError";
}

export const isInstant = (v: unknown): v is string => typeof v === "string" && INSTANT.test(v) && new Date(v).toISOString() === v;
export const isHex64 = (v: unknown): v is string => typeof v === "string" && HEX64.test(v);
export const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

/** Ed25519 public keys from a JWK Set ({"keys": [...]}) or a single JWK; a JWK without kid gets its RFC 7638 thumbprint. */
export async function importVerifierKeys(json: unknown): Promise<VerifierKey[]> {
  const list = json && typeof json === "object" && Array.isArray((json as { keys?: unknown }).keys) ? (json as { keys: unknown[] }).keys : [json];
  if (list.length === 0) throw new KeyFileError("the key file holds no keys");
  const keys: VerifierKey[] = [];
  for (const [i, raw] of list.entries()) {
    const jwk = raw as JWK & { activatedAt?: unknown; retiredAt?: unknown };
    if (!jwk || typeof jwk !== "object" || jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") {
      throw new KeyFileError(`key ${i} is not an Ed25519 public JWK (kty OKP, crv Ed25519)`);
    }
    for (const w of ["activatedAt", "retiredAt"] as const) {
      if (jwk[w] !== undefined && !isInstant(jwk[w])) throw new KeyFileError(`key ${i}: ${w} must be an ISO 8601 UTC instant with milliseconds`);
    }
    const publicJwk: JWK = { kty: "OKP", crv: "Ed25519", x: jwk.x };
    let key: CryptoKey;
    try {
      key = (await importJWK(publicJwk, ALG)) as CryptoKey;
    } catch {
      throw new KeyFileError(`key ${i} is not a valid Ed25519 public key`);
    }
    const kid = typeof jwk.kid === "string" ? jwk.kid : await calculateJwkThumbprint(publicJwk, "sha256");
    keys.push({
      kid,
      key,
      ...(jwk.activatedAt !== undefined ? { activatedAt: jwk.activatedAt as string } : {}),
      ...(jwk.retiredAt !== undefined ? { retiredAt: jwk.retiredAt as string } : {}),
    });
  }
  return keys;
}

/**
 * Verifies a compact JWS: exactly three strict base64url segments, a protected header of exactly
 * {alg: EdDSA, typ, kid} with a known kid, the Ed25519 signature, and a payload that is a JSON object
 * written in canonical form. Returns the payload and the key that signed it.
 */
export async function verifyCompactJws(jws: unknown, typ: string, keys: readonly VerifierKey[]): Promise<{ payload: Record<string, unknown>; key: VerifierKey; kid: string }> {
  if (typeof jws !== "string") throw new JwsCheckError("malformed");
  const parts = jws.split(".");
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) throw new JwsCheckError("malformed");
  const decoded = parts.map(decodeBase64UrlStrict);
  if (decoded.some((d) => d === null)) throw new JwsCheckError("malformed");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(decoded[0]!.toString("utf8"));
  } catch {
    throw new JwsCheckError("malformed");
  }
  if (!header || typeof header !== "object" || Array.isArray(header)) throw new JwsCheckError("bad_header");
  const members = Object.keys(header).sort().join(",");
  if (members !== "alg,kid,typ" || header.alg !== ALG || header.typ !== typ || typeof header.kid !== "string") throw new JwsCheckError("bad_header");
  const key = keys.find((k) => k.kid === header.kid);
  if (!key) throw new JwsCheckError("unknown_kid");
  let bytes: Uint8Array;
  try {
    ({ payload: bytes } = await compactVerify(jws, key.key, { algorithms: [ALG] }));
  } catch {
    throw new JwsCheckError("bad_signature");
  }
  const text = Buffer.from(bytes).toString("utf8");
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(text);
    if (!payload || typeof payload !== "object" || Array.isArray(payload) || canonicalJson(payload) !== text) throw new Error("not canonical");
  } catch {
    throw new JwsCheckError("bad_payload");
  }
  return { payload, key, kid: header.kid };
}

/** After the signature: a statement dated outside its key's validity is refused (a retired key that leaked). */
export function assertKeyValidAt(key: VerifierKey, at: string): void {
  const t = Date.parse(at);
  if (key.retiredAt !== undefined && t > Date.parse(key.retiredAt)) throw new JwsCheckError("key_retired");
  if (key.activatedAt !== undefined && t < Date.parse(key.activatedAt)) throw new JwsCheckError("key_not_yet_active");
}

export interface VerifiedCheckpoint {
  v: 1 | 2;
  seq: number;
  headHash: string;
  issuedAt: string;
  kid: string;
  /** v2 only. */
  treeSize?: number;
  rootHash?: string;
}

/** A checkpoint exactly as docs/audit-checkpoints.md §1 defines it (v1: 5 members; v2: 7, treeSize = seq). */
export async function verifyCheckpointJws(jws: unknown, keys: readonly VerifierKey[]): Promise<VerifiedCheckpoint> {
  const { payload: p, key, kid } = await verifyCompactJws(jws, CHECKPOINT_TYP, keys);
  const common = isSeq(p.seq) && isHex64(p.headHash) && isInstant(p.issuedAt) && p.kid === kid;
  const ok =
    common &&
    ((p.v === 1 && Object.keys(p).length === 5) || (p.v === 2 && Object.keys(p).length === 7 && p.treeSize === p.seq && isHex64(p.rootHash)));
  if (!ok) throw new JwsCheckError("bad_payload");
  assertKeyValidAt(key, p.issuedAt as string);
  return p as unknown as VerifiedCheckpoint;
}
