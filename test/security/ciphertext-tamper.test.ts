// Tampering with encrypted rows in the database: a flipped ciphertext byte, a data key swapped between
// two customers and a wrong master-key version each make the read fail loudly (INTERNAL, no data), never
// return another customer's or garbled values, and are logged with the error code and no PII.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureLogs } from "../support/log-capture";
import { createTestServer, type StaffLogin, type TestServer } from "../support/test-server";
import { createCustomer, errorCode, uniqueCustomer, type CustomerInput } from "../integration/api-helpers";

const READ = `query($id: ID!) { customer(id: $id) { id fullName email } }`;

let server: TestServer;
let lead: StaffLogin;
const logs = captureLogs();
const seeded: CustomerInput[] = [];

beforeAll(async () => {
  server = await createTestServer({ logger: logs.logger });
  lead = await server.staff("TEAM_LEAD", "PERSONAL_BANKING");
});
afterAll(() => server?.stop());

async function newCustomer(): Promise<string> {
  const input = uniqueCustomer({ fullName: `Tamper Target ${seeded.length} Wexford` });
  seeded.push(input);
  const { id } = await createCustomer(server, lead.token, input);
  expect((await server.gql(READ, { id }, { token: lead.token })).data!.customer.fullName).toBe(input.fullName);
  return id;
}

async function expectLoudFailure(id: string, cryptoCode: string) {
  const before = logs.lines.length;
  const res = await server.gql(READ, { id }, { token: lead.token });
  expect(errorCode(res)).toBe("INTERNAL");
  expect(res.data).toBeNull();
  const logged = logs.lines.slice(before).map((l) => JSON.parse(l) as { msg: string; err?: { name?: string; code?: string } });
  expect(logged).toContainEqual(expect.objectContaining({ msg: "internal error", err: { name: "CryptoError", code: cryptoCode } }));
}

describe("tampered encrypted rows", () => {
  it("a flipped byte in a field ciphertext fails with DECRYPT_FAILED", async () => {
    const id = await newCustomer();
    await server.sql(`UPDATE customer SET full_name_enc = overlay(full_name_enc placing decode(lpad(to_hex(get_byte(full_name_enc, 20) # 1), 2, '0'), 'hex') from 21 for 1) WHERE id = $1`, [id]);
    await expectLoudFailure(id, "DECRYPT_FAILED");
  });

  it("a data key swapped in from another customer fails (the wrapped key is bound to its customer)", async () => {
    const a = await newCustomer();
    const b = await newCustomer();
    await server.sql(
      `UPDATE customer_key k SET wrapped_dek = o.wrapped_dek FROM customer_key o WHERE k.customer_id = $1 AND o.customer_id = $2`,
      [a, b],
    );
    await expectLoudFailure(a, "DECRYPT_FAILED");
    // The other customer is untouched.
    expect((await server.gql(READ, { id: b }, { token: lead.token })).errors).toBeUndefined();
  });

  it("a field ciphertext copied from another customer fails (bound to row and column)", async () => {
    const a = await newCustomer();
    const b = await newCustomer();
    await server.sql(`UPDATE customer c SET email_enc = o.email_enc FROM customer o WHERE c.id = $1 AND o.id = $2`, [a, b]);
    await expectLoudFailure(a, "DECRYPT_FAILED");
  });

  it("a master-key version the keyring does not hold fails with UNKNOWN_KEY_VERSION", async () => {
    const id = await newCustomer();
    await server.sql(`UPDATE customer_key SET kek_version = 99 WHERE customer_id = $1`, [id]);
    await expectLoudFailure(id, "UNKNOWN_KEY_VERSION");
  });

  it("nothing logged holds any of the customers' values", () => {
    expect(logs.leaks(seeded.flatMap((s) => [s.fullName, s.nationalId, s.phone!, s.email!, s.address!]))).toEqual([]);
  });
});
