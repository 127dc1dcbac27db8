// Writes a bundle without holding it in memory: each section streams into its own temporary file while its
// digest is computed; once the manifest is signed, header and sections are copied into the output in the
// layout of src/verifier/bundle-format.ts. Small bundles (the GraphQL mutation) can stay in memory instead.
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  elementLine,
  headerLine,
  SectionDigest,
  sectionCloseLine,
  sectionOpenLine,
  SECTIONS,
  type SectionName,
} from "../verifier/bundle-format";

interface SectionStore {
  digest: SectionDigest;
  append(text: string): Promise<void>;
  close(): Promise<void>;
  copyTo(out: NodeJS.WritableStream): Promise<void>;
}

async function write(out: NodeJS.WritableStream, text: string | Buffer): Promise<void> {
  if (!out.write(text)) await once(out, "drain");
}

function memorySection(): SectionStore {
  const parts: string[] = [];
  return {
    digest: new SectionDigest(),
    append: async (text) => void parts.push(text),
    close: async () => undefined,
    copyTo: (out) => write(out, parts.join("")),
  };
}

function fileSection(file: string): SectionStore {
  let stream: WriteStream | null = null;
  return {
    digest: new SectionDigest(),
    async append(text) {
      stream ??= createWriteStream(file, { mode: 0o600 });
      await write(stream, text);
    },
    async close() {
      if (!stream) return;
      const s = stream;
      await new Promise<void>((resolve, reject) => s.end((error?: Error | null) => (error ? reject(error) : resolve())));
    },
    async copyTo(out) {
      if (!stream) return;
      for await (const chunk of createReadStream(file)) await write(out, chunk as Buffer);
    },
  };
}

export class BundleWriter {
  readonly #sections: Record<SectionName, SectionStore>;
  readonly #dir: string | null;

  private constructor(sections: Record<SectionName, SectionStore>, dir: string | null) {
    this.#sections = sections;
    this.#dir = dir;
  }

  /** Sections in memory: for bundles that are capped anyway. */
  static inMemory(): BundleWriter {
    return new BundleWriter({ events: memorySection(), checkpoints: memorySection(), inclusionProofs: memorySection(), consistencyProofs: memorySection() }, null);
  }

  /** Sections in temporary files under `parent` (default: the system's temp directory), removed by dispose(). */
  static async onDisk(parent = os.tmpdir()): Promise<BundleWriter> {
    const dir = await mkdtemp(path.join(parent, "custos-bundle-"));
    const at = (name: SectionName) => fileSection(path.join(dir, `${name}.part`));
    return new BundleWriter({ events: at("events"), checkpoints: at("checkpoints"), inclusionProofs: at("inclusionProofs"), consistencyProofs: at("consistencyProofs") }, dir);
  }

  /** Appends one element to a section (elements are separated by "," and a line feed). */
  async add(name: SectionName, element: unknown): Promise<void> {
    const section = this.#sections[name];
    const line = elementLine(element);
    const first = section.digest.count === 0;
    section.digest.add(line);
    await section.append(first ? line : `,\n${line}`);
  }

  count(name: SectionName): number {
    return this.#sections[name].digest.count;
  }

  /** The SHA-256 of each section as the manifest states it. */
  digests(): Record<SectionName, string> {
    return Object.fromEntries(SECTIONS.map((n) => [n, this.#sections[n].digest.hex()])) as Record<SectionName, string>;
  }

  /** Writes the whole file: the header with the signed manifest, then every section. */
  async writeTo(out: NodeJS.WritableStream, manifestJws: string): Promise<void> {
    await write(out, headerLine(manifestJws));
    for (const name of SECTIONS) {
      const section = this.#sections[name];
      await section.close();
      await write(out, sectionOpenLine(name));
      await section.copyTo(out);
      if (section.digest.count > 0) await write(out, "\n");
      await write(out, sectionCloseLine(name));
    }
  }

  async dispose(): Promise<void> {
    for (const name of SECTIONS) await this.#sections[name].close().catch(() => undefined);
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }
}
