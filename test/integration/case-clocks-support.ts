// Helpers for the service-clock integration tests: cases opened through the API, actors for the clock
// service, a second Custos on the same database (another replica), and raw counts.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { expect } from "vitest";
import type { ManualClock } from "../../src/clock";
import { loadConfig } from "../../src/config";
import { DEFAULT_PASSWORD_PARAMS } from "../../src/crypto";
import { startCustos, type Custos } from "../../src/main";
import { MemoryNotifier } from "../../src/notify/notifier";
import { defineAbilityFor } from "../../src/policies";
import { ClockScheduler } from "../../src/scheduler/clock-scheduler";
import type { AuditActor } from "../../src/store/audited-store";
import type { StaffLogin, TestServer } from "../support/test-server";
import { createCustomer } from "./api-helpers";

const OPEN = `mutation OpenCase($i: OpenCaseInput!) { openCase(input: $i) { id receivedAt } }`;

export async function openCase(server: TestServer, who: StaffLogin, kind: "SERVICE_REQUEST" | "COMPLAINT", complexity: "COMMON" | "COMPLEX" = "COMMON"): Promise<string> {
  const customerId = (await createCustomer(server, who.token)).id;
  const input = { customerId, channel: "PHONE", kind, category: "card.replacement", complexity, businessLine: who.businessLine, summary: "Card replacement requested by the customer" };
  const res = await server.gql(OPEN, { i: input }, { token: who.token });
  expect(res.errors).toBeUndefined();
  return res.data!.openCase.id;
}

/** The clock service's actor for a logged-in staff member (what the GraphQL context would build). */
export async function actorFor(server: TestServer, who: StaffLogin): Promise<AuditActor> {
  const [{ team_id }] = await server.sql<{ team_id: string | null }>(`SELECT team_id FROM staff_user WHERE id = $1`, [who.id]);
  const principal = { id: who.id, role: who.role, businessLine: who.businessLine, teamId: team_id, kind: "staff" as const, trainingCurrent: true, scopes: [] };
  return { principal, ability: defineAbilityFor(principal, { purpose: "CASE_HANDLING" }), meta: { requestId: `clock-test-${who.id}`, operation: "clock-test", clientAddress: null, purpose: "CASE_HANDLING" } };
}

/** Starts the case's clocks unless intake already did (the workflow calls the same hook). */
export async function ensureClocksStarted(server: TestServer, actor: AuditActor, caseId: string): Promise<void> {
  const [{ n }] = await server.sql<{ n: number }>(`SELECT count(*)::int AS n FROM case_clock_event WHERE case_id = $1 AND type = 'STARTED'`, [caseId]);
  if (n === 0) await server.custos.services.caseClocks.start(actor, caseId);
}

/** Another Custos process on the same database: a replica with its own pool, keys directory and logger. */
export async function startReplica(databaseUrl: string, clock: ManualClock): Promise<{ custos: Custos; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "custos-replica-"));
  const config = loadConfig({ NODE_ENV: "test", DATABASE_URL: databaseUrl, CUSTOS_DATA_DIR: dataDir, PORT: "0", CUSTOS_SEED_DEMO: "false" });
  const custos = await startCustos(config, { clock, logger: pino({ level: "silent" }), passwordParams: DEFAULT_PASSWORD_PARAMS });
  return {
    custos,
    stop: async () => {
      await custos.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A scheduler over a Custos's own pool and audited store, delivering into memory. */
export function schedulerOf(custos: Custos, clock: ManualClock): { scheduler: ClockScheduler; notifier: MemoryNotifier } {
  const notifier = new MemoryNotifier();
  const scheduler = new ClockScheduler({ ds: custos.ds, store: custos.services.store, clock, notifier, logger: pino({ level: "silent" }), intervalMs: 0 });
  return { scheduler, notifier };
}

export async function outbox(server: TestServer, caseIds: readonly string[]) {
  return server.sql<{ kind: string; case_id: string; clock_kind: string; due_at: Date; recipient_staff_id: string | null; recipient_role: string; delivered_at: Date | null }>(
    `SELECT kind, case_id, clock_kind, due_at, recipient_staff_id, recipient_role, delivered_at FROM notification_outbox WHERE case_id = ANY($1::uuid[]) ORDER BY id`,
    [caseIds],
  );
}

export async function clockAudit(server: TestServer, caseId: string) {
  return server.sql<{ action: string; outcome: string; actor_id: string | null; details: Record<string, unknown> }>(
    `SELECT action, outcome, actor_id, details FROM audit_event WHERE resource_type = 'case' AND resource_id = $1 AND action LIKE 'case.clock.%' ORDER BY seq`,
    [caseId],
  );
}
