// The configured brand colour, checked for contrast (WCAG 2.1 AA: 4.5:1 for text).
// White text sits on it (header, launcher, the user's messages) and it colours links and
// buttons on white and on the bot's light grey bubbles. A colour that fails is darkened,
// keeping its hue, until it passes; an unreadable value falls back to the default.

export const DEFAULT_COLOUR = "#00467f";
export const SURFACE = "#eef2f6"; // the bot's bubbles (widget.css: --wg-surface)
const MINIMUM = 4.5;

function toRgb(hex) {
  const value = hex.replace("#", "");
  return [0, 2, 4].map((at) => Number.parseInt(value.slice(at, at + 2), 16));
}

function toHex(rgb) {
  return `#${rgb.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/** Any opaque CSS colour as [r, g, b], or null. The browser does the parsing. */
export function parseColour(value) {
  if (!value || !CSS.supports("color", value)) return null;
  const context = document.createElement("canvas").getContext("2d");
  if (!context) return null;
  context.fillStyle = value;
  const normalised = context.fillStyle; // "#rrggbb" when opaque, "rgba(...)" when not
  return /^#[0-9a-f]{6}$/i.test(normalised) ? toRgb(normalised) : null;
}

function luminance(rgb) {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG contrast ratio of two [r, g, b] colours (1 to 21). */
export function contrast(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

/** {colour, adjusted, ratio}: the configured colour, or the nearest darker one that passes. */
export function accessibleColour(value) {
  const parsed = parseColour(value);
  let rgb = parsed ?? toRgb(DEFAULT_COLOUR);
  let adjusted = Boolean(value) && !parsed;
  const backgrounds = [[255, 255, 255], toRgb(SURFACE)];
  const worst = () => Math.min(...backgrounds.map((background) => contrast(rgb, background)));
  while (worst() < MINIMUM) {
    rgb = rgb.map((c) => Math.floor(c * 0.9));
    adjusted = true;
  }
  return { colour: toHex(rgb), adjusted, ratio: Math.round(worst() * 100) / 100 };
}
