// Run by `npm test` before the browser tests: finds Chromium, and on a Debian machine where
// we are root installs Debian's `chromium` once; elsewhere says how to get one.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";
import { findChromium } from "./browser.mjs";

let found = findChromium();
if (!found && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get")) {
  console.log("Chromium not found: installing Debian's chromium package (once)…");
  execSync("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium", { stdio: "inherit" });
  found = findChromium();
}
if (!found) {
  console.error("No Chromium found for the browser tests: install Chromium or Chrome (e.g. `apt-get install chromium`) or set CHROME_PATH to its executable.");
  process.exit(1);
}
console.log(`browser tests use ${found}`);
