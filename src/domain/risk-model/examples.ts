// Training examples from history rows. A case is seen at landmark ages (0, 1, 3, 7, 14 days after
// receipt) while it was still open and nothing adverse had happened yet, labelled by whether anything
// adverse happened afterwards: exactly the question a score answers for an open case of that age.
import { DAY_MS } from "../../clock";
import { encodeCase, encodeCustomer, type CaseRiskRaw, type CustomerRiskRaw } from "./features";
import type { RiskExample } from "./model";

export const CASE_LANDMARK_DAYS: readonly number[] = [0, 1, 3, 7, 14];

export interface CaseOutcomeRow {
  receivedAt: Date;
  finishedAt: Date | null;
  adverseAt: Date | null;
  raw: Omit<CaseRiskRaw, "caseAgeDays">;
}

export function caseExamples(rows: readonly CaseOutcomeRow[], landmarks: readonly number[] = CASE_LANDMARK_DAYS): RiskExample[] {
  const out: RiskExample[] = [];
  for (const r of rows) {
    if (!r.finishedAt) continue; // still open: its outcome is not known yet
    for (const days of landmarks) {
      const at = r.receivedAt.getTime() + days * DAY_MS;
      // A landmark counts only while the case was open and not yet adverse (landmark 0 always does).
      if (days > 0 && (r.finishedAt.getTime() <= at || (r.adverseAt !== null && r.adverseAt.getTime() <= at))) break;
      if (days === 0 && r.adverseAt !== null && r.adverseAt.getTime() <= at) break;
      // Every landmark of a case is dated at its receipt, so a time split keeps a case on one side.
      out.push({ values: encodeCase({ ...r.raw, caseAgeDays: days }), label: r.adverseAt !== null ? 1 : 0, at: r.receivedAt });
    }
  }
  return out;
}

export interface CustomerOutcomeRow {
  anchor: Date;
  closed: boolean;
  raw: CustomerRiskRaw;
}

export function customerExamples(rows: readonly CustomerOutcomeRow[]): RiskExample[] {
  return rows.map((r) => ({ values: encodeCustomer(r.raw), label: r.closed ? 1 : 0, at: r.anchor }));
}
