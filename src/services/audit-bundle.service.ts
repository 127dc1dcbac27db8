// Signed export bundles (docs/audit-bundle-format.md) for compliance officers and auditors, and for the
// operator's `custos export`: checks the permission, records the export as an `audit.report` event before any
// of it is written, finds or seals the anchor checkpoint, builds the bundle and signs its manifest with the
// checkpoint key.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Writable } from "node:stream";
import { CompactSign } from "jose";
import type { DataSource } from "typeorm";
import type { Clock } from "../clock";
import { BundleIntegrityError, buildBundle, type AnchorCheckpoint, type BuiltBundle, type ManifestSigner } from "../audit/bundle-builder";
import { selectBundleRange, type BundleRange, type BundleScope } from "../audit/bundle-store";
import { BundleWriter } from "../audit/bundle-writer";
import { storedHeadSeq } from "../audit/checkpoint-store";
import { badInput, CustosError, forbidden } from "../errors";
import type { AuditActor, AuditedStore } from "../store/audited-store";
import { isUuid, requireActor } from "../store/store-support";
import { BUNDLE_TYP } from "../verifier/bundle-format";
import type { CheckpointKeys, CheckpointService } from "./checkpoint.service";
import { anchorCheckpoint, signWithCurrentKey } from "./evidence-signing";

/** The GraphQL mutation returns the bundle as a string: at most this many events (the CLI has no cap). */
export const BUNDLE_MAX_EVENTS_GRAPHQL = 5_000;

export interface BundleRequest {
  from: Date;
  to: Date;
  customerId: string | null;
}

export interface BundleSummary extends BuiltBundle {
  range: BundleRange;
  anchorSeq: number;
}

export interface ExportOptions {
  /** The CLI: the operator, recorded without a principal and not checked against a role. */
  operator?: boolean;
  maxEvents?: number;
  onProgress?: (done: number, total: number) => void;
  /** Where sections are staged (default: on disk in the system's temp directory). */
  inMemory?: boolean;
}

/** "custos <version>" from the package.json above this file (src/ under vitest, dist/src/ when built). */
function generatorName(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "custos") return `custos ${pkg.version}`;
  }
  return "custos";
}

const GENERATOR = generatorName();

export class AuditBundleService {
  readonly #ds: DataSource;
  readonly #store: AuditedStore;
  readonly #checkpoints: CheckpointService;
  readonly #clock: Clock;
  #keys: CheckpointKeys | null;

  constructor(deps: { ds: DataSource; store: AuditedStore; checkpoints: CheckpointService; keys: CheckpointKeys | null; clock: Clock }) {
    this.#ds = deps.ds;
    this.#store = deps.store;
    this.#checkpoints = deps.checkpoints;
    this.#keys = deps.keys;
    this.#clock = deps.clock;
  }

  /** The bundle as a string, for the GraphQL mutation (capped at BUNDLE_MAX_EVENTS_GRAPHQL events). */
  async exportToString(actor: AuditActor, request: BundleRequest): Promise<BundleSummary & { content: string }> {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(Buffer.from(chunk));
        done();
      },
    });
    const summary = await this.exportBundle(actor, request, sink, { maxEvents: BUNDLE_MAX_EVENTS_GRAPHQL, inMemory: true });
    return { ...summary, content: Buffer.concat(chunks).toString("utf8") };
  }

  /**
   * Writes the bundle to `out`. Fail-closed: the export is recorded (and sealed) before anything is written;
   * a refusal for lack of permission is recorded as DENIED.
   */
  async exportBundle(actor: AuditActor, request: BundleRequest, out: NodeJS.WritableStream, opts: ExportOptions = {}): Promise<BundleSummary> {
    const scope = this.#validate(request);
    if (!this.#keys) throw new CustosError("CONFLICT", "Audit checkpoints are off: a bundle needs the checkpoint signing key");
    const range = await this.#record(actor, scope, opts);
    const anchor = await this.#anchorFor(range.lastSeq);
    this.#keys = (await this.#keys.refresh?.()) ?? this.#keys;
    // Never dated before the key's activation (a clock lagging the host that rotated it), as sealing does.
    const activated = this.#keys.current.activatedAt !== undefined ? Date.parse(this.#keys.current.activatedAt) : -Infinity;
    const now = this.#clock.now();
    const writer = opts.inMemory ? BundleWriter.inMemory() : await BundleWriter.onDisk();
    try {
      const built = await buildBundle({
        ds: this.#ds,
        scope,
        range,
        anchor,
        signer: this.#signer(),
        generator: GENERATOR,
        generatedAt: now.getTime() >= activated ? now : new Date(activated),
        writer,
        onProgress: opts.onProgress,
      });
      await writer.writeTo(out, built.manifestJws);
      return { ...built, range, anchorSeq: anchor.seq };
    } catch (error) {
      if (error instanceof BundleIntegrityError) throw new CustosError("CONFLICT", "The audit log's Merkle tree disagrees with its signed checkpoints; run `custos verify`");
      throw error;
    } finally {
      await writer.dispose();
    }
  }

  #validate(request: BundleRequest): BundleScope {
    const { from, to, customerId } = request;
    if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw badInput("from must be a date", "from");
    if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw badInput("to must be a date", "to");
    if (from.getTime() >= to.getTime()) throw badInput("from must be before to", "from");
    if (customerId !== null && !isUuid(customerId)) throw badInput("customerId must be a UUID", "customerId");
    return { from, to, customerId: customerId === null ? null : customerId.toLowerCase() };
  }

  /** Permission, range and the `audit.report` event (parameter names only: a customer id identifies someone). */
  #record(actor: AuditActor, scope: BundleScope, opts: ExportOptions): Promise<BundleRange> {
    const given = ["from", "to", ...(scope.customerId !== null ? ["customerId"] : [])].sort();
    return this.#store.run(actor, null, async (uow) => {
      if (!opts.operator) {
        const { ability } = requireActor(uow);
        if (!ability.can("export", "AuditBundle")) {
          uow.recordAttempt({ action: "audit.report", resourceType: "audit", resourceId: null, outcome: "DENIED", details: { report: "exportAuditBundle" } });
          throw forbidden();
        }
      }
      const head = await storedHeadSeq(uow.em);
      const range = await selectBundleRange(uow.em, scope, head);
      if (!range) throw badInput("No audit events match the period (and customer)", "from");
      if (opts.maxEvents !== undefined && range.count > opts.maxEvents) {
        throw badInput(`The bundle would hold ${range.count} events; at most ${opts.maxEvents} here (use \`custos export\` for more)`, "to");
      }
      uow.record({
        action: "audit.report",
        resourceType: "audit",
        resourceId: null,
        outcome: "SUCCESS",
        fields: given,
        details: { report: "exportAuditBundle", events: range.count, firstSeq: range.firstSeq, lastSeq: range.lastSeq },
      });
      return range;
    });
  }

  /** The first tree-committing checkpoint at or after `lastSeq`; sealed now if there is none yet. */
  #anchorFor(lastSeq: number): Promise<AnchorCheckpoint> {
    return anchorCheckpoint(this.#ds, this.#checkpoints, lastSeq, "a bundle");
  }

  /** Signs manifests with the current checkpoint key (services/evidence-signing.ts). */
  #signer(): ManifestSigner {
    return {
      kid: this.#keys!.current.kid,
      sign: async (payload) => {
        // The payload names the kid it was built for.
        const { kid } = JSON.parse(Buffer.from(payload).toString("utf8")) as { kid: string };
        const { signature, keys } = await signWithCurrentKey(this.#ds, this.#keys!, kid, "the export", (key) =>
          new CompactSign(payload).setProtectedHeader({ alg: "EdDSA", typ: BUNDLE_TYP, kid: key.kid }).sign(key.privateKey),
        );
        this.#keys = keys;
        return signature;
      },
    };
  }
}
