// Blind indexes across key versions: lookups that match a value under every version rows may use,
// the national-id uniqueness check that stays correct while two versions coexist, and the rebuild batch
// of `custos keys rotate-blind-index` (resumable: a row is done when its bidx_version is the target).
import type { BlindIndexedField } from "../crypto";
import { conflict } from "../errors";
import type { UnitOfWork } from "./audited-store";
import type { CustomerCipher } from "./customer-cipher";

const COLUMN: Record<BlindIndexedField, string> = { nationalId: "national_id_bidx", phone: "phone_bidx", email: "email_bidx" };

/**
 * `((c.bidx_version = :v1 AND c.phone_bidx = :i1) OR (…v2…))` for every version in the keyring. The
 * version test is what keeps the match exact: the same bytes under another version mean nothing.
 */
export function blindIndexMatch(cipher: CustomerCipher, field: BlindIndexedField, value: string, alias: string): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {};
  const terms = cipher.blindIndexCandidates(field, value).map(({ version, index }) => {
    params[`${field}V${version}`] = version;
    params[`${field}I${version}`] = index;
    return `(${alias}.bidx_version = :${field}V${version} AND ${alias}.${COLUMN[field]} = :${field}I${version})`;
  });
  return { sql: `(${terms.join(" OR ")})`, params };
}

// Any constant works: it only has to be the same in every Custos process.
const NATIONAL_ID_LOCK = 7_364_360_001;

/**
 * Refuses a national id some other live customer already has, under any blind-index version.
 *
 * The unique index on national_id_bidx holds only within one version: the same national id under keys 1
 * and 2 gives unrelated bytes, so two rows for one person would both fit. While the keyring holds more
 * than one version (a rotation is under way), writers of a national id therefore take one transaction
 * advisory lock before this check, so check-then-insert cannot interleave across versions. With a single
 * version every writer indexes under the same key and the unique index alone catches a race (servers that
 * have not yet loaded a new version still write the old current one, which the others also search).
 */
export async function assertNationalIdFree(uow: UnitOfWork, cipher: CustomerCipher, nationalId: string, exceptId: string | null): Promise<void> {
  if (cipher.blindIndexKeyring.keys.size > 1) await uow.em.query(`SELECT pg_advisory_xact_lock($1)`, [NATIONAL_ID_LOCK]);
  const candidates = cipher.blindIndexCandidates("nationalId", nationalId);
  const [taken] = await uow.em.query(
    `SELECT 1 FROM customer c
       JOIN unnest($1::int[], $2::bytea[]) AS v(version, bidx) ON c.bidx_version = v.version AND c.national_id_bidx = v.bidx
      WHERE ($3::uuid IS NULL OR c.id <> $3::uuid)
      LIMIT 1`,
    [candidates.map((c) => c.version), candidates.map((c) => c.index), exceptId],
  );
  if (taken) throw conflict("A customer with this national id already exists");
}

/** Live (not erased) customers whose indexes are under `version`: it may be retired only when this is 0. */
export async function countIndexedUnder(uow: UnitOfWork, version: number): Promise<number> {
  const [{ n }] = await uow.em.query(`SELECT count(*)::int AS n FROM customer WHERE national_id_bidx IS NOT NULL AND bidx_version = $1`, [version]);
  return n;
}

export async function countIndexedNotUnder(uow: UnitOfWork, version: number): Promise<number> {
  const [{ n }] = await uow.em.query(`SELECT count(*)::int AS n FROM customer WHERE national_id_bidx IS NOT NULL AND bidx_version <> $1`, [version]);
  return n;
}

export interface ReindexBatch {
  count: number;
  last: string | null;
  fromVersions: number[];
}

/**
 * Recomputes the three indexes of up to `limit` live customers after `after` (id order) not yet under the
 * cipher's current blind-index version, from the fields decrypted with each customer's data key. Customer
 * rows are locked (FOR UPDATE OF c), so an erasure or update of one waits for the batch; an erased row
 * (indexes already null) is skipped. updated_at is left alone: retention counts it as customer activity.
 */
export async function reindexBatch(uow: UnitOfWork, cipher: CustomerCipher, after: string, limit: number): Promise<ReindexBatch> {
  const target = cipher.blindIndexKeyring.current;
  const rows: Array<{ id: string; bidx_version: number; national_id_enc: Buffer; phone_enc: Buffer | null; email_enc: Buffer | null; kek_version: number; wrapped_dek: Buffer | null }> =
    await uow.em.query(
      `SELECT c.id, c.bidx_version, c.national_id_enc, c.phone_enc, c.email_enc, k.kek_version, k.wrapped_dek
         FROM customer c JOIN customer_key k ON k.customer_id = c.id
        WHERE c.national_id_bidx IS NOT NULL AND c.bidx_version <> $1 AND c.id > $2
        ORDER BY c.id LIMIT $3 FOR UPDATE OF c`,
      [target, after, limit],
    );
  if (rows.length === 0) return { count: 0, last: null, fromVersions: [] };
  const ids: string[] = [];
  const nid: Buffer[] = [];
  const phone: Array<Buffer | null> = [];
  const email: Array<Buffer | null> = [];
  for (const r of rows) {
    const dek = cipher.openDataKey(r.id, { version: r.kek_version, wrapped: r.wrapped_dek });
    try {
      const index = (field: BlindIndexedField, blob: Buffer | null) => (blob ? cipher.blindIndex(field, cipher.openCustomerField(dek, r.id, field, blob)) : null);
      ids.push(r.id);
      nid.push(index("nationalId", r.national_id_enc)!);
      phone.push(index("phone", r.phone_enc));
      email.push(index("email", r.email_enc));
    } finally {
      dek.fill(0);
    }
  }
  await uow.em.query(
    `UPDATE customer c SET bidx_version = $1, national_id_bidx = v.n, phone_bidx = v.p, email_bidx = v.e
       FROM unnest($2::uuid[], $3::bytea[], $4::bytea[], $5::bytea[]) AS v(id, n, p, e)
      WHERE c.id = v.id`,
    [target, ids, nid, phone, email],
  );
  const fromVersions = [...new Set(rows.map((r) => r.bidx_version))].sort((a, b) => a - b);
  uow.record({
    action: "keys.reindex",
    resourceType: "blind_index_key",
    resourceId: String(target),
    outcome: "SUCCESS",
    details: { count: rows.length, toVersion: target, fromVersions: fromVersions.join(","), firstCustomer: ids[0], lastCustomer: ids[ids.length - 1] },
  });
  return { count: rows.length, last: ids[ids.length - 1], fromVersions };
}
