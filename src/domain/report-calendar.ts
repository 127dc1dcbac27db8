// Local dates of an IANA time zone for the regulators' reports: business days (a weekday the calendar
// works on that is not a holiday), the FCA-style "third business day" deadline and ISO weeks. Pure: the
// offsets come from Intl, as in src/domain/service-clocks/business-calendar.ts.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's offset from UTC at `ms`, in ms (local = utc + offset). */
function offsetAt(timeZone: string, ms: number): number {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The local date (YYYY-MM-DD) of an instant in `timeZone`. */
export function localDateOf(timeZone: string, at: Date): string {
  return new Date(at.getTime() + offsetAt(timeZone, at.getTime())).toISOString().slice(0, 10);
}

/** The instant of local midnight starting `date` in `timeZone` (DST-safe: two passes). */
export function startOfLocalDate(timeZone: string, date: string): Date {
  const wall = Date.parse(`${date}T00:00:00.000Z`);
  let guess = wall - offsetAt(timeZone, wall);
  guess = wall - offsetAt(timeZone, guess);
  return new Date(guess);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** ISO weekday of a YYYY-MM-DD date: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  return ((new Date(`${date}T00:00:00.000Z`).getUTCDay() + 6) % 7) + 1;
}

/** The Monday of the ISO week holding `date`. */
export function weekStart(date: string): string {
  return addDays(date, 1 - isoWeekday(date));
}

export interface ReportCalendar {
  timeZone: string;
  /** ISO weekdays that are business days (the default calendar: 1–5). */
  workingWeekdays: ReadonlySet<number>;
  /** Local dates that are not business days whatever their weekday. */
  holidays: ReadonlySet<string>;
}

export function isBusinessDay(cal: ReportCalendar, date: string): boolean {
  return cal.workingWeekdays.has(isoWeekday(date)) && !cal.holidays.has(date);
}

/**
 * "Closed within N business days" means closed before local midnight ending the N-th business day after
 * the day of receipt (DISP 1.10: "by close of business on the third business day following the day on
 * which it is received"; we read close of business as the end of that local day). The receipt day itself
 * never counts, even when it is a business day.
 */
export function businessDayDeadline(cal: ReportCalendar, receivedAt: Date, businessDays: number): Date {
  let date = localDateOf(cal.timeZone, receivedAt);
  let counted = 0;
  for (let i = 0; i < 3660 && counted < businessDays; i++) {
    date = addDays(date, 1);
    if (isBusinessDay(cal, date)) counted++;
  }
  if (counted < businessDays) throw new RangeError("the calendar has no business day within ten years");
  return startOfLocalDate(cal.timeZone, addDays(date, 1));
}
