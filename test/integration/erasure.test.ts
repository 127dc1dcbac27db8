// Erasure by crypto-shredding: PII unreadable everywhere, cases kept under the pseudonymous reference,
// the chain still verifies, and legal holds and complaint retention block it with a rule code.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../src/clock";
import { dumpDatabase } from "../support/dump";
import { captureLogs } from "../support/log-capture";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, createCustomer, errorCode, uniqueCustomer, type CustomerInput } from "./api-helpers";

const ERASE = `mutation Erase($id: ID!, $r: String!) { eraseCustomer(id: $id, reason: $r) { customerId reference erasedAt casesKept } }`;
const HOLD = `mutation Hold($c: ID!, $r: String!) { placeLegalHold(customerId: $c, reason: $r) { id customerId reason releasedAt } }`;
const RELEASE = `mutation Release($id: ID!) { releaseLegalHold(id: $id) { id releasedAt releasedBy } }`;
const READ = `query Read($id: ID!) { customer(id: $id) { id reference status fullName nationalId phone email address } }`;
const CASES = `query Cases($c: ID!) { cases(filter: { customerId: $c }) { totalCount edges { node { id reference customerId summary notes { body } } } } }`;

let server: TestServer;
let agent: StaffLogin;
let lead: StaffLogin;
let compliance: StaffLogin;
const logs = captureLogs();
const seeded: CustomerInput[] = [];

beforeAll(async () => {
  server = await createTestServer({ logger: logs.logger });
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(() => server?.stop());

/** A customer with one case (summary and a note) of the given kind. */
async function customerWithCase(kind: "INQUIRY" | "COMPLAINT") {
  const input = uniqueCustomer({ fullName: `Erasable Person ${seeded.length} Quillfeather`, address: `${seeded.length} Shredding Mews` });
  seeded.push(input);
  const { id } = await createCustomer(server, agent.token, input);
  const i = { customerId: id, channel: "PHONE", kind, category: "fees", complexity: "COMMON", businessLine: "PERSONAL_BANKING", summary: `Summary about ${input.fullName}` };
  const opened = await server.gql(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id reference } }`, { i }, { token: agent.token });
  expect(opened.errors).toBeUndefined();
  const caseId = opened.data!.openCase.id as string;
  const note = await server.gql(`mutation($c: ID!, $b: String!) { addCaseNote(caseId: $c, body: $b) { id } }`, { c: caseId, b: `Spoke to ${input.fullName}` }, { token: lead.token });
  expect(note.errors).toBeUndefined();
  return { id, input, caseId, caseReference: opened.data!.openCase.reference as string };
}

describe("eraseCustomer", () => {
  it("is for compliance officers only, and a reason must be a reference code", async () => {
    const { id } = await customerWithCase("INQUIRY");
    for (const who of [agent, lead]) {
      expect(errorCode(await server.gql(ERASE, { id, r: "GDPR-17" }, { token: who.token }))).toBe("FORBIDDEN");
    }
    const prose = await server.gql(ERASE, { id, r: "asked by Erasable Person on the phone" }, { token: compliance.token });
    expect(errorCode(prose)).toBe("BAD_USER_INPUT");
    expect((await server.gql(READ, { id }, { token: agent.token })).data!.customer.status).toBe("ACTIVE");
    const denied = await auditEvents(server, compliance.token, { action: "customer.erase", resourceId: id });
    expect(denied.map((e) => [e.actorRole, e.outcome])).toEqual([["AGENT", "DENIED"], ["TEAM_LEAD", "DENIED"]]);
  });

  it("destroys the data key: PII reads as null, cases stay listed under the reference with narratives erased", async () => {
    const { id, input, caseId, caseReference } = await customerWithCase("INQUIRY");
    const before = await server.gql(READ, { id }, { token: compliance.token });
    expect(before.data!.customer.fullName).toBe(input.fullName);

    const res = await server.gql(ERASE, { id, r: "DSR:2026-0042" }, { token: compliance.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.eraseCustomer).toMatchObject({ customerId: id, reference: before.data!.customer.reference, casesKept: 1 });

    for (const who of [compliance, agent]) {
      const read = await server.gql(READ, { id }, { token: who.token });
      expect(read.errors).toBeUndefined();
      expect(read.data!.customer).toMatchObject({ id, status: "ERASED", reference: before.data!.customer.reference, fullName: null, nationalId: null, phone: null, email: null, address: null });
      const cases = await server.gql(CASES, { c: id }, { token: who.token });
      expect(cases.errors).toBeUndefined();
      expect(cases.data!.cases.totalCount).toBe(1);
      expect(cases.data!.cases.edges[0].node).toMatchObject({ id: caseId, reference: caseReference, customerId: id, summary: "[erased]", notes: [{ body: "[erased]" }] });
    }
    // No blind index is left to answer "is this person here?".
    for (const f of [{ nationalId: input.nationalId }, { phone: input.phone }, { email: input.email }]) {
      const found = await server.gql(`query($f: CustomerFilter) { customers(filter: $f) { totalCount } }`, { f }, { token: compliance.token });
      expect(found.data!.customers.totalCount).toBe(0);
    }
    const [key] = await server.sql<{ wrapped_dek: Buffer | null }>(`SELECT wrapped_dek FROM customer_key WHERE customer_id = $1`, [id]);
    expect(key.wrapped_dek).toBeNull();
    const [row] = await server.sql<Record<string, unknown>>(`SELECT national_id_bidx, phone_bidx, email_bidx, erased_at FROM customer WHERE id = $1`, [id]);
    expect(row).toMatchObject({ national_id_bidx: null, phone_bidx: null, email_bidx: null });
    expect(row.erased_at).not.toBeNull();

    // Writes that would need the key are refused with the rule, not with an internal error.
    const update = await server.gql(`mutation($id: ID!) { updateCustomer(id: $id, input: { phone: "+44 20 7946 9999" }) { id } }`, { id }, { token: agent.token });
    expect(errorCode(update)).toBe("CONFLICT");
    expect(update.errors![0].extensions!.rule).toBe("CUSTOMER_ERASED");
    const note = await server.gql(`mutation($c: ID!) { addCaseNote(caseId: $c, body: "later") { id } }`, { c: caseId }, { token: lead.token });
    expect(note.errors![0].extensions).toMatchObject({ code: "CONFLICT", rule: "CUSTOMER_ERASED" });

    const [event] = await auditEvents(server, compliance.token, { action: "customer.erase", resourceId: id });
    expect(event).toMatchObject({ outcome: "SUCCESS", actorRole: "COMPLIANCE_OFFICER", details: { reason: "DSR:2026-0042", casesKept: 1, method: "crypto-shred" } });
    const again = await server.gql(ERASE, { id, r: "DSR:2026-0042" }, { token: compliance.token });
    expect(again.errors![0].extensions).toMatchObject({ code: "CONFLICT", rule: "ALREADY_ERASED" });
  });

  it("leaves a database in which the erased customer's values are nowhere, and a chain that verifies", async () => {
    const dump = [...(await dumpDatabase(server)).values()].join("\n");
    const erasedIds = (await server.sql<{ id: string }>(`SELECT id FROM customer WHERE status = 'ERASED'`)).map((r) => r.id);
    expect(erasedIds.length).toBeGreaterThan(0);
    for (const input of seeded) {
      for (const value of [input.fullName, input.nationalId, input.email!, input.address!]) expect(dump).not.toContain(value.toLowerCase());
    }
    const verify = await server.gql(`{ verifyAuditChain { ok checked firstBadSeq } }`, {}, { token: compliance.token });
    expect(verify.data!.verifyAuditChain).toMatchObject({ ok: true, firstBadSeq: null });
  });

  it("is blocked by an active legal hold (rule LEGAL_HOLD), and allowed once it is released", async () => {
    const { id } = await customerWithCase("INQUIRY");
    expect(errorCode(await server.gql(HOLD, { c: id, r: "LIT-2291" }, { token: agent.token }))).toBe("FORBIDDEN");
    const hold = await server.gql(HOLD, { c: id, r: "LIT-2291" }, { token: compliance.token });
    expect(hold.errors).toBeUndefined();
    expect(hold.data!.placeLegalHold).toMatchObject({ customerId: id, reason: "LIT-2291", releasedAt: null });

    const blocked = await server.gql(ERASE, { id, r: "GDPR-17" }, { token: compliance.token });
    expect(blocked.errors![0].extensions).toMatchObject({ code: "CONFLICT", rule: "LEGAL_HOLD" });
    expect(blocked.data).toBeNull();
    const read = await server.gql(READ, { id }, { token: compliance.token });
    expect(read.data!.customer.fullName).not.toBeNull();
    const refusals = await auditEvents(server, compliance.token, { action: "customer.erase", resourceId: id });
    expect(refusals.map((e) => [e.outcome, e.details.rule])).toEqual([["DENIED", "LEGAL_HOLD"]]);

    const released = await server.gql(RELEASE, { id: hold.data!.placeLegalHold.id }, { token: compliance.token });
    expect(released.data!.releaseLegalHold).toMatchObject({ releasedBy: compliance.id });
    expect((await server.gql(RELEASE, { id: hold.data!.placeLegalHold.id }, { token: compliance.token })).errors![0].extensions!.rule).toBe("ALREADY_RELEASED");
    const erased = await server.gql(ERASE, { id, r: "GDPR-17" }, { token: compliance.token });
    expect(erased.errors).toBeUndefined();
  });

  it("is blocked by complaint retention (rule COMPLAINT_RETENTION) until the period after closure has passed", async () => {
    const { id, caseId } = await customerWithCase("COMPLAINT");
    const open = await server.gql(ERASE, { id, r: "GDPR-17" }, { token: compliance.token });
    expect(open.errors![0].extensions).toMatchObject({ code: "CONFLICT", rule: "COMPLAINT_RETENTION" });
    const resolved = await server.gql(`mutation($c: ID!) { resolveCase(caseId: $c, resolution: "refunded") { status } }`, { c: caseId }, { token: lead.token });
    expect(resolved.errors).toBeUndefined();
    // Four years on (default retention: five years after resolution) it is still kept.
    server.clock.advance(4 * 365 * DAY_MS);
    const officer = await server.staff("COMPLIANCE_OFFICER");
    const early = await server.gql(ERASE, { id, r: "GDPR-17" }, { token: officer.token });
    expect(early.errors![0].extensions).toMatchObject({ code: "CONFLICT", rule: "COMPLAINT_RETENTION" });
    server.clock.advance(2 * 365 * DAY_MS);
    const later = await server.staff("COMPLIANCE_OFFICER");
    const done = await server.gql(ERASE, { id, r: "GDPR-17" }, { token: later.token });
    expect(done.errors).toBeUndefined();
    expect(done.data!.eraseCustomer.casesKept).toBe(1);
  });

  it("logged none of the seeded values while doing all of the above", () => {
    expect(logs.lines.length).toBeGreaterThan(10);
    expect(logs.leaks(seeded.flatMap((s) => [s.fullName, s.nationalId, s.phone!, s.email!, s.address!]))).toEqual([]);
  });
});
