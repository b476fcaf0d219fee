/* Scorecards: save the draft when the interviewer leaves the page (tab hidden, page closed, navigation), so
   nothing typed is lost; the print buttons; the debrief's links from a rating to its evidence. The page works without this file: "Save draft" is a plain form.

   The draft goes to the form's data-autosave URL with the form's own fields (CSRF token and version included).
   A 200 answer carries the new version, which the form keeps so the next save is not taken for a stale tab; a
   409 means another tab saved in between: nothing was overwritten, and the page says how to compare. */
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Debrief: a rating in the matrix links to its area's evidence; open that details element on the way.
  function openTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (target && target.tagName === "DETAILS") { target.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave");
  var status = document.getElementById("autosave-status");
  var dirty = false;
  var submitting = false;
  var inFlight = false;
  var blocked = false;  // a conflict or an expired page: saving again needs the user

  function say(text) { if (status) { status.textContent = text; } }

  function markDirty() {
    if (blocked) { return; }
    dirty = true;
    say("Unsaved changes (saved as a draft when you leave this page)");
  }
  form.addEventListener("input", markDirty);
  form.addEventListener("change", markDirty);
  form.addEventListener("submit", function () { submitting = true; });

  function body() {
    var data = new URLSearchParams(new FormData(form));
    data.set("action", "save");
    return data;
  }

  function handle(response) {
    return response.json().then(function (answer) {
      if (response.ok && answer.ok) {
        form.elements.version.value = String(answer.version);
        say("Draft saved at " + answer.saved_at + ". Nobody else sees it until you submit.");
      } else if (response.status === 409) {
        blocked = true;
        say(answer.message);
        if (status) { status.className = "sc-overdue"; }
      } else {
        dirty = true;
        say(answer.message || "The draft could not be saved; use Save draft.");
      }
    });
  }

  function save() {
    if (!dirty || submitting || inFlight || blocked) { return; }
    dirty = false;
    inFlight = true;
    var payload = body();
    var options = { method: "POST", body: payload, credentials: "same-origin",
                    headers: { "Accept": "application/json" } };
    var request;
    try {
      // keepalive lets the request finish after the page is gone; browsers cap such bodies at 64 KB.
      request = fetch(url, Object.assign({ keepalive: payload.toString().length < 60000 }, options));
    } catch (e) {
      request = fetch(url, options);
    }
    request.then(handle).catch(function () {
      dirty = true;
      say("Not saved yet (no connection?). Use Save draft before you leave.");
    }).then(function () { inFlight = false; });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { save(); }
  });
  window.addEventListener("pagehide", save);
  // Coming back through the back button shows a page from memory whose version may be old: load it afresh.
  window.addEventListener("pageshow", function (event) { if (event.persisted) { window.location.reload(); } });
})();
