// Assembles an export bundle (docs/audit-bundle-format.md) from the database: events in keyset batches, each
// with its inclusion proof in the anchor checkpoint's tree, events about erased subjects redacted, the
// checkpoints from the one before the first event to the anchor, consistency proofs between successive
// ones, and the signed manifest. Memory stays bounded by one batch.
import type { DataSource } from "typeorm";
import { canonicalJson, type SealedAuditEvent } from "./core";
import { storedConsistencyProof, storedRoot } from "./merkle/node-store";
import { batchInclusionProofs } from "./bundle-proofs";
import {
  selectBundleBatch,
  selectCheckpointBefore,
  selectCheckpointsFrom,
  selectErasureSeqs,
  type BundleRange,
  type BundleScope,
  type CheckpointRow,
} from "./bundle-store";
import type { BundleWriter } from "./bundle-writer";
import { selectErasedSubjects } from "../store/audit-bundle.store";
import { REDACTED_ERASED, type BundleEventEntry, type BundleManifest } from "../verifier/bundle-format";

/** The store and the signed checkpoints disagree, or the tree lacks nodes: nothing is exported. */
export class BundleIntegrityError extends Error {
  override name = "BundleIntegrityError";
}

/** Signs the manifest payload bytes as a compact JWS (typ custos-bundle+jws) with the checkpoint key. */
export interface ManifestSigner {
  kid: string;
  sign(payload: Uint8Array): Promise<string>;
}

/** A tree-committing checkpoint: the anchor every inclusion proof leads to. */
export interface AnchorCheckpoint {
  seq: number;
  rootHash: string;
  jws: string;
}

export interface BuildBundleInput {
  ds: DataSource;
  scope: BundleScope;
  range: BundleRange;
  anchor: AnchorCheckpoint;
  signer: ManifestSigner;
  generator: string;
  generatedAt: Date;
  writer: BundleWriter;
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface BuiltBundle {
  manifestJws: string;
  manifest: BundleManifest;
}

/** The payload of a checkpoint JWS, read without checking it (the verifier does; sealing checked it). */
export function checkpointPayload(jws: string): { v: number; seq: number; rootHash?: string } {
  return JSON.parse(Buffer.from(jws.split(".")[1] ?? "", "base64url").toString("utf8"));
}

/** The values of an event that may name a subject: its resource id and every string detail. */
function subjectCandidates(e: SealedAuditEvent): string[] {
  const out = e.resourceId !== null ? [e.resourceId] : [];
  for (const v of Object.values(e.details)) if (typeof v === "string") out.push(v);
  return out;
}

/** The bundle entries of a batch: events about an erased subject keep only their position, hashes and erasure seq. */
async function toEntries(ds: DataSource, events: SealedAuditEvent[]): Promise<BundleEventEntry[]> {
  const erased = await selectErasedSubjects(ds.manager, events.flatMap(subjectCandidates));
  const erasureSeqs = await selectErasureSeqs(ds, [...new Set(erased.values())]);
  return events.map((e): BundleEventEntry => {
    const customer = subjectCandidates(e).map((v) => erased.get(v)).find((c) => c !== undefined);
    if (customer === undefined) {
      const { seq, prevHash, hash, ...content } = e;
      return { seq, prevHash, hash, ...content, fields: [...new Set(content.fields)].sort() };
    }
    return { seq: e.seq, prevHash: e.prevHash, hash: e.hash, redacted: REDACTED_ERASED, erasureSeq: erasureSeqs.get(customer) ?? null };
  });
}

export async function buildBundle(input: BuildBundleInput): Promise<BuiltBundle> {
  const { ds, scope, range, anchor, writer } = input;
  const batch = input.batch ?? 1_000;
  if ((await storedRoot(ds, anchor.seq)).toString("hex") !== anchor.rootHash) {
    throw new BundleIntegrityError(`the stored Merkle tree of size ${anchor.seq} does not give the root its checkpoint signed`);
  }
  let redacted = 0;
  let done = 0;
  let after = range.firstSeq - 1;
  input.onProgress?.(0, range.count);
  for (;;) {
    const events = await selectBundleBatch(ds, scope, range, after, batch);
    if (events.length === 0) break;
    const entries = await toEntries(ds, events);
    const proofs = await batchInclusionProofs(ds, events.map((e) => e.seq - 1), anchor.seq);
    for (const [i, entry] of entries.entries()) {
      if ("redacted" in entry) redacted += 1;
      await writer.add("events", entry);
      await writer.add("inclusionProofs", { seq: entry.seq, treeSize: anchor.seq, auditPath: proofs[i].map((h) => h.toString("hex")) });
    }
    done += events.length;
    after = events[events.length - 1].seq;
    input.onProgress?.(done, range.count);
    if (events.length < batch) break;
  }
  if (done !== range.count) throw new BundleIntegrityError(`expected ${range.count} events, read ${done}`);
  await addCheckpoints(input);
  const manifest: BundleManifest = {
    v: 1,
    generator: input.generator,
    generatedAt: input.generatedAt.toISOString(),
    kid: input.signer.kid,
    scope: { from: scope.from.toISOString(), to: scope.to.toISOString(), customerId: scope.customerId },
    range: { firstSeq: range.firstSeq, lastSeq: range.lastSeq },
    anchor: { treeSize: anchor.seq, rootHash: anchor.rootHash },
    counts: {
      events: writer.count("events"),
      redacted,
      checkpoints: writer.count("checkpoints"),
      inclusionProofs: writer.count("inclusionProofs"),
      consistencyProofs: writer.count("consistencyProofs"),
    },
    sections: writer.digests(),
  };
  const manifestJws = await input.signer.sign(Buffer.from(canonicalJson(manifest), "utf8"));
  return { manifestJws, manifest };
}

/**
 * The checkpoint before the first event (what the bundle extends), every checkpoint up to the anchor, and a
 * consistency proof between each two successive tree-committing (v2) ones, checked against their roots.
 */
async function addCheckpoints(input: BuildBundleInput): Promise<void> {
  const { ds, range, anchor, writer } = input;
  const before = await selectCheckpointBefore(ds, range.firstSeq);
  let from = before?.seq ?? range.firstSeq;
  let previous: { seq: number; root: string } | null = null;
  for (;;) {
    const page: CheckpointRow[] = (await selectCheckpointsFrom(ds, from, 1_000)).filter((c) => c.seq <= anchor.seq);
    for (const cp of page) {
      await writer.add("checkpoints", { jws: cp.jws });
      const payload = checkpointPayload(cp.jws);
      if (payload.v !== 2 || typeof payload.rootHash !== "string") continue;
      if (previous) {
        const p = await storedConsistencyProof(ds, previous.seq, cp.seq);
        if (p.root1.toString("hex") !== previous.root || p.root2.toString("hex") !== payload.rootHash) {
          throw new BundleIntegrityError(`the stored Merkle tree disagrees with the checkpoints at ${previous.seq} and ${cp.seq}`);
        }
        await writer.add("consistencyProofs", { fromSize: previous.seq, toSize: cp.seq, proof: p.proof.map((h) => h.toString("hex")) });
      }
      previous = { seq: cp.seq, root: payload.rootHash };
    }
    if (page.length < 1_000 || page[page.length - 1].seq >= anchor.seq) break;
    from = page[page.length - 1].seq + 1;
  }
  if (previous?.seq !== anchor.seq) throw new BundleIntegrityError(`the anchor checkpoint ${anchor.seq} is not among the stored checkpoints`);
}
