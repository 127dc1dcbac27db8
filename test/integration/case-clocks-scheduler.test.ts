// The clock scheduler on real cases: a warning at 75 % to the owner and an escalation at breach to the
// team lead (and compliance for a regulatory deadline), each exactly once with two replicas sweeping the
// same database at the same instant; pauses move the jobs; jobs survive a restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../../src/clock";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { actorFor, clockAudit, ensureClocksStarted, openCase, outbox, schedulerOf, startReplica } from "./case-clocks-support";
import type { AuditActor } from "../../src/store/audited-store";

const T0 = "2026-11-02T09:00:00.000Z";
const at = (offsetMs: number) => new Date(Date.parse(T0) + offsetMs);

let server: TestServer;
let replica: Awaited<ReturnType<typeof startReplica>>;
let agent: StaffLogin;
let lead: StaffLogin;
let leadActor: AuditActor;
beforeAll(async () => {
  server = await createTestServer();
  replica = await startReplica(server.databaseUrl, server.clock);
  agent = await server.staff("AGENT", "CORPORATE_FINANCE");
  lead = await server.staff("TEAM_LEAD", "CORPORATE_FINANCE");
  leadActor = await actorFor(server, lead);
});
afterAll(async () => {
  await replica?.stop();
  await server?.stop();
});

async function openWithClocks(kind: "SERVICE_REQUEST" | "COMPLAINT"): Promise<string> {
  const id = await openCase(server, agent, kind);
  await ensureClocksStarted(server, leadActor, id);
  return id;
}

describe("two replicas sweeping the same database", () => {
  it("warn each owner once at 75 % and escalate each breach once to the team lead", async () => {
    server.clock.set(T0);
    const ids = [await openWithClocks("SERVICE_REQUEST"), await openWithClocks("SERVICE_REQUEST"), await openWithClocks("SERVICE_REQUEST")];
    const a = schedulerOf(server.custos, server.clock);
    const b = schedulerOf(replica.custos, server.clock);
    const sweepBoth = async (now: Date) => {
      server.clock.set(now);
      const results = await Promise.all([a.scheduler.runDueOnce(now), b.scheduler.runDueOnce(now), a.scheduler.runDueOnce(now), b.scheduler.runDueOnce(now)]);
      expect(results.every((r) => r.failed === 0)).toBe(true);
      return results;
    };

    // A millisecond before 75 % of the 24 h resolution clock (T0 + 18 h): nothing.
    await sweepBoth(new Date(at(18 * HOUR_MS).getTime() - 1));
    expect(await outbox(server, ids)).toEqual([]);

    const warned = await sweepBoth(at(18 * HOUR_MS));
    expect(warned.reduce((n, r) => n + (r.outcomes.WARNED ?? 0), 0)).toBe(3);
    const warnings = await outbox(server, ids);
    expect(warnings).toHaveLength(3);
    const owners = await server.sql<{ id: string; assignee_id: string }>(`SELECT id, assignee_id FROM support_case WHERE id = ANY($1::uuid[])`, [ids]);
    for (const w of warnings) {
      expect(w).toMatchObject({ kind: "CLOCK_WARNING", clock_kind: "RESOLUTION", due_at: at(24 * HOUR_MS), recipient_role: "OWNER" });
      expect(w.recipient_staff_id).toBe(owners.find((o) => o.id === w.case_id)!.assignee_id);
    }

    await sweepBoth(at(24 * HOUR_MS)); // the resolution breach
    await sweepBoth(at(36 * HOUR_MS)); // first response: 75 % of 48 h
    await sweepBoth(at(48 * HOUR_MS)); // first response breached
    await sweepBoth(at(49 * HOUR_MS)); // nothing left
    const all = await outbox(server, ids);
    const summary = all.map((n) => `${n.case_id}:${n.clock_kind}:${n.kind}`).sort();
    expect(new Set(summary).size).toBe(summary.length);
    expect(all.filter((n) => n.kind === "CLOCK_BREACH_ESCALATION")).toHaveLength(6);
    expect(all.filter((n) => n.kind === "CLOCK_WARNING")).toHaveLength(6);
    for (const n of all.filter((x) => x.kind === "CLOCK_BREACH_ESCALATION")) expect(n).toMatchObject({ recipient_staff_id: lead.id, recipient_role: "TEAM_LEAD" });

    // Delivered once each, by whichever replica drained it.
    const delivered = [...a.notifier.delivered, ...b.notifier.delivered];
    expect(delivered.map((n) => n.id).sort()).toEqual([...new Set(delivered.map((n) => n.id))].sort());
    expect(delivered).toHaveLength(12);
    expect(all.every((n) => n.delivered_at !== null)).toBe(true);

    for (const id of ids) {
      const events = (await clockAudit(server, id)).map((e) => `${e.action}:${e.details.clockKind}`);
      expect(events.filter((e) => e === "case.clock.warn:RESOLUTION")).toHaveLength(1);
      expect(events.filter((e) => e === "case.clock.breach:RESOLUTION")).toHaveLength(1);
      expect(events.filter((e) => e === "case.clock.breach:FIRST_RESPONSE")).toHaveLength(1);
    }
    // The workflow escalated each case once (at the first breach), however many replicas swept.
    const statuses = await server.sql<{ status: string }>(`SELECT status FROM support_case WHERE id = ANY($1::uuid[])`, [ids]);
    expect(statuses.map((r) => r.status)).toEqual(["ESCALATED", "ESCALATED", "ESCALATED"]);
    const escalations = await server.sql<{ resource_id: string; details: Record<string, unknown> }>(
      `SELECT resource_id, details FROM audit_event WHERE action = 'case.escalate' AND resource_id = ANY($1::text[]) ORDER BY seq`,
      [ids],
    );
    expect(escalations.map((e) => e.resource_id).sort()).toEqual([...ids].sort());
    for (const e of escalations) expect(e.details).toMatchObject({ from: "ASSIGNED", to: "ESCALATED", reason: "CLOCK_BREACH", clockKind: "RESOLUTION" });
  });

  it("flags a regulatory deadline breach for compliance, once", async () => {
    server.clock.set(T0);
    const id = await openWithClocks("COMPLAINT");
    await server.custos.services.caseClocks.stop(leadActor, id, "FIRST_RESPONSE");
    await server.custos.services.caseClocks.stop(leadActor, id, "RESOLUTION");
    const a = schedulerOf(server.custos, server.clock);
    const b = schedulerOf(replica.custos, server.clock);
    server.clock.set(at(15 * DAY_MS));
    await Promise.all([a.scheduler.runDueOnce(), b.scheduler.runDueOnce()]);
    // A replica skips a job whose case another one holds locked (SKIP LOCKED); its next tick takes it. One
    // more tick of each, one after the other, must add nothing to what was done once.
    await a.scheduler.runDueOnce();
    await b.scheduler.runDueOnce();
    const notes = (await outbox(server, [id])).map((n) => [n.kind, n.clock_kind, n.recipient_role]);
    // Nobody swept at 75 % (day 11.25): a warning for a deadline already breached is skipped, not sent late.
    expect(notes).toEqual([
      ["CLOCK_BREACH_ESCALATION", "REGULATORY_DECISION", "TEAM_LEAD"],
      ["REGULATORY_BREACH_COMPLIANCE", "REGULATORY_DECISION", "COMPLIANCE_OFFICER"],
    ]);
    const [warnJob] = await server.sql(`SELECT status, outcome FROM clock_job WHERE case_id = $1 AND clock_kind = 'REGULATORY_DECISION' AND action = 'WARN'`, [id]);
    expect(warnJob).toEqual({ status: "DONE", outcome: "SKIPPED_BREACHED" });
    const breach = (await clockAudit(server, id)).filter((e) => e.action === "case.clock.breach");
    expect(breach).toHaveLength(1);
    expect(breach[0]).toMatchObject({ outcome: "SUCCESS", actor_id: null, details: { clockKind: "REGULATORY_DECISION", complianceFlag: true, escalatedTo: lead.id } });
  });
});

describe("jobs follow the clock and the database", () => {
  it("a paused clock neither warns nor breaches; after resuming it does, later by the paused time", async () => {
    server.clock.set(T0);
    const id = await openWithClocks("SERVICE_REQUEST");
    const { scheduler } = schedulerOf(server.custos, server.clock);
    server.clock.set(at(HOUR_MS));
    await server.custos.services.caseClocks.pause(leadActor, id, "AWAITING_CUSTOMER");
    server.clock.set(at(30 * HOUR_MS));
    await scheduler.runDueOnce();
    expect(await outbox(server, [id])).toEqual([]);
    await server.custos.services.caseClocks.resume(leadActor, id);
    // Resolution: 1 h ran before the pause, 29 h paused → warn at T0 + 47 h, breach at T0 + 53 h.
    await scheduler.runDueOnce(new Date(at(47 * HOUR_MS).getTime() - 1));
    expect(await outbox(server, [id])).toEqual([]);
    await scheduler.runDueOnce(at(47 * HOUR_MS));
    expect((await outbox(server, [id])).map((n) => [n.kind, n.clock_kind, n.due_at])).toEqual([["CLOCK_WARNING", "RESOLUTION", at(53 * HOUR_MS)]]);
  });

  it("survives a restart: a job scheduled before the replica stopped runs on a new one, once", async () => {
    server.clock.set(T0);
    const id = await openWithClocks("SERVICE_REQUEST");
    const [{ n: pending }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM clock_job WHERE case_id = $1 AND status = 'PENDING'`, [id]);
    expect(pending).toBe(4); // WARN and BREACH for first response and resolution
    await replica.stop();
    replica = await startReplica(server.databaseUrl, server.clock); // a fresh process: nothing in memory
    const { scheduler } = schedulerOf(replica.custos, server.clock);
    server.clock.set(at(18 * HOUR_MS));
    expect((await scheduler.runDueOnce()).outcomes).toEqual({ WARNED: 1 });
    expect((await scheduler.runDueOnce()).outcomes).toEqual({});
    server.clock.set(at(24 * HOUR_MS));
    expect((await scheduler.runDueOnce()).outcomes).toEqual({ ESCALATED: 1 });
    expect((await outbox(server, [id])).map((n) => n.kind)).toEqual(["CLOCK_WARNING", "CLOCK_BREACH_ESCALATION"]);
  });
});
