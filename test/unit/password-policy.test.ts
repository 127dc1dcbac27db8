// The password policy: length in code points, the bundled common-password list (exact, case-insensitive,
// and with a trailing run of digits or symbols), and the account's e-mail name. Codes and rules, not messages.
import { describe, expect, it } from "vitest";
import { CustosError } from "../../src/errors";
import {
  assertPasswordPolicy,
  isCommonPassword,
  loadCommonPasswords,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
} from "../../src/services/password-policy";

/** The refusal's code, field and rule; null when the password is accepted. */
function refusal(password: string, field?: string, email?: string) {
  try {
    assertPasswordPolicy(password, field, email === undefined ? undefined : { email });
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(CustosError);
    const e = error as CustosError;
    expect(e.message).not.toContain(password);
    return { code: e.code, ...e.details };
  }
}

describe("length", () => {
  it(`refuses ${MIN_PASSWORD_LENGTH - 1} characters and accepts ${MIN_PASSWORD_LENGTH}`, () => {
    expect(refusal("kf8#qL2!vR9")).toEqual({ code: "BAD_USER_INPUT", field: "password", rule: "length" });
    expect(refusal("kf8#qL2!vR9z")).toBeNull();
  });

  it(`accepts ${MAX_PASSWORD_LENGTH} characters and refuses ${MAX_PASSWORD_LENGTH + 1}`, () => {
    const long = "zq7Vx!".repeat(60);
    expect(refusal(long.slice(0, MAX_PASSWORD_LENGTH))).toBeNull();
    expect(refusal(long.slice(0, MAX_PASSWORD_LENGTH + 1))).toMatchObject({ code: "BAD_USER_INPUT", rule: "length" });
  });

  it("counts code points, not UTF-16 units: 11 emoji are too short although they are 22 units", () => {
    const eleven = "🔐🦊🌋🎻🧭🪐🛶🍄🧩🪁🦉";
    expect(eleven.length).toBe(22);
    expect(refusal(eleven)).toMatchObject({ rule: "length" });
    expect(refusal(`${eleven}🐙`)).toBeNull();
  });

  it("names the field it was given", () => {
    expect(refusal("short", "newPassword")).toMatchObject({ field: "newPassword", rule: "length" });
  });
});

describe("common passwords", () => {
  it("loads the bundled list once, lower case, about 96,000 entries of 4+ characters", () => {
    const list = loadCommonPasswords();
    expect(list.size).toBe(96_442);
    expect(loadCommonPasswords()).toBe(list);
    expect(list.has("password")).toBe(true);
    expect([...list].every((p) => p.length >= 4 && p === p.toLowerCase())).toBe(true);
  });

  it.each(["qwertyuiop123", "123456789012", "1qaz2wsx3edc"])("refuses %s, which is itself on the list", (password) => {
    expect(loadCommonPasswords().has(password)).toBe(true);
    expect(refusal(password)).toEqual({ code: "BAD_USER_INPUT", field: "password", rule: "common" });
  });

  it.each(["QWERTYUIOP123", "1QAZ2wsx3EDC"])("ignores case: %s", (password) => {
    expect(refusal(password)).toMatchObject({ rule: "common" });
  });

  it.each(["Password2024!!", "monkey12345678", "dragon#1234567", "sunshine 2024 !"])(
    "refuses a listed password with only digits, symbols or spaces appended: %s",
    (password) => {
      expect(isCommonPassword(password)).toBe(true);
      expect(refusal(password)).toMatchObject({ rule: "common" });
    },
  );

  it.each([
    ["a passphrase", "correct horse battery staple"],
    ["a listed word inside other words", "my password is long enough"],
    ["a listed word with letters after the digits", "password2024xyz"],
    ["random characters", "kf8#qL2!vR9z"],
  ])("accepts %s", (_what, password) => {
    expect(isCommonPassword(password)).toBe(false);
    expect(refusal(password)).toBeNull();
  });
});

describe("the account's e-mail", () => {
  const email = "Ana.Silva@bank.example";

  it.each(["ana.silva", "ANA.SILVA-2024!", "my name is ana.silva ok"])("refuses a password equal to or containing the local part: %s", (password) => {
    expect(refusal(password.padEnd(MIN_PASSWORD_LENGTH, "#"), "password", email)).toEqual({ code: "BAD_USER_INPUT", field: "password", rule: "email" });
  });

  it("accepts a password with only part of the local part, and ignores the domain", () => {
    expect(refusal("silva and friends in june", "password", email)).toBeNull();
    expect(refusal("bank.example rules all", "password", email)).toBeNull();
  });

  it("does not check a local part shorter than 3 characters (it would refuse too much)", () => {
    expect(refusal("xy walks in the park", "password", "xy@bank.example")).toBeNull();
  });

  it("is only checked when an e-mail is given", () => {
    expect(refusal("my name is ana.silva ok")).toBeNull();
  });
});
