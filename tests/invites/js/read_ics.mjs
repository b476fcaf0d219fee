// Reads iCalendar objects on stdin with Mozilla's ical.js (the parser inside Thunderbird) and prints
// JSON on stdout: METHOD and, per VEVENT, UID, SEQUENCE, STATUS, start/end as UTC epoch seconds, the TZID
// ical.js resolved, organizer and attendees. Every VTIMEZONE of the file is registered first, so the UTC
// times come from the file's own VTIMEZONE definitions (not from a built-in database).
import { readFileSync } from "node:fs";
import ICAL from "ical.js";


function address(prop) {
  if (!prop) return null;
  const out = { value: prop.getFirstValue() };
  for (const name of ["cn", "role", "partstat", "rsvp", "cutype"]) {
    const v = prop.getParameter(name);
    if (v !== undefined && v !== null) out[name] = String(v);
  }
  return out;
}

function instant(time) {
  if (!time) return null;
  const zone = time.zone ? time.zone.tzid : null;
  return { epoch: time.toUnixTime(), zone, local: time.toString() };
}

function read(text) {
  // Each document is read on its own: forget the zones a previous document registered.
  ICAL.TimezoneService.reset();
  const root = new ICAL.Component(ICAL.parse(text));
  const registered = [];
  for (const vtz of root.getAllSubcomponents("vtimezone")) {
    const tz = new ICAL.Timezone(vtz);
    ICAL.TimezoneService.register(tz);
    registered.push(tz.tzid);
  }
  const events = root.getAllSubcomponents("vevent").map((vevent) => {
    const ev = new ICAL.Event(vevent);
    return {
      uid: ev.uid,
      sequence: ev.sequence,
      status: vevent.getFirstPropertyValue("status"),
      summary: ev.summary,
      description: ev.description,
      location: ev.location,
      url: vevent.getFirstPropertyValue("url"),
      start: instant(ev.startDate),
      end: instant(ev.endDate),
      organizer: address(vevent.getFirstProperty("organizer")),
      attendees: vevent.getAllProperties("attendee").map(address),
    };
  });
  return {
    method: root.getFirstPropertyValue("method"),
    prodid: root.getFirstPropertyValue("prodid"),
    timezones: registered,
    events,
  };
}

// stdin: one .ics, or a JSON array of .ics texts (one node start for many files) -> one result or an array.
const input = readFileSync(0, "utf8");
const output = input.trimStart().startsWith("[") ? JSON.parse(input).map(read) : read(input);
process.stdout.write(JSON.stringify(output));
