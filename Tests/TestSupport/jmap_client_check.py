#!/usr/bin/env python3
"""Drives `smimekit serve` with a real JMAP client library, jmaplib (imported as
`jmap`): session discovery from /.well-known/jmap, Core/echo, Email/query with
RFC 9219's hasVerifiedSmime and Email/get of the four smime properties.

Prints one JSON object on standard output for the calling test to compare with
`smimekit verify`:
  {"apiUrl": ..., "account": ..., "capabilities": [...], "echo": {...},
   "verified": [ids], "emails": {id: {smimeStatus, smimeStatusAtDelivery, smimeErrors, smimeVerifiedAt}}}

Usage: jmap_client_check.py URL TOKEN_FILE
"""
import json
import sys

from jmap.auth import BearerAuth
from jmap.client import JMAPClient

SMIME = "urn:ietf:params:jmap:smimeverify"
MAIL = "urn:ietf:params:jmap:mail"
PROPERTIES = ["smimeStatus", "smimeStatusAtDelivery", "smimeErrors", "smimeVerifiedAt"]


def main() -> int:
    url, token_file = sys.argv[1], sys.argv[2]
    with open(token_file, encoding="utf-8") as f:
        token = f.read().rstrip("\r\n")
    # The client finds the account from the session's primaryAccounts; there is
    # no core primary account, so name the mail one.
    with JMAPClient.connect(url, auth=BearerAuth(token)) as probe:
        account = probe.session.primary_account_for(MAIL)
    with JMAPClient.connect(url, auth=BearerAuth(token), account_id=account) as client:
        capabilities = sorted(client.session.capabilities.keys()) if hasattr(client.session, "capabilities") else []
        echoed = client.echo(hello="smimekit", n=1)
        with client.batch() as batch:
            found = batch.mail.email.query(filter={"hasVerifiedSmime": True})
            got = batch.mail.email.get(ids=found.ref_ids(), properties=PROPERTIES)
        with client.batch() as batch:
            everything = batch.mail.email.query()
            all_got = batch.mail.email.get(ids=everything.ref_ids(), properties=PROPERTIES)

        def props(item):
            wire = item.model_dump(by_alias=True, mode="json") if hasattr(item, "model_dump") else dict(item)
            return {p: wire.get(p) for p in PROPERTIES}

        report = {
            "apiUrl": client.session.api_url,
            "account": account,
            "capabilities": [str(c) for c in capabilities],
            "echo": echoed if isinstance(echoed, dict) else getattr(echoed, "__dict__", str(echoed)),
            "verified": list(found.result.ids),
            "verifiedGot": {item.id: props(item) for item in got.result.items},
            "emails": {item.id: props(item) for item in all_got.result.items},
        }
    json.dump(report, sys.stdout, sort_keys=True, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
