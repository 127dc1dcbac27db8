// The audit-trail filter, one definition for the paged trail, the exports and the reports: its checks
// and the SQL conditions it becomes.
import { badInput } from "../errors";
import { isUuid } from "./store-support";

export interface TrailFilter {
  resourceType?: string | null;
  resourceId?: string | null;
  actorId?: string | null;
  action?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** Short printable strings only: they go into SQL parameters and the audit log's own query event. */
export function assertTrailStrings(filter: TrailFilter): void {
  for (const key of ["resourceType", "resourceId", "actorId", "action"] as const) {
    const value = filter[key];
    if (typeof value === "string" && (value.length > 200 || /[\u0000-\u001f\u007f]/.test(value))) {
      throw badInput(`${key} must be at most 200 printable characters`, key);
    }
  }
}

/** The exports and reports also need a real window. */
export function assertTrailFilter(filter: TrailFilter): void {
  assertTrailStrings(filter);
  if (filter.from && filter.to && filter.from.getTime() >= filter.to.getTime()) throw badInput("from must be before to", "from");
}

/** The filter as SQL conditions on audit_event, appending their values to `params` ($n placeholders). */
export function trailConditions(filter: TrailFilter, params: unknown[]): string[] {
  const where: string[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace("?", `$${params.length}`));
  };
  if (filter.resourceType) add("resource_type = ?", filter.resourceType);
  if (filter.resourceId) add("resource_id = ?", filter.resourceId);
  // A malformed actor id matches nothing rather than raising a cast error.
  if (filter.actorId) add("actor_id = ?", isUuid(filter.actorId) ? filter.actorId : null);
  if (filter.action) add("action = ?", filter.action);
  if (filter.from) add("occurred_at >= ?", filter.from);
  if (filter.to) add("occurred_at < ?", filter.to);
  return where;
}
