// Builds a principal's CASL ability from the role table, and answers field-level questions with it.
import { AbilityBuilder, createMongoAbility, subject as asSubject } from "@casl/ability";
import { permittedFieldsOf } from "@casl/ability/extra";
import { isOneOf, ROLES } from "../domain/enums";
import { ROLE_POLICIES, type AppAbility } from "./roles";
import { FIELDS_OF, type Action, type Principal, type SubjectName } from "./subjects";

export function defineAbilityFor(principal: Principal): AppAbility {
  if (!isOneOf(ROLES, principal.role)) throw new TypeError(`unknown role ${String(principal.role)}`);
  const builder = new AbilityBuilder<AppAbility>(createMongoAbility);
  ROLE_POLICIES[principal.role](principal, builder.can, builder.cannot);
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
