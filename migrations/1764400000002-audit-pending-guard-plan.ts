// The journal's delete guard (audit_pending_refuse_unsealed_delete, migrations 1764380000000/1764380000001)
// runs once per seal: "is every deleted entry on the chain?", an anti-join of the deleted rows against
// audit_event. PL/pgSQL caches that plan for the life of the connection, and the sequencer's connections
// live long: planned while a partition was small, it hashed the whole partition on every seal from then on
// (measured: 56 ms per seal at 141,000 events, growing with the table; bench/README.md). Only a nested loop
// over the deleted rows, probing the (pending_id, occurred_at) index, stays as cheap as the seal itself, so
// the function plans with nothing else to choose from.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class AuditPendingGuardPlan1764400000002 implements MigrationInterface {
  name = "AuditPendingGuardPlan1764400000002";

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER FUNCTION audit_pending_refuse_unsealed_delete() SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION audit_pending_refuse_unsealed_delete() RESET ALL`);
  }
}
