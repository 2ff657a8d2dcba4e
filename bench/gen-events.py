#!/usr/bin/env python3
"""gen-events.py N [KEYS] -- N mixed SipEat envelopes as JSON lines
(deterministic). KEYS: distinct keys per type (email, machineId); by default
5000 emails and 500 machine ids."""
import json, sys

n = int(sys.argv[1])
keys = int(sys.argv[2]) if len(sys.argv) > 2 else 0
emails = keys or 5000
machines = keys or 500
out = sys.stdout
for i in range(n):
    k = i % 3
    if k == 0:
        e = {"id": "c-%d" % i, "type": "contact.created",
             "data": {"name": "Customer %d" % i, "email": "u%d@example.com" % (i % emails),
                      "phone": "+1234567890", "companyName": "Acme Inc",
                      "message": "I'd like to inquire about your services"}}
    elif k == 1:
        e = {"id": "r-%d" % i, "type": "request.created",
             "data": {"customerName": "Customer %d" % i, "drinkName": "Cola Zero",
                      "machineId": "VM-%04d" % (i % machines), "machineName": "Lobby",
                      "quantity": 1, "price": 2.5}}
    else:
        e = {"id": "m-%d" % i, "type": "machine.created",
             "data": {"machineId": "VM-%04d" % (i % machines), "name": "Machine %d" % i,
                      "location": {"address": "1 Main St", "latitude": 48.1,
                                   "longitude": 11.5},
                      "model": "SX-200", "capacity": 120}}
    out.write(json.dumps(e, separators=(",", ":")) + "\n")
