// The demo seed (the data a fresh `npm start` shows) leaves none of its customers' PII in clear in any
// table: names, national ids, phones, e-mails and addresses, in their written and normalised forms.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_SEED, generateDemoCustomers, seedDemo } from "../../src/seed/demo-seed";
import { dumpDatabase } from "../support/dump";
import { createTestServer, type TestServer } from "../support/test-server";

let server: TestServer;
let needles: string[];

beforeAll(async () => {
  server = await createTestServer();
  const summary = await seedDemo(server.custos.ds, server.custos.services, { clock: server.clock, onlyIfEmpty: false, customers: 50, cases: 200 });
  expect(summary).toEqual({ staff: 16, customers: 50, cases: 200 });
  const customers = generateDemoCustomers(DEMO_SEED, server.clock.now(), 50);
  needles = customers.flatMap(({ pii }) => [
    pii.fullName,
    pii.nationalId,
    pii.phone!,
    pii.phone!.replace(/[^0-9+]/g, ""),
    pii.email!,
    pii.address!,
  ]).map((v) => v.toLowerCase());
}, 120_000);
afterAll(() => server?.stop());

describe("seeded demo data at rest", () => {
  it("the seed really wrote those customers (the checks below look at real data)", async () => {
    const agent = await server.gql<{ login: { accessToken: string } }>(
      `mutation { login(email: "compliance@demo.custos", password: "custos-demo-password") { accessToken } }`,
    );
    const token = agent.data!.login.accessToken;
    const found = await server.gql(`query($n: String) { customers(filter: { nationalId: $n }) { edges { node { fullName } } } }`, { n: needles[1] }, { token });
    expect(found.data?.customers.edges[0].node.fullName.toLowerCase()).toBe(needles[0]);
  });

  it("no table holds any seeded PII value in clear, as text, bytes or hex", async () => {
    const leaks: string[] = [];
    for (const [table, text] of await dumpDatabase(server)) {
      for (const n of needles) {
        if (text.includes(n) || text.includes(Buffer.from(n, "utf8").toString("hex"))) leaks.push(`${table}: value #${needles.indexOf(n)}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
