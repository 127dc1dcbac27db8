// `COPY … FROM STDIN` on a pg client without another dependency (the mirror of src/audit/verify-copy.ts):
// pg hands a "submittable" the CopyInResponse, and this writes the producer's chunks with socket backpressure.
import type { Client } from "pg";

interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
  stream: NodeJS.WritableStream & { writableNeedDrain?: boolean };
}

/** Runs `sql` (COPY … FROM STDIN) and sends every chunk `produce` yields; resolves with the rows copied. */
export function copyIn(client: Client, sql: string, produce: () => Iterable<Buffer> | AsyncIterable<Buffer>): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let rows = 0;
    let failure: unknown = null;
    let settled = false;
    const settle = (error: unknown) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(rows);
    };
    const pump = async (con: PgConnection) => {
      try {
        for await (const chunk of produce()) {
          con.sendCopyFromChunk(chunk);
          if (con.stream.writableNeedDrain) await new Promise((r) => con.stream.once("drain", r));
        }
        con.endCopyFrom();
      } catch (error) {
        failure = error;
        con.sendCopyFail(`producer failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    const submittable = {
      submit(con: PgConnection) {
        con.query(sql);
      },
      handleCopyInResponse(con: PgConnection) {
        void pump(con);
      },
      handleCopyData() {},
      handleCommandComplete(msg: { text?: string }) {
        rows = Number(/(\d+)$/.exec(msg.text ?? "")?.[1] ?? 0);
      },
      handleReadyForQuery() {
        settle(failure);
      },
      handleError(error: unknown) {
        settle(failure ?? error);
      },
      handleRowDescription() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
    };
    client.query(submittable as never);
  });
}

/** COPY text format: backslash, tab, newline and carriage return escaped; null as \N. */
export function copyText(value: string | null): string {
  if (value === null) return "\\N";
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r")) : value;
}
