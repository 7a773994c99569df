import text from "virtual:dataplane-wasm";

/** The compiled dataplane, from the string of bytes the build inlines (works from any origin, no fetch). */
export function dataplaneWasmBytes(): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
