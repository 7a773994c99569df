// Lazy start: an element does its heavy work (starting the engine, simulating) only once it is
// within 200 px of the viewport, so a long page of diagrams costs nothing until read. Once
// near, it stays "near"; without IntersectionObserver it counts as near from the start.

import type { ReactiveController, ReactiveControllerHost } from "lit";

export class NearViewport implements ReactiveController {
  /** Near the viewport now, or ever since it first was. */
  near = typeof IntersectionObserver === "undefined";
  private observer: IntersectionObserver | undefined;

  constructor(private readonly host: ReactiveControllerHost & Element) {
    host.addController(this);
  }

  hostConnected(): void {
    if (this.near) return;
    this.observer = new IntersectionObserver(
      (entries) => {
        if (!entries.some((e) => e.isIntersecting)) return;
        this.near = true;
        this.hostDisconnected();
        this.host.requestUpdate();
      },
      { rootMargin: "200px" },
    );
    this.observer.observe(this.host);
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }
}
