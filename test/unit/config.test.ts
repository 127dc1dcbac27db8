// Configuration: defaults, validation that names the variable, production's refusals, and freezing.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, "/srv/custos");
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("has development defaults: embedded database, generated keys under the data dir, demo on", () => {
    const c = loadConfig({}, "/srv/custos");
    expect(c).toMatchObject({
      nodeEnv: "development",
      host: "127.0.0.1",
      port: 4000,
      databaseUrl: null,
      dataDir: "/srv/custos/.data",
      keysFile: "/srv/custos/.data/keys.json",
      generateKeys: true,
      seedDemo: true,
      introspection: true,
      accessTokenTtlSeconds: 900,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ NODE_ENV: "staging" }, "NODE_ENV"],
    [{ DATABASE_URL: "mysql://x@y/z" }, "DATABASE_URL"],
    [{ DATABASE_URL: "not a url" }, "DATABASE_URL"],
    [{ CUSTOS_ACCESS_TOKEN_TTL: "3600" }, "CUSTOS_ACCESS_TOKEN_TTL"],
    [{ CUSTOS_INTROSPECTION: "maybe" }, "CUSTOS_INTROSPECTION"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
  ])("refuses %j naming %s", (env, variable) => {
    expect(failure(env).variable).toBe(variable);
  });

  it("never echoes a database URL, which may hold a password", () => {
    expect(failure({ DATABASE_URL: "postgres//admin:s3cret@db" }).message).not.toContain("s3cret");
  });

  it("production requires a database and supplied keys, and never generates keys or seeds the demo", () => {
    expect(failure({ NODE_ENV: "production", DATABASE_URL: "postgres://db/custos" }).variable).toBe("CUSTOS_KEYS_FILE");
    expect(failure({ NODE_ENV: "production", CUSTOS_KEYS_FILE: "/run/secrets/keys.json" }).variable).toBe("DATABASE_URL");
    const prod = { NODE_ENV: "production", DATABASE_URL: "postgres://db/custos", CUSTOS_KEYS_FILE: "/run/secrets/keys.json" };
    expect(loadConfig(prod, "/srv")).toMatchObject({ generateKeys: false, seedDemo: false, introspection: false, keysFile: "/run/secrets/keys.json" });
    expect(failure({ ...prod, CUSTOS_SEED_DEMO: "true" }).variable).toBe("CUSTOS_SEED_DEMO");
    expect(failure({ ...prod, CUSTOS_INTROSPECTION: "on" }).variable).toBe("CUSTOS_INTROSPECTION");
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ DATABASE_URL: "", PORT: "" }, "/x")).toMatchObject({ databaseUrl: null, port: 4000 });
  });
});
