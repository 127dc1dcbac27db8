// Sessions over HTTP for the tests: full logins (access + refresh token), refresh, logout, the claims inside
// a token, and the server's own signing keys read from its key file (to craft tokens only our key can sign).
import { randomUUID } from "node:crypto";
import { importJWK, SignJWT, type CryptoKey } from "jose";
import { loadOrCreateKeyFile } from "../../src/crypto";
import type { GraphQLResponse, TestServer } from "./test-server";

export const LOGIN_SESSION = `mutation Login($e: String!, $p: String!) {
  login(email: $e, password: $p) { accessToken tokenType expiresAt refreshToken refreshExpiresAt }
}`;
export const REFRESH = `mutation Refresh($r: String!) {
  refreshSession(refreshToken: $r) { accessToken tokenType expiresAt refreshToken refreshExpiresAt }
}`;
export const LOGOUT = `mutation Logout { logout }`;
export const ME = `query Me { me { id role } }`;

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  refreshExpiresAt: string;
  /** The refresh-token family, read from the access token's `sid`. */
  sid: string;
}

/** The payload of a JWT, unverified (tests only). */
export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

export function headerOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8"));
}

function toSession(payload: { accessToken: string; refreshToken: string; expiresAt: string; refreshExpiresAt: string }): Session {
  return { ...payload, sid: claimsOf(payload.accessToken).sid };
}

/** Logs in and fails loudly if that does not work. */
export async function login(server: TestServer, email: string, password: string): Promise<Session> {
  const res = await server.gql(LOGIN_SESSION, { e: email, p: password });
  if (!res.data) throw new Error(`login failed: ${JSON.stringify(res.errors)}`);
  return toSession(res.data.login);
}

export async function refresh(server: TestServer, refreshToken: string, headers: Record<string, string> = {}): Promise<GraphQLResponse> {
  return server.gql(REFRESH, { r: refreshToken }, { headers });
}

export function sessionOf(res: GraphQLResponse): Session {
  if (!res.data) throw new Error(`expected a session: ${JSON.stringify(res.errors)}`);
  return toSession(res.data.refreshSession ?? res.data.login);
}

/** The server's signing keys as they are in its key file now, private halves included. */
export async function signingKeysOnDisk(server: TestServer): Promise<{ current: string; keys: Map<string, { key: CryptoKey; retiredAt?: string }> }> {
  const { material } = await loadOrCreateKeyFile(server.custos.config.keysFile, { create: false });
  const keys = new Map<string, { key: CryptoKey; retiredAt?: string }>();
  for (const entry of material.tokenSigning.keys) {
    keys.set(entry.kid, { key: (await importJWK({ ...entry.privateJwk }, "EdDSA")) as CryptoKey, retiredAt: entry.retiredAt });
  }
  return { current: material.tokenSigning.current, keys };
}

/**
 * Signs a token of the shape Custos issues, with every claim overridable (undefined removes it) and any
 * header members added. Without `key`, the server's current signing key is used.
 */
export async function craftToken(
  server: TestServer,
  opts: { key?: CryptoKey; kid?: unknown; header?: Record<string, unknown>; claims?: Record<string, unknown> } = {},
): Promise<string> {
  const disk = await signingKeysOnDisk(server);
  const now = Math.floor(server.clock.now().getTime() / 1000);
  const claims: Record<string, unknown> = {
    iss: server.custos.config.tokenIssuer,
    aud: server.custos.config.tokenAudience,
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: randomUUID(),
    ...opts.claims,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  const kid = "kid" in opts ? opts.kid : disk.current;
  const header = { alg: "EdDSA", typ: "at+jwt", kid, ...opts.header };
  return new SignJWT(claims).setProtectedHeader(header as never).sign(opts.key ?? disk.keys.get(disk.current)!.key);
}
