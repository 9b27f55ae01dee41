// Small DOM helpers. The widget builds every element; it never parses HTML strings.

/**
 * Creates an element. `text` sets textContent, `on<event>` adds a listener, `true` makes an
 * empty attribute, and null, undefined or false leave the attribute out.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") element.textContent = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

const SVG = "http://www.w3.org/2000/svg";
const ICONS = {
  chat: ["M21 11.5a8.5 8.5 0 0 1-12.3 7.6L3.5 20.5l1.4-4.9A8.5 8.5 0 1 1 21 11.5z", "M8 10h8M8 13.5h5"],
  close: ["M6 6l12 12M18 6 6 18"],
  down: ["M6 9.5l6 6 6-6"],
  send: ["M4.5 12 20 4.5 16.5 20l-4-6.5z", "M12.5 13.5 20 4.5"],
  person: ["M12 11.5a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M4.5 20.5a7.5 7.5 0 0 1 15 0"],
  compass: ["M12 2.75a9.25 9.25 0 1 0 0 18.5 9.25 9.25 0 0 0 0-18.5z", "m15.75 8.25-2.25 5.25-5.25 2.25 2.25-5.25z"],
};

/** A decorative icon (hidden from assistive technology; the button carries the label). */
export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  for (const [key, value] of Object.entries({
    viewBox: "0 0 24 24",
    "aria-hidden": "true",
    focusable: "false",
    fill: "none",
    stroke: "currentColor",
    "stroke-width": "2",
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
    class: `icon icon-${name}`,
  })) {
    svg.setAttribute(key, value);
  }
  for (const d of ICONS[name]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}
