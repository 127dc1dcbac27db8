// The demo: a team per business line, staff of every role, ~50 customers with history and ~200 cases.
// Deterministic (seeded PRNG) so that demos and screenshots repeat.
import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { DAY_MS, HOUR_MS, type Clock } from "../clock";
import { hashPassword } from "../crypto";
import { BUSINESS_LINES, CASE_KINDS, CHANNELS, MANDATORY_TRAINING_COURSE, type BusinessLine, type CaseStatus, type StaffRole } from "../domain/enums";
import { StaffTrainingEntity, StaffUserEntity, TeamEntity } from "../entities";
import type { Services } from "../services";
import { defineAbilityFor } from "../policies";
import type { AuditActor } from "../store/audited-store";
import { insertSeedData, type SeedCase, type SeedCustomer } from "../store/seed.store";
import { startSeededCaseClocks } from "../store/case-clock-hooks";
import { seedRiskHistory } from "./risk-history";

export const DEMO_PASSWORD = "custos-demo-password";

const LINE_SLUG: Record<BusinessLine, string> = {
  PERSONAL_BANKING: "personal",
  CORPORATE_FINANCE: "corporate",
  SECURITIES: "securities",
  INSURANCE: "insurance",
};

const CATEGORIES: Record<BusinessLine, string[]> = {
  PERSONAL_BANKING: ["card.dispute", "account.fees", "transfer.delay", "mortgage.terms", "online.access"],
  CORPORATE_FINANCE: ["loan.covenant", "trade.finance", "cash.management", "fees.billing"],
  SECURITIES: ["order.execution", "fund.suitability", "statement.error", "margin.call"],
  INSURANCE: ["claim.delay", "claim.denied", "policy.misselling", "premium.change"],
};

const FIRST = ["Wei", "Li", "Mei", "Jun", "Anna", "Lukas", "Sofia", "Omar", "Priya", "Kenji", "Elena", "Tomás", "Amara", "Noah", "Yuki", "Ines"];
const LAST = ["Zhang", "Wang", "Chen", "Müller", "Rossi", "García", "Haddad", "Sharma", "Tanaka", "Novak", "Okafor", "Silva", "Lindqvist"];
const STREETS = ["Harbour Road", "Nanjing West Road", "Kingsway", "Rue de Rivoli", "Main Street", "Orchard Road", "Via Roma"];

/** mulberry32: small, fast, deterministic; not for anything secret. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
  return { next, int, pick };
}

export interface SeedSummary {
  staff: number;
  customers: number;
  cases: number;
}

interface StaffSpec {
  email: string;
  name: string;
  role: StaffRole;
  line: BusinessLine | null;
}

function staffSpecs(): StaffSpec[] {
  const specs: StaffSpec[] = [];
  for (const line of BUSINESS_LINES) {
    const slug = LINE_SLUG[line];
    specs.push({ email: `agent.${slug}@demo.custos`, name: `Agent (${slug})`, role: "AGENT", line });
    specs.push({ email: `agent2.${slug}@demo.custos`, name: `Second agent (${slug})`, role: "AGENT", line });
    specs.push({ email: `lead.${slug}@demo.custos`, name: `Team lead (${slug})`, role: "TEAM_LEAD", line });
  }
  specs.push({ email: "compliance@demo.custos", name: "Compliance officer", role: "COMPLIANCE_OFFICER", line: null });
  specs.push({ email: "security@demo.custos", name: "Security analyst", role: "SECURITY_ANALYST", line: null });
  specs.push({ email: "admin@demo.custos", name: "Administrator", role: "ADMIN", line: null });
  specs.push({ email: "auditor@demo.custos", name: "External auditor", role: "AUDITOR", line: null });
  return specs;
}

export const DEMO_SEED = 20261128;

const DEMO_SKILLS: Record<BusinessLine, string> = {
  PERSONAL_BANKING: "fraud",
  CORPORATE_FINANCE: "trade-finance",
  SECURITIES: "suitability",
  INSURANCE: "misselling",
};

/** Acts as a demo staff member through the real services, so the demo's history is in the audit log. */
function demoActor(id: string, spec: StaffSpec, teamId: string | null): AuditActor {
  const principal = { id, role: spec.role, businessLine: spec.line, teamId, kind: "staff" as const, trainingCurrent: true, scopes: [] };
  return { principal, ability: defineAbilityFor(principal, { purpose: "CASE_HANDLING" }), meta: { requestId: `seed-${randomUUID()}`, operation: "seed", clientAddress: null, purpose: "CASE_HANDLING" } };
}

/**
 * The case-handling features end to end on personal-banking cases: an idempotent regulator referral with a
 * recusal, routed by skill, worked through contacts, an attachment, a customer wait, resolution, closure
 * and a survey; one escalated case; one reopened. Returns how many cases it opened.
 */
async function demoCaseHandling(services: Services, staffIds: Map<string, string>, specs: StaffSpec[], teams: Map<BusinessLine, TeamEntity>, clock: Clock): Promise<number> {
  const who = (email: string) => demoActor(staffIds.get(email)!, specs.find((s) => s.email === email)!, teams.get("PERSONAL_BANKING")!.id);
  const lead = who("lead.personal@demo.custos");
  const agent = who("agent.personal@demo.custos");
  const page = await services.cases.list(lead, { businessLine: "PERSONAL_BANKING" }, { first: 1 }, []);
  const customerId = page.items[0]?.customerId;
  if (!customerId) return 0;
  const intake = {
    customerId,
    channel: "REGULATOR_REFERRAL" as const,
    kind: "COMPLAINT" as const,
    category: "card.fraud",
    complexity: "COMPLEX" as const,
    businessLine: "PERSONAL_BANKING" as const,
    summary: "Referred by the regulator: disputed card transactions the customer did not authorise",
    idempotencyKey: "demo-referral-0001",
    involvedStaffIds: [staffIds.get("agent2.personal@demo.custos")!],
  };
  const referral = await services.cases.open(lead, intake);
  await services.cases.open(lead, intake); // the retry returns the same case (case.open.replay)
  const h = services.caseHandling;
  await h.start(agent, referral.id);
  await h.recordContact(agent, referral.id, { kind: "CALLBACK", direction: "OUTBOUND", outcome: "REACHED", occurredAt: clock.now(), summary: "Confirmed the disputed transactions with the customer" });
  await h.addAttachment(agent, referral.id, { fileName: "card-statement.pdf", mediaType: "application/pdf", sizeBytes: 84211, sha256: "9f".repeat(32) });
  await h.awaitCustomer(agent, referral.id, "DOCUMENTS_REQUESTED");
  await h.resume(agent, referral.id);
  await services.cases.resolve(agent, referral.id, "Transactions refunded and the card replaced", {
    outcome: "UPHELD",
    rootCauseCode: "FRAUD",
    redressAmount: "2380.00",
    redressCurrency: "CNY",
    finalResponseSentAt: clock.now(),
  });
  await h.recordResolution(agent, referral.id, { customerAccepted: true });
  await h.close(agent, referral.id);
  await h.recordSurvey(agent, referral.id, 5, "Handled quickly and kept informed");

  const escalated = await services.cases.open(lead, { ...intake, channel: "BRANCH", category: "account.fees", summary: "Fees charged after the account was closed", idempotencyKey: null, involvedStaffIds: [] });
  await h.escalate(lead, escalated.id, "CUSTOMER_DISSATISFIED");

  const reopened = await services.cases.open(lead, { ...intake, kind: "SERVICE_REQUEST", channel: "APP", category: "online.access", complexity: "COMMON", summary: "Cannot log in to online banking", idempotencyKey: null, involvedStaffIds: [] });
  // Whoever it went to, the lead may act on any case of the line.
  await services.cases.resolve(lead, reopened.id, "Password reset", { outcome: "UPHELD", rootCauseCode: "SYSTEM_ERROR" });
  await h.reopen(lead, reopened.id, "RESOLUTION_FAILED");
  return 3;
}

/** The personal-banking lead closes three of the line's relationships 3, 10 and 20 days before `now`. */
async function demoClosedRelationships(services: Services, staffIds: Map<string, string>, specs: StaffSpec[], teams: Map<BusinessLine, TeamEntity>, now: Date): Promise<number> {
  const email = "lead.personal@demo.custos";
  const lead = demoActor(staffIds.get(email)!, specs.find((s) => s.email === email)!, teams.get("PERSONAL_BANKING")!.id);
  const page = await services.customers.list(lead, {}, { first: 3 }, []);
  const closings = [
    [3, "MOVED_BANK"],
    [10, "DISSATISFIED"],
    [20, "DECEASED"],
  ] as const;
  let closed = 0;
  for (const [i, customer] of page.items.entries()) {
    const [daysAgo, reason] = closings[i];
    await services.customerRelationships.close(lead, customer.id, new Date(now.getTime() - daysAgo * DAY_MS).toISOString(), reason);
    closed++;
  }
  return closed;
}

/** The demo's customers: deterministic for a seed and a clock, so tests can look for their PII. */
export function generateDemoCustomers(seed: number, now: Date, count: number): SeedCustomer[] {
  const rnd = prng(seed);
  const customers: SeedCustomer[] = [];
  for (let i = 0; i < count; i++) {
    const first = rnd.pick(FIRST);
    const last = rnd.pick(LAST);
    const lines = [...new Set([rnd.pick(BUSINESS_LINES), ...(rnd.next() < 0.3 ? [rnd.pick(BUSINESS_LINES)] : [])])];
    const createdAt = new Date(now.getTime() - rnd.int(200, 900) * DAY_MS);
    customers.push({
      pii: {
        fullName: `${first} ${last}`,
        nationalId: `ID${String(4100000000 + i * 7919 + rnd.int(0, 999)).padStart(10, "0")}`,
        phone: `+86 138 ${String(rnd.int(1000, 9999))} ${String(1000 + i).padStart(4, "0")}`,
        email: `${first}.${last}.${i}@example.com`.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""),
        address: `${rnd.int(1, 400)} ${rnd.pick(STREETS)}, Unit ${rnd.int(1, 60)}`,
      },
      businessLines: lines,
      createdAt,
      transactions: Array.from({ length: rnd.int(3, 12) }, () => ({
        businessLine: rnd.pick(lines),
        occurredAt: new Date(now.getTime() - rnd.int(1, 180) * DAY_MS - rnd.int(0, 23) * HOUR_MS),
        kind: rnd.pick(["DEPOSIT", "WITHDRAWAL", "TRANSFER", "CARD_PAYMENT", "FEE", "PREMIUM", "TRADE"]),
        amountMinor: rnd.int(500, 2_500_000),
        currency: "CNY",
        description: rnd.pick(["Branch deposit", "Card payment", "Standing order", "Monthly fee", "Policy premium", "Equity trade"]),
      })),
    });
  }
  return customers;
}

/** Seeds the demo. With onlyIfEmpty, does nothing (and returns null) when any staff user exists. */
export async function seedDemo(
  ds: DataSource,
  services: Services,
  opts: { clock: Clock; onlyIfEmpty: boolean; customers?: number; cases?: number; seed?: number },
): Promise<SeedSummary | null> {
  if (opts.onlyIfEmpty && (await ds.getRepository(StaffUserEntity).count()) > 0) return null;
  const now = opts.clock.now();

  const teams = new Map<BusinessLine, TeamEntity>();
  for (const line of BUSINESS_LINES) {
    teams.set(line, await ds.getRepository(TeamEntity).save({ name: `${LINE_SLUG[line]} after-sales`, businessLine: line }));
  }
  const agents = new Map<BusinessLine, string[]>();
  const staffIds = new Map<string, string>();
  const specs = staffSpecs();
  for (const spec of specs) {
    const user = await ds.getRepository(StaffUserEntity).save({
      email: spec.email,
      displayName: spec.name,
      role: spec.role,
      businessLine: spec.line,
      teamId: spec.line ? teams.get(spec.line)!.id : null,
      passwordHash: await hashPassword(DEMO_PASSWORD),
      active: true,
      accessExpiresAt: spec.role === "AUDITOR" ? new Date(now.getTime() + 90 * DAY_MS) : null,
    });
    // Everyone holds the mandatory course except the second personal-banking agent, whose training
    // lapsed: the demo shows PII masked for them.
    const lapsed = spec.email === "agent2.personal@demo.custos";
    const completedAt = new Date(now.getTime() - (lapsed ? 400 : 30) * DAY_MS);
    await ds.getRepository(StaffTrainingEntity).save({
      staffId: user.id,
      course: MANDATORY_TRAINING_COURSE,
      completedAt,
      expiresAt: new Date(completedAt.getTime() + 365 * DAY_MS),
      recordedBy: null,
      recordedAt: completedAt,
    });
    if (spec.role === "AGENT" && spec.line) agents.set(spec.line, [...(agents.get(spec.line) ?? []), user.id]);
    staffIds.set(spec.email, user.id);
  }
  // Assignment data: the first agent of each line holds the line's specialist skill (see the migration's
  // assignment rules); the second insurance agent is off duty, so new insurance cases skip them.
  for (const [line, skill] of Object.entries(DEMO_SKILLS)) {
    await ds.query(`INSERT INTO staff_skill (staff_id, skill) VALUES ($1, $2)`, [staffIds.get(`agent.${LINE_SLUG[line as BusinessLine]}@demo.custos`), skill]);
  }
  await ds.query(`INSERT INTO staff_duty (staff_id, on_duty, changed_at) VALUES ($1, false, $2)`, [staffIds.get("agent2.insurance@demo.custos"), now]);

  const customers = generateDemoCustomers(opts.seed ?? DEMO_SEED, now, opts.customers ?? 50);
  const rnd = prng((opts.seed ?? DEMO_SEED) + 1);

  const cases: SeedCase[] = [];
  const caseCount = opts.cases ?? 200;
  const statuses: CaseStatus[] = ["NEW", "ASSIGNED", "IN_PROGRESS", "AWAITING_CUSTOMER", "ESCALATED", "RESOLVED", "RESOLVED", "CLOSED", "CLOSED", "CLOSED"];
  for (let i = 0; i < caseCount; i++) {
    const customerIndex = rnd.int(0, customers.length - 1);
    const line = rnd.pick(customers[customerIndex].businessLines);
    const status = rnd.pick(statuses);
    const receivedAt = new Date(now.getTime() - rnd.int(1, 120) * DAY_MS - rnd.int(0, 23) * HOUR_MS);
    const responded = status !== "NEW" && status !== "ASSIGNED" ? new Date(receivedAt.getTime() + rnd.int(1, 60) * HOUR_MS) : null;
    const resolved = status === "RESOLVED" || status === "CLOSED" ? new Date(receivedAt.getTime() + rnd.int(12, 400) * HOUR_MS) : null;
    const closed = status === "CLOSED" && resolved ? new Date(resolved.getTime() + rnd.int(1, 7) * DAY_MS) : null;
    const kind = rnd.pick(CASE_KINDS);
    cases.push({
      customerIndex,
      channel: kind === "COMPLAINT" && rnd.next() < 0.1 ? "REGULATOR_REFERRAL" : rnd.pick(CHANNELS.filter((c) => c !== "REGULATOR_REFERRAL")),
      kind,
      category: rnd.pick(CATEGORIES[line]),
      complexity: rnd.next() < 0.35 ? "COMPLEX" : "COMMON",
      businessLine: line,
      teamId: teams.get(line)!.id,
      assigneeId: status === "NEW" ? null : rnd.pick(agents.get(line)!),
      status,
      receivedAt,
      firstRespondedAt: responded,
      resolvedAt: resolved,
      closedAt: closed,
      summary: `${customers[customerIndex].pii.fullName} reports a problem (${rnd.pick(CATEGORIES[line])}); reachable at ${customers[customerIndex].pii.phone}.`,
    });
  }

  // Two open cases arrived recently, so the demo shows warned clocks next to the breached ones of older
  // open cases (set after the generator ran, so every other value stays as the seed made it).
  const recent = (complexity: "COMMON" | "COMPLEX") => cases.find((c) => c.status === "ASSIGNED" && c.complexity === complexity && c.receivedAt.getTime() < now.getTime() - 3 * DAY_MS);
  for (const [c, hoursAgo] of [[recent("COMMON"), 20], [recent("COMPLEX"), 40]] as const) if (c) c.receivedAt = new Date(now.getTime() - hoursAgo * HOUR_MS);

  const actor = { principal: null, ability: null, meta: { requestId: `seed-${randomUUID()}`, operation: "seed", clientAddress: null, purpose: "demo-seed" } };
  await services.store.run(actor, { action: "seed", resourceType: "database" }, (uow) => insertSeedData(uow, services.cipher, customers, cases));
  // Their clocks, through the workflow's clock hooks at the recorded instants (same audit path).
  await services.store.run(actor, { action: "seed.clocks", resourceType: "database" }, (uow) => startSeededCaseClocks(uow));
  // The summary counts the generated cases; the case-handling walk-through adds three more on top.
  await demoCaseHandling(services, staffIds, specs, teams, opts.clock);
  // A few relationships ended this month, so the demo's churn figure has data (docs/service-quality.md).
  await demoClosedRelationships(services, staffIds, specs, teams, now);
  // Two years of finished cases with a real signal, for `custos risk train` (docs/risk-model.md).
  await seedRiskHistory(services, actor, { now, teams: new Map([...teams].map(([l, t]) => [l, t.id])), agents });
  return { staff: specs.length, customers: customers.length, cases: cases.length };
}
