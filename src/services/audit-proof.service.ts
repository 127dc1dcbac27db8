// Merkle proofs over the audit log (docs/audit-merkle.md): inclusion of an event, consistency of two tree
// sizes, each with the signed checkpoints at those sizes when there are. Reading proofs is itself audited.
import type { EntityManager } from "typeorm";
import { storedHeadSeq } from "../audit/checkpoint-store";
import { storedConsistencyProof, storedInclusionProof } from "../audit/merkle/node-store";
import { badInput, forbidden } from "../errors";
import type { AuditActor, AuditedStore, UnitOfWork } from "../store/audited-store";

export interface InclusionProofView {
  seq: number;
  leafIndex: number;
  treeSize: number;
  /** The event's chain hash (the leaf data); null if its partition was archived. */
  eventHash: string | null;
  leafHash: string;
  proof: string[];
  rootHash: string;
  checkpoint: string | null;
}

export interface ConsistencyProofView {
  fromSize: number;
  toSize: number;
  proof: string[];
  fromRootHash: string;
  toRootHash: string;
  fromCheckpoint: string | null;
  toCheckpoint: string | null;
}

const hex = (b: Buffer) => b.toString("hex");

function assertMayRead(uow: UnitOfWork, action: string): void {
  const ability = uow.actor.ability;
  if (!uow.actor.principal || !ability?.can("read", "AuditEvent")) {
    uow.recordAttempt({ action, resourceType: "audit", resourceId: null, outcome: "DENIED" });
    throw forbidden();
  }
}

function assertSize(value: number, field: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw badInput(max < min ? `${field}: the audit log is empty` : `${field} must be between ${min} and ${max}`, field);
  }
}

async function checkpointJws(em: EntityManager, seq: number): Promise<string | null> {
  const rows: Array<{ jws: string }> = await em.query(`SELECT jws FROM audit_checkpoint WHERE seq = $1`, [seq]);
  return rows[0]?.jws ?? null;
}

/** The inclusion proof of event `seq` in the tree of the first `treeSize` events, as stored (no audit event). */
export async function readInclusionProof(em: EntityManager, seq: number, treeSize: number): Promise<InclusionProofView> {
  const head = await storedHeadSeq(em);
  assertSize(treeSize, "treeSize", 1, head);
  assertSize(seq, "seq", 1, treeSize);
  const p = await storedInclusionProof(em, seq - 1, treeSize);
  const [event]: Array<{ hash: string }> = await em.query(`SELECT encode(hash, 'hex') AS hash FROM audit_event WHERE seq = $1`, [seq]);
  return {
    seq,
    leafIndex: p.leafIndex,
    treeSize,
    // An archived (detached) partition no longer holds the event; the tree still proves its leaf.
    eventHash: event?.hash ?? null,
    leafHash: hex(p.leafHash),
    proof: p.proof.map(hex),
    rootHash: hex(p.root),
    checkpoint: await checkpointJws(em, treeSize),
  };
}

/** The consistency proof from `fromSize` to `toSize` events, as stored (no audit event). */
export async function readConsistencyProof(em: EntityManager, fromSize: number, toSize: number): Promise<ConsistencyProofView> {
  const head = await storedHeadSeq(em);
  assertSize(toSize, "toSize", 1, head);
  assertSize(fromSize, "fromSize", 0, toSize);
  const p = await storedConsistencyProof(em, fromSize, toSize);
  return {
    fromSize,
    toSize,
    proof: p.proof.map(hex),
    fromRootHash: hex(p.root1),
    toRootHash: hex(p.root2),
    fromCheckpoint: fromSize > 0 ? await checkpointJws(em, fromSize) : null,
    toCheckpoint: await checkpointJws(em, toSize),
  };
}

export class AuditProofService {
  constructor(private readonly store: AuditedStore) {}

  /** The proof that event `seq` is in the tree of the first `treeSize` events (treeSize ≤ the head). */
  inclusionProof(actor: AuditActor, seq: number, treeSize: number): Promise<InclusionProofView> {
    return this.store.run(actor, null, async (uow) => {
      assertMayRead(uow, "audit.proof");
      const view = await readInclusionProof(uow.em, seq, treeSize);
      uow.record({ action: "audit.proof", resourceType: "audit", resourceId: null, outcome: "SUCCESS", details: { kind: "inclusion", seq, treeSize } });
      return view;
    });
  }

  /** The proof that the tree of `toSize` events extends the tree of `fromSize` (0 ≤ fromSize ≤ toSize ≤ head). */
  consistencyProof(actor: AuditActor, fromSize: number, toSize: number): Promise<ConsistencyProofView> {
    return this.store.run(actor, null, async (uow) => {
      assertMayRead(uow, "audit.proof");
      const view = await readConsistencyProof(uow.em, fromSize, toSize);
      uow.record({ action: "audit.proof", resourceType: "audit", resourceId: null, outcome: "SUCCESS", details: { kind: "consistency", fromSize, toSize } });
      return view;
    });
  }
}
