/* The candidate's page, progressively enhanced. Without JavaScript every page is a plain form:
 * the zone select has a "Show" button and the week grid is a table of checkboxes, all weeks one under another.
 * With it: the zone comes from the browser (Intl), the select applies itself, the grid shows one week at a time
 * and half-hours are marked by clicking, tapping or dragging. Vanilla JS, no inline script (CSP: script-src 'self').
 */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Some browsers report old zone names; the server knows the current ones.
  var CURRENT_NAMES = { "Asia/Calcutta": "Asia/Kolkata", "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Katmandu": "Asia/Kathmandu", "Asia/Rangoon": "Asia/Yangon", "Europe/Kiev": "Europe/Kyiv",
    "Etc/UTC": "UTC" };

  function browserZone() {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      return CURRENT_NAMES[zone] || zone;
    } catch (e) {
      return "";
    }
  }

  // 1. Time zone: on a page whose zone the candidate has not chosen yet, show it in the browser's zone.
  function detectZone() {
    var body = document.body;
    var select = document.querySelector("[data-zone-select]");
    if (!select) return;
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
    if (body.getAttribute("data-tz-explicit") !== "0") return;
    var zone = browserZone();
    if (!zone || zone === body.getAttribute("data-tz")) return;
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
    if (!known) return;
    var url = new URL(window.location.href);
    if (url.searchParams.has("tz")) return;
    url.searchParams.set("tz", zone);
    window.location.replace(url.toString());
  }

  // 2. The week grid.
  function setupGrid(form) {
    var weeks = Array.prototype.slice.call(form.querySelectorAll("[data-week]"));
    var counter = form.querySelector("[data-count]");
    var current = 0;

    function cellOf(input) { return input.closest("td"); }

    function paint(input) {
      cellOf(input).classList.toggle("is-on", input.checked);
    }

    function count() {
      var n = form.querySelectorAll('input[name="slot"]:checked').length;
      var hours = n / 2;
      if (counter) counter.textContent = hours + (hours === 1 ? " hour" : " hours") + " marked";
    }

    function show(index) {
      current = Math.max(0, Math.min(weeks.length - 1, index));
      weeks.forEach(function (week, i) {
        week.hidden = i !== current;
        var prev = week.querySelector("[data-week-prev]");
        var next = week.querySelector("[data-week-next]");
        if (prev) prev.disabled = i === 0;
        if (next) next.disabled = i === weeks.length - 1;
      });
    }

    // Start on the first week with something marked, else the first week with a weekday to choose (the
    // server marks it data-start: a range that begins on a Saturday does not open on a weekend-only week).
    var start = Math.max(0, weeks.findIndex(function (week) { return week.hasAttribute("data-start"); }));
    weeks.some(function (week, i) {
      if (week.querySelector('input[name="slot"]:checked')) { start = i; return true; }
      return false;
    });
    show(start);
    if (weeks.length === 1) weeks[0].querySelector(".week-head").classList.add("single");

    form.addEventListener("click", function (event) {
      var target = event.target;
      if (target.closest("[data-week-prev]")) { show(current - 1); }
      else if (target.closest("[data-week-next]")) { show(current + 1); }
    });

    var inputs = form.querySelectorAll('input[name="slot"]');
    Array.prototype.forEach.call(inputs, function (input) {
      paint(input);
      input.addEventListener("change", function () { paint(input); count(); });
    });

    // Drag to mark (mouse and pen). A tap, or the keyboard, toggles one half-hour through its checkbox.
    var dragging = false;
    var mode = true;
    var swallowClick = false;
    form.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "touch" || event.button !== 0) return;
      var label = event.target.closest("td.slot label");
      if (!label) return;
      var input = label.querySelector("input");
      dragging = true;
      swallowClick = true;  // the label's click would toggle the box a second time
      mode = !input.checked;
      event.preventDefault();
      input.checked = mode;
      input.focus({ preventScroll: true });
      paint(input);
      count();
    });
    form.addEventListener("pointerover", function (event) {
      if (!dragging) return;
      var label = event.target.closest("td.slot label");
      if (!label) return;
      var input = label.querySelector("input");
      if (input.checked !== mode) {
        input.checked = mode;
        paint(input);
        count();
      }
    });
    document.addEventListener("pointerup", function () { dragging = false; });
    form.addEventListener("click", function (event) {
      if (swallowClick && event.target.closest("td.slot label")) {
        event.preventDefault();
      }
      swallowClick = false;
    }, true);
    count();
  }

  document.addEventListener("DOMContentLoaded", function () {
    detectZone();
    var form = document.querySelector("[data-availability]");
    if (form) setupGrid(form);
  });
})();
