// A pino logger that keeps every line in memory at trace level, so a test can search what was logged.
import pino from "pino";

export interface LogCapture {
  logger: pino.Logger;
  lines: string[];
  /** Which of `needles` (compared lower-case) appear anywhere in what was logged. */
  leaks(needles: readonly string[]): string[];
}

export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const logger = pino({ level: "trace" }, { write: (line: string) => void lines.push(line) });
  return {
    logger,
    lines,
    leaks: (needles) => {
      const text = lines.join("\n").toLowerCase();
      return needles.filter((n) => text.includes(n.toLowerCase()));
    },
  };
}
