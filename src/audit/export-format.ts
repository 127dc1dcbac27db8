// Renders sealed audit events as CSV (RFC 4180, spreadsheet-safe) or JSON lines. Pure: no I/O, so the
// GraphQL export and the streaming CLI produce byte-identical rows.
import type { SealedAuditEvent } from "./core";

export type ExportFormat = "CSV" | "JSONL";

/** Column order of the CSV export; `fields` joined with ";", `details` as JSON text. */
export const CSV_COLUMNS = [
  "seq",
  "occurred_at",
  "actor_id",
  "actor_role",
  "action",
  "resource_type",
  "resource_id",
  "fields",
  "outcome",
  "request_id",
  "operation",
  "client_address",
  "purpose",
  "details",
  "prev_hash",
  "hash",
] as const;

const CRLF = "\r\n";
// A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); tab and carriage
// return are on OWASP's list too because some programs strip them before looking.
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

/** One CSV cell: neutralised against formula injection, then quoted per RFC 4180 when it must be. */
export function csvCell(value: string | number | null): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(",") + CRLF;
}

export function csvRow(e: SealedAuditEvent): string {
  const cells: Array<string | number | null> = [
    e.seq,
    e.occurredAt,
    e.actorId,
    e.actorRole,
    e.action,
    e.resourceType,
    e.resourceId,
    e.fields.join(";"),
    e.outcome,
    e.requestId,
    e.operation,
    e.clientAddress,
    e.purpose,
    JSON.stringify(e.details),
    e.prevHash,
    e.hash,
  ];
  return cells.map(csvCell).join(",") + CRLF;
}

export function jsonLine(e: SealedAuditEvent): string {
  return `${JSON.stringify(e)}\n`;
}

/** The rows of one batch in `format`; the CSV header is the caller's to write once. */
export function formatEvents(format: ExportFormat, events: readonly SealedAuditEvent[]): string {
  const render = format === "CSV" ? csvRow : jsonLine;
  let out = "";
  for (const e of events) out += render(e);
  return out;
}

/** A whole export: header (CSV) and rows. */
export function renderExport(format: ExportFormat, events: readonly SealedAuditEvent[]): string {
  return (format === "CSV" ? csvHeader() : "") + formatEvents(format, events);
}
