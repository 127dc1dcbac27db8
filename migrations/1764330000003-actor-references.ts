// Writes by internal apps: who created a customer or case, wrote a note or acted on a case timeline may
// now be a service client as well as a staff member, so those columns no longer reference staff_user
// alone. The audit log (actor id and role) remains the record of who did what.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class ActorReferences1764330000003 implements MigrationInterface {
  name = "ActorReferences1764330000003";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customer DROP CONSTRAINT customer_created_by_fkey`);
    await q.query(`ALTER TABLE support_case DROP CONSTRAINT support_case_created_by_fkey`);
    await q.query(`ALTER TABLE case_note DROP CONSTRAINT case_note_author_id_fkey`);
    await q.query(`ALTER TABLE case_event DROP CONSTRAINT case_event_actor_id_fkey`);
  }

  async down(): Promise<void> {
    throw new Error("ActorReferences cannot be reverted");
  }
}
