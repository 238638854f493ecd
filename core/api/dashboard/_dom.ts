/// <reference lib="dom" />
// Small DOM helpers for the dashboard. Every text goes in through textContent: project and model
// names come from users' directories and providers' answers, never trusted as HTML.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`dashboard: #${id} is missing`);
  return el as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: Array<Node | string>): SVGElementTagNameMap[K] {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

export function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

const PALETTE: Record<string, string> = {
  anthropic: "#d97757",
  openai: "#10a37f",
  chatgpt: "#5bb89d",
  google: "#4285f4",
  "google-cloudcode": "#8ab4f8",
  xai: "#6b7280",
};
const SPARE = ["#a855f7", "#eab308", "#ec4899", "#14b8a6", "#f97316", "#64748b"];

export function providerColor(provider: string): string {
  if (PALETTE[provider]) return PALETTE[provider];
  let h = 0;
  for (const ch of provider) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return SPARE[h % SPARE.length]!;
}
