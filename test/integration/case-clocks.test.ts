// Service clocks on real cases: every clock event is recorded, recomputed and audited; pauses move the
// due instants by exactly the paused time; regulatory extensions need their reason, approval and the
// customer informed, and a refused one leaves no event but an audited failure.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, HOUR_MS } from "../../src/clock";
import { CustosError } from "../../src/errors";
import type { AuditActor } from "../../src/store/audited-store";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { actorFor, clockAudit, ensureClocksStarted, openCase } from "./case-clocks-support";

const T0 = "2026-11-02T09:00:00.000Z";
const at = (offsetMs: number) => new Date(Date.parse(T0) + offsetMs);

let server: TestServer;
let agent: StaffLogin;
let lead: StaffLogin;
let leadActor: AuditActor;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
  leadActor = await actorFor(server, lead);
});
afterAll(() => server?.stop());

async function failure(p: Promise<unknown>): Promise<{ code: string; rule: unknown }> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CustosError);
  return { code: (error as CustosError).code, rule: (error as CustosError).details.rule };
}

describe("clock events on a complaint", () => {
  it("starts, pauses, resumes, stops and extends, recomputes from the events, and audits every event", async () => {
    server.clock.set(T0);
    const caseId = await openCase(server, agent, "COMPLAINT");
    await ensureClocksStarted(server, leadActor, caseId);
    const clocks = server.custos.services.caseClocks;

    server.clock.set(at(HOUR_MS));
    const paused = await clocks.pause(leadActor, caseId, "AWAITING_CUSTOMER_DOCUMENTS");
    expect(paused.map((s) => [s.clockKind, s.state]).sort()).toEqual([["FIRST_RESPONSE", "PAUSED"], ["REGULATORY_DECISION", "PAUSED"], ["RESOLUTION", "PAUSED"]]);
    expect(await failure(clocks.pause(leadActor, caseId, "AGAIN"))).toEqual({ code: "CONFLICT", rule: "NOT_RUNNING" });

    server.clock.set(at(6 * HOUR_MS));
    await clocks.resume(leadActor, caseId);
    server.clock.set(at(7 * HOUR_MS));
    await clocks.stop(leadActor, caseId, "FIRST_RESPONSE");
    server.clock.set(at(2 * DAY_MS));
    await clocks.extendRegulatory(leadActor, caseId, { toDays: 30, reason: "THIRD_PARTY_EVIDENCE", customerInformedAt: at(2 * DAY_MS - HOUR_MS) });

    server.clock.set(at(2 * DAY_MS + HOUR_MS));
    const states = Object.fromEntries((await clocks.states(leadActor, caseId)).map((s) => [s.clockKind, s]));
    expect(states.FIRST_RESPONSE).toMatchObject({ state: "MET", stoppedAt: at(7 * HOUR_MS), pausedMs: 5 * HOUR_MS });
    // 24 h plus the 5 h paused: due T0 + 29 h, so breached by T0 + 2 d.
    expect(states.RESOLUTION).toMatchObject({ state: "BREACHED", breachAt: at(29 * HOUR_MS) });
    expect(states.REGULATORY_DECISION).toMatchObject({ state: "ON_TIME", durationMs: 30 * DAY_MS, breachAt: at(30 * DAY_MS + 5 * HOUR_MS) });

    const rows = await server.sql<{ clock_kind: string; type: string }>(`SELECT clock_kind, type FROM case_clock_event WHERE case_id = $1 ORDER BY id`, [caseId]);
    expect(rows.map((r) => r.type)).toEqual(["STARTED", "STARTED", "STARTED", "PAUSED", "PAUSED", "PAUSED", "RESUMED", "RESUMED", "RESUMED", "STOPPED", "EXTENDED"]);
    const audited = (await clockAudit(server, caseId)).filter((e) => e.outcome === "SUCCESS");
    expect(audited.map((e) => e.action)).toEqual(rows.map((r) => `case.clock.${r.type.toLowerCase()}`));
    expect(audited.slice(3).every((e) => e.actor_id === lead.id)).toBe(true);
    expect(audited[3].details).toMatchObject({ reason: "AWAITING_CUSTOMER_DOCUMENTS", state: "PAUSED" });
    expect(audited[10].details).toMatchObject({ clockKind: "REGULATORY_DECISION", extendedToMs: 30 * DAY_MS, reason: "THIRD_PARTY_EVIDENCE", approverRef: null });
  });
});

describe("regulatory extensions", () => {
  let caseId: string;
  beforeAll(async () => {
    server.clock.set(T0);
    caseId = await openCase(server, agent, "COMPLAINT");
    await ensureClocksStarted(server, leadActor, caseId);
    server.clock.set(at(10 * DAY_MS));
  });
  const extend = (input: Parameters<TestServer["custos"]["services"]["caseClocks"]["extendRegulatory"]>[2]) =>
    server.custos.services.caseClocks.extendRegulatory(leadActor, caseId, input);
  const informed = () => at(10 * DAY_MS - HOUR_MS);

  it.each([
    ["30 days without a reason", { toDays: 30 as const, reason: "", customerInformedAt: informed() }, "EXTENSION_REASON_REQUIRED"],
    ["30 days before the customer is informed", { toDays: 30 as const, reason: "THIRD_PARTY_EVIDENCE", customerInformedAt: null }, "CUSTOMER_NOT_INFORMED"],
    ["60 days without head-office approval", { toDays: 60 as const, reason: "COMPLEX_INVESTIGATION", customerInformedAt: informed() }, "HEAD_OFFICE_APPROVAL_REQUIRED"],
  ])("refuses %s with BAD_USER_INPUT, records no event and audits the failure", async (_what, input, rule) => {
    const before = await server.sql(`SELECT 1 FROM case_clock_event WHERE case_id = $1`, [caseId]);
    expect(await failure(extend(input))).toEqual({ code: "BAD_USER_INPUT", rule });
    expect(await server.sql(`SELECT 1 FROM case_clock_event WHERE case_id = $1`, [caseId])).toHaveLength(before.length);
    const last = (await clockAudit(server, caseId)).at(-1);
    expect(last).toMatchObject({ action: "case.clock.extended", outcome: "FAILURE", details: { code: "BAD_USER_INPUT" } });
  });

  it("extends to 30 with a reason, then to 60 with head-office approval, recording the approver", async () => {
    await extend({ toDays: 30, reason: "THIRD_PARTY_EVIDENCE", customerInformedAt: informed() });
    const states = await extend({ toDays: 60, reason: "COMPLEX_INVESTIGATION", approverRef: "HO-APPROVAL-2026-117", customerInformedAt: informed() });
    const regulatory = states.find((s) => s.clockKind === "REGULATORY_DECISION")!;
    expect(regulatory).toMatchObject({ durationMs: 60 * DAY_MS, breachAt: at(60 * DAY_MS) });
    const [row] = await server.sql<{ approver_ref: string; extended_to_ms: string }>(
      `SELECT approver_ref, extended_to_ms FROM case_clock_event WHERE case_id = $1 AND type = 'EXTENDED' ORDER BY id DESC LIMIT 1`,
      [caseId],
    );
    expect(row).toEqual({ approver_ref: "HO-APPROVAL-2026-117", extended_to_ms: String(60 * DAY_MS) });
  });

  it("refuses an agent the case is not assigned to, and a case of another line reads as missing", async () => {
    const other = await server.staff("AGENT", "PERSONAL_BANKING");
    const [{ assignee_id }] = await server.sql<{ assignee_id: string }>(`SELECT assignee_id FROM support_case WHERE id = $1`, [caseId]);
    expect(assignee_id).not.toBe(other.id); // assigned at intake, before `other` existed
    expect((await failure(server.custos.services.caseClocks.pause(await actorFor(server, other), caseId, "X1"))).code).toBe("FORBIDDEN");
    const stranger = await server.staff("TEAM_LEAD", "INSURANCE");
    expect((await failure(server.custos.services.caseClocks.states(await actorFor(server, stranger), caseId))).code).toBe("NOT_FOUND");
  });
});
