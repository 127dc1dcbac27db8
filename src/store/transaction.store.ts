// A customer's transaction history: read-only records, visible with the customer's "transactions" field.
import { CustomerTransactionEntity } from "../entities";
import { notFound } from "../errors";
import { permittedFields } from "../policies";
import type { UnitOfWork } from "./audited-store";
import { assertCustomerReadable } from "./customer.store";
import { decodeCursor, pageSize, toPage, type Page, type PageRequest } from "./paging";
import { requireActor } from "./store-support";

export interface TransactionView {
  id: string;
  businessLine: string;
  occurredAt: Date;
  kind: string;
  amountMinor: string;
  currency: string;
  description: string;
}

export async function listTransactions(uow: UnitOfWork, customerId: string, page: PageRequest): Promise<Page<TransactionView>> {
  const { ability } = requireActor(uow);
  const customer = await assertCustomerReadable(uow, customerId, "customer.transactions.read");
  if (!permittedFields(ability, "read", "Customer", { ...customer }).includes("transactions")) {
    uow.recordAttempt({ action: "customer.transactions.read", resourceType: "customer", resourceId: customerId, outcome: "DENIED" });
    throw notFound("Customer");
  }
  const size = pageSize(page.first);
  const after = decodeCursor(page.after, "time");
  const qb = uow.em.createQueryBuilder(CustomerTransactionEntity, "t").where("t.customer_id = :customerId", { customerId });
  const totalCount = await qb.getCount();
  if (after) qb.andWhere("(t.occurred_at, t.id) < (:afterAt, :afterId)", { afterAt: after[0], afterId: after[1] });
  const rows = await qb.orderBy("t.occurred_at", "DESC").addOrderBy("t.id", "DESC").take(size + 1).getMany();
  uow.record({
    action: "customer.transactions.read",
    resourceType: "customer",
    resourceId: customerId,
    outcome: "SUCCESS",
    fields: ["transactions"],
    details: { count: Math.min(rows.length, size) },
  });
  return toPage(rows, size, totalCount, (r) => ({ ...r }), (r) => [r.occurredAt.toISOString(), r.id]);
}
