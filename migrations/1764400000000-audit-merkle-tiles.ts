// Merkle tiles (docs/audit-merkle.md §2): from here on the sequencer stores the tree from level 8 up, and
// each level-8 node carries the 256 leaf hashes of its tile, so proofs still need nothing but this table for
// complete tiles. Nodes below level 8 stored by earlier versions stay where they are and are still read.
import type { MigrationInterface, QueryRunner } from "typeorm";

export class AuditMerkleTiles1764400000000 implements MigrationInterface {
  name = "AuditMerkleTiles1764400000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_merkle_node ADD COLUMN leaves bytea`);
    await q.query(
      `ALTER TABLE audit_merkle_node ADD CONSTRAINT audit_merkle_node_tile_leaves CHECK (leaves IS NULL OR (level = 8 AND octet_length(leaves) = 8192))`,
    );
    // Hashes do not compress: store them out of line without trying.
    await q.query(`ALTER TABLE audit_merkle_node ALTER COLUMN leaves SET STORAGE EXTERNAL`);
  }

  async down(): Promise<void> {
    throw new Error("AuditMerkleTiles cannot be reverted: nodes below level 8 sealed since then exist only in their tiles");
  }
}
