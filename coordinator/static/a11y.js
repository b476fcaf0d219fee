// Accessibility helpers on every page (base.html and the candidate's portal). Pages work without them.
(function () {
  "use strict";

  // A data table that scrolls sideways inside its own box (phone widths, see a11y.css) can take focus, so it can
  // be scrolled with the arrow keys; it gives the focus up again once it fits.
  function markScrollingTables() {
    document.querySelectorAll("main table").forEach(function (table) {
      var scrolls = table.scrollWidth > table.clientWidth + 1;
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("data-a11y-scroll", "");
      } else if (!scrolls && table.hasAttribute("data-a11y-scroll")) {
        table.removeAttribute("tabindex");
        table.removeAttribute("data-a11y-scroll");
      }
    });
  }

  // After a form comes back with errors, start where the problem is: the error summary, else the first invalid
  // field (unless something already has the focus, such as a field with autofocus).
  function focusFirstError() {
    if (document.activeElement && document.activeElement !== document.body) return;
    var target = document.querySelector("[data-error-summary]") ||
      document.querySelector("main [aria-invalid='true']:not(fieldset):not([role='radiogroup'])");
    if (target) target.focus();
  }

  // A link in the error summary moves the focus to its field (the browser only scrolls to it).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.focus();
    }
  });

  var resizeTimer;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(markScrollingTables, 50);
  });
  document.addEventListener("htmx:afterSettle", markScrollingTables);
  function ready() {
    markScrollingTables();
    focusFirstError();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
