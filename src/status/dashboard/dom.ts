// Building DOM nodes: every value from the daemon is written with textContent or setAttribute, never parsed as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Attributes; `text` sets textContent, `on…` adds a listener; null, undefined and false are left out. */
export type Props = Record<string, unknown>;
/** A child: a node, text, or a (nested) list of them; null, undefined and false are left out. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** The element with this id (the page's fixed skeleton). */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function applyProps(el: Element, props: Props | undefined): void {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'text') el.textContent = String(value);
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value as EventListener);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

/** An HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyProps(el, props);
  appendAll(el, children);
  return el;
}

/** An SVG element. */
export function svgEl<K extends keyof SVGElementTagNameMap>(
  tag: K,
  props?: Props,
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, props);
  appendAll(el, children);
  return el;
}

/** Append children (text becomes text nodes). */
export function appendAll(el: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) appendAll(el, child as readonly Child[]);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Europe/<wbr>Amsterdam: long zone names wrap at their slashes, not mid-word. */
export function breakAfterSlashes(text: string): Child[] {
  return text
    .split('/')
    .flatMap((part, index, parts) =>
      index < parts.length - 1 ? [part + '/', h('wbr', {})] : [part],
    );
}

/** Put the rows into the table body in order, touching only rows that changed (focus and selection survive). */
export function reconcileRows(tbody: HTMLTableSectionElement, rows: HTMLTableRowElement[]): void {
  rows.forEach((row, index) => {
    const current = tbody.rows[index];
    if (current !== row) tbody.insertBefore(row, current ?? null);
  });
  while (tbody.rows.length > rows.length) tbody.rows[rows.length]?.remove();
}

/** Focus the element carrying `data-focus="key"`, if there is one. */
export function restoreFocus(key: string | null): void {
  if (!key) return;
  const target = document.querySelector<HTMLElement>('[data-focus="' + CSS.escape(key) + '"]');
  if (target) target.focus();
}

/** The `data-focus` key of the focused element when it is inside `container`. */
export function focusKeyWithin(container: Element): string | null {
  const active = document.activeElement;
  return active && container.contains(active) ? active.getAttribute('data-focus') : null;
}
