// Internal apps for the tests: registration through the real service (what `custos service add` does) and
// the OAuth 2.0 client-credentials endpoint over HTTP, with Basic or form credentials.
import type { TestServer } from "./test-server";

/** The actor the CLI registers clients as: no principal, no ability. */
export const CLI_ACTOR = Object.freeze({
  principal: null,
  ability: null,
  meta: { requestId: "test-cli", operation: "test-cli", clientAddress: null, purpose: null },
});

export interface RegisteredClient {
  /** The service_client row id: the `sub` of its tokens and the actor id in the audit log. */
  id: string;
  clientId: string;
  clientSecret: string;
}

export interface TokenResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

let clientCounter = 0;

export async function registerClient(server: TestServer, scopes: string[]): Promise<RegisteredClient> {
  return server.custos.services.serviceClients.register(CLI_ACTOR, { name: `test app ${++clientCounter}`, scopes });
}

export function tokenEndpoint(server: TestServer): string {
  return new URL("/oauth/token", server.url).toString();
}

/** POSTs a form to /oauth/token; `basic` becomes an HTTP Basic header (RFC 6749 §2.3.1 encoding). */
export async function requestToken(
  server: TestServer,
  form: Record<string, string>,
  opts: { basic?: { id: string; secret: string }; headers?: Record<string, string> } = {},
): Promise<TokenResponse> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", ...opts.headers };
  if (opts.basic) {
    const pair = `${encodeURIComponent(opts.basic.id)}:${encodeURIComponent(opts.basic.secret)}`;
    headers.authorization = `Basic ${Buffer.from(pair, "utf8").toString("base64")}`;
  }
  const res = await fetch(tokenEndpoint(server), { method: "POST", headers, body: new URLSearchParams(form).toString() });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** A registered client and a fresh access token for it; fails loudly if the exchange does not work. */
export async function serviceLogin(server: TestServer, scopes: string[]): Promise<RegisteredClient & { token: string }> {
  const client = await registerClient(server, scopes);
  const res = await requestToken(server, { grant_type: "client_credentials" }, { basic: { id: client.clientId, secret: client.clientSecret } });
  if (res.status !== 200 || typeof res.body.access_token !== "string") throw new Error(`token exchange failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...client, token: res.body.access_token };
}
