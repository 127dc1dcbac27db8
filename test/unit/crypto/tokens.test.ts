import { createHmac } from "node:crypto";
import { SignJWT, base64url, exportJWK, generateKeyPair } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { generateKeyMaterial } from "../../../src/crypto/key-material";
import {
  importSigningKeys,
  issueAccessToken,
  publicJwks,
  verifyAccessToken,
  type SigningKeySet,
} from "../../../src/crypto/tokens";
import { expectTokenError } from "./helpers";

const ISSUER = "https://custos.test";
const AUDIENCE = "custos-api";
const NOW = new Date("2025-03-01T10:00:00Z");
const NOW_S = NOW.getTime() / 1000;
const CLAIMS = { sub: "staff-42", role: "agent", businessLine: "personal_banking", teamId: "team-7" };
const verifyOpts = { issuer: ISSUER, audience: AUDIENCE, now: NOW };

let keys: SigningKeySet;
beforeAll(async () => {
  keys = await importSigningKeys((await generateKeyMaterial()).tokenSigning);
});

const issue = (ttlSeconds = 900, now = NOW) => issueAccessToken(keys, CLAIMS, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds, now });

/** Signs arbitrary header and claims with an attacker's own Ed25519 key. */
async function forge(header: Record<string, unknown>, claims: Record<string, unknown> = {}) {
  const attacker = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const payload = { iss: ISSUER, aud: AUDIENCE, sub: "attacker", iat: NOW_S, nbf: NOW_S, exp: NOW_S + 900, jti: "j", role: "admin", bl: null, team: null, ...claims };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: keys.current.kid, ...header } as never)
    .sign(attacker.privateKey);
}

const encodeSegment = (value: object) => base64url.encode(JSON.stringify(value));

describe("issue and verify", () => {
  it("round-trips with an injected clock", async () => {
    const { token, expiresAt } = await issue();
    expect(expiresAt.toISOString()).toBe("2025-03-01T10:15:00.000Z");
    const verified = await verifyAccessToken(keys, token, verifyOpts);
    expect(verified).toMatchObject({ ...CLAIMS, kid: keys.current.kid, expiresAt, issuedAt: NOW });
    expect(verified.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("carries null business line and team", async () => {
    const { token } = await issueAccessToken(keys, { ...CLAIMS, businessLine: null, teamId: null }, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 60, now: NOW });
    const verified = await verifyAccessToken(keys, token, verifyOpts);
    expect(verified.businessLine).toBeNull();
    expect(verified.teamId).toBeNull();
  });

  it("writes the pinned header", async () => {
    const { token } = await issue();
    const header = JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString());
    expect(header).toEqual({ alg: "EdDSA", kid: keys.current.kid, typ: "at+jwt" });
  });

  it("keeps verifying a retired key's tokens after rotation", async () => {
    const oldMaterial = (await generateKeyMaterial()).tokenSigning;
    const newMaterial = (await generateKeyMaterial()).tokenSigning;
    const before = await importSigningKeys(oldMaterial);
    const after = await importSigningKeys({ current: newMaterial.current, keys: [...oldMaterial.keys, ...newMaterial.keys] });
    expect(after.current.kid).toBe(newMaterial.current);
    const opts = { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 60, now: NOW };
    const { token: oldToken } = await issueAccessToken(before, CLAIMS, opts);
    expect((await verifyAccessToken(after, oldToken, verifyOpts)).kid).toBe(oldMaterial.current);
    const { token: newToken } = await issueAccessToken(after, CLAIMS, opts);
    await expectTokenError(verifyAccessToken(before, newToken, verifyOpts), "unknown_kid");
  });

  it("carries the session id (sid) when given, and null without one", async () => {
    const sid = "5b0f4c9e-8f5e-4d7a-9a51-0d5e2c1b7a10";
    const { token } = await issueAccessToken(keys, { ...CLAIMS, sid }, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 60, now: NOW });
    expect((await verifyAccessToken(keys, token, verifyOpts)).sid).toBe(sid);
    expect((await verifyAccessToken(keys, (await issue()).token, verifyOpts)).sid).toBeNull();
    await expect(issueAccessToken(keys, { ...CLAIMS, sid: "" }, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 60, now: NOW })).rejects.toThrow(TypeError);
  });

  it("publishes public JWKs only", () => {
    const jwks = publicJwks(keys, { now: NOW });
    expect(jwks.keys).toEqual([{ kty: "OKP", crv: "Ed25519", x: expect.any(String), kid: keys.current.kid, alg: "EdDSA", use: "sig" }]);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });
});

describe("refused tokens", () => {
  it("expired", async () => {
    const { token } = await issue(60);
    await expectTokenError(verifyAccessToken(keys, token, { ...verifyOpts, now: new Date(NOW.getTime() + 61_000) }), "expired");
  });

  it("accepted within the configured clock tolerance only", async () => {
    const { token } = await issue(60);
    const later = new Date(NOW.getTime() + 65_000);
    await expect(verifyAccessToken(keys, token, { ...verifyOpts, now: later, clockToleranceSeconds: 10 })).resolves.toBeDefined();
    await expectTokenError(verifyAccessToken(keys, token, { ...verifyOpts, now: later, clockToleranceSeconds: 1 }), "expired");
  });

  it("not yet valid (nbf)", async () => {
    const { token } = await issue(900, new Date(NOW.getTime() + 120_000));
    await expectTokenError(verifyAccessToken(keys, token, verifyOpts), "not_yet_valid");
  });

  it("wrong issuer", async () => {
    const { token } = await issue();
    await expectTokenError(verifyAccessToken(keys, token, { ...verifyOpts, issuer: "https://evil.test" }), "bad_claims");
  });

  it("wrong audience", async () => {
    const { token } = await issue();
    await expectTokenError(verifyAccessToken(keys, token, { ...verifyOpts, audience: "other-api" }), "bad_claims");
  });

  it("alg none", async () => {
    const payload = { iss: ISSUER, aud: AUDIENCE, sub: "x", iat: NOW_S, nbf: NOW_S, exp: NOW_S + 60, jti: "j", role: "admin", bl: null, team: null };
    const header = { alg: "none", typ: "at+jwt", kid: keys.current.kid };
    for (const token of [`${encodeSegment(header)}.${encodeSegment(payload)}.`, `${encodeSegment({ ...header, alg: "None" })}.${encodeSegment(payload)}.`]) {
      await expectTokenError(verifyAccessToken(keys, token, verifyOpts), "bad_alg");
    }
  });

  it("HS256 signed with the public key's bytes as the secret", async () => {
    const payload = { iss: ISSUER, aud: AUDIENCE, sub: "x", iat: NOW_S, nbf: NOW_S, exp: NOW_S + 60, jti: "j", role: "admin", bl: null, team: null };
    const publicX = Buffer.from(keys.current.publicJwk.x!, "base64url");
    const jwksText = Buffer.from(JSON.stringify(publicJwks(keys, { now: NOW }).keys[0]));
    for (const secret of [publicX, jwksText]) {
      const signingInput = `${encodeSegment({ alg: "HS256", typ: "at+jwt", kid: keys.current.kid })}.${encodeSegment(payload)}`;
      const signature = createHmac("sha256", secret).update(signingInput).digest("base64url");
      await expectTokenError(verifyAccessToken(keys, `${signingInput}.${signature}`, verifyOpts), "bad_alg");
    }
  });

  it("unknown kid, missing kid, and kids that try injection", async () => {
    for (const kid of ["no-such-key", "../../etc/passwd", "' OR 1=1 --", "", 42]) {
      await expectTokenError(verifyAccessToken(keys, await forge({ kid }), verifyOpts), "unknown_kid");
    }
    await expectTokenError(verifyAccessToken(keys, await forge({ kid: undefined }), verifyOpts), "unknown_kid");
  });

  it("embedded jwk / jku / x5u / x5c / crit headers", async () => {
    const attacker = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);
    const headers: Record<string, unknown>[] = [
      { jwk: attackerJwk },
      { jku: "https://evil.test/jwks.json" },
      { x5u: "https://evil.test/cert.pem" },
      { x5c: ["MIIB"] },
      { crit: ["urn:custos:x"], "urn:custos:x": true },
    ];
    for (const header of headers) {
      const token = await new SignJWT({ sub: "x", role: "admin", bl: null, team: null, jti: "j" })
        .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: keys.current.kid, ...header } as never)
        .setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(NOW_S).setNotBefore(NOW_S).setExpirationTime(NOW_S + 60)
        .sign(attacker.privateKey, { crit: { "urn:custos:x": true } });
      await expectTokenError(verifyAccessToken(keys, token, verifyOpts), "forbidden_header");
    }
  });

  it("signed by another Ed25519 key under our kid", async () => {
    await expectTokenError(verifyAccessToken(keys, await forge({}), verifyOpts), "bad_signature");
  });

  it("a genuine token with a tampered payload", async () => {
    const { token } = await issue();
    const [h, , s] = token.split(".");
    const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    const tampered = `${h}.${encodeSegment({ ...claims, role: "admin" })}.${s}`;
    await expectTokenError(verifyAccessToken(keys, tampered, verifyOpts), "bad_signature");
  });

  it("wrong typ, missing claims, malformed custom claims, iat in the future", async () => {
    // Signed with OUR key, so only the claim checks stand between these tokens and acceptance.
    const own = (header: Record<string, unknown>, drop: string[] = [], extra: Record<string, unknown> = {}) => {
      const payload: Record<string, unknown> = { iss: ISSUER, aud: AUDIENCE, sub: "x", iat: NOW_S, nbf: NOW_S, exp: NOW_S + 60, jti: "j", role: "agent", bl: null, team: null, ...extra };
      for (const name of drop) delete payload[name];
      return new SignJWT(payload).setProtectedHeader({ alg: "EdDSA", kid: keys.current.kid, typ: "at+jwt", ...header } as never).sign(keys.current.privateKey);
    };
    await expect(verifyAccessToken(keys, await own({}), verifyOpts)).resolves.toMatchObject({ sub: "x" });
    await expectTokenError(verifyAccessToken(keys, await own({ typ: "JWT" }), verifyOpts), "bad_claims");
    await expectTokenError(verifyAccessToken(keys, await own({ typ: undefined }), verifyOpts), "bad_claims");
    for (const claim of ["exp", "iat", "nbf", "sub", "jti", "iss", "aud", "role", "bl", "team"]) {
      await expectTokenError(verifyAccessToken(keys, await own({}, [claim]), verifyOpts), "bad_claims");
    }
    await expectTokenError(verifyAccessToken(keys, await own({}, [], { role: ["admin"] }), verifyOpts), "bad_claims");
    await expectTokenError(verifyAccessToken(keys, await own({}, [], { bl: 7 }), verifyOpts), "bad_claims");
    await expectTokenError(verifyAccessToken(keys, await own({}, [], { sid: 42 }), verifyOpts), "bad_claims");
    await expectTokenError(verifyAccessToken(keys, await own({}, [], { sid: "" }), verifyOpts), "bad_claims");
    await expectTokenError(verifyAccessToken(keys, await own({}, [], { iat: NOW_S + 3600, nbf: NOW_S - 1 }), verifyOpts), "bad_claims");
  });

  it("garbage", async () => {
    for (const token of ["", "a.b", "a.b.c", "x".repeat(10_000), "....", null as unknown as string]) {
      await expectTokenError(verifyAccessToken(keys, token, verifyOpts), "malformed");
    }
  });
});

describe("retired signing keys", () => {
  const GRACE = 900;
  const RETIRED_AT = new Date(NOW.getTime() - 60_000);
  let rotated: SigningKeySet;
  let oldToken: string;

  beforeAll(async () => {
    const oldMaterial = (await generateKeyMaterial()).tokenSigning;
    const newMaterial = (await generateKeyMaterial()).tokenSigning;
    const before = await importSigningKeys(oldMaterial);
    ({ token: oldToken } = await issueAccessToken(before, CLAIMS, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 3600, now: NOW }));
    rotated = await importSigningKeys({
      current: newMaterial.current,
      keys: [{ ...oldMaterial.keys[0], retiredAt: RETIRED_AT.toISOString() }, ...newMaterial.keys],
    });
  });

  const at = (ms: number) => ({ ...verifyOpts, now: new Date(RETIRED_AT.getTime() + ms), retiredKeyGraceSeconds: GRACE });

  it("verify until retiredAt + grace, then are refused as retired_key", async () => {
    await expect(verifyAccessToken(rotated, oldToken, at(GRACE * 1000))).resolves.toMatchObject({ sub: CLAIMS.sub });
    await expectTokenError(verifyAccessToken(rotated, oldToken, at(GRACE * 1000 + 1)), "retired_key");
  });

  it("get no grace when the caller passes none", async () => {
    await expectTokenError(verifyAccessToken(rotated, oldToken, verifyOpts), "retired_key");
  });

  it("leave the JWKS when their grace ends; the current key stays", () => {
    const kids = (ms: number) => publicJwks(rotated, { now: new Date(RETIRED_AT.getTime() + ms), retiredKeyGraceSeconds: GRACE }).keys.map((k) => k.kid);
    expect(kids(GRACE * 1000)).toEqual(rotated.all.map((k) => k.kid));
    expect(kids(GRACE * 1000 + 1)).toEqual([rotated.current.kid]);
  });
});
