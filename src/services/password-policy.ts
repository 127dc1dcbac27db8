// The password policy for staff accounts, checked wherever a password is set.
import { badInput } from "../errors";

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/** Throws BAD_USER_INPUT (field "password") when the password breaks the policy; never echoes it. */
export function assertPasswordPolicy(password: string, field = "password"): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw badInput(`${field} must be at least ${MIN_PASSWORD_LENGTH} characters`, field);
  if (password.length > MAX_PASSWORD_LENGTH) throw badInput(`${field} must be at most ${MAX_PASSWORD_LENGTH} characters`, field);
}
