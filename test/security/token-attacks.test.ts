// Token attacks through real HTTP: each forged, stale or revoked bearer token is refused with HTTP 401 and
// UNAUTHENTICATED before any resolver runs. The probe operation reads the audit trail, which records an
// audit.query event whenever its resolver runs; a refused request must leave no event at all.
//
// Signing-key rotation is tested on the running server: it follows its key file (rechecked every 30 s of
// clock time), so no restart is needed; the clock is moved past the recheck interval instead.
import { createHmac, createPublicKey, randomUUID } from "node:crypto";
import { base64url, exportJWK, generateKeyPair, type CryptoKey } from "jose";
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { SIGNING_KEYS_RECHECK_MS } from "../../src/crypto";
import { rotateSigningKeys } from "../../src/services/key-rotation.service";
import { auditEvents, errorCode } from "../integration/api-helpers";
import { claimsOf, craftToken, login, LOGOUT, signingKeysOnDisk, type Session } from "../support/session-helpers";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

const PROBE = `query Probe { auditTrail(first: 1) { totalCount } }`;
const MINUTE_MS = 60_000;

let server: TestServer;
let victim: StaffLogin;
let session: Session;
let reader: StaffLogin;
let counter = 0;

beforeAll(async () => {
  server = await createTestServer();
  // A compliance officer: a forged token for this account would open the audit trail.
  victim = await server.staff("COMPLIANCE_OFFICER");
  reader = await server.staff("COMPLIANCE_OFFICER");
  session = await login(server, victim.email, victim.password);
});
afterAll(() => server?.stop());

const nowSeconds = () => Math.floor(server.clock.now().getTime() / 1000);
const encode = (value: object) => base64url.encode(JSON.stringify(value));

/** The claims of a genuine token for `user` in session `sid`, at the current clock. */
function claimsFor(user: StaffLogin, sid: string): Record<string, unknown> {
  return { sub: user.id, sid, role: user.role, bl: user.businessLine, team: null };
}

/** Every audit event recorded for one request id, read through the API as a compliance officer. */
async function eventsOf(requestId: string, from: Date) {
  const { accessToken } = await login(server, reader.email, reader.password);
  const events = await auditEvents(server, accessToken, { from: from.toISOString() });
  return events.filter((e) => e.requestId === requestId);
}

async function probe(token: string) {
  const requestId = `token-attack-${++counter}-${randomUUID()}`;
  const at = server.clock.now();
  const res = await server.gql(PROBE, {}, { token, headers: { "x-request-id": requestId } });
  return { res, requestId, at };
}

async function expectRefusedBeforeResolvers(token: string): Promise<void> {
  const { res, requestId, at } = await probe(token);
  expect(res.status).toBe(401);
  expect(errorCode(res)).toBe("UNAUTHENTICATED");
  expect(res.errors).toHaveLength(1);
  expect(res.data).toBeNull();
  expect(await eventsOf(requestId, at)).toEqual([]);
}

async function expectAccepted(token: string): Promise<void> {
  const { res, requestId, at } = await probe(token);
  expect(res.errors).toBeUndefined();
  expect(res.status).toBe(200);
  expect(res.data!.auditTrail.totalCount).toEqual(expect.any(Number));
  // The probe's resolver ran and left its event under this request id: the check above can see one.
  const events = await eventsOf(requestId, at);
  expect(events.map((e) => [e.action, e.outcome, e.actorId])).toEqual([["audit.query", "SUCCESS", victim.id]]);
}

describe("a genuine token (control)", () => {
  it("is accepted, and its request leaves the probe's audit event", async () => {
    await expectAccepted(session.accessToken);
  });

  it("is accepted when crafted here with the server's own key and genuine claims (so the crafted attacks below differ in one thing only)", async () => {
    await expectAccepted(await craftToken(server, { claims: claimsFor(victim, session.sid) }));
  });
});

describe("forged tokens", () => {
  it("alg: none (and None), unsigned", async () => {
    const payload = { iss: server.custos.config.tokenIssuer, aud: server.custos.config.tokenAudience, iat: nowSeconds(), nbf: nowSeconds(), exp: nowSeconds() + 600, jti: randomUUID(), ...claimsFor(victim, session.sid) };
    const kid = (await signingKeysOnDisk(server)).current;
    for (const alg of ["none", "None"]) {
      await expectRefusedBeforeResolvers(`${encode({ alg, typ: "at+jwt", kid })}.${encode(payload)}.`);
    }
  });

  it("HS256 with the server's public key (from /.well-known/jwks.json) as the HMAC secret", async () => {
    const jwks = (await (await fetch(new URL("/.well-known/jwks.json", server.url))).json()) as { keys: Array<Record<string, string>> };
    const jwk = jwks.keys[0];
    const payload = { iss: server.custos.config.tokenIssuer, aud: server.custos.config.tokenAudience, iat: nowSeconds(), nbf: nowSeconds(), exp: nowSeconds() + 600, jti: randomUUID(), ...claimsFor(victim, session.sid) };
    // The raw key bytes, the JWK as published, and the key as PEM: the usual guesses of what a confused verifier uses.
    const pem = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: jwk.x }, format: "jwk" }).export({ format: "pem", type: "spki" });
    for (const secret of [Buffer.from(jwk.x, "base64url"), Buffer.from(JSON.stringify(jwk)), Buffer.from(pem)]) {
      const signingInput = `${encode({ alg: "HS256", typ: "at+jwt", kid: jwk.kid })}.${encode(payload)}`;
      await expectRefusedBeforeResolvers(`${signingInput}.${createHmac("sha256", secret).update(signingInput).digest("base64url")}`);
    }
  });

  it.each([
    ["a path", "../../../../etc/passwd"],
    ["SQL", "' OR 1=1 --"],
  ])("kid holding %s, even when signed with the server's real key", async (_what, kid) => {
    await expectRefusedBeforeResolvers(await craftToken(server, { kid, claims: claimsFor(victim, session.sid) }));
  });

  describe("headers that name a key of the token author's choosing", () => {
    let attackerKey: CryptoKey;
    let attackerJwk: Record<string, unknown>;
    beforeAll(async () => {
      const pair = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
      attackerKey = pair.privateKey;
      attackerJwk = { ...(await exportJWK(pair.publicKey)) };
    });
    const headers = (): Array<[string, Record<string, unknown>]> => [
      ["jku", { jku: "https://attacker.example/jwks.json" }],
      ["x5u", { x5u: "https://attacker.example/cert.pem" }],
      ["embedded jwk", { jwk: attackerJwk }],
    ];

    it("signed with the attacker's key (which the header points at)", async () => {
      for (const [, header] of headers()) {
        await expectRefusedBeforeResolvers(await craftToken(server, { key: attackerKey, header, claims: claimsFor(victim, session.sid) }));
      }
    });

    it("even signed with the server's real key: the header alone is refused", async () => {
      for (const [, header] of headers()) {
        await expectRefusedBeforeResolvers(await craftToken(server, { header, claims: claimsFor(victim, session.sid) }));
      }
    });
  });

  it("wrong issuer", async () => {
    await expectRefusedBeforeResolvers(await craftToken(server, { claims: { ...claimsFor(victim, session.sid), iss: "urn:attacker:api" } }));
  });

  it("wrong audience", async () => {
    await expectRefusedBeforeResolvers(await craftToken(server, { claims: { ...claimsFor(victim, session.sid), aud: "urn:some:other-service" } }));
  });

  it("not yet valid: nbf in the future, signed with the real key", async () => {
    const now = nowSeconds();
    await expectRefusedBeforeResolvers(await craftToken(server, { claims: { ...claimsFor(victim, session.sid), nbf: now + 120 } }));
  });

  it("a session id that does not exist, signed with the real key", async () => {
    await expectRefusedBeforeResolvers(await craftToken(server, { claims: claimsFor(victim, randomUUID()) }));
  });

  it("another account's session id under this account's sub, signed with the real key", async () => {
    const other = await login(server, reader.email, reader.password);
    await expectRefusedBeforeResolvers(await craftToken(server, { claims: claimsFor(victim, other.sid) }));
  });
});

describe("stale and revoked tokens", () => {
  it("expired: a genuine token 16 minutes later", async () => {
    const fresh = await login(server, victim.email, victim.password);
    await expectAccepted(fresh.accessToken);
    server.clock.advance(16 * MINUTE_MS);
    await expectRefusedBeforeResolvers(fresh.accessToken);
  });

  it("revoked: a genuine token after its session logged out", async () => {
    const user = await server.staff("COMPLIANCE_OFFICER");
    const s = await login(server, user.email, user.password);
    const out = await server.gql(LOGOUT, {}, { token: s.accessToken });
    expect(out.data).toEqual({ logout: true });
    await expectRefusedBeforeResolvers(s.accessToken);
  });

  it("issued before a password change, also when it names a session opened after the change", async () => {
    const user = await server.staff("COMPLIANCE_OFFICER");
    const before = await login(server, user.email, user.password);
    server.clock.advance(5_000);
    const changedAt = nowSeconds();
    const changed = await server.gql(
      `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`,
      { c: user.password, n: "a brand new passphrase 4711" },
      { token: before.accessToken },
    );
    expect(changed.data).toEqual({ changePassword: true });
    await expectRefusedBeforeResolvers(before.accessToken);

    // Only the iat cut-off stands between this token and acceptance: its session is live (opened after
    // the change), its signature is real; it claims to have been issued one second before the change.
    const after = await login(server, user.email, "a brand new passphrase 4711");
    const claims = { ...claimsFor(user, after.sid), iat: changedAt - 1, nbf: changedAt - 1 };
    await expectRefusedBeforeResolvers(await craftToken(server, { claims }));
    // Control: the same token stamped with the second of the change is accepted (so the refusal is the cut-off).
    const { res } = await probe(await craftToken(server, { claims: { ...claims, iat: changedAt, nbf: changedAt } }));
    expect(res.errors).toBeUndefined();
  });

  it("of a disabled account", async () => {
    const admin = await server.staff("ADMIN");
    const user = await server.staff("COMPLIANCE_OFFICER");
    const s = await login(server, user.email, user.password);
    const off = await server.gql(`mutation($id: ID!) { setStaffUserActive(id: $id, active: false) }`, { id: user.id }, { token: admin.token });
    expect(off.data).toEqual({ setStaffUserActive: true });
    await expectRefusedBeforeResolvers(s.accessToken);
    // Reactivating does not bring back tokens issued before the deactivation.
    const on = await server.gql(`mutation($id: ID!) { setStaffUserActive(id: $id, active: true) }`, { id: user.id }, { token: admin.token });
    expect(on.data).toEqual({ setStaffUserActive: true });
    await expectRefusedBeforeResolvers(s.accessToken);
  });
});

describe("signing-key rotation", () => {
  it("accepts a retired key's tokens within the grace period and refuses them after it", async () => {
    const fresh = await login(server, victim.email, victim.password);
    const oldKid = (await signingKeysOnDisk(server)).current;
    const actor = { principal: null, ability: null, meta: { requestId: `test-rotate-${randomUUID()}`, operation: "test", clientAddress: null, purpose: null } };
    const grace = server.custos.config.accessTokenTtlSeconds;
    const rotation = await rotateSigningKeys({ store: server.custos.services.store, clock: server.clock, keysFile: server.custos.config.keysFile, graceSeconds: grace }, actor);
    expect(rotation.retiredKid).toBe(oldKid);
    const rotatedAt = server.clock.now().getTime();
    server.clock.advance(SIGNING_KEYS_RECHECK_MS);

    // The running server has picked the new key set up: it signs with the new key ...
    const next = await login(server, victim.email, victim.password);
    expect(JSON.parse(Buffer.from(next.accessToken.split(".")[0], "base64url").toString()).kid).toBe(rotation.newKid);
    // ... and still accepts the retired key, both for a token issued before the rotation and a fresh one.
    const retired = (await signingKeysOnDisk(server)).keys.get(oldKid)!;
    expect(retired.retiredAt).toBe(new Date(rotatedAt).toISOString());
    await expectAccepted(fresh.accessToken);
    await expectAccepted(await craftToken(server, { key: retired.key, kid: oldKid, claims: claimsFor(victim, next.sid) }));

    // After the grace period, a token under the retired kid (here: signed with its stolen private key, valid
    // in every other respect) is refused, while the same token under the current key is accepted.
    server.clock.set(new Date(rotatedAt + grace * 1000 + 1_000));
    const live = await login(server, victim.email, victim.password);
    await expectRefusedBeforeResolvers(await craftToken(server, { key: retired.key, kid: oldKid, claims: claimsFor(victim, live.sid) }));
    await expectAccepted(await craftToken(server, { claims: claimsFor(victim, live.sid) }));
    expect(claimsOf(live.accessToken).sid).toBe(live.sid);
  });
});
