/**
 * Registers an element unless that name is taken already, so a page that loads the bundle
 * twice (two script tags, two versions) keeps working: the first definition wins.
 */
export function defineElement(name: string, ctor: CustomElementConstructor): void {
  if (typeof customElements === "undefined" || customElements.get(name)) return;
  customElements.define(name, ctor);
}
