# A calendar client of the CalDAV tests: Debian's python3-caldav, run as
# /usr/bin/python3 python-client.py URL USER PASSWORD STEP [ARG]. Prints one
# JSON document on stdout.
import json
import sys

import caldav

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
else:
    raise SystemExit("unknown step " + step)
