// Wires the services from their dependencies; called by the composition root only.
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import type { Clock } from "../clock";
import { DEFAULT_PASSWORD_PARAMS, PasswordVerifier, type KeyProvider, type PasswordParams } from "../crypto";
import { AuditedStore } from "../store/audited-store";
import { CustomerCipher } from "../store/customer-cipher";
import { AuditService } from "./audit.service";
import { AuthService, type TokenSettings } from "./auth.service";
import { CaseService } from "./case.service";
import { CustomerService } from "./customer.service";
import { StaffService } from "./staff.service";

export interface Services {
  store: AuditedStore;
  cipher: CustomerCipher;
  auth: AuthService;
  customers: CustomerService;
  cases: CaseService;
  audit: AuditService;
  staff: StaffService;
}

export async function createServices(deps: {
  ds: DataSource;
  keys: KeyProvider;
  clock: Clock;
  logger: Logger;
  tokens: TokenSettings;
  passwordParams?: PasswordParams;
}): Promise<Services> {
  const { ds, keys, clock, logger } = deps;
  const passwordParams = deps.passwordParams ?? DEFAULT_PASSWORD_PARAMS;
  const store = new AuditedStore(ds, clock, (error, context) => {
    // The cause is logged for operators; it never reaches the client. No PII is in an append.
    logger.error({ err: describe(error), ...context }, "audit append failed: operation refused (fail-closed)");
  });
  const blindKey = await keys.blindIndexKey();
  const cipher = new CustomerCipher(await keys.masterKeyring(), blindKey);
  const auth = new AuthService({
    ds,
    store,
    passwords: await PasswordVerifier.create(passwordParams),
    passwordParams,
    signingKeys: await keys.tokenSigningKeys(),
    tokens: deps.tokens,
    referenceKey: blindKey,
    clock,
  });
  return {
    store,
    cipher,
    auth,
    customers: new CustomerService(store, cipher),
    cases: new CaseService(store, cipher),
    audit: new AuditService(store),
    staff: new StaffService(store, passwordParams),
  };
}

/** Error name and code only: database messages can quote the values of a failed statement. */
export function describe(error: unknown): { name: string; code?: string } {
  const e = error as { name?: string; code?: string; driverError?: { code?: string } };
  return { name: e?.name ?? typeof error, code: e?.code ?? e?.driverError?.code };
}
