import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";

let server: TestServer;
let agent: StaffLogin;
beforeAll(async () => {
  server = await createTestServer();
  agent = await server.staff("AGENT", "PERSONAL_BANKING");
});
afterAll(() => server?.stop());

async function rawCreate(variables: Record<string, unknown>, query = `mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { id } }`) {
  const res = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${agent.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { text, codes: ((JSON.parse(text).errors ?? []) as Array<{ extensions?: { code?: string } }>).map((e) => e.extensions?.code) };
}

describe("GraphQL-level validation errors on createCustomer do not echo values", () => {
  it("an unknown extra input field does not echo the rest of the input", async () => {
    const r = await rawCreate({ i: { fullName: "Zebulon Quixotic-Marchbanks", nationalId: "QX7781234567", dateOfBirth: "1970-01-01" } });
    expect(r.codes).toEqual(["BAD_USER_INPUT"]);
    for (const v of ["Zebulon", "QX7781234567", "1970-01-01"]) expect(r.text).not.toContain(v);
  });

  it("a value of the wrong type is not echoed", async () => {
    const r = await rawCreate({ i: { fullName: "Valid Name", nationalId: 7781234567 } });
    expect(r.codes).toEqual(["BAD_USER_INPUT"]);
    expect(r.text).not.toContain("7781234567");
  });

  it("an object where a string belongs is not echoed", async () => {
    const r = await rawCreate({ i: { fullName: { given: "Zebulon", family: "Quixotic" }, nationalId: "VALID1234" } });
    expect(r.codes).toEqual(["BAD_USER_INPUT"]);
    expect(r.text).not.toContain("Zebulon");
  });
});
