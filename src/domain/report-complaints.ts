// The complaint-handling return (docs/regulatory-reports.md §2) computed from the complaint rows the store
// selected in SQL for the period: counts by dimension, closure-time buckets, outcomes, redress and weekly
// trend. Pure, so every cell can be checked by hand in unit tests.
import { BUSINESS_LINES, CHANNELS } from "./enums";
import { addDays, businessDayDeadline, localDateOf, weekStart, type ReportCalendar } from "./report-calendar";

export const NO_CAUSE = "UNDETERMINED";
export const CLOSURE_BUCKETS = ["WITHIN_3_BUSINESS_DAYS", "WITHIN_15_DAYS", "WITHIN_30_DAYS", "WITHIN_60_DAYS", "LATER"] as const;
export type ClosureBucket = (typeof CLOSURE_BUCKETS)[number];
const DAY = 86_400_000;

/** A complaint received in [from, to). */
export interface ReceivedComplaint {
  businessLine: string;
  category: string;
  rootCause: string | null;
  channel: string;
  receivedAt: Date;
}

/** A complaint closed in [from, to): `closedAt` is its first transition to CLOSED in the period. */
export interface ClosedComplaint {
  businessLine: string;
  receivedAt: Date;
  closedAt: Date;
  outcome: "UPHELD" | "PARTLY_UPHELD" | "NOT_UPHELD" | null;
  redressAmount: string | null;
  redressCurrency: string | null;
}

export interface Count {
  key: string;
  count: number;
}

export interface ComplaintReturn {
  kind: "complaints";
  from: string;
  to: string;
  timeZone: string;
  received: { total: number; byBusinessLine: Count[]; byProductCategory: Count[]; byCause: Count[]; byChannel: Count[] };
  closed: { total: number } & Record<ClosureBucket, number>;
  outcomes: { upheld: number; partlyUpheld: number; notUpheld: number; noOutcome: number; upheldShare: string | null; fullyUpheldShare: string | null };
  redress: Array<{ currency: string; amount: string; complaints: number }>;
  outstandingAtPeriodEnd: number;
  weekly: Array<{ weekStart: string; received: number; closed: number }>;
}

/** The product of a dotted category code: its first segment ("card.dispute" → "card"). */
export function productCategory(category: string): string {
  return category.split(".")[0] || category;
}

export function closureBucket(cal: ReportCalendar, receivedAt: Date, closedAt: Date): ClosureBucket {
  if (closedAt.getTime() < businessDayDeadline(cal, receivedAt, 3).getTime()) return "WITHIN_3_BUSINESS_DAYS";
  const elapsed = closedAt.getTime() - receivedAt.getTime();
  if (elapsed <= 15 * DAY) return "WITHIN_15_DAYS";
  if (elapsed <= 30 * DAY) return "WITHIN_30_DAYS";
  if (elapsed <= 60 * DAY) return "WITHIN_60_DAYS";
  return "LATER";
}

/** numerator / denominator rounded half-up to 4 decimals, as text ("0.6667"); null when nothing was decided. */
export function share(numerator: number, denominator: number): string | null {
  if (denominator === 0) return null;
  const scaled = Math.floor((numerator * 20000) / denominator + 1) >> 1; // half-up on integers
  return `${Math.floor(scaled / 10000)}.${String(scaled % 10000).padStart(4, "0")}`;
}

function countBy(keys: readonly string[], fixed: readonly string[] = []): Count[] {
  const m = new Map<string, number>(fixed.map((k) => [k, 0]));
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  const extra = [...m.keys()].filter((k) => !fixed.includes(k)).sort();
  return [...fixed, ...extra].map((key) => ({ key, count: m.get(key)! }));
}

function cents(amount: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(amount);
  if (!m) throw new TypeError("redress amount is not a non-negative decimal");
  return BigInt(m[1]) * 100n + BigInt((m[2] ?? "").padEnd(2, "0"));
}

function formatCents(v: bigint): string {
  return `${v / 100n}.${String(v % 100n).padStart(2, "0")}`;
}

export function buildComplaintReturn(input: {
  from: Date;
  to: Date;
  calendar: ReportCalendar;
  received: readonly ReceivedComplaint[];
  closed: readonly ClosedComplaint[];
  outstandingAtPeriodEnd: number;
}): ComplaintReturn {
  const { calendar: cal, received, closed } = input;
  const buckets = Object.fromEntries(CLOSURE_BUCKETS.map((b) => [b, 0])) as Record<ClosureBucket, number>;
  for (const c of closed) buckets[closureBucket(cal, c.receivedAt, c.closedAt)]++;

  const upheld = closed.filter((c) => c.outcome === "UPHELD").length;
  const partlyUpheld = closed.filter((c) => c.outcome === "PARTLY_UPHELD").length;
  const notUpheld = closed.filter((c) => c.outcome === "NOT_UPHELD").length;
  const decided = upheld + partlyUpheld + notUpheld;

  const redress = new Map<string, { sum: bigint; n: number }>();
  for (const c of closed) {
    if (c.redressAmount === null || c.redressCurrency === null) continue;
    const r = redress.get(c.redressCurrency) ?? { sum: 0n, n: 0 };
    r.sum += cents(c.redressAmount);
    r.n++;
    redress.set(c.redressCurrency, r);
  }

  const weeks = new Map<string, { received: number; closed: number }>();
  const lastDay = localDateOf(cal.timeZone, new Date(input.to.getTime() - 1));
  for (let w = weekStart(localDateOf(cal.timeZone, input.from)); w <= lastDay; w = addDays(w, 7)) weeks.set(w, { received: 0, closed: 0 });
  for (const c of received) weeks.get(weekStart(localDateOf(cal.timeZone, c.receivedAt)))!.received++;
  for (const c of closed) weeks.get(weekStart(localDateOf(cal.timeZone, c.closedAt)))!.closed++;

  return {
    kind: "complaints",
    from: input.from.toISOString(),
    to: input.to.toISOString(),
    timeZone: cal.timeZone,
    received: {
      total: received.length,
      byBusinessLine: countBy(received.map((c) => c.businessLine), BUSINESS_LINES),
      byProductCategory: countBy(received.map((c) => productCategory(c.category))),
      byCause: countBy(received.map((c) => c.rootCause ?? NO_CAUSE)),
      byChannel: countBy(received.map((c) => c.channel), CHANNELS),
    },
    closed: { total: closed.length, ...buckets },
    outcomes: {
      upheld,
      partlyUpheld,
      notUpheld,
      noOutcome: closed.length - decided,
      upheldShare: share(upheld + partlyUpheld, decided),
      fullyUpheldShare: share(upheld, decided),
    },
    redress: [...redress.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, r]) => ({ currency, amount: formatCents(r.sum), complaints: r.n })),
    outstandingAtPeriodEnd: input.outstandingAtPeriodEnd,
    weekly: [...weeks.entries()].map(([w, v]) => ({ weekStart: w, ...v })),
  };
}
