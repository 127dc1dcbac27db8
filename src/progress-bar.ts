// A one-line progress bar for long CLI runs (stderr, TTY only; a plain line every 10 % otherwise).
export function createProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr): { update(done: number, total: number): void; end(): void } {
  const width = 30;
  let lastTenth = -1;
  let drawn = false;
  return {
    update(done, total) {
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      if (stream.isTTY) {
        const filled = Math.round(ratio * width);
        stream.write(`\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done.toLocaleString("en")}/${total.toLocaleString("en")} ${(ratio * 100).toFixed(0)}%`);
        drawn = true;
      } else if (Math.floor(ratio * 10) > lastTenth) {
        lastTenth = Math.floor(ratio * 10);
        stream.write(`${label}: ${done}/${total}\n`);
      }
    },
    end() {
      if (drawn) stream.write("\n");
    },
  };
}
