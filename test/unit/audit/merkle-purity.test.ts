// The Merkle core must stay usable by a standalone offline verifier: src/audit/merkle/index.ts and every file
// it pulls in import only node:crypto and each other (the database adapters there are not part of it).
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const DIR = path.resolve(__dirname, "../../../src/audit/merkle");
const IMPORT = /(?:\bimport|\bexport)\s+(?:type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?["']([^"']+)["']|\brequire\s*\(\s*["']([^"']+)["']\s*\)/g;

/** Every module reachable from index.ts, and what each imports that is not a sibling. */
function closure(): { files: string[]; outside: string[] } {
  const seen = new Set<string>();
  const outside: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(path.join(DIR, file), "utf8").replace(/\/\/.*$/gm, "");
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith("./") && !spec.slice(2).includes("/")) visit(`${spec.slice(2)}.ts`);
      else if (spec !== "node:crypto") outside.push(`${file}: ${spec}`);
    }
  };
  visit("index.ts");
  return { files: [...seen].sort(), outside };
}

describe("src/audit/merkle/index.ts", () => {
  it("imports nothing but node:crypto and pure siblings", () => {
    const { files, outside } = closure();
    expect(outside).toEqual([]);
    expect(files).toEqual(["geometry.ts", "hasher.ts", "index.ts", "tree.ts", "verify.ts"]);
  });
});
