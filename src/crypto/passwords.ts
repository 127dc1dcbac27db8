// Password hashing with argon2id, and verification that costs the same whether or not the account exists.
import { randomBytes } from "node:crypto";
import * as argon2 from "argon2";

export interface PasswordParams {
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's minimum for argon2id (m=19 MiB, t=2, p=1); ≈30 ms per hash on the reference machine. */
export const DEFAULT_PASSWORD_PARAMS: Readonly<PasswordParams> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

const ARGON2ID_PREFIX = "$argon2id$";

export async function hashPassword(password: string, params: PasswordParams = DEFAULT_PASSWORD_PARAMS): Promise<string> {
  if (typeof password !== "string") throw new TypeError("password must be a string");
  return argon2.hash(password, {
    type: argon2.argon2id,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  });
}

/** False for a wrong password and for a malformed or foreign hash: login must not fail open or crash. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (typeof hash !== "string" || typeof password !== "string") return false;
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** True when the hash was made with other parameters (or is not argon2id): rehash after a successful login. */
export function needsRehash(hash: string, params: PasswordParams = DEFAULT_PASSWORD_PARAMS): boolean {
  if (typeof hash !== "string" || !hash.startsWith(ARGON2ID_PREFIX)) return true;
  try {
    return argon2.needsRehash(hash, params);
  } catch {
    return true;
  }
}

/**
 * Holds a hash of a random password, made with the live parameters, so that a login for an
 * unknown e-mail runs one argon2 verification just like a wrong password does: response time
 * does not reveal which accounts exist.
 */
export class PasswordVerifier {
  private constructor(private readonly dummyHash: string) {}

  static async create(params: PasswordParams = DEFAULT_PASSWORD_PARAMS): Promise<PasswordVerifier> {
    return new PasswordVerifier(await hashPassword(randomBytes(32).toString("base64url"), params));
  }

  async verifyOrDummy(hash: string | null, password: string): Promise<boolean> {
    if (hash === null) {
      await verifyPassword(this.dummyHash, password);
      return false;
    }
    return verifyPassword(hash, password);
  }
}
