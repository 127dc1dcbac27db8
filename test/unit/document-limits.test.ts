// The document-limit validation rules on a small schema shaped like ours (connections with `first`,
// a list of objects, sensitive mutations): what each limit counts, through fragments too.
import { buildSchema, parse, validate, type GraphQLError, type ValidationRule } from "graphql";
import { describe, expect, it } from "vitest";
import { CustosError } from "../../src/errors";
import {
  DOCUMENT_LIMITS,
  documentLimitRules,
  maxAliasesRule,
  maxCostRule,
  maxDepthRule,
  sensitiveRootFieldsRule,
} from "../../src/http/document-limits";

const schema = buildSchema(`
  type Query { case(id: ID!): Case  cases(first: Int): CaseConnection!  me: Me }
  type Mutation { login(email: String!, password: String!): Token  changePassword(p: String!): Boolean  ping: Boolean }
  type Token { accessToken: String }
  type Me { id: ID! }
  type Case { id: ID!  summary: String  notes: [Note!]  customer: Customer }
  type Note { id: ID!  body: String }
  type Customer { id: ID!  tags: [String!]!  cases(first: Int): CaseConnection! }
  type CaseConnection { totalCount: Int!  edges: [CaseEdge!]!  pageInfo: PageInfo! }
  type CaseEdge { cursor: String!  node: Case! }
  type PageInfo { hasNextPage: Boolean! }
`);

/** The limits a document breaks, by name (the CustosError each error carries). */
function broken(source: string, rules: ValidationRule[] = documentLimitRules()): string[] {
  const errors: readonly GraphQLError[] = validate(schema, parse(source), rules);
  return errors.map((e) => {
    expect(e.originalError).toBeInstanceOf(CustosError);
    expect((e.originalError as CustosError).code).toBe("BAD_USER_INPUT");
    return String((e.originalError as CustosError).details.limit);
  });
}

/** case → customer → cases → edges → node → customer → … with `id` at exactly `depth`. */
function nested(depth: number): string {
  const cycle = ["customer", "cases(first: 1)", "edges", "node"];
  const leafOf: Record<string, string> = { customer: "id", "cases(first: 1)": "totalCount", edges: "cursor", node: "id", case: "id" };
  let open = `case(id: "1")`;
  let last = "case";
  let closes = "";
  for (let level = 1; level < depth - 1; level++) {
    last = cycle[(level - 1) % cycle.length];
    open += ` { ${last}`;
    closes += " }";
  }
  return `{ ${open} { ${leafOf[last]} }${closes} }`;
}

describe("depth", () => {
  it("accepts the limit and refuses one more", () => {
    expect(broken(nested(DOCUMENT_LIMITS.maxDepth), [maxDepthRule()])).toEqual([]);
    expect(broken(nested(DOCUMENT_LIMITS.maxDepth + 1), [maxDepthRule()])).toEqual(["depth"]);
  });

  it("counts through fragments and inline fragments, and ignores introspection", () => {
    const viaFragments = `{ case(id: "1") { ...C } } fragment C on Case { customer { ... on Customer { cases { edges { node { id } } } } } }`;
    // case 1, customer 2, cases 3, edges 4, node 5, id 6
    expect(broken(viaFragments, [maxDepthRule(6)])).toEqual([]);
    expect(broken(viaFragments, [maxDepthRule(5)])).toEqual(["depth"]);
    expect(broken(`{ __schema { types { fields { type { ofType { ofType { name } } } } } } }`, [maxDepthRule(2)])).toEqual([]);
  });

  it("survives a fragment cycle (another rule's error) without looping", () => {
    expect(broken(`{ case(id: "1") { ...A } } fragment A on Case { customer { cases { edges { node { ...A } } } } }`, [maxDepthRule()])).toEqual([]);
  });
});

describe("aliases", () => {
  const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(" ")} }`;

  it("accepts the limit and refuses one more, with one error for the document", () => {
    expect(broken(aliased(DOCUMENT_LIMITS.maxAliases), [maxAliasesRule()])).toEqual([]);
    expect(broken(aliased(100), [maxAliasesRule()])).toEqual(["aliases"]);
  });

  it("counts aliases inside fragments", () => {
    expect(broken(`{ ...F } fragment F on Query { a: me { id } b: me { id } }`, [maxAliasesRule(1)])).toEqual(["aliases"]);
  });
});

describe("sensitive root fields", () => {
  it("allows one login, or a login next to harmless fields", () => {
    expect(broken(`mutation { login(email: "a", password: "b") { accessToken } ping }`, [sensitiveRootFieldsRule()])).toEqual([]);
  });

  it.each([
    ["two logins", `mutation { a: login(email: "a", password: "b") { accessToken } b: login(email: "a", password: "c") { accessToken } }`],
    ["a login and a password change", `mutation { login(email: "a", password: "b") { accessToken } changePassword(p: "x") }`],
    ["a second login through a fragment", `mutation { login(email: "a", password: "b") { accessToken } ...F } fragment F on Mutation { b: login(email: "a", password: "c") { accessToken } }`],
    ["a second login through an inline fragment", `mutation { login(email: "a", password: "b") { accessToken } ... { b: login(email: "a", password: "c") { accessToken } } }`],
  ])("refuses %s", (_what, source) => {
    expect(broken(source, [sensitiveRootFieldsRule()])).toEqual(["sensitiveFields"]);
  });

  it("judges each operation of a document on its own (only one of them runs)", () => {
    const two = `mutation A { login(email: "a", password: "b") { accessToken } } mutation B { login(email: "a", password: "c") { accessToken } }`;
    expect(broken(two, [sensitiveRootFieldsRule()])).toEqual([]);
  });
});

describe("cost", () => {
  it("charges a connection's page size to its edges only: 1 + totalCount + edges(1 + first × node) + pageInfo", () => {
    // cases 1, totalCount 1, edges 1 + 10 × (cursor 1 + node 1 + id 1), pageInfo 1 + hasNextPage 1 = 35
    const q = `{ cases(first: 10) { totalCount edges { cursor node { id } } pageInfo { hasNextPage } } }`;
    expect(broken(q, [maxCostRule(35)])).toEqual([]);
    expect(broken(q, [maxCostRule(34)])).toEqual(["cost"]);
  });

  it("uses the default page size without `first`, MAX_PAGE_SIZE for a variable, and the default for a plain list", () => {
    // edges 1 + 20 × (node 1 + id 1) = 41, plus cases 1 = 42
    expect(broken(`{ cases { edges { node { id } } } }`, [maxCostRule(42)])).toEqual([]);
    expect(broken(`{ cases { edges { node { id } } } }`, [maxCostRule(41)])).toEqual(["cost"]);
    // with $n: 1 + 1 + 100 × 2 = 202
    expect(broken(`query($n: Int) { cases(first: $n) { edges { node { id } } } }`, [maxCostRule(202)])).toEqual([]);
    expect(broken(`query($n: Int) { cases(first: $n) { edges { node { id } } } }`, [maxCostRule(201)])).toEqual(["cost"]);
    // case 1 + notes (1 + 20 × (id 1 + body 1)) = 42; a list of scalars costs 1
    expect(broken(`{ case(id: "1") { notes { id body } customer { tags } } }`, [maxCostRule(42 + 2)])).toEqual([]);
    expect(broken(`{ case(id: "1") { notes { id body } customer { tags } } }`, [maxCostRule(42 + 1)])).toEqual(["cost"]);
  });

  it("multiplies nested pages and counts a fragment under the page it is spread in", () => {
    const q = `{ cases(first: 100) { ...Page } } fragment Page on CaseConnection { edges { node { customer { cases(first: 100) { edges { node { id } } } } } } }`;
    expect(broken(q, [maxCostRule()])).toEqual(["cost"]);
    const small = `{ cases(first: 2) { ...Page } } fragment Page on CaseConnection { edges { node { id } } }`;
    // cases 1 + edges (1 + 2 × (node 1 + id 1)) = 6
    expect(broken(small, [maxCostRule(6)])).toEqual([]);
    expect(broken(small, [maxCostRule(5)])).toEqual(["cost"]);
  });

  it("refuses a literal `first` outside 1..100 as a page-size error, once per field", () => {
    expect(broken(`{ cases(first: 1000000) { totalCount } }`, [maxCostRule()])).toEqual(["pageSize"]);
    expect(broken(`{ cases(first: 0) { totalCount } }`, [maxCostRule()])).toEqual(["pageSize"]);
    expect(broken(`{ cases(first: 100) { totalCount } }`, [maxCostRule()])).toEqual([]);
  });

  it("stays cheap on an exponential fragment fan-out (memoised), and counts each spread in full", () => {
    const levels = 30;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on Query { me { id } }` : `fragment F${i} on Query { ...F${i + 1} a${i}: me { id } ...F${i + 1} }`,
    );
    const started = Date.now();
    const limits = broken(`{ ...F0 } ${fragments.join(" ")}`, [maxCostRule(), maxDepthRule()]);
    expect(Date.now() - started).toBeLessThan(1000);
    // Repeated spreads of one fragment merge at execution; counting each one is a deliberate overestimate.
    expect(limits).toEqual(["cost"]);
  });
});

describe("messages", () => {
  it("name the limit and never quote an argument's value", () => {
    const errors = validate(schema, parse(`mutation { a: login(email: "victim@bank.example", password: "hunter2-secret") { accessToken } b: login(email: "victim@bank.example", password: "x") { accessToken } }`), documentLimitRules());
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(e.message).not.toContain("victim");
      expect(e.message).not.toContain("hunter2");
    }
  });
});
