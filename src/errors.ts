// One closed set of error codes, one base class, and the formatter that turns anything into a safe error.
import { GraphQLError, type GraphQLFormattedError } from "graphql";

export const ERROR_CODES = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "AUDIT_UNAVAILABLE",
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

/**
 * Apollo's formatError: known errors keep their code and message; argument validation keeps its
 * message (it names the argument, never its value); everything else becomes INTERNAL with a generic
 * message after being handed to the sink for logging. It never throws.
 */
export function createFormatError(onInternal: InternalErrorSink) {
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
      onInternal(error, formatted);
      return { message: GENERIC_MESSAGES.INTERNAL, path, extensions: { code: "INTERNAL" } };
    } catch {
      return { message: GENERIC_MESSAGES.INTERNAL, extensions: { code: "INTERNAL" } };
    }
  };
}
