// Builds a principal's CASL ability from the role table, and answers field-level questions with it.
import { AbilityBuilder, createMongoAbility, subject as asSubject } from "@casl/ability";
import { permittedFieldsOf } from "@casl/ability/extra";
import { isOneOf, ROLES } from "../domain/enums";
import { mayReadPiiInFull, ROLE_POLICIES, type AppAbility } from "./roles";
import { FIELDS_OF, type AccessContext, type Action, type Principal, type SubjectName } from "./subjects";

export function defineAbilityFor(principal: Principal, ctx: AccessContext = { purpose: null }): AppAbility {
  if (!isOneOf(ROLES, principal.role)) throw new TypeError(`unknown role ${String(principal.role)}`);
  if ((principal.role === "SERVICE") !== (principal.kind === "service")) throw new TypeError("only service principals have role SERVICE");
  const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
  const full = mayReadPiiInFull(principal, ctx);
  ROLE_POLICIES[principal.role]({
    p: principal,
    can: builder.can,
    cannot: builder.cannot,
    pii: (subject, fields, conditions) => builder.can(full ? "read" : "readMasked", subject, [...fields], conditions),
  });
  return builder.build();
}

type RowSubject = Exclude<SubjectName, "all">;

/** Whether the principal may act on this particular row (never just on the type). */
export function canOnRow(ability: AppAbility, action: Action, type: RowSubject, row: Record<string, unknown>, field?: string): boolean {
  return ability.can(action, asSubject(type, { ...row }) as never, field);
}

/** Fields of this row the principal may act on. */
export function permittedFields(ability: AppAbility, action: Action, type: RowSubject, row: Record<string, unknown>): string[] {
  return permittedFieldsOf(ability, action, asSubject(type, { ...row }) as never, {
    fieldsFrom: (rule) => rule.fields ?? [...FIELDS_OF[type]],
  });
}

export type FieldLevel = "full" | "masked" | "hidden";

/** For each of `fields`, how this principal may see it on this row. */
export function fieldLevels<F extends string>(ability: AppAbility, type: RowSubject, row: Record<string, unknown>, fields: readonly F[]): Map<F, FieldLevel> {
  const full = new Set(permittedFields(ability, "read", type, row));
  const masked = new Set(permittedFields(ability, "readMasked", type, row));
  return new Map(fields.map((f) => [f, full.has(f) ? "full" : masked.has(f) ? "masked" : "hidden"]));
}
