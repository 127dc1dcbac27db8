// Re-wrapping customers' data keys under a new master-key version, in keyset batches (resumable by
// construction: a row is done when its kek_version is the target), and counting what still uses a version.
import type { UnitOfWork } from "./audited-store";
import type { CustomerCipher } from "./customer-cipher";

export const FIRST_UUID = "00000000-0000-0000-0000-000000000000";

export interface RewrapBatch {
  count: number;
  /** The last customer id of the batch: where the next batch starts. */
  last: string | null;
  fromVersions: number[];
}

/** Live data keys (not erased) wrapped under a version other than `target`. */
export async function countKeysNotUnder(uow: UnitOfWork, target: number): Promise<number> {
  const [{ n }] = await uow.em.query(`SELECT count(*)::int AS n FROM customer_key WHERE wrapped_dek IS NOT NULL AND kek_version <> $1`, [target]);
  return n;
}

/** Live data keys wrapped under `version`: a version may be retired only when this is 0. */
export async function countKeysUnder(uow: UnitOfWork, version: number): Promise<number> {
  const [{ n }] = await uow.em.query(`SELECT count(*)::int AS n FROM customer_key WHERE wrapped_dek IS NOT NULL AND kek_version = $1`, [version]);
  return n;
}

/**
 * Re-wraps up to `limit` keys after `after` (customer_id order) that are not yet under the cipher's
 * current version. Rows are locked (FOR UPDATE), so an erasure or another rotation run waits for this
 * batch; an erased row is re-checked after the wait and left alone. Records one `keys.rewrap` event.
 */
export async function rewrapBatch(uow: UnitOfWork, cipher: CustomerCipher, after: string, limit: number): Promise<RewrapBatch> {
  const target = cipher.keyring.current;
  const rows: Array<{ customer_id: string; kek_version: number; wrapped_dek: Buffer }> = await uow.em.query(
    `SELECT customer_id, kek_version, wrapped_dek FROM customer_key
      WHERE wrapped_dek IS NOT NULL AND kek_version <> $1 AND customer_id > $2
      ORDER BY customer_id LIMIT $3 FOR UPDATE`,
    [target, after, limit],
  );
  if (rows.length === 0) return { count: 0, last: null, fromVersions: [] };
  const ids: string[] = [];
  const wrapped: Buffer[] = [];
  for (const r of rows) {
    const next = cipher.rewrapDataKey(r.customer_id, { version: r.kek_version, wrapped: r.wrapped_dek });
    ids.push(r.customer_id);
    wrapped.push(next.wrapped!);
  }
  await uow.em.query(
    `UPDATE customer_key k SET kek_version = $1, wrapped_dek = v.w, rewrapped_at = $2
       FROM unnest($3::uuid[], $4::bytea[]) AS v(id, w)
      WHERE k.customer_id = v.id`,
    [target, uow.now, ids, wrapped],
  );
  const fromVersions = [...new Set(rows.map((r) => r.kek_version))].sort((a, b) => a - b);
  uow.record({
    action: "keys.rewrap",
    resourceType: "master_key",
    resourceId: String(target),
    outcome: "SUCCESS",
    details: { count: rows.length, toVersion: target, fromVersions: fromVersions.join(","), firstCustomer: ids[0], lastCustomer: ids[ids.length - 1] },
  });
  return { count: rows.length, last: ids[ids.length - 1], fromVersions };
}
