// `npm start`: serves the built docs site (dist/site) on localhost and prints its URL.
// PORT=… picks the port (default 8080; the next free one if it is taken).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serveStatic } from "./static-server.mjs";

const dir = fileURLToPath(new URL("../dist/site", import.meta.url));
if (!existsSync(`${dir}/index.html`)) {
  console.error("dist/site is missing: run `npm run build` first (npm start does).");
  process.exit(1);
}
const wanted = Number(process.env.PORT ?? 8080);
for (let port = wanted; port < wanted + 20; port++) {
  try {
    const { url } = await serveStatic(dir, { port, host: "127.0.0.1", cors: true });
    console.log(`k8s-net-flow docs site: ${url}  (Ctrl-C to stop)`);
    break;
  } catch (err) {
    if (err.code !== "EADDRINUSE" || port === wanted + 19) throw err;
  }
}
