// Small helpers every store uses: the authenticated actor of a unit of work, id and error checks.
import { unauthenticated } from "../errors";
import type { AppAbility, Principal } from "../policies";
import type { UnitOfWork } from "./audited-store";

export function requireActor(uow: UnitOfWork): { principal: Principal; ability: AppAbility } {
  const { principal, ability } = uow.actor;
  if (!principal || !ability) throw unauthenticated("Authentication required");
  return { principal, ability };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids that are not UUIDs can match nothing; checking first keeps a cast error from ever reaching SQL. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  return e?.code === "23505" || e?.driverError?.code === "23505";
}
