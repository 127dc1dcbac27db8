// A text "dump" of a test database: every row of every public table as JSON, plus every bytea cell
// decoded as raw bytes, lower-cased; what a leak check searches.
import type { TestServer } from "./test-server";

export async function dumpDatabase(server: Pick<TestServer, "sql">): Promise<Map<string, string>> {
  const tables = await server.sql<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  const dump = new Map<string, string>();
  for (const { table_name: t } of tables) {
    const rows = await server.sql<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM public."${t}" t`);
    const byteColumns = await server.sql<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND data_type = 'bytea'`,
      [t],
    );
    const raw: string[] = [];
    for (const { column_name: c } of byteColumns) {
      const cells = await server.sql<{ v: string | null }>(`SELECT encode("${c}", 'escape') AS v FROM public."${t}"`);
      raw.push(...cells.map((x) => x.v ?? ""));
    }
    dump.set(t, [...rows.map((r) => r.j), ...raw].join("\n").toLowerCase());
  }
  return dump;
}
