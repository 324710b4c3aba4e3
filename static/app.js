// Sésame's small script: progressive enhancement only. Every form works
// without it; it moves focus after htmx swaps and toggles password
// visibility. Loaded as a file so the CSP can forbid inline scripts.
(function () {
  "use strict";

  // After htmx swaps a step in, move focus to its first field marked
  // autofocus, else its heading, so keyboard and screen-reader users
  // land on the new step.
  function focusStep(root) {
    var target = root.querySelector("[autofocus]") || root.querySelector("h1, h2");
    if (!target) return;
    if (!target.hasAttribute("tabindex") && /^H[12]$/.test(target.tagName)) target.setAttribute("tabindex", "-1");
    target.focus();
  }

  // Announce the swapped step's message through the live region that was
  // on the page before the swap (regions added with the swap are not
  // reliably read).
  function announce(root) {
    var live = document.getElementById("announcer");
    if (!live) return;
    // Cleared even when the new step says nothing, so the region never
    // repeats the previous step's message.
    live.textContent = "";
    var msg = root.querySelector("[data-announce]");
    if (!msg) return;
    window.setTimeout(function () { live.textContent = msg.textContent.trim(); }, 50);
  }

  // With outerHTML swaps the event's target is the element that was
  // replaced, so the new one is looked up again by its id once settled.
  document.addEventListener("htmx:afterSettle", function (e) {
    var old = e.detail && e.detail.target;
    if (old === document.body) {
      // An error page replaced the whole body (HX-Retarget): land on it.
      focusStep(document.getElementById("main") || document.body);
      announce(document.body);
      return;
    }
    if (!old || !old.id || old.id === "rules") return; // live rules: keep focus in the field
    var root = document.getElementById(old.id) || document;
    focusStep(root);
    announce(root);
  });

  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-toggle-password]");
    if (!btn) return;
    var input = document.getElementById(btn.getAttribute("data-toggle-password"));
    if (!input) return;
    var show = input.type === "password";
    input.type = show ? "text" : "password";
    btn.setAttribute("aria-pressed", show ? "true" : "false");
    btn.textContent = show ? btn.getAttribute("data-label-hide") : btn.getAttribute("data-label-show");
  });

  // The show/hide buttons are useless without this script, so they are
  // hidden in the HTML and revealed here.
  function reveal(root) {
    root.querySelectorAll("[data-toggle-password][hidden]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { reveal(document); });
  document.addEventListener("htmx:load", function (e) { reveal(e.detail.elt); });
})();
