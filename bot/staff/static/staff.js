// The workspace's little JavaScript: scripts send the session's CSRF token as a header.
"use strict";
(() => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const token = meta ? meta.content : "";
  window.staffFetch = (url, options = {}) => {
    const headers = new Headers(options.headers || {});
    headers.set("X-CSRF-Token", token);
    headers.set("X-Requested-With", "fetch");
    return fetch(url, { credentials: "same-origin", ...options, headers });
  };
})();
