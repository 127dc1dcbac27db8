// Bulk generators of audit events for the benchmarks: a realistic mix (many staff, many customers, customer and
// case reads with PII field lists and purposes, some denials, a working-hours and weekday skew), written as COPY
// text in ~1 MiB chunks. Seeded, so two runs generate the same log.
import { randomUUID } from "node:crypto";
import { sealEvents, type AuditEventContent, type ChainHead, type SealedAuditEvent } from "../../src/audit/core";
import { copyText } from "./pg-copy-in";

/** mulberry32: small, fast, good enough to pick from distributions. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface World {
  staff: Array<{ id: string; role: string }>;
  customers: string[];
  /** case id → index of its customer */
  cases: Array<{ id: string; customer: number }>;
}

export function makeWorld(random: () => number, sizes: { staff: number; customers: number; cases: number }): World {
  const roles = (u: number) => (u < 0.7 ? "AGENT" : u < 0.82 ? "TEAM_LEAD" : u < 0.9 ? "COMPLIANCE_OFFICER" : u < 0.95 ? "SECURITY_ANALYST" : u < 0.98 ? "AUDITOR" : "ADMIN");
  const staff = Array.from({ length: sizes.staff }, () => ({ id: randomUUID(), role: roles(random()) }));
  const customers = Array.from({ length: sizes.customers }, () => randomUUID());
  const cases = Array.from({ length: sizes.cases }, () => ({ id: randomUUID(), customer: popular(random, sizes.customers) }));
  return { staff, customers, cases };
}

/** Skewed towards low indices: a few customers are read very often, most rarely. */
const popular = (random: () => number, n: number) => Math.floor(n * random() ** 3);

const PII = ["fullName", "nationalId", "phone", "email", "address"];
const PURPOSES = ["CASE_HANDLING", "CASE_HANDLING", "CASE_HANDLING", "COMPLAINT_REVIEW", "KYC_REVIEW", "FRAUD_INVESTIGATION", "REGULATORY_REQUEST"];
const OPS: Record<string, string> = {
  "customer.read": "Customer",
  "case.read": "Case",
  "customer.search": "Customers",
  "case.update": "UpdateCase",
  "case.open": "OpenCase",
  "customer.update": "UpdateCustomer",
  "auth.login": "Login",
  "audit.query": "AuditTrail",
};

/**
 * Monotonic event times over `days` days before `endMs`: weekdays carry 6× a weekend day, and 80% of a
 * weekday's events fall between 08:00 and 18:00 UTC.
 */
export function* timeline(count: number, endMs: number, days: number, random: () => number): Generator<number> {
  const startMs = endMs - days * 86_400_000;
  const weights: number[] = [];
  for (let d = 0; d < days; d++) {
    const dow = new Date(startMs + d * 86_400_000).getUTCDay();
    const day = dow === 0 || dow === 6 ? 1 : 6;
    for (let h = 0; h < 24; h++) weights.push(day * (h >= 8 && h < 18 ? 8 / 10 : 2 / 14));
  }
  const total = weights.reduce((a, b) => a + b, 0);
  let emitted = 0;
  let carry = 0;
  for (let i = 0; i < weights.length; i++) {
    const exact = (count * weights[i]) / total + carry;
    const n = i === weights.length - 1 ? count - emitted : Math.floor(exact);
    carry = exact - n;
    const hourStart = startMs + i * 3_600_000;
    for (let k = 0; k < n; k++) yield Math.floor(hourStart + ((k + random()) / n) * 3_600_000);
    emitted += n;
  }
}

/** One event's content at `ms`: who did what to which resource, for what purpose, with which outcome. */
export function eventAt(world: World, random: () => number, ms: number): AuditEventContent {
  const actor = world.staff[Math.floor(random() * world.staff.length)];
  const u = random();
  const outcomeU = random();
  const outcome = outcomeU < 0.955 ? "SUCCESS" : outcomeU < 0.985 ? "DENIED" : outcomeU < 0.995 ? "NOT_FOUND" : "FAILURE";
  let action: string;
  let resourceType: string;
  let resourceId: string | null;
  let fields: string[] = [];
  let purpose: string | null = null;
  if (u < 0.4) {
    action = "customer.read";
    resourceType = "customer";
    resourceId = world.customers[popular(random, world.customers.length)];
    fields = PII.filter(() => random() < 0.45);
    purpose = PURPOSES[Math.floor(random() * PURPOSES.length)];
  } else if (u < 0.65) {
    action = "case.read";
    resourceType = "case";
    resourceId = world.cases[Math.floor(random() * world.cases.length)].id;
    fields = random() < 0.5 ? ["summary"] : [];
    purpose = "CASE_HANDLING";
  } else if (u < 0.7) {
    action = "customer.search";
    resourceType = "customer";
    resourceId = null;
    fields = ["nationalId"];
    purpose = PURPOSES[Math.floor(random() * PURPOSES.length)];
  } else if (u < 0.8) {
    action = random() < 0.8 ? "case.update" : "case.open";
    resourceType = "case";
    resourceId = world.cases[Math.floor(random() * world.cases.length)].id;
    fields = ["status"];
  } else if (u < 0.83) {
    action = "customer.update";
    resourceType = "customer";
    resourceId = world.customers[popular(random, world.customers.length)];
    fields = ["phone"];
  } else if (u < 0.99) {
    action = "auth.login";
    resourceType = "session";
    resourceId = null;
  } else {
    action = "audit.query";
    resourceType = "audit";
    resourceId = null;
  }
  const anonymous = action === "auth.login" && outcome !== "SUCCESS";
  return {
    occurredAt: new Date(ms).toISOString(),
    actorId: anonymous ? null : actor.id,
    actorRole: anonymous ? null : actor.role,
    action,
    resourceType,
    resourceId,
    fields,
    outcome,
    requestId: randomUUID(),
    operation: OPS[action] ?? null,
    clientAddress: `10.${(ms >>> 16) & 255}.${(ms >>> 8) & 255}.${ms & 255}`,
    purpose,
    details: outcome === "DENIED" ? { rule: "policy" } : {},
  };
}

/** One COPY text line in the 16 columns of audit_event, in the order COPY_COLUMNS names them. */
export function copyLine(e: SealedAuditEvent, prevHex: string = e.prevHash, hashHex: string = e.hash): string {
  const fields = `{${e.fields.join(",")}}`; // generated field names need no quoting
  return (
    `${e.seq}\t\\\\x${prevHex}\t\\\\x${hashHex}\t${e.occurredAt}\t${copyText(e.actorId)}\t${copyText(e.actorRole)}\t${copyText(e.action)}\t` +
    `${copyText(e.resourceType)}\t${copyText(e.resourceId)}\t${fields}\t${e.outcome}\t${copyText(e.requestId)}\t${copyText(e.operation)}\t` +
    `${copyText(e.clientAddress)}\t${copyText(e.purpose)}\t${copyText(JSON.stringify(e.details))}\n`
  );
}

export const COPY_COLUMNS =
  "seq, prev_hash, hash, occurred_at, actor_id, actor_role, action, resource_type, resource_id, fields, outcome, request_id, operation, client_address, purpose, details";

/** Valid chained events seq 1..count, sealed in Node with the real hash function, as COPY text chunks. */
export function* chainedEventChunks(world: World, count: number, endMs: number, days: number, seed: number): Generator<Buffer> {
  const random = rng(seed);
  let head: ChainHead = { seq: 0, hash: "0".repeat(64) };
  let batch: AuditEventContent[] = [];
  const flush = () => {
    const sealed = sealEvents(head, batch);
    batch = [];
    head = { seq: sealed[sealed.length - 1].seq, hash: sealed[sealed.length - 1].hash };
    return Buffer.from(sealed.map((e) => copyLine(e)).join(""), "utf8");
  };
  for (const ms of timeline(count, endMs, days, random)) {
    batch.push(eventAt(world, random, ms));
    if (batch.length === 2_000) yield flush();
  }
  if (batch.length) yield flush();
}

/**
 * Events seq 1..count with placeholder hashes (seq-derived bytes): the report benchmark needs volume and
 * distribution, not a valid chain, so it skips the canonical form and SHA-256.
 */
export function* unchainedEventChunks(world: World, count: number, endMs: number, days: number, seed: number): Generator<Buffer> {
  const random = rng(seed);
  let seq = 0;
  let lines: string[] = [];
  for (const ms of timeline(count, endMs, days, random)) {
    seq += 1;
    const e = { seq, prevHash: "", hash: "", ...eventAt(world, random, ms) };
    const h = seq.toString(16).padStart(64, "0");
    lines.push(copyLine(e, h, h));
    if (lines.length === 4_000) {
      yield Buffer.from(lines.join(""), "utf8");
      lines = [];
    }
  }
  if (lines.length) yield Buffer.from(lines.join(""), "utf8");
}
