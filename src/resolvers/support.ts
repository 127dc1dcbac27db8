// What every resolver needs: the authenticated actor, and which fields the query asked for.
import type { FieldNode, GraphQLResolveInfo, SelectionSetNode } from "graphql";
import type { RequestContext } from "../context";
import { unauthenticated } from "../errors";
import type { AuditActor } from "../store/audited-store";

export function actorOf(ctx: RequestContext): AuditActor {
  if (!ctx.actor) throw unauthenticated("Authentication required");
  return ctx.actor;
}

/**
 * Names of the fields selected at `path` below the resolved field (e.g. ["edges", "node"] for a
 * connection), fragments included. Stores decrypt, and the audit log records, only these.
 */
export function selectedFields(info: GraphQLResolveInfo, path: readonly string[] = []): Set<string> {
  let level: FieldNode[] = [...info.fieldNodes];
  for (const segment of path) {
    level = level.flatMap((node) => collect(info, node.selectionSet).filter((f) => f.name.value === segment));
  }
  return new Set(level.flatMap((node) => collect(info, node.selectionSet).map((f) => f.name.value)));
}

function collect(info: GraphQLResolveInfo, set: SelectionSetNode | undefined): FieldNode[] {
  if (!set) return [];
  return set.selections.flatMap((s) => {
    if (s.kind === "Field") return [s];
    if (s.kind === "InlineFragment") return collect(info, s.selectionSet);
    const fragment = info.fragments[s.name.value];
    return fragment ? collect(info, fragment.selectionSet) : [];
  });
}

export function pick<T extends string>(selected: Set<string>, candidates: readonly T[]): T[] {
  return candidates.filter((c) => selected.has(c));
}
