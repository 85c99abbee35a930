// Keyboard shortcuts and small conveniences for the review queue. A static file, so the
// Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr.row"));
  }

  function select(index) {
    var all = rows();
    if (!all.length) return;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row) { row.classList.remove("selected"); row.removeAttribute("aria-selected"); });
    all[index].classList.add("selected");
    all[index].setAttribute("aria-selected", "true");
    all[index].scrollIntoView({ block: "nearest" });
  }

  function selectedIndex() {
    return rows().findIndex(function (row) { return row.classList.contains("selected"); });
  }

  function openSelected() {
    var row = document.querySelector("tr.row.selected a");
    if (row) window.location.href = row.getAttribute("href");
  }

  function help() {
    var dialog = document.getElementById("help");
    if (dialog && !dialog.open) dialog.showModal();
  }

  var keys = {
    j: function () { select(selectedIndex() + 1); },
    k: function () { var i = selectedIndex(); select(i < 0 ? 0 : i - 1); },
    o: openSelected,
    Enter: openSelected,
    e: function () { var t = document.getElementById("draft-text"); if (t) { t.focus(); t.setSelectionRange(t.value.length, t.value.length); } },
    a: function () { var b = document.getElementById("approve"); if (b) b.click(); },
    // the reason's category first (arrow keys choose), then Tab to the words, Enter rejects
    r: function () { var c = document.querySelector(".reject input[name=category]:checked"); if (c) c.focus(); },
    u: function () { var b = document.getElementById("back"); window.location.href = b ? b.getAttribute("href") : "/queue"; },
    // undo the approval just made: the banner's form, while the reply still waits
    z: function () { var b = document.getElementById("undo"); if (b) b.click(); },
    "?": help
  };

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && typing(event.target)) { event.target.blur(); return; }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
    var action = keys[event.key];
    if (action && (event.key !== "Enter" || selectedIndex() >= 0)) {
      event.preventDefault();
      action();
    }
  });

  // a form goes once: a double click (or a key held down) must not approve or send twice
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("method") !== "post") return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });

  // the list refreshes itself (htmx polling): keep the row the agent selected with j/k
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var row = document.querySelector("tr.row.selected");
    kept = row ? row.getAttribute("data-draft-id") : null;
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!kept) return;
    var index = rows().findIndex(function (row) { return row.getAttribute("data-draft-id") === kept; });
    if (index >= 0) select(index);
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-help]")) { event.preventDefault(); help(); }
    if (target.matches && target.matches("button.alt[data-text]")) {
      var text = document.getElementById("draft-text");
      var picked = document.getElementById("picked");
      if (text) { text.value = target.getAttribute("data-text"); text.focus(); }
      // the approval says which FAQ answer the agent chose, so the customer's words can teach it
      if (picked) picked.value = target.getAttribute("data-faq-id") || "";
    }
  });
})();
