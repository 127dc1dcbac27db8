// Identity: password login to a short-lived signed token, and token → principal for every request.
import type { DataSource } from "typeorm";
import type { Clock } from "../clock";
import type { RequestMeta } from "../context";
import { hashPassword, keyedReference, needsRehash, publicJwks, TokenError, verifyAccessToken } from "../crypto";
import type { PasswordParams, PasswordVerifier, SigningKeySet } from "../crypto";
import { isOneOf, STAFF_ROLES } from "../domain/enums";
import { StaffUserEntity } from "../entities";
import { unauthenticated } from "../errors";
import type { Principal } from "../policies";
import type { AuditedStore } from "../store/audited-store";
import { findTokenHolder } from "../store/session.store";
import { isUuid } from "../store/store-support";
import type { SessionService, SessionTokens } from "./session.service";
import { isTrainingCurrent } from "./training.service";
import { refusedLoginEvent, throttledLoginError, type LoginThrottle } from "./login-throttle";

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
  /** Asked on every use: the key set follows rotations of the key file. */
  signingKeys: () => Promise<SigningKeySet>;
  tokens: TokenSettings;
  /** Refresh-token families: a login opens one, and every access token names its family (`sid`). */
  sessions: SessionService;
  /** Keys the hash of an attempted login name recorded for unknown accounts (never the name itself). */
  referenceKey: Buffer;
  clock: Clock;
  /** Growing delays and temporary locks per account and per client address (src/services/login-throttle.ts). */
  throttle: LoginThrottle;
  /** The principal of an active service client, for SERVICE tokens (src/services/service-client.service.ts). */
  servicePrincipal: (clientRowId: string) => Promise<Principal | null>;
}

export class AuthService {
  constructor(private readonly deps: AuthDeps) {}

  /**
   * Unknown e-mail, disabled account and wrong password take the same path through one argon2
   * verification and end in the same error; the audit log tells them apart.
   */
  async login(meta: RequestMeta, email: string, password: string): Promise<SessionTokens> {
    const { ds, store, passwords, clock } = this.deps;
    const normalized = email.trim().toLowerCase();
    const subjectRef = keyedReference(this.deps.referenceKey, "login-email", normalized);
    // Counted before any lookup or password check; a refusal is the same for known and unknown names.
    const attempt = await this.deps.throttle.admit(subjectRef, meta.clientAddress);
    if (!attempt.admitted) {
      await store.recordStandalone({ principal: null, ability: null, meta }, [refusedLoginEvent(attempt, subjectRef)]);
      throw throttledLoginError(attempt);
    }
    // A name no account can have (empty, oversized, control characters PostgreSQL rejects) is simply an
    // unknown account: same path, same answer, same audit event.
    const user = normalized.length > 0 && normalized.length <= 320 && !hasControlCharacters(normalized)
      ? await ds.getRepository(StaffUserEntity).createQueryBuilder("u").where("lower(u.email) = :email", { email: normalized }).getOne()
      : null;
    const usable = user !== null && accountUsable(user, clock.now());
    const ok = await passwords.verifyOrDummy(usable ? user.passwordHash : null, password);
    if (!ok || !user || !usable) {
      const reason = !user ? "unknown_account" : !user.active ? "disabled_account" : !usable ? "access_expired" : "bad_password";
      await store.recordStandalone({ principal: null, ability: null, meta }, [
        {
          action: "auth.login",
          resourceType: "staff_user",
          resourceId: user?.id ?? null,
          outcome: "FAILURE",
          details: { reason, subjectRef },
        },
        ...this.deps.throttle.lockEvents(attempt, subjectRef),
      ]);
      throw unauthenticated("Invalid credentials");
    }
    await this.deps.throttle.succeeded(attempt);
    if (needsRehash(user.passwordHash, this.deps.passwordParams)) {
      await ds.getRepository(StaffUserEntity).update({ id: user.id }, { passwordHash: await hashPassword(password, this.deps.passwordParams) });
    }
    const principal = toPrincipal(user, await isTrainingCurrent(ds.manager, user.id, clock.now()));
    // The session's first refresh token, its access token and the auth.login SUCCESS event commit together.
    return this.deps.sessions.open(meta, principal);
  }

  /** The principal behind a bearer token; the account's current row is authoritative, not the claims. */
  async authenticate(token: string): Promise<Principal> {
    return (await this.authenticateSession(token)).principal;
  }

  /**
   * The principal and session behind a bearer token. Refused (UNAUTHENTICATED) when the token does not
   * verify, names no live session of its account (logged out, reused refresh token, password change,
   * deactivation), was issued before the account's tokens_valid_after, or the account may not act now.
   */
  async authenticateSession(token: string): Promise<{ principal: Principal; sessionId: string | null }> {
    const { issuer, audience, ttlSeconds } = this.deps.tokens;
    const now = this.deps.clock.now();
    let verified: Awaited<ReturnType<typeof verifyAccessToken>>;
    try {
      // A retired signing key verifies for one token lifetime after its retirement: its last tokens expire by then.
      verified = await verifyAccessToken(await this.deps.signingKeys(), token, { issuer, audience, now, retiredKeyGraceSeconds: ttlSeconds });
    } catch (error) {
      if (error instanceof TokenError) throw unauthenticated("Invalid or expired token");
      throw error;
    }
    const { sub, sid } = verified;
    if (!isUuid(sub)) throw unauthenticated("Invalid or expired token");
    if (verified.role === "SERVICE") {
      // Machine identities have no session: the client row (active, scopes) is authoritative.
      const principal = sid === null ? await this.deps.servicePrincipal(sub) : null;
      if (!principal) throw unauthenticated("Invalid or expired token");
      return { principal, sessionId: null };
    }
    if (sid === null || !isUuid(sid)) throw unauthenticated("Invalid or expired token");
    // One round trip: the account row, whether the token's session is still live, and training.
    const holder = await findTokenHolder(this.deps.ds.manager, sub, sid, now);
    if (!holder || holder.sessionLive !== true || !accountUsable(holder.user, now) || issuedBeforeCutoff(verified.issuedAt, holder.user)) {
      throw unauthenticated("Invalid or expired token");
    }
    return { principal: toPrincipal(holder.user, holder.trainingCurrent), sessionId: sid };
  }

  /** The JWKS published at /.well-known/jwks.json: the current key and retired keys still inside their grace. */
  async jwks(): Promise<ReturnType<typeof publicJwks>> {
    return publicJwks(await this.deps.signingKeys(), { now: this.deps.clock.now(), retiredKeyGraceSeconds: this.deps.tokens.ttlSeconds });
  }
}

/** iat is in whole seconds, so the cut-off is too: a login in the same second as a password change stands. */
function issuedBeforeCutoff(issuedAt: Date, user: StaffUserEntity): boolean {
  return user.tokensValidAfter !== null && issuedAt.getTime() / 1000 < Math.floor(user.tokensValidAfter.getTime() / 1000);
}

export function hasControlCharacters(value: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(value);
}

export function toPrincipal(user: StaffUserEntity, trainingCurrent: boolean): Principal {
  if (!isOneOf(STAFF_ROLES, user.role)) throw new TypeError("stored role is not a staff role");
  return Object.freeze({
    id: user.id,
    role: user.role,
    businessLine: user.businessLine,
    teamId: user.teamId,
    kind: "staff" as const,
    trainingCurrent,
    scopes: Object.freeze([]),
  });
}

/** An account may act now: active, and (auditors) inside its access window. */
export function accountUsable(user: StaffUserEntity, now: Date): boolean {
  return user.active && (user.accessExpiresAt === null || user.accessExpiresAt > now);
}
