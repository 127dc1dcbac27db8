// Structural guarantees read from the source tree: the audited store is the only way to customer and
// case data, the audit core is pure, only config reads the environment, and schema sync is never on.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

interface SourceFile {
  /** Relative to the repository root, with forward slashes. */
  path: string;
  text: string;
}

const REPO = path.resolve(__dirname, "../..");

function loadTree(root: string, dirs: readonly string[]): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return; // a directory that does not exist has nothing to check
    }
    for (const e of entries) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory() && e.name !== "node_modules") walk(child);
      else if (e.isFile() && /\.(ts|mts|cts|js)$/.test(e.name)) out.push({ path: child, text: readFileSync(path.join(root, child), "utf8") });
    }
  };
  dirs.forEach(walk);
  return out;
}

/**
 * Splits TypeScript into `code` (comments blanked, literals kept) and the literals' contents, so prose
 * in comments never counts and SQL is only looked for inside strings. Regex literals are recognised by
 * the usual rule (a `/` where an operand is expected) so a quote inside one does not open a string.
 */
function scan(text: string): { code: string; strings: string[] } {
  let code = "";
  const strings: string[] = [];
  const braces: number[] = []; // unclosed `{` count inside each `${ … }` we are in
  let i = 0;
  let lastSignificant = "";
  /** Reads a literal's body from i (just after its opening quote, or after the `}` of a substitution). */
  const readLiteral = (quote: string) => {
    let content = "";
    let last = quote;
    while (i < text.length) {
      const c = text[i];
      if (c === "\\") {
        content += text.slice(i, i + 2);
        code += text.slice(i, i + 2);
        i += 2;
      } else if (c === quote) {
        code += text[i++];
        break;
      } else if (quote === "`" && c === "$" && text[i + 1] === "{") {
        code += "${";
        i += 2;
        braces.push(0);
        last = "{";
        break;
      } else {
        content += c;
        code += text[i++];
      }
    }
    strings.push(content);
    lastSignificant = last;
  };
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      code += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === "/" && (lastSignificant === "" || /[(,=:[!&|?{};+\-*%<>~^]/.test(lastSignificant) || /\breturn$/.test(code.trimEnd()))) {
      let inClass = false;
      code += text[i++];
      while (i < text.length && (inClass || text[i] !== "/")) {
        if (text[i] === "\\") code += text[i++];
        else if (text[i] === "[") inClass = true;
        else if (text[i] === "]") inClass = false;
        code += text[i++];
      }
      code += text[i++] ?? "";
      lastSignificant = "/";
    } else if (c === '"' || c === "'" || c === "`") {
      code += text[i++];
      readLiteral(c);
    } else if (c === "}" && braces.length > 0 && braces[braces.length - 1] === 0) {
      braces.pop();
      code += text[i++];
      readLiteral("`"); // the template literal continues after its substitution
    } else {
      if (braces.length > 0 && c === "{") braces[braces.length - 1]++;
      if (braces.length > 0 && c === "}") braces[braces.length - 1]--;
      code += c;
      i++;
      if (!/\s/.test(c)) lastSignificant = c;
    }
  }
  return { code, strings };
}

const PROTECTED_ENTITIES = ["CustomerEntity", "CustomerKeyEntity", "CustomerTransactionEntity", "CaseEntity", "CaseNoteEntity", "CaseEventEntity"];
const PROTECTED_TABLES = [
  "customer",
  "customer_key",
  "customer_transaction",
  "support_case",
  "case_note",
  "case_event",
  "case_contact",
  "case_attachment",
  "case_survey",
  "case_clock_event",
  "clock_job",
];
const TABLE = `("?public"?\\.)?"?(${PROTECTED_TABLES.join("|")})\\b`;
const SQL_ON_TABLE = new RegExp(`\\b(from|join|into|update|table|truncate|only)\\s+${TABLE}`, "i");
const STRING_TARGET = new RegExp(`\\.\\s*\\w+\\s*\\(\\s*["'\`](${[...PROTECTED_TABLES, ...PROTECTED_ENTITIES].join("|")})["'\`]\\s*[,)]`);
const ENTITY_NAME = new RegExp(`\\b(${PROTECTED_ENTITIES.join("|")})\\b`);
const NAMESPACE_ENTITIES = /import\s*\*\s*as\s+\w+\s+from\s*["'][^"']*\/entities(\/index)?["']/;

/** (a) Customer and case rows are reachable only from src/store/ (and declared in src/entities/). */
function dataAccessOutsideStore(files: readonly SourceFile[]): string[] {
  const found: string[] = [];
  for (const f of files) {
    if (!f.path.startsWith("src/") || f.path.startsWith("src/store/") || f.path.startsWith("src/entities/")) continue;
    const { code, strings } = scan(f.text);
    const name = ENTITY_NAME.exec(code);
    if (name) found.push(`${f.path}: uses ${name[1]}`);
    if (NAMESPACE_ENTITIES.test(code)) found.push(`${f.path}: imports the entities module as a namespace`);
    const target = STRING_TARGET.exec(code);
    if (target) found.push(`${f.path}: names ${target[1]} as a query target`);
    for (const s of strings) {
      const sql = SQL_ON_TABLE.exec(s);
      if (sql) found.push(`${f.path}: SQL on ${sql[3]}`);
    }
  }
  return found;
}

const IMPORT_SPECIFIER = /(?:\bimport|\bexport)\s+(?:type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?["']([^"']+)["']|\b(?:require|import)\s*\(\s*(?:["']([^"']+)["']|([^)]*))\)/g;

/** (b) src/audit/core/ imports only node:crypto and its own files. */
function impureAuditCoreImports(files: readonly SourceFile[]): string[] {
  const found: string[] = [];
  for (const f of files.filter((x) => x.path.startsWith("src/audit/core/"))) {
    for (const m of scan(f.text).code.matchAll(IMPORT_SPECIFIER)) {
      const spec = m[1] ?? m[2];
      if (spec === undefined) {
        found.push(`${f.path}: computed import ${m[3]?.trim()}`);
        continue;
      }
      const inside = spec.startsWith(".") && path.posix.join(path.posix.dirname(f.path), spec).startsWith("src/audit/core/");
      if (spec !== "node:crypto" && !inside) found.push(`${f.path}: imports ${spec}`);
    }
  }
  return found;
}

const ENV_READ = [/\bprocess\s*\.\s*env\b/, /\bprocess\s*\[\s*["'`]env["'`]\s*\]/, /\{[^{}]*\benv\b[^{}]*\}\s*=\s*(globalThis\s*\.\s*)?process\b/];

/** (c) Only src/config.ts reads process.env. */
function envReadersOutsideConfig(files: readonly SourceFile[]): string[] {
  return files
    .filter((f) => f.path.startsWith("src/") && f.path !== "src/config.ts")
    .filter((f) => ENV_READ.some((re) => re.test(scan(f.text).code)))
    .map((f) => f.path);
}

/** (d) No data source synchronises or drops the schema; migrations own it. */
function schemaSyncSwitches(files: readonly SourceFile[]): string[] {
  return files.filter((f) => /\b(synchronize|dropSchema)\s*:\s*(true|!0)\b/.test(scan(f.text).code)).map((f) => f.path);
}

/** (e) The stores touch data only through their UnitOfWork's manager: no data source or transaction of their own. */
function storesBypassingTheUnitOfWork(files: readonly SourceFile[]): string[] {
  return files
    .filter((f) => f.path.startsWith("src/store/") && f.path !== "src/store/audited-store.ts")
    .filter((f) => /\bDataSource\b|\.transaction\s*\(|\bcreateQueryRunner\b|\bgetRepository\b/.test(scan(f.text).code))
    .map((f) => f.path);
}

describe("the current source tree", () => {
  const tree = loadTree(REPO, ["src", "migrations", "test", "bench"]);

  it("has the files the checks are about", () => {
    const paths = tree.map((f) => f.path);
    for (const p of ["src/config.ts", "src/store/audited-store.ts", "src/store/customer.store.ts", "src/audit/core/chain.ts", "src/db/data-source.ts"]) {
      expect(paths).toContain(p);
    }
  });

  it("(a) reaches customer and case data only through src/store/", () => expect(dataAccessOutsideStore(tree)).toEqual([]));
  it("(b) keeps src/audit/core/ pure", () => expect(impureAuditCoreImports(tree)).toEqual([]));
  it("(c) reads process.env only in src/config.ts", () => expect(envReadersOutsideConfig(tree)).toEqual([]));
  it("(d) never turns on synchronize or dropSchema", () => expect(schemaSyncSwitches(tree)).toEqual([]));
  it("(e) lets no store open its own connection or transaction", () => expect(storesBypassingTheUnitOfWork(tree)).toEqual([]));
});

describe("the checks catch violations", () => {
  const file = (p: string, ...lines: string[]): SourceFile[] => [{ path: p, text: lines.join("\n") }];

  it.each([
    ["an entity import", file("src/services/x.service.ts", `import { CustomerEntity } from "../entities";`)],
    ["an entity from the entity file", file("src/resolvers/x.ts", `import { CaseNoteEntity } from "../entities/case.entity";`)],
    ["a namespace import", file("src/services/x.ts", `import * as E from "../entities";`)],
    ["raw SQL", file("src/services/x.ts", "const rows = await ds.query(`SELECT * FROM customer WHERE id = $1`, [id]);")],
    ["quoted, qualified SQL", file("src/reports/x.ts", `await ds.query('select count(*) from public."support_case"');`)],
    ["a write", file("src/services/x.ts", `await em.query("UPDATE case_note SET body_enc = $1", [b]);`)],
    ["a string query target", file("src/services/x.ts", `const repo = ds.getRepository("customer_key");`)],
  ])("(a) flags %s outside src/store/", (_what, files) => {
    expect(dataAccessOutsideStore(files)).toHaveLength(1);
  });

  it("(a) ignores comments, unrelated strings and the store itself", () => {
    const ok = [
      ...file("src/services/x.ts", "// reads FROM customer through the store, never CustomerEntity", `const d = { resourceType: "customer", action: "customer.read" };`),
      ...file("src/store/customer.store.ts", `import { CustomerEntity } from "../entities";`, "await em.query(`SELECT 1 FROM customer`);"),
      ...file("src/services/y.ts", "await em.query(`SELECT * FROM customers_report`);"),
    ];
    expect(dataAccessOutsideStore(ok)).toEqual([]);
  });

  it.each([
    ["typeorm", `import { DataSource } from "typeorm";`],
    ["pg", `import type { Client } from "pg";`],
    ["a sibling outside core", `import { x } from "../append";`],
    ["a re-export", `export { y } from "node:fs";`],
    ["require", `const pg = require("pg");`],
    ["a computed import", `const m = await import(name);`],
  ])("(b) flags an audit core import of %s", (_what, line) => {
    expect(impureAuditCoreImports(file("src/audit/core/x.ts", line))).toHaveLength(1);
  });

  it("(b) allows node:crypto and own files", () => {
    expect(impureAuditCoreImports(file("src/audit/core/x.ts", `import { createHash } from "node:crypto";`, `export type { A } from "./types";`))).toEqual([]);
  });

  it.each([
    ["a property read", "const port = process.env.PORT;"],
    ["an index read", `const e = process["env"];`],
    ["destructuring", "const { env } = process;"],
  ])("(c) flags %s outside config", (_what, line) => {
    expect(envReadersOutsideConfig(file("src/main.ts", line))).toEqual(["src/main.ts"]);
    expect(envReadersOutsideConfig(file("src/config.ts", line))).toEqual([]);
  });

  it("(d) flags synchronize and dropSchema switched on, not off", () => {
    expect(schemaSyncSwitches(file("src/db/x.ts", "new DataSource({ " + "synchronize" + ": true })"))).toHaveLength(1);
    expect(schemaSyncSwitches(file("test/x.ts", "new DataSource({ " + "dropSchema" + ": true })"))).toHaveLength(1);
    expect(schemaSyncSwitches(file("src/db/x.ts", "new DataSource({ synchronize: false })"))).toEqual([]);
  });

  it("(e) flags a store that opens its own transaction", () => {
    expect(storesBypassingTheUnitOfWork(file("src/store/x.store.ts", "await this.ds.transaction(async (em) => {});"))).toHaveLength(1);
  });

  it("(a) flags the real stores' own code once it sits outside src/store/", () => {
    const tree = loadTree(REPO, ["src/store"]);
    const moved = tree.filter((f) => /(customer|case)\.store\.ts$/.test(f.path)).map((f) => ({ ...f, path: f.path.replace("src/store/", "src/services/") }));
    expect(moved).toHaveLength(2);
    const found = dataAccessOutsideStore(moved);
    expect(found).toContain("src/services/customer.store.ts: uses CustomerEntity");
    expect(found).toContain("src/services/case.store.ts: SQL on customer"); // UPDATE customer SET business_lines …
    expect(found).toContain("src/services/case.store.ts: SQL on support_case"); // the assignee query's JOIN
  });

  it("scan keeps literals inside template substitutions and regexes apart from code", () => {
    const { code, strings } = scan("const u = `a ${x.replace(/\\/'g/, \"q\")} FROM customer`; // FROM case_note\nconst r = /\"/;");
    expect(strings).toContain(" FROM customer");
    expect(strings).toContain("q");
    expect(code).not.toContain("case_note");
  });
});
