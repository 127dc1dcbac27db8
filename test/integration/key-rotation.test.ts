// Master-key rotation under load: customers readable before, during and after; writes made during the
// rotation all kept; an interrupted rotation resumes; the old version is retired only once unused.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rotateMasterKey, retireMasterKey } from "../../src/services/master-key-rotation.service";
import { captureLogs } from "../support/log-capture";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { createCustomer, uniqueCustomer, type CustomerInput } from "./api-helpers";

const READ = `query($id: ID!) { customer(id: $id) { fullName nationalId phone email } }`;
const cliActor = { principal: null, ability: null, meta: { requestId: "test-rotation", operation: "cli.keys.rotate", clientAddress: null, purpose: null } };

let server: TestServer;
let lead: StaffLogin;
const logs = captureLogs();
const customers = new Map<string, CustomerInput>();

beforeAll(async () => {
  server = await createTestServer({ logger: logs.logger });
  lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  for (let i = 0; i < 12; i++) {
    const input = uniqueCustomer();
    customers.set((await createCustomer(server, lead.token, input)).id, input);
  }
});
afterAll(() => server?.stop());

/** The server re-reads the key file on its first request after the recheck interval. */
async function letServerReload() {
  server.clock.advance(31_000);
  expect((await server.gql(`{ me { id } }`, {}, { token: lead.token })).errors).toBeUndefined();
}

async function expectAllReadable() {
  for (const [id, input] of customers) {
    const res = await server.gql(READ, { id }, { token: lead.token });
    expect(res.errors, id).toBeUndefined();
    expect(res.data!.customer).toEqual({ fullName: input.fullName, nationalId: input.nationalId, phone: input.phone, email: input.email });
  }
}

const versions = async () => (await server.sql<{ v: number }>(`SELECT DISTINCT kek_version AS v FROM customer_key ORDER BY 1`)).map((r) => r.v);
const fileVersions = async () => {
  const m = JSON.parse(await readFile(server.custos.config.keysFile, "utf8"));
  return { current: m.masterKeys.current as number, versions: Object.keys(m.masterKeys.keys).map(Number) };
};
const deps = (extra: Partial<Parameters<typeof rotateMasterKey>[0]> = {}) => ({
  store: server.custos.services.store,
  keysFile: server.custos.config.keysFile,
  batchSize: 3,
  waitForReload: letServerReload,
  ...extra,
});

describe("keys rotate", () => {
  it("re-wraps every data key under a new version while reads and writes go on, and resumes after an interruption", async () => {
    await expectAllReadable();
    expect(await versions()).toEqual([1]);

    // Interrupted after the first batch, as a Ctrl-C would.
    const interrupted = rotateMasterKey(deps({ onProgress: () => { throw new Error("interrupted"); } }), cliActor);
    await expect(interrupted).rejects.toThrow("interrupted");
    expect(await fileVersions()).toEqual({ current: 2, versions: [1, 2] });
    expect((await versions()).sort()).toEqual([1, 2]);
    await expectAllReadable();

    // Version 1 still wraps live keys: it cannot be retired yet.
    const refused = retireMasterKey({ store: server.custos.services.store, keysFile: server.custos.config.keysFile }, cliActor, 1);
    await expect(refused).rejects.toMatchObject({ code: "CONFLICT", details: { rule: "KEY_IN_USE" } });

    // Resumed, with the API under concurrent reads, creates and updates.
    const changedPhones = new Map<string, string>();
    let progressCalls = 0;
    const rotation = rotateMasterKey(deps({ onProgress: () => void progressCalls++ }), cliActor);
    const load = (async () => {
      const ids = [...customers.keys()];
      for (let i = 0; i < 6; i++) {
        const input = uniqueCustomer();
        const created = await createCustomer(server, lead.token, input);
        customers.set(created.id, input);
        const phone = `+44 20 7000 ${String(1000 + i)}`;
        const upd = await server.gql(`mutation($id: ID!, $p: String) { updateCustomer(id: $id, input: { phone: $p }) { id } }`, { id: ids[i], p: phone }, { token: lead.token });
        expect(upd.errors).toBeUndefined();
        changedPhones.set(ids[i], phone);
        const read = await server.gql(READ, { id: ids[(i * 5) % ids.length] }, { token: lead.token });
        expect(read.errors).toBeUndefined();
      }
    })();
    const [result] = await Promise.all([rotation, load]);
    expect(result).toMatchObject({ fromVersion: 2, toVersion: 2, resumed: true });
    expect(progressCalls).toBeGreaterThan(0);
    for (const [id, phone] of changedPhones) customers.get(id)!.phone = phone;

    expect(await versions()).toEqual([2]);
    await expectAllReadable();
    const events = await server.sql<{ action: string; n: number }>(`SELECT action, count(*)::int AS n FROM audit_event WHERE action IN ('keys.rotate','keys.rewrap') GROUP BY action ORDER BY action`);
    expect(events.find((e) => e.action === "keys.rewrap")!.n).toBeGreaterThanOrEqual(5);
    const phases = await server.sql<{ p: string }>(`SELECT details->>'phase' AS p FROM audit_event WHERE action = 'keys.rotate' ORDER BY seq`);
    expect(phases.map((r) => r.p)).toEqual(["added", "start", "start", "finish"]);
  });

  it("retires the old version once nothing uses it; everything stays readable", async () => {
    await retireMasterKey({ store: server.custos.services.store, keysFile: server.custos.config.keysFile }, cliActor, 1);
    expect(await fileVersions()).toEqual({ current: 2, versions: [2] });
    await letServerReload();
    await expectAllReadable();
    const current = retireMasterKey({ store: server.custos.services.store, keysFile: server.custos.config.keysFile }, cliActor, 2);
    await expect(current).rejects.toMatchObject({ code: "CONFLICT", details: { rule: "KEY_CURRENT" } });
    const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event WHERE action = 'keys.retire' AND outcome = 'SUCCESS'`);
    expect(n).toBe(1);
  });

  it("a second rotation starts a new version, and the chain still verifies", async () => {
    const result = await rotateMasterKey(deps({ batchSize: 500 }), cliActor);
    expect(result).toMatchObject({ fromVersion: 2, toVersion: 3, resumed: false, rewrapped: customers.size });
    await expectAllReadable();
    const compliance = await server.staff("COMPLIANCE_OFFICER");
    const verify = await server.gql(`{ verifyAuditChain { ok } }`, {}, { token: compliance.token });
    expect(verify.data!.verifyAuditChain.ok).toBe(true);
  });

  it("logged none of the customers' values", () => {
    expect(logs.lines.some((l) => l.includes("master keyring reloaded"))).toBe(true);
    expect(logs.leaks([...customers.values()].flatMap((c) => [c.fullName, c.nationalId, c.phone!, c.email!]))).toEqual([]);
  });
});
