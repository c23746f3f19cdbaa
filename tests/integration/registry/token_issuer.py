#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A small token issuer for docker-registry's token auth (the test's own).

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] with optional
Basic credentials. Anonymous callers get pull on everything; USER:PASSWORD
gets pull and push. Wrong credentials get 401. Tokens are RS256 JWTs with
the signing certificate in x5c (the registry trusts it through its
rootcertbundle) and expire after --ttl seconds. Each token issued is one
line in --log: "<unix time> <user or -> <scopes>".

usage: token_issuer.py --port P --key K --cert C --issuer I --service S
                       --user U --password PW --ttl 10 --log FILE
"""
import argparse, base64, json, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

ap = argparse.ArgumentParser()
for k in ("port", "key", "cert", "issuer", "service", "user", "password", "log"):
    ap.add_argument("--" + k, required=True)
ap.add_argument("--ttl", type=int, default=10)
a = ap.parse_args()
key = open(a.key, "rb").read()
cert = x509.load_pem_x509_certificate(open(a.cert, "rb").read())
x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]


class H(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urlparse(self.path)
        if u.path != "/token":
            return self.reply(404, {"details": "not found"})
        q = parse_qs(u.query)
        who = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                return self.reply(400, {"details": "bad Authorization"})
            if user != a.user or pw != a.password:
                return self.reply(401, {"details": "incorrect username or password"})
            who = user
        access = []
        for s in q.get("scope", []):
            parts = s.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            want = parts[-1].split(",")
            grant = [x for x in want if x == "pull" or (who and x == "push")]
            access.append({"type": "repository", "name": ":".join(parts[1:-1]), "actions": grant})
        now = int(time.time())
        claims = {"iss": a.issuer, "sub": who or "", "aud": q.get("service", [a.service])[0],
                  "exp": now + a.ttl, "nbf": now - 1, "iat": now, "jti": uuid.uuid4().hex,
                  "access": access}
        tok = jwt.encode(claims, key, algorithm="RS256", headers={"x5c": x5c})
        with open(a.log, "a") as f:
            f.write("%d %s %s\n" % (now, who or "-", " ".join(q.get("scope", []))))
        self.reply(200, {"token": tok, "access_token": tok, "expires_in": a.ttl,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})


ThreadingHTTPServer(("127.0.0.1", int(a.port)), H).serve_forever()
