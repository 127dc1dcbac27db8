// The statements of a seal round (docs/audit-sequencer.md), kept apart from the sequencer's waiting and
// looping: read the journal and the head, hash, and insert, add Merkle nodes and delete in one statement.
// A round is either locked (the lock taken, then the head read: always right, one more round trip) or
// speculative (hashed onto the head the previous round will leave, sent whole in one message, applied only
// if the stored head is still that one once the lock is held).
import type { EntityManager } from "typeorm";
import { AUDIT_CHAIN_LOCK } from "./append";
import { GENESIS_HEAD, prepareEvent, sealPrepared, type ChainHead, type PreparedAuditEvent, type SealedAuditEvent } from "./core";
import { CONTENT_COLUMNS, rowToContent, type AuditContentRow } from "./journal";
import { INSERT_NODES_SQL, type NodeColumns, type TreeAppender } from "./merkle/node-store";
import type { AuditReceipt } from "./sequencer";

export interface PendingRow extends AuditContentRow {
  id: string;
}

const JOURNAL_COLUMNS = CONTENT_COLUMNS.map((c) => `p.${c}`).join(", ");

/** The SQL expressions a seal statement reads its values from: placeholders, or literals (speculative rounds). */
interface SealInputs {
  pendingIds: string;
  seqs: string;
  prevHashes: string;
  hashes: string;
  levels: string;
  idxs: string;
  nodeHashes: string;
  leaves: string;
  /** The submitted events as one JSON document (their own member names): one native stringify, one parse. */
  direct: string;
}

/**
 * Inserts the journal's sealed entries (content copied from the journal in SQL) and the submitted events,
 * adds the Merkle nodes and deletes the sealed entries from the journal, in one statement; every part only
 * `WHERE guard` when one is given. The journal's delete guard (an AFTER STATEMENT trigger) sees the rows this
 * same statement inserted. Its one row says how many events it inserted.
 */
function sealStatement(v: SealInputs, guard: string | null): string {
  const where = guard === null ? "" : `WHERE ${guard}`;
  return `moved AS (
       INSERT INTO audit_event (seq, prev_hash, hash, pending_id, ${CONTENT_COLUMNS.join(", ")})
       SELECT s.seq, decode(s.prev_hash, 'hex'), decode(s.hash, 'hex'), p.id, ${JOURNAL_COLUMNS}
       FROM unnest(${v.pendingIds}::bigint[], ${v.seqs}::bigint[], ${v.prevHashes}::text[], ${v.hashes}::text[]) AS s(pending_id, seq, prev_hash, hash)
       JOIN audit_pending p ON p.id = s.pending_id
       ${where}
       ORDER BY s.seq
       RETURNING pending_id),
     direct AS (
       INSERT INTO audit_event (seq, prev_hash, hash, ${CONTENT_COLUMNS.join(", ")})
       SELECT d.seq, decode(d."prevHash", 'hex'), decode(d.hash, 'hex'), d."occurredAt", d."actorId", d."actorRole", d.action,
              d."resourceType", d."resourceId", d.fields, d.outcome, d."requestId", d.operation, d."clientAddress", d.purpose, d.details
       FROM jsonb_to_recordset(${v.direct}::jsonb)
            AS d(seq bigint, "prevHash" text, hash text, "occurredAt" timestamptz, "actorId" uuid, "actorRole" text, action text,
                 "resourceType" text, "resourceId" text, fields text[], outcome text, "requestId" text, operation text,
                 "clientAddress" text, purpose text, details jsonb)
       ${where}
       RETURNING 1),
     tree AS (${INSERT_NODES_SQL(v.levels, v.idxs, v.nodeHashes, v.leaves, guard)}),
     deleted AS (DELETE FROM audit_pending WHERE id IN (SELECT pending_id FROM moved))
     SELECT (SELECT count(*) FROM moved)::int + (SELECT count(*) FROM direct)::int AS inserted`;
}

const journalQuery = (exclude: boolean) =>
  `SELECT p.id::text AS id, ${JOURNAL_COLUMNS} FROM audit_pending p
   ${exclude ? "WHERE p.id <> ALL($2::bigint[])" : ""} ORDER BY p.id LIMIT $1`;

/** A locked round read, taken and hashed: what is left is its one statement, and the caller's COMMIT. */
export interface LockedRound {
  /** The head it leaves (the one it read under the lock when it seals nothing). */
  to: ChainHead;
  pendingIds: string[];
  receipts: AuditReceipt[];
  /** Inserts the round into audit_event with its Merkle nodes and deletes its journal entries. */
  write(): Promise<void>;
}

/**
 * One locked seal round, inside the transaction that holds the chain lock: up to `batch` journal entries
 * (in id order) and then the submitted events `takeDirect` hands over once the journal and head are read,
 * hashed onto the head; `write` then inserts them into audit_event with their Merkle nodes and deletes the
 * sealed entries from the journal, in one statement.
 */
export async function lockedRound(
  em: EntityManager,
  batch: number,
  takeDirect: () => readonly PreparedAuditEvent[],
  tree: TreeAppender,
): Promise<LockedRound> {
  // One row at least (the head), with the journal's columns null when it is empty.
  const result: Array<Omit<PendingRow, "id"> & { id: string | null; head_seq: string | null; head_hash: string | null }> = await em.query(
    `WITH head AS (SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1),
          journal AS (${journalQuery(false)})
     SELECT p.*, h.seq::text AS head_seq, encode(h.hash, 'hex') AS head_hash
     FROM (SELECT 1) one LEFT JOIN head h ON true LEFT JOIN journal p ON true
     ORDER BY p.id`,
    [batch],
  );
  const rows = result.filter((r): r is typeof r & { id: string } => r.id !== null);
  const from = result[0].head_seq === null ? GENESIS_HEAD : { seq: Number(result[0].head_seq), hash: result[0].head_hash! };
  const direct = takeDirect();
  if (rows.length === 0 && direct.length === 0) return { to: from, pendingIds: [], receipts: [], write: () => Promise.resolve() };
  const pendingIds = rows.map((r) => r.id);
  const sealed = sealPrepared(from, [...rows.map((r) => prepareEvent(rowToContent(r))), ...direct]);
  // The Merkle tree grows in the same statement: its tiles and the last tile's events always make the whole chain.
  const nodes = await tree.nodesFor(em, from, sealed.map((e) => e.hash));
  const fromJournal = sealed.slice(0, pendingIds.length);
  const write = async () => {
    await em.query(
      `WITH ${sealStatement(
        { pendingIds: "$1", seqs: "$2", prevHashes: "$3", hashes: "$4", levels: "$5", idxs: "$6", nodeHashes: "$7", direct: "$8", leaves: "$9" },
        null,
      )}`,
      [
        pendingIds,
        fromJournal.map((e) => e.seq),
        fromJournal.map((e) => e.prevHash),
        fromJournal.map((e) => e.hash),
        nodes.levels,
        nodes.idxs,
        nodes.hashes,
        JSON.stringify(sealed.slice(pendingIds.length)),
        nodes.leaves,
      ],
    );
  };
  return { to: headAfter(from, sealed), pendingIds, receipts: receiptsOf(pendingIds, sealed), write };
}

/** Committed journal entries in id order, up to `batch`, but those in `exclude` (carried by rounds in flight). */
export async function readJournal(em: EntityManager, batch: number, exclude: readonly string[]): Promise<PendingRow[]> {
  return exclude.length === 0 ? em.query(journalQuery(false), [batch]) : em.query(journalQuery(true), [batch, exclude]);
}

/** A round hashed onto a head that may not be committed yet, as one message of statements. */
export interface SpeculativeRound {
  /** The head it leaves if it applies (only if the stored head is still `from` once it holds the lock). */
  to: ChainHead;
  /** Journal ids it seals, in order (its receipts come first), then the submitted events. */
  pendingIds: string[];
  receipts: AuditReceipt[];
  /** Takes the chain lock, checks the head and seals: one implicit transaction (simple query protocol). */
  sql: string;
}

/**
 * Hashes journal `rows` and then `direct` onto `from` and writes the round as text, its values as literals:
 * numbers and hex only, and the events' JSON dollar-quoted with a tag it does not contain. Sent whole, it
 * runs in PostgreSQL the moment the lock is free, with no round trip back to Node in between. `nodesFor`
 * must not read the database (TreeAppender.nodesFromCache); null from it makes this return null.
 */
export function speculativeRound(
  from: ChainHead,
  rows: readonly PendingRow[],
  direct: readonly PreparedAuditEvent[],
  nodesFor: (hashes: string[]) => NodeColumns | null,
): SpeculativeRound | null {
  const sealed = sealPrepared(from, [...rows.map((r) => prepareEvent(rowToContent(r))), ...direct]);
  const nodes = nodesFor(sealed.map((e) => e.hash));
  if (nodes === null) return null;
  const pendingIds = rows.map((r) => r.id);
  const fromJournal = sealed.slice(0, pendingIds.length);
  const json = JSON.stringify(sealed.slice(pendingIds.length));
  let tag = "$custos$";
  for (let i = 0; json.includes(tag); i++) tag = `$custos${i}$`;
  const array = (xs: ReadonlyArray<string | number | null>) => `'{${xs.map((x) => (x === null ? "NULL" : x)).join(",")}}'`;
  // The stored head must be `from`: the genesis head means no event at all.
  const headIs =
    from.seq === 0
      ? `NOT EXISTS (SELECT FROM audit_event)`
      : `(SELECT seq = ${from.seq} AND hash = decode('${from.hash}', 'hex') FROM audit_event ORDER BY seq DESC LIMIT 1)`;
  // And its journal entries must all be there still (only a seal deletes them, and a seal moves the head).
  const journalHeld =
    pendingIds.length === 0 ? "true" : `(SELECT count(*) = ${pendingIds.length} FROM audit_pending WHERE id = ANY(${array(pendingIds)}::bigint[]))`;
  const sql =
    `SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK});\n` +
    `WITH head_is AS (SELECT ${headIs} AND ${journalHeld} AS ok),\n     ${sealStatement(
      {
        pendingIds: array(pendingIds),
        seqs: array(fromJournal.map((e) => e.seq)),
        prevHashes: array(fromJournal.map((e) => e.prevHash)),
        hashes: array(fromJournal.map((e) => e.hash)),
        levels: array(nodes.levels),
        idxs: array(nodes.idxs),
        nodeHashes: array(nodes.hashes),
        leaves: array(nodes.leaves),
        direct: `${tag}${json}${tag}`,
      },
      `(SELECT ok FROM head_is)`,
    )}`;
  return { to: headAfter(from, sealed), pendingIds, receipts: receiptsOf(pendingIds, sealed), sql };
}

function receiptsOf(pendingIds: readonly string[], sealed: readonly SealedAuditEvent[]): AuditReceipt[] {
  return sealed.map((e, i) => ({ pendingId: i < pendingIds.length ? Number(pendingIds[i]) : null, seq: e.seq, hash: e.hash }));
}

function headAfter(head: ChainHead, sealed: readonly SealedAuditEvent[]): ChainHead {
  const last = sealed[sealed.length - 1];
  return last ? { seq: last.seq, hash: last.hash } : head;
}
