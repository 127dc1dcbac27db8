// Access tokens: EdDSA-signed JWTs ("at+jwt") issued and verified with keys the caller passes in.
import { randomUUID } from "node:crypto";
import { SignJWT, decodeProtectedHeader, importJWK, jwtVerify, type CryptoKey, type JWK } from "jose";
import { CryptoError } from "./errors";
import { assertEd25519Jwk, type TokenSigningMaterial } from "./key-material";

const ALG = "EdDSA";
export const ACCESS_TOKEN_TYPE = "at+jwt";
// Header members that point a verifier at a key chosen by the token's author (or, for crit,
// oblige it to understand extensions): our keys come from our key file only.
const FORBIDDEN_HEADERS = ["jwk", "jku", "x5u", "x5c", "crit"] as const;
// A real token is a few hundred bytes; this bounds the work done on garbage.
const MAX_TOKEN_LENGTH = 8192;

export type TokenErrorReason =
  | "malformed"
  | "bad_alg"
  | "forbidden_header"
  | "unknown_kid"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "bad_claims"
  | "retired_key";

/** Every verification failure. `reason` is safe to log; clients should only ever see UNAUTHENTICATED. */
export class TokenError extends Error {
  readonly code = "INVALID_TOKEN" as const;
  constructor(readonly reason: TokenErrorReason) {
    super(`invalid access token (${reason})`);
    this.name = "TokenError";
  }
}

export interface VerificationKey {
  readonly kid: string;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
  /** When the key stopped signing; null for the current key and keys never retired. */
  readonly retiredAt: Date | null;
}

export interface SigningKeySet {
  readonly current: { readonly kid: string; readonly privateKey: CryptoKey; readonly publicJwk: JWK };
  /** Every key that may still verify, current included: retired keys verify for a grace period after retiredAt. */
  readonly all: ReadonlyArray<VerificationKey>;
}

export interface AccessTokenClaims {
  sub: string;
  role: string;
  businessLine: string | null;
  teamId: string | null;
  /** The session (refresh-token family) the token belongs to; revoking the family voids the token. */
  sid?: string;
}

export interface VerifiedToken extends Omit<AccessTokenClaims, "sid"> {
  sid: string | null;
  jti: string;
  kid: string;
  issuedAt: Date;
  expiresAt: Date;
}

export async function importSigningKeys(material: TokenSigningMaterial): Promise<SigningKeySet> {
  const all: VerificationKey[] = [];
  let current: SigningKeySet["current"] | undefined;
  for (const [i, entry] of material.keys.entries()) {
    const jwk = assertEd25519Jwk(entry.privateJwk, `tokenSigning.keys[${i}].privateJwk`);
    if (all.some((k) => k.kid === entry.kid)) {
      throw new CryptoError("BAD_KEY_MATERIAL", `key material: tokenSigning.keys[${i}].kid is a duplicate`);
    }
    const publicJwk: JWK = { kty: "OKP", crv: "Ed25519", x: jwk.x };
    const publicKey = (await importJWK(publicJwk, ALG)) as CryptoKey;
    const retiredAt = entry.retiredAt === undefined ? null : new Date(entry.retiredAt);
    all.push(Object.freeze({ kid: entry.kid, publicKey, publicJwk: Object.freeze(publicJwk), retiredAt }));
    if (entry.kid === material.current) {
      const privateKey = (await importJWK({ ...jwk }, ALG, { extractable: false })) as CryptoKey;
      current = Object.freeze({ kid: entry.kid, privateKey, publicJwk });
    }
  }
  if (!current) throw new CryptoError("BAD_KEY_MATERIAL", "key material: tokenSigning.current is not among tokenSigning.keys");
  return Object.freeze({ current, all: Object.freeze(all) });
}

const toNumericDate = (date: Date) => Math.floor(date.getTime() / 1000);

function assertValidDate(value: unknown, name: string): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${name} must be a valid Date`);
}

const isNonEmptyString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === "string";

export async function issueAccessToken(
  keys: SigningKeySet,
  claims: AccessTokenClaims,
  opts: { issuer: string; audience: string; ttlSeconds: number; now: Date },
): Promise<{ token: string; expiresAt: Date }> {
  assertValidDate(opts.now, "opts.now");
  if (!Number.isSafeInteger(opts.ttlSeconds) || opts.ttlSeconds <= 0) throw new TypeError("opts.ttlSeconds must be a positive integer");
  if (!isNonEmptyString(claims.sub) || !isNonEmptyString(claims.role)) throw new TypeError("claims.sub and claims.role must be non-empty strings");
  if (!isStringOrNull(claims.businessLine) || !isStringOrNull(claims.teamId)) throw new TypeError("claims.businessLine and claims.teamId must be string or null");
  if (claims.sid !== undefined && !isNonEmptyString(claims.sid)) throw new TypeError("claims.sid must be a non-empty string when given");
  const iat = toNumericDate(opts.now);
  const exp = iat + opts.ttlSeconds;
  const payload = { role: claims.role, bl: claims.businessLine, team: claims.teamId, ...(claims.sid ? { sid: claims.sid } : {}) };
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: ALG, kid: keys.current.kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .setJti(randomUUID())
    .sign(keys.current.privateKey);
  return { token, expiresAt: new Date(exp * 1000) };
}

/** The only way a verification key is chosen: exact match on kid among our own keys. */
function findVerificationKey(keys: SigningKeySet, kid: unknown): VerificationKey {
  const key = typeof kid === "string" ? keys.all.find((k) => k.kid === kid) : undefined;
  if (!key) throw new TokenError("unknown_kid");
  return key;
}

/**
 * A retired key verifies until retiredAt + grace: long enough for the tokens it signed to expire,
 * after which a token bearing its kid can only come from someone holding the old private key.
 */
export function isKeyUsable(key: VerificationKey, now: Date, retiredKeyGraceSeconds: number): boolean {
  return key.retiredAt === null || now.getTime() <= key.retiredAt.getTime() + retiredKeyGraceSeconds * 1000;
}

function assertGrace(value: number | undefined): number {
  // No grace given means none: a caller that forgets it refuses retired keys rather than trusting them forever.
  const grace = value ?? 0;
  if (!Number.isFinite(grace) || grace < 0) throw new TypeError("retiredKeyGraceSeconds must be >= 0");
  return grace;
}

/** Header checks done before any key is touched, so the reason names the first thing wrong. */
function checkHeader(keys: SigningKeySet, token: string, now: Date, grace: number): VerificationKey {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || token.split(".").length !== 3) {
    throw new TokenError("malformed");
  }
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new TokenError("malformed");
  }
  if (header.alg !== ALG) throw new TokenError("bad_alg");
  if (FORBIDDEN_HEADERS.some((name) => Object.hasOwn(header, name))) throw new TokenError("forbidden_header");
  const key = findVerificationKey(keys, header.kid);
  if (!isKeyUsable(key, now, grace)) throw new TokenError("retired_key");
  return key;
}

function toTokenError(error: unknown): TokenError {
  if (error instanceof TokenError) return error;
  // Switch on jose's stable error codes rather than instanceof, which breaks across module copies.
  const { code, claim, reason } = (error ?? {}) as { code?: unknown; claim?: unknown; reason?: unknown };
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return new TokenError("expired");
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      // A missing nbf is a malformed claim set, not a token from the future.
      return new TokenError(claim === "nbf" && reason === "check_failed" ? "not_yet_valid" : "bad_claims");
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return new TokenError("bad_signature");
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return new TokenError("bad_alg");
    default:
      return new TokenError("malformed");
  }
}

export async function verifyAccessToken(
  keys: SigningKeySet,
  token: string,
  opts: { issuer: string; audience: string; now: Date; clockToleranceSeconds?: number; retiredKeyGraceSeconds?: number },
): Promise<VerifiedToken> {
  assertValidDate(opts.now, "opts.now");
  const grace = assertGrace(opts.retiredKeyGraceSeconds);
  // Default 0: the same service issues and verifies, so clock skew is only between replicas.
  const tolerance = opts.clockToleranceSeconds ?? 0;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new TypeError("opts.clockToleranceSeconds must be >= 0");
  if (typeof token !== "string") throw new TokenError("malformed");

  let payload: Record<string, unknown>;
  let kid: string;
  try {
    kid = checkHeader(keys, token, opts.now, grace).kid;
    ({ payload } = await jwtVerify(token, (header) => findVerificationKey(keys, header.kid).publicKey, {
      algorithms: [ALG],
      issuer: opts.issuer,
      audience: opts.audience,
      typ: ACCESS_TOKEN_TYPE,
      currentDate: opts.now,
      clockTolerance: tolerance,
      requiredClaims: ["exp", "iat", "nbf", "sub", "jti"],
    }));
  } catch (error) {
    throw toTokenError(error);
  }

  const { sub, role, bl, team, sid, jti, iat, exp } = payload;
  if (
    !isNonEmptyString(sub) ||
    (sid !== undefined && !isNonEmptyString(sid)) ||
    !isNonEmptyString(role) ||
    !isNonEmptyString(jti) ||
    !("bl" in payload && isStringOrNull(bl)) ||
    !("team" in payload && isStringOrNull(team)) ||
    typeof iat !== "number" ||
    typeof exp !== "number" ||
    // jose does not reject an iat in the future; a token "issued" later than now was not issued by us.
    iat > toNumericDate(opts.now) + tolerance
  ) {
    throw new TokenError("bad_claims");
  }
  return {
    sub,
    role,
    businessLine: bl,
    teamId: team,
    sid: isNonEmptyString(sid) ? sid : null,
    jti,
    kid,
    issuedAt: new Date(iat * 1000),
    expiresAt: new Date(exp * 1000),
  };
}

/**
 * The JWKS document for verifiers (other services, auditors): public halves only, of the keys that
 * still verify at `now` — the current one and retired ones within their grace period.
 */
export function publicJwks(keys: SigningKeySet, opts: { now: Date; retiredKeyGraceSeconds?: number }): { keys: JWK[] } {
  assertValidDate(opts.now, "opts.now");
  const grace = assertGrace(opts.retiredKeyGraceSeconds);
  return {
    keys: keys.all.filter((k) => isKeyUsable(k, opts.now, grace)).map((k) => ({ ...k.publicJwk, kid: k.kid, alg: ALG, use: "sig" })),
  };
}
