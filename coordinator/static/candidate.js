/* The candidate's page, progressively enhanced. Without JavaScript every page is a plain form:
 * the zone select has a "Show" button and the week grid is a table of checkboxes, all weeks one under another.
 * With it: the zone comes from the browser (Intl) until the candidate picks one, the grid shows one week at a time,
 * half-hours are marked by clicking, tapping or dragging (a mouse or a finger), and the keyboard moves inside a week with the arrow keys
 * (one Tab stop per week: a roving tabindex) and marks with Space. Vanilla JS, no inline script (CSP: script-src 'self').
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
    // Choosing a zone does not reload the page by itself (3.2.2): the "Show" button applies it.
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

    // Previous / next week: the focus stays on the same button of the week now shown (or, at the first or last
    // week where that button is disabled, on the week's heading), never dropped to the top of the page.
    form.addEventListener("click", function (event) {
      var target = event.target;
      var which = target.closest("[data-week-prev]") ? "[data-week-prev]" :
        target.closest("[data-week-next]") ? "[data-week-next]" : null;
      if (!which) return;
      show(current + (which === "[data-week-prev]" ? -1 : 1));
      var button = weeks[current].querySelector(which);
      if (button && !button.disabled) button.focus();
      else {
        var heading = weeks[current].querySelector("h2");
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    });

    // Arrow keys inside a week: Up/Down a half-hour, Left/Right a day, Home/End the first/last time of the day;
    // a closed half-hour is skipped. Only one half-hour per week is in the Tab order (the last one focused).
    weeks.forEach(function (week) {
      var rows = Array.prototype.map.call(week.querySelectorAll("tbody tr"), function (tr) {
        return Array.prototype.map.call(tr.querySelectorAll("td"), function (td) {
          return td.querySelector('input[name="slot"]');
        });
      });
      var all = Array.prototype.slice.call(week.querySelectorAll('input[name="slot"]'));
      if (!all.length) return;
      var first = week.querySelector('input[name="slot"]:checked') || all[0];
      all.forEach(function (input) { input.tabIndex = input === first ? 0 : -1; });
      function where(input) {
        for (var r = 0; r < rows.length; r++) {
          var c = rows[r].indexOf(input);
          if (c >= 0) return [r, c];
        }
        return null;
      }
      function moveTo(input) {
        all.forEach(function (other) { other.tabIndex = other === input ? 0 : -1; });
        input.focus();
      }
      week.addEventListener("focusin", function (event) {
        if (all.indexOf(event.target) >= 0) moveTo(event.target);
      });
      week.addEventListener("keydown", function (event) {
        var at = all.indexOf(event.target) >= 0 ? where(event.target) : null;
        if (!at) return;
        var step = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[event.key];
        var found = null;
        if (step) {
          for (var r = at[0] + step[0], c = at[1] + step[1]; r >= 0 && r < rows.length && c >= 0 && c < rows[r].length;
               r += step[0], c += step[1]) {
            if (rows[r][c]) { found = rows[r][c]; break; }
          }
        } else if (event.key === "Home" || event.key === "End") {
          var column = rows.map(function (row) { return row[at[1]]; }).filter(Boolean);
          found = event.key === "Home" ? column[0] : column[column.length - 1];
        } else {
          return;
        }
        event.preventDefault();
        if (found) moveTo(found);
      });
    });

    var inputs = form.querySelectorAll('input[name="slot"]');
    Array.prototype.forEach.call(inputs, function (input) {
      paint(input);
      input.addEventListener("change", function () { paint(input); count(); });
    });

    // Drag to mark, with a mouse, a pen or a finger (Pointer Events). The half-hour under the pointer is found from
    // its position, not from pointerover: a touch pointer is captured by the cell it started on, so it never
    // "enters" the others. The markable cells have `touch-action: none` (candidate.css), so a finger that starts on
    // one marks instead of scrolling; the page still scrolls from the times column and everywhere outside the grid.
    // A tap or a click toggles one half-hour; the keyboard toggles through the checkbox itself.
    var dragging = null;  // the id of the pointer that is marking
    var mode = true;
    var swallowClick = false;
    function mark(input) {
      if (input.checked === mode) return;
      input.checked = mode;
      paint(input);
      count();
    }
    function slotAt(x, y) {
      var el = document.elementFromPoint(x, y);
      var label = el && el.closest ? el.closest("td.slot label") : null;
      return label && form.contains(label) && !label.closest("[hidden]") ? label.querySelector("input") : null;
    }
    form.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || !event.isPrimary) return;
      var label = event.target.closest("td.slot label");
      if (!label) return;
      var input = label.querySelector("input");
      dragging = event.pointerId;
      swallowClick = true;  // the label's click would toggle the box a second time
      mode = !input.checked;
      event.preventDefault();
      if (event.target.hasPointerCapture && event.target.hasPointerCapture(event.pointerId)) {
        event.target.releasePointerCapture(event.pointerId);
      }
      input.focus({ preventScroll: true });
      mark(input);
    });
    document.addEventListener("pointermove", function (event) {
      if (event.pointerId !== dragging) return;
      var input = slotAt(event.clientX, event.clientY);
      if (input) mark(input);
    });
    function stop(event) { if (event.pointerId === dragging) dragging = null; }
    document.addEventListener("pointerup", stop);
    document.addEventListener("pointercancel", stop);
    form.addEventListener("click", function (event) {
      // Only a pointer's click (detail > 0) is swallowed: Space on a focused half-hour still toggles it.
      if (swallowClick && event.detail > 0 && event.target.closest("td.slot label")) {
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
