// Refreshes a live region of an instructor's page (the dashboard, a regrade's table) every few seconds by
// fetching the same figures as HTML rendered (and escaped) by the server. Without JavaScript, a <noscript>
// meta refresh reloads the whole page instead.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box) { return; }
  var url = box.getAttribute("data-live-url");
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { box.innerHTML = html; } })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 3000);
}());
