// The offline verifier's promise: it needs only node built-ins, jose, the Merkle module's public entry and the
// pure canonical/hash code of the audit core. Walks its real import graph from src/verifier/cli.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../../..");
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/g;

function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1];
      if (!spec.startsWith(".")) {
        packages.add(spec);
        continue;
      }
      const base = path.resolve(path.dirname(file), spec);
      const candidates = [`${base}.ts`, path.join(base, "index.ts")];
      const found = candidates.find((c) => {
        try {
          readFileSync(c);
          return true;
        } catch {
          return false;
        }
      });
      if (!found) throw new Error(`${file}: cannot resolve ${spec}`);
      visit(found);
    }
  };
  visit(path.join(ROOT, entry));
  return { files, packages };
}

describe("custos-verify imports", () => {
  it("reaches only node built-ins, jose, src/audit/merkle and the pure audit core", () => {
    const { files, packages } = closure("src/verifier/cli.ts");
    const rel = [...files].map((f) => path.relative(ROOT, f)).sort();
    for (const f of rel) expect(f).toMatch(/^src\/(verifier\/[a-z-]+\.ts|audit\/merkle\/(index|hasher|geometry|tree|verify)\.ts|audit\/core\/(canonical|chain|types)\.ts)$/);
    expect(rel).toContain("src/audit/merkle/index.ts");
    for (const p of packages) expect(p === "jose" || p.startsWith("node:")).toBe(true);
    expect(packages).toContain("jose");
  });
});
