/*
 * Wegwijs chat widget: the one script a site embeds.
 *
 *   <script src="https://GATEWAY/static/widget/wegwijs-widget.js"
 *           data-server="https://GATEWAY" data-lang="nl" data-color="#00467f" defer></script>
 *
 * data-server  the gateway's address (default: where this script comes from)
 * data-lang    the page's language, uk, en or nl (default: the page's <html lang>)
 * data-color   the brand colour (default #00467f; darkened when its contrast is too low)
 *
 * A classic script on purpose, so that `defer` in the snippet works; it loads the widget's
 * ES modules next to it. The gateway serves those only to sites in ALLOWED_ORIGINS.
 */
(() => {
  "use strict";
  const script =
    document.currentScript || document.querySelector('script[src*="wegwijs-widget.js"]');
  if (!script) return;
  const source = new URL(script.src, document.baseURI);
  const config = {
    server: (script.dataset.server || source.origin).replace(/\/+$/, ""),
    lang: script.dataset.lang || "",
    color: script.dataset.color || "",
  };
  import(new URL("modules/widget.js", source).href)
    .then((widget) => widget.mount(config))
    .catch((error) => console.error("Wegwijs: the chat widget could not start.", error));
})();
