// The risk models' demo history: two years of finished cases with a REAL signal, generated from a seeded
// PRNG. Each customer has a hidden propensity; it makes complaints, late responses, escalations, poor
// surveys and leaving more likely together, so past complaints, breaches and dissatisfaction (what the
// models see) predict escalation and churn (what they are asked), without the models ever seeing it.
import { DAY_MS, HOUR_MS } from "../clock";
import { BUSINESS_LINES, CHANNELS, type BusinessLine, type CaseKind } from "../domain/enums";
import { seededRandom } from "../domain/risk-model";
import type { Services } from "../services";
import type { AuditActor } from "../store/audited-store";
import { insertRiskHistory, type HistoryCase, type HistoryCustomer } from "../store/risk-history.store";

export const RISK_HISTORY_SEED = 9082026;

export interface RiskHistoryOptions {
  now: Date;
  /** Team id per business line, and the agents who owned the cases. */
  teams: ReadonlyMap<BusinessLine, string>;
  agents: ReadonlyMap<BusinessLine, readonly string[]>;
  customers?: number;
  seed?: number;
}

const CATEGORIES: Record<BusinessLine, string[]> = {
  PERSONAL_BANKING: ["card.dispute", "account.fees", "transfer.delay", "mortgage.terms"],
  CORPORATE_FINANCE: ["loan.covenant", "cash.management", "fees.billing"],
  SECURITIES: ["order.execution", "statement.error", "margin.call"],
  INSURANCE: ["claim.delay", "claim.denied", "premium.change"],
};
const FIRST = ["Hana", "Ravi", "Lena", "Marco", "Aiko", "Felix", "Nadia", "Chen", "Ola", "Diego", "Sara", "Ibrahim"];
const LAST = ["Berg", "Costa", "Fischer", "Kowalski", "Lin", "Moreau", "Nakamura", "Osei", "Park", "Quispe"];
const CAUSES = ["PROCESS_ERROR", "SYSTEM_ERROR", "STAFF_CONDUCT", "COMMUNICATION", "DELAY", "PRICING_FEES", "NO_FAULT_FOUND"];

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function generateRiskHistory(opts: RiskHistoryOptions): { customers: HistoryCustomer[]; cases: HistoryCase[] } {
  const rnd = seededRandom(opts.seed ?? RISK_HISTORY_SEED);
  const int = (min: number, max: number) => min + Math.floor(rnd() * (max - min + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const now = opts.now.getTime();
  const customers: HistoryCustomer[] = [];
  const cases: HistoryCase[] = [];
  const count = opts.customers ?? 400;
  for (let i = 0; i < count; i++) {
    const propensity = normal();
    const first = pick(FIRST);
    const last = pick(LAST);
    const lines = [...new Set([pick(BUSINESS_LINES), ...(rnd() < 0.25 ? [pick(BUSINESS_LINES)] : [])])];
    customers.push({
      pii: {
        fullName: `${first} ${last}`,
        nationalId: `RH${String(7300000000 + i * 104729 + int(0, 99)).padStart(10, "0")}`,
        phone: `+86 137 ${String(int(1000, 9999))} ${String(i % 10000).padStart(4, "0")}`,
        email: `${first}.${last}.h${i}@example.net`.toLowerCase(),
        address: `${int(1, 300)} Archive Street, Unit ${int(1, 40)}`,
      },
      businessLines: lines,
      createdAt: new Date(now - int(750, 1500) * DAY_MS),
      closed: rnd() < sigmoid(-2.2 + 1.4 * propensity),
    });
    const caseCount = 1 + int(0, 2) + (propensity > 0.5 ? int(1, 3) : 0);
    for (let k = 0; k < caseCount; k++) {
      const line = pick(lines);
      const complaint = rnd() < sigmoid(-0.6 + 0.9 * propensity);
      const kind: CaseKind = complaint ? "COMPLAINT" : pick(["INQUIRY", "SERVICE_REQUEST"] as const);
      const referral = complaint && rnd() < 0.08 + 0.06 * Math.max(propensity, 0);
      const complexity = rnd() < 0.35 ? "COMPLEX" : "COMMON";
      const adverse = rnd() < sigmoid(-1.5 + 1.3 * propensity + 0.5 * (complaint ? 1 : 0) + 0.6 * (referral ? 1 : 0));
      const receivedAt = now - int(20, 700) * DAY_MS - int(0, 23) * HOUR_MS;
      // On time: answered within the 48 h first-response clock and, for COMMON cases, resolved within 24 h.
      // Adverse: answered late (a breach) or escalated by the team lead.
      const escalate = adverse && rnd() < 0.5;
      const firstResponse = receivedAt + (adverse && !escalate ? int(50, 120) : complexity === "COMMON" ? int(1, 12) : int(1, 40)) * HOUR_MS;
      const escalatedAt = escalate ? receivedAt + int(2, 30) * HOUR_MS : null;
      const resolved = complexity === "COMMON" && !adverse ? firstResponse + int(1, 10) * HOUR_MS : firstResponse + int(1, 5) * DAY_MS;
      const closed = resolved + int(1, 5) * DAY_MS;
      const outcome = complaint ? pick(["UPHELD", "UPHELD", "PARTLY_UPHELD", "NOT_UPHELD", "NOT_UPHELD"] as const) : "UPHELD";
      const score = Math.round(4.2 - 1.6 * (adverse ? 1 : 0) - 0.5 * propensity + (rnd() - 0.5) * 2);
      cases.push({
        customerIndex: i,
        channel: referral ? "REGULATOR_REFERRAL" : pick(CHANNELS.filter((c) => c !== "REGULATOR_REFERRAL")),
        kind,
        category: pick(CATEGORIES[line]),
        complexity,
        businessLine: line,
        teamId: opts.teams.get(line)!,
        assigneeId: pick(opts.agents.get(line)!),
        receivedAt: new Date(receivedAt),
        firstRespondedAt: new Date(firstResponse),
        escalatedAt: escalatedAt === null ? null : new Date(escalatedAt),
        resolvedAt: new Date(resolved),
        closedAt: new Date(closed),
        finalResponseSentAt: complaint ? new Date(resolved) : null,
        outcome,
        rootCauseCode: pick(CAUSES),
        redressAmount: complaint && outcome !== "NOT_UPHELD" ? `${int(50, 20000)}.00` : null,
        survey: rnd() < 0.6 ? { score: Math.min(5, Math.max(1, score)), at: new Date(closed + DAY_MS) } : null,
        summary: `Archived ${kind.toLowerCase()} about ${pick(CATEGORIES[line])}`,
      });
    }
  }
  return { customers, cases };
}

/** Writes the generated history through the audited store (one unit of work). */
export async function seedRiskHistory(services: Services, actor: AuditActor, opts: RiskHistoryOptions): Promise<{ customers: number; cases: number }> {
  const { customers, cases } = generateRiskHistory(opts);
  return services.store.run(actor, { action: "seed.risk_history", resourceType: "database" }, (uow) => insertRiskHistory(uow, services.cipher, customers, cases));
}
