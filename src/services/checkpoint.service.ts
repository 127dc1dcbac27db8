// Signed audit checkpoints as a service: the signing key, the outside sink, the sealing timer, the published
// public key and verification against both copies of the checkpoints.
import type { Logger } from "pino";
import type { DataSource, EntityManager } from "typeorm";
import type { Clock } from "../clock";
import type { Config } from "../config";
import { checkpointJwks, importCheckpointKey, type CheckpointSigningKey, type SignedCheckpoint } from "../audit/checkpoint-jws";
import type { CheckpointSink } from "../audit/checkpoint-sink";
import { Checkpointer, type CheckpointPolicy } from "../audit/checkpointer";
import { verifyAuditLog, type AuditLogReport, type CheckpointSources, type VerifyLogOptions } from "../audit/verify-log";
import { loadOrCreateKeyFile, parseKeyMaterial } from "../crypto";
import { CryptoError } from "../crypto/errors";

export interface CheckpointSetup {
  /** null: the key material has no checkpointSigning key (development only); sealing is then off. */
  key: CheckpointSigningKey | null;
  sink: CheckpointSink | null;
  policy?: CheckpointPolicy;
}

/**
 * Reads checkpointSigning from the key material (file or CUSTOS_KEYS_JSON). Required in production; a
 * development key file written before checkpoints existed lacks it, which only turns sealing off.
 */
export async function loadCheckpointSigningKey(config: Config, logger: Logger): Promise<CheckpointSigningKey | null> {
  const material = config.keysJson ? parseKeyMaterial(config.keysJson) : (await loadOrCreateKeyFile(config.keysFile, { create: false })).material;
  if (material.checkpointSigning) return importCheckpointKey(material.checkpointSigning);
  if (config.nodeEnv === "production") {
    throw new CryptoError("BAD_KEY_MATERIAL", "key material: checkpointSigning is required when NODE_ENV=production");
  }
  logger.warn({ keysFile: config.keysFile }, "key material has no checkpointSigning key: audit checkpoints are off (delete the development key file to regenerate)");
  return null;
}

export class CheckpointService {
  readonly #setup: CheckpointSetup;
  readonly #checkpointer: Checkpointer | null;

  constructor(deps: { ds: DataSource; clock: Clock; logger: Logger; setup: CheckpointSetup }) {
    const { ds, clock, logger, setup } = deps;
    this.#setup = setup;
    this.#checkpointer =
      setup.key && setup.sink
        ? new Checkpointer({
            ds,
            clock,
            key: setup.key,
            sink: setup.sink,
            policy: setup.policy,
            onError: (error) =>
              logger.error({ err: { name: (error as Error)?.name, code: (error as { code?: string })?.code }, detail: (error as Error)?.message }, "audit checkpoint failed"),
            onSealed: (cp) => logger.info({ seq: cp.seq, kid: cp.kid }, "audit checkpoint sealed"),
          })
        : null;
  }

  get enabled(): boolean {
    return this.#checkpointer !== null;
  }

  /** The JWK Set that verifies checkpoints (empty when none is configured). */
  jwks(): ReturnType<typeof checkpointJwks> {
    return checkpointJwks(this.#setup.key ? [this.#setup.key] : []);
  }

  sources(): CheckpointSources {
    return { keys: this.#setup.key ? [this.#setup.key] : [], sink: this.#setup.sink };
  }

  /** Seals now if anything is new (`force`, the CLI) or if one is due by the policy. */
  checkpointNow(opts: { force?: boolean } = {}): Promise<SignedCheckpoint | null> {
    if (!this.#checkpointer) throw new CryptoError("BAD_KEY_MATERIAL", "audit checkpoints are off: the key material has no checkpointSigning key");
    return this.#checkpointer.checkpointNow(opts);
  }

  verify(db: DataSource | EntityManager, opts: VerifyLogOptions = {}): Promise<AuditLogReport> {
    return verifyAuditLog(db, this.sources(), opts);
  }

  start(): void {
    this.#checkpointer?.start();
  }

  stop(): Promise<void> {
    return this.#checkpointer?.stop() ?? Promise.resolve();
  }
}
