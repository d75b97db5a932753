#!/usr/bin/env python3
"""The differential peer: Python's email package (policy.default) on every message of a folder.

Usage: real-corpus-peer.py DIR. Prints one JSON object: file name -> {subject, from, to, cc (addr-specs, lower
case), message_id, in_reply_to, references (ids without angle brackets), texts (each text/plain part that is not
an attachment, as get_content() gives it), errors (field -> the exception Python raised reading it)}.
"""
import email, email.policy, json, os, re, sys

directory = sys.argv[1]
ID = re.compile(r"<([^<>]*)>")

def ids(value):
    if value is None: return []
    return ["".join(i.split()) for i in ID.findall(str(value)) if i.strip()]

result = {}
for name in sorted(os.listdir(directory)):
    path = os.path.join(directory, name)
    if name.startswith(".") or name == "expected.json" or not os.path.isfile(path): continue
    with open(path, "rb") as f: raw = f.read()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    entry, errors = {}, {}
    def field(key, read):
        try: entry[key] = read()
        except Exception as error:
            errors[key] = type(error).__name__ + ": " + str(error)[:120]
    field("subject", lambda: str(message["subject"]) if message["subject"] is not None else "")
    for key in ("from", "to", "cc"):
        def addresses(key=key):
            out = []
            for header in message.get_all(key) or []:
                out += [a.addr_spec.lower() for a in header.addresses]
            return out[:1] if key == "from" else out
        field(key, addresses)
    field("message_id", lambda: (ids(message["message-id"]) or [None])[0])
    field("in_reply_to", lambda: ids(message["in-reply-to"]))
    field("references", lambda: ids(message["references"]))
    def texts():
        out = []
        for part in message.walk():
            if part.get_content_type() == "text/plain" and not part.is_attachment():
                out.append(part.get_content())
        return out
    field("texts", texts)
    entry["errors"] = errors
    result[name] = entry
def clean(value):
    """Surrogates (raw 8-bit bytes Python kept as escapes, broken UTF-16) become U+FFFD (JSON has no lone surrogates)."""
    if isinstance(value, str): return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, list): return [clean(v) for v in value]
    if isinstance(value, dict): return {k: clean(v) for k, v in value.items()}
    return value
json.dump(clean(result), sys.stdout, ensure_ascii=False, indent=0, sort_keys=True)
