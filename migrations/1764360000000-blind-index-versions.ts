// Blind-index key rotation: each customer row records the key version its *_bidx columns were computed
// under, so lookups can match every version still in use while `custos keys rotate-blind-index` rebuilds.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class BlindIndexVersions1764360000000 implements MigrationInterface {
  name = "BlindIndexVersions1764360000000";

  async up(q: QueryRunner): Promise<void> {
    // Every existing row was indexed under the single blindIndexKey, which is version 1.
    await q.query(`ALTER TABLE customer ADD COLUMN bidx_version integer NOT NULL DEFAULT 1 CHECK (bidx_version >= 1)`);
    await q.query(`ALTER TABLE customer ALTER COLUMN bidx_version DROP DEFAULT`);
    // The rebuild walks live rows not yet under the target version in id order (keyset batches), and
    // retirement counts live rows per version. customer_national_id_bidx_key stays UNIQUE on the index
    // alone: two keys give unrelated bytes, so a same-person row under another version is caught by the
    // application check under an advisory lock (see src/store/blind-index.store.ts), not by this index.
    await q.query(`CREATE INDEX customer_bidx_version_idx ON customer (bidx_version, id) WHERE national_id_bidx IS NOT NULL`);
  }

  async down(): Promise<void> {
    throw new Error("BlindIndexVersions cannot be reverted");
  }
}
