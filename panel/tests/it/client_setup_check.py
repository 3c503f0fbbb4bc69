#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-only
"""Reads the client set-up files Casella serves with parsers that are not Casella's own.

Usage: client_setup_check.py autoconfig|autodiscover < FILE
       client_setup_check.py mobileconfig SCHEMA_DIR < FILE
autoconfig and autodiscover are parsed with lxml (as Thunderbird's ISPDB tools do); a
mobileconfig with plistlib and checked against Apple's device-management schemas (required
keys, value types, allowed values, no unknown keys). Prints a JSON summary; on a broken file
prints "broken: <why>" and exits 1.
"""
import json
import plistlib
import sys

AD = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
AD_OUTLOOK = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"


def autoconfig(data):
    from lxml import etree
    root = etree.fromstring(data)
    assert root.tag == "clientConfig" and root.get("version") == "1.1", root.tag
    provider = root.find("emailProvider")
    servers = []
    for el in provider:
        if el.tag in ("incomingServer", "outgoingServer"):
            servers.append({
                "direction": el.tag,
                "type": el.get("type"),
                "hostname": el.findtext("hostname"),
                "port": int(el.findtext("port")),
                "socketType": el.findtext("socketType"),
                "username": el.findtext("username"),
                "authentication": el.findtext("authentication"),
            })
    return {
        "id": provider.get("id"),
        "domain": provider.findtext("domain"),
        "displayName": provider.findtext("displayName"),
        "servers": servers,
    }


def autodiscover(data):
    from lxml import etree
    ns = {"a": AD, "r": AD_OUTLOOK}
    root = etree.fromstring(data)
    assert root.tag == "{%s}Autodiscover" % AD, root.tag
    user = root.find("r:Response/r:User", ns)
    account = root.find("r:Response/r:Account", ns)
    assert account.findtext("r:AccountType", namespaces=ns) == "email"
    assert account.findtext("r:Action", namespaces=ns) == "settings"
    protocols = [{
        "type": p.findtext("r:Type", namespaces=ns),
        "server": p.findtext("r:Server", namespaces=ns),
        "port": int(p.findtext("r:Port", namespaces=ns)),
        "login": p.findtext("r:LoginName", namespaces=ns),
        "ssl": p.findtext("r:SSL", namespaces=ns),
    } for p in account.findall("r:Protocol", ns)]
    return {
        "address": user.findtext("r:AutoDiscoverSMTPAddress", namespaces=ns),
        "displayName": user.findtext("r:DisplayName", namespaces=ns),
        "protocols": protocols,
    }


TYPES = {
    "<string>": lambda v: isinstance(v, str),
    "<integer>": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "<boolean>": lambda v: isinstance(v, bool),
    "<array>": lambda v: isinstance(v, list),
    "<dictionary>": lambda v: isinstance(v, dict),
    "<data>": lambda v: isinstance(v, bytes),
    "<real>": lambda v: isinstance(v, float),
    "<any>": lambda v: True,
}


def schema_keys(schema_dir, *files):
    import yaml
    keys = {}
    for name in files:
        with open(f"{schema_dir}/{name}") as f:
            for key in yaml.safe_load(f)["payloadkeys"]:
                keys[key["key"]] = key
    return keys


def check_dict(where, value, keys, problems):
    for name, spec in keys.items():
        if spec.get("presence") == "required" and name not in value:
            problems.append(f"{where}: required {name} missing")
    for name, v in value.items():
        spec = keys.get(name)
        if spec is None:
            problems.append(f"{where}: unknown key {name}")
            continue
        if not TYPES[spec["type"]](v):
            problems.append(f"{where}: {name} should be {spec['type']}, is {type(v).__name__}")
        if "rangelist" in spec and v not in spec["rangelist"]:
            problems.append(f"{where}: {name}={v!r} not in {spec['rangelist']}")


def mobileconfig(data, schema_dir):
    profile = plistlib.loads(data)
    problems = []
    check_dict("profile", profile, schema_keys(schema_dir, "TopLevel.yaml"), problems)
    assert profile.get("PayloadType") == "Configuration"
    mail_keys = schema_keys(schema_dir, "CommonPayloadKeys.yaml", "com.apple.mail.managed.yaml")
    mails = [p for p in profile.get("PayloadContent", []) if p.get("PayloadType") == "com.apple.mail.managed"]
    for i, payload in enumerate(mails):
        check_dict(f"mail payload {i}", payload, mail_keys, problems)
    if problems:
        raise AssertionError("; ".join(problems))
    return {"profile": profile.get("PayloadIdentifier"), "uuid": profile.get("PayloadUUID"), "mail": mails}


def main():
    data = sys.stdin.buffer.read()
    try:
        if sys.argv[1] == "autoconfig":
            out = autoconfig(data)
        elif sys.argv[1] == "autodiscover":
            out = autodiscover(data)
        elif sys.argv[1] == "mobileconfig":
            out = mobileconfig(data, sys.argv[2])
        else:
            raise SystemExit(f"unknown check {sys.argv[1]}")
    except Exception as err:  # any parse or schema failure is the finding
        print(f"broken: {type(err).__name__}: {err}")
        sys.exit(1)
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
