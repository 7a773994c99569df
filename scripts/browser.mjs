// Finds the Chromium the browser tests drive: $CHROME_PATH, then Debian's /usr/bin/chromium
// (npm packages cannot download browsers on machines of this kind).
import { accessSync, constants } from "node:fs";

const CANDIDATES = [process.env.CHROME_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export function findChromium() {
  for (const path of CANDIDATES) {
    if (!path) continue;
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

/** Flags for headless Chromium here: root needs --no-sandbox; the closed network needs the rest. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless=new",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
