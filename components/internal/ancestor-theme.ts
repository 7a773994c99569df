// With `theme="auto"`, an element follows the nearest ancestor's `data-theme` (light or dark,
// across shadow roots) live, as sites switch themes on <html> or a wrapper. It is shown through
// custom states (`:host(:state(dark))`), so no attribute is added to the author's element.

import type { ReactiveController, ReactiveControllerHost } from "lit";

type Host = ReactiveControllerHost & HTMLElement & { theme: string };

export class AncestorTheme implements ReactiveController {
  private watch: MutationObserver | undefined;

  constructor(
    private readonly host: Host,
    private readonly internals: ElementInternals | undefined,
    /** Called after every check (e.g. to repaint what holds resolved colours). */
    private readonly onChange?: () => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.follow();
    this.watch = new MutationObserver(() => this.follow());
    this.watch.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"], subtree: true });
  }

  hostDisconnected(): void {
    this.watch?.disconnect();
    this.watch = undefined;
  }

  /** Sets the light/dark state from the nearest ancestor's data-theme (none unless `theme` is auto). */
  follow(): void {
    const states = this.internals?.states;
    if (!states) return;
    let found: string | null = null;
    if (this.host.theme === "auto") {
      for (let node: Node | null = this.host.parentNode; node && found === null; ) {
        if (node instanceof Element) {
          found = node.getAttribute("data-theme");
          node = node.parentNode;
        } else node = node instanceof ShadowRoot ? node.host : node.parentNode;
      }
    }
    for (const t of ["light", "dark"]) {
      if (found === t) states.add(t);
      else states.delete(t);
    }
    this.onChange?.();
  }
}
