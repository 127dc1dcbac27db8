// The audit bundle file format (docs/audit-bundle-format.md): element shapes, the exact byte layout of the
// file and the section digests. Shared by the exporter and the offline verifier, so it imports nothing but
// node built-ins and the pure canonical form of src/audit/core.
import { createHash } from "node:crypto";
import { canonicalJson } from "../audit/core/canonical";

export const BUNDLE_FORMAT = "custos-audit-bundle";
export const BUNDLE_VERSION = 1;
/** `typ` of the manifest JWS: never a checkpoint (custos-checkpoint+jws) or an access token (at+jwt). */
export const BUNDLE_TYP = "custos-bundle+jws";
/** The marker of an event that refers to an erased subject: only its chain position and proof are kept. */
export const REDACTED_ERASED = "ERASED_SUBJECT";

/** The four sections, in file order. */
export const SECTIONS = ["events", "checkpoints", "inclusionProofs", "consistencyProofs"] as const;
export type SectionName = (typeof SECTIONS)[number];

/** An event in full: the 13 content members of the hashed object plus seq, prevHash and hash. */
export interface BundleEvent {
  seq: number;
  prevHash: string;
  hash: string;
  occurredAt: string;
  actorId: string | null;
  actorRole: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  fields: string[];
  outcome: string;
  requestId: string | null;
  operation: string | null;
  clientAddress: string | null;
  purpose: string | null;
  details: Record<string, string | number | boolean | null>;
}

/** An event that refers to an erased subject: position and hashes only, plus the seq of the erasure. */
export interface RedactedBundleEvent {
  seq: number;
  prevHash: string;
  hash: string;
  redacted: typeof REDACTED_ERASED;
  /** The seq of the subject's `customer.erase` event; null when the log holds none (erased before it was logged). */
  erasureSeq: number | null;
}

export type BundleEventEntry = BundleEvent | RedactedBundleEvent;

export interface BundleCheckpoint {
  jws: string;
}

/** The audit path of leaf seq − 1 in the anchor tree of `treeSize` leaves, nearest sibling first. */
export interface BundleInclusionProof {
  seq: number;
  treeSize: number;
  auditPath: string[];
}

/** RFC 6962 PROOF(fromSize, D[toSize]) between two successive tree-committing checkpoints. */
export interface BundleConsistencyProof {
  fromSize: number;
  toSize: number;
  proof: string[];
}

export interface BundleSections {
  events: BundleEventEntry[];
  checkpoints: BundleCheckpoint[];
  inclusionProofs: BundleInclusionProof[];
  consistencyProofs: BundleConsistencyProof[];
}

/** The signed manifest payload (canonical JSON inside the manifest JWS). */
export interface BundleManifest {
  v: 1;
  generator: string;
  generatedAt: string;
  kid: string;
  scope: { from: string; to: string; customerId: string | null };
  range: { firstSeq: number; lastSeq: number };
  anchor: { treeSize: number; rootHash: string };
  counts: { events: number; redacted: number; checkpoints: number; inclusionProofs: number; consistencyProofs: number };
  sections: Record<SectionName, string>;
}

export const EVENT_MEMBERS = [
  "action",
  "actorId",
  "actorRole",
  "clientAddress",
  "details",
  "fields",
  "hash",
  "occurredAt",
  "operation",
  "outcome",
  "prevHash",
  "purpose",
  "requestId",
  "resourceId",
  "resourceType",
  "seq",
] as const;
export const REDACTED_MEMBERS = ["erasureSeq", "hash", "prevHash", "redacted", "seq"] as const;

/** One element's line: its RFC 8785 canonical JSON. */
export function elementLine(element: unknown): string {
  return canonicalJson(element);
}

/** SHA-256 over the section's elements, each as canonical JSON followed by one LF (0x0A), in order. */
export class SectionDigest {
  readonly #hash = createHash("sha256");
  #count = 0;

  /** Adds one element's canonical line (as returned by elementLine). */
  add(line: string): void {
    this.#hash.update(line, "utf8").update("\n");
    this.#count += 1;
  }

  get count(): number {
    return this.#count;
  }

  hex(): string {
    return this.#hash.copy().digest("hex");
  }
}

/** The first line of the file; the manifest JWS is the only variable part. */
export function headerLine(manifestJws: string): string {
  return `{"format":${JSON.stringify(BUNDLE_FORMAT)},"version":${BUNDLE_VERSION},"manifest":${JSON.stringify(manifestJws)},\n`;
}

/** The opening line of a section. */
export function sectionOpenLine(name: SectionName): string {
  return `${JSON.stringify(name)}:[\n`;
}

/** The closing line of a section: `],` or, after the last one, `]}`. */
export function sectionCloseLine(name: SectionName): string {
  return name === SECTIONS[SECTIONS.length - 1] ? "]}\n" : "],\n";
}

/**
 * The whole file for sections held in memory: the exact bytes every bundle has (what the verifier rebuilds
 * and compares). Element lines are separated by `,` + LF; every line ends with LF.
 */
export function renderBundle(manifestJws: string, sections: BundleSections): string {
  const out: string[] = [headerLine(manifestJws)];
  for (const name of SECTIONS) {
    out.push(sectionOpenLine(name));
    const lines = (sections[name] as unknown[]).map(elementLine);
    if (lines.length > 0) out.push(`${lines.join(",\n")}\n`);
    out.push(sectionCloseLine(name));
  }
  return out.join("");
}

/** The digest of a section held in memory. */
export function sectionDigest(elements: readonly unknown[]): string {
  const d = new SectionDigest();
  for (const e of elements) d.add(elementLine(e));
  return d.hex();
}

/** Strict base64url (RFC 4648 §5, no padding) that decodes and re-encodes to itself: one spelling per value. */
export function decodeBase64UrlStrict(segment: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(segment) || segment.length % 4 === 1) return null;
  const bytes = Buffer.from(segment, "base64url");
  return bytes.toString("base64url") === segment ? bytes : null;
}
