// `ip route show` lines, as iproute2 prints them for the main table.

import { formatIPv4 } from "../net/ipv4.js";
import { allRoutes, type PeerHolder, type Route } from "../compile/routes.js";

export function formatRoute(route: Route): string {
  // A host route (/32) is printed as the bare address.
  const dst = route.prefixLength === 0 ? "default" : route.prefixLength === 32 ? formatIPv4(route.prefix) : `${formatIPv4(route.prefix)}/${route.prefixLength}`;
  // iproute2's order: type (unicast unsaid), destination, gateway, device, protocol (boot
  // unsaid), scope (global unsaid), preferred source, flags.
  const parts = route.blackhole ? ["blackhole", dst] : [dst];
  if (route.via !== undefined) parts.push("via", formatIPv4(route.via));
  if (!route.blackhole) parts.push("dev", route.dev);
  if (route.proto) parts.push("proto", route.proto);
  if (route.connected) parts.push("proto kernel scope link src", formatIPv4(route.connected.src));
  if (route.scopeLink) parts.push("scope link");
  if (route.src !== undefined) parts.push("src", formatIPv4(route.src));
  if (route.onlink) parts.push("onlink");
  // Metrics come last (RTA_METRICS): a route MTU as `mtu N`.
  if (route.mtu !== undefined) parts.push("mtu", String(route.mtu));
  return parts.join(" ");
}

/** The whole of `ip route show` for one namespace (iproute2 ends every line with a space). */
export function ipRouteShow(table: { routes: Route[]; peers?: PeerHolder }): string {
  return allRoutes(table).map((r) => `${formatRoute(r)} \n`).join("");
}
