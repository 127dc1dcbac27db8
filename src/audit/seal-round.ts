// The statements of one seal round (docs/audit-sequencer.md), kept apart from the sequencer's waiting and
// looping: read the journal and the head, hash, and insert, add Merkle nodes and delete in one statement.
import type { EntityManager } from "typeorm";
import { GENESIS_HEAD, prepareEvent, sealPrepared, type PreparedAuditEvent } from "./core";
import { CONTENT_COLUMNS, rowToContent, type AuditContentRow } from "./journal";
import { INSERT_NODES_SQL, type TreeAppender } from "./merkle/node-store";
import type { AuditReceipt } from "./sequencer";

interface PendingRow extends AuditContentRow {
  id: string | null;
}

const COPY_COLUMNS = CONTENT_COLUMNS.map((c) => `p.${c}`).join(", ");

/**
 * One seal round, inside the transaction that holds the chain lock: up to `batch` journal entries (in id
 * order) and then the submitted events `takeDirect` hands over once the journal and head are read, hashed
 * onto the head, inserted into audit_event with their Merkle nodes, and the sealed entries deleted from the
 * journal, in one statement.
 */
export async function sealRound(
  em: EntityManager,
  batch: number,
  takeDirect: () => readonly PreparedAuditEvent[],
  tree: TreeAppender,
): Promise<AuditReceipt[]> {
  // One row at least (the head), with the journal's columns null when it is empty.
  const result: Array<PendingRow & { head_seq: string | null; head_hash: string | null }> = await em.query(
    `WITH head AS (SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1),
          journal AS (SELECT * FROM audit_pending ORDER BY id LIMIT $1)
     SELECT p.id::text AS id, ${CONTENT_COLUMNS.map((c) => `p.${c}`).join(", ")},
            h.seq::text AS head_seq, encode(h.hash, 'hex') AS head_hash
     FROM (SELECT 1) one LEFT JOIN head h ON true LEFT JOIN journal p ON true
     ORDER BY p.id`,
    [batch],
  );
  const rows = result.filter((r) => r.id !== null);
  const direct = takeDirect();
  if (rows.length === 0 && direct.length === 0) return [];
  const head = result[0].head_seq === null ? GENESIS_HEAD : { seq: Number(result[0].head_seq), hash: result[0].head_hash! };
  const sealed = sealPrepared(head, [...rows.map((r) => prepareEvent(rowToContent(r))), ...direct]);
  const ids = rows.map((r) => r.id!);
  const fromJournal = sealed.slice(0, rows.length);
  const submitted = sealed.slice(rows.length);
  // The Merkle tree grows in the same statement: its tiles and the last tile's events always make the whole chain.
  const nodes = await tree.nodesFor(em, head, sealed.map((e) => e.hash));
  // The journal's delete guard (an AFTER STATEMENT trigger) sees the rows this same statement inserted.
  await em.query(
    `WITH moved AS (
       INSERT INTO audit_event (seq, prev_hash, hash, pending_id, ${CONTENT_COLUMNS.join(", ")})
       SELECT s.seq, decode(s.prev_hash, 'hex'), decode(s.hash, 'hex'), p.id, ${COPY_COLUMNS}
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS s(pending_id, seq, prev_hash, hash)
       JOIN audit_pending p ON p.id = s.pending_id
       ORDER BY s.seq
       RETURNING pending_id),
     direct AS (
       INSERT INTO audit_event (seq, prev_hash, hash, ${CONTENT_COLUMNS.join(", ")})
       SELECT d.seq, decode(d."prevHash", 'hex'), decode(d.hash, 'hex'), d."occurredAt", d."actorId", d."actorRole", d.action,
              d."resourceType", d."resourceId", d.fields, d.outcome, d."requestId", d.operation, d."clientAddress", d.purpose, d.details
       FROM jsonb_to_recordset($8::jsonb)
            AS d(seq bigint, "prevHash" text, hash text, "occurredAt" timestamptz, "actorId" uuid, "actorRole" text, action text,
                 "resourceType" text, "resourceId" text, fields text[], outcome text, "requestId" text, operation text,
                 "clientAddress" text, purpose text, details jsonb)
       RETURNING 1),
     tree AS (${INSERT_NODES_SQL("$5", "$6", "$7", "$9")})
     DELETE FROM audit_pending WHERE id IN (SELECT pending_id FROM moved)`,
    [
      ids,
      fromJournal.map((e) => e.seq),
      fromJournal.map((e) => e.prevHash),
      fromJournal.map((e) => e.hash),
      nodes.levels,
      nodes.idxs,
      nodes.hashes,
      // The submitted events as one JSON document (their own member names): one native stringify, one parse.
      JSON.stringify(submitted),
      nodes.leaves,
    ],
  );
  return sealed.map((e, i) => ({ pendingId: i < ids.length ? Number(ids[i]) : null, seq: e.seq, hash: e.hash }));
}
