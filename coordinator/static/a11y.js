// Accessibility helpers on every page (base.html and the candidate's portal). Pages work without them.
(function () {
  "use strict";

  document.documentElement.classList.add("a11y-js");

  // A data table wider than its box scrolls sideways inside it (a11y.css) instead of widening the page, and can
  // take focus so it can be scrolled with the arrow keys; once it fits again it is an ordinary table.
  function markScrollingTables() {
    document.querySelectorAll("main table:not(.slots)").forEach(function (table) {
      table.classList.remove("a11y-scroll");
      var box = getComputedStyle(table.parentElement);
      var room = table.parentElement.clientWidth - parseFloat(box.paddingLeft) - parseFloat(box.paddingRight);
      var scrolls = room > 0 && table.getBoundingClientRect().width > room + 1;
      if (scrolls) table.classList.add("a11y-scroll");
      if (scrolls && !table.hasAttribute("tabindex")) {
        table.setAttribute("tabindex", "0");
        table.setAttribute("data-a11y-scroll", "");
      } else if (!scrolls && table.hasAttribute("data-a11y-scroll")) {
        table.removeAttribute("tabindex");
        table.removeAttribute("data-a11y-scroll");
      }
    });
  }

  // Whatever takes the focus scrolls clear of the bars stuck to the bottom of the window (the scorecard's buttons,
  // the candidate's save bar): the page's scroll padding is their height (2.4.11).
  function clearStickyBars() {
    var tallest = 0;
    document.querySelectorAll(".sc-buttons, .save-bar, [data-sticky-bottom]").forEach(function (bar) {
      if (getComputedStyle(bar).position === "sticky") tallest = Math.max(tallest, bar.getBoundingClientRect().height);
    });
    if (tallest) document.documentElement.style.scrollPaddingBottom = Math.ceil(tallest + 16) + "px";
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

  window.addEventListener("resize", function () {
    markScrollingTables();
    clearStickyBars();
  });
  document.addEventListener("htmx:afterSettle", markScrollingTables);
  function ready() {
    markScrollingTables();
    clearStickyBars();
    focusFirstError();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
