// `ip route show` lines, as iproute2 prints them for the main table.

import { formatIPv4 } from "../net/ipv4.js";
import type { Route } from "../compile/routes.js";

export function formatRoute(route: Route): string {
  const dst = route.prefixLength === 0 ? "default" : `${formatIPv4(route.prefix)}/${route.prefixLength}`;
  const parts = [dst];
  if (route.via !== undefined) parts.push("via", formatIPv4(route.via));
  parts.push("dev", route.dev);
  if (route.connected) parts.push("proto kernel scope link src", formatIPv4(route.connected.src));
  if (route.onlink) parts.push("onlink");
  return parts.join(" ");
}

/** The whole of `ip route show` for one namespace (iproute2 ends every line with a space). */
export function ipRouteShow(table: { routes: Route[] }): string {
  return table.routes.map((r) => `${formatRoute(r)} \n`).join("");
}
