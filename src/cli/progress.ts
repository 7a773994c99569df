// A progress bar on stderr, redrawn in place; only on a terminal, so pipes and logs stay clean.

export function progressBar(write: (s: string) => void, label: string): { update(done: number, total: number): void; clear(): void } {
  let drawn = false;
  return {
    update(done, total) {
      const width = 30;
      const filled = total ? Math.round((done / total) * width) : 0;
      const pct = total ? Math.floor((done / total) * 100) : 0;
      write(`\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(pct).padStart(3)}% ${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")}`);
      drawn = true;
    },
    clear() {
      // Erase the line so the result starts on a clean one.
      if (drawn) write("\r\x1b[2K");
      drawn = false;
    },
  };
}
