import base64 from "virtual:dataplane-wasm";

/** The compiled dataplane, decoded from the base64 the build inlines (works from any origin, no fetch). */
export function dataplaneWasmBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
