#!/usr/bin/python3
# smtpsink.py PORTFILE OUTDIR -- the mail server the smtp stage tests talk
# to (aiosmtpd, Debian's python3-aiosmtpd). Listens on a free port of
# 127.0.0.1 (written to PORTFILE once it accepts) until SIGTERM.
#
# Each accepted message becomes OUTDIR/N.json: the envelope (mail_from,
# rcpt_tos), whether the raw message used CRLF line ends only, every
# header decoded (RFC 2047 words included) and the decoded text body, as
# Python's email package reads them -- an independent parser.
#
# Recipients steer failures: tempfail@... gets 451 (transient), reject@...
# gets 550 (permanent).
import asyncio
import email
import email.policy
import json
import os
import signal
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = 0

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("tempfail@"):
            return "451 4.3.0 mailbox busy, try later"
        if address.startswith("reject@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        text = raw.replace(b"\r\n", b"")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        out = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "crlf_only": b"\n" not in text and b"\r" not in text,
            "max_line": max(len(l) for l in raw.split(b"\r\n")),
            "headers": {k: str(v) for k, v in msg.items()},
            "content_type": msg.get_content_type(),
            "charset": msg.get_content_charset(),
            "body": msg.get_content(),
        }
        self.n += 1
        path = os.path.join(self.outdir, "%d.json" % self.n)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


async def main():
    portfile, outdir = sys.argv[1], sys.argv[2]
    loop = asyncio.get_running_loop()
    handler = Handler(outdir)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(portfile + ".tmp", portfile)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
