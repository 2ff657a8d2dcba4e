#!/usr/bin/env python3
"""webhook-report.py LOG [checks] -- reads webhook-server.py's request log,
prints a summary and checks it (exit 1 with the reasons when a check fails).

Every request must have gone to the versioned path (/api/v10/) with
allowed_mentions {"parse": []}, at most 10 embeds and 6000 characters.
An embed is identified by its "Event ID" field; a digest ("📊 N events
processed") by its title, its per-type fields "N processed, M failed".

Checks:
  --events N        every event is accounted for: own embeds + digest
                    counts == N (and no embed delivered twice)
  --all-embeds      every one of the N events has its own embed (no digest)
  --fails F         F failure embeds (red), each delivered once as its own embed
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
per_request = []
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
        eid = [f["value"] for f in e.get("fields", []) if f["name"] == "Event ID"]
        if len(eid) != 1:
            problems.append("embed without one Event ID: %r" % e.get("title"))
            continue
        ids[eid[0]] = ids.get(eid[0], 0) + 1
        if e.get("color") == 15158332:
            red.add(eid[0])

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
if a.events is not None:
    total = len(ids) + digested["processed"] + digested["failed"]
    if total != a.events and not (a.allow_duplicates and total >= a.events):
        problems.append("own embeds %d + digested %d = %d, expected %d" % (
            len(ids), digested["processed"] + digested["failed"], total, a.events))
    if a.all_embeds and len(ids) != a.events:
        problems.append("%d events have their own embed, expected %d" % (len(ids), a.events))
if a.fails is not None:
    if len(red) != a.fails or digested["failed"] != 0:
        problems.append("%d failure embeds delivered and %d failures digested, expected %d and 0"
                        % (len(red), digested["failed"], a.fails))
print("webhook: " + json.dumps(summary, ensure_ascii=False))
if a.summary:
    with open(a.summary, "w") as f:
        json.dump(summary, f)
for p in problems:
    print("webhook check failed: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
