/* The scheduling board: drag (interact.js), click or keyboard to say which session goes to which time; the server
   checks every move and answers with the board again (htmx swaps #board). No scheduling rule lives here. */
(function () {
  'use strict';

  var picked = null;        // the session id picked up for click or keyboard placing
  var lastSlot = null;      // {row, i} of the slot last used, to give focus back after the board is swapped
  var justDragged = false;

  function board() { return document.getElementById('board'); }
  function live(text) {
    var el = document.getElementById('board-live');
    if (el) { el.textContent = text; }
  }

  function post(url, values) {
    var b = board();
    var data = { csrf_token: b.dataset.csrf, day: b.dataset.day, mode: b.dataset.mode };
    Object.keys(values).forEach(function (k) { data[k] = values[k]; });
    window.htmx.ajax('POST', url, { target: '#board', swap: 'outerHTML', values: data });
  }

  function titleOf(sessionId) {
    var card = document.querySelector('.board-card[data-session="' + sessionId + '"] strong');
    return card ? card.textContent : 'the session';
  }

  /* Put `sessionId` at `slot`; on a pool member's row (of that session's pool) that person is picked. */
  function placeAt(sessionId, slot) {
    var row = slot.closest('[data-row]');
    var values = { session_id: sessionId, start: slot.dataset.start };
    var pools = (row.dataset.poolOf || '').split(',');
    if (row.dataset.person && pools.indexOf(String(sessionId)) >= 0) { values.person_id = row.dataset.person; }
    lastSlot = { row: row.dataset.row, i: slot.dataset.i };
    live('Placing ' + titleOf(sessionId) + ' at ' + slot.getAttribute('aria-label') + '…');
    setPicked(null);
    post(board().dataset.placeUrl, values);
  }

  function setPicked(sessionId) {
    picked = sessionId;
    document.querySelectorAll('#board [data-session][aria-pressed]').forEach(function (el) {
      el.setAttribute('aria-pressed', String(sessionId !== null && el.dataset.session === String(sessionId)));
    });
    var grid = document.querySelector('#board .board-grid');
    if (grid) { grid.classList.toggle('picking', sessionId !== null); }
  }

  function currentSlot() {
    return document.querySelector('#board .slot[tabindex="0"]') || document.querySelector('#board .slot');
  }

  function focusSlot(slot) {
    if (!slot) { return; }
    document.querySelectorAll('#board .slot[tabindex="0"]').forEach(function (s) { s.setAttribute('tabindex', '-1'); });
    slot.setAttribute('tabindex', '0');
    slot.focus({ preventScroll: false });
  }

  /* The slot under the left edge of a session on the board (its own start, on its own row), so moving it by
     keyboard starts the arrows where it is. */
  function slotOfChip(chip) {
    var row = chip.closest('[data-row]');
    var slots = row ? row.querySelectorAll('.slot') : [];
    if (!slots.length) { return null; }
    var i = Math.round(parseFloat(chip.style.left) * slots.length / 100);
    return row.querySelector('.slot[data-i="' + Math.max(0, Math.min(slots.length - 1, i)) + '"]');
  }

  function pick(sessionId, source) {
    if (picked === sessionId) {
      setPicked(null);
      live('Put down.');
      return;
    }
    setPicked(sessionId);
    live('Picked up ' + titleOf(sessionId) + '. Choose a time with the arrow keys and press Enter, or click one; Escape puts it down.');
    focusSlot((source && source.classList.contains('chip') && slotOfChip(source)) || currentSlot());
  }

  document.addEventListener('click', function (ev) {
    if (!board() || !board().contains(ev.target)) { return; }
    if (justDragged) { ev.preventDefault(); return; }
    var source = ev.target.closest('.chip-source, .chip[data-session]');
    if (source) { ev.preventDefault(); pick(source.dataset.session, source); return; }
    var slot = ev.target.closest('.slot');
    if (slot) {
      if (picked !== null) { placeAt(picked, slot); } else { live('Pick up a session first: its "Pick up" button, or the session on the board.'); }
    }
  });

  document.addEventListener('keydown', function (ev) {
    var slot = ev.target.closest && ev.target.closest('#board .slot');
    if (ev.key === 'Escape' && picked !== null) { setPicked(null); live('Put down.'); return; }
    if (!slot) { return; }
    var i = Number(slot.dataset.i);
    var row = slot.closest('[data-row]');
    var target = null;
    if (ev.key === 'ArrowRight') { target = row.querySelector('.slot[data-i="' + (i + 1) + '"]'); }
    else if (ev.key === 'ArrowLeft') { target = row.querySelector('.slot[data-i="' + (i - 1) + '"]'); }
    else if (ev.key === 'Home') { target = row.querySelector('.slot'); }
    else if (ev.key === 'End') { var all = row.querySelectorAll('.slot'); target = all[all.length - 1]; }
    else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      var next = ev.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
      if (next && next.dataset.row) { target = next.querySelector('.slot[data-i="' + i + '"]'); }
    }
    if (target) { ev.preventDefault(); focusSlot(target); }
  });

  /* Dragging: a floating label follows the pointer; where its left edge lands says the time (and the row). */
  var ghost = null;
  var grab = 0;

  function slotUnder(x, y) {
    var found = null;
    document.elementsFromPoint(x, y).some(function (el) {
      if (el.classList && el.classList.contains('slot')) { found = el; return true; }
      return false;
    });
    return found;
  }

  /* The time slots of every row, made here from the board's one list of times (the page would be ten times the
     size with a button per slot and person written out); without script the lists beside each session place it. */
  function buildSlots() {
    var b = board();
    if (!b || !b.dataset.slots) { return; }
    var starts = JSON.parse(b.dataset.slots);
    var labels = JSON.parse(b.dataset.slotLabels);
    var width = 100 / starts.length;
    var first = !b.querySelector('.slot[tabindex="0"]');
    b.querySelectorAll('.slot-layer').forEach(function (layer) {
      if (layer.firstChild) { return; }  // a row that was not redrawn keeps its slots
      var name = layer.dataset.name;
      var frag = document.createDocumentFragment();
      for (var i = 0; i < starts.length; i += 1) {
        var btn = document.createElement('button');
        btn.type = 'button';
        btn.className = 'slot';
        btn.tabIndex = first ? 0 : -1;
        first = false;
        btn.style.left = (i * width) + '%';
        btn.style.width = width + '%';
        btn.dataset.start = starts[i];
        btn.dataset.i = String(i);
        btn.setAttribute('aria-label', labels[i] + ', ' + name);
        frag.appendChild(btn);
      }
      layer.appendChild(frag);
    });
  }

  function marked() { return document.querySelector('#board .slot.drop-target'); }

  function setup() {
    if (!window.interact) { return; }
    window.interact('#board .chip[data-session], #board .chip-source').draggable({
      autoScroll: true,
      listeners: {
        start: function (ev) {
          var el = ev.target;
          var rect = el.getBoundingClientRect();
          grab = el.classList.contains('chip') ? Math.min(ev.clientX - rect.left, rect.width) : 6;
          ghost = document.createElement('div');
          ghost.className = 'drag-ghost';
          ghost.textContent = titleOf(el.dataset.session);
          document.body.appendChild(ghost);
          el.classList.add('dragging');
        },
        move: function (ev) {
          if (!ghost) { return; }
          var x = ev.clientX - grab;
          ghost.style.left = x + 'px';
          ghost.style.top = (ev.clientY - 12) + 'px';
          var old = marked();
          if (old) { old.classList.remove('drop-target'); }
          var slot = slotUnder(x + 2, ev.clientY);
          if (slot) { slot.classList.add('drop-target'); }
        },
        end: function (ev) {
          var el = ev.target;
          el.classList.remove('dragging');
          if (ghost) { ghost.remove(); ghost = null; }
          var slot = marked();
          if (slot) { slot.classList.remove('drop-target'); }
          justDragged = true;
          window.setTimeout(function () { justDragged = false; }, 80);
          if (slot) { placeAt(el.dataset.session, slot); }
        }
      }
    });
  }

  /* After a move: the parts it changed were swapped in by id (the rows redrawn have empty slot layers). */
  document.addEventListener('htmx:afterSettle', function () {
    buildSlots();
    var reason = document.getElementById('board-reason');
    if (reason) { reason.focus(); return; }
    var alert = document.querySelector('#board-status [role="alert"]');
    if (alert) { live(alert.textContent.replace(/\s+/g, ' ').trim()); }
    if (lastSlot) {
      var slot = document.querySelector('#board [data-row="' + lastSlot.row + '"] .slot[data-i="' + lastSlot.i + '"]');
      lastSlot = null;
      if (slot) { focusSlot(slot); }
    }
  });

  function start() { buildSlots(); setup(); }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
}());
