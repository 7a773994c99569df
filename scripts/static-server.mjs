// A small static file server (no dependencies): the docs site for `npm start`, and the
// "CDN" origin in the cross-origin bundle test.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/**
 * Serves `dir` on 127.0.0.1. `cors` adds `Access-Control-Allow-Origin: *`, which module
 * scripts loaded from another origin need (CDNs send it). Port 0 picks a free port.
 * Resolves to { server, port, url }.
 */
export function serveStatic(dir, { port = 0, host = "127.0.0.1", cors = false } = {}) {
  const root = normalize(dir);
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      let file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) throw Object.assign(new Error("outside root"), { status: 403 });
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-cache",
        ...(cors ? { "access-control-allow-origin": "*" } : {}),
      });
      res.end(body);
    } catch (err) {
      const status = err.status ?? (err.code === "ENOENT" ? 404 : 500);
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(`${status}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({ server, port: actual, url: `http://${host === "127.0.0.1" ? "localhost" : host}:${actual}/` });
    });
  });
}
