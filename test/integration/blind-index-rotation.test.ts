// Blind-index key rotation under load: lookups by phone, e-mail and national id find exactly the right
// customer before, half-way through and after the rebuild; a duplicate national id is refused across
// versions; an interrupted rebuild resumes; the old version is retired only once no live row uses it.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retireBlindIndexKey, rotateBlindIndexKey } from "../../src/services/blind-index-rotation.service";
import { captureLogs } from "../support/log-capture";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { CREATE_CUSTOMER, createCustomer, errorCode, uniqueCustomer, type CustomerInput } from "./api-helpers";

const FIND = `query($f: CustomerFilter) { customers(filter: $f, first: 50) { totalCount edges { node { id } } } }`;
const cliActor = { principal: null, ability: null, meta: { requestId: "test-bidx-rotation", operation: "cli.keys.rotate-blind-index", clientAddress: null, purpose: null } };

let server: TestServer;
let lead: StaffLogin;
let compliance: StaffLogin;
const logs = captureLogs();
const customers = new Map<string, CustomerInput>();
let erased: CustomerInput;

beforeAll(async () => {
  server = await createTestServer({ logger: logs.logger });
  lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  for (let i = 0; i < 10; i++) {
    const input = uniqueCustomer();
    customers.set((await createCustomer(server, lead.token, input)).id, input);
  }
  // An erased customer has no indexes: the rebuild must leave it alone and retirement must not count it.
  erased = uniqueCustomer();
  const { id } = await createCustomer(server, lead.token, erased);
  const res = await server.gql(`mutation($id: ID!) { eraseCustomer(id: $id, reason: "GDPR-17") { customerId } }`, { id }, { token: compliance.token });
  expect(res.errors).toBeUndefined();
});
afterAll(() => server?.stop());

/** The server re-reads the key file on its first request after the recheck interval. */
async function letServerReload() {
  server.clock.advance(31_000);
  expect((await server.gql(`{ me { id } }`, {}, { token: lead.token })).errors).toBeUndefined();
}

async function find(f: Record<string, string>): Promise<string[]> {
  const res = await server.gql(FIND, { f }, { token: lead.token });
  expect(res.errors).toBeUndefined();
  return res.data!.customers.edges.map((e: { node: { id: string } }) => e.node.id);
}

/** Every customer is found by each identifier (as typed, and in another spelling that normalises equally), and only it. */
async function expectLookupsExact() {
  for (const [id, input] of customers) {
    expect(await find({ phone: input.phone! }), `phone of ${id}`).toEqual([id]);
    expect(await find({ phone: input.phone!.replace(/ /g, "") }), `phone of ${id}`).toEqual([id]);
    expect(await find({ email: input.email!.toUpperCase() }), `email of ${id}`).toEqual([id]);
    expect(await find({ nationalId: ` ${input.nationalId.toLowerCase()} ` }), `nationalId of ${id}`).toEqual([id]);
  }
  expect(await find({ nationalId: erased.nationalId })).toEqual([]);
}

const rowVersions = async () =>
  (await server.sql<{ v: number; n: number }>(`SELECT bidx_version AS v, count(*)::int AS n FROM customer WHERE national_id_bidx IS NOT NULL GROUP BY 1 ORDER BY 1`)).map((r) => [r.v, r.n]);
const keyFile = async () => JSON.parse(await readFile(server.custos.config.keysFile, "utf8"));
const deps = (extra: Partial<Parameters<typeof rotateBlindIndexKey>[0]> = {}) => ({
  store: server.custos.services.store,
  keysFile: server.custos.config.keysFile,
  batchSize: 5,
  waitForReload: letServerReload,
  ...extra,
});
const retire = (version: number) => retireBlindIndexKey({ store: server.custos.services.store, keysFile: server.custos.config.keysFile }, cliActor, version);

async function expectDuplicateRefused(input: CustomerInput) {
  const dup = await server.gql(CREATE_CUSTOMER, { i: { ...uniqueCustomer(), nationalId: input.nationalId.toLowerCase() } }, { token: lead.token });
  expect(errorCode(dup)).toBe("CONFLICT");
}

describe("keys rotate-blind-index", () => {
  it("starts from version 1, the key file's single blindIndexKey", async () => {
    expect(await rowVersions()).toEqual([[1, 10]]);
    expect((await keyFile()).blindIndexKeys).toBeUndefined();
    await expectLookupsExact();
    await expect(retire(1)).rejects.toMatchObject({ code: "CONFLICT", details: { rule: "KEY_CURRENT" } });
  });

  it("half-way through an interrupted rebuild, lookups stay exact and duplicates are refused across versions", async () => {
    const interrupted = rotateBlindIndexKey(deps({ onProgress: () => { throw new Error("interrupted"); } }), cliActor);
    await expect(interrupted).rejects.toThrow("interrupted");
    const file = await keyFile();
    expect(file.blindIndexKeys.current).toBe(2);
    expect(Object.keys(file.blindIndexKeys.keys)).toEqual(["1", "2"]);
    // Version 1 is still the single key the file had, so rows not yet rebuilt still match.
    expect(file.blindIndexKeys.keys["1"]).toBe(file.blindIndexKey);
    expect(await rowVersions()).toEqual([[1, 5], [2, 5]]);
    await expectLookupsExact();

    const [v1Row] = await server.sql<{ id: string }>(`SELECT id FROM customer WHERE bidx_version = 1 AND national_id_bidx IS NOT NULL ORDER BY id LIMIT 1`);
    const [v2Row] = await server.sql<{ id: string }>(`SELECT id FROM customer WHERE bidx_version = 2 ORDER BY id LIMIT 1`);
    // The new row would be indexed under version 2: the unique index alone would not see the version-1 twin.
    await expectDuplicateRefused(customers.get(v1Row.id)!);
    await expectDuplicateRefused(customers.get(v2Row.id)!);

    // An update of a not-yet-rebuilt row re-indexes the whole row under the current version.
    const phone = "+44 20 7000 4242";
    const upd = await server.gql(`mutation($id: ID!, $p: String) { updateCustomer(id: $id, input: { phone: $p }) { id } }`, { id: v1Row.id, p: phone }, { token: lead.token });
    expect(upd.errors).toBeUndefined();
    customers.get(v1Row.id)!.phone = phone;
    const [updated] = await server.sql<{ v: number }>(`SELECT bidx_version AS v FROM customer WHERE id = $1`, [v1Row.id]);
    expect(updated.v).toBe(2);
    await expectLookupsExact();

    await expect(retire(1)).rejects.toMatchObject({ code: "CONFLICT", details: { rule: "KEY_IN_USE", inUse: 4 } });
  });

  it("resumes under concurrent creates and lookups, and finishes with every live row under the new version", async () => {
    let progressCalls = 0;
    const rotation = rotateBlindIndexKey(deps({ batchSize: 2, onProgress: () => void progressCalls++ }), cliActor);
    const load = (async () => {
      const ids = [...customers.keys()];
      for (let i = 0; i < 6; i++) {
        const input = uniqueCustomer();
        const created = await createCustomer(server, lead.token, input);
        customers.set(created.id, input);
        const other = customers.get(ids[(i * 3) % ids.length])!;
        expect(await find({ email: other.email! })).toEqual([ids[(i * 3) % ids.length]]);
        await expectDuplicateRefused(other);
      }
    })();
    const [result] = await Promise.all([rotation, load]);
    expect(result).toMatchObject({ fromVersion: 2, toVersion: 2, resumed: true });
    expect(progressCalls).toBeGreaterThan(0);
    expect(await rowVersions()).toEqual([[2, customers.size]]);
    await expectLookupsExact();
    // The erased customer was skipped: still no index, still the version it had.
    const [gone] = await server.sql<Record<string, unknown>>(`SELECT national_id_bidx, phone_bidx, email_bidx, bidx_version FROM customer WHERE status = 'ERASED'`);
    expect(gone).toEqual({ national_id_bidx: null, phone_bidx: null, email_bidx: null, bidx_version: 1 });

    const batches = await server.sql<{ n: number; count: number }>(`SELECT count(*)::int AS n, sum((details->>'count')::int)::int AS count FROM audit_event WHERE action = 'keys.reindex'`);
    expect(batches[0].n).toBeGreaterThanOrEqual(3);
    expect(batches[0].count).toBe(5 + result.rebuilt);
    const phases = await server.sql<{ p: string }>(`SELECT details->>'phase' AS p FROM audit_event WHERE action = 'keys.rotate' AND resource_type = 'blind_index_key' ORDER BY seq`);
    expect(phases.map((r) => r.p)).toEqual(["added", "start", "start", "finish"]);
  });

  it("retires the old version once no live row uses it; lookups keep working without it", async () => {
    await expect(retire(2)).rejects.toMatchObject({ code: "CONFLICT", details: { rule: "KEY_CURRENT" } });
    await expect(retire(7)).rejects.toMatchObject({ code: "NOT_FOUND" });
    await retire(1);
    expect(Object.keys((await keyFile()).blindIndexKeys.keys)).toEqual(["2"]);
    await letServerReload();
    expect([...server.custos.services.cipher.blindIndexKeyring.keys.keys()]).toEqual([2]);
    await expectLookupsExact();
    await expectDuplicateRefused([...customers.values()][0]);
    const verify = await server.gql(`{ verifyAuditChain { ok } }`, {}, { token: compliance.token });
    expect(verify.data!.verifyAuditChain.ok).toBe(true);
  });

  it("logged the reloads and none of the customers' values", () => {
    expect(logs.lines.some((l) => l.includes("blind-index keyring reloaded"))).toBe(true);
    expect(logs.leaks([...customers.values(), erased].flatMap((c) => [c.fullName, c.nationalId, c.phone!, c.email!]))).toEqual([]);
  });
});
