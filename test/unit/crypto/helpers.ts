// Assertions shared by the crypto tests: they check error codes and reasons, never messages.
import { expect } from "vitest";
import { CryptoError, type CryptoErrorCode } from "../../../src/crypto/errors";
import { TokenError, type TokenErrorReason } from "../../../src/crypto/tokens";

export function expectCryptoError(fn: () => unknown, code: CryptoErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code).toBe(code);
}

export async function expectCryptoErrorAsync(promise: Promise<unknown>, code: CryptoErrorCode): Promise<CryptoError> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(CryptoError);
  expect((thrown as CryptoError).code).toBe(code);
  return thrown as CryptoError;
}

export async function expectTokenError(promise: Promise<unknown>, reason: TokenErrorReason): Promise<void> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(TokenError);
  expect((thrown as TokenError).code).toBe("INVALID_TOKEN");
  expect((thrown as TokenError).reason).toBe(reason);
}
