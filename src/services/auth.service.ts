// Identity: password login to a short-lived signed token, and token → principal for every request.
import type { DataSource } from "typeorm";
import type { Clock } from "../clock";
import type { RequestMeta } from "../context";
import { hashPassword, issueAccessToken, keyedReference, needsRehash, TokenError, verifyAccessToken } from "../crypto";
import type { PasswordParams, PasswordVerifier, SigningKeySet } from "../crypto";
import { isOneOf, ROLES } from "../domain/enums";
import { StaffUserEntity } from "../entities";
import { unauthenticated } from "../errors";
import type { Principal } from "../policies";
import type { AuditedStore } from "../store/audited-store";

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface AuthDeps {
  ds: DataSource;
  store: AuditedStore;
  passwords: PasswordVerifier;
  passwordParams: PasswordParams;
  signingKeys: SigningKeySet;
  tokens: TokenSettings;
  /** Keys the hash of an attempted login name recorded for unknown accounts (never the name itself). */
  referenceKey: Buffer;
  clock: Clock;
}

export class AuthService {
  constructor(private readonly deps: AuthDeps) {}

  /**
   * Unknown e-mail, disabled account and wrong password take the same path through one argon2
   * verification and end in the same error; the audit log tells them apart.
   */
  async login(meta: RequestMeta, email: string, password: string): Promise<{ accessToken: string; expiresAt: Date }> {
    const { ds, store, passwords, clock } = this.deps;
    const normalized = email.trim().toLowerCase();
    // A name no account can have (empty, oversized, control characters PostgreSQL rejects) is simply an
    // unknown account: same path, same answer, same audit event.
    const user = normalized.length > 0 && normalized.length <= 320 && !hasControlCharacters(normalized)
      ? await ds.getRepository(StaffUserEntity).createQueryBuilder("u").where("lower(u.email) = :email", { email: normalized }).getOne()
      : null;
    const ok = await passwords.verifyOrDummy(user?.active ? user.passwordHash : null, password);
    if (!ok || !user || !user.active) {
      const reason = !user ? "unknown_account" : !user.active ? "disabled_account" : "bad_password";
      await store.recordStandalone({ principal: null, ability: null, meta }, [
        {
          action: "auth.login",
          resourceType: "staff_user",
          resourceId: user?.id ?? null,
          outcome: "FAILURE",
          details: { reason, subjectRef: keyedReference(this.deps.referenceKey, "login-email", normalized) },
        },
      ]);
      throw unauthenticated("Invalid credentials");
    }
    if (needsRehash(user.passwordHash, this.deps.passwordParams)) {
      await ds.getRepository(StaffUserEntity).update({ id: user.id }, { passwordHash: await hashPassword(password, this.deps.passwordParams) });
    }
    const principal = toPrincipal(user);
    const issued = await issueAccessToken(
      this.deps.signingKeys,
      { sub: user.id, role: user.role, businessLine: user.businessLine, teamId: user.teamId },
      { ...this.deps.tokens, now: clock.now() },
    );
    await store.recordStandalone({ principal, ability: null, meta }, [
      { action: "auth.login", resourceType: "staff_user", resourceId: user.id, outcome: "SUCCESS" },
    ]);
    return { accessToken: issued.token, expiresAt: issued.expiresAt };
  }

  /** The principal behind a bearer token; the account's current row is authoritative, not the claims. */
  async authenticate(token: string): Promise<Principal> {
    const { issuer, audience } = this.deps.tokens;
    let sub: string;
    try {
      ({ sub } = await verifyAccessToken(this.deps.signingKeys, token, { issuer, audience, now: this.deps.clock.now() }));
    } catch (error) {
      if (error instanceof TokenError) throw unauthenticated("Invalid or expired token");
      throw error;
    }
    const user = await this.deps.ds.getRepository(StaffUserEntity).findOne({ where: { id: sub } });
    if (!user || !user.active) throw unauthenticated("Invalid or expired token");
    return toPrincipal(user);
  }
}

export function hasControlCharacters(value: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(value);
}

export function toPrincipal(user: StaffUserEntity): Principal {
  if (!isOneOf(ROLES, user.role)) throw new TypeError("stored role is not a known role");
  return Object.freeze({ id: user.id, role: user.role, businessLine: user.businessLine, teamId: user.teamId });
}
