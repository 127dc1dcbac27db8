// Owns small, dependency-free helpers for PostgreSQL connection URLs and SQL identifiers.

/**
 * Returns `url` with its database name replaced by `dbName`; everything else (credentials, host, port,
 * query parameters such as `sslmode` or `host=/socket/dir`) is kept. Uses WHATWG URL parsing rather than
 * string surgery so that passwords containing `/` or `@` (percent-encoded) survive untouched.
 */
export function withDatabase(url: string, dbName: string): string {
  if (dbName.length === 0) throw new Error("withDatabase: database name must not be empty");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Do not echo the URL: it usually carries a password.
    throw new Error("withDatabase: not a valid postgres:// URL");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new Error(`withDatabase: expected a postgres:// or postgresql:// URL, got ${parsed.protocol}//…`);
  }
  parsed.pathname = "/" + encodeURIComponent(dbName);
  return parsed.toString();
}

/**
 * Quotes an SQL identifier (database, role, table name) for interpolation into DDL, which cannot take
 * bind parameters. Same rule as PostgreSQL's quote_ident / pg's escapeIdentifier: wrap in double quotes
 * and double any embedded double quote.
 */
export function quoteIdent(name: string): string {
  // A NUL byte would truncate the statement on the server side; refuse it rather than guess.
  if (name.includes("\0")) throw new Error("quoteIdent: identifier contains a NUL byte");
  return '"' + name.replace(/"/g, '""') + '"';
}
