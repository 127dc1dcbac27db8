// `COPY … TO STDOUT` on a pg client without another dependency: pg accepts any "submittable" (an object
// with submit()) and hands it the CopyData messages; this one passes them on and pauses the socket when the
// consumer is behind. (pg-copy-streams does the same behind a stream API; this is all verification needs.)

/** The parts of pg's Client and Connection this uses; pg has no public types for submittables. */
export interface PgClientLike {
  query(submittable: object): unknown;
}
interface PgConnection {
  query(text: string): void;
  sendCopyFail(message: string): void;
  stream: { pause(): void; resume(): void };
}

export interface CopyOut {
  /** Resolves with the rows PostgreSQL reports once the statement is done and the client idle again. */
  done: Promise<number>;
  /** Stop reading from the socket (backpressure); PostgreSQL blocks on a full send buffer meanwhile. */
  pause(): void;
  resume(): void;
}

export function isPgClient(value: unknown): value is PgClientLike {
  return typeof value === "object" && value !== null && typeof (value as { query?: unknown }).query === "function" && "connection" in value;
}

/** Runs `sql` (a COPY … TO STDOUT statement, no parameters) and calls `onData` for every CopyData chunk. */
export function copyOut(client: PgClientLike, sql: string, onData: (chunk: Buffer) => void): CopyOut {
  let connection: PgConnection | null = null;
  let paused = false;
  let settled = false;
  let rows = 0;
  let failure: unknown = null;
  let resolve!: (rows: number) => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const settle = (error: unknown) => {
    if (settled) return;
    settled = true;
    if (paused && connection) connection.stream.resume();
    if (error) reject(error);
    else resolve(rows);
  };
  const submittable = {
    submit(con: PgConnection) {
      connection = con;
      if (paused) con.stream.pause();
      con.query(sql);
    },
    handleCopyData(msg: { chunk: Buffer }) {
      if (failure) return;
      try {
        onData(msg.chunk);
      } catch (error) {
        // Keep draining: the statement must end normally for the client to stay usable.
        failure = error;
      }
    },
    handleCopyInResponse(con: PgConnection) {
      con.sendCopyFail("custos: COPY FROM is not expected here");
    },
    handleCommandComplete(msg: { text?: string }) {
      const m = /(\d+)$/.exec(msg.text ?? "");
      rows = m ? Number(m[1]) : 0;
    },
    handleReadyForQuery() {
      settle(failure);
    },
    handleError(error: unknown) {
      settle(error);
    },
    handleRowDescription() {},
    handleDataRow() {},
    handleEmptyQuery() {},
    handlePortalSuspended() {},
  };
  client.query(submittable);
  return {
    done,
    pause() {
      if (paused || settled) return;
      paused = true;
      connection?.stream.pause();
    },
    resume() {
      if (!paused) return;
      paused = false;
      connection?.stream.resume();
    },
  };
}
