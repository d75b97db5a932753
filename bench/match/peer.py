#!/usr/bin/env python3
"""The peer: Python's email package doing the matcher's work on the same files.

Usage: peer.py DIR [default|compat32]. Reads every DIR/*.eml into memory first (not timed), then for each message:
parses it with email.parser.BytesParser (policy.default, or compat32), applies the same skip rules, walks the text
parts (text/plain and text/html, not attachments) decoding transfer encoding and charset, makes HTML text (tags
removed by a regular expression, html.unescape), finds conversation IDs, record numbers and the subject key with
regular expressions, and looks the evidence up in dictionaries built from DIR/index.json, in the matcher's order.
Prints messages per second and the verdict counts.
"""
import email, email.header, email.policy, email.utils, glob, html, json, os, re, sys, time
from email.parser import BytesParser

directory = sys.argv[1]
policy_name = sys.argv[2] if len(sys.argv) > 2 else "default"
policy = email.policy.default if policy_name == "default" else email.policy.compat32
index = json.load(open(os.path.join(directory, "index.json")))
prefix = index["prefix"].upper()
own = set(a.lower() for a in index["ownAddresses"])
records = {r["number"]: r for r in index["records"]}
conv = index["conversationIDs"]
sent = index["sentMessageIDs"]

CMI = re.compile(r"(\{|&#123;|&lbrace;)?[ \t]*(?<![A-Za-z0-9])CMI(?![A-Za-z0-9])[ \t]*(:?)\s*([A-Za-z]*)(\d*)\s*(\}|&#125;|&rbrace;)?", re.I)
RECNUM = re.compile(r"(?<![A-Za-z0-9])(?:INC(\d{1,12})|Incident[ \t#:.]+(?:no\.?|nr\.?)?[ \t]*(\d{1,12}))(?![A-Za-z0-9])", re.I)
MARKERS = "re|aw|antw|antwort|sv|vs|odp|r|ref|rif|res|réf|ynt|ris|fw|fwd|wg|tr|fs|vb|rv|enc|doorst|trs|pd|i"
PREFIXES = re.compile(r"^(?:\s*(?:\[[^\]]{0,31}\]|(?:" + MARKERS + r")\s*(?:\[\d+\]|\(\d+\))?\s*[:：]))+", re.I)
TAGS = re.compile(r"<!--.*?-->|<(script|style|head|title)\b.*?</\1\s*>|<[^>]*>", re.I | re.S)
MSGID = re.compile(r"<([^<>]+)>")
by_key = {}
for r in records.values():
    if r["status"] == "open":
        key = " ".join(PREFIXES.sub("", r["subject"]).split()).lower()
        by_key.setdefault(key, []).append(r["number"])

def text_of(msg):
    out = []
    for part in msg.walk():
        ctype = part.get_content_type()  # parsed once per part: header access re-parses under policy.default
        if ctype != "text/plain" and ctype != "text/html":
            continue
        if (part.get("Content-Disposition") or "").lower().startswith("attachment"):
            continue
        if policy_name == "default":
            try:
                content = part.get_content()
            except (LookupError, UnicodeError):
                content = part.get_payload(decode=True).decode("utf-8", "replace")
        else:
            payload = part.get_payload(decode=True) or b""
            try:
                content = payload.decode(part.get_content_charset() or "us-ascii", "replace")
            except LookupError:
                content = payload.decode("utf-8", "replace")
        if ctype == "text/html":
            content = html.unescape(TAGS.sub(lambda m: "\n" if m.group(0)[:3].lower() in ("<p ", "<p>", "<br", "<di") else "", content))
        out.append(content)
    return "\n".join(out)

def header_text(value):
    if value is None: return ""
    if policy_name == "default": return str(value)
    return str(email.header.make_header(email.header.decode_header(value)))

def match(data):
    msg = BytesParser(policy=policy).parsebytes(data)
    auto = (msg.get("Auto-Submitted") or "").strip().lower().split(";")[0]
    if auto and auto != "no": return "skipped"
    if (msg.get("Precedence") or "").strip().lower() in ("bulk", "list", "junk"): return "skipped"
    if msg.get("X-Loop") is not None or msg.get("X-Autoreply") is not None or msg.get("X-Autorespond") is not None: return "skipped"
    sender = email.utils.parseaddr(str(msg.get("From") or ""))[1].lower()
    if sender in own or sender.split("@")[0] in ("mailer-daemon", "postmaster"): return "skipped"
    if str(msg.get("Return-Path") or "").strip().replace(" ", "") == "<>": return "skipped"
    if msg.get_content_type() == "multipart/report": return "skipped"
    subject = header_text(msg.get("Subject"))
    referenced = set()
    for name in ("In-Reply-To", "References"):
        for mid in MSGID.findall(str(msg.get(name) or "")):
            if mid in sent: referenced.add(sent[mid])
    finds = list(CMI.finditer(subject)) + list(CMI.finditer(text_of(msg)))
    if finds:
        found = set()
        for m in finds:
            brace, colon, letters, digits, close = m.groups()
            if not brace and not (colon and letters and digits): continue
            if not (brace and colon and 2 <= len(letters) <= 8 and digits and close and digits[0] != "0"): return "ambiguous"
            if letters.upper() != prefix: return "ambiguous"
            number = conv.get(prefix + digits)
            if number is None: return "ambiguous"
            found.add(number)
        if len(found) > 1 or (found and referenced - found): return "ambiguous"
        if found: return "record"
    if referenced: return "record" if len(referenced) == 1 else "ambiguous"
    existing = {f"INC{int(a or b):07d}" for a, b in RECNUM.findall(subject) if int(a or b) > 0} & records.keys()
    if existing: return "record" if len(existing) == 1 else "ambiguous"
    key = " ".join(PREFIXES.sub("", subject).split()).lower()
    if len(key) >= 10:
        numbers = by_key.get(key, [])
        if len(numbers) > 1: return "ambiguous"
        if numbers: return "record" if sender in records[numbers[0]]["participants"] else "ambiguous"
    return "new"

files = sorted(glob.glob(os.path.join(directory, "*.eml")))
data = [open(f, "rb").read() for f in files]
counts = {}
start = time.perf_counter()
cpu_start = time.process_time()
for raw in data:
    verdict = match(raw)
    counts[verdict] = counts.get(verdict, 0) + 1
elapsed = time.perf_counter() - start
cpu = time.process_time() - cpu_start
print(f"python email ({policy_name} policy): {len(data)} messages, {sum(map(len, data)) / 1e6:.1f} MB in {elapsed:.3f} s: "
      f"{len(data) / elapsed:.0f} messages/s; CPU {cpu:.3f} s: {len(data) / cpu:.0f} messages per CPU second; "
      f"verdicts {dict(sorted(counts.items()))}")
