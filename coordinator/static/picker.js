/* The people picker: turns a list of people (a multiple select, or a table of checkboxes) into a search box with the
   chosen people shown as removable chips. Vanilla JS, loaded as a file (CSP: script-src 'self').

   The native control stays in the page, hidden, and remains the form field that is submitted: every pick and
   every removal sets its option or checkbox, and the chips are drawn from it. Without this file the page shows the
   native list as before. The people's facts (zone, focus areas, interviews this week, free in the window) are
   rendered by the server once per page in a <template>; nothing here builds markup from data but the chips' text.

   Keyboard (the combobox pattern): type to filter by name, title, focus area or zone; Down and Up move through
   the matches; Enter adds or removes the highlighted person (the first match when none is highlighted); Escape
   closes the list. Each chip's button removes that person. */
(function () {
  "use strict";

  function fold(text) {
    return (text || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function enhance(root) {
    var native = root.querySelector("[data-picker-native]");
    var ui = root.querySelector("[data-picker-ui]");
    var facts = document.getElementById(root.getAttribute("data-picker-facts"));
    if (!native || !ui || !facts) { return; }
    var input = ui.querySelector("[data-picker-input]");
    var list = ui.querySelector("[data-picker-list]");
    var chips = ui.querySelector("[data-picker-chips]");
    var none = ui.querySelector("[data-picker-none]");
    var count = ui.querySelector("[data-picker-count]");

    // The submitted controls, by person id: <option>s of a select, or checkboxes.
    var controls = {};
    native.querySelectorAll("select[multiple] option, input[type=checkbox][value]").forEach(function (c) {
      if (c.tagName === "OPTION" || c.name === root.getAttribute("data-picker-name")) { controls[c.value] = c; }
    });
    function isOn(id) { var c = controls[id]; return c.tagName === "OPTION" ? c.selected : c.checked; }
    function setOn(id, on) {
      var c = controls[id];
      if (c.tagName === "OPTION") { c.selected = on; } else { c.checked = on; }
      c.dispatchEvent(new Event("change", {bubbles: true}));
    }

    // One option per person in the native list, in its order, cloned from the server's facts.
    var items = [];
    var byId = {};
    Object.keys(controls).forEach(function (id) {
      var source = facts.content.querySelector('[data-id="' + id + '"]');
      var item;
      if (source) {
        item = source.cloneNode(true);
      } else {  // someone the facts do not cover: their name only
        item = document.createElement("li");
        item.className = "pk-person";
        item.setAttribute("data-name", controls[id].textContent.trim());
        item.setAttribute("data-search", fold(controls[id].textContent));
        item.textContent = controls[id].textContent;
      }
      item.id = list.id + "-" + id;
      item.setAttribute("role", "option");
      item.setAttribute("data-id", id);
      item.setAttribute("data-search", fold(item.getAttribute("data-search")));
      list.appendChild(item);
      items.push(item);
      byId[id] = item;
    });

    var active = null;
    function visible() { return items.filter(function (it) { return !it.hidden; }); }
    function setActive(item) {
      if (active) { active.classList.remove("pk-active"); }
      active = item;
      if (item) {
        item.classList.add("pk-active");
        input.setAttribute("aria-activedescendant", item.id);
        item.scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function open() {
      list.hidden = false;
      count.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    function close() {
      list.hidden = true;
      count.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(null);
    }

    function filter() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var n = 0;
      items.forEach(function (it) {
        var text = it.getAttribute("data-search");
        var show = words.every(function (w) { return text.indexOf(w) !== -1; });
        it.hidden = !show;
        if (show) { n += 1; }
      });
      if (active && active.hidden) { setActive(null); }
      count.textContent = n === 1 ? "1 person matches." : n + " people match.";
    }

    function draw() {
      chips.textContent = "";
      var chosen = 0;
      items.forEach(function (it) {
        var id = it.getAttribute("data-id");
        var on = isOn(id);
        it.setAttribute("aria-selected", on ? "true" : "false");
        if (!on) { return; }
        chosen += 1;
        var name = it.getAttribute("data-name");
        var chip = document.createElement("li");
        chip.className = "pk-chip";
        var text = document.createElement("span");
        text.textContent = name;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "pk-remove";
        remove.setAttribute("aria-label", "Remove " + name);
        remove.setAttribute("data-id", id);
        remove.textContent = "\u00d7";
        chip.appendChild(text);
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      chips.hidden = chosen === 0;
      none.hidden = chosen > 0;
    }

    function toggle(item) {
      var id = item.getAttribute("data-id");
      setOn(id, !isOn(id));
      draw();
    }

    input.addEventListener("input", function () { open(); filter(); });
    input.addEventListener("focus", function () { open(); filter(); });
    input.addEventListener("keydown", function (e) {
      var shown = visible();
      var at = active ? shown.indexOf(active) : -1;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        open();
        setActive(shown[Math.min(at + 1, shown.length - 1)] || null);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        setActive(at > 0 ? shown[at - 1] : null);
      } else if (e.key === "Enter") {
        e.preventDefault();  // never submits the form from the search box
        var pick = active || (input.value.trim() ? shown[0] : null);
        if (pick) {
          toggle(pick);
          if (!active) { input.value = ""; filter(); }
        }
      } else if (e.key === "Escape") {
        if (!list.hidden) { e.preventDefault(); close(); }
      }
    });
    // A click on a person picks them; mousedown keeps the focus in the search box.
    list.addEventListener("mousedown", function (e) { e.preventDefault(); });
    list.addEventListener("click", function (e) {
      var item = e.target.closest('[role="option"]');
      if (item) { setActive(item); toggle(item); input.focus(); }
    });
    chips.addEventListener("click", function (e) {
      var button = e.target.closest(".pk-remove");
      if (!button) { return; }
      var id = button.getAttribute("data-id");
      var next = button.closest("li").nextElementSibling || button.closest("li").previousElementSibling;
      var nextId = next && next.querySelector(".pk-remove").getAttribute("data-id");
      setOn(id, false);
      draw();
      // Keep the keyboard user's place: the neighbouring chip's button, else the search box.
      var target = nextId && chips.querySelector('.pk-remove[data-id="' + nextId + '"]');
      (target || input).focus();
    });
    ui.addEventListener("focusout", function (e) {
      if (!ui.contains(e.relatedTarget)) { close(); }
    });

    native.hidden = true;
    ui.hidden = false;
    close();
    filter();
    draw();
  }

  document.querySelectorAll("[data-picker]").forEach(enhance);
}());
