// Full or masked PII: full needs a stated purpose (x-custos-purpose) and current DATA_PROTECTION training;
// otherwise every PII field is masked in its documented form. Every decryption is audited, masked or not.
// Training records: kept by compliance, read by their owner. Time moves only with the ManualClock.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { auditEvents, createCustomer, CUSTOMER_FIELDS, errorCode, type CustomerInput } from "./api-helpers";

const READ = `query ReadCustomer($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`;
const READ_CASE = `query ReadCase($id: ID!) { case(id: $id) { id reference summary notes { body } } }`;
const OPEN = `mutation OpenCase($i: OpenCaseInput!) { openCase(input: $i) { id reference } }`;
const NOTE = `mutation Note($c: ID!, $b: String!) { addCaseNote(caseId: $c, body: $b) { id } }`;
const ME = `query { me { id trainingCurrent } }`;
const RECORD = `mutation Record($i: RecordTrainingInput!) { recordTraining(input: $i) { id staffId course completedAt expiresAt recordedBy } }`;
const RECORDS = `query Records($s: ID!) { trainingRecords(staffId: $s) { id staffId course expiresAt } }`;
const PII = ["fullName", "nationalId", "phone", "email", "address"] as const;
const MINUTE_MS = 60_000;

let server: TestServer;
let agent: StaffLogin; // PERSONAL_BANKING, current training
let compliance: StaffLogin;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  compliance = await server.staff("COMPLIANCE_OFFICER");
});
afterAll(() => server?.stop());

let counter = 0;
/** A customer whose masked forms are known in advance: W*** Z***, ****NNNN, 861****1001, z***@example.org, ***. */
function person(): CustomerInput {
  const n = String(++counter).padStart(4, "0");
  return {
    fullName: "Wang Zhiyuan",
    nationalId: `110101${process.pid % 100000}X${n}`,
    phone: `+86 138 ${n} 1001`,
    email: `zhiyuan.wang.${n}@example.org`,
    address: `${n} Jianguo Road, Beijing`,
  };
}

function masked(input: CustomerInput) {
  return { fullName: "W*** Z***", nationalId: `****${input.nationalId.slice(-4)}`, phone: "861****1001", email: "z***@example.org", address: "***" };
}

/** What an agent with current training and a purpose sees: everything but the national id in full. */
function agentFull(input: CustomerInput) {
  return { ...input, nationalId: `****${input.nationalId.slice(-4)}` };
}

async function read(token: string, id: string, purpose: string | null, requestId?: string) {
  const res = await server.gql(READ, { id }, { token, purpose, headers: requestId ? { "x-request-id": requestId } : {} });
  expect(res.errors).toBeUndefined();
  const { fullName, nationalId, phone, email, address } = res.data!.customer;
  return { fullName, nationalId, phone, email, address };
}

async function openCase(who: StaffLogin, customerId: string, summary: string) {
  const res = await server.gql(
    OPEN,
    { i: { customerId, channel: "PHONE", kind: "INQUIRY", category: "card.limit", complexity: "COMMON", businessLine: who.businessLine, summary } },
    { token: who.token },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.openCase as { id: string; reference: string };
}

async function trainingCurrent(token: string): Promise<boolean> {
  const res = await server.gql(ME, {}, { token });
  expect(res.errors).toBeUndefined();
  return res.data!.me.trainingCurrent;
}

function recordInput(staffId: string, expiresAt: Date, course = "DATA_PROTECTION") {
  const completedAt = new Date(server.clock.now().getTime() - 60 * MINUTE_MS);
  return { staffId, course, completedAt: completedAt.toISOString(), expiresAt: expiresAt.toISOString() };
}

describe("purpose", () => {
  it("with current training and a purpose an agent sees name, phone, e-mail and address in full, the national id masked", async () => {
    const { id, input } = await createCustomer(server, agent.token, person());
    expect(await read(agent.token, id, "CASE_HANDLING")).toEqual(agentFull(input));
    expect(await trainingCurrent(agent.token)).toBe(true);
  });

  it("without a purpose every field is masked, each in its documented form", async () => {
    const { id, input } = await createCustomer(server, agent.token, person());
    const seen = await read(agent.token, id, null);
    expect(seen).toEqual(masked(input));
    // The exact forms, spelled out: first 3 digits + **** + last 4; first character + ***@domain; initials.
    expect(seen.phone).toBe("861****1001");
    expect(seen.email).toBe("z***@example.org");
    expect(seen.fullName).toBe("W*** Z***");
    expect(seen.address).toBe("***");
    expect(seen.nationalId).toMatch(/^\*{4}\d{4}$/);
  });

  it.each(["because", "case:not-a-case", "case:CS-26-1", "CASE HANDLING", ""])("treats the invalid purpose %j like none", async (purpose) => {
    const { id, input } = await createCustomer(server, agent.token, person());
    expect(await read(agent.token, id, purpose)).toEqual(masked(input));
  });

  it("accepts a reason code in any case with - or _, and case:<id> and case:<reference>", async () => {
    const { id, input } = await createCustomer(server, agent.token, person());
    const opened = await openCase(agent, id, "Asks to raise the card limit");
    expect(opened.reference).toMatch(/^CS-\d{4}-\d{6}$/);
    for (const purpose of ["fraud-investigation", "Complaint_Investigation", `case:${opened.id}`, `case:${opened.reference}`]) {
      expect(await read(agent.token, id, purpose)).toEqual(agentFull(input));
    }
  });

  it("records the purpose with the read event, and only a valid one", async () => {
    const { id } = await createCustomer(server, agent.token, person());
    const good = `purpose-good-${randomUUID()}`;
    const bad = `purpose-bad-${randomUUID()}`;
    await read(agent.token, id, "REGULATORY_REQUEST", good);
    await read(agent.token, id, "because", bad);
    const events = await auditEvents(server, compliance.token, { resourceId: id, action: "customer.read" });
    expect(events.find((e) => e.requestId === good)!.purpose).toBe("REGULATORY_REQUEST");
    expect(events.find((e) => e.requestId === bad)!.purpose).toBeNull();
  });
});

describe("auditing what was decrypted", () => {
  it("a masked read lists every decrypted field and, in details.masked, those shown masked", async () => {
    const { id } = await createCustomer(server, agent.token, person());
    const requestId = `masked-read-${randomUUID()}`;
    await read(agent.token, id, null, requestId);
    const [event] = (await auditEvents(server, compliance.token, { resourceId: id, action: "customer.read" })).filter((e) => e.requestId === requestId);
    expect(event).toMatchObject({ outcome: "SUCCESS", actorId: agent.id, details: { masked: "address,email,fullName,nationalId,phone" } });
    expect([...event.fields].sort()).toEqual([...PII].sort());
  });

  it("a full read lists the same fields and marks only the national id masked", async () => {
    const { id } = await createCustomer(server, agent.token, person());
    const requestId = `full-read-${randomUUID()}`;
    await read(agent.token, id, "CASE_HANDLING", requestId);
    const [event] = (await auditEvents(server, compliance.token, { resourceId: id, action: "customer.read" })).filter((e) => e.requestId === requestId);
    expect(event.details).toEqual({ masked: "nationalId" });
    expect([...event.fields].sort()).toEqual([...PII].sort());
  });

  it("a read that asks for no PII decrypts nothing and says so", async () => {
    const { id } = await createCustomer(server, agent.token, person());
    const requestId = `no-pii-${randomUUID()}`;
    const res = await server.gql(`query($id: ID!) { customer(id: $id) { id reference } }`, { id }, { token: agent.token, headers: { "x-request-id": requestId } });
    expect(res.errors).toBeUndefined();
    const [event] = (await auditEvents(server, compliance.token, { resourceId: id, action: "customer.read" })).filter((e) => e.requestId === requestId);
    expect(event.fields).toEqual([]);
    expect(event.details).toEqual({});
  });
});

describe("case narratives", () => {
  it("are [restricted] for a masked reader and in clear with a purpose", async () => {
    const { id } = await createCustomer(server, agent.token, person());
    const opened = await openCase(agent, id, "Disputes a card payment in a shop abroad");
    expect((await server.gql(NOTE, { c: opened.id, b: "Called back, awaiting receipt" }, { token: agent.token })).errors).toBeUndefined();

    const hidden = await server.gql(READ_CASE, { id: opened.id }, { token: agent.token, purpose: null });
    expect(hidden.errors).toBeUndefined();
    expect(hidden.data!.case).toMatchObject({ summary: "[restricted]", notes: [{ body: "[restricted]" }] });
    const shown = await server.gql(READ_CASE, { id: opened.id }, { token: agent.token });
    expect(shown.data!.case).toMatchObject({ summary: "Disputes a card payment in a shop abroad", notes: [{ body: "Called back, awaiting receipt" }] });
  });
});

describe("training", () => {
  it("an agent without current training sees everything masked even with a purpose, and is told so", async () => {
    const lapsed = await server.staff("AGENT", "PERSONAL_BANKING", { training: false });
    const { id, input } = await createCustomer(server, agent.token, person());
    expect(await read(lapsed.token, id, "CASE_HANDLING")).toEqual(masked(input));
    expect(await trainingCurrent(lapsed.token)).toBe(false);
    const opened = await openCase(agent, id, "Asks for a statement copy");
    const narrative = await server.gql(READ_CASE, { id: opened.id }, { token: lapsed.token });
    expect(narrative.data!.case.summary).toBe("[restricted]");
  });

  it("a compliance officer's recordTraining gives full PII from the next request; an expired course takes it away", async () => {
    const lapsed = await server.staff("AGENT", "PERSONAL_BANKING", { training: false });
    const { id, input } = await createCustomer(server, agent.token, person());
    expect(await read(lapsed.token, id, "CASE_HANDLING")).toEqual(masked(input));

    const expiresAt = new Date(server.clock.now().getTime() + 5 * MINUTE_MS);
    const recorded = await server.gql(RECORD, { i: recordInput(lapsed.id, expiresAt) }, { token: compliance.token });
    expect(recorded.errors).toBeUndefined();
    expect(recorded.data!.recordTraining).toMatchObject({ staffId: lapsed.id, course: "DATA_PROTECTION", recordedBy: compliance.id, expiresAt: expiresAt.toISOString() });
    // Same access token: training is looked up on every request.
    expect(await trainingCurrent(lapsed.token)).toBe(true);
    expect(await read(lapsed.token, id, "CASE_HANDLING")).toEqual(agentFull(input));

    server.clock.advance(5 * MINUTE_MS);
    expect(await trainingCurrent(lapsed.token)).toBe(false);
    expect(await read(lapsed.token, id, "CASE_HANDLING")).toEqual(masked(input));
  });

  it("only the mandatory course counts", async () => {
    const lapsed = await server.staff("AGENT", "PERSONAL_BANKING", { training: false });
    const expiresAt = new Date(server.clock.now().getTime() + 365 * 24 * 60 * MINUTE_MS);
    const recorded = await server.gql(RECORD, { i: recordInput(lapsed.id, expiresAt, "ANTI_MONEY_LAUNDERING") }, { token: compliance.token });
    expect(recorded.errors).toBeUndefined();
    expect(await trainingCurrent(lapsed.token)).toBe(false);
  });

  it("an agent cannot record training, not even their own: FORBIDDEN, audited DENIED, nothing stored", async () => {
    const lapsed = await server.staff("AGENT", "PERSONAL_BANKING", { training: false });
    const expiresAt = new Date(server.clock.now().getTime() + 30 * 24 * 60 * MINUTE_MS);
    for (const staffId of [lapsed.id, agent.id]) {
      const res = await server.gql(RECORD, { i: recordInput(staffId, expiresAt) }, { token: lapsed.token });
      expect(errorCode(res)).toBe("FORBIDDEN");
      expect(res.data).toBeNull();
    }
    const events = await auditEvents(server, compliance.token, { actorId: lapsed.id, action: "training.record" });
    expect(events.map((e) => [e.outcome, e.resourceId])).toEqual([
      ["DENIED", lapsed.id],
      ["DENIED", agent.id],
    ]);
    expect(await server.sql(`SELECT id FROM staff_training WHERE staff_id = $1`, [lapsed.id])).toEqual([]);
    expect(await trainingCurrent(lapsed.token)).toBe(false);
  });

  it("trainingRecords: an agent reads their own, not another's (FORBIDDEN, audited); compliance reads anyone's", async () => {
    const own = await server.gql(RECORDS, { s: agent.id }, { token: agent.token });
    expect(own.errors).toBeUndefined();
    expect(own.data!.trainingRecords).toEqual([expect.objectContaining({ staffId: agent.id, course: "DATA_PROTECTION" })]);

    const colleague = await server.staff("AGENT", "PERSONAL_BANKING");
    const other = await server.gql(RECORDS, { s: colleague.id }, { token: agent.token });
    expect(errorCode(other)).toBe("FORBIDDEN");
    expect(other.data).toBeNull();
    const denied = await auditEvents(server, compliance.token, { actorId: agent.id, action: "training.read" });
    expect(denied.filter((e) => e.outcome === "DENIED").map((e) => e.resourceId)).toEqual([colleague.id]);

    const byCompliance = await server.gql(RECORDS, { s: colleague.id }, { token: compliance.token });
    expect(byCompliance.errors).toBeUndefined();
    expect(byCompliance.data!.trainingRecords).toEqual([expect.objectContaining({ staffId: colleague.id, course: "DATA_PROTECTION" })]);
  });
});
