// Address parsing that reports a problem instead of throwing, for the model's validators.
import type { K8sNetFlowError } from "../errors.js";
import { parseCidr, parseIPv4, type Cidr } from "../net/ipv4.js";
import type { Origin, Path, Problems } from "./problems.js";

function attempt<T>(parse: () => T, at: Origin, sub: Path, problems: Problems): T | undefined {
  try {
    return parse();
  } catch (err) {
    problems.error("invalid-address", at, sub, (err as K8sNetFlowError).message.replace(/^: /, ""));
    return undefined;
  }
}

export const tryIP = (text: string, at: Origin, sub: Path, problems: Problems): number | undefined => attempt(() => parseIPv4(text, ""), at, sub, problems);

export const tryCidr = (text: string, at: Origin, sub: Path, problems: Problems): Cidr | undefined => attempt(() => parseCidr(text, ""), at, sub, problems);
