// One closed set of error codes, one base class, and the formatter that turns anything into a safe error.
import { GraphQLError, type GraphQLFormattedError } from "graphql";

export const ERROR_CODES = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "AUDIT_UNAVAILABLE",
  "SERVICE_UNAVAILABLE",
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const GENERIC_MESSAGES: Record<ErrorCode, string> = {
  UNAUTHENTICATED: "Authentication required",
  FORBIDDEN: "Not allowed",
  BAD_USER_INPUT: "Invalid input",
  NOT_FOUND: "Not found",
  CONFLICT: "Conflict",
  AUDIT_UNAVAILABLE: "The audit log is unavailable; the operation was not performed",
  SERVICE_UNAVAILABLE: "The service is temporarily unavailable; retry later",
  INTERNAL: "Internal error",
};

/** Base of every error a client may see. The message must never carry PII, SQL or stack details. */
export class CustosError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = GENERIC_MESSAGES[code],
    readonly details: Readonly<Record<string, string | number | boolean>> = {},
  ) {
    super(message);
    this.name = "CustosError";
  }
}

export const unauthenticated = (message = "Invalid credentials") => new CustosError("UNAUTHENTICATED", message);
export const forbidden = (message?: string) => new CustosError("FORBIDDEN", message);
export const notFound = (what: string) => new CustosError("NOT_FOUND", `${what} not found`);
export const badInput = (message: string, field?: string) =>
  new CustosError("BAD_USER_INPUT", message, field ? { field } : {});
export const conflict = (message: string) => new CustosError("CONFLICT", message);
export const auditUnavailable = () => new CustosError("AUDIT_UNAVAILABLE");
export const serviceUnavailable = () => new CustosError("SERVICE_UNAVAILABLE");

// SQLSTATEs of a database that cannot be reached or is going away: class 08 (connection exception),
// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections.
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
const UNAVAILABLE_ERRNO = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EAI_AGAIN"]);
// node-postgres reports a dropped socket and a pool connect timeout without a code.
const UNAVAILABLE_MESSAGE = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable)/;

/**
 * Whether `error` (or an error it wraps: TypeORM's driverError, a cause, Apollo's originalError, an
 * AggregateError's members) says the database could not be reached: "retry later", not a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length && seen.size < 20) {
    const e = queue.shift();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    if (e instanceof CustosError) continue; // already coded: its code stands
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
    if (typeof message === "string" && UNAVAILABLE_MESSAGE.test(message)) return true;
    const inner = e as { driverError?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    queue.push(inner.driverError, inner.cause, inner.originalError, ...(Array.isArray(inner.errors) ? inner.errors : []));
  }
  return false;
}

function findCustosError(error: unknown): CustosError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof CustosError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return null;
}

// Apollo's own codes for documents it rejects before execution; their messages are about the document, never data.
const PASSTHROUGH_CODES: Record<string, ErrorCode> = {
  GRAPHQL_PARSE_FAILED: "BAD_USER_INPUT",
  GRAPHQL_VALIDATION_FAILED: "BAD_USER_INPUT",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  BAD_REQUEST: "BAD_USER_INPUT",
  PERSISTED_QUERY_NOT_FOUND: "BAD_USER_INPUT",
  PERSISTED_QUERY_NOT_SUPPORTED: "BAD_USER_INPUT",
  OPERATION_RESOLUTION_FAILURE: "BAD_USER_INPUT",
};

// graphql-js reasons that name only fields and types; any other reason may quote the rejected value.
const SAFE_REASONS = [
  /^Field "[A-Za-z0-9_]+" is not defined by type "[A-Za-z0-9_]+"\./,
  /^Field "[A-Za-z0-9_]+" of required type "[A-Za-z0-9_!\[\]]+" was not provided\./,
  /^Expected type "[A-Za-z0-9_!\[\]]+" to be an object\./,
];

/**
 * graphql-js quotes rejected input in its coercion and validation messages, and that input can be a
 * customer's PII. Keep the variable, the path and a reason that names only fields and types.
 */
export function scrubGraphQLMessage(message: string): string {
  const variable = /^Variable "(\$[A-Za-z_][A-Za-z0-9_]*)" got invalid value/.exec(message);
  if (variable) {
    const at = / at "([A-Za-z0-9_.[\]]+)"/.exec(message);
    const reason = message.split("; ").slice(1).join("; ");
    const safe = SAFE_REASONS.map((r) => r.exec(reason)?.[0]).find(Boolean);
    return `Variable "${variable[1]}" got an invalid value${at ? ` at "${at[1]}"` : ""}${safe ? `; ${safe}` : "."}`;
  }
  return message
    .replace(/(cannot represent[^:]*):.*$/s, "$1.")
    .replace(/(Expected value of type "[^"]+"), found .*$/s, "$1.")
    .replace(/; found .*$/s, ".");
}

export type InternalErrorSink = (error: unknown, formatted: GraphQLFormattedError) => void;
/** Told about every database-unreachable error that became SERVICE_UNAVAILABLE (for logs and alerts). */
export type UnavailableErrorSink = (error: unknown) => void;

/**
 * Apollo's formatError: known errors keep their code and message; argument validation keeps its
 * message (it names the argument, never its value); an unreachable database is SERVICE_UNAVAILABLE
 * (generic message); everything else becomes INTERNAL with a generic
 * message after being handed to the sink for logging. It never throws.
 */
export function createFormatError(onInternal: InternalErrorSink, onUnavailable: UnavailableErrorSink = () => undefined) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    try {
      const known = findCustosError(error);
      const path = formatted.path;
      if (known) {
        return {
          message: known.message,
          path,
          extensions: { code: known.code, ...known.details },
        };
      }
      const apolloCode = formatted.extensions?.code;
      if (typeof apolloCode === "string" && apolloCode in PASSTHROUGH_CODES) {
        return { message: scrubGraphQLMessage(formatted.message), locations: formatted.locations, path, extensions: { code: PASSTHROUGH_CODES[apolloCode] } };
      }
      const original = (error as { originalError?: unknown })?.originalError;
      if (original && (original as { name?: string }).name === "ArgumentValidationError") {
        return { message: "Argument validation failed", path, extensions: { code: "BAD_USER_INPUT" } };
      }
      // Type coercion failures of variables/arguments (e.g. a bad enum) are GraphQLErrors without an original error.
      if (error instanceof GraphQLError && !error.originalError && !path) {
        return { message: scrubGraphQLMessage(formatted.message), locations: formatted.locations, extensions: { code: "BAD_USER_INPUT" } };
      }
      // A database that is down is "retry later", not a bug; the driver's message (host, port) stays in the log.
      if (isDatabaseUnavailable(error)) {
        onUnavailable(error);
        return { message: GENERIC_MESSAGES.SERVICE_UNAVAILABLE, path, extensions: { code: "SERVICE_UNAVAILABLE" } };
      }
      onInternal(error, formatted);
      return { message: GENERIC_MESSAGES.INTERNAL, path, extensions: { code: "INTERNAL" } };
    } catch {
      return { message: GENERIC_MESSAGES.INTERNAL, extensions: { code: "INTERNAL" } };
    }
  };
}
