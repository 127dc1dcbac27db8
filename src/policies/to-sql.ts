// Turns a principal's CASL rules for (action, subject) into one SQL predicate, so lists and counts are
// scoped by the database with exactly the rules that check single rows. We own this small translator
// instead of @ucast/sql (an alpha, see STACK.md): it knows only the operators our policies use and
// refuses anything else loudly.
import { rulesToAST } from "@casl/ability/extra";
import type { AppAbility } from "./roles";
import type { Action, SubjectName } from "./subjects";

export interface ColumnMap {
  /** `nullable` columns get two-valued comparisons, so NOT and $nin agree with CASL on NULL. */
  readonly [field: string]: { readonly column: string; readonly array?: boolean; readonly nullable?: boolean };
}

export interface SqlPredicate {
  readonly sql: string;
  readonly params: Record<string, unknown>;
}

interface AstNode {
  operator: string;
  field?: string;
  value: unknown;
}

const ALLOW_ALL: SqlPredicate = { sql: "TRUE", params: {} };
const DENY_ALL: SqlPredicate = { sql: "FALSE", params: {} };

/**
 * The SQL predicate for rows of `subject` the ability allows `action` on. Parameters are named
 * `<prefix>_<n>` for TypeORM's query builder.
 */
export function rulesToSql(
  ability: AppAbility,
  action: Action,
  subject: Exclude<SubjectName, "all">,
  columns: ColumnMap,
  prefix = "policy",
): SqlPredicate {
  const ast = rulesToAST(ability, action, subject) as AstNode | null;
  if (ast === null) return DENY_ALL;
  const params: Record<string, unknown> = {};
  let counter = 0;
  const bind = (value: unknown): string => {
    const name = `${prefix}_${counter++}`;
    params[name] = value;
    return `:${name}`;
  };
  const translate = (node: AstNode): string => {
    switch (node.operator) {
      case "and":
      case "or": {
        const parts = (node.value as AstNode[]).map(translate);
        if (parts.length === 0) return node.operator === "and" ? "TRUE" : "FALSE";
        return `(${parts.join(node.operator === "and" ? " AND " : " OR ")})`;
      }
      case "not":
        return `NOT (${(node.value as AstNode[]).map(translate).join(" AND ")})`;
      default:
        return translateField(node, columns, bind);
    }
  };
  const sql = translate(ast);
  return sql === "TRUE" ? ALLOW_ALL : { sql, params };
}

function translateField(node: AstNode, columns: ColumnMap, bind: (v: unknown) => string): string {
  const field = node.field;
  const mapping = field === undefined ? undefined : columns[field];
  if (!mapping) throw new TypeError(`policy condition on unmapped field "${String(field)}"`);
  const { column, array, nullable } = mapping;
  // SQL compares NULL to unknown; CASL to false. Wrapping keeps NOT (...) true where CASL says so. Only
  // nullable columns are wrapped, so predicates on NOT NULL columns stay plain and index-friendly.
  const definite = (expr: string) => (nullable ? `COALESCE(${expr}, FALSE)` : expr);
  const value = node.value;
  const inList = (values: unknown[]): string => {
    const present = values.filter((v) => v !== null);
    const parts: string[] = [];
    if (present.length > 0) parts.push(definite(array ? `${column} && ${bind(present)}` : `${column} = ANY(${bind(present)})`));
    if (present.length < values.length) parts.push(`${column} IS NULL`);
    // Parenthesised: this lands inside AND lists.
    return parts.length === 0 ? "FALSE" : parts.length === 1 ? parts[0] : `(${parts.join(" OR ")})`;
  };
  switch (node.operator) {
    case "eq":
      if (value === null) return `${column} IS NULL`;
      return definite(array ? `${bind(value)} = ANY(${column})` : `${column} = ${bind(value)}`);
    case "ne":
      if (value === null) return `${column} IS NOT NULL`;
      return array ? `NOT (${definite(`${bind(value)} = ANY(${column})`)})` : `${column} IS DISTINCT FROM ${bind(value)}`;
    case "in":
      if (!Array.isArray(value)) throw new TypeError(`$in on "${field}" needs an array`);
      return inList(value);
    case "nin":
      if (!Array.isArray(value)) throw new TypeError(`$nin on "${field}" needs an array`);
      return `NOT (${inList(value)})`;
    default:
      throw new TypeError(`policy operator "${node.operator}" on "${field}" has no SQL translation`);
  }
}
