// The authorization matrix through HTTP: every role × every query and mutation of the schema, each with its
// expected outcome, and every PII field of a customer and a case at its expected level (full / masked /
// hidden). The schema is read by introspection: an operation without an entry here fails the suite.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StaffRole } from "../../src/domain/enums";
import { ROLES, type Role } from "../../src/domain/enums";
import { FEATURES } from "../../src/domain/risk-model";
import { createTestServer, type GraphQLResponse, type StaffLogin, type TestServer } from "../support/test-server";

type Outcome = "OK" | "FORBIDDEN" | "NOT_FOUND" | "UNAUTHENTICATED" | "BAD_USER_INPUT";
interface Caller {
  role: Role;
  token: string;
  /** Staff only: the login's credentials (for login, changePassword) and the session's refresh token. */
  login?: StaffLogin;
  refreshToken?: string;
}

let server: TestServer;
let fixtures: StaffLogin; // a PERSONAL_BANKING team lead who creates the customers and cases acted on
const callers = new Map<Role, Caller>();
let customerId: string;
let caseId: string;
const CUSTOMER = { fullName: "Matrix Alvarez-Quint", nationalId: "MX55443322", phone: "+86 139 1234 5678", email: "matrix.aq@example.com", address: "7 Policy Lane" };
const SUMMARY = "Matrix test: card charged twice";

async function newCustomer(nationalId = `MX${Math.floor(Math.random() * 1e10).toString().padStart(10, "0")}`): Promise<string> {
  const res = await server.gql(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`, { i: { ...CUSTOMER, nationalId } }, { token: fixtures.token });
  expect(res.errors).toBeUndefined();
  return res.data!.createCustomer.id;
}

async function newCase(): Promise<string> {
  const input = { customerId: await newCustomer(), channel: "PHONE", kind: "COMPLAINT", category: "card.dispute", complexity: "COMMON", businessLine: "PERSONAL_BANKING", summary: SUMMARY };
  const res = await server.gql(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id assigneeId } }`, { i: input }, { token: fixtures.token });
  expect(res.errors).toBeUndefined();
  // The only PERSONAL_BANKING agent owns every case of the line: the agent's writes are on their own cases.
  expect(res.data!.openCase.assigneeId).toBe(callers.get("AGENT")!.login!.id);
  return res.data!.openCase.id;
}

/** A fresh case of the fixtures' line, driven by the team lead to `state` (the agent still owns it). */
async function caseIn(state: "ASSIGNED" | "IN_PROGRESS" | "AWAITING_CUSTOMER" | "ESCALATED" | "RESOLVED" | "CLOSED"): Promise<string> {
  const id = await newCase();
  const step = async (query: string) => {
    const res = await server.gql(query, { c: id }, { token: fixtures.token });
    expect(res.errors).toBeUndefined();
  };
  if (state === "IN_PROGRESS" || state === "AWAITING_CUSTOMER") await step(`mutation($c: ID!) { startCaseWork(caseId: $c) { id } }`);
  if (state === "AWAITING_CUSTOMER") await step(`mutation($c: ID!) { awaitCustomer(caseId: $c, reason: DOCUMENTS_REQUESTED) { id } }`);
  if (state === "ESCALATED") await step(`mutation($c: ID!) { escalateCase(caseId: $c, reason: COMPLEXITY) { id } }`);
  if (state === "RESOLVED" || state === "CLOSED") {
    await step(`mutation($c: ID!) { resolveCase(caseId: $c, resolution: "refunded", details: { outcome: UPHELD, rootCauseCode: "PROCESS_ERROR", finalResponseSentAt: "2026-11-02T09:00:00.000Z" }) { id } }`);
  }
  if (state === "CLOSED") await step(`mutation($c: ID!) { closeCase(caseId: $c) { id } }`);
  return id;
}

const CASE_WRITERS = { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "FORBIDDEN", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "OK" } as const;
const LEADS_ONLY = { AGENT: "FORBIDDEN", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "FORBIDDEN", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" } as const;
const SUPERVISORS = { AGENT: "FORBIDDEN", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" } as const;
const CASE_READERS = { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "OK" } as const;

// The control programme: compliance runs it, owners (team leads, admins) report on what they own,
// auditors read, every member of staff may suggest (docs/control-programme.md).
const COMPLIANCE_ONLY = { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" } as const;
const CONTROL_READERS = { AGENT: "FORBIDDEN", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "OK", AUDITOR: "OK", SERVICE: "FORBIDDEN" } as const;
const CONTROL_OWNERS = { AGENT: "FORBIDDEN", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "OK", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" } as const;
const STAFF_SUGGESTERS = { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "OK", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" } as const;
const SUGGESTION_READERS = { ...STAFF_SUGGESTERS, AUDITOR: "OK" } as const;
// Risk models (docs/risk-model.md): agents score their own cases; leads their line (and its customers);
// compliance everything; auditors read the model versions, never a score.
const CASE_SCORERS = { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" } as const;
const RISK_MODEL_READERS = { AGENT: "FORBIDDEN", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "OK", SERVICE: "FORBIDDEN" } as const;

/** A stored model per target (all coefficients 0), so scoring is decided by policy, not by a missing model. */
async function ensureRiskModels(): Promise<void> {
  for (const target of ["CASE_ADVERSE", "CUSTOMER_CHURN"] as const) {
    const zeros = FEATURES[target].map(() => 0);
    await server.sql(
      `INSERT INTO risk_model (target, version, algorithm, label_definition, feature_names, feature_means, feature_scales, intercept, coefficients, l2, split, training_size, holdout_size, metrics, trained_at, data_as_of)
       VALUES ($1, 1, 'fixture', 'fixture', $2, $3, $4, 0, $3, 1, 'RANDOM', 0, 0, $5, now(), now()) ON CONFLICT DO NOTHING`,
      [target, FEATURES[target], zeros, FEATURES[target].map(() => 1), JSON.stringify({ auc: null, brier: 0.25, baseline: { auc: 0.5, brier: 0.25, prevalence: 0.5 }, holdoutPrevalence: 0.5, reliability: [] })],
    );
  }
}
const QUALITY_READERS = { AGENT: "FORBIDDEN", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "OK", SERVICE: "FORBIDDEN" } as const;
const QUALITY_ALERT_READERS = { ...COMPLIANCE_ONLY, AUDITOR: "OK" } as const;

/** Owned by the caller when the caller can own control items (a lead, an admin), else by the fixtures' lead. */
function controlOwnerFor(c: Caller): string {
  return c.role === "TEAM_LEAD" || c.role === "ADMIN" ? c.login!.id : fixtures.id;
}

async function newControlMeasure(ownerId: string): Promise<{ id: string; milestoneId: string }> {
  const res = await server.gql(
    `mutation($i: CreateControlMeasureInput!) { createControlMeasure(input: $i) { id milestones { id } } }`,
    { i: { title: "Matrix control", objective: "Matrix objective", ownerId, milestones: [{ title: "m1", dueAt: "2027-01-01T00:00:00.000Z" }] } },
    { token: callers.get("COMPLIANCE_OFFICER")!.token },
  );
  expect(res.errors).toBeUndefined();
  return { id: res.data!.createControlMeasure.id, milestoneId: res.data!.createControlMeasure.milestones[0].id };
}

async function newActionItem(ownerId: string): Promise<string> {
  const res = await server.gql(
    `mutation($i: RecordControlMeetingInput!) { recordControlMeeting(input: $i) { actionItems { id } } }`,
    { i: { title: "Matrix meeting", heldAt: "2026-11-01T09:00:00.000Z", attendeeIds: [ownerId], actionItems: [{ title: "a1", ownerId, dueAt: "2027-01-01T00:00:00.000Z" }] } },
    { token: callers.get("COMPLIANCE_OFFICER")!.token },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.recordControlMeeting.actionItems[0].id;
}

async function newSuggestion(): Promise<string> {
  const res = await server.gql(`mutation { submitImprovementSuggestion(text: "Matrix suggestion") { id } }`, {}, { token: callers.get("AGENT")!.token });
  expect(res.errors).toBeUndefined();
  return res.data!.submitImprovementSuggestion.id;
}

function outcome(res: GraphQLResponse): Outcome {
  if (!res.errors?.length) return "OK";
  return res.errors[0].extensions!.code as Outcome;
}

/** Each operation: how a caller exercises it (on fresh fixtures where it changes state), and who may. */
const OPERATIONS: Record<string, { run: (c: Caller) => Promise<GraphQLResponse>; expect: Record<Role, Outcome> }> = {
  me: {
    run: (c) => server.gql(`{ me { id role } }`, {}, { token: c.token }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "OK", AUDITOR: "OK", SERVICE: "OK" },
  },
  customer: {
    run: (c) => server.gql(`query($id: ID!) { customer(id: $id) { id } }`, { id: customerId }, { token: c.token }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "OK" },
  },
  customers: {
    run: (c) => server.gql(`{ customers(first: 5) { totalCount } }`, {}, { token: c.token }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "OK" },
  },
  case: {
    run: (c) => server.gql(`query($id: ID!) { case(id: $id) { id } }`, { id: caseId }, { token: c.token }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "OK" },
  },
  cases: {
    run: (c) => server.gql(`{ cases(first: 5) { totalCount } }`, {}, { token: c.token }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "OK" },
  },
  auditTrail: {
    run: (c) => server.gql(`{ auditTrail(first: 1) { totalCount } }`, {}, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "OK", SERVICE: "OK" },
  },
  verifyAuditChain: {
    run: (c) => server.gql(`{ verifyAuditChain { ok } }`, {}, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "OK", SERVICE: "OK" },
  },
  // Merkle proofs read the audit log: whoever may read the trail (subject AuditEvent, action read).
  auditInclusionProof: {
    run: (c) => server.gql(`{ auditInclusionProof(seq: 1, treeSize: 1) { rootHash } }`, {}, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "OK", SERVICE: "OK" },
  },
  auditConsistencyProof: {
    run: (c) => server.gql(`{ auditConsistencyProof(fromSize: 1, toSize: 2) { toRootHash } }`, {}, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "OK", SERVICE: "OK" },
  },
  // The export is compliance's and the auditor's (and security's); the reports profile staff: not auditors'.
  auditTrailExport: {
    run: (c) => server.gql(`{ auditTrailExport(format: CSV, limit: 5) { rowCount } }`, {}, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "OK", SERVICE: "FORBIDDEN" },
  },
  // Signed bundles for regulators: compliance and auditors only (security keeps its CSV export and reports).
  exportAuditBundle: {
    run: (c) =>
      server.gql(`mutation($id: ID) { exportAuditBundle(from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", customerId: $id) { eventCount } }`, { id: customerId }, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "OK", SERVICE: "FORBIDDEN" },
  },
  // Regulators' reports: compliance all three; auditors the aggregate ones (the access report profiles staff).
  generateRegulatoryReport: {
    run: (c) =>
      server.gql(`mutation { generateRegulatoryReport(kind: COMPLAINTS, from: "2026-10-01T00:00:00Z", to: "2026-11-01T00:00:00Z", format: JSON) { sha256 } }`, {}, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "OK", SERVICE: "FORBIDDEN" },
  },
  accessReport: {
    run: (c) => server.gql(`query($id: ID!) { accessReport(customerId: $id, from: "2000-01-01T00:00:00Z", to: "2000-06-01T00:00:00Z") { truncated } }`, { id: customerId }, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  deniedAccess: {
    run: (c) => server.gql(`{ deniedAccess(from: "2000-01-01T00:00:00Z", to: "2000-06-01T00:00:00Z") { truncated } }`, {}, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  unusualAccess: {
    run: (c) => server.gql(`{ unusualAccess(from: "2000-01-01T00:00:00Z", to: "2000-06-01T00:00:00Z") { findings { kind } } }`, {}, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  // Asked about the agent's records: the agent's own, otherwise only compliance keeps everyone's.
  trainingRecords: {
    run: (c) => server.gql(`query($s: ID!) { trainingRecords(staffId: $s) { id } }`, { s: callers.get("AGENT")!.login!.id }, { token: c.token }),
    expect: { AGENT: "OK", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  // Staff log in with their own credentials; a machine identity has no password to log in with.
  login: {
    run: (c) =>
      server.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, {
        e: c.login?.email ?? "svc@matrix.custos",
        p: c.login?.password ?? "not a staff password",
      }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "OK", AUDITOR: "OK", SERVICE: "UNAUTHENTICATED" },
  },
  createCustomer: {
    run: (c) =>
      server.gql(`mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`, { i: { ...CUSTOMER, nationalId: `MC${Date.now()}${Math.floor(Math.random() * 1e6)}`.slice(0, 20) } }, { token: c.token }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "FORBIDDEN", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "OK" },
  },
  updateCustomer: {
    run: async (c) => server.gql(`mutation($id: ID!) { updateCustomer(id: $id, input: { phone: "+86 139 0000 1111" }) { id } }`, { id: await newCustomer() }, { token: c.token }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "FORBIDDEN", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  openCase: {
    run: async (c) => {
      const input = { customerId: await newCustomer(), channel: "EMAIL", kind: "INQUIRY", category: "account.fees", complexity: "COMMON", businessLine: "PERSONAL_BANKING", summary: SUMMARY };
      return server.gql(`mutation($i: OpenCaseInput!) { openCase(input: $i) { id } }`, { i: input }, { token: c.token });
    },
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "FORBIDDEN", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "OK" },
  },
  addCaseNote: {
    run: async (c) => server.gql(`mutation($c: ID!) { addCaseNote(caseId: $c, body: "called back") { id } }`, { c: await newCase() }, { token: c.token }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "FORBIDDEN", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "OK" },
  },
  resolveCase: {
    run: async (c) => server.gql(`mutation($c: ID!) { resolveCase(caseId: $c, resolution: "refunded") { id } }`, { c: await newCase() }, { token: c.token }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "FORBIDDEN", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "OK" },
  },
  // Case handling (issue 7): the handler's workflow is the case writers'; ownership and escalation the lead's.
  caseTimeline: { run: (c) => server.gql(`query($id: ID!) { caseTimeline(caseId: $id) { type } }`, { id: caseId }, { token: c.token }), expect: CASE_READERS },
  rootCauses: { run: (c) => server.gql(`{ rootCauses { code } }`, {}, { token: c.token }), expect: CASE_READERS },
  startCaseWork: { run: async (c) => server.gql(`mutation($c: ID!) { startCaseWork(caseId: $c) { status } }`, { c: await caseIn("ASSIGNED") }, { token: c.token }), expect: CASE_WRITERS },
  awaitCustomer: {
    run: async (c) => server.gql(`mutation($c: ID!) { awaitCustomer(caseId: $c, reason: CUSTOMER_UNREACHABLE) { status } }`, { c: await caseIn("IN_PROGRESS") }, { token: c.token }),
    expect: CASE_WRITERS,
  },
  resumeCase: { run: async (c) => server.gql(`mutation($c: ID!) { resumeCase(caseId: $c) { status } }`, { c: await caseIn("AWAITING_CUSTOMER") }, { token: c.token }), expect: CASE_WRITERS },
  escalateCase: { run: async (c) => server.gql(`mutation($c: ID!) { escalateCase(caseId: $c, reason: REGULATORY_RISK) { status } }`, { c: await caseIn("IN_PROGRESS") }, { token: c.token }), expect: LEADS_ONLY },
  deescalateCase: { run: async (c) => server.gql(`mutation($c: ID!) { deescalateCase(caseId: $c) { status } }`, { c: await caseIn("ESCALATED") }, { token: c.token }), expect: LEADS_ONLY },
  // Given to the team lead: a second agent in the line would take the fixtures' new cases.
  reassignCase: {
    run: async (c) => server.gql(`mutation($c: ID!, $a: ID!) { reassignCase(caseId: $c, assigneeId: $a, reason: WORKLOAD) { assigneeId } }`, { c: await caseIn("ASSIGNED"), a: fixtures.id }, { token: c.token }),
    expect: LEADS_ONLY,
  },
  recordCaseResolution: {
    run: async (c) => server.gql(`mutation($c: ID!) { recordCaseResolution(caseId: $c, input: { customerAccepted: true }) { customerAccepted } }`, { c: await caseIn("RESOLVED") }, { token: c.token }),
    expect: CASE_WRITERS,
  },
  closeCase: { run: async (c) => server.gql(`mutation($c: ID!) { closeCase(caseId: $c) { status } }`, { c: await caseIn("RESOLVED") }, { token: c.token }), expect: CASE_WRITERS },
  reopenCase: { run: async (c) => server.gql(`mutation($c: ID!) { reopenCase(caseId: $c, reason: CUSTOMER_DISAGREES) { status } }`, { c: await caseIn("RESOLVED") }, { token: c.token }), expect: CASE_WRITERS },
  recordCustomerContact: {
    run: async (c) =>
      server.gql(`mutation($c: ID!) { recordCustomerContact(caseId: $c, input: { kind: CALL, direction: OUTBOUND, outcome: REACHED, occurredAt: "2026-11-02T09:00:00.000Z" }) { id } }`, { c: await caseIn("ASSIGNED") }, { token: c.token }),
    expect: CASE_WRITERS,
  },
  addCaseAttachment: {
    run: async (c) =>
      server.gql(`mutation($c: ID!) { addCaseAttachment(caseId: $c, input: { fileName: "statement.pdf", mediaType: "application/pdf", sizeBytes: 2048, sha256: "${"ab".repeat(32)}" }) { id } }`, { c: await caseIn("ASSIGNED") }, { token: c.token }),
    expect: CASE_WRITERS,
  },
  recordSatisfactionSurvey: {
    run: async (c) => server.gql(`mutation($c: ID!) { recordSatisfactionSurvey(caseId: $c, score: 4) { score } }`, { c: await caseIn("CLOSED") }, { token: c.token }),
    expect: CASE_WRITERS,
  },
  // A regulatory deadline extension is the lead's decision (the fixtures' cases are complaints).
  extendRegulatoryDeadline: {
    run: async (c) =>
      server.gql(`mutation($c: ID!, $t: DateTimeISO!) { extendRegulatoryDeadline(caseId: $c, input: { toDays: 30, reason: "THIRD_PARTY_EVIDENCE", customerInformedAt: $t }) { id } }`, { c: await newCase(), t: server.clock.now().toISOString() }, { token: c.token }),
    expect: LEADS_ONLY,
  },
  // The 360 view follows the customer read path (security analysts get it without any content).
  customer360: { run: (c) => server.gql(`query($id: ID!) { customer360(customerId: $id) { casesTotal riskFlags { code } } }`, { id: customerId }, { token: c.token }), expect: CASE_READERS },
  // Supervision views: team leads (their line) and compliance (every line).
  openCasesByClockState: { run: (c) => server.gql(`{ openCasesByClockState { total } }`, {}, { token: c.token }), expect: SUPERVISORS },
  agentWorkload: { run: (c) => server.gql(`{ agentWorkload { staffId openCases } }`, {}, { token: c.token }), expect: SUPERVISORS },
  casesDueWithin: { run: (c) => server.gql(`{ casesDueWithin(hours: 24) { dueAt } }`, {}, { token: c.token }), expect: SUPERVISORS },
  caseRiskScores: { run: async (c) => (await ensureRiskModels(), server.gql(`{ caseRiskScores { caseId score modelVersion factors { feature } } }`, {}, { token: c.token })), expect: CASE_SCORERS },
  customerRiskScore: {
    run: async (c) => (await ensureRiskModels(), server.gql(`query($id: ID!) { customerRiskScore(customerId: $id) { score modelVersion } }`, { id: customerId }, { token: c.token })),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  riskModels: { run: async (c) => (await ensureRiskModels(), server.gql(`{ riskModels { target version auc } }`, {}, { token: c.token })), expect: RISK_MODEL_READERS },
  // The agent's own duty (kept on duty: the fixtures' cases need them).
  setAgentOnDuty: {
    run: (c) => server.gql(`mutation($s: ID!) { setAgentOnDuty(staffId: $s, onDuty: true) { onDuty } }`, { s: callers.get("AGENT")!.login!.id }, { token: c.token }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "FORBIDDEN", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  recordTraining: {
    run: (c) =>
      server.gql(`mutation($i: RecordTrainingInput!) { recordTraining(input: $i) { id } }`, {
        i: { staffId: callers.get("AGENT")!.login!.id, course: "COMPLAINTS_HANDLING", completedAt: "2026-10-01T00:00:00.000Z", expiresAt: "2027-10-01T00:00:00.000Z" },
      }, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  controlMeasures: { run: (c) => server.gql(`{ controlMeasures { id } }`, {}, { token: c.token }), expect: CONTROL_READERS },
  controlMeetings: { run: (c) => server.gql(`{ controlMeetings { id } }`, {}, { token: c.token }), expect: CONTROL_READERS },
  controlActionItems: { run: (c) => server.gql(`{ controlActionItems { id } }`, {}, { token: c.token }), expect: CONTROL_READERS },
  overdueControlItems: { run: (c) => server.gql(`{ overdueControlItems { asOf } }`, {}, { token: c.token }), expect: CONTROL_READERS },
  improvementSuggestions: { run: (c) => server.gql(`{ improvementSuggestions { id } }`, {}, { token: c.token }), expect: SUGGESTION_READERS },
  // Service quality (docs/service-quality.md): compliance every line, leads their own, auditors read; alerts
  // are compliance's (auditors read them).
  serviceQuality: {
    run: (c) => server.gql(`{ serviceQuality(from: "2026-11-01", to: "2026-11-02", cut: BUSINESS_LINE) { groups { cutValue } } }`, {}, { token: c.token }),
    expect: QUALITY_READERS,
  },
  qualityAlerts: { run: (c) => server.gql(`{ qualityAlerts { id } }`, {}, { token: c.token }), expect: QUALITY_ALERT_READERS },
  acknowledgeQualityAlert: {
    run: async (c) => {
      const [alert] = await server.sql<{ id: string }>(
        `INSERT INTO quality_alert (metric, period_from, period_to, cut_kind, cut_value, numerator, denominator, value, target, status, raised_at)
         VALUES ('CHURN_RATE', now() - interval '1 day', now() + (random() * 1000000) * interval '1 second', 'NONE', '', 1, 2, 0.5, 0.05, 'BREACHED', now()) RETURNING id`,
      );
      return server.gql(`mutation($id: ID!) { acknowledgeQualityAlert(id: $id) { id acknowledgedAt } }`, { id: alert.id }, { token: c.token });
    },
    expect: COMPLIANCE_ONLY,
  },
  createControlMeasure: {
    run: (c) =>
      server.gql(`mutation($i: CreateControlMeasureInput!) { createControlMeasure(input: $i) { id } }`, { i: { title: "t", objective: "o", ownerId: fixtures.id } }, { token: c.token }),
    expect: COMPLIANCE_ONLY,
  },
  updateControlMeasure: {
    run: async (c) => server.gql(`mutation($id: ID!) { updateControlMeasure(id: $id, input: { status: IN_PROGRESS }) { id } }`, { id: (await newControlMeasure(controlOwnerFor(c))).id }, { token: c.token }),
    expect: CONTROL_OWNERS,
  },
  addControlMilestone: {
    run: async (c) =>
      server.gql(`mutation($id: ID!) { addControlMilestone(measureId: $id, input: { title: "m2", dueAt: "2027-02-01T00:00:00.000Z" }) { id } }`, { id: (await newControlMeasure(controlOwnerFor(c))).id }, { token: c.token }),
    expect: COMPLIANCE_ONLY,
  },
  setControlMilestoneStatus: {
    run: async (c) => server.gql(`mutation($m: ID!) { setControlMilestoneStatus(milestoneId: $m, status: DONE) { id } }`, { m: (await newControlMeasure(controlOwnerFor(c))).milestoneId }, { token: c.token }),
    expect: CONTROL_OWNERS,
  },
  addControlEvidence: {
    run: async (c) => server.gql(`mutation($id: ID!) { addControlEvidence(measureId: $id, reference: "DMS:MATRIX-1") { id } }`, { id: (await newControlMeasure(controlOwnerFor(c))).id }, { token: c.token }),
    expect: CONTROL_OWNERS,
  },
  recordControlMeeting: {
    run: (c) => server.gql(`mutation($i: RecordControlMeetingInput!) { recordControlMeeting(input: $i) { id } }`, { i: { title: "m", heldAt: "2026-11-01T09:00:00.000Z", attendeeIds: [fixtures.id] } }, { token: c.token }),
    expect: COMPLIANCE_ONLY,
  },
  setControlActionItemStatus: {
    run: async (c) => server.gql(`mutation($i: ID!) { setControlActionItemStatus(id: $i, status: DONE) { id } }`, { i: await newActionItem(controlOwnerFor(c)) }, { token: c.token }),
    expect: CONTROL_OWNERS,
  },
  submitImprovementSuggestion: { run: (c) => server.gql(`mutation { submitImprovementSuggestion(text: "Matrix idea") { id } }`, {}, { token: c.token }), expect: STAFF_SUGGESTERS },
  reviewImprovementSuggestion: {
    run: async (c) => server.gql(`mutation($i: ID!) { reviewImprovementSuggestion(id: $i, decision: ACCEPTED) { id } }`, { i: await newSuggestion() }, { token: c.token }),
    expect: COMPLIANCE_ONLY,
  },
  // A throwaway account per caller, so no caller's own session is disturbed.
  setStaffUserActive: {
    run: async (c) => {
      const target = await server.staff("SECURITY_ANALYST");
      return server.gql(`mutation($id: ID!) { setStaffUserActive(id: $id, active: false) }`, { id: target.id }, { token: c.token });
    },
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "FORBIDDEN", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "OK", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  // Data protection is the compliance officer's alone: erasure, legal holds, subject access.
  // Ending a customer's relationship: the lead of the customer's line (and a core-banking app with scope
  // customers:close, which the matrix app does not have); never agents.
  closeCustomerRelationship: {
    run: async (c) =>
      server.gql(`mutation($id: ID!, $at: String!) { closeCustomerRelationship(customerId: $id, closedAt: $at, reasonCode: MOVED_BANK) { status closedAt } }`, { id: await newCustomer(), at: server.clock.now().toISOString() }, { token: c.token }),
    expect: LEADS_ONLY,
  },
  reopenCustomerRelationship: {
    run: async (c) => {
      const id = await newCustomer();
      const closed = await server.gql(`mutation($id: ID!, $at: String!) { closeCustomerRelationship(customerId: $id, closedAt: $at, reasonCode: OTHER) { status } }`, { id, at: server.clock.now().toISOString() }, { token: fixtures.token });
      expect(closed.errors).toBeUndefined();
      return server.gql(`mutation($id: ID!) { reopenCustomerRelationship(customerId: $id) { status } }`, { id }, { token: c.token });
    },
    expect: LEADS_ONLY,
  },
  eraseCustomer: {
    run: async (c) => server.gql(`mutation($id: ID!) { eraseCustomer(id: $id, reason: "GDPR-17") { customerId } }`, { id: await newCustomer() }, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  placeLegalHold: {
    run: async (c) => server.gql(`mutation($id: ID!) { placeLegalHold(customerId: $id, reason: "LIT-2026-7") { id } }`, { id: await newCustomer() }, { token: c.token }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  releaseLegalHold: {
    run: async (c) => {
      const compliance = callers.get("COMPLIANCE_OFFICER")!.token;
      const held = await server.gql(`mutation($id: ID!) { placeLegalHold(customerId: $id, reason: "LIT-2026-8") { id } }`, { id: await newCustomer() }, { token: compliance });
      return server.gql(`mutation($id: ID!) { releaseLegalHold(id: $id) { id } }`, { id: held.data!.placeLegalHold.id }, { token: c.token });
    },
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  // A subject access request is its own stated purpose.
  customerDataExport: {
    run: (c) => server.gql(`query($id: ID!) { customerDataExport(id: $id) }`, { id: customerId }, { token: c.token, purpose: "DATA_SUBJECT_REQUEST" }),
    expect: { AGENT: "FORBIDDEN", TEAM_LEAD: "FORBIDDEN", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "FORBIDDEN", ADMIN: "FORBIDDEN", AUDITOR: "FORBIDDEN", SERVICE: "FORBIDDEN" },
  },
  // Session operations act on the caller's own session; a machine identity has none.
  refreshSession: {
    run: (c) => server.gql(`mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }`, { r: c.refreshToken ?? "no-such-refresh-token-0123456789abcdef" }),
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "OK", AUDITOR: "OK", SERVICE: "UNAUTHENTICATED" },
  },
  changePassword: {
    run: async (c) => {
      if (!c.login) return server.gql(`mutation { changePassword(currentPassword: "x", newPassword: "y") }`, {}, { token: c.token });
      const own = await server.staff(c.role as StaffRole, c.login.businessLine);
      return server.gql(`mutation($o: String!) { changePassword(currentPassword: $o, newPassword: "a fresh long passphrase 7") }`, { o: own.password }, { token: own.token });
    },
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "OK", AUDITOR: "OK", SERVICE: "FORBIDDEN" },
  },
  logout: {
    run: async (c) => {
      if (!c.login) return server.gql(`mutation { logout }`, {}, { token: c.token });
      const own = await server.staff(c.role as StaffRole, c.login.businessLine);
      return server.gql(`mutation { logout }`, {}, { token: own.token });
    },
    expect: { AGENT: "OK", TEAM_LEAD: "OK", COMPLIANCE_OFFICER: "OK", SECURITY_ANALYST: "OK", ADMIN: "OK", AUDITOR: "OK", SERVICE: "FORBIDDEN" },
  },
};

/** How each PII field reads for each role, with current training and a stated purpose. */
const PII_LEVELS: Record<Role, Record<string, "full" | "masked" | "hidden">> = {
  AGENT: { fullName: "full", nationalId: "masked", phone: "full", email: "full", address: "full", summary: "full" },
  TEAM_LEAD: { fullName: "full", nationalId: "full", phone: "full", email: "full", address: "full", summary: "full" },
  COMPLIANCE_OFFICER: { fullName: "full", nationalId: "full", phone: "full", email: "full", address: "full", summary: "full" },
  SECURITY_ANALYST: { fullName: "hidden", nationalId: "hidden", phone: "hidden", email: "hidden", address: "hidden", summary: "hidden" },
  ADMIN: { fullName: "hidden", nationalId: "hidden", phone: "hidden", email: "hidden", address: "hidden", summary: "hidden" },
  AUDITOR: { fullName: "hidden", nationalId: "hidden", phone: "hidden", email: "hidden", address: "hidden", summary: "hidden" },
  SERVICE: { fullName: "full", nationalId: "full", phone: "full", email: "full", address: "full", summary: "full" },
};
const MASKED: Record<string, string> = { fullName: "M*** A***", nationalId: "****3322", phone: "861****5678", email: "m***@example.com", address: "***", summary: "[restricted]" };

beforeAll(async () => {
  server = await createTestServer();
  fixtures = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  for (const role of ROLES) {
    if (role === "SERVICE") {
      const actor = { principal: null, ability: null, meta: { requestId: "matrix", operation: "matrix", clientAddress: null, purpose: null } };
      const client = await server.custos.services.serviceClients.register(actor, { name: "matrix app", scopes: ["customers:read", "customers:read:pii", "customers:write", "cases:read", "cases:read:narrative", "cases:write", "audit:read"] });
      const res = await fetch(server.url.replace(/\/graphql$/, "/oauth/token"), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials", client_id: client.clientId, client_secret: client.clientSecret }),
      });
      callers.set(role, { role, token: ((await res.json()) as { access_token: string }).access_token });
      continue;
    }
    const login = await server.staff(role, role === "AGENT" || role === "TEAM_LEAD" ? "PERSONAL_BANKING" : null);
    const session = await server.gql(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }`, { e: login.email, p: login.password });
    callers.set(role, { role, token: login.token, login, refreshToken: session.data!.login.refreshToken });
  }
  customerId = await newCustomer(CUSTOMER.nationalId);
  caseId = await newCase();
}, 120_000);
afterAll(() => server?.stop());

describe("authorization matrix (HTTP)", () => {
  it("covers every query and mutation of the schema, and names none that is not there", async () => {
    const res = await server.gql(`{ __schema { queryType { fields { name } } mutationType { fields { name } } } }`);
    const names = [...res.data!.__schema.queryType.fields, ...res.data!.__schema.mutationType.fields].map((f: { name: string }) => f.name).sort();
    expect(Object.keys(OPERATIONS).sort()).toEqual(names);
  });

  for (const [name, op] of Object.entries(OPERATIONS)) {
    it.each(ROLES)(`${name} as %s`, async (role) => {
      expect(outcome(await op.run(callers.get(role)!))).toBe(op.expect[role]);
    });
  }
});

describe("PII fields by role (HTTP)", () => {
  it.each(ROLES)("%s reads each PII field of an in-scope customer and case at its level", async (role) => {
    const { token } = callers.get(role)!;
    const read = await server.gql(
      `query($c: ID!, $k: ID!) { customer(id: $c) { fullName nationalId phone email address } case(id: $k) { summary } }`,
      { c: customerId, k: caseId },
      { token },
    );
    if (PII_LEVELS[role].fullName === "hidden" && (role === "ADMIN" || role === "AUDITOR")) {
      expect(read.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(read.data).toBeNull();
      return;
    }
    expect(read.errors).toBeUndefined();
    const seen: Record<string, unknown> = { ...read.data!.customer, summary: read.data!.case.summary };
    const expected = Object.fromEntries(
      Object.entries(PII_LEVELS[role]).map(([field, level]) => [
        field,
        level === "hidden" ? null : level === "masked" ? MASKED[field] : field === "summary" ? SUMMARY : CUSTOMER[field as keyof typeof CUSTOMER],
      ]),
    );
    expect(seen).toEqual(expected);
  });
});
