// Subject access: customerDataExport returns everything held about a customer, decrypted, and who
// accessed it, when and for what purpose; only compliance officers stating DATA_SUBJECT_REQUEST get it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, createCustomer, errorCode, uniqueCustomer } from "./api-helpers";

const EXPORT = `query Export($id: ID!) { customerDataExport(id: $id) }`;
const DSR = "DATA_SUBJECT_REQUEST";

let server: TestServer;
let agent: StaffLogin;
let compliance: StaffLogin;
let customerId: string;
let caseId: string;
const input = uniqueCustomer({ fullName: "Ottoline Subject-Access" });

beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
  customerId = (await createCustomer(server, agent.token, input)).id;
  const i = { customerId, channel: "EMAIL", kind: "INQUIRY", category: "cards", complexity: "COMMON", businessLine: "PERSONAL_BANKING", summary: "Card replacement question" };
  const opened = await server.gql(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`, { i }, { token: agent.token });
  caseId = opened.data!.openCase.id;
  await server.gql(`mutation($c: ID!) { addCaseNote(caseId: $c, body: "Sent a new card") { id } }`, { c: caseId }, { token: agent.token });
  await server.sql(
    `INSERT INTO customer_transaction (customer_id, business_line, occurred_at, kind, amount_minor, currency, description) VALUES ($1, 'PERSONAL_BANKING', now(), 'CARD', 1250, 'EUR', 'Card fee')`,
    [customerId],
  );
  const read = await server.gql(`query($id: ID!) { customer(id: $id) { fullName phone } }`, { id: customerId }, { token: agent.token, purpose: "COMPLAINT_INVESTIGATION" });
  expect(read.errors).toBeUndefined();
});
afterAll(() => server?.stop());

describe("customerDataExport", () => {
  it("is refused to other roles and without the stated purpose DATA_SUBJECT_REQUEST", async () => {
    expect(errorCode(await server.gql(EXPORT, { id: customerId }, { token: agent.token, purpose: DSR }))).toBe("FORBIDDEN");
    const noPurpose = await server.gql(EXPORT, { id: customerId }, { token: compliance.token });
    expect(noPurpose.errors![0].extensions).toMatchObject({ code: "FORBIDDEN", rule: "PURPOSE_REQUIRED" });
    expect(noPurpose.data).toBeNull();
    expect(errorCode(await server.gql(EXPORT, { id: "00000000-0000-4000-8000-000000000000" }, { token: compliance.token, purpose: DSR }))).toBe("NOT_FOUND");
  });

  it("holds the profile, transactions, cases with notes, and the access history with purposes", async () => {
    const res = await server.gql(EXPORT, { id: customerId }, { token: compliance.token, purpose: "data-subject-request" });
    expect(res.errors).toBeUndefined();
    const doc = JSON.parse(res.data!.customerDataExport);
    expect(doc.format).toBe("custos.subject-access.v1");
    expect(doc.customer).toMatchObject({ id: customerId, status: "ACTIVE", ...input });
    expect(doc.transactions).toMatchObject([{ kind: "CARD", amountMinor: "1250", currency: "EUR", description: "Card fee" }]);
    expect(doc.cases).toHaveLength(1);
    expect(doc.cases[0]).toMatchObject({ id: caseId, summary: "Card replacement question", notes: [{ body: "Sent a new card", authorId: agent.id }] });
    expect(doc.cases[0].timeline.map((e: { type: string }) => e.type)).toContain("OPENED");
    const history = doc.accessHistory as Array<{ action: string; actorId: string; actorRole: string; purpose: string | null; fields: string[]; resourceId: string }>;
    expect(history).toContainEqual(expect.objectContaining({ action: "customer.create", actorId: agent.id, resourceId: customerId }));
    expect(history).toContainEqual(expect.objectContaining({ action: "customer.read", actorId: agent.id, actorRole: "AGENT", purpose: "COMPLAINT_INVESTIGATION", fields: ["fullName", "phone"] }));
    expect(history).toContainEqual(expect.objectContaining({ action: "case.note.add", resourceId: caseId }));
    // The refused attempts of the test above are part of the history too.
    expect(history).toContainEqual(expect.objectContaining({ action: "customer.export", actorRole: "AGENT" }));
  });

  it("is itself audited, without any of the exported values", async () => {
    const events = await auditEvents(server, compliance.token, { action: "customer.export", resourceId: customerId });
    const success = events.filter((e) => e.outcome === "SUCCESS");
    expect(success.length).toBeGreaterThan(0);
    expect(success[0]).toMatchObject({ actorId: compliance.id, purpose: "data-subject-request", details: { cases: 1, transactions: 1, erased: false } });
    const text = JSON.stringify(events).toLowerCase();
    for (const v of Object.values(input)) expect(text).not.toContain(String(v).toLowerCase());
  });

  it("after erasure holds the record that the customer existed, with PII null and narratives erased", async () => {
    const erased = await server.gql(`mutation($id: ID!) { eraseCustomer(id: $id, reason: "GDPR-17") { customerId } }`, { id: customerId }, { token: compliance.token });
    expect(erased.errors).toBeUndefined();
    const res = await server.gql(EXPORT, { id: customerId }, { token: compliance.token, purpose: DSR });
    expect(res.errors).toBeUndefined();
    const doc = JSON.parse(res.data!.customerDataExport);
    expect(doc.customer).toMatchObject({ status: "ERASED", fullName: null, nationalId: null, email: null });
    expect(doc.cases[0]).toMatchObject({ summary: "[erased]", notes: [{ body: "[erased]" }] });
    expect(doc.accessHistory).toContainEqual(expect.objectContaining({ action: "customer.erase", outcome: "SUCCESS" }));
  });
});
