// Kubernetes' own name and label rules (apimachinery validation), and selector matching.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * True when `name` is dot-separated labels of [a-z0-9-], each starting and ending with
 * [a-z0-9] (DNS1123_SUBDOMAIN, or DNS1123_LABEL with `dots` false): the regexes without their
 * cost, for the 150,000 pod names of a cluster at the limits.
 */
function isDnsName(name: string, dots: boolean): boolean {
  let start = true;
  let last = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const alnum = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    if (alnum) start = false;
    else if (c === 45 && !start) { /* '-' inside a label */ }
    else if (c === 46 && dots && !start && last !== 45) start = true;
    else return false;
    last = c;
  }
  return !start && last !== 45;
}

/** Returns why `name` is not an RFC 1123 subdomain (object names: pods, nodes), or undefined. */
export function checkSubdomain(name: string): string | undefined {
  if (name.length > 253) return `"${name.slice(0, 20)}…" is longer than 253 characters`;
  if (!isDnsName(name, true) && !DNS1123_SUBDOMAIN.test(name)) return `"${name}" is not a valid name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (RFC 1123)`;
  return undefined;
}

/** RFC 1123 label (namespaces): at most 63 characters, no dots. */
export function checkLabelName(name: string): string | undefined {
  if (name.length > 63) return `"${name}" is longer than 63 characters`;
  if (!isDnsName(name, false) && !DNS1123_LABEL.test(name)) return `"${name}" is not a valid name: lower-case letters, digits and '-', starting and ending with a letter or digit (RFC 1123 label)`;
  return undefined;
}

/** RFC 1035 label (service names): must start with a letter. */
export function checkServiceName(name: string): string | undefined {
  if (name.length > 63) return `"${name}" is longer than 63 characters`;
  if (!DNS1035_LABEL.test(name)) return `"${name}" is not a valid service name: lower-case letters, digits and '-', starting with a letter (RFC 1035 label)`;
  return undefined;
}

/** A port name (IANA_SVC_NAME): at most 15 characters, at least one letter, no '--'. */
export function checkPortName(name: string): string | undefined {
  if (name.length > 15 || !IANA_SVC_NAME.test(name) || name.includes("--") || !/[a-z]/.test(name)) {
    return `"${name}" is not a valid port name: at most 15 lower-case letters, digits and '-', with a letter, no "--"`;
  }
  return undefined;
}

export function checkLabelKey(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : "";
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0 && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return `label key "${key}" has an invalid prefix (a DNS subdomain)`;
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) return `"${key}" is not a valid label key: at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric, with an optional "prefix/"`;
  return undefined;
}

export function checkLabelValue(value: string): string | undefined {
  if (value.length > 63 || !LABEL_VALUE.test(value)) return `"${value}" is not a valid label value: at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric`;
  return undefined;
}

/** True when every key=value of `selector` is in `labels` (a Service's equality selector). */
export function selectorMatches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const key in selector) {
    if (!Object.hasOwn(labels, key) || labels[key] !== selector[key]) return false;
  }
  return true;
}
