// Small GraphQL helpers shared by the integration tests: unique customer data, creation, error codes and
// a paged read of the audit trail.
import { expect } from "vitest";
import type { GraphQLResponse, TestServer } from "../support/test-server";

export interface CustomerInput {
  fullName: string;
  nationalId: string;
  phone: string | null;
  email: string | null;
  address: string | null;
}

export interface AuditNode {
  seq: number;
  action: string;
  resourceType: string;
  resourceId: string | null;
  actorId: string | null;
  actorRole: string | null;
  fields: string[];
  outcome: string;
  occurredAt: string;
  hash: string;
  prevHash: string;
  requestId: string | null;
  operation: string | null;
  purpose: string | null;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  resourceType?: string;
  resourceId?: string;
  actorId?: string;
  action?: string;
  from?: string;
  to?: string;
}

/** The relay connection shape every list returns. */
export interface Connection<N> {
  totalCount: number;
  edges: Array<{ cursor: string; node: N }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const CUSTOMER_FIELDS = "id reference businessLines status fullName nationalId phone email address";
export const AUDIT_NODE_FIELDS =
  "seq action resourceType resourceId actorId actorRole fields outcome occurredAt hash prevHash requestId operation purpose details";

export const CREATE_CUSTOMER = `mutation CreateCustomer($i: CreateCustomerInput!) { createCustomer(input: $i) { ${CUSTOMER_FIELDS} } }`;
export const AUDIT_TRAIL = `query AuditTrail($f: AuditTrailFilter, $first: Int, $after: String) {
  auditTrail(filter: $f, first: $first, after: $after) {
    totalCount
    edges { cursor node { ${AUDIT_NODE_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

let counter = 0;

/** Customer data no other customer in this process uses (each test file has its own database). */
export function uniqueCustomer(overrides: Partial<CustomerInput> = {}): CustomerInput {
  const n = ++counter;
  const digits = String(n).padStart(4, "0");
  return {
    fullName: `Test Customer ${n}`,
    nationalId: `TC${process.pid}N${digits}`,
    phone: `+44 20 7946 ${digits}`,
    email: `customer.${n}.${process.pid}@example.test`,
    address: `${n} Integration Road`,
    ...overrides,
  };
}

/** Creates a customer as `token`'s owner and fails the test if that does not work. */
export async function createCustomer(server: TestServer, token: string, input: CustomerInput = uniqueCustomer()) {
  const res = await server.gql(CREATE_CUSTOMER, { i: input }, { token });
  expect(res.errors).toBeUndefined();
  return { id: res.data!.createCustomer.id as string, input, created: res.data!.createCustomer };
}

export function errorCode(res: GraphQLResponse): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}

/** Every audit event matching `filter`, in seq order, read through the API in pages of 100. */
export async function auditEvents(server: TestServer, token: string, filter: AuditFilter): Promise<AuditNode[]> {
  const out: AuditNode[] = [];
  let after: string | null = null;
  for (;;) {
    const res: GraphQLResponse<{ auditTrail: Connection<AuditNode> }> = await server.gql(AUDIT_TRAIL, { f: filter, first: 100, after }, { token });
    expect(res.errors).toBeUndefined();
    const conn = res.data!.auditTrail;
    out.push(...conn.edges.map((e) => e.node));
    if (!conn.pageInfo.hasNextPage) return out;
    after = conn.pageInfo.endCursor;
  }
}
