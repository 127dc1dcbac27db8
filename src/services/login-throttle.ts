// Login throttling held in PostgreSQL (so it holds across replicas): growing delays and a temporary
// lock per account and per client address. The policy is data (LOGIN_THROTTLE_POLICY); the counting is
// one atomic upsert per key.
import type { DataSource, EntityManager } from "typeorm";
import type { Clock } from "../clock";
import { CustosError } from "../errors";
import type { AuditDraft } from "../store/audited-store";

export interface ThrottleRule {
  /** Failures that cost nothing; each one after that sets a growing delay. */
  readonly freeFailures: number;
  /** Failures in a row at which the key is locked for `lockSeconds`. */
  readonly lockAfterFailures: number;
}

export const LOGIN_THROTTLE_POLICY = Object.freeze({
  account: Object.freeze({ freeFailures: 5, lockAfterFailures: 10 }) as ThrottleRule,
  // Several staff can share one NAT address, so an address gets far more room than an account.
  address: Object.freeze({ freeFailures: 20, lockAfterFailures: 50 }) as ThrottleRule,
  /** The k-th failure past the free ones delays the next attempt by min(2^k, maxDelaySeconds) seconds. */
  maxDelaySeconds: 15 * 60,
  lockSeconds: 15 * 60,
  /** A key whose last failure is older than this starts counting from zero again. */
  forgetAfterSeconds: 24 * 60 * 60,
});

export type ThrottleScope = "account" | "address";

interface KeyState {
  scope: ThrottleScope;
  key: string;
  failures: number;
  nextAllowedAt: Date | null;
  lockedUntil: Date | null;
}

/** The outcome of asking to try a password. An admitted attempt is already counted as a failure. */
export type LoginAttempt =
  | { admitted: true; keys: readonly KeyState[] }
  | { admitted: false; reason: "throttled" | "locked"; scope: ThrottleScope; retryAfterSeconds: number };

// Client addresses are IPv4/IPv6 text; anything else (a forged X-Forwarded-For behind a trusting
// proxy) shares one bucket rather than reaching the key column as arbitrary text.
const ADDRESS_SHAPE = /^[0-9A-Fa-f:.]{2,45}$/;

export function throttleKeys(subjectRef: string, clientAddress: string | null): Array<{ scope: ThrottleScope; key: string }> {
  // Fixed order (account, then address): concurrent attempts take row locks in the same order.
  const keys: Array<{ scope: ThrottleScope; key: string }> = [{ scope: "account", key: `account:${subjectRef}` }];
  if (clientAddress) keys.push({ scope: "address", key: `address:${ADDRESS_SHAPE.test(clientAddress) ? clientAddress : "unparsed"}` });
  return keys;
}

// $1 key, $2 now, $3 free failures, $4 lock threshold, $5 max delay s, $6 lock s, $7 forget-after s.
// `f` is the failure count this attempt brings the key to; a count older than the window restarts.
const F = `(CASE WHEN t.last_failure_at <= $2::timestamptz - make_interval(secs => $7::float8) THEN 1 ELSE t.failures + 1 END)`;
const nextAllowed = (f: string) =>
  `(CASE WHEN ${f} > $3::int THEN $2::timestamptz + make_interval(secs => least(power(2, least(${f} - $3::int, 30)), $5::float8)) END)`;
const lockedUntil = (f: string) => `(CASE WHEN ${f} >= $4::int THEN $2::timestamptz + make_interval(secs => $6::float8) END)`;

/**
 * Counts one attempt on a key, unless the key is in a delay or a lock: then nothing changes and no row
 * comes back. One statement, so concurrent attempts never lose a count.
 */
const ADMIT_SQL = `
  INSERT INTO login_throttle AS t (key, failures, first_failure_at, last_failure_at, next_allowed_at, locked_until)
  VALUES ($1, 1, $2, $2, ${nextAllowed("1")}, ${lockedUntil("1")})
  ON CONFLICT (key) DO UPDATE SET
    failures = ${F},
    first_failure_at = CASE WHEN ${F} = 1 THEN $2 ELSE t.first_failure_at END,
    last_failure_at = $2,
    next_allowed_at = ${nextAllowed(F)},
    locked_until = ${lockedUntil(F)}
  WHERE (t.locked_until IS NULL OR t.locked_until <= $2) AND (t.next_allowed_at IS NULL OR t.next_allowed_at <= $2)
  RETURNING failures, next_allowed_at, locked_until`;

// Gives back an admitted attempt that turned out to be a success, on a key that is not reset (the
// address): one failure less, and the delay or lock it set undone unless a later attempt replaced it.
const GIVE_BACK_SQL = `
  UPDATE login_throttle SET
    failures = greatest(failures - 1, 0),
    next_allowed_at = CASE WHEN next_allowed_at = $2 THEN NULL ELSE next_allowed_at END,
    locked_until = CASE WHEN locked_until = $3 THEN NULL ELSE locked_until END
  WHERE key = $1`;

type Refusal = Extract<LoginAttempt, { admitted: false }>;

/** The answer to a refused attempt: a bad password's code and message, plus when to come back. */
export function throttledLoginError(refusal: Refusal): CustosError {
  return new CustosError("UNAUTHENTICATED", "Invalid credentials", { retryAfterSeconds: refusal.retryAfterSeconds });
}

/** The `auth.login` FAILURE a refused attempt leaves (no account was looked up, so no resource id). */
export function refusedLoginEvent(refusal: Refusal, subjectRef: string): AuditDraft {
  return {
    action: "auth.login",
    resourceType: "staff_user",
    resourceId: null,
    outcome: "FAILURE",
    details: { reason: refusal.reason, scope: refusal.scope, retryAfterSeconds: refusal.retryAfterSeconds, subjectRef },
  };
}

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super("login attempt refused by the throttle");
  }
}

/**
 * Attempts are counted *before* the password is checked, so a burst of parallel guesses cannot slip
 * through between a check and its recording; a success then resets the account and gives the address
 * its count back. A refused attempt is not counted (it checked nothing).
 */
export class LoginThrottle {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly policy: typeof LOGIN_THROTTLE_POLICY = LOGIN_THROTTLE_POLICY,
  ) {}

  /** Admits and counts an attempt on every key, or refuses it if any key is delayed or locked. */
  async admit(subjectRef: string, clientAddress: string | null): Promise<LoginAttempt> {
    const now = this.clock.now();
    try {
      return await this.ds.transaction("READ COMMITTED", async (em) => {
        const keys: KeyState[] = [];
        for (const { scope, key } of throttleKeys(subjectRef, clientAddress)) {
          const counted = await this.count(em, scope, key, now);
          // Throwing rolls back the counts already taken on the other key.
          if (!counted) throw new Refused(await this.refusal(em, scope, key, now));
          keys.push(counted);
        }
        return { admitted: true as const, keys };
      });
    } catch (error) {
      if (error instanceof Refused) return error.refusal;
      throw error;
    }
  }

  /** After a successful login: the account starts afresh; the address gets this attempt back. */
  async succeeded(attempt: LoginAttempt): Promise<void> {
    if (!attempt.admitted) return;
    for (const k of attempt.keys) {
      if (k.scope === "account") await this.ds.query(`DELETE FROM login_throttle WHERE key = $1`, [k.key]);
      else await this.ds.query(GIVE_BACK_SQL, [k.key, k.nextAllowedAt, k.lockedUntil]);
    }
  }

  /** The `auth.lock` events of a failed attempt that set a lock (an admitted attempt only ever sets one). */
  lockEvents(attempt: LoginAttempt, subjectRef: string): AuditDraft[] {
    if (!attempt.admitted) return [];
    return attempt.keys
      .filter((k) => k.lockedUntil !== null)
      .map((k) => ({
        action: "auth.lock",
        resourceType: k.scope === "account" ? "staff_user" : "client_address",
        resourceId: null,
        outcome: "SUCCESS" as const,
        details: {
          scope: k.scope,
          failures: k.failures,
          lockedUntil: k.lockedUntil!.toISOString(),
          // The address itself is the event's clientAddress; the account is only ever a keyed reference.
          ...(k.scope === "account" ? { subjectRef } : {}),
        },
      }));
  }

  private async count(em: EntityManager, scope: ThrottleScope, key: string, now: Date): Promise<KeyState | null> {
    const rule = this.policy[scope];
    const p = this.policy;
    const rows: Array<{ failures: number; next_allowed_at: Date | null; locked_until: Date | null }> = await em.query(ADMIT_SQL, [
      key,
      now,
      rule.freeFailures,
      rule.lockAfterFailures,
      p.maxDelaySeconds,
      p.lockSeconds,
      p.forgetAfterSeconds,
    ]);
    if (rows.length === 0) return null;
    const [row] = rows;
    return { scope, key, failures: row.failures, nextAllowedAt: row.next_allowed_at, lockedUntil: row.locked_until };
  }

  private async refusal(em: EntityManager, scope: ThrottleScope, key: string, now: Date): Promise<Refusal> {
    const [row]: Array<{ next_allowed_at: Date | null; locked_until: Date | null }> = await em.query(
      `SELECT next_allowed_at, locked_until FROM login_throttle WHERE key = $1`,
      [key],
    );
    const locked = row?.locked_until != null && row.locked_until > now;
    const until = locked ? row.locked_until! : (row?.next_allowed_at ?? now);
    return {
      admitted: false,
      reason: locked ? "locked" : "throttled",
      scope,
      retryAfterSeconds: Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)),
    };
  }
}
