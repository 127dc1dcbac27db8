// The customer 360 view (issue 7, item 7): one read of a customer's profile, first page of transactions,
// every case the reader may see with its clocks and survey, and risk flags — each part through the
// same scoped, field-masked, audited read paths as the rest of the API (one audit event per object).
import type { CustomerPiiField } from "../domain/enums";
import { permittedFields, rulesToSql } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { loadClockStates } from "./case-clock.store";
import type { CaseWithClocks } from "./case-lead.store";
import { CASE_COLUMNS, listCases, type CaseTextField } from "./case.store";
import type { CustomerCipher } from "./customer-cipher";
import { readCustomer, type CustomerView } from "./customer.store";
import { MAX_PAGE_SIZE, type Page } from "./paging";
import { riskFlagsOf, type RiskCaseRow, type RiskFlag } from "./customer-360-flags";
import { requireActor } from "./store-support";
import { listTransactions, type TransactionView } from "./transaction.store";

export interface Customer360View {
  profile: CustomerView;
  /** The first page, newest first; null when the reader's role does not see transactions. */
  transactions: Page<TransactionView> | null;
  /** Newest first, at most MAX_PAGE_SIZE; casesTotal counts them all. */
  cases: CaseWithClocks[];
  casesTotal: number;
  riskFlags: RiskFlag[];
}

export const CUSTOMER_360_TRANSACTIONS = 20;

export async function readCustomer360(
  uow: UnitOfWork,
  cipher: CustomerCipher,
  customerId: string,
  wantedPii: readonly CustomerPiiField[],
  wantedCaseText: readonly CaseTextField[],
): Promise<Customer360View> {
  // The profile first: it checks the reader may see this customer at all (missing and out of scope
  // look alike) and records the read with the PII fields decrypted or masked.
  const profile = await readCustomer(uow, cipher, customerId, wantedPii);
  const { ability } = requireActor(uow);
  const row = { id: profile.id, businessLines: profile.businessLines, status: profile.status };
  const transactions = permittedFields(ability, "read", "Customer", row).includes("transactions")
    ? await listTransactions(uow, profile.id, { first: CUSTOMER_360_TRANSACTIONS })
    : null;
  if (!ability.can("read", "Case")) {
    return { profile, transactions, cases: [], casesTotal: 0, riskFlags: [] };
  }
  const page = await listCases(uow, cipher, { customerId: profile.id }, { first: MAX_PAGE_SIZE }, wantedCaseText);
  // Flags look at every case of the customer the reader may see (scoped in SQL), not just this page.
  const scope = rulesToSql(ability, "read", "Case", CASE_COLUMNS);
  const riskRows: RiskCaseRow[] = (
    await uow.em
      .createQueryBuilder()
      .from("support_case", "s")
      .leftJoin("case_survey", "v", "v.case_id = s.id")
      .select("s.id", "id")
      .addSelect("s.kind", "kind")
      .addSelect("s.channel", "channel")
      .addSelect("s.status", "status")
      .addSelect("s.received_at", "receivedAt")
      .addSelect("v.score", "surveyScore")
      .addSelect("v.recorded_at", "surveyAt")
      .where("s.customer_id = :customerId", { customerId: profile.id })
      .andWhere(scope.sql, scope.params)
      .orderBy("s.received_at", "DESC")
      .getRawMany()
  ).map((r) => ({ ...r, receivedAt: new Date(r.receivedAt), surveyAt: r.surveyAt ? new Date(r.surveyAt) : null }));
  const clocks = await loadClockStates(uow, riskRows.map((r) => r.id));
  const riskFlags = riskFlagsOf(riskRows, clocks, uow.now);
  uow.record({
    action: "customer.risk_flags.read",
    resourceType: "customer",
    resourceId: profile.id,
    outcome: "SUCCESS",
    details: { flags: riskFlags.map((f) => f.code).join(","), cases: riskRows.length },
  });
  const cases = page.items.map((c) => ({ ...c, clocks: clocks.get(c.id) ?? [] }));
  return { profile, transactions, cases, casesTotal: page.totalCount, riskFlags };
}
