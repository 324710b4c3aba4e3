// Sésame's small script: progressive enhancement only. Every form works
// without it; it moves focus after htmx swaps, says when the server
// cannot be reached, and toggles password visibility. Loaded as a file
// so the CSP can forbid inline scripts.
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

  // A request that never reached the server (network down, server
  // stopped, Wi-Fi lost between two steps) gets no answer to swap in:
  // without this the parent presses « Valider » and nothing happens. The
  // form is left as it was, with the layout's localized message at its
  // top (role=alert, so it is read out; focused, so keyboard users are
  // there), and pressing again retries. Background requests (the live
  // password rules) stay silent: the submit will say it.
  function formOf(elt) {
    if (!elt) return null;
    if (elt.tagName === "FORM") return elt;
    if (elt.tagName === "BUTTON") return elt.form;
    return null;
  }
  function clearOffline(form) {
    form.querySelectorAll("[data-offline]").forEach(function (m) { m.remove(); });
  }
  function offline(e) {
    var d = e.detail || {};
    if (e.type === "htmx:responseError" && d.xhr && d.xhr.status !== 0) return;
    var form = formOf(d.elt);
    var tpl = document.getElementById("offline-message");
    if (!form || !tpl) return;
    clearOffline(form);
    var msg = tpl.content.firstElementChild.cloneNode(true);
    form.insertBefore(msg, form.firstChild);
    msg.focus();
  }
  document.addEventListener("htmx:sendError", offline);
  document.addEventListener("htmx:responseError", offline);
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = formOf(e.detail && e.detail.elt);
    if (form) clearOffline(form);
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
