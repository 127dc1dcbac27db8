// A business calendar (time zone, weekly working hours, holidays) and time arithmetic on it: adding
// working time to an instant and measuring the working time between two instants. Time-zone offsets come
// from Intl (the Node ICU data), so no date library is needed and DST is handled per day.

/** Minutes after local midnight: [start, end) of one working period. */
export interface WorkingPeriod {
  readonly start: number;
  readonly end: number;
}

export interface BusinessCalendar {
  readonly id: string;
  /** IANA time zone the working hours and holiday dates are read in. */
  readonly timeZone: string;
  /** ISO weekday (1 = Monday … 7 = Sunday) → its working periods; a missing day has none. */
  readonly week: Readonly<Partial<Record<number, readonly WorkingPeriod[]>>>;
  /** Local dates (YYYY-MM-DD) on which nobody works. */
  readonly holidays: ReadonlySet<string>;
}

/** Working time is searched at most this far ahead: a calendar with none in ten years is broken data. */
const MAX_DAYS = 3660;

export function defineBusinessCalendar(c: {
  id: string;
  timeZone: string;
  week: Partial<Record<number, readonly WorkingPeriod[]>>;
  holidays?: Iterable<string>;
}): BusinessCalendar {
  try {
    new Intl.DateTimeFormat("en", { timeZone: c.timeZone });
  } catch {
    throw new TypeError(`unknown time zone ${c.timeZone}`);
  }
  for (const [day, periods] of Object.entries(c.week)) {
    if (!/^[1-7]$/.test(day)) throw new TypeError(`weekday ${day} is not 1–7`);
    let last = 0;
    for (const p of periods ?? []) {
      if (!Number.isInteger(p.start) || !Number.isInteger(p.end) || p.start < last || p.end <= p.start || p.end > 1440) {
        throw new TypeError(`working periods of weekday ${day} must be increasing, non-overlapping minutes within the day`);
      }
      last = p.end;
    }
  }
  const holidays = new Set(c.holidays ?? []);
  for (const h of holidays) if (!/^\d{4}-\d{2}-\d{2}$/.test(h)) throw new TypeError(`holiday ${h} is not YYYY-MM-DD`);
  return Object.freeze({ id: c.id, timeZone: c.timeZone, week: Object.freeze({ ...c.week }), holidays });
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    formatters.set(timeZone, f);
  }
  return f;
}

interface LocalDate {
  y: number;
  m: number;
  d: number;
}

/** The zone's offset from UTC at `ms`, in ms (local = utc + offset). */
function offsetAt(timeZone: string, ms: number): number {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

function localDateOf(timeZone: string, ms: number): LocalDate {
  const local = new Date(ms + offsetAt(timeZone, ms));
  return { y: local.getUTCFullYear(), m: local.getUTCMonth() + 1, d: local.getUTCDate() };
}

/** The instant at which the local wall clock shows `minutes` after midnight of `date`. */
function instantOf(timeZone: string, date: LocalDate, minutes: number): number {
  const wall = Date.UTC(date.y, date.m - 1, date.d, 0, minutes);
  let guess = wall - offsetAt(timeZone, wall);
  // A second pass settles days where the offset changes (DST) between the guess and the answer.
  guess = wall - offsetAt(timeZone, guess);
  return guess;
}

function nextDay(date: LocalDate): LocalDate {
  const next = new Date(Date.UTC(date.y, date.m - 1, date.d + 1));
  return { y: next.getUTCFullYear(), m: next.getUTCMonth() + 1, d: next.getUTCDate() };
}

function isoDate(date: LocalDate): string {
  return `${date.y}-${String(date.m).padStart(2, "0")}-${String(date.d).padStart(2, "0")}`;
}

/** The day's working periods as [start, end) instants; none on holidays. */
function workingIntervals(cal: BusinessCalendar, date: LocalDate): Array<[number, number]> {
  if (cal.holidays.has(isoDate(date))) return [];
  const weekday = ((new Date(Date.UTC(date.y, date.m - 1, date.d)).getUTCDay() + 6) % 7) + 1;
  return (cal.week[weekday] ?? []).map((p) => [instantOf(cal.timeZone, date, p.start), instantOf(cal.timeZone, date, p.end)]);
}

/** The instant at which `durationMs` of working time has passed after `from` (from itself when 0). */
export function addBusinessTime(cal: BusinessCalendar, from: Date, durationMs: number): Date {
  if (!(durationMs >= 0)) throw new TypeError("a business-time duration must be zero or more");
  if (durationMs === 0) return new Date(from);
  let remaining = durationMs;
  // Start a day early: a period of the previous local date can still be open at `from` (not with
  // these calendars, but periods are wall-clock and a DST day can shift them).
  let date = localDateOf(cal.timeZone, from.getTime() - 86_400_000);
  for (let i = 0; i < MAX_DAYS; i++, date = nextDay(date)) {
    for (const [start, end] of workingIntervals(cal, date)) {
      const s = Math.max(start, from.getTime());
      if (s >= end) continue;
      if (remaining <= end - s) return new Date(s + remaining);
      remaining -= end - s;
    }
  }
  throw new RangeError(`business calendar ${cal.id} has no working time within ${MAX_DAYS} days`);
}

/** Working time between two instants (0 when `to` is not after `from`). */
export function businessTimeBetween(cal: BusinessCalendar, from: Date, to: Date): number {
  const a = from.getTime();
  const b = to.getTime();
  if (b <= a) return 0;
  let total = 0;
  let date = localDateOf(cal.timeZone, a - 86_400_000);
  const last = isoDate(localDateOf(cal.timeZone, b));
  for (let i = 0; i < MAX_DAYS * 10; i++, date = nextDay(date)) {
    for (const [start, end] of workingIntervals(cal, date)) {
      const s = Math.max(start, a);
      const e = Math.min(end, b);
      if (e > s) total += e - s;
    }
    if (isoDate(date) === last) return total;
  }
  throw new RangeError("interval too long to measure in business time");
}
