// Bodies Express rejects before GraphQL sees them (too large, not JSON) get a coded JSON error, never
// Express's HTML page with a stack trace and file paths.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errors";
import { createTestServer, type TestServer } from "../support/test-server";

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(() => server?.stop());

async function post(body: string) {
  const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: res.status, text: await res.text() };
}

function expectCodedAndClean(r: { text: string }) {
  for (const leak of ["at /", "node_modules", "Error:", "<pre>", "<html"]) expect(r.text).not.toContain(leak);
  const codes = ((JSON.parse(r.text).errors ?? []) as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code);
  expect(codes.length).toBe(1);
  expect(ERROR_CODES).toContain(codes[0]);
}

describe("HTTP bodies rejected before GraphQL", () => {
  it("a 2 MB body is refused with 413 and a coded JSON error", async () => {
    const r = await post(JSON.stringify({ query: "{ me { id } }", padding: "x".repeat(2 * 1024 * 1024) }));
    expect(r.status).toBe(413);
    expectCodedAndClean(r);
  });

  it("malformed JSON is refused with 400 and a coded JSON error", async () => {
    const r = await post('{"query": "{ me { id } }"');
    expect(r.status).toBe(400);
    expectCodedAndClean(r);
  });
});
