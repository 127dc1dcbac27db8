// Public surface of the policy layer.
export { canOnRow, defineAbilityFor, fieldLevels, permittedFields, type FieldLevel } from "./ability";
export { mayReadPiiInFull, ROLE_POLICIES, type AppAbility } from "./roles";
export * from "./subjects";
export { rulesToSql, type ColumnMap, type SqlPredicate } from "./to-sql";
export { defineSystemAbility, type SystemTask } from "./system";
