// The daily service-quality evaluation (docs/service-quality.md, "Scheduled evaluation") on a real
// database with the bank's calendar in Asia/Shanghai: a churn breach on 2026-11-10 (Shanghai) is raised
// only once that day is over (2026-11-10T16:00Z), for the day and the month to date, whole bank and its
// line; each alert once with two replicas evaluating at the same instant and after a restart; compliance
// is notified through the outbox; the run is audited as the system.
//
// Hand computation: customers P1, P2 (PERSONAL_BANKING) and I1 (INSURANCE), created 2026-10-01. P1's
// relationship ends 2026-11-10T10:00Z (18:00 in Shanghai, day 2026-11-10). Day 2026-11-10: base 3, ended 1
// → churn 1/3 (BREACHED, target < 5 %); PERSONAL_BANKING 1/2 (BREACHED); INSURANCE 0/1 (MET). Month to
// date [2026-10-31T16:00Z, 2026-11-10T16:00Z): the same figures. So 4 alerts: {day, month} × {NONE, PB}.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryNotifier } from "../../src/notify/notifier";
import { QualityScheduler, dueDays, evaluationPeriods } from "../../src/scheduler/quality-scheduler";
import type { Custos } from "../../src/main";
import type { ManualClock } from "../../src/clock";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { createCustomer } from "./api-helpers";
import { startReplica } from "./case-clocks-support";

let server: TestServer;
let lead: StaffLogin;
let compliance: StaffLogin;

function schedulerOf(custos: Custos, clock: ManualClock) {
  const notifier = new MemoryNotifier();
  return { notifier, scheduler: new QualityScheduler({ ds: custos.ds, store: custos.services.store, clock, notifier, logger: pino({ level: "silent" }), intervalMs: 0 }) };
}

async function alerts() {
  return server.sql<{ id: string; metric: string; period_from: Date; period_to: Date; cut_kind: string; cut_value: string; numerator: number; denominator: number; raised_by: string | null }>(
    `SELECT id, metric, period_from, period_to, cut_kind, cut_value, numerator, denominator, raised_by FROM quality_alert ORDER BY period_from DESC, cut_kind, cut_value`,
  );
}

beforeAll(async () => {
  server = await createTestServer();
  server.clock.set("2026-11-01T00:00:00Z");
  await server.sql(`UPDATE business_calendar SET time_zone = 'Asia/Shanghai' WHERE id = 'DEFAULT'`);
  lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  const people: Array<[string, string[], string | null]> = [
    ["P1", ["PERSONAL_BANKING"], "2026-11-10T10:00:00Z"],
    ["P2", ["PERSONAL_BANKING"], null],
    ["I1", ["INSURANCE"], null],
  ];
  for (const [, lines, closed] of people) {
    const { id } = await createCustomer(server, lead.token);
    await server.sql(`UPDATE customer SET business_lines = $2, created_at = '2026-10-01T00:00:00Z' WHERE id = $1`, [id, lines]);
    if (closed) await server.sql(`UPDATE customer SET status = 'CLOSED', relationship_closed_at = $2 WHERE id = $1`, [id, closed]);
  }
});
afterAll(async () => {
  await server?.stop();
});

describe("which days are due", () => {
  it("a day is due only once it is over in the bank's zone; missed days are caught up", () => {
    expect(dueDays(new Date("2026-11-10T15:59:59.999Z"), "Asia/Shanghai", null)).toEqual(["2026-11-09"]);
    expect(dueDays(new Date("2026-11-10T16:00:00.000Z"), "Asia/Shanghai", null)).toEqual(["2026-11-10"]);
    expect(dueDays(new Date("2026-11-10T16:00:00.000Z"), "Asia/Shanghai", "2026-11-10")).toEqual([]);
    expect(dueDays(new Date("2026-11-13T00:00:00.000Z"), "UTC", "2026-11-09")).toEqual(["2026-11-10", "2026-11-11", "2026-11-12"]);
    expect(dueDays(new Date("2026-12-31T00:00:00.000Z"), "UTC", "2026-01-01")).toHaveLength(31);
    expect(evaluationPeriods("2026-11-10", "Asia/Shanghai").map((p) => [p.from.toISOString(), p.to.toISOString()])).toEqual([
      ["2026-11-09T16:00:00.000Z", "2026-11-10T16:00:00.000Z"],
      ["2026-10-31T16:00:00.000Z", "2026-11-10T16:00:00.000Z"],
    ]);
    expect(evaluationPeriods("2026-11-01", "UTC")).toHaveLength(1);
  });
});

describe("the scheduled evaluation", () => {
  it("raises each alert once, not before the day is over, across two replicas and a restart", async () => {
    let replica = await startReplica(server.databaseUrl, server.clock);
    try {
      const a = schedulerOf(server.custos, server.clock);
      const b = schedulerOf(replica.custos, server.clock);

      // A millisecond before 2026-11-10 ends in Shanghai: only 2026-11-09 is over, and it breached nothing.
      const before = new Date("2026-11-10T15:59:59.999Z");
      server.clock.set(before);
      const early = await a.scheduler.runDueOnce(before);
      expect(early).toMatchObject({ days: ["2026-11-09"], alertsRaised: 0 });
      expect(await alerts()).toEqual([]);

      // The instant the day ends: both replicas, twice each, at once.
      const end = new Date("2026-11-10T16:00:00.000Z");
      server.clock.set(end);
      const runs = await Promise.all([a.scheduler.runDueOnce(end), b.scheduler.runDueOnce(end), a.scheduler.runDueOnce(end), b.scheduler.runDueOnce(end)]);
      expect(runs.flatMap((r) => r.days)).toEqual(["2026-11-10"]);
      expect(runs.reduce((n, r) => n + r.alertsRaised, 0)).toBe(4);
      const raised = await alerts();
      expect(raised.map((r) => [r.metric, r.period_from.toISOString(), r.period_to.toISOString(), r.cut_kind, r.cut_value, r.numerator, r.denominator])).toEqual([
        ["CHURN_RATE", "2026-11-09T16:00:00.000Z", "2026-11-10T16:00:00.000Z", "BUSINESS_LINE", "PERSONAL_BANKING", 1, 2],
        ["CHURN_RATE", "2026-11-09T16:00:00.000Z", "2026-11-10T16:00:00.000Z", "NONE", "", 1, 3],
        ["CHURN_RATE", "2026-10-31T16:00:00.000Z", "2026-11-10T16:00:00.000Z", "BUSINESS_LINE", "PERSONAL_BANKING", 1, 2],
        ["CHURN_RATE", "2026-10-31T16:00:00.000Z", "2026-11-10T16:00:00.000Z", "NONE", "", 1, 3],
      ]);
      expect(raised.every((r) => r.raised_by === null)).toBe(true);

      // One notification per alert, to compliance, delivered once between the two notifiers.
      const outbox = await server.sql<{ kind: string; quality_alert_id: string; case_id: string | null; recipient_role: string; delivered_at: Date | null }>(
        `SELECT kind, quality_alert_id, case_id, recipient_role, delivered_at FROM notification_outbox WHERE kind = 'QUALITY_ALERT' ORDER BY id`,
      );
      expect(outbox.map((o) => o.quality_alert_id).sort()).toEqual(raised.map((r) => r.id).sort());
      expect(outbox.every((o) => o.recipient_role === "COMPLIANCE_OFFICER" && o.case_id === null && o.delivered_at !== null)).toBe(true);
      const delivered = [...a.notifier.delivered, ...b.notifier.delivered];
      expect(delivered.map((n) => n.qualityAlertId).sort()).toEqual(raised.map((r) => r.id).sort());
      expect(delivered.every((n) => n.kind === "QUALITY_ALERT" && n.recipientStaffId === null)).toBe(true);

      // Audited as the system: one evaluation event per day, the alerts raised, and the reads.
      const events = await server.sql<{ action: string; resource_id: string | null; actor_id: string | null; n: number }>(
        `SELECT action, resource_id, actor_id, count(*)::int AS n FROM audit_event
          WHERE operation = 'quality-evaluation' AND outcome = 'SUCCESS' AND action IN ('quality.evaluation.run', 'quality.alert.raise')
          GROUP BY action, resource_id, actor_id ORDER BY action, resource_id`,
      );
      expect(events.filter((e) => e.action === "quality.evaluation.run").map((e) => [e.resource_id, e.n])).toEqual([["2026-11-09", 1], ["2026-11-10", 1]]);
      expect(events.filter((e) => e.action === "quality.alert.raise").map((e) => e.resource_id).sort()).toEqual(raised.map((r) => r.id).sort());
      expect(events.every((e) => e.actor_id === null && e.n === 1)).toBe(true);
      const [reads] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event WHERE operation = 'quality-evaluation' AND action = 'quality.metrics.read'`);
      expect(reads.n).toBeGreaterThan(0);

      // The compliance officer sees them without having asked for any figures (logged in now: tokens expire).
      compliance = await server.staff("COMPLIANCE_OFFICER");
      const seen = await server.gql(`{ qualityAlerts { id metric cutKind } }`, {}, { token: compliance.token });
      expect(seen.errors).toBeUndefined();
      expect(seen.data!.qualityAlerts).toHaveLength(4);

      // A restart: the replica goes and comes back; later the same day nothing is due again.
      await replica.stop();
      replica = await startReplica(server.databaseUrl, server.clock);
      const later = new Date("2026-11-11T03:00:00.000Z");
      server.clock.set(later);
      const again = await Promise.all([schedulerOf(replica.custos, server.clock).scheduler.runDueOnce(later), schedulerOf(server.custos, server.clock).scheduler.runDueOnce(later)]);
      expect(again.flatMap((r) => r.days)).toEqual([]);
      expect(await alerts()).toHaveLength(4);

      // The next day is evaluated once it is over (P1 ended before it: out of the base, no breach that day;
      // the month to date still breaches, and that alert is new: its period is longer).
      const nextEnd = new Date("2026-11-11T16:00:00.000Z");
      server.clock.set(nextEnd);
      const next = await schedulerOf(replica.custos, server.clock).scheduler.runDueOnce(nextEnd);
      expect(next.days).toEqual(["2026-11-11"]);
      expect(next.alertsRaised).toBe(2);
      const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM notification_outbox WHERE kind = 'QUALITY_ALERT'`);
      expect(n).toBe(6);
    } finally {
      await replica.stop();
    }
  }, 60_000);
});
