// The diagram as a standalone SVG file (and a PNG drawn from it): the element's drawing
// styles travel inside the file, with the theme's colours resolved, since a downloaded file
// has no shadow root and no page stylesheet.

/** The drawing's custom properties, resolved on the element (so the export keeps the theme). */
const VARIABLES = ["--k8s-font", "--k8s-mono", "--k8s-bg", "--k8s-fg", "--k8s-muted", "--k8s-border", "--k8s-node-bg", "--k8s-pod-bg", "--k8s-bridge-bg", "--k8s-tunnel-bg", "--k8s-accent"];

export function standaloneSvg(host: Element, drawing: SVGSVGElement, css: string): string {
  const copy = drawing.cloneNode(true) as SVGSVGElement;
  copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  const computed = getComputedStyle(host);
  const vars = VARIABLES.map((v) => `${v}: ${computed.getPropertyValue(v).trim()};`).join(" ");
  const style = document.createElementNS("http://www.w3.org/2000/svg", "style");
  // The shadow styles name :host; in the file the <svg> is the root. The resolved colours come
  // last, so they win over the light defaults the styles start with.
  // The host's box (padding, border) is not the drawing's: reset it.
  style.textContent = `${css.replace(/:host/g, "svg")}\nsvg { ${vars} padding: 0; border: 0; margin: 0; }`;
  copy.insertBefore(style, copy.firstChild);
  const background = document.createElementNS("http://www.w3.org/2000/svg", "rect");
  for (const [k, v] of Object.entries({ width: "100%", height: "100%", fill: computed.getPropertyValue("--k8s-bg").trim() || "#fff" })) background.setAttribute(k, v);
  copy.insertBefore(background, style.nextSibling);
  return new XMLSerializer().serializeToString(copy);
}

/** The SVG drawn at `scale` into a PNG. */
export async function pngOf(svgText: string, width: number, height: number, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    canvas.getContext("2d")!.drawImage(image, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the PNG could not be made"))), "image/png"));
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Offers `blob` as a file download, without touching the page's DOM beyond a detached link. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
