#!/usr/bin/env python3
"""Writes N benchmark messages (1 to 8 KB, varied MIME shapes) and the index they match against.

Usage: generate.py DIR N [SEED]. Files: DIR/msgNNNNNNN.eml and DIR/index.json (prefix, own addresses, records,
conversation IDs, sent Message-IDs). Shapes: plain 7bit, plain quoted-printable, multipart/alternative (QP text +
QP HTML), base64 HTML only, multipart/mixed with a base64 attachment, multipart/related with an inline image.
Evidence: IDs of our prefix in the subject or the quoted body (also inside HTML and QP/base64 parts), references to
sent mail, record numbers, subjects of open records, damaged and foreign IDs, auto-replies and bounces, new mail.
"""
import base64, json, os, quopri, random, sys

out, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
os.makedirs(out, exist_ok=True)
PREFIX = "BENCH"
WORDS = ("the printer on floor three is jammed again and nobody can print invoices since this morning please "
         "help us quickly because the deadline is today we restarted it twice already error code shows paper "
         "path blocked der Drucker funktioniert nicht mehr bitte um Rückruf merci beaucoup pour votre aide "
         "VPN connection drops every hour laptop monitor docking station keyboard mouse Outlook Teams SAP "
         "password reset account locked shared drive access request badge reader Wi-Fi meeting room").split()
RECORDS = 5000
subjects = {}
records = []
for r in range(1, RECORDS + 1):
    subj = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 8))) + f" case {r}"
    records.append({"number": f"INC{r:07d}", "subject": subj, "status": "open" if r % 7 else "closed",
                    "participants": [f"user{r}@client.example", f"boss{r % 50}@client.example"]})
conv = {f"{PREFIX}{n}": f"INC{(n - 1) % RECORDS + 1:07d}" for n in range(1, 20001)}
sent = {f"mailsh.{n}@acme-corp.example": f"INC{(n - 1) % RECORDS + 1:07d}" for n in range(1, 20001)}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"prefix": PREFIX, "ownAddresses": ["desk@acme-corp.example"], "records": records,
               "conversationIDs": conv, "sentMessageIDs": sent}, f)

def paragraph(n):
    words = [rng.choice(WORDS) for _ in range(n)]
    lines, line = [], []
    for w in words:
        line.append(w)
        if len(line) > 11:
            lines.append(" ".join(line)); line = []
    lines.append(" ".join(line))
    return "\n".join(lines)

def html(text):
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return ("<html><head><style>p{margin:0}</style></head><body><div class=\"WordSection1\">"
            + "".join(f"<p class=\"MsoNormal\"><span style=\"font-family:Calibri\">{p}</span></p>\n" for p in esc.split("\n"))
            + "</div></body></html>\n")

for k in range(count):
    size = rng.randint(1000, 8000)
    r = rng.randint(1, RECORDS)
    n = rng.randint(1, 20000)
    sender = f"user{r}@client.example"
    subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
    headers = [f"Received: from mail.client.example (mail.client.example [192.0.2.{k % 250}])\n\tby mx.acme-corp.example with ESMTPS id {k:08X}\n\tfor <desk@acme-corp.example>; Mon, 3 Feb 2025 10:00:00 +0100",
               f"Return-Path: <{sender}>"]
    kind = rng.random()
    tail = ""
    extra = []
    if kind < 0.30:
        subject = f"Re: {subject} {{CMI: {PREFIX}{n}}}"
    elif kind < 0.45:
        tail = f"\n\n> On Monday the service desk wrote:\n> {paragraph(20)}\n> {{CMI: {PREFIX}{n}}}\n"
        subject = "Re: " + subject
    elif kind < 0.55:
        extra.append(f"In-Reply-To: <mailsh.{n}@acme-corp.example>")
        extra.append(f"References: <CA{k}@mail.client.example>\n <mailsh.{n}@acme-corp.example>")
        subject = "RE: " + subject
    elif kind < 0.60:
        subject = f"[INC{r:07d}] {subject}"
    elif kind < 0.68:
        subject = "Re: " + records[r - 1]["subject"]
    elif kind < 0.71:
        subject = f"Re: {subject} {{CMI: {PREFIX}{n}"
    elif kind < 0.73:
        subject = f"Re: {subject} {{CMI: OTHER{n}}}"
    elif kind < 0.78:
        extra.append(rng.choice(["Auto-Submitted: auto-replied", "Precedence: bulk", "X-Loop: desk@acme-corp.example"]))
    headers += [f"From: \"User {r}\" <{sender}>", "To: Service Desk <desk@acme-corp.example>", f"Subject: {subject}",
                "Date: Mon, 3 Feb 2025 10:00:00 +0100", f"Message-ID: <{k}.{r}@mail.client.example>", "MIME-Version: 1.0",
                "X-Mailer: Microsoft Outlook 16.0", "Thread-Index: AdtKbench" + str(k)] + extra
    text = paragraph(max(20, (size - 900) // 14)) + tail
    b = f"----=_NextPart_{k:06d}_ABCD"
    shape = rng.random()
    if shape < 0.30:
        body_headers = ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
        body = text
    elif shape < 0.45:
        body_headers = ["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"]
        body = quopri.encodestring(text.encode()).decode()
    elif shape < 0.65:
        body_headers = [f"Content-Type: multipart/alternative; boundary=\"{b}\""]
        body = (f"--{b}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
                + quopri.encodestring(text[: len(text) // 2].encode()).decode()
                + f"\n--{b}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
                + quopri.encodestring(html(text[: len(text) // 2]).encode()).decode() + f"\n--{b}--\n")
    elif shape < 0.75:
        body_headers = ["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: base64"]
        body = base64.encodebytes(html(text).encode()).decode()
    elif shape < 0.90:
        body_headers = [f"Content-Type: multipart/mixed; boundary=\"{b}\""]
        half = len(text) // 2
        body = (f"--{b}\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
                + quopri.encodestring(text[:half].encode("latin-1", "replace")).decode()
                + f"\n--{b}\nContent-Type: application/octet-stream; name=log.bin\nContent-Disposition: attachment; filename=log.bin\n"
                + "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(bytes(rng.getrandbits(8) for _ in range(half // 2))).decode()
                + f"--{b}--\n")
    else:
        body_headers = [f"Content-Type: multipart/related; boundary=\"{b}\""]
        body = (f"--{b}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
                + quopri.encodestring(html(text).replace("</body>", "<img src=\"cid:image001.png\"></body>").encode()).decode()
                + f"\n--{b}\nContent-Type: image/png\nContent-ID: <image001.png>\nContent-Transfer-Encoding: base64\n\n"
                + base64.encodebytes(bytes(300)).decode() + f"--{b}--\n")
    raw = "\r\n".join(headers + body_headers).replace("\n\t", "\r\n\t").replace("\n <", "\r\n <") + "\r\n\r\n" + body.replace("\n", "\r\n")
    with open(os.path.join(out, f"msg{k:07d}.eml"), "wb") as f:
        f.write(raw.encode("utf-8"))
