// Detached signatures of regulators' report files (docs/regulatory-reports.md §6): an Ed25519 compact JWS,
// signed with the audit checkpoint key, over the file's SHA-256 and the signed checkpoint the report was
// built from. Verifying needs only the file, the .jws and the published checkpoint keys.
import { createHash } from "node:crypto";
import { CompactSign, compactVerify, decodeProtectedHeader, type CryptoKey } from "jose";
import { CheckpointError, verifyCheckpoint, type CheckpointVerificationKey } from "../audit/checkpoint-jws";
import { canonicalJson } from "../audit/core";

export const REPORT_TYP = "custos-report+jws";
const ALG = "EdDSA";

export interface ReportSignaturePayload {
  v: 1;
  kind: string;
  format: string;
  /** SHA-256 of the file's bytes, 64 lower-case hex. */
  sha256: string;
  size: number;
  from: string;
  to: string;
  generatedAt: string;
  /** The audit checkpoint the report was built from, with its own JWS so it can be checked too. */
  checkpoint: { seq: number; rootHash: string; jws: string };
  kid: string;
}

export type ReportSignatureErrorCode = "MALFORMED" | "BAD_HEADER" | "UNKNOWN_KID" | "BAD_SIGNATURE" | "BAD_PAYLOAD" | "KEY_RETIRED" | "KEY_NOT_YET_ACTIVE" | "HASH_MISMATCH" | "CHECKPOINT_INVALID";

export class ReportSignatureError extends Error {
  constructor(
    readonly code: ReportSignatureErrorCode,
    readonly expected?: string,
    readonly found?: string,
  ) {
    super(`report signature invalid: ${code}${expected !== undefined ? ` (expected ${expected}, found ${found})` : ""}`);
    this.name = "ReportSignatureError";
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The payload's bytes: RFC 8785 canonical JSON (one statement, one encoding). */
export function reportSignaturePayload(p: Omit<ReportSignaturePayload, "v">): Uint8Array {
  return Buffer.from(canonicalJson({ v: 1, ...p }), "utf8");
}

export function signReportPayload(payload: Uint8Array, key: { kid: string; privateKey: CryptoKey }): Promise<string> {
  return new CompactSign(payload).setProtectedHeader({ alg: ALG, typ: REPORT_TYP, kid: key.kid }).sign(key.privateKey);
}

/**
 * Checks header (alg pinned, typ, known kid), signature, payload shape, the key's validity at generatedAt,
 * the file's hash and size, and the embedded checkpoint (its signature, and the seq and root it names).
 */
export async function verifyReportSignature(file: Uint8Array, jws: string, keys: readonly CheckpointVerificationKey[]): Promise<ReportSignaturePayload> {
  const compact = jws.trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(compact)) throw new ReportSignatureError("MALFORMED");
  let header;
  try {
    header = decodeProtectedHeader(compact);
  } catch {
    throw new ReportSignatureError("MALFORMED");
  }
  if (header.alg !== ALG || header.typ !== REPORT_TYP || typeof header.kid !== "string") throw new ReportSignatureError("BAD_HEADER");
  const key = keys.find((k) => k.kid === header.kid);
  if (!key) throw new ReportSignatureError("UNKNOWN_KID", undefined, header.kid);
  let bytes: Uint8Array;
  try {
    ({ payload: bytes } = await compactVerify(compact, key.publicKey, { algorithms: [ALG] }));
  } catch {
    throw new ReportSignatureError("BAD_SIGNATURE");
  }
  let p: ReportSignaturePayload;
  try {
    p = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new ReportSignatureError("BAD_PAYLOAD");
  }
  const ok =
    p && p.v === 1 && p.kid === header.kid && typeof p.sha256 === "string" && /^[0-9a-f]{64}$/.test(p.sha256) && Number.isSafeInteger(p.size) &&
    typeof p.generatedAt === "string" && !Number.isNaN(Date.parse(p.generatedAt)) && p.checkpoint && Number.isSafeInteger(p.checkpoint.seq) && typeof p.checkpoint.jws === "string";
  if (!ok) throw new ReportSignatureError("BAD_PAYLOAD");
  const { v: _v, ...rest } = p;
  if (Buffer.compare(Buffer.from(reportSignaturePayload(rest)), Buffer.from(bytes)) !== 0) throw new ReportSignatureError("BAD_PAYLOAD");
  const at = Date.parse(p.generatedAt);
  if (key.retiredAt !== undefined && at > Date.parse(key.retiredAt)) throw new ReportSignatureError("KEY_RETIRED");
  if (key.activatedAt !== undefined && at < Date.parse(key.activatedAt)) throw new ReportSignatureError("KEY_NOT_YET_ACTIVE");
  const digest = sha256Hex(file);
  if (digest !== p.sha256) throw new ReportSignatureError("HASH_MISMATCH", p.sha256, digest);
  if (file.length !== p.size) throw new ReportSignatureError("HASH_MISMATCH", String(p.size), String(file.length));
  try {
    const cp = await verifyCheckpoint(p.checkpoint.jws, keys);
    if (cp.seq !== p.checkpoint.seq || cp.rootHash !== p.checkpoint.rootHash) throw new ReportSignatureError("CHECKPOINT_INVALID", `${cp.seq}/${cp.rootHash}`, `${p.checkpoint.seq}/${p.checkpoint.rootHash}`);
  } catch (error) {
    if (error instanceof CheckpointError) throw new ReportSignatureError("CHECKPOINT_INVALID", undefined, error.reason);
    throw error;
  }
  return p;
}
