// Closing a customer relationship (docs/service-quality.md, "Closing a relationship"): why it ended, as a
// short code (never prose, so never PII). The instant is `relationship_closed_at` (1764397000000).
import type { MigrationInterface, QueryRunner } from "typeorm";

export class CustomerRelationship1764399000001 implements MigrationInterface {
  name = "CustomerRelationship1764399000001";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE customer ADD COLUMN relationship_close_reason text
        CHECK (relationship_close_reason IN ('MOVED_BANK','DECEASED','DISSATISFIED','COST','PRODUCT_ENDED','OTHER'))`);
    // A reason belongs to a closing with its instant; an ACTIVE customer carries neither.
    await q.query(`
      ALTER TABLE customer ADD CONSTRAINT customer_relationship_close_pair CHECK (
        (relationship_close_reason IS NULL OR relationship_closed_at IS NOT NULL)
        AND (status <> 'ACTIVE' OR (relationship_closed_at IS NULL AND relationship_close_reason IS NULL)))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customer DROP CONSTRAINT customer_relationship_close_pair`);
    await q.query(`ALTER TABLE customer DROP COLUMN relationship_close_reason`);
  }
}
