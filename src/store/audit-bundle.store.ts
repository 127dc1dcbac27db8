// What export bundles need to know about customers and cases (docs/audit-bundle-format.md §2): a customer's
// case ids, and which values of audit events name an erased subject. The rest of the bundle SQL reads only
// audit tables (src/audit/bundle-store.ts).
import type { EntityManager } from "typeorm";

/** The ids of a customer's cases (a customer bundle holds their events too). */
export async function selectCustomerCaseIds(em: EntityManager, customerId: string): Promise<string[]> {
  const rows: Array<{ id: string }> = await em.query(`SELECT id::text AS id FROM support_case WHERE customer_id = $1 ORDER BY id`, [customerId]);
  return rows.map((r) => r.id);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Which of `candidates` (resource ids and detail values of a batch) name an erased subject: an erased
 * customer or one of their cases, by id or by reference. Maps each such value to the erased customer's id.
 */
export async function selectErasedSubjects(em: EntityManager, candidates: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const values = [...new Set(candidates)];
  if (values.length === 0) return found;
  const uuids = values.filter((v) => UUID.test(v)).map((v) => v.toLowerCase());
  const rows: Array<{ key: string; customer_id: string }> = await em.query(
    `SELECT c.id::text AS key, c.id::text AS customer_id FROM customer c WHERE c.status = 'ERASED' AND c.id = ANY($1::uuid[])
     UNION ALL
     SELECT c.reference, c.id::text FROM customer c WHERE c.status = 'ERASED' AND c.reference = ANY($2::text[])
     UNION ALL
     SELECT s.id::text, c.id::text FROM support_case s JOIN customer c ON c.id = s.customer_id WHERE c.status = 'ERASED' AND s.id = ANY($1::uuid[])
     UNION ALL
     SELECT s.reference, c.id::text FROM support_case s JOIN customer c ON c.id = s.customer_id WHERE c.status = 'ERASED' AND s.reference = ANY($2::text[])`,
    [uuids, values],
  );
  for (const r of rows) found.set(r.key, r.customer_id);
  // Ids are compared as PostgreSQL prints them (lower case); keep the caller's spelling too.
  for (const v of values) {
    const hit = found.get(v.toLowerCase());
    if (hit && !found.has(v)) found.set(v, hit);
  }
  return found;
}
