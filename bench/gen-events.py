#!/usr/bin/env python3
"""gen-events.py N -- N mixed SipEat envelopes as JSON lines (deterministic)."""
import json, sys

n = int(sys.argv[1])
out = sys.stdout
for i in range(n):
    k = i % 3
    if k == 0:
        e = {"id": "c-%d" % i, "type": "contact.created",
             "data": {"name": "Customer %d" % i, "email": "u%d@example.com" % (i % 5000),
                      "phone": "+1234567890", "companyName": "Acme Inc",
                      "message": "I'd like to inquire about your services"}}
    elif k == 1:
        e = {"id": "r-%d" % i, "type": "request.created",
             "data": {"customerName": "Customer %d" % i, "drinkName": "Cola Zero",
                      "machineId": "VM-%04d" % (i % 500), "machineName": "Lobby",
                      "quantity": 1, "price": 2.5}}
    else:
        e = {"id": "m-%d" % i, "type": "machine.created",
             "data": {"machineId": "VM-%04d" % (i % 500), "name": "Machine %d" % i,
                      "location": {"address": "1 Main St", "latitude": 48.1,
                                   "longitude": 11.5},
                      "model": "SX-200", "capacity": 120}}
    out.write(json.dumps(e, separators=(",", ":")) + "\n")
