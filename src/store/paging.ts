// Cursor paging shared by every list: validated page sizes and opaque keyset cursors.
import { badInput } from "../errors";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  first?: number | null;
  after?: string | null;
}

export interface Page<T> {
  items: T[];
  /** The keyset cursor of each item, in order. */
  cursors: string[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
  startCursor: string | null;
}

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, "first");
  }
  return first;
}

/** Keyset position: a timestamp (ISO) or number, then the row id as a tie-breaker. */
export type CursorKey = [string | number, string];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Cursors are client input: only exactly the shapes we issue are accepted ([ISO instant, row uuid] or
 * [seq, ""]), so nothing malformed ever reaches SQL as a cast error.
 */
export function decodeCursor(cursor: string | null | undefined, kind: "time" | "number"): CursorKey | null {
  if (cursor === null || cursor === undefined) return null;
  try {
    const parsed: unknown = cursor.length <= 512 ? JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) : null;
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [position, id] = parsed;
      if (kind === "time" && typeof position === "string" && ISO_INSTANT.test(position) && !Number.isNaN(Date.parse(position)) && typeof id === "string" && UUID.test(id)) {
        return [position, id];
      }
      if (kind === "number" && typeof position === "number" && Number.isSafeInteger(position) && position >= 0 && id === "") return [position, id];
    }
  } catch {
    // fall through to the coded error
  }
  throw badInput("after is not a valid cursor", "after");
}

/** Turns rows fetched with LIMIT size+1 into a page. */
export function toPage<R, T>(rows: R[], size: number, totalCount: number, map: (r: R) => T, key: (r: R) => CursorKey): Page<T> {
  const hasNextPage = rows.length > size;
  const kept = hasNextPage ? rows.slice(0, size) : rows;
  const cursors = kept.map((r) => encodeCursor(key(r)));
  return {
    items: kept.map(map),
    cursors,
    totalCount,
    hasNextPage,
    startCursor: cursors[0] ?? null,
    endCursor: cursors[cursors.length - 1] ?? null,
  };
}
