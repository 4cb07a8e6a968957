// Progressive enhancement only: every page works without this file.
// The users table filters as you type; the server-side search (?q=) does the same without JS.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var table = document.getElementById("users");
  var status = document.getElementById("search-status");
  if (!input || !table || !status) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  function filter() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    rows.forEach(function (row) {
      var text = (row.getAttribute("data-search") || "").toLowerCase();
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    status.textContent = shown + (shown === 1 ? " user" : " users") +
      (words.length ? " match" + (shown === 1 ? "es" : "") + " \u201c" + input.value.trim() + "\u201d" : "");
  }
  input.addEventListener("input", filter);
})();
