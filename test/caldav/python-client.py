# A calendar client of the CalDAV tests: Debian's python3-caldav, run as
# /usr/bin/python3 python-client.py URL USER PASSWORD STEP [ARG]. Prints one
# JSON document on stdout.
import json
import sys

import caldav
from caldav.elements.base import ValuedBaseElement


class GetCTag(ValuedBaseElement):
    # Apple's collection tag, which the library knows no class for.
    tag = "{http://calendarserver.org/ns/}getctag"


url, user, password, step = sys.argv[1:5]
arg = sys.argv[5] if len(sys.argv) > 5 else None
client = caldav.DAVClient(url=url, username=user, password=password)
principal = client.principal()
calendars = principal.calendars()
calendar = calendars[0]

if step == "list":
    events = calendar.events()
    print(json.dumps({
        "principal": str(principal.url),
        "calendars": [str(c.url) for c in calendars],
        "events": sorted([{"url": str(e.url), "data": e.data} for e in events], key=lambda e: e["url"]),
    }))
elif step == "accept":
    # The attendee's copy with PARTSTAT=ACCEPTED, as a client writes it back.
    event = calendar.event_by_uid(arg)
    who = "mailto:" + user
    event.data = event.data.replace("PARTSTAT=NEEDS-ACTION;RSVP=TRUE:" + who, "PARTSTAT=ACCEPTED:" + who)
    event.save()
    print(json.dumps({"url": str(event.url)}))
elif step == "sync":
    collection = calendar.objects_by_sync_token(sync_token=arg, load_objects=True)
    print(json.dumps({
        "token": collection.sync_token,
        "objects": sorted([{"url": str(o.url), "data": o.data} for o in collection], key=lambda o: o["url"]),
    }))
elif step == "props":
    print(json.dumps({
        "addresses": principal.calendar_user_address_set(),
        "components": calendar.get_supported_components(),
        "ctag": calendar.get_property(GetCTag()),
        "token": calendar.objects_by_sync_token(load_objects=False).sync_token,
    }))
elif step == "create":
    # ARG: the calendar text; stored under the name the library makes from the UID.
    event = calendar.save_event(arg)
    print(json.dumps({"url": str(event.url)}))
elif step == "create-named":
    # ARG: "NAME|calendar text": stored under a name of the client's own.
    name, data = arg.split("|", 1)
    event = caldav.Event(client=client, url=calendar.url.join(name), data=data, parent=calendar)
    event.save()
    found = calendar.event_by_uid(event.icalendar_component["uid"])
    print(json.dumps({"url": str(event.url), "found": str(found.url), "listed": sorted(str(e.url) for e in calendar.events())}))
elif step == "update-stale":
    # ARG: the UID; the client sends its change with an entity tag that is not the current one.
    event = calendar.event_by_uid(arg)
    body = event.data.replace("SUMMARY:", "SUMMARY:Stale ")
    response = client.put(str(event.url), body, {"Content-Type": "text/calendar; charset=utf-8", "If-Match": '"not-the-current-one"'})
    print(json.dumps({"status": response.status}))
elif step == "delete":
    event = calendar.event_by_uid(arg)
    event.delete()
    print(json.dumps({"url": str(event.url)}))
else:
    raise SystemExit("unknown step " + step)
