// The offline verification of an audit bundle (docs/audit-bundle-format.md §6): layout, manifest signature,
// checkpoints, the chain of the events, inclusion and consistency proofs, then counts and section digests.
// Stops at the first failure and says what and where. Pure apart from jose's signature checks.
import { GENESIS_HASH, hashEvent } from "../audit/core/chain";
import { normalizeFields } from "../audit/core/canonical";
import { eventLeafHash, hexToHash, MerkleProofError, verifyConsistency, verifyInclusion } from "../audit/merkle";
import {
  BUNDLE_FORMAT,
  BUNDLE_TYP,
  BUNDLE_VERSION,
  EVENT_MEMBERS,
  REDACTED_ERASED,
  REDACTED_MEMBERS,
  renderBundle,
  sectionDigest,
  SECTIONS,
  type BundleConsistencyProof,
  type BundleEvent,
  type BundleEventEntry,
  type BundleInclusionProof,
  type BundleManifest,
  type BundleSections,
  type RedactedBundleEvent,
} from "./bundle-format";
import { assertKeyValidAt, isHex64, isInstant, isSeq, JwsCheckError, verifyCheckpointJws, verifyCompactJws, type VerifiedCheckpoint, type VerifierKey } from "./jws";

export type BundleFailureReason =
  | "MALFORMED"
  | "LAYOUT"
  | "MANIFEST_SIGNATURE"
  | "MANIFEST_INVALID"
  | "CHECKPOINT_INVALID"
  | "CHECKPOINT_ORDER"
  | "CHECKPOINT_HEAD_MISMATCH"
  | "ANCHOR_MISMATCH"
  | "EVENT_MALFORMED"
  | "EVENT_ORDER"
  | "SEQ_GAP"
  | "PREV_HASH_MISMATCH"
  | "HASH_MISMATCH"
  | "ERASURE_MARKER_INVALID"
  | "INCLUSION_PROOF_INVALID"
  | "CONSISTENCY_PROOF_INVALID"
  | "COUNT_MISMATCH"
  | "SECTION_DIGEST_MISMATCH";

export interface BundleVerdict {
  valid: boolean;
  reason: BundleFailureReason | null;
  /** Where: "byte 123", "manifest", "events[4] (seq 17)", "section events", … */
  position: string | null;
  message: string;
  events: number;
  redacted: number;
  checkpoints: number;
  consistencyProofs: number;
  firstSeq: number | null;
  lastSeq: number | null;
  anchorTreeSize: number | null;
  anchorRoot: string | null;
  kid: string | null;
  scope: BundleManifest["scope"] | null;
}

class Failure extends Error {
  constructor(
    readonly reason: BundleFailureReason,
    readonly position: string,
    message: string,
  ) {
    super(message);
  }
}

const fail = (reason: BundleFailureReason, position: string, message: string): never => {
  throw new Failure(reason, position, message);
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const hasMembers = (o: Record<string, unknown>, members: readonly string[]) => Object.keys(o).sort().join(",") === [...members].sort().join(",");
const isNullableString = (v: unknown) => v === null || typeof v === "string";
const short = (hex: string) => `${hex.slice(0, 12)}…`;

/** Verifies the bytes of a bundle file against the given public keys. Never throws for a bad bundle. */
export async function verifyBundle(bytes: Uint8Array, keys: readonly VerifierKey[]): Promise<BundleVerdict> {
  const verdict: BundleVerdict = {
    valid: false,
    reason: null,
    position: null,
    message: "",
    events: 0,
    redacted: 0,
    checkpoints: 0,
    consistencyProofs: 0,
    firstSeq: null,
    lastSeq: null,
    anchorTreeSize: null,
    anchorRoot: null,
    kid: null,
    scope: null,
  };
  try {
    await check(Buffer.from(bytes), keys, verdict);
    verdict.valid = true;
    verdict.message = "every check passed";
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    verdict.reason = error.reason;
    verdict.position = error.position;
    verdict.message = error.message;
  }
  return verdict;
}

async function check(file: Buffer, keys: readonly VerifierKey[], verdict: BundleVerdict): Promise<void> {
  const { manifestJws, sections } = parseFile(file);
  const manifest = await checkManifest(manifestJws, keys);
  verdict.kid = manifest.kid;
  verdict.scope = manifest.scope;
  const checkpoints = await checkCheckpoints(sections.checkpoints, keys);
  verdict.checkpoints = checkpoints.length;
  const anchor = checkAnchor(checkpoints, manifest);
  verdict.anchorTreeSize = anchor.treeSize!;
  verdict.anchorRoot = anchor.rootHash!;
  const events = checkEvents(sections.events, manifest, checkpoints, anchor);
  verdict.events = events.length;
  verdict.redacted = events.filter((e) => "redacted" in e).length;
  verdict.firstSeq = events[0]?.seq ?? null;
  verdict.lastSeq = events.at(-1)?.seq ?? null;
  checkInclusion(sections.inclusionProofs, events, anchor);
  verdict.consistencyProofs = checkConsistency(sections.consistencyProofs, checkpoints);
  checkCountsAndDigests(manifest, sections, verdict.redacted);
}

/** JSON, the top-level shape, then the exact layout: the file must be byte for byte what renderBundle makes. */
function parseFile(file: Buffer): { manifestJws: string; sections: BundleSections } {
  let doc: unknown;
  try {
    doc = JSON.parse(file.toString("utf8"));
  } catch (error) {
    return fail("MALFORMED", "file", `not JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(doc) || !hasMembers(doc, ["format", "version", "manifest", ...SECTIONS])) {
    return fail("MALFORMED", "file", `the top level must hold exactly format, version, manifest, ${SECTIONS.join(", ")}`);
  }
  if (doc.format !== BUNDLE_FORMAT || doc.version !== BUNDLE_VERSION) fail("MALFORMED", "file", `not a ${BUNDLE_FORMAT} version ${BUNDLE_VERSION}`);
  if (typeof doc.manifest !== "string") fail("MALFORMED", "manifest", "manifest must be a string (a compact JWS)");
  for (const name of SECTIONS) {
    if (!Array.isArray(doc[name])) fail("MALFORMED", `section ${name}`, `${name} must be an array`);
    (doc[name] as unknown[]).forEach((e, i) => isPlainObject(e) || fail("MALFORMED", `${name}[${i}]`, "every element must be an object"));
  }
  const sections = doc as unknown as BundleSections;
  let expected: Buffer;
  try {
    expected = Buffer.from(renderBundle(doc.manifest as string, sections), "utf8");
  } catch (error) {
    return fail("MALFORMED", "file", `a value has no canonical form: ${(error as Error).message}`);
  }
  if (!expected.equals(file)) {
    let at = 0;
    while (at < file.length && at < expected.length && file[at] === expected[at]) at += 1;
    fail("LAYOUT", `byte ${at}`, "the file is not in the canonical bundle layout (whitespace, escapes, member order or encoding differ)");
  }
  return { manifestJws: doc.manifest as string, sections };
}

async function checkManifest(jws: string, keys: readonly VerifierKey[]): Promise<BundleManifest> {
  let verified: Awaited<ReturnType<typeof verifyCompactJws>>;
  try {
    verified = await verifyCompactJws(jws, BUNDLE_TYP, keys);
  } catch (error) {
    if (error instanceof JwsCheckError) return fail("MANIFEST_SIGNATURE", "manifest", `the manifest JWS is refused: ${error.failure}`);
    throw error;
  }
  const m = verified.payload;
  const bad = (what: string): never => fail("MANIFEST_INVALID", "manifest", `manifest ${what}`);
  if (!hasMembers(m, ["v", "generator", "generatedAt", "kid", "scope", "range", "anchor", "counts", "sections"]) || m.v !== 1) bad("members or version");
  if (typeof m.generator !== "string" || !isInstant(m.generatedAt) || m.kid !== verified.kid) bad("generator, generatedAt or kid");
  const scope = m.scope as Record<string, unknown>;
  if (!isPlainObject(scope) || !hasMembers(scope, ["from", "to", "customerId"]) || !isInstant(scope.from) || !isInstant(scope.to) || !isNullableString(scope.customerId)) bad("scope");
  const range = m.range as Record<string, unknown>;
  if (!isPlainObject(range) || !hasMembers(range, ["firstSeq", "lastSeq"]) || !isSeq(range.firstSeq) || !isSeq(range.lastSeq) || (range.firstSeq as number) > (range.lastSeq as number)) bad("range");
  const anchor = m.anchor as Record<string, unknown>;
  if (!isPlainObject(anchor) || !hasMembers(anchor, ["treeSize", "rootHash"]) || !isSeq(anchor.treeSize) || !isHex64(anchor.rootHash)) bad("anchor");
  const counts = m.counts as Record<string, unknown>;
  if (!isPlainObject(counts) || !hasMembers(counts, ["events", "redacted", "checkpoints", "inclusionProofs", "consistencyProofs"]) || !Object.values(counts).every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) bad("counts");
  const digests = m.sections as Record<string, unknown>;
  if (!isPlainObject(digests) || !hasMembers(digests, SECTIONS) || !Object.values(digests).every(isHex64)) bad("section digests");
  try {
    assertKeyValidAt(verified.key, m.generatedAt as string);
  } catch (error) {
    if (error instanceof JwsCheckError) fail("MANIFEST_SIGNATURE", "manifest", `the manifest JWS is refused: ${error.failure}`);
    throw error;
  }
  return m as unknown as BundleManifest;
}

async function checkCheckpoints(list: BundleSections["checkpoints"], keys: readonly VerifierKey[]): Promise<VerifiedCheckpoint[]> {
  const out: VerifiedCheckpoint[] = [];
  for (const [i, c] of list.entries()) {
    if (!hasMembers(c as unknown as Record<string, unknown>, ["jws"])) fail("CHECKPOINT_INVALID", `checkpoints[${i}]`, "a checkpoint entry holds exactly one member, jws");
    let cp: VerifiedCheckpoint;
    try {
      cp = await verifyCheckpointJws(c.jws, keys);
    } catch (error) {
      if (error instanceof JwsCheckError) return fail("CHECKPOINT_INVALID", `checkpoints[${i}]`, `the checkpoint JWS is refused: ${error.failure}`);
      throw error;
    }
    if (out.length > 0 && cp.seq <= out[out.length - 1].seq) fail("CHECKPOINT_ORDER", `checkpoints[${i}] (seq ${cp.seq})`, "checkpoints must be in strictly increasing seq order");
    out.push(cp);
  }
  return out;
}

/** The last checkpoint is the anchor: it commits to a tree (v2) and is the one the manifest names. */
function checkAnchor(checkpoints: VerifiedCheckpoint[], manifest: BundleManifest): VerifiedCheckpoint {
  const anchor = checkpoints.at(-1);
  if (!anchor) return fail("ANCHOR_MISMATCH", "checkpoints", "the bundle holds no checkpoint");
  const pos = `checkpoints[${checkpoints.length - 1}] (seq ${anchor.seq})`;
  if (anchor.v !== 2) fail("ANCHOR_MISMATCH", pos, "the last checkpoint commits to no Merkle tree (version 1)");
  if (anchor.treeSize !== manifest.anchor.treeSize || anchor.rootHash !== manifest.anchor.rootHash) fail("ANCHOR_MISMATCH", pos, "the last checkpoint is not the anchor the manifest names");
  if (anchor.seq < manifest.range.lastSeq) fail("ANCHOR_MISMATCH", pos, `the anchor (tree size ${anchor.seq}) does not cover the last event (seq ${manifest.range.lastSeq})`);
  return anchor;
}

function checkEvents(list: BundleEventEntry[], manifest: BundleManifest, checkpoints: VerifiedCheckpoint[], anchor: VerifiedCheckpoint): BundleEventEntry[] {
  if (list.length === 0) fail("EVENT_MALFORMED", "section events", "the bundle holds no events");
  const bySeq = new Map<number, BundleEventEntry>();
  let prev: BundleEventEntry | null = null;
  for (const [i, e] of list.entries()) {
    const raw = e as unknown as Record<string, unknown>;
    const pos = `events[${i}]${isSeq(raw.seq) ? ` (seq ${raw.seq})` : ""}`;
    const redacted = "redacted" in raw;
    if (!hasMembers(raw, redacted ? REDACTED_MEMBERS : EVENT_MEMBERS)) fail("EVENT_MALFORMED", pos, redacted ? `a redacted event holds exactly ${REDACTED_MEMBERS.join(", ")}` : `an event holds exactly ${EVENT_MEMBERS.join(", ")}`);
    if (!isSeq(raw.seq) || !isHex64(raw.prevHash) || !isHex64(raw.hash)) fail("EVENT_MALFORMED", pos, "seq must be a positive integer, prevHash and hash 64 lower-case hex characters");
    if (prev && e.seq <= prev.seq) fail("EVENT_ORDER", pos, "events must be in strictly increasing seq order");
    if (manifest.scope.customerId === null && prev && e.seq !== prev.seq + 1) fail("SEQ_GAP", pos, `a period bundle holds every event of its range; seq ${prev.seq + 1} is missing`);
    if (e.seq === 1 && e.prevHash !== GENESIS_HASH) fail("PREV_HASH_MISMATCH", pos, "seq 1 must follow the genesis hash (32 zero bytes)");
    if (prev && prev.seq === e.seq - 1 && e.prevHash !== prev.hash) fail("PREV_HASH_MISMATCH", pos, `prevHash ${short(e.prevHash)} is not the hash of seq ${prev.seq} (${short(prev.hash)})`);
    if (redacted) checkRedactedShape(e as RedactedBundleEvent, pos);
    else checkEventContent(e as BundleEvent, pos);
    bySeq.set(e.seq, e);
    prev = e;
  }
  if (list[0].seq !== manifest.range.firstSeq || list[list.length - 1].seq !== manifest.range.lastSeq) fail("COUNT_MISMATCH", "manifest", "the manifest's seq range is not the events' range");
  // The erasure event an entry names, when the bundle holds it, must itself be that subject's erasure.
  for (const [i, e] of list.entries()) {
    if (!("redacted" in e) || e.erasureSeq === null) continue;
    const target = bySeq.get(e.erasureSeq);
    if (target && (!("redacted" in target) || target.erasureSeq !== target.seq)) {
      fail("ERASURE_MARKER_INVALID", `events[${i}] (seq ${e.seq})`, `erasureSeq ${e.erasureSeq} names an event of the bundle that is not a redacted erasure`);
    }
  }
  // Every checkpoint whose head is in the bundle must sign that event's hash.
  for (const [i, cp] of checkpoints.entries()) {
    const e = bySeq.get(cp.seq);
    if (e && e.hash !== cp.headHash) fail("CHECKPOINT_HEAD_MISMATCH", `checkpoints[${i}] (seq ${cp.seq})`, `the checkpoint signs head ${short(cp.headHash)} but event ${cp.seq} has hash ${short(e.hash)}`);
  }
  void anchor;
  return list;
}

function checkRedactedShape(e: RedactedBundleEvent, pos: string): void {
  if (e.redacted !== REDACTED_ERASED) fail("ERASURE_MARKER_INVALID", pos, `the only redaction marker is ${REDACTED_ERASED}`);
  if (e.erasureSeq !== null && !isSeq(e.erasureSeq)) fail("ERASURE_MARKER_INVALID", pos, "erasureSeq must be a positive integer or null");
}

function checkEventContent(e: BundleEvent, pos: string): void {
  const sorted = Array.isArray(e.fields) && e.fields.every((f) => typeof f === "string") ? normalizeFields(e.fields) : null;
  if (!sorted || sorted.length !== e.fields.length || sorted.some((f, i) => f !== e.fields[i])) fail("EVENT_MALFORMED", pos, "fields must be sorted (UTF-16 code units) and unique");
  let computed: string;
  try {
    const { seq, prevHash, hash: _hash, ...content } = e;
    computed = hashEvent(prevHash, seq, content);
  } catch (error) {
    return fail("EVENT_MALFORMED", pos, `the event has no canonical form: ${(error as Error).message}`);
  }
  if (computed !== e.hash) fail("HASH_MISMATCH", pos, `the event's content hashes to ${short(computed)}, not its hash ${short(e.hash)}`);
}

function proofBytes(path: unknown, pos: string, what: string): Buffer[] {
  if (!Array.isArray(path) || !path.every(isHex64)) return fail("INCLUSION_PROOF_INVALID", pos, `${what} must be an array of 64 lower-case hex characters`);
  return path.map((h) => hexToHash(h));
}

function checkInclusion(list: BundleInclusionProof[], events: BundleEventEntry[], anchor: VerifiedCheckpoint): void {
  if (list.length !== events.length) fail("COUNT_MISMATCH", "section inclusionProofs", `${list.length} inclusion proofs for ${events.length} events`);
  const root = hexToHash(anchor.rootHash!);
  for (const [i, p] of list.entries()) {
    const e = events[i];
    const pos = `inclusionProofs[${i}] (seq ${e.seq})`;
    if (!hasMembers(p as unknown as Record<string, unknown>, ["seq", "treeSize", "auditPath"])) fail("INCLUSION_PROOF_INVALID", pos, "an inclusion proof holds exactly seq, treeSize, auditPath");
    if (p.seq !== e.seq) fail("INCLUSION_PROOF_INVALID", pos, `the proof is for seq ${String(p.seq)}, the event at this position is seq ${e.seq}`);
    if (p.treeSize !== anchor.treeSize) fail("INCLUSION_PROOF_INVALID", pos, `the proof is for tree size ${String(p.treeSize)}, the anchor's is ${anchor.treeSize}`);
    const path = proofBytes(p.auditPath, pos, "auditPath");
    try {
      // The leaf is the event's chain hash; a redacted event is checked by its hash alone (not its content).
      verifyInclusion(eventLeafHash(e.hash), e.seq - 1, anchor.treeSize!, path, root);
    } catch (error) {
      if (error instanceof MerkleProofError) fail("INCLUSION_PROOF_INVALID", pos, `the event is not proven in the anchor tree: ${error.code}`);
      throw error;
    }
  }
}

/** One proof per pair of successive tree-committing (v2) checkpoints, in order; returns how many. */
function checkConsistency(list: BundleConsistencyProof[], checkpoints: VerifiedCheckpoint[]): number {
  const trees = checkpoints.filter((c) => c.v === 2);
  const pairs = trees.slice(1).map((to, i) => ({ from: trees[i], to }));
  if (list.length !== pairs.length) fail("COUNT_MISMATCH", "section consistencyProofs", `${list.length} consistency proofs for ${pairs.length} successive tree checkpoints`);
  for (const [i, p] of list.entries()) {
    const { from, to } = pairs[i];
    const pos = `consistencyProofs[${i}] (${from.seq} → ${to.seq})`;
    if (!hasMembers(p as unknown as Record<string, unknown>, ["fromSize", "toSize", "proof"])) fail("CONSISTENCY_PROOF_INVALID", pos, "a consistency proof holds exactly fromSize, toSize, proof");
    if (p.fromSize !== from.treeSize || p.toSize !== to.treeSize) fail("CONSISTENCY_PROOF_INVALID", pos, `the proof is for sizes ${String(p.fromSize)} → ${String(p.toSize)}`);
    if (!Array.isArray(p.proof) || !p.proof.every(isHex64)) fail("CONSISTENCY_PROOF_INVALID", pos, "proof must be an array of 64 lower-case hex characters");
    try {
      verifyConsistency(from.treeSize!, to.treeSize!, p.proof.map((h) => hexToHash(h)), hexToHash(from.rootHash!), hexToHash(to.rootHash!));
    } catch (error) {
      if (error instanceof MerkleProofError) fail("CONSISTENCY_PROOF_INVALID", pos, `the later tree does not extend the earlier one: ${error.code}`);
      throw error;
    }
  }
  return pairs.length;
}

function checkCountsAndDigests(manifest: BundleManifest, sections: BundleSections, redacted: number): void {
  const actual = {
    events: sections.events.length,
    redacted,
    checkpoints: sections.checkpoints.length,
    inclusionProofs: sections.inclusionProofs.length,
    consistencyProofs: sections.consistencyProofs.length,
  };
  for (const [k, n] of Object.entries(actual)) {
    if (manifest.counts[k as keyof typeof actual] !== n) fail("COUNT_MISMATCH", "manifest", `the manifest counts ${manifest.counts[k as keyof typeof actual]} ${k}, the bundle holds ${n}`);
  }
  for (const name of SECTIONS) {
    const digest = sectionDigest(sections[name]);
    if (digest !== manifest.sections[name]) fail("SECTION_DIGEST_MISMATCH", `section ${name}`, `SHA-256 ${short(digest)} differs from the signed ${short(manifest.sections[name])}`);
  }
}
