// Follows the submission's status and reloads the page once it is graded (without JavaScript, a <noscript>
// meta refresh does the same). Each request is a long poll: the server answers when the job moves on from what
// this page shows, or after a few seconds, and says when to ask again (later when it is busy). Only text is
// written into the page, never HTML.
(function () {
  "use strict";
  var box = document.getElementById("status");
  if (!box) { return; }
  var url = box.getAttribute("data-url");
  var seen = {state: box.getAttribute("data-state") || "", phase: box.getAttribute("data-phase") || ""};
  function show(s) {
    document.getElementById("phase").textContent = s.phase;
    var items = box.querySelectorAll(".phases li");
    for (var i = 0; i < items.length; i++) {
      if (items[i].getAttribute("data-phase") === s.phase) { items[i].setAttribute("aria-current", "step"); }
      else { items[i].removeAttribute("aria-current"); }
    }
    Object.keys(s.times || {}).forEach(function (k) {
      var dd = document.getElementById("t-" + k);
      if (dd && s.times[k]) { dd.textContent = s.times[k].slice(11, 19) + " UTC"; }
    });
    var pos = document.getElementById("position");
    if (s.position === null) { pos.hidden = true; }
    else {
      pos.hidden = false;
      document.getElementById("position-n").textContent = String(s.position);
      document.getElementById("wait").textContent = Math.round(s.wait_s || 0) + " s";
    }
  }
  function poll() {
    var next = 2;  // after a failed request
    var query = "?wait=10&state=" + encodeURIComponent(seen.state) + "&phase=" + encodeURIComponent(seen.phase);
    fetch(url + query, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s === null) { return; }
        if (s.state === "done") { window.location.reload(); next = null; return; }
        seen = {state: s.state, phase: s.phase};
        next = s.next_poll_s || 0;
        show(s);
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { if (next !== null) { window.setTimeout(poll, next * 1000); } });
  }
  poll();
}());
