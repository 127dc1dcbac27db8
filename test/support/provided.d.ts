// Owns the types of values test/global-setup.ts hands to tests through vitest's provide/inject.
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL to an existing database on the test server (embedded, or TEST_DATABASE_URL). */
    adminDatabaseUrl: string;
  }
}
