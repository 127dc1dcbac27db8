// Where checkpoints go outside the database. DirectorySink (the default) keeps one file per checkpoint and
// never overwrites one; object storage with a retention lock or a witness service can implement the same seam.
import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { errno, syncDirectory } from "../durable-file";
import type { SignedCheckpoint } from "./checkpoint-jws";

/** A checkpoint as the sink holds it: the seq it is filed under and the JWS, not yet verified. */
export interface SinkEntry {
  seq: number;
  jws: string;
}

export interface CheckpointSink {
  /** Human-readable location, for logs and reports. */
  readonly location: string;
  /**
   * Stores the checkpoint; never replaces a different one already filed under its seq (that is a
   * CheckpointSinkConflict). Writing the identical JWS again is a no-op, so retries are safe.
   */
  write(checkpoint: SignedCheckpoint): Promise<void>;
  /** Every entry, in seq order. */
  list(): Promise<SinkEntry[]>;
  latest(): Promise<SinkEntry | null>;
}

export class CheckpointSinkConflict extends Error {
  constructor(readonly seq: number) {
    super(`a different checkpoint is already filed for seq ${seq}`);
    this.name = "CheckpointSinkConflict";
  }
}

/** 16 digits hold any safe integer, so names sort like their seq. */
export const checkpointFileName = (seq: number): string => `${String(seq).padStart(16, "0")}.jws`;
const FILE_NAME = /^(\d{16})\.jws$/;


/**
 * An append-only directory: each file is written to a temp name, fsynced, then hard-linked into place,
 * and link() fails rather than replace, so a crash leaves no half-written checkpoint and no process
 * ever overwrites one. Files are made read-only (0444). Point it at storage the database's operators
 * cannot rewrite (another host, a WORM mount) for it to mean anything against a rewritten database.
 */
export class DirectorySink implements CheckpointSink {
  constructor(readonly location: string) {}

  async write(checkpoint: SignedCheckpoint): Promise<void> {
    await fs.mkdir(this.location, { recursive: true, mode: 0o700 });
    const file = path.join(this.location, checkpointFileName(checkpoint.seq));
    const temp = path.join(this.location, `.${randomUUID()}.tmp`);
    const handle = await fs.open(temp, "wx", 0o444);
    try {
      await handle.writeFile(`${checkpoint.jws}\n`, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await fs.link(temp, file);
    } catch (error) {
      if (errno(error) !== "EEXIST") {
        await fs.rm(temp, { force: true });
        throw error;
      }
      const existing = (await fs.readFile(file, "utf8")).trim();
      await fs.rm(temp, { force: true });
      if (existing !== checkpoint.jws) throw new CheckpointSinkConflict(checkpoint.seq);
      return;
    }
    await fs.rm(temp, { force: true });
    await syncDirectory(this.location);
  }

  async list(): Promise<SinkEntry[]> {
    const names = await this.#names();
    const entries: SinkEntry[] = [];
    for (const name of names) entries.push(await this.#read(name));
    return entries;
  }

  async latest(): Promise<SinkEntry | null> {
    const names = await this.#names();
    return names.length ? this.#read(names[names.length - 1]) : null;
  }

  async #names(): Promise<string[]> {
    try {
      return (await fs.readdir(this.location)).filter((n) => FILE_NAME.test(n)).sort();
    } catch (error) {
      if (errno(error) === "ENOENT") return [];
      throw error;
    }
  }

  async #read(name: string): Promise<SinkEntry> {
    const seq = Number(FILE_NAME.exec(name)![1]);
    return { seq, jws: (await fs.readFile(path.join(this.location, name), "utf8")).trim() };
  }
}

