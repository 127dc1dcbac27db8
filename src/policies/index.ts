// Public surface of the policy layer.
export { canOnRow, defineAbilityFor, permittedFields } from "./ability";
export { ROLE_POLICIES, type AppAbility } from "./roles";
export * from "./subjects";
export { rulesToSql, type ColumnMap, type SqlPredicate } from "./to-sql";
