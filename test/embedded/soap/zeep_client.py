#!/usr/bin/python3
"""An independent SOAP client (Debian's python3-zeep) for the embedded PBX.

Loads the WSDL from the running service, calls Initialize and
UserInitialize, prints "READY <session> <user handle>" on a line of its own,
then polls until it has seen the wanted number of call ends (CallInfo with
msg "del") or the poll budget is used up, and prints everything it received
as one JSON object on the last line.
"""

import argparse
import json
import sys

import requests
import zeep
from zeep.helpers import serialize_object
from zeep.transports import Transport


def plain(value):
    """zeep objects as JSON-able values; nil SOAP-ENC arrays as empty lists."""
    value = serialize_object(value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wsdl", required=True)
    parser.add_argument("--user", required=True, help="the object to monitor (UserInitialize)")
    parser.add_argument("--login")
    parser.add_argument("--password")
    parser.add_argument("--ends", type=int, default=1, help="stop after this many call ends")
    parser.add_argument("--max-polls", type=int, default=50)
    parser.add_argument("--endpoint", help="SOAP address to use instead of the WSDL's (a dynamic PBX's /PBX-<id>/user.soap)")
    args = parser.parse_args()

    session = requests.Session()
    session.trust_env = False  # loopback only: no proxies from the environment
    if args.login is not None:
        session.auth = requests.auth.HTTPBasicAuth(args.login, args.password or "")
    client = zeep.Client(args.wsdl, transport=Transport(session=session, timeout=10, operation_timeout=60))
    service = client.create_service("{http://innovaphone.com/pbx}pbxBinding", args.endpoint) if args.endpoint else client.service

    init = service.Initialize(args.user, "zeep test client", True, True, True, True, True)
    pbx_session = init["return"]
    key = init["key"]
    echo = service.Echo(pbx_session, key)
    handle = service.UserInitialize(pbx_session, args.user, False, True, "")
    print(f"READY {pbx_session} {handle}", flush=True)

    calls = []
    users = []
    ends = 0
    polls = 0
    while ends < args.ends and polls < args.max_polls:
        polls += 1
        news = plain(service.Poll(pbx_session))
        for user in news.get("user") or []:
            users.append(user)
        for call in news.get("call") or []:
            call["No"] = call.get("No") or []
            call["info"] = call.get("info") or []
            calls.append(call)
            if call["msg"] == "del":
                ends += 1
    service.End(pbx_session)
    print(json.dumps({"session": pbx_session, "echo": echo, "handle": handle, "polls": polls, "users": users, "calls": calls}), flush=True)


if __name__ == "__main__":
    try:
        main()
    except zeep.exceptions.Fault as fault:
        print(json.dumps({"fault": fault.message}), flush=True)
        sys.exit(2)
