// Canonical JSON (RFC 8785, JCS) and the canonical form of one audit event: the exact bytes that get hashed.
import type { AuditEventContent } from "./types";

const OCCURRED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const NULLABLE_STRINGS = [
  "actorId",
  "actorRole",
  "resourceId",
  "requestId",
  "operation",
  "clientAddress",
  "purpose",
] as const;
const REQUIRED_STRINGS = ["action", "resourceType", "outcome"] as const;

/**
 * RFC 8785 for the JSON subset we hash. Anything JSON.stringify would silently drop or coerce
 * (undefined, NaN, functions, Dates via toJSON) is a TypeError instead: a value that cannot be
 * reproduced byte for byte by an auditor must never reach the hash.
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, "$", new Set());
}

function serialize(value: unknown, path: string, ancestors: Set<object>): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      // JSON.stringify already emits JCS string escapes (ES2019 well-formed: lone surrogates as \uXXXX).
      return JSON.stringify(value);
    case "number":
      // JCS number form is ECMAScript Number-to-String, which JSON.stringify uses (and -0 becomes "0").
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number at ${path}`);
      return JSON.stringify(value);
    case "object":
      break;
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value} at ${path}`);
  }
  const obj = value as object;
  if (ancestors.has(obj)) throw new TypeError(`canonicalJson: cycle at ${path}`);
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      const parts: string[] = [];
      // Index loop, not map(): map skips holes, and a hole must fail like undefined does.
      for (let i = 0; i < obj.length; i++) parts.push(serialize(obj[i], `${path}[${i}]`, ancestors));
      return `[${parts.join(",")}]`;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonicalJson: only plain objects are allowed at ${path}`);
    }
    // Default sort compares UTF-16 code units, which is exactly the JCS key order.
    const keys = Object.keys(obj).sort();
    const parts: string[] = [];
    for (const key of keys) {
      const child = (obj as Record<string, unknown>)[key];
      const childPath = `${path}.${key}`;
      if (child === undefined) throw new TypeError(`canonicalJson: undefined at ${childPath}; use null`);
      parts.push(`${JSON.stringify(key)}:${serialize(child, childPath, ancestors)}`);
    }
    return `{${parts.join(",")}}`;
  } finally {
    ancestors.delete(obj);
  }
}

/** Sorted (UTF-16 code units) and de-duplicated, so the order callers list fields in never changes the hash. */
export function normalizeFields(fields: readonly string[]): string[] {
  if (!Array.isArray(fields)) throw new TypeError("audit event: fields must be an array of strings");
  let ordered = true;
  for (let i = 0; i < fields.length; i++) {
    if (typeof fields[i] !== "string") throw new TypeError("audit event: fields must be an array of strings");
    // `<` on strings compares UTF-16 code units, as the default sort does.
    if (i > 0 && !(fields[i - 1] < fields[i])) ordered = false;
  }
  // Already sorted and unique (what callers usually pass): a copy is all that is needed.
  return ordered ? fields.slice() : [...new Set(fields)].sort();
}

/**
 * The canonical JSON of event `seq`. Validation errors are TypeErrors (a caller bug, not user input)
 * and name the offending property, never its value, because values may be sensitive.
 */
export function canonicalEvent(seq: number, e: AuditEventContent): string {
  assertSeq(seq);
  return canonicalAt(canonicalBody(e), seq);
}

function assertSeq(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new TypeError("audit event: seq must be a positive safe integer");
}

/**
 * Everything of an event's canonical form but its position: the members that sort before "seq" (JCS key
 * order: action … resourceType, then seq, then v), as "{…" without the closing brace. It does not depend on
 * where the event lands, so it is made (and the event checked) before the event waits for a seal; sealing
 * then only appends the seq (canonicalAt) and hashes. Exactly the bytes canonicalJson({ v: 1, seq,
 * ...pickContent(e) }) starts with, written out for this one shape (test/unit/audit/canonical-fast.test.ts).
 */
export function canonicalBody(e: AuditEventContent): string {
  return canonicalParts(e).body;
}

/** canonicalBody, with the normalized fields it wrote (prepareEvent keeps them rather than sort twice). */
export function canonicalParts(e: AuditEventContent): { body: string; fields: string[] } {
  assertOccurredAt(e.occurredAt);
  for (const key of REQUIRED_STRINGS) {
    if (typeof e[key] !== "string") throw new TypeError(`audit event: ${key} must be a string`);
  }
  for (const key of NULLABLE_STRINGS) {
    if (e[key] !== null && typeof e[key] !== "string") {
      throw new TypeError(`audit event: ${key} must be a string or null`);
    }
  }
  assertFlatDetails(e.details);
  const fields = normalizeFields(e.fields);
  const q = JSON.stringify; // JCS strings and numbers, as canonicalJson uses it; null → "null"
  const body =
    `{"action":${q(e.action)},"actorId":${q(e.actorId)},"actorRole":${q(e.actorRole)},"clientAddress":${q(e.clientAddress)}` +
    `,"details":${flatObject(e.details)},"fields":${q(fields)},"occurredAt":${q(e.occurredAt)}` +
    `,"operation":${q(e.operation)},"outcome":${q(e.outcome)},"purpose":${q(e.purpose)},"requestId":${q(e.requestId)}` +
    `,"resourceId":${q(e.resourceId)},"resourceType":${q(e.resourceType)}`;
  return { body, fields };
}

/** The canonical JSON of the event whose canonicalBody is `body`, at `seq`. */
export function canonicalAt(body: string, seq: number): string {
  assertSeq(seq);
  return `${body},"seq":${seq},"v":1}`;
}

/** A checked flat details object (assertFlatDetails) in JCS: keys in UTF-16 order, scalar values. */
function flatObject(details: Record<string, unknown>): string {
  const keys = Object.keys(details).sort();
  let out = "{";
  for (let i = 0; i < keys.length; i++) {
    const v = details[keys[i]];
    out += `${i === 0 ? "" : ","}${JSON.stringify(keys[i])}:${v === null ? "null" : JSON.stringify(v)}`;
  }
  return `${out}}`;
}

/**
 * Exactly the hashed members of an event, copied field by field: an extra property on the caller's
 * object (say, a decrypted value) is never hashed or stored, and later changes to the caller's object
 * cannot make a sealed row disagree with its hash. `fields`: already normalized by the caller.
 */
export function pickContent(e: AuditEventContent, fields: string[] = normalizeFields(e.fields)): AuditEventContent {
  return {
    occurredAt: e.occurredAt,
    actorId: e.actorId,
    actorRole: e.actorRole,
    action: e.action,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    fields,
    outcome: e.outcome,
    requestId: e.requestId,
    operation: e.operation,
    clientAddress: e.clientAddress,
    purpose: e.purpose,
    details: { ...e.details },
  };
}

/** The last occurredAt that passed: the events of one request share it, and the Date round trip is the dear part. */
let lastValidOccurredAt = "";

function assertOccurredAt(value: unknown): void {
  if (value === lastValidOccurredAt) return;
  if (typeof value !== "string" || !OCCURRED_AT.test(value)) {
    throw new TypeError("audit event: occurredAt must be ISO-8601 UTC with milliseconds (YYYY-MM-DDTHH:mm:ss.sssZ)");
  }
  // The regex accepts "2026-02-30T25:61:00.000Z"; a round trip through Date rejects impossible instants.
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString() !== value) {
    throw new TypeError("audit event: occurredAt is not a valid instant");
  }
  lastValidOccurredAt = value;
}

function assertFlatDetails(details: unknown): void {
  if (typeof details !== "object" || details === null || Array.isArray(details)) {
    throw new TypeError("audit event: details must be an object");
  }
  for (const [key, v] of Object.entries(details)) {
    const ok = v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
    if (!ok) throw new TypeError(`audit event: details.${key} must be a string, finite number, boolean or null`);
  }
}
