import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, type TestServer } from "../support/test-server";

let server: TestServer;
beforeAll(async () => {
  server = await createTestServer();
});
afterAll(() => server?.stop());

describe("smoke", () => {
  it("an agent creates and reads a customer", async () => {
    const agent = await server.staff("AGENT", "PERSONAL_BANKING");
    const created = await server.gql(
      `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id fullName } }`,
      { i: { fullName: "Ada Lovelace", nationalId: "AB123456", phone: "+44 20 7946 0000", email: "ada@example.com", address: "1 Main St" } },
      { token: agent.token },
    );
    expect(created.errors).toBeUndefined();
    const id = created.data!.createCustomer.id;
    const read = await server.gql(`query($id: ID!) { customer(id: $id) { fullName phone } }`, { id }, { token: agent.token });
    expect(read.data).toEqual({ customer: { fullName: "Ada Lovelace", phone: "+44 20 7946 0000" } });
  });
});
