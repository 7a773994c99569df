// IPv4 addresses as unsigned 32-bit integers in host order, the form the dataplane tables use.

import { K8sNetFlowError } from "../errors.js";

export interface Cidr {
  /** Network address (host bits zero). */
  readonly address: number;
  readonly prefixLength: number;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The dotted quad that starts at `from` and runs to `end`, or -1 unless it is exactly what
 * DOTTED accepts with no octet above 255 and no leading zero (the slow path then says why).
 * No regex, no substrings: a cluster at the limits parses a few hundred thousand addresses.
 */
function quickIPv4(text: string, from: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let first = 0;
  for (let i = from; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 0) first = c;
      else if (digits === 3 || first === 48) return -1;
      octet = octet * 10 + (c - 48);
      digits++;
    } else if (c === 46 && digits > 0 && dots < 3 && octet <= 255) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || octet > 255) return -1;
  return (value * 256 + octet) >>> 0;
}

/** Parses dotted-quad text; throws an `invalid-input` error naming `path`. */
export function parseIPv4(text: string, path: string): number {
  const quick = quickIPv4(text, 0, text.length);
  return quick >= 0 ? quick : parseIPv4Slow(text, path);
}

function parseIPv4Slow(text: string, path: string): number {
  const m = DOTTED.exec(text);
  if (!m) throw new K8sNetFlowError("invalid-input", `"${text}" is not an IPv4 address (expected a.b.c.d)`, path);
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    const octet = Number(part);
    // Leading zeros are rejected: inet_aton would read "010" as octal, Kubernetes rejects them.
    if (octet > 255 || (part.length > 1 && part.startsWith("0"))) {
      throw new K8sNetFlowError("invalid-input", `"${text}" is not an IPv4 address (octet "${part}")`, path);
    }
    value = value * 256 + octet;
  }
  return value >>> 0;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Netmask of a prefix length as an unsigned integer (`/0` → 0). */
export function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** Parses `a.b.c.d/n`; host bits must be zero, as Kubernetes requires of a CIDR. */
export function parseCidr(text: string, path: string): Cidr {
  const slash = text.indexOf("/");
  if (slash > 0) {
    const address = quickIPv4(text, 0, slash);
    const n = text.length - slash - 1;
    const d0 = text.charCodeAt(slash + 1) - 48;
    const d1 = n === 2 ? text.charCodeAt(slash + 2) - 48 : 0;
    if (address >= 0 && (n === 1 || n === 2) && d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9) {
      const prefixLength = n === 1 ? d0 : d0 * 10 + d1;
      if (prefixLength <= 32 && (address & ~maskOf(prefixLength)) >>> 0 === 0) return { address, prefixLength };
    }
  }
  return parseCidrSlow(text, path);
}

function parseCidrSlow(text: string, path: string): Cidr {
  const slash = text.indexOf("/");
  if (slash < 0) throw new K8sNetFlowError("invalid-input", `"${text}" is not a CIDR (expected a.b.c.d/n)`, path);
  const address = parseIPv4(text.slice(0, slash), path);
  const lenText = text.slice(slash + 1);
  const prefixLength = /^\d{1,2}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(prefixLength >= 0 && prefixLength <= 32)) {
    throw new K8sNetFlowError("invalid-input", `"${text}" has prefix length "${lenText}" (expected 0 to 32)`, path);
  }
  if ((address & ~maskOf(prefixLength)) >>> 0 !== 0) {
    const network = formatIPv4((address & maskOf(prefixLength)) >>> 0);
    throw new K8sNetFlowError("invalid-input", `"${text}" has host bits set (did you mean ${network}/${prefixLength}?)`, path);
  }
  return { address, prefixLength };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIPv4(cidr.address)}/${cidr.prefixLength}`;
}

export function cidrContains(cidr: Cidr, address: number): boolean {
  return ((address & maskOf(cidr.prefixLength)) >>> 0) === cidr.address;
}

/** True when the two ranges share any address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const len = Math.min(a.prefixLength, b.prefixLength);
  return ((a.address ^ b.address) & maskOf(len)) >>> 0 === 0;
}
