// A message's text as DOM: paragraphs, "- " lists and http(s) links, all as text nodes.
// Nothing from a message is ever parsed as HTML, so "<script>" shows as the characters typed.
import { h } from "./dom.js";

const LINK = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}»”’]+$/;
const LIST_ITEM = /^\s*[-•]\s+/;

/** The URL if it is a valid http or https address, else null (no javascript:, data:, ...). */
export function safeUrl(candidate) {
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** Appends text to `parent`, turning http(s) addresses into links that open in a new tab. */
export function appendLinkedText(parent, text, newTab) {
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    const shown = match[0].replace(TRAILING_PUNCTUATION, "");
    const href = safeUrl(shown);
    parent.append(text.slice(last, match.index));
    if (href) {
      const notice = h("span", { class: "vh", lang: newTab.language, text: ` ${newTab.text}` });
      parent.append(
        h("a", { href, target: "_blank", rel: "noopener noreferrer" }, shown, notice),
      );
    } else {
      parent.append(shown);
    }
    last = match.index + shown.length;
  }
  parent.append(text.slice(last));
}

/**
 * The message's text as a fragment: each line a paragraph, lines starting with "- " a list,
 * and a blank line a wider gap. `newTab` is {text, language}: what screen readers hear after
 * a link that opens in a new tab.
 */
export function renderText(text, newTab) {
  const fragment = document.createDocumentFragment();
  for (const [index, block] of String(text).split(/\n\s*\n/).entries()) {
    let list = null;
    let first = index > 0;
    for (const line of block.split("\n")) {
      if (!line.trim()) continue;
      const isItem = LIST_ITEM.test(line);
      if (!isItem) list = null;
      else list ??= fragment.appendChild(h("ul", { class: first ? "gap" : null }));
      const element = isItem
        ? list.appendChild(h("li"))
        : fragment.appendChild(h("p", { class: first ? "gap" : null }));
      appendLinkedText(element, line.replace(LIST_ITEM, ""), newTab);
      first = false;
    }
  }
  return fragment;
}
