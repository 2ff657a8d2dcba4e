#!/usr/bin/env python3
"""webhook-server.py -- a local stand-in for Discord's webhook endpoint.

Discord is not reachable from the test machines, so the integration tests
and bench/notify post to this server, which behaves like Discord where
sipeatd depends on it and records everything for the tests to check:

  POST /api/webhooks/ID/TOKEN and /api/vN/webhooks/ID/TOKEN (?wait=true
  answers 200 with a message object, else 204).

  400 {"code":50035,"message":"Invalid Form Body","errors":{...}} for
  anything Discord refuses: more than 10 embeds, more than 25 fields, an
  empty field name or value, title > 256, description > 4096, field name >
  256, field value > 1024, footer > 2048, author name > 256, more than 6000
  characters over all embeds, content > 2000, username > 80, an empty
  message, invalid UTF-8 or JSON. Lengths are UTF-16 code units, as
  discord.js and any JavaScript validator count them (.length: "😀" is 2),
  for every limit and for the 6000 total.

  401 code 50027 for a wrong token, 404 code 10015 for an unknown id.
  --hook ID/TOKEN (repeatable) adds webhooks beside --id/--token; each
  request's record names its webhook ("hook": ID).

  Mentions, as Discord decides them: "content" is scanned for <@ID>,
  <@!ID>, <@&ID>, @everyone and @here, and each pings when allowed_mentions
  allows it (no allowed_mentions: everything pings). What would ping is
  recorded ("pings"); a payload that would ping anything not given with
  --intend MENTION (repeatable; none by default) is refused with 400, as
  is an allowed_mentions Discord refuses ("roles" in parse and a roles
  list, same for users). thread_id in the query string is recorded
  ("query"); --require-thread ID (repeatable) answers 400 code 220001 (a
  forum channel) to a request for webhook ID without it. "flags" and the payload's keys are recorded.

  One bucket per webhook (default 5 requests per 2 s, a fixed window that
  opens with its first request). Every answer carries X-RateLimit-Limit,
  -Remaining, -Reset, -Reset-After and -Bucket; past the limit, 429
  {"message":..., "retry_after": seconds (float), "global": false} and
  Retry-After.

  Faults: --slow ID=S holds every request to webhook ID for S seconds
  (its bucket counts it on arrival); --fail-for S answers 500 for the
  first S seconds after start;
  --hang-for S holds every request until S seconds after start; --poison S
  refuses (400, "fields.0.name" required, as for an empty field name) every
  embed whose JSON contains S, as if it carried a field Discord rejects.

Violations are counted, not prevented: a request that arrives after the
client was told Remaining 0 in the current window, or before a 429's
retry_after has passed. Every request is one JSON line in --log: time,
connection number, path kind, status, violation (null or why), embeds and
content of the payload when it parsed. The token is never written there.

Usage: webhook-server.py --port-file F --log F [--id ID] [--token T]
       [--hook ID/TOKEN]... [--limit N] [--window S] [--fail-for S]
       [--hang-for S] [--poison S] [--intend MENTION]... [--require-thread ID]...
       [--slow ID=S]...
"""
import argparse
import http.server
import itertools
import json
import math
import os
import re
import signal
import sys
import threading
import time

PATH_RE = re.compile(r"^/api(/v(\d+))?/webhooks/([^/?]+)/([^/?]+)/?(\?.*)?$")
MENTION_RE = re.compile(r"<@(!?|&)(\d+)>|@(everyone|here)")


def pings(p):
    """(what the content would ping, Discord's refusal or None), as Discord
    decides it from content and allowed_mentions."""
    content = p.get("content")
    if not isinstance(content, str):
        return [], None
    am = p.get("allowed_mentions")
    if am is None:
        parse, roles, users = {"users", "roles", "everyone"}, set(), set()
    elif not isinstance(am, dict):
        return [], "allowed_mentions: Must be an object."
    else:
        parse = set(am.get("parse") or [])
        roles, users = set(am.get("roles") or []), set(am.get("users") or [])
        if "roles" in parse and roles:
            return [], "allowed_mentions: parse roles and roles are mutually exclusive"
        if "users" in parse and users:
            return [], "allowed_mentions: parse users and users are mutually exclusive"
    out = []
    for m in MENTION_RE.finditer(content):
        kind, ident, mass = m.group(1), m.group(2), m.group(3)
        if mass is not None:
            if "everyone" in parse:
                out.append("@" + mass)
        elif kind == "&":
            if "roles" in parse or ident in roles:
                out.append("<@&%s>" % ident)
        elif "users" in parse or ident in users:
            out.append("<@%s>" % ident)
    return out, None


def units(s):
    """Length of s in UTF-16 code units, as JavaScript's .length."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2 if isinstance(s, str) else 0


def too_long(errors, key, value, limit):
    if isinstance(value, str) and units(value) > limit:
        errors[key] = "Must be %d or fewer in length." % limit


def validate(raw, poison=None):
    """Returns (payload or None, errors dict); errors empty when Discord accepts.
    An embed whose JSON contains poison is refused as an empty field name."""
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        return None, {"_utf8": str(e)}
    try:
        p = json.loads(text)
    except ValueError as e:
        return None, {"_json": str(e)}
    if not isinstance(p, dict):
        return None, {"_json": "not an object"}
    errors = {}
    content = p.get("content")
    if content is not None:
        if not isinstance(content, str):
            errors["content"] = "Must be a string."
        too_long(errors, "content", content, 2000)
    too_long(errors, "username", p.get("username"), 80)
    embeds = p.get("embeds") or []
    if not isinstance(embeds, list):
        errors["embeds"] = "Must be an array."
        embeds = []
    if len(embeds) > 10:
        errors["embeds"] = "Must be 10 or fewer in length."
    if not content and not embeds:
        errors["_message"] = "Cannot send an empty message"
    total = 0
    for i, e in enumerate(embeds):
        k = "embeds.%d" % i
        if not isinstance(e, dict):
            errors[k] = "Must be an object."
            continue
        if poison and poison in json.dumps(e, ensure_ascii=False, separators=(",", ":")):
            errors[k + ".fields.0.name"] = "This field is required"
        for name, limit in (("title", 256), ("description", 4096)):
            v = e.get(name)
            if v is not None:
                too_long(errors, "%s.%s" % (k, name), v, limit)
                total += units(v)
        footer = e.get("footer")
        if isinstance(footer, dict) and footer.get("text") is not None:
            too_long(errors, k + ".footer.text", footer["text"], 2048)
            total += units(footer["text"])
        author = e.get("author")
        if isinstance(author, dict) and author.get("name") is not None:
            too_long(errors, k + ".author.name", author["name"], 256)
            total += units(author["name"])
        fields = e.get("fields") or []
        if len(fields) > 25:
            errors[k + ".fields"] = "Must be 25 or fewer in length."
        for j, f in enumerate(fields):
            fk = "%s.fields.%d" % (k, j)
            name, value = f.get("name"), f.get("value")
            if not isinstance(name, str) or not name.strip():
                errors[fk + ".name"] = "This field is required"
            if not isinstance(value, str) or not value.strip():
                errors[fk + ".value"] = "This field is required"
            too_long(errors, fk + ".name", name, 256)
            too_long(errors, fk + ".value", value, 1024)
            total += units(name)
            total += units(value)
    if total > 6000:
        errors["embeds"] = "Embed size exceeds maximum size of 6000"
    return p, errors


class Bucket:
    """One webhook's rate limit: a fixed window, and what the client was told."""
    def __init__(self):
        self.window_end = None
        self.count = 0
        self.told_zero = False
        self.retry_until = None


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.start = time.monotonic()
        self.tokens = {args.id: args.token}
        for h in args.hook:
            i, _, t = h.partition("/")
            self.tokens[i] = t
        self.buckets = {i: Bucket() for i in self.tokens}
        self.conn_ids = itertools.count(1)
        self.log = open(args.log, "a", encoding="utf-8")

    def write(self, rec):
        with self.lock:
            self.log.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self.log.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-discord/1"

    def setup(self):
        super().setup()
        self.conn = next(STATE.conn_ids)

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, body, headers):
        data = b"" if body is None else json.dumps(body).encode()
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass

    def do_GET(self):
        self.answer(405, {"message": "405: Method Not Allowed", "code": 0}, {})

    def do_POST(self):
        st, a = STATE, STATE.args
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        arrived = time.monotonic()
        rec = {"t": round(time.time(), 3), "conn": self.conn, "status": None,
               "violation": None}
        m = PATH_RE.match(self.path)
        rec["version"] = m.group(2) if m else None
        wait = bool(m and m.group(5) and "wait=true" in m.group(5))

        def done(status, body, headers=None):
            rec["status"] = status
            st.write(rec)
            self.answer(status, body, headers or {})

        rec["hook"] = m.group(3) if m else None
        query = m.group(5)[1:] if m and m.group(5) else ""
        rec["query"] = query
        if not m or m.group(3) not in st.tokens:
            return done(404, {"message": "Unknown Webhook", "code": 10015})
        if m.group(4) != st.tokens[m.group(3)]:
            return done(401, {"message": "Invalid Webhook Token", "code": 50027})

        # The bucket: what the client was told decides the violations.
        b = st.buckets[m.group(3)]
        with st.lock:
            now = time.monotonic()
            if b.retry_until is not None and arrived < b.retry_until:
                rec["violation"] = "before retry_after"
            elif b.told_zero and b.window_end is not None and arrived < b.window_end:
                rec["violation"] = "after Remaining 0"
            if b.window_end is None or now >= b.window_end:
                b.window_end = now + a.window
                b.count = 0
                b.told_zero = False
            limited = b.count >= a.limit
            if not limited:
                b.count += 1
            remaining = a.limit - b.count
            if remaining == 0:
                b.told_zero = True
            reset_after = math.ceil((b.window_end - now) * 1000) / 1000
            if limited:
                b.retry_until = b.window_end
        headers = {
            "X-RateLimit-Limit": str(a.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": "%.3f" % (time.time() + reset_after),
            "X-RateLimit-Reset-After": "%.3f" % reset_after,
            "X-RateLimit-Bucket": "fakebucket" + m.group(3),
        }
        if limited:
            headers["Retry-After"] = str(max(1, math.ceil(reset_after)))
            headers["X-RateLimit-Scope"] = "user"
            return done(429, {"message": "You are being rate limited.",
                              "retry_after": reset_after, "global": False}, headers)

        slow = dict(x.split("=", 1) for x in a.slow).get(m.group(3))
        if slow:
            time.sleep(float(slow))
        since = time.monotonic() - st.start
        if since < a.hang_for:
            time.sleep(a.hang_for - since)
        if since < a.fail_for:
            return done(500, {"message": "500: Internal Server Error", "code": 0}, headers)

        p, errors = validate(raw, a.poison)
        if p is not None:
            rec["embeds"] = p.get("embeds")
            rec["content"] = p.get("content")
            rec["allowed_mentions"] = p.get("allowed_mentions")
            rec["username"] = p.get("username")
            rec["flags"] = p.get("flags")
            rec["keys"] = sorted(p.keys())
            rec["pings"], refused = pings(p)
            if refused:
                errors["allowed_mentions"] = refused
            unintended = [x for x in rec["pings"] if x not in a.intend]
            if unintended:
                errors["allowed_mentions"] = "would ping " + " ".join(unintended)
        if not errors and m.group(3) in a.require_thread and \
                not re.search(r"(^|&)thread_id=\d+(&|$)", query):
            rec["errors"] = {"thread_id": "required"}
            return done(400, {"code": 220001, "message": "Webhooks posted to "
                              "forum channels must have a thread_name or thread_id"},
                        headers)
        if errors:
            rec["errors"] = errors
            return done(400, {"code": 50035, "message": "Invalid Form Body",
                              "errors": errors}, headers)
        if wait:
            return done(200, {"id": "1", "type": 0, "content": p.get("content") or "",
                              "embeds": p.get("embeds") or []}, headers)
        return done(204, None, headers)


def main():
    global STATE
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--id", default="112233445566778899")
    ap.add_argument("--token", default="tEsT-t0ken_secret")
    ap.add_argument("--limit", type=int, default=5)
    ap.add_argument("--window", type=float, default=2.0)
    ap.add_argument("--fail-for", type=float, default=0.0)
    ap.add_argument("--hang-for", type=float, default=0.0)
    ap.add_argument("--poison", default=None)
    ap.add_argument("--hook", action="append", default=[])
    ap.add_argument("--intend", action="append", default=[])
    ap.add_argument("--require-thread", action="append", default=[])
    ap.add_argument("--slow", action="append", default=[])
    args = ap.parse_args()
    STATE = State(args)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


STATE = None
if __name__ == "__main__":
    main()
