#!/usr/bin/env python3
"""webhook-report.py LOG [checks] -- reads webhook-server.py's request log,
prints a summary and checks it (exit 1 with the reasons when a check fails).

Every request must have gone to the versioned path (/api/v10/) with
allowed_mentions {"parse": []}, at most 10 embeds and 6000 characters.
An embed is identified by its "Event ID" field; a digest ("📊 N events
processed") by its title, its per-type fields "N processed, M failed"; a
grouped failure embed ("<icon> TYPE event failed ×N") and an overflow
embed ("❗ N more failures") by their titles: the Event IDs they list
(", "-separated "Event IDs" fields, a grouped one ending "… and K more",
an overflow one with a "Not listed" field "K more: ...") count as those
events' embeds, and the K they only count are events accounted for
without their id. A grouped embed must list and count exactly its N.

Checks:
  --events N        every event is accounted for: own embeds + ids listed
                    or counted in grouped and overflow embeds + digest
                    counts == N (and no event id delivered twice)
  --all-embeds      every one of the N events has an embed of its own or
                    a place in a grouped one (no digest, no overflow)
  --fails F         F failures (red), each delivered once: in its own
                    embed, a grouped one or an overflow one; none digested
  --min-grouped G   at least G events in grouped embeds
  --max-requests R  at most R requests in all
  --max-429 K       at most K answers 429
  --violations V    exactly V rate-limit violations (default 0)
  --max-400 K       at most K answers 400 (default 0: every payload valid)
  --summary FILE    also write the summary as JSON to FILE
"""
import argparse
import json
import re
import sys

ap = argparse.ArgumentParser()
ap.add_argument("log")
ap.add_argument("--events", type=int)
ap.add_argument("--all-embeds", action="store_true")
ap.add_argument("--fails", type=int)
ap.add_argument("--min-grouped", type=int)
ap.add_argument("--max-requests", type=int)
ap.add_argument("--max-429", type=int)
ap.add_argument("--violations", type=int, default=0)
ap.add_argument("--max-400", type=int, default=0)
ap.add_argument("--summary")
# After a lost assignment events run again (at least once) and are
# notified again: duplicates are then allowed and --events is a minimum.
ap.add_argument("--allow-duplicates", action="store_true")
a = ap.parse_args()

recs = [json.loads(line) for line in open(a.log, encoding="utf-8")]
problems = []
status = {}
ids = {}
red = set()
digested = {"processed": 0, "failed": 0}
digests = 0
grouped = {"embeds": 0, "events": 0, "unlisted": 0}
overflow = {"embeds": 0, "events": 0, "unlisted": 0}
per_request = []
GROUP_TITLE = re.compile(r"^(?:\S+ )?(\S+) event failed \u00d7(\d+)$")
OVERFLOW_TITLE = re.compile(r"^\u2757 (\d+) more failures$")
MORE = re.compile(r"^\u2026 and (\d+) more$")


def count_id(eid, is_red):
    ids[eid] = ids.get(eid, 0) + 1
    if is_red:
        red.add(eid)


def listed_ids(value):
    """Event IDs of one "Event IDs" field; (ids, the K of "… and K more")."""
    lines = value.split("\n")
    more = 0
    m = MORE.match(lines[-1])
    if m:
        more = int(m.group(1))
        lines = lines[:-1]
    out = []
    for line in lines:
        out += [x for x in line.split(", ") if x]
    return out, more


for r in recs:
    status[r["status"]] = status.get(r["status"], 0) + 1
    if r.get("version") != "10":
        problems.append("request to API version %r" % r.get("version"))
    if r["status"] not in (200, 204):
        continue
    embeds = r.get("embeds") or []
    if r.get("allowed_mentions") != {"parse": []}:
        problems.append("allowed_mentions is %r" % r.get("allowed_mentions"))
    per_request.append(len(embeds))
    for e in embeds:
        if e.get("title", "").startswith("\U0001f4ca"):
            digests += 1
            for f in e.get("fields", []):
                m = re.match(r"^(\d+) processed, (\d+) failed$", f["value"])
                if m:
                    digested["processed"] += int(m.group(1))
                    digested["failed"] += int(m.group(2))
            continue
        title = e.get("title", "")
        m = GROUP_TITLE.match(title)
        if m and e.get("color") == 15158332:
            n, listed, more = int(m.group(2)), [], 0
            for f in e.get("fields", []):
                if f["name"] == "Event IDs":
                    got, k = listed_ids(f["value"])
                    listed += got
                    more += k
            if len(listed) + more != n:
                problems.append("grouped embed %r lists %d and counts %d more"
                                % (title, len(listed), more))
            names = [f["name"] for f in e.get("fields", [])]
            for want in ("Error", "First", "Last", "Event IDs"):
                if want not in names:
                    problems.append("grouped embed %r has no %s field" % (title, want))
            grouped["embeds"] += 1
            grouped["events"] += n
            grouped["unlisted"] += more
            for eid in listed:
                count_id(eid, True)
            continue
        m = OVERFLOW_TITLE.match(title)
        if m:
            n, listed, more = int(m.group(1)), [], 0
            if e.get("color") != 15158332:
                problems.append("overflow embed %r is not red" % title)
            for f in e.get("fields", []):
                if f["name"] == "Event IDs":
                    listed += listed_ids(f["value"])[0]
                elif f["name"] == "Not listed":
                    more += int(f["value"].split()[0])
            if len(listed) + more != n:
                problems.append("overflow embed %r lists %d and counts %d more"
                                % (title, len(listed), more))
            overflow["embeds"] += 1
            overflow["events"] += n
            overflow["unlisted"] += more
            for eid in listed:
                count_id(eid, True)
            continue
        eid = [f["value"] for f in e.get("fields", []) if f["name"] == "Event ID"]
        if len(eid) != 1:
            problems.append("embed without one Event ID: %r" % e.get("title"))
            continue
        count_id(eid[0], e.get("color") == 15158332)

dups = [k for k, v in ids.items() if v > 1]
summary = {
    "requests": len(recs),
    "status": {str(k): v for k, v in sorted(status.items())},
    "violations": sum(1 for r in recs if r.get("violation")),
    "delivered_requests": len(per_request),
    "embeds": sum(ids.values()),
    "distinct_embeds": len(ids),
    "failure_embeds": len(red),
    "digests": digests,
    "digested": digested,
    "grouped": grouped,
    "overflow": overflow,
    "mean_embeds_per_request": round(sum(per_request) / len(per_request), 2) if per_request else 0,
    "connections": len(set(r["conn"] for r in recs)),
}
if dups and not a.allow_duplicates:
    problems.append("%d embeds delivered more than once (%s ...)" % (len(dups), dups[0]))
if summary["violations"] != a.violations:
    problems.append("%d rate-limit violations (expected %d)" % (summary["violations"], a.violations))
if a.max_requests is not None and len(recs) > a.max_requests:
    problems.append("%d requests (at most %d expected)" % (len(recs), a.max_requests))
if a.max_429 is not None and status.get(429, 0) > a.max_429:
    problems.append("%d answers 429 (at most %d)" % (status.get(429, 0), a.max_429))
if status.get(400, 0) > a.max_400:
    problems.append("%d answers 400 (at most %d): %r" % (status.get(400, 0), a.max_400,
                    [r.get("errors") for r in recs if r["status"] == 400][:3]))
unlisted = grouped["unlisted"] + overflow["unlisted"]
if a.events is not None:
    total = len(ids) + unlisted + digested["processed"] + digested["failed"]
    if total != a.events and not (a.allow_duplicates and total >= a.events):
        problems.append("ids in embeds %d + counted without id %d + digested %d = %d, "
                        "expected %d" % (len(ids), unlisted,
                                         digested["processed"] + digested["failed"],
                                         total, a.events))
    if a.all_embeds and (len(ids) + grouped["unlisted"] != a.events or overflow["events"]):
        problems.append("%d events have an embed of their own or a grouped one "
                        "(%d overflowed), expected %d"
                        % (len(ids) + grouped["unlisted"], overflow["events"], a.events))
if a.fails is not None:
    if len(red) + unlisted != a.fails or digested["failed"] != 0:
        problems.append("%d failures delivered (%d without their id) and %d digested, "
                        "expected %d and 0" % (len(red) + unlisted, unlisted,
                                               digested["failed"], a.fails))
if a.min_grouped is not None and grouped["events"] < a.min_grouped:
    problems.append("%d events in grouped embeds, expected at least %d"
                    % (grouped["events"], a.min_grouped))
print("webhook: " + json.dumps(summary, ensure_ascii=False))
if a.summary:
    with open(a.summary, "w") as f:
        json.dump(summary, f)
for p in problems:
    print("webhook check failed: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
