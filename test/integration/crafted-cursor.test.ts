// PENDING (rename to crafted-cursor.test.ts once fixed): a cursor that decodes to the right shape but
// holds a position or id PostgreSQL cannot cast makes every time-keyed list answer INTERNAL instead of
// BAD_USER_INPUT. decodeCursor(…, "time") in src/store/paging.ts accepts any string Date.parse accepts
// (V8 reads "1" as the year 2001) and any id of at most 64 characters; the keyset predicates in
// customer.store.ts, case.store.ts and transaction.store.ts then cast them to timestamptz and uuid.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { createCustomer, errorCode } from "./api-helpers";

const cursor = (key: unknown) => Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
const CRAFTED = [
  ["an id that is not a UUID", cursor(["2026-01-01T00:00:00.000Z", "not-a-uuid"])],
  ["a position Date.parse accepts but PostgreSQL does not", cursor(["1", "00000000-0000-4000-8000-000000000000"])],
] as const;

let server: TestServer;
let agent: StaffLogin;
let customerId: string;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
  customerId = (await createCustomer(server, agent.token)).id;
});
afterAll(() => server?.stop());

describe.each(CRAFTED)("a crafted cursor with %s", (_what, after) => {
  it("is refused by customers() with BAD_USER_INPUT", async () => {
    const res = await server.gql(`query($a: String) { customers(first: 2, after: $a) { totalCount } }`, { a: after }, { token: agent.token });
    expect(errorCode(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].extensions!.field).toBe("after");
  });

  it("is refused by cases() with BAD_USER_INPUT", async () => {
    const res = await server.gql(`query($a: String) { cases(first: 2, after: $a) { totalCount } }`, { a: after }, { token: agent.token });
    expect(errorCode(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].extensions!.field).toBe("after");
  });

  it("is refused by a customer's transactions with BAD_USER_INPUT", async () => {
    const res = await server.gql(
      `query($id: ID!, $a: String) { customer(id: $id) { transactions(first: 2, after: $a) { totalCount } } }`,
      { id: customerId, a: after },
      { token: agent.token },
    );
    expect(errorCode(res)).toBe("BAD_USER_INPUT");
    expect(res.errors![0].extensions!.field).toBe("after");
  });
});
