#!/usr/bin/env python3
"""Writes the matcher corpus: Corpus/NNN-name.eml, Corpus/expected.tsv and Corpus/index.json.

Each case below is written out by hand (scenario, people, subject, body text, client, MIME shape); the helpers only
do the encoding work (quoted-printable, base64, encoded words, multipart assembly) that is error-prone by hand.
The expected verdict sits next to each case. Run it again after editing: `python3 make-corpus.py`.

expected.tsv: file <TAB> verdict <TAB> detail, where detail is "NUMBER rule" for `record`, "-" for `new`, and for
`ambiguous`/`skipped` a keyword the reason must contain (case-insensitive), for `bounce` "NUMBER" and the start of
the note.
"""
import base64, json, os, quopri, random, re, shutil, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Corpus")
rng = random.Random(20250203)

PREFIX = "HDX"
OWN = ["servicedesk@acme-corp.example", "helpdesk@acme-corp.example", "noreply@acme-corp.example"]
RECORDS = [
    ("INC0000101", "Printer on floor 3 keeps jamming", "open", ["anna.berg@kunde.example"]),
    ("INC0000102", "VPN connection drops every hour", "open", ["bob.miller@client.example", "it-ops@client.example"]),
    ("INC0000103", "New laptop for onboarding Maria Lopez", "open", ["hr@client.example", "maria.lopez@client.example"]),
    ("INC0000104", "Outlook calendar not syncing on iPhone", "open", ["chen.wei@client.example"]),
    ("INC0000105", "Password reset for SAP account", "closed", ["dieter.kraus@kunde.example"]),
    ("INC0000106", "Shared drive S: not reachable", "open", ["eva.novak@client.example", "team-finance@client.example"]),
    ("INC0000107", "Monitor flickering after docking", "open", ["f.rossi@cliente.example"]),
    ("INC0000108", "Request: access to Jira project OPS", "open", ["g.schmidt@kunde.example"]),
    ("INC0000109", "Teams meeting audio echo", "open", ["hannah.lee@client.example"]),
    ("INC0000110", "Badge reader at entrance B broken", "open", ["facility@client.example"]),
    ("INC0000111", "Quarterly report export fails", "open", ["ivan.petrov@client.example"]),
    ("INC0000112", "Quarterly report export fails", "open", ["julia.meyer@kunde.example"]),
    ("INC0000113", "Wi-Fi in meeting room Aurora slow", "open", ["k.tanaka@client.example"]),
    ("INC0000114", "Mailbox full warning", "open", ["lars.holm@client.example"]),
    ("INC0000115", "Help", "open", ["maria.lopez@client.example"]),
    ("INC0000116", "Software install: Visio 2021", "closed", ["nils.ek@client.example"]),
    ("INC0000117", "Scanner sends empty PDFs", "open", ["olga.ivanova@client.example"]),
    ("INC0000118", "Bildschirm bleibt schwarz nach Update", "open", ["p.wagner@kunde.example"]),
    ("INC0000119", "Ordinateur portable très lent", "open", ["q.martin@client.fr.example"]),
    ("INC0000120", "Keyboard missing keys", "open", ["r.singh@client.example"]),
]
# Conversation IDs HDX1 … HDX60: HDX<n> was sent for the record 101 + (n-1) % 20.
def record_of(n): return RECORDS[(n - 1) % 20][0]
def sent_id(n): return f"mailsh.{n}.{(n * 7919) % 100000:05d}@acme-corp.example"
def who(number): return next(r[3][0] for r in RECORDS if r[0] == number)

cases = []  # (name, raw bytes, verdict, detail)

def add(name, raw, verdict, detail="-"):
    if isinstance(raw, str): raw = raw.encode("utf-8")
    cases.append((name, raw, verdict, detail))

# ----- building blocks -----------------------------------------------------------------------------------------

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]
def date(i): return f"{DAYS[i % 5]}, {3 + i % 25} Feb 2025 {8 + i % 10:02d}:{(i * 7) % 60:02d}:{(i * 13) % 60:02d} +0100"

def client_headers(style, i):
    if style == "outlook":
        return [("X-Mailer", "Microsoft Outlook 16.0"), ("Thread-Index", "AdtK" + base64.b64encode(bytes([i % 256] * 12)).decode()),
                ("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", ""), ("Content-Language", "en-US")]
    if style == "gmail":
        return [("DKIM-Signature", "v=1; a=rsa-sha256; c=relaxed/relaxed; d=gmail.example; s=20230601;\n"
                 f"        h=to:subject:message-id:date:from:mime-version; bh=Zm9vYmFy{i:04d}=;\n        b=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="),
                ("X-Gm-Message-State", f"AOJu0Yx{i:05d}lksjdf"), ("X-Google-Smtp-Source", "AGHT+IE" + str(i))]
    if style == "thunderbird":
        return [("User-Agent", "Mozilla Thunderbird"), ("Content-Language", "de-DE")]
    if style == "apple":
        return [("X-Mailer", "iPhone Mail (21D61)")]
    if style == "lotus":
        return [("X-Mailer", "Lotus Notes Release 9.0.1FP10 January 10, 2018"), ("X-MIMETrack", "Serialize by Router on MX01/ACME")]
    return []

STYLES = ["outlook", "gmail", "thunderbird", "apple", "lotus", "plain"]

def received(i, host):
    return [("Received", f"from {host} (mail.{host} [192.0.2.{i % 250 + 1}])\n\tby mx1.acme-corp.example (Postfix) with ESMTPS id 4R{i:05d}X\n\tfor <servicedesk@acme-corp.example>; {date(i)}")]

def message(headers, body, eol="\n"):
    lines = []
    for name, value in headers:
        lines.append(f"{name}: {value}" if value != "" else f"{name}:")
    head = eol.join(lines).replace("\n", eol) if eol != "\n" else "\n".join(lines)
    if isinstance(body, str): body = body.encode("utf-8")
    if eol != "\n": body = body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return head.encode("utf-8") + (eol * 2).encode() + body

def envelope(i, sender, subject, style=None, to="Service Desk <servicedesk@acme-corp.example>", extra=(), reply_to_n=None,
             refs=None, msgid=True):
    style = style or STYLES[i % len(STYLES)]
    host = sender.split("@")[-1].strip(">")
    h = received(i, host) + [("Return-Path", f"<{sender.split('<')[-1].strip('>')}>")]
    h += [("From", sender), ("To", to), ("Subject", subject), ("Date", date(i))]
    if msgid: h.append(("Message-ID", f"<{i:04d}.{zlib.crc32(subject.encode()) % 99999}@{host}>"))
    if reply_to_n is not None: h.append(("In-Reply-To", f"<{sent_id(reply_to_n)}>"))
    if refs: h.append(("References", refs))
    h += [("MIME-Version", "1.0")] + client_headers(style, i) + list(extra)
    return h

def qp(text, charset="utf-8"):
    return quopri.encodestring(text.encode(charset)).decode("ascii")

def b64(data):
    if isinstance(data, str): data = data.encode("utf-8")
    return base64.encodebytes(data).decode("ascii")

def html_of(text):
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    paras = "".join(f"<p style=\"margin:0\">{p.replace(chr(10), '<br>')}</p>\n" for p in esc.split("\n\n"))
    return f"<html><head><meta charset=\"utf-8\"><style>p {{font-family: Calibri}}</style></head><body>\n{paras}</body></html>\n"

def plain_part(text, cte="7bit", charset="utf-8"):
    if cte == "quoted-printable": body = qp(text, charset)
    elif cte == "base64": body = b64(text.encode(charset))
    else: body = text
    return [("Content-Type", f"text/plain; charset={charset}; format=flowed"), ("Content-Transfer-Encoding", cte)], body

def html_part(html, cte="quoted-printable", charset="utf-8"):
    if cte == "quoted-printable": body = qp(html, charset)
    elif cte == "base64": body = b64(html.encode(charset))
    else: body = html
    return [("Content-Type", f"text/html; charset=\"{charset}\""), ("Content-Transfer-Encoding", cte)], body

def part_text(part):
    headers, body = part
    return "".join(f"{n}: {v}\n" for n, v in headers) + "\n" + body

def multipart(subtype, parts, boundary):
    body = "This is a multi-part message in MIME format.\n\n"
    for p in parts:
        body += f"--{boundary}\n" + part_text(p).rstrip("\n") + "\n\n"
    body += f"--{boundary}--\n"
    return [("Content-Type", f"multipart/{subtype};\n\tboundary=\"{boundary}\"")], body

def shape(kind, text, i):
    """(headers, body) of the body of a message with `text` in the given MIME shape."""
    b = f"----=_Part_{i}_{1000 + i * 37}.{1700000000 + i}"
    if kind == "plain": return plain_part(text)
    if kind == "qp": return plain_part(text, "quoted-printable")
    if kind == "b64": return plain_part(text, "base64")
    if kind == "html": return html_part(html_of(text))
    if kind == "alt": return multipart("alternative", [plain_part(text, "quoted-printable"), html_part(html_of(text))], b)
    if kind == "mixed":
        alt = multipart("alternative", [plain_part(text), html_part(html_of(text), "base64")], b + "_alt")
        pdf = ([("Content-Type", "application/pdf; name=\"screenshot.pdf\""), ("Content-Transfer-Encoding", "base64"),
                ("Content-Disposition", "attachment; filename=\"screenshot.pdf\"")], b64(b"%PDF-1.4\n" + bytes(range(256)) * 2))
        return multipart("mixed", [alt, pdf], b)
    if kind == "related":
        img = ([("Content-Type", "image/png"), ("Content-Transfer-Encoding", "base64"), ("Content-ID", f"<image001.png@01DB{i:04X}>")],
               b64(b"\x89PNG\r\n\x1a\n" + bytes(200)))
        rel = multipart("related", [html_part(html_of(text).replace("</body>", f"<img src=\"cid:image001.png@01DB{i:04X}\"></body>")), img], b + "_rel")
        return multipart("alternative", [plain_part(text, "quoted-printable"), rel], b)
    raise ValueError(kind)

def build(i, sender, subject, text, kind="plain", style=None, eol="\n", **kw):
    h = envelope(i, sender, subject, style, **kw)
    ph, body = shape(kind, text, i)
    return message(h + ph, body, eol)

SHAPES = ["plain", "qp", "alt", "html", "mixed", "related", "b64"]

SIGS = ["Best regards,\n{n}", "Kind regards\n{n}\nFinance Department", "Thanks!\n{n}\n\nSent from my iPhone",
        "Mit freundlichen Grüßen\n{n}", "Cheers, {n}", "--\n{n}\nClient Corp | Building 4 | +49 30 1234567"]

def sig(i, email):
    name = email.split("@")[0].replace(".", " ").title()
    return SIGS[i % len(SIGS)].format(n=name)

def quote(number, n, lines=("Dear customer,", "we have received your request.", "Your service desk")):
    subj = next(r[1] for r in RECORDS if r[0] == number)
    return "\n".join([f"On {date(n)}, Service Desk <servicedesk@acme-corp.example> wrote:"] +
                     [f"> {l}" for l in lines] + [f"> Subject: {subj}", f"> Reference: {{CMI: {PREFIX}{n}}}"])

# ----- 1. ID in the subject ------------------------------------------------------------------------------------
replies = [
    "Thanks, that fixed it for now.", "It happened again this morning at 9:15, see the screenshot.",
    "Can someone come by before noon? I am in room 3.14.", "Still not working after the restart you suggested.",
    "Yes, the model is HP LaserJet M507, asset tag ACME-00417.", "Please close the ticket, all good now.",
    "I tried from home as well, same error 809.", "My manager approved this, see below.",
    "Das Problem besteht weiterhin.", "Merci, c'est réglé.", "Here is the log you asked for:\n\n  2025-02-03 08:12:01 ERROR sync failed (0x80040154)",
    "Could you give me an update? It's been three days.", "Attached is the photo of the error message.",
    "The technician was here, but the issue came back after an hour.", "Same issue on my colleague's PC.",
    "Thank you very much for the quick help!", "Ok, I will try that and let you know.",
    "No, I did not change anything.", "Is there a workaround until the part arrives?", "Great, thanks.",
]
markers = ["Re: ", "RE: ", "AW: ", "Re: Re: ", "SV: ", "Antw: ", "RE: [EXTERNAL] ", "Fwd: ", "R: ", "Re[2]: "]
for k in range(20):
    n = k + 1 + (20 if k % 3 == 0 else 0)
    number = record_of(n)
    sender = who(number)
    subj = f"{markers[k % len(markers)]}{next(r[1] for r in RECORDS if r[0] == number)} {{CMI: {PREFIX}{n}}}"
    text = replies[k] + "\n\n" + sig(k, sender) + "\n\n" + quote(number, n)
    add(f"subject-id-{k + 1}", build(k, sender, subj, text, SHAPES[k % len(SHAPES)], reply_to_n=None), "record", f"{number} conversation-id")

# ----- 2. ID only in the (quoted) body -------------------------------------------------------------------------
for k in range(15):
    i = 100 + k
    n = 2 + k * 3
    number = record_of(n)
    sender = who(number)
    subj = f"Re: {next(r[1] for r in RECORDS if r[0] == number)}" if k % 2 else "Re: your request"
    text = replies[(k + 5) % 20] + "\n\n" + sig(k, sender) + "\n\n" + quote(number, n)
    add(f"body-id-{k + 1}", build(i, sender, subj, text, ["plain", "qp", "alt", "mixed", "related"][k % 5], msgid=k % 4 != 0),
        "record", f"{number} conversation-id")

# ----- 3. IDs in HTML bodies -----------------------------------------------------------------------------------
html_variants = [
    "<p>Reference: <b>{{CMI: {p}{n}}}</b></p>",
    "<div>Ref &#123;CMI: {p}{n}&#125;</div>",
    "<p>{{CMI:&nbsp;{p}{n}}}</p>",
    "<span style=\"color:#888\">{{CMI: <span>{p}</span><span>{n}</span>}}</span>",
    "<p>Ticket ref&#58; &#x7B;CMI: {p}{n}&#x7D;</p>",
    "<table><tr><td>Ref</td><td>{{CMI: {p}{n}}}</td></tr></table>",
    "<p>&lbrace;CMI: {p}{n}&rbrace;</p>",
    "<font face=\"Arial\" size=\"2\">{{<i>CMI</i>: {p}{n}}}</font>",
    "<p>please keep this line: {{CMI:<br>\n{p}{n}}}</p>",
    "<p>{{CMI: {p}{n}}}</p><!-- {{CMI: OLD99}} was here -->",
    "<blockquote type=\"cite\"><div>Your reference {{cmi: {pl}{n}}}</div></blockquote>",
    "<p>Reference {{CMI: {p}{n}}}</p><script>var x = '{{CMI: ZZZ1}}';</script>",
]
for k, variant in enumerate(html_variants):
    i = 200 + k
    n = 5 + k * 4
    number = record_of(n)
    sender = who(number)
    body_html = ("<html><body><p>" + replies[k].replace("&", "&amp;") + "</p><p>" + sig(k, sender).replace("\n", "<br>") +
                 "</p><hr>" + variant.format(p=PREFIX, pl=PREFIX.lower(), n=n) + "</body></html>")
    h = envelope(i, sender, "Re: " + next(r[1] for r in RECORDS if r[0] == number))
    if k % 3 == 0:
        ph, body = html_part(body_html, "quoted-printable")
    elif k % 3 == 1:
        ph, body = html_part(body_html, "base64")
    else:
        ph, body = multipart("alternative", [plain_part(replies[k]), html_part(body_html, "7bit")], f"b1_{i}")
    add(f"html-id-{k + 1}", message(h + ph, body), "record", f"{number} conversation-id")

# ----- 4. IDs in base64 parts ----------------------------------------------------------------------------------
for k in range(8):
    i = 300 + k
    n = 7 + k * 5
    number = record_of(n)
    sender = who(number)
    text = f"{replies[(k + 9) % 20]}\n\n{sig(k, sender)}\n\n-----Original Message-----\nFrom: Service Desk\nSubject: Ticket opened {{CMI: {PREFIX}{n}}}\n"
    charset = ["utf-8", "iso-8859-1", "windows-1252", "utf-8"][k % 4]
    ph, body = plain_part(text + ("Grüße aus Köln" if charset != "utf-8" else "Grüße 🙂"), "base64", charset)
    if k % 2:
        ph, body = multipart("mixed", [(ph, body), ([("Content-Type", "image/jpeg; name=photo.jpg"), ("Content-Transfer-Encoding", "base64")],
                                                    b64(bytes(range(256))))], f"=_b64_{i}")
    add(f"base64-id-{k + 1}", message(envelope(i, sender, "RE: see below") + ph, body), "record", f"{number} conversation-id")

# ----- 5. IDs in quoted-printable parts, split by soft line breaks ---------------------------------------------
for k in range(8):
    i = 400 + k
    n = 3 + k * 6
    number = record_of(n)
    sender = who(number)
    token = f"{{CMI: {PREFIX}{n}}}"
    cut = 2 + k % (len(token) - 3)
    split = token[:cut] + "=\n" + token[cut:]
    if k % 3 == 2: split = token[:cut] + "=  \r\n" + token[cut:]
    lead = "Die Lösung hat leider nicht funktioniert, der Fehler tritt wieder auf. " if k % 2 else "The fix did not work, the error is back. "
    body_qp = qp(lead + "Bitte melden Sie sich." if k % 2 else lead + "Please call me.") + "\n\n" + "Ref: " + split + "\n"
    ph = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "quoted-printable")]
    if k >= 4:
        html = qp(f"<p>{lead}</p><p>Ref: ") + split + "</p>\n"
        ph, body_qp = multipart("alternative", [(ph, body_qp), ([("Content-Type", "text/html; charset=utf-8"),
                                                                ("Content-Transfer-Encoding", "quoted-printable")], html)], f"qp_{i}")
    add(f"qp-split-id-{k + 1}", message(envelope(i, sender, "Re: follow-up") + ph, body_qp), "record", f"{number} conversation-id")

# ----- 6. Folded and RFC 2047 subjects with IDs ----------------------------------------------------------------
def ew_b(text, cs="utf-8"): return f"=?{cs}?B?{base64.b64encode(text.encode(cs)).decode()}?="
def ew_q(text, cs="utf-8"):
    out = ""
    for ch in text.encode(cs):
        c = chr(ch)
        out += "_" if c == " " else (c if ch < 128 and c.isalnum() else f"={ch:02X}")
    return f"=?{cs}?Q?{out}?="
subjects6 = [
    lambda n: "Re: " + ew_b(f"Bildschirm bleibt schwarz {{CMI: {PREFIX}{n}}}"),
    lambda n: "AW: " + ew_q(f"Drucker klemmt {{CMI: {PREFIX}{n}}}", "iso-8859-1"),
    lambda n: ew_q("Re: Schöne ") + "\n " + ew_q(f"Grüße {{CMI: {PREFIX}{n}}}"),
    lambda n: "Re: a very long subject line that the client decided to fold\n\tsomewhere {CMI: " + f"{PREFIX}{n}" + "}",
    lambda n: "Re: folded right before the ID\n {CMI: " + f"{PREFIX}{n}" + "}",
    lambda n: ew_b("Re: Ordinateur très lent ") + " " + ew_b(f"{{CMI: {PREFIX}{n}}}"),
    lambda n: "SV: " + ew_q(f"Återkoppling {{CMI: {PREFIX}{n}}}", "windows-1252"),
    lambda n: "=?UTF-8?b?" + base64.b64encode(f"RE: 件名 {{CMI: {PREFIX}{n}}}".encode()).decode() + "?=",
    lambda n: ew_q("Re: Teams") + "\r\n " + ew_q(" meeting audio ") + "\r\n " + ew_q(f"{{CMI: {PREFIX}{n}}}"),
    lambda n: f"Re: =?us-ascii?Q?plain_ascii?= {{CMI: {PREFIX}{n}}}",
]
for k, make in enumerate(subjects6):
    i = 500 + k
    n = 11 + k * 4
    number = record_of(n)
    sender = who(number)
    add(f"encoded-subject-id-{k + 1}", build(i, sender, make(n), replies[k] + "\n\n" + sig(k, sender), SHAPES[k % 4],
                                           eol="\r\n" if k % 2 else "\n"), "record", f"{number} conversation-id")

# ----- 7. Nested multiparts ------------------------------------------------------------------------------------
for k in range(8):
    i = 600 + k
    n = 13 + k * 3
    number = record_of(n)
    sender = who(number)
    text = f"{replies[(k + 2) % 20]}\n\n{sig(k, sender)}\n\n{quote(number, n)}"
    inner = shape(["alt", "related", "mixed", "alt"][k % 4], text, i)
    depth = 1 + k % 4
    part = inner
    for level in range(depth):
        sub = ["mixed", "related", "alternative", "signed"][(k + level) % 4]
        extra = ([("Content-Type", "application/pkcs7-signature; name=smime.p7s"), ("Content-Transfer-Encoding", "base64")],
                 b64(bytes(64)))
        part = multipart(sub, [part, extra], f"nest{level}_{i}")
    add(f"nested-id-{k + 1}", message(envelope(i, sender, "Re: see my answer") + part[0], part[1]), "record", f"{number} conversation-id")

# ----- 8. Spoofed, unknown, copied and conflicting IDs -> ambiguous ---------------------------------------------
foreign = ["QRT", "ZZTOP", "KB", "SNOW", "OTRS", "TKT", "ABCD", "HDXX"]
for k, fp in enumerate(foreign):
    i = 700 + k
    sender = ["mallory@evil.example", "anna.berg@kunde.example", "vendor@supplier.example", "bob.miller@client.example"][k % 4]
    subj = f"Re: Your ticket {{CMI: {fp}{10 + k}}}" if k % 2 == 0 else "Re: Invoice question"
    text = "Please see our reply." + ("" if k % 2 == 0 else f"\n\n> Ticket {{CMI: {fp}{10 + k}}}")
    add(f"foreign-prefix-{k + 1}", build(i, sender, subj, text, SHAPES[k % 4]), "ambiguous", "another prefix")
for k in range(6):
    i = 720 + k
    n = 900 + k * 17
    sender = ["anna.berg@kunde.example", "eve@spoof.example", "chen.wei@client.example"][k % 3]
    subj = f"Re: Printer {{CMI: {PREFIX}{n}}}" if k % 2 == 0 else "Re: status?"
    text = "Any news?" + ("" if k % 2 == 0 else f"\n\n> {{CMI: {PREFIX}{n}}}")
    add(f"unknown-own-id-{k + 1}", build(i, sender, subj, text, SHAPES[(k + 1) % 4]), "ambiguous", f"{PREFIX}{n}")
for k in range(5):  # a valid ID of ours beside a token copied from another system's thread
    i = 740 + k
    n = 4 + k
    number = record_of(n)
    text = f"Forwarding what the vendor wrote.\n\n-------- Forwarded Message --------\nSubject: RMA case {{CMI: {foreign[k]}{300 + k}}}\n\nYour RMA is approved."
    add(f"copied-foreign-token-{k + 1}", build(i, who(number), f"Re: {{CMI: {PREFIX}{n}}}", text, SHAPES[k % 4]), "ambiguous", "another prefix")
for k in range(5):  # two IDs of ours naming different records (token copied between threads)
    i = 760 + k
    n1, n2 = 1 + k, 2 + k
    text = f"I think this is related to my other ticket.\n\n> {{CMI: {PREFIX}{n2}}}"
    add(f"conflicting-ids-{k + 1}", build(i, who(record_of(n1)), f"Re: issue {{CMI: {PREFIX}{n1}}}", text, SHAPES[(k + 2) % 4]),
        "ambiguous", "different records")
for k in range(3):  # the ID names one record, In-Reply-To another
    i = 780 + k
    n1, n2 = 30 + k, 35 + k
    add(f"id-vs-references-{k + 1}", build(i, who(record_of(n1)), f"Re: {{CMI: {PREFIX}{n1}}}", "See above.", reply_to_n=n2),
        "ambiguous", "In-Reply-To")

# ----- 9. Damaged IDs -> ambiguous -----------------------------------------------------------------------------
damaged = [
    ("{CMI: HDX}", "no number"), ("{CMI: HDX12", "not closed"), ("{CMI: H1}", "prefix too short"),
    ("{CMI: HDXABCDEF1}", "prefix too long"), ("{CMI: HDX1 2}", "not closed"), ("{CMI HDX12}", "no colon"),
    ("{CMI: 12}", "no prefix"), ("CMI: HDX12}", "no opening brace"), ("{CMI: HDX012}", "starts with 0"),
    ("{CMI: HDX-12}", "no number"), ("{CMI: HDX 12}", "no number"), ("{CMI:}", "no ID"),
    ("{CMI: HDX12]", "not closed"), ("{CMI: HDX99999999999999999999}", "number too long"),
]
for k, (token, why) in enumerate(damaged):
    i = 800 + k
    sender = who(record_of(1 + k))
    where_subject = k % 2 == 0
    subj = f"Re: Printer {token}" if where_subject else "Re: Printer on floor 3 keeps jamming"
    text = "It is broken again." + ("" if where_subject else f"\n\nRef: {token}")
    add(f"damaged-id-{k + 1}", build(i, sender, subj, text, SHAPES[k % 5]), "ambiguous", why)

# ----- 10. In-Reply-To / References with the ID deleted -> references ------------------------------------------
for k in range(12):
    i = 900 + k
    n = 21 + k * 3
    number = record_of(n)
    sender = who(number)
    other = f"<CAF{k}x{i}@mail.gmail.example>"
    if k % 3 == 0:
        kw = dict(reply_to_n=n)
    elif k % 3 == 1:
        kw = dict(refs=f"{other}\n <{sent_id(n)}>\n <{i}.reply@{sender.split('@')[1]}>")
    else:
        kw = dict(reply_to_n=n, refs=f"<{sent_id(n)}>")
    subj = ["Re: my ticket", "AW: Ihre Anfrage", "Re: Re: update", "RE: question"][k % 4]
    text = replies[k] + "\n\n" + sig(k, sender) + "\n\n> Dear customer, we are working on it."
    add(f"references-{k + 1}", build(i, sender, subj, text, SHAPES[k % 6], **kw), "record", f"{number} references")
for k in range(3):
    i = 920 + k
    add(f"references-two-records-{k + 1}", build(i, who(record_of(1)), "Re: two tickets", "Answering both.",
                                                 reply_to_n=1 + k, refs=f"<{sent_id(5 + k)}> <{sent_id(1 + k)}>"),
        "ambiguous", "different records")
for k in range(3):  # references to mail mailsh never sent -> nothing; falls through to new
    i = 930 + k
    add(f"references-unknown-{k + 1}", build(i, f"newuser{k}@client.example", f"Re: lunch plans for friday {k}", "See you there.",
                                             refs=f"<random{k}@elsewhere.example>"), "new")

# ----- 11. Record numbers in the subject -----------------------------------------------------------------------
numbered = ["Re: [INC0000104] calendar", "INC0000107 monitor still flickers", "Update on inc109 please",
            "Incident 110 - badge reader", "Incident #113: wifi", "Re: Re: [INC0000117] Scanner", "inc0000118 – Bildschirm",
            "FW: INC0000120", "Question about Incident #0000102", "Ticket INC0000106 / S: drive", "RE: incident: 108",
            "Re: [External] INC0000101"]
for k, subj in enumerate(numbered):
    i = 1000 + k
    num = int(re.findall(r"(\d+)", subj)[0])
    number = f"INC{num:07d}"
    sender = ["someone.new@client.example", who(number)][k % 2]
    add(f"record-number-{k + 1}", build(i, sender, subj, replies[k] + "\n\n" + sig(k, sender), SHAPES[k % 6]), "record",
        f"{number} record-number")
for k, subj in enumerate(["Re: INC0000101 and INC0000102", "Incident 103 vs Incident 104", "[INC0000110] related to inc111"]):
    add(f"record-number-two-{k + 1}", build(1020 + k, "ops@client.example", subj, "Both are connected."), "ambiguous", "different records")
for k, (subj, verdict, detail) in enumerate([("Re: INC0009999 status", "new", "-"), ("Incident 4711 – Mailbox full warning", "new", "-"),
                                             ("INC0000500 Keyboard missing keys", "new", "-"),
                                             ("Fwd: inc77777 password", "new", "-")]):
    sender = "r.singh@client.example" if "Keyboard" in subj else f"user{k}@client.example"
    add(f"record-number-unknown-{k + 1}", build(1030 + k, sender, subj, "Please check."), verdict, detail)

# ----- 12. Subjects ---------------------------------------------------------------------------------------------
on_record = [("Re: Printer on floor 3 keeps jamming", "INC0000101"), ("AW: VPN connection drops every hour", "INC0000102"),
             ("RE: Outlook calendar not syncing on iPhone", "INC0000104"), ("Re: Re: Monitor flickering  after docking", "INC0000107"),
             ("Fwd: Teams meeting audio echo", "INC0000109"), ("SV: Wi-Fi in meeting room Aurora slow", "INC0000113"),
             ("Re: [EXTERNAL] Scanner sends empty PDFs", "INC0000117"), ("Re: " + ew_q("Ordinateur portable très lent"), "INC0000119")]
for k, (subj, number) in enumerate(on_record):
    sender = next(r[3][-1] for r in RECORDS if r[0] == number)
    add(f"subject-match-{k + 1}", build(1100 + k, sender.upper() if k == 3 else sender, subj, replies[k] + "\n\n" + sig(k, sender),
                                        SHAPES[k % 6]), "record", f"{number} subject")
for k, (subj, number) in enumerate(on_record[:6]):
    add(f"subject-stranger-{k + 1}", build(1120 + k, f"stranger{k}@other.example", subj, "I have the same problem!"),
        "ambiguous", "not on the record")
for k, subj in enumerate(["Re: Quarterly report export fails", "AW: Quarterly report export fails", "quarterly REPORT export fails"]):
    add(f"subject-two-open-{k + 1}", build(1130 + k, "ivan.petrov@client.example", subj, "Still failing."), "ambiguous", "2 open records")
for k, subj in enumerate(["Re: Password reset for SAP account", "Re: Software install: Visio 2021"]):
    add(f"subject-closed-{k + 1}", build(1140 + k, ["dieter.kraus@kunde.example", "nils.ek@client.example"][k], subj,
                                         "Happened again."), "new")
for k, subj in enumerate(["Re: Help", "Help", "RE: Problem", "Fwd: Urgent!"]):
    add(f"short-subject-{k + 1}", build(1150 + k, "maria.lopez@client.example", subj, "See below."), "new")

# ----- 13. Auto-replies, bounces, loops -> skipped --------------------------------------------------------------
def autoreply(i, extra, sender="anna.berg@kunde.example", subject="Automatic reply: Printer on floor 3 keeps jamming {CMI: HDX1}",
              text="I am out of office until 10 February with limited access to email.", ctype=None):
    h = envelope(i, sender, subject, extra=extra)
    if ctype:
        return message(h + ctype[0], ctype[1])
    return message(h + plain_part(text)[0], text)
skips = [
    ("auto-replied", [("Auto-Submitted", "auto-replied")], "auto-submitted"),
    ("auto-generated", [("Auto-Submitted", "auto-generated")], "auto-submitted"),
    ("auto-notified", [("Auto-Submitted", "auto-notified; owner-email=\"anna.berg@kunde.example\"")], "auto-submitted"),
    ("auto-submitted-folded", [("Auto-Submitted", "\n auto-replied")], "auto-submitted"),
    ("precedence-bulk", [("Precedence", "bulk")], "precedence"),
    ("precedence-list", [("Precedence", "list"), ("List-Id", "<all-staff.client.example>")], "precedence"),
    ("precedence-junk", [("Precedence", "junk")], "precedence"),
    ("precedence-case", [("PRECEDENCE", "Bulk")], "precedence"),
    ("x-loop", [("X-Loop", "servicedesk@acme-corp.example")], "x-loop"),
    ("x-loop-other", [("X-Loop", "helpdesk-ticketsystem")], "x-loop"),
    ("x-autoreply", [("X-Autoreply", "yes")], "x-autoreply"),
    ("x-autorespond", [("X-Autorespond", "Out of office")], "x-autorespond"),
    ("exchange-oof", [("Auto-Submitted", "auto-generated"), ("X-MS-Exchange-Inbox-Rules-Loop", "anna.berg@kunde.example"),
                      ("X-Auto-Response-Suppress", "All")], "auto-submitted"),
]
for k, (name, extra, kw) in enumerate(skips):
    add(f"skip-{name}", autoreply(1200 + k, extra), "skipped", kw)
for k, own in enumerate(OWN):
    add(f"skip-own-address-{k + 1}", autoreply(1220 + k, [], sender=f"Acme Service Desk <{own.upper() if k == 1 else own}>",
                                               subject="Re: {CMI: HDX1} notification", text="Your ticket was updated."), "skipped", "loop")
dsn_text = "This is the mail system at host mx.kunde.example.\n\nI'm sorry to have to inform you that your message could not\nbe delivered.\n"
dsn = multipart("report", [plain_part(dsn_text), ([("Content-Type", "message/delivery-status")],
                "Reporting-MTA: dns; mx.kunde.example\n\nFinal-Recipient: rfc822; gone@kunde.example\nAction: failed\nStatus: 5.1.1\n"),
                ([("Content-Type", "message/rfc822")], "From: servicedesk@acme-corp.example\nSubject: Ticket {CMI: HDX2}\n\nhello\n")], "dsn_1")
dsn = ([("Content-Type", "multipart/report; report-type=delivery-status;\n\tboundary=\"dsn_1\"")], dsn[1])
add("skip-bounce-mailer-daemon", autoreply(1230, [], sender="Mail Delivery System <MAILER-DAEMON@mx.kunde.example>",
                                            subject="Undelivered Mail Returned to Sender", ctype=dsn),
    "bounce", "INC0000102 not delivered to gone@kunde.example")  # a bounce of mail sent for a record: noted there
add("skip-bounce-postmaster", autoreply(1231, [], sender="postmaster@client.example", subject="Delivery Status Notification (Failure)",
                                        text="Delivery to the following recipient failed permanently: gone@client.example"), "skipped", "bounce")
h = [(n, v) for n, v in envelope(1232, "someone@relay.example", "failure notice {CMI: HDX3}") if n != "Return-Path"]
add("skip-bounce-null-return-path", message([("Return-Path", "<>")] + h, "Hi. This is the qmail-send program.\n"), "skipped", "bounce")
h = [(n, v) for n, v in envelope(1233, "relay@mx.example", "Returned mail: see transcript for details") if n != "Return-Path"]
add("skip-bounce-dsn-only", message(h + dsn[0], dsn[1]), "bounce", "INC0000102 not delivered to gone@kunde.example")
mdn = ([("Content-Type", "multipart/report; report-type=disposition-notification; boundary=\"mdn\"")],
       "--mdn\nContent-Type: text/plain\n\nYour message was read.\n--mdn\nContent-Type: message/disposition-notification\n\nDisposition: manual-action/MDN-sent-manually; displayed\n--mdn--\n")
add("skip-read-receipt", message(envelope(1234, "chen.wei@client.example", "Read: Outlook calendar not syncing on iPhone") + mdn[0], mdn[1]),
    "skipped", "report")
add("skip-return-path-spaces", message([("Return-Path", "< >")] + [(n, v) for n, v in envelope(1235, "x@y.example", "Warning: could not send")
                                                                    if n != "Return-Path"], "Delayed.\n"), "skipped", "bounce")
# Not skipped.
add("not-skipped-auto-response-suppress", build(1240, "chen.wei@client.example", "Re: {CMI: HDX4} calendar", "Thanks.", "alt",
                                               extra=[("X-Auto-Response-Suppress", "DR, RN, NRN, OOF, AutoReply")]), "record", "INC0000104 conversation-id")
add("not-skipped-auto-submitted-no", build(1241, "chen.wei@client.example", "Re: {CMI: HDX24}", "ok", extra=[("Auto-Submitted", "no")]),
    "record", "INC0000104 conversation-id")
add("not-skipped-precedence-normal", build(1242, "k.tanaka@client.example", "New: Beamer in room Orion does not turn on", "Help please.",
                                           extra=[("Precedence", "first-class")]), "new")

# ----- 14. New mail --------------------------------------------------------------------------------------------
new_mail = [
    ("My laptop won't boot after the BIOS update", "Hi,\n\nsince this morning my laptop (Dell Latitude 7440) shows a black screen after the Dell logo.\nI need it for a customer meeting at 2 pm."),
    ("Zugang zum Netzlaufwerk P: fehlt", "Hallo zusammen,\n\nseit dem Umzug ins neue Büro fehlt mir das Laufwerk P:.\nKönnt ihr das bitte prüfen?"),
    ("Request for a second monitor", "Dear IT,\n\ncould I get a second monitor for my desk (4.12)? My manager agreed."),
    ("Phishing? Strange email from 'CEO'", "I received the mail below asking me to buy gift cards. Is this real?\n\n> From: CEO <ceo@acme-c0rp.example>"),
    ("Printer in room 2.07 prints blank pages", "All pages come out blank since yesterday. Toner is new."),
    ("Cannot log in to the expense portal", "Error: 'Your account is locked'. I did not type a wrong password."),
    ("Softwarewunsch: Notepad++", "Bitte Notepad++ auf meinem Rechner installieren. Danke!"),
    ("Mouse is broken", "The left button double-clicks on every click."),
    ("Access to the Finance SharePoint site", "Hi, I started in Finance on Monday and need access to the site 'Controlling'."),
    ("Outlook keeps asking for password", "Every 10 minutes Outlook asks for my password again. Very annoying."),
    ("VPN client update failed", "The update of the VPN client failed with error 1603."),
    ("Demande : nouveau badge", "Bonjour,\n\nj'ai perdu mon badge d'accès. Pouvez-vous m'en faire un nouveau ?\n\nMerci"),
    ("Microsoft Teams crashes on start", "Teams crashes immediately after start. Reinstalling did not help. Windows 11 23H2."),
    ("Conference phone in Aurora has no dial tone", "No dial tone since Friday, the display says 'No service'."),
    ("Request: install Python 3.12", "I need Python 3.12 for a data project. Admin rights would be great too."),
]
for k, (subj, text) in enumerate(new_mail):
    sender = [f"new.person{k}@client.example", f"Müller, Jörg <j.mueller{k}@kunde.example>", f"\"Doe, John\" <john.doe{k}@client.example>"][k % 3]
    if k % 3 == 1:
        sender = f"=?utf-8?q?M=C3=BCller=2C_J=C3=B6rg?= <j.mueller{k}@kunde.example>"
    add(f"new-{k + 1}", build(1300 + k, sender, subj, text + "\n\n" + sig(k, "x@y"), SHAPES[k % 7],
                              eol="\r\n" if k % 4 == 0 else "\n"), "new")

# ----- 15. Weird but valid syntax ------------------------------------------------------------------------------
weird = []
weird.append(("no-space-after-colon", b"From:anna.berg@kunde.example\nTo:servicedesk@acme-corp.example\nSubject:Re: {CMI: HDX21}\nDate:" + date(1).encode() + b"\n\nok\n", "record", "INC0000101 conversation-id"))
weird.append(("header-names-odd-case", b"fRoM: Anna <anna.berg@kunde.example>\nSUBJECT: re: {cmi: hdx41}\nmime-VERSION: 1.0\ncontent-TYPE: TEXT/PLAIN\n\nok\n", "record", "INC0000101 conversation-id"))
weird.append(("mbox-from-line", ("From anna.berg@kunde.example Mon Feb  3 09:00:00 2025\n").encode() + message(envelope(1401, "anna.berg@kunde.example", "Re: {CMI: HDX1}"), "hi\n"), "record", "INC0000101 conversation-id"))
weird.append(("comment-address", b"From: anna.berg@kunde.example (Anna Berg, Einkauf)\nSubject: Re: Printer on floor 3 keeps jamming\n\nstill jammed\n", "record", "INC0000101 subject"))
weird.append(("group-to", b"From: \"Berg, Anna\" <anna.berg@kunde.example>\nTo: Support: servicedesk@acme-corp.example, helpdesk@acme-corp.example;\nCc: undisclosed-recipients:;\nSubject: Re: {CMI: HDX1}\n\nok\n", "record", "INC0000101 conversation-id"))
many = "".join(f"Received: from relay{j}.example by relay{j + 1}.example; {date(j)}\n" for j in range(40))
weird.append(("forty-received-headers", (many + "From: bob.miller@client.example\nSubject: Re: VPN connection drops every hour\n\nstill drops\n").encode(), "record", "INC0000102 subject"))
weird.append(("crlf-multipart", message(envelope(1406, "chen.wei@client.example", "Re: {CMI: HDX4}") + shape("mixed", "See attachment.", 1406)[0],
                                        shape("mixed", "See attachment.", 1406)[1], eol="\r\n"), "record", "INC0000104 conversation-id"))
weird.append(("boundary-with-specials", b"From: chen.wei@client.example\nSubject: test\nContent-Type: multipart/alternative; boundary=\"=_a b:c?d\"\n\n--=_a b:c?d\nContent-Type: text/plain\n\n{CMI: HDX44}\n--=_a b:c?d--\n", "record", "INC0000104 conversation-id"))
weird.append(("tab-folded-references", b"From: bob.miller@client.example\nSubject: Re: again\nReferences:\n\t<a@b>\n\t<" + sent_id(22).encode() + b">\n\n\nok\n", "record", "INC0000102 references"))
weird.append(("in-reply-to-with-comment", b"From: bob.miller@client.example\nSubject: Re: again\nIn-Reply-To: <" + sent_id(42).encode() + b"> (Service Desk's message of Mon, 3 Feb 2025)\n\nok\n", "record", "INC0000102 references"))
weird.append(("no-mime-version-html-looking", b"From: eva.novak@client.example\nSubject: Re: S drive\n\n<p>{CMI: HDX6}</p>\n", "record", "INC0000106 conversation-id"))
weird.append(("long-body-lines", ("From: eva.novak@client.example\nSubject: Re: logs\n\n" + ("x" * 3000) + " {CMI: HDX26} " + ("y" * 3000) + "\n").encode(), "record", "INC0000106 conversation-id"))
weird.append(("digest-default-parts", b"From: facility@client.example\nSubject: digest\nContent-Type: multipart/digest; boundary=d\n\n--d\n\nFrom: x@y\nSubject: one\n\nfirst {CMI: HDX10}\n--d\n\nFrom: x@y\nSubject: two\n\nsecond\n--d--\n", "record", "INC0000110 conversation-id"))
weird.append(("empty-body", b"From: olga.ivanova@client.example\nSubject: Re: Scanner sends empty PDFs\n\n", "record", "INC0000117 subject"))
weird.append(("headers-only-no-blank-line", b"From: olga.ivanova@client.example\nSubject: {CMI: HDX17}", "record", "INC0000117 conversation-id"))
for k, (name, raw, verdict, detail) in enumerate(weird):
    add(f"weird-{name}", raw, verdict, detail)

# ----- 16. Non-UTF-8 charsets ----------------------------------------------------------------------------------
def latin_message(i, charset, subject_raw, text, cte="8bit", sender="p.wagner@kunde.example"):
    h = envelope(i, sender, "PLACEHOLDER")
    head = "".join(f"{n}: {v}\n" for n, v in h if n != "Subject").encode()
    body = text.encode({"x-mac-roman": "mac_roman"}.get(charset, charset), errors="replace")
    if cte == "quoted-printable": body = quopri.encodestring(body)
    return (head + b"Subject: " + subject_raw + b"\nContent-Type: text/plain; charset=" + charset.encode() +
            b"\nContent-Transfer-Encoding: " + cte.encode() + b"\n\n" + body + b"\n")
add("charset-latin1-8bit-body", latin_message(1500, "iso-8859-1", b"Re: Update", "Grüße, das Gerät läuft nicht. {CMI: HDX18}"), "record", "INC0000118 conversation-id")
add("charset-latin1-raw-subject", latin_message(1501, "iso-8859-1", "Re: Bildschirm bleibt schwarz nach Update".encode("latin-1"), "Immer noch schwarz."), "record", "INC0000118 subject")
add("charset-cp1252-quotes", latin_message(1502, "windows-1252", b"Re: \x93Bildschirm bleibt schwarz nach Update\x94 {CMI: HDX38}", "\u201eTest\u201c \u2013 \u20ac"), "record", "INC0000118 conversation-id")
add("charset-latin9-qp", latin_message(1503, "iso-8859-15", b"AW: Rechnung", "Kosten: 40 \u20ac, Ref {CMI: HDX58}", "quoted-printable"), "record", "INC0000118 conversation-id")
add("charset-unknown-koi8", latin_message(1504, "koi8-r", b"=?koi8-r?B?8NLJ18XU?= {CMI: HDX19}", "\u041f\u0440\u0438\u0432\u0435\u0442", "8bit", "q.martin@client.fr.example"), "record", "INC0000119 conversation-id")
add("charset-unknown-body-id", latin_message(1505, "x-mac-roman", b"Re: hello", "Bonjour {CMI: HDX39}", "8bit", "q.martin@client.fr.example"), "record", "INC0000119 conversation-id")
add("charset-ascii-named", latin_message(1506, "us-ascii", b"Re: VPN", "Ref {CMI: HDX2}", "7bit", "bob.miller@client.example"), "record", "INC0000102 conversation-id")
add("charset-latin1-encoded-subject-new", latin_message(1507, "iso-8859-1", b"=?ISO-8859-1?Q?Kaffeemaschine_im_3=2E_Stock_tropft?=", "Sie tropft.", "8bit", "kantine@kunde.example"), "new")
add("charset-invalid-utf8-subject", b"From: p.wagner@kunde.example\nSubject: Re: Bildschirm bleibt schwarz nach Update \xff\xfe\nContent-Type: text/plain; charset=utf-8\n\nbroken bytes \xc3\x28 {CMI: HDX58}\n", "record", "INC0000118 conversation-id")

# ----- 17. Every charset real desks receive (converted by glibc's iconv) -----------------------------------------
# Subjects as encoded words in charsets beyond Latin: each reply carries its conversation ID inside the word.
def ew_b_bytes(data, label): return f"=?{label}?B?{base64.b64encode(data).decode()}?="
def ew_q_bytes(data, label):
    return f"=?{label}?Q?" + "".join("_" if b == 32 else (chr(b) if b < 128 and chr(b).isalnum() else f"={b:02X}") for b in data) + "?="
wide_subjects = [  # (label written in the mail, Python codec, native text, B or Q)
    ("windows-1251", "cp1251", "Принтер снова не печатает", "B"),
    ("cp1251", "cp1251", "Ответ: принтер", "Q"),
    ("ISO-2022-JP", "iso2022_jp", "返信：プリンターの件", "B"),
    ("iso-8859-2", "iso8859_2", "Drukarka znowu nie działa, proszę o pomoc", "Q"),
    ("KOI8-R", "koi8_r", "Ответ на запрос", "B"),
    ("koi8-u", "koi8_u", "Принтер знову не друкує, їжак", "B"),
    ("Shift_JIS", "shift_jis", "プリンターが動きません", "B"),
    ("x-sjis", "cp932", "再送：①プリンター", "B"),
    ("GB18030", "gb18030", "打印机又坏了", "B"),
    ("gb2312", "gbk", "打印机又坏了 喆", "B"),
    ("Big5", "big5", "印表機又壞了", "B"),
    ("EUC-KR", "euc_kr", "프린터가 또 고장났습니다", "B"),
    ("ks_c_5601-1987", "cp949", "회신: 프린터 똠", "B"),
    ("EUC-JP", "euc_jp", "プリンターの件です", "Q"),
    ("UTF-7", "utf_7", "Réponse ✓ à votre demande", "Q"),
    ("unicode-1-1-utf-7", "utf_7", "Antwort ✓", "B"),
    ("iso-8859-8-i", "iso8859_8", "המדפסת לא עובדת", "B"),
    ("ISO-8859-7", "iso8859_7", "Ο εκτυπωτής δεν λειτουργεί", "Q"),
    ("\"utf8\"", "utf-8", "Grüße ✓", "B"),
    ("UTF-16", "utf-16", "Принтер", "B"),
]
for k, (label, codec, text, enc) in enumerate(wide_subjects):
    i = 1600 + k
    n = 1 + (k * 7) % 60
    number = record_of(n)
    sender = who(number)
    data = f"{text} {{CMI: {PREFIX}{n}}}".encode(codec)
    word = ew_b_bytes(data, label) if enc == "B" else ew_q_bytes(data, label)
    add(f"charset-subject-{re.sub('[^a-z0-9]+', '-', label.lower()).strip('-')}", build(i, sender, "Re: " + word,
        replies[k] + "\n\n" + sig(k, sender), SHAPES[k % 4]), "record", f"{number} conversation-id")

# A UTF-8 character split between two adjacent B words (clients cut at a byte count): one character again.
split = f"Bildschirm bleibt schwarz nach Update — Grüße".encode()
cut = split.index("—".encode()) + 1
add("charset-subject-split-character", build(1630, "p.wagner@kunde.example",
    "Re: " + ew_b_bytes(split[:cut], "utf-8") + "\n " + ew_b_bytes(split[cut:], "utf-8") + " {CMI: HDX18}", "Grüße", "plain"),
    "record", "INC0000118 conversation-id")
# Subjects matched by their text (rule 4) and by record number (rule 3) only once decoded.
add("charset-subject-koi8-text-match", build(1631, "p.wagner@kunde.example",
    "Re: " + ew_b_bytes("Bildschirm bleibt schwarz nach Update".encode("koi8_r"), "koi8-r"), "Immer noch.", "plain"),
    "record", "INC0000118 subject")
add("charset-subject-sjis-record-number", build(1632, "olga.ivanova@client.example",
    ew_b_bytes("再送 INC0000117 スキャナー".encode("cp932"), "shift_jis"), "よろしくお願いします。", "plain"), "record", "INC0000117 record-number")
add("charset-subject-big5-record-number", build(1633, "someone.new@client.example",
    ew_b_bytes("回覆 INC0000109 會議".encode("big5"), "big5"), "謝謝", "plain"), "record", "INC0000109 record-number")
# Raw 8-bit bytes inside a Q word are in the word's charset and decoded once (not read as Windows-1252 first).
h = envelope(1634, "q.martin@client.fr.example", "PLACEHOLDER")
add("charset-subject-raw-8bit-in-q-word", "".join(f"{a}: {b}\n" for a, b in h if a != "Subject").encode() +
    b"Subject: Re: =?iso-8859-1?Q?Ordinateur_portable_tr\xe8s_lent?=\nContent-Type: text/plain; charset=utf-8\n\nToujours lent.\n",
    "record", "INC0000119 subject")
h = envelope(1635, "olga.ivanova@client.example", "PLACEHOLDER")
add("charset-subject-raw-8bit-cp1251-q-word", "".join(f"{a}: {b}\n" for a, b in h if a != "Subject").encode() +
    b"Subject: =?windows-1251?Q?Re:_\xee\xef\xff\xf2\xfc_{CMI:_HDX17}?=\nContent-Type: text/plain\n\nok\n",
    "record", "INC0000117 conversation-id")

# Bodies: the ID only in the body, in wide, shifting and legacy multi-byte charsets, raw, quoted-printable, base64.
def body_case(i, sender, subject, label, payload, cte, subtype="plain"):
    h = envelope(i, sender, subject)
    if cte == "base64": body = base64.encodebytes(payload)
    elif cte == "quoted-printable": body = quopri.encodestring(payload)
    else: body = payload
    head = "".join(f"{a}: {b}\n" for a, b in h).encode()
    return (head + f"Content-Type: text/{subtype}; charset={label}\nContent-Transfer-Encoding: {cte}\n\n".encode() + body + b"\n")
bodies = [  # (label, payload encoder, transfer encoding)
    ("utf-16", lambda t: t.encode("utf-16"), "base64"),                               # BOM, little-endian (Python's)
    ("UTF-16LE", lambda t: t.encode("utf-16-le"), "base64"),                          # no BOM
    ("utf-16be", lambda t: t.encode("utf-16-be"), "base64"),                          # no BOM
    ("utf-16", lambda t: t.encode("utf-16-be"), "base64"),                            # no BOM: big-endian (RFC 2781)
    ("utf-16", lambda t: t.encode("utf-16-le"), "base64"),                            # no BOM, little-endian (Windows)
    ("utf-16be", lambda t: b"\xfe\xff" + t.encode("utf-16-be"), "base64"),            # a BOM although the name fixes the order
    ("UTF-16", lambda t: t.encode("utf-16"), "quoted-printable"),
    ("utf-32", lambda t: t.encode("utf-32"), "base64"),                               # BOM
    ("UTF-32BE", lambda t: t.encode("utf-32-be"), "base64"),
    ("utf-32le", lambda t: t.encode("utf-32-le"), "base64"),
    ("iso-2022-jp", lambda t: t.encode("iso2022_jp"), "7bit"),
    ("ISO-2022-JP", lambda t: t.encode("iso2022_jp"), "base64"),
    ("iso-2022-jp", lambda t: t.encode("iso2022_jp"), "quoted-printable"),
    ("windows-1251", lambda t: t.encode("cp1251"), "quoted-printable"),
    ("koi8-r", lambda t: t.encode("koi8_r"), "8bit"),
    ("shift_jis", lambda t: t.encode("cp932"), "base64"),
    ("gb2312", lambda t: t.encode("gbk"), "base64"),
    ("big5", lambda t: t.encode("big5"), "quoted-printable"),
    ("euc-kr", lambda t: t.encode("euc_kr"), "8bit"),
    ("utf-7", lambda t: t.encode("utf_7"), "7bit"),
    ("iso-8859-2", lambda t: t.encode("iso8859_2", errors="replace"), "quoted-printable"),
    ("\"Windows-1250\"", lambda t: t.encode("cp1250", errors="replace"), "base64"),
]
def body_text(label):
    name = label.lower()
    if "2022" in name or "jis" in name: return "プリンターが動きません。"
    if "gb" in name: return "打印机又坏了。"
    if "big5" in name: return "印表機又壞了。"
    if "kr" in name: return "프린터가 또 고장났습니다."
    if "1251" in name or "koi8" in name: return "Принтер снова не печатает."
    if "8859-2" in name or "1250" in name: return "Drukarka znowu nie działa."
    return "Réponse à votre demande ✓ Принтер"
for k, (label, encode, cte) in enumerate(bodies):
    i = 1650 + k
    n = 2 + (k * 11) % 59
    number = record_of(n)
    sender = who(number)
    text = f"{body_text(label)}\n\nReference: {{CMI: {PREFIX}{n}}}\n"
    add(f"charset-body-{k + 1}-{re.sub('[^a-z0-9]+', '-', label.lower()).strip('-')}-{cte.split('-')[0]}",
        body_case(i, sender, "Re: your request", label, encode(text), cte), "record", f"{number} conversation-id")
add("charset-body-utf16-html", body_case(1680, who(record_of(33)), "Re: your request", "utf-16",
                                        f"<html><body><p>Привет</p><p>Ref &#123;CMI: {PREFIX}33&#125;</p></body></html>".encode("utf-16"),
                                        "base64", "html"), "record", f"{record_of(33)} conversation-id")
# A charset iconv does not know: read as UTF-8 (the evidence says so), the ID still found.
add("charset-body-unknown-name", body_case(1681, who(record_of(44)), "Re: your request", "x-no-such-charset",
                                          f"Grüße {{CMI: {PREFIX}44}}".encode(), "base64"), "record", f"{record_of(44)} conversation-id")
add("charset-subject-unknown-name", build(1682, who(record_of(45)), "Re: " + ew_b_bytes(f"Grüße {{CMI: {PREFIX}45}}".encode(), "x-klingon"),
                                          "ok", "plain"), "record", f"{record_of(45)} conversation-id")
# A new message in Japanese (no ID, no record) stays new.
add("charset-new-iso-2022-jp", body_case(1683, "tanaka@client.example", ew_b_bytes("新しいノートパソコン".encode("iso2022_jp"), "iso-2022-jp"),
                                         "iso-2022-jp", "ノートパソコンをお願いします。".encode("iso2022_jp"), "7bit"), "new")

# ----- write ---------------------------------------------------------------------------------------------------
if os.path.isdir(OUT): shutil.rmtree(OUT)
os.makedirs(OUT)
names = set()
with open(os.path.join(OUT, "expected.tsv"), "w") as tsv:
    tsv.write("# file\tverdict\tdetail (record: NUMBER rule; ambiguous/skipped: keyword of the reason; bounce: NUMBER note; new: -)\n")
    for number, (name, raw, verdict, detail) in enumerate(cases, 1):
        file = f"{number:03d}-{name}.eml"
        assert name not in names, name
        names.add(name)
        with open(os.path.join(OUT, file), "wb") as f: f.write(raw)
        tsv.write(f"{file}\t{verdict}\t{detail}\n")
index = {
    "prefix": PREFIX, "ownAddresses": OWN,
    "records": [{"number": n, "subject": s, "status": st, "participants": p + ["servicedesk@acme-corp.example"]} for n, s, st, p in RECORDS],
    "conversationIDs": {f"{PREFIX}{n}": record_of(n) for n in range(1, 61)},
    "sentMessageIDs": {sent_id(n): record_of(n) for n in range(1, 61)},
}
with open(os.path.join(OUT, "index.json"), "w") as f: json.dump(index, f, indent=1, ensure_ascii=False)
print(f"{len(cases)} messages")
