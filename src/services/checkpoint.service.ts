// Signed audit checkpoints as a service: the signing keys (followed in the key file, so a rotation needs no
// restart), the outside sink, the sealing timer, the published public keys and verification against both
// copies of the checkpoints.
import { promises as fs } from "node:fs";
import type { Logger } from "pino";
import type { DataSource, EntityManager } from "typeorm";
import type { Clock } from "../clock";
import type { Config } from "../config";
import {
  checkpointJwks,
  importCheckpointKey,
  importCheckpointPublicJwk,
  verifyCheckpoint,
  type CheckpointSigningKey,
  type CheckpointVerificationKey,
  type SignedCheckpoint,
} from "../audit/checkpoint-jws";
import type { CheckpointSink } from "../audit/checkpoint-sink";
import { listStoredCheckpoints } from "../audit/checkpoint-store";
import { Checkpointer, CheckpointRefusedError, DEFAULT_CHECKPOINT_POLICY, type CheckpointPolicy } from "../audit/checkpointer";
import { verifyAuditLog, type AuditLogReport, type CheckpointSources, type VerifyLogOptions } from "../audit/verify-log";
import { loadOrCreateKeyFile, parseKeyMaterial } from "../crypto";
import { CryptoError } from "../crypto/errors";
import type { CheckpointSigningMaterial } from "../crypto/key-material";

/**
 * Held exclusively by `keys rotate-checkpoint` while it rewrites the key file and shared by every seal,
 * which re-reads the key file under it: no replica can sign with a key retired a moment earlier.
 */
export const CHECKPOINT_KEY_ROTATION_LOCK = 0x637573746f6b; // "custok"

/** The checkpoint keys of the key material: the one that signs, and the retired ones that only verify. */
export interface CheckpointKeys {
  current: CheckpointSigningKey;
  retired: readonly CheckpointVerificationKey[];
  /** Re-reads the key source: the new keys when the file changed, null when it did not. Absent: fixed keys. */
  refresh?(): Promise<CheckpointKeys | null>;
}

export interface CheckpointSetup {
  /** null: the key material has no checkpointSigning key (development only); sealing is then off. */
  key: CheckpointKeys | null;
  sink: CheckpointSink | null;
  policy?: CheckpointPolicy;
}

export async function importCheckpointKeys(material: CheckpointSigningMaterial): Promise<CheckpointKeys> {
  const retired = await Promise.all(
    (material.retired ?? []).map((r) => importCheckpointPublicJwk({ ...r.publicJwk, kid: r.kid, activatedAt: r.activatedAt, retiredAt: r.retiredAt })),
  );
  return { current: await importCheckpointKey(material), retired };
}

/** Follows a key file: cheap stat each time, full strict re-read only when it changed. */
function followKeyFile(file: string, fingerprint: string, keys: CheckpointKeys): CheckpointKeys {
  return {
    ...keys,
    async refresh() {
      const stat = await fs.stat(file);
      const now = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      if (now === fingerprint) return null;
      const { material } = await loadOrCreateKeyFile(file, { create: false });
      if (!material.checkpointSigning) throw new CryptoError("BAD_KEY_MATERIAL", "key file no longer has a checkpointSigning key");
      return followKeyFile(file, now, await importCheckpointKeys(material.checkpointSigning));
    },
  };
}

/**
 * Reads checkpointSigning from the key material (file or CUSTOS_KEYS_JSON). Required in production; a
 * development key file written before checkpoints existed lacks it, which only turns sealing off. Keys
 * from the file follow it (`keys rotate-checkpoint`); keys from CUSTOS_KEYS_JSON change with a restart.
 */
export async function loadCheckpointSigningKey(config: Config, logger: Logger): Promise<CheckpointKeys | null> {
  let material;
  let fingerprint = "";
  if (config.keysJson) material = parseKeyMaterial(config.keysJson);
  else {
    const stat = await fs.stat(config.keysFile).catch(() => null);
    fingerprint = stat ? `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}` : "";
    material = (await loadOrCreateKeyFile(config.keysFile, { create: false })).material;
  }
  if (material.checkpointSigning) {
    const keys = await importCheckpointKeys(material.checkpointSigning);
    return config.keysJson ? keys : followKeyFile(config.keysFile, fingerprint, keys);
  }
  if (config.nodeEnv === "production") {
    throw new CryptoError("BAD_KEY_MATERIAL", "key material: checkpointSigning is required when NODE_ENV=production");
  }
  logger.warn({ keysFile: config.keysFile }, "key material has no checkpointSigning key: audit checkpoints are off (delete the development key file to regenerate)");
  return null;
}

export class CheckpointService {
  readonly #ds: DataSource;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #setup: CheckpointSetup;
  #keys: CheckpointKeys | null;
  #checkpointer: Checkpointer | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;

  constructor(deps: { ds: DataSource; clock: Clock; logger: Logger; setup: CheckpointSetup }) {
    this.#ds = deps.ds;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#setup = deps.setup;
    this.#keys = deps.setup.key;
    if (this.#keys && deps.setup.sink) this.#checkpointer = this.#checkpointerFor(this.#keys.current, deps.setup.sink);
  }

  #checkpointerFor(key: CheckpointSigningKey, sink: CheckpointSink): Checkpointer {
    // Never issued before the key's activation, even by a clock lagging the host that rotated it: such a
    // checkpoint would read as backdated (key_not_yet_active).
    const floor = key.activatedAt !== undefined ? Date.parse(key.activatedAt) : -Infinity;
    const clock: Clock = {
      now: () => {
        const now = this.#clock.now();
        return now.getTime() >= floor ? now : new Date(floor);
      },
    };
    return new Checkpointer({ ds: this.#ds, clock, key, sink, policy: this.#setup.policy });
  }

  get enabled(): boolean {
    return this.#checkpointer !== null;
  }

  /** kid of the key that signs new checkpoints (null when sealing is off). */
  get currentKid(): string | null {
    return this.#keys?.current.kid ?? null;
  }

  #verificationKeys(): CheckpointVerificationKey[] {
    return this.#keys ? [this.#keys.current, ...this.#keys.retired] : [];
  }

  /** The JWK Set that verifies checkpoints: the current key and every retired one (empty when none). */
  jwks(): ReturnType<typeof checkpointJwks> {
    return checkpointJwks(this.#verificationKeys());
  }

  sources(): CheckpointSources {
    return { keys: this.#verificationKeys(), sink: this.#setup.sink };
  }

  /** Picks up a rotated key file; the checkpointer is rebuilt around the new current key. */
  async refreshKeys(): Promise<void> {
    const next = await this.#keys?.refresh?.();
    if (!next) return;
    const previous = this.#keys!.current.kid;
    this.#keys = next;
    if (next.current.kid !== previous && this.#setup.sink) {
      this.#checkpointer = this.#checkpointerFor(next.current, this.#setup.sink);
      this.#logger.info({ kid: next.current.kid, retiredKid: previous }, "audit checkpoint key changed: sealing with the new key");
    }
  }

  /**
   * Seals now if anything is new (`force`, the CLI) or if one is due by the policy. Under the shared
   * rotation lock, after re-reading the key file: a key that is no longer current never signs.
   */
  async checkpointNow(opts: { force?: boolean } = {}): Promise<SignedCheckpoint | null> {
    if (!this.#checkpointer) throw new CryptoError("BAD_KEY_MATERIAL", "audit checkpoints are off: the key material has no checkpointSigning key");
    const runner = this.#ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SELECT pg_advisory_lock_shared($1)`, [CHECKPOINT_KEY_ROTATION_LOCK]);
      try {
        await this.refreshKeys();
        await this.#publishPending();
        return await this.#checkpointer.checkpointNow(opts);
      } finally {
        await runner.query(`SELECT pg_advisory_unlock_shared($1)`, [CHECKPOINT_KEY_ROTATION_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * Copies to the sink database checkpoints it lacks (a sink write that failed after commit), checked
   * against every verification key: one signed before a rotation still goes out. The checkpointer's own
   * pass knows the current key only, so it then finds nothing left.
   */
  async #publishPending(): Promise<void> {
    const sink = this.#setup.sink;
    if (!sink || !this.#keys?.retired.length) return;
    const latest = await sink.latest();
    const keys = this.#verificationKeys();
    for (const row of await listStoredCheckpoints(this.#ds, latest?.seq ?? 0)) {
      const verified = await verifyCheckpoint(row.jws, keys).catch(() => {
        throw new CheckpointRefusedError(row.seq, `audit_checkpoint row ${row.seq} does not verify`);
      });
      await sink.write(verified);
    }
  }

  async verify(db: DataSource | EntityManager, opts: VerifyLogOptions = {}): Promise<AuditLogReport> {
    await this.refreshKeys();
    return verifyAuditLog(db, this.sources(), opts);
  }

  /** Verification with the given keys only (an auditor's saved copy), ignoring the installation's keys. */
  verifyWithKeys(db: DataSource | EntityManager, keys: readonly CheckpointVerificationKey[], opts: VerifyLogOptions = {}): Promise<AuditLogReport> {
    return verifyAuditLog(db, { keys, sink: this.#setup.sink }, opts);
  }

  /** Checks every `min(T, 5 s)` of real time whether a checkpoint is due; decisions use the injected clock. */
  start(tickMs = Math.min((this.#setup.policy ?? DEFAULT_CHECKPOINT_POLICY).everyMs, 5_000)): void {
    if (this.#timer || !this.#checkpointer) return;
    this.#timer = setInterval(() => {
      if (this.#running) return; // one run at a time per process
      this.#running = this.checkpointNow()
        .then((cp) => cp && this.#logger.info({ seq: cp.seq, kid: cp.kid }, "audit checkpoint sealed"))
        .catch((error) =>
          this.#logger.error({ err: { name: (error as Error)?.name, code: (error as { code?: string })?.code }, detail: (error as Error)?.message }, "audit checkpoint failed"),
        )
        .finally(() => {
          this.#running = null;
        });
    }, tickMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a run in progress, so the database can be closed after it. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
