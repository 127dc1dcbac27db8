// Limits on what one GraphQL request may ask for, checked before anything executes: document size and
// batching at the HTTP edge; depth, aliases, sensitive mutations, page sizes and cost as validation rules.
import type express from "express";
import {
  GraphQLError,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type ASTNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import { CustosError } from "../errors";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../store/paging";

export const DOCUMENT_LIMITS = Object.freeze({
  /** Bytes of GraphQL source text in one request (variables are bounded by the JSON body limit). */
  maxDocumentBytes: 20 * 1024,
  /** Nesting of fields; `{ me { id } }` is 2. The schema's real queries stay under 9. */
  maxDepth: 10,
  /** Aliased fields in the whole document: aliases are how one request repeats a field. */
  maxAliases: 15,
  /** Root fields among SENSITIVE_ROOT_FIELDS in one operation: one credential check per request. */
  maxSensitiveRootFields: 1,
  /** See costOf: each field 1, a list of objects multiplies its subtree by its page size. */
  maxCost: 2_000,
});

/** Mutations that check a credential or issue one: matched by field name, whichever engineer adds them. */
export const SENSITIVE_ROOT_FIELDS: ReadonlySet<string> = new Set(["login", "refreshSession", "changePassword"]);

export type DocumentLimit = "documentSize" | "batch" | "depth" | "aliases" | "sensitiveFields" | "pageSize" | "cost";

/**
 * A refusal a client can act on: BAD_USER_INPUT with `extensions.limit` naming the limit. Messages
 * state the limit and what was measured, never an argument's value.
 */
function limitError(limit: DocumentLimit, message: string, nodes?: readonly ASTNode[]): GraphQLError {
  // formatError finds the CustosError through originalError and keeps its code and details.
  return new GraphQLError(message, { nodes, originalError: new CustosError("BAD_USER_INPUT", message, { limit }) });
}

function refusalBody(limit: DocumentLimit, message: string) {
  return { errors: [{ message, extensions: { code: "BAD_USER_INPUT", limit } }] };
}

/**
 * Express middleware before Apollo: refuses a batch (a JSON array body; Apollo's batching stays off)
 * and a document over maxDocumentBytes, with HTTP 400 and a coded JSON error, before any parsing.
 */
export function limitRequestDocuments(maxBytes: number = DOCUMENT_LIMITS.maxDocumentBytes): express.RequestHandler {
  return (req, res, next) => {
    if (Array.isArray(req.body)) {
      res.status(400).json(refusalBody("batch", "Batched operations are not accepted: send one operation per request"));
      return;
    }
    const query = req.method === "GET" ? req.query?.query : (req.body as { query?: unknown } | undefined)?.query;
    if (typeof query === "string" && Buffer.byteLength(query, "utf8") > maxBytes) {
      res.status(400).json(refusalBody("documentSize", `GraphQL document exceeds the limit of ${maxBytes} bytes`));
      return;
    }
    next();
  };
}

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

function fragmentsOf(context: ValidationContext): Fragments {
  const map = new Map<string, FragmentDefinitionNode>();
  for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) map.set(def.name.value, def);
  return map;
}

// Introspection (__schema, __type, __typename) is outside the limits: production refuses the first two
// outright, and __typename is free.
const isIntrospection = (field: FieldNode) => field.name.value.startsWith("__");

/** Field nesting below a selection set; a fragment's depth is computed once (memo), cycles count 0. */
function depthOf(set: SelectionSetNode, fragments: Fragments, memo: Map<string, number>, visiting: Set<string>): number {
  let deepest = 0;
  for (const s of set.selections) {
    let d = 0;
    if (s.kind === Kind.FIELD) d = isIntrospection(s) ? 1 : 1 + (s.selectionSet ? depthOf(s.selectionSet, fragments, memo, visiting) : 0);
    else if (s.kind === Kind.INLINE_FRAGMENT) d = depthOf(s.selectionSet, fragments, memo, visiting);
    else {
      const name = s.name.value;
      const fragment = fragments.get(name);
      if (fragment && !visiting.has(name)) {
        if (!memo.has(name)) {
          visiting.add(name);
          memo.set(name, depthOf(fragment.selectionSet, fragments, memo, visiting));
          visiting.delete(name);
        }
        d = memo.get(name)!;
      }
    }
    deepest = Math.max(deepest, d);
  }
  return deepest;
}

export function maxDepthRule(max: number = DOCUMENT_LIMITS.maxDepth): ValidationRule {
  return (context) => {
    const fragments = fragmentsOf(context);
    const memo = new Map<string, number>();
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, fragments, memo, new Set());
        if (depth > max) context.reportError(limitError("depth", `Query depth ${depth} exceeds the limit of ${max}`, [node]));
      },
    };
  };
}

export function maxAliasesRule(max: number = DOCUMENT_LIMITS.maxAliases): ValidationRule {
  return (context) => {
    let aliases = 0;
    return {
      Field(node) {
        if (node.alias) aliases++;
      },
      Document: {
        leave() {
          if (aliases > max) context.reportError(limitError("aliases", `Document has ${aliases} aliases; the limit is ${max}`));
        },
      },
    };
  };
}

/** Root fields of an operation, through inline fragments and fragment spreads. */
function rootFields(set: SelectionSetNode, fragments: Fragments, seen: Set<string>, out: FieldNode[]): FieldNode[] {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) out.push(s);
    else if (s.kind === Kind.INLINE_FRAGMENT) rootFields(s.selectionSet, fragments, seen, out);
    else if (!seen.has(s.name.value)) {
      seen.add(s.name.value);
      const fragment = fragments.get(s.name.value);
      if (fragment) rootFields(fragment.selectionSet, fragments, seen, out);
    }
  }
  return out;
}

export function sensitiveRootFieldsRule(
  names: ReadonlySet<string> = SENSITIVE_ROOT_FIELDS,
  max: number = DOCUMENT_LIMITS.maxSensitiveRootFields,
): ValidationRule {
  return (context) => {
    const fragments = fragmentsOf(context);
    return {
      OperationDefinition(node: OperationDefinitionNode) {
        const hits = rootFields(node.selectionSet, fragments, new Set(), []).filter((f) => names.has(f.name.value));
        if (hits.length > max) {
          context.reportError(
            limitError("sensitiveFields", `An operation may contain at most ${max} of ${[...names].join(", ")}; this one has ${hits.length}`, hits),
          );
        }
      },
    };
  };
}

/** The page size a field's `first` argument asks for, or null when the field takes no `first`. */
function pageSizeOf(field: FieldNode, takesFirst: boolean, onBadFirst: (field: FieldNode) => void): number | null {
  if (!takesFirst) return null;
  const arg = field.arguments?.find((a) => a.name.value === "first");
  if (!arg) return DEFAULT_PAGE_SIZE;
  if (arg.value.kind !== Kind.INT) return MAX_PAGE_SIZE; // a variable: unknown here, and paging refuses more
  const first = Number(arg.value.value);
  if (!Number.isSafeInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    onBadFirst(field);
    return MAX_PAGE_SIZE;
  }
  return first;
}

function isListOfObjects(type: GraphQLOutputType): boolean {
  const unwrapped = isNonNullType(type) ? type.ofType : type;
  return isListType(unwrapped) && isCompositeType(getNamedType(unwrapped));
}

interface CostWalk {
  schema: GraphQLSchema;
  fragments: Fragments;
  /** Cost of a fragment, by name and the page size it was spread under. */
  memo: Map<string, number>;
  visiting: Set<string>;
  max: number;
  onBadFirst: (field: FieldNode) => void;
}

/**
 * Each field costs 1. A list of objects multiplies its subtree by its page size: its own `first`, or
 * the `first` of the connection it sits in (`edges`), else DEFAULT_PAGE_SIZE; a variable `first`
 * counts as MAX_PAGE_SIZE. Stops adding once past the limit, so a hostile document cannot make the
 * check itself expensive.
 */
function costOf(set: SelectionSetNode, parent: GraphQLCompositeType, w: CostWalk, page: number | null): number {
  let total = 0;
  for (const s of set.selections) {
    if (total > w.max) return total;
    if (s.kind === Kind.FIELD) {
      if (isIntrospection(s)) continue;
      const def = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[s.name.value] : undefined;
      if (!def) continue; // unknown fields are another rule's error
      const child = getNamedType(def.type);
      const first = pageSizeOf(s, def.args.some((a) => a.name === "first"), w.onBadFirst);
      const list = isListOfObjects(def.type);
      // A connection passes its page size to the list inside it; a list uses it (or its own, or the default).
      const multiplier = list ? (first ?? page ?? DEFAULT_PAGE_SIZE) : 1;
      const sub = s.selectionSet && isCompositeType(child) ? costOf(s.selectionSet, child, w, list ? null : first) : 0;
      total += 1 + multiplier * sub;
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      const on = s.typeCondition ? w.schema.getType(s.typeCondition.name.value) : parent;
      if (on && isCompositeType(on)) total += costOf(s.selectionSet, on, w, page);
    } else {
      const name = s.name.value;
      const fragment = w.fragments.get(name);
      const on = fragment && w.schema.getType(fragment.typeCondition.name.value);
      if (!fragment || !on || !isCompositeType(on) || w.visiting.has(name)) continue;
      const key = `${name}:${page ?? ""}`;
      if (!w.memo.has(key)) {
        w.visiting.add(name);
        w.memo.set(key, costOf(fragment.selectionSet, on, w, page));
        w.visiting.delete(name);
      }
      total += w.memo.get(key)!;
    }
  }
  return total;
}

export function maxCostRule(max: number = DOCUMENT_LIMITS.maxCost): ValidationRule {
  return (context) => {
    const schema = context.getSchema();
    const reported = new Set<FieldNode>();
    const walk: CostWalk = {
      schema,
      fragments: fragmentsOf(context),
      memo: new Map(),
      visiting: new Set(),
      max,
      onBadFirst: (field) => {
        if (reported.has(field)) return;
        reported.add(field);
        context.reportError(limitError("pageSize", `first must be between 1 and ${MAX_PAGE_SIZE}`, [field]));
      },
    };
    return {
      OperationDefinition(node) {
        const root = schema.getRootType(node.operation);
        if (!root) return;
        const cost = costOf(node.selectionSet, root, walk, null);
        if (cost > max) context.reportError(limitError("cost", `Query cost exceeds the limit of ${max}`, [node]));
      },
    };
  };
}

/** Every validation rule above with the default limits, for ApolloServer's `validationRules`. */
export function documentLimitRules(): ValidationRule[] {
  return [maxDepthRule(), maxAliasesRule(), sensitiveRootFieldsRule(), maxCostRule()];
}
