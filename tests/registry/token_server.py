#!/usr/bin/env python3
"""A minimal Docker registry token service for kbr's registry tests.

Implements the distribution token flow: GET /token?service=S&scope=T[&scope=...]
with optional Basic auth. Grants, for every requested repository scope, the
intersection of the requested actions with what the caller may do:
  --user NAME:PASSWORD:PATTERN   NAME may pull+push (and delete) repositories
                                 matching the fnmatch PATTERN (repeatable);
  --anonymous PATTERN            anonymous callers may pull matching repositories.
Wrong credentials get 401. Tokens are ES256/RS256 JWTs carrying the signing
certificate in the x5c header, which the registry checks against its
`auth.token.rootcertbundle`. Serves HTTPS with --cert/--key; writes the port
it listens on to --port-file.
"""
import argparse
import base64
import fnmatch
import json
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--cert", required=True, help="TLS server certificate (PEM)")
    p.add_argument("--key", required=True, help="TLS server key (PEM)")
    p.add_argument("--signing-cert", required=True)
    p.add_argument("--signing-key", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--user", action="append", default=[])
    p.add_argument("--anonymous", action="append", default=[])
    p.add_argument("--expires-in", type=int, default=300)
    return p.parse_args()


ARGS = parse_args()
USERS = {}
for spec in ARGS.user:
    name, password, pattern = spec.split(":", 2)
    USERS.setdefault(name, {"password": password, "patterns": []})["patterns"].append(pattern)

with open(ARGS.signing_key, "rb") as f:
    SIGNING_KEY = serialization.load_pem_private_key(f.read(), password=None)
with open(ARGS.signing_cert, "rb") as f:
    CERT = x509.load_pem_x509_certificate(f.read())
X5C = [base64.b64encode(CERT.public_bytes(serialization.Encoding.DER)).decode()]
ALG = "ES256" if isinstance(SIGNING_KEY, ec.EllipticCurvePrivateKey) else "RS256"
LOCK = threading.Lock()
ISSUED = []  # (user, scopes) for tests that want to look


def allowed_actions(user, repo, requested):
    if user is None:
        ok = any(fnmatch.fnmatchcase(repo, p) for p in ARGS.anonymous)
        return [a for a in requested if a == "pull"] if ok else []
    ok = any(fnmatch.fnmatchcase(repo, p) for p in USERS[user]["patterns"])
    return [a for a in requested if a in ("pull", "push", "delete", "*")] if ok else []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):  # quiet; the fixture keeps stderr in a log file
        sys.stderr.write("token-server: " + (fmt % args) + "\n")

    def reply(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def authenticate(self):
        """Returns (ok, user): user None for anonymous."""
        header = self.headers.get("Authorization", "")
        if not header:
            return True, None
        if not header.startswith("Basic "):
            return False, None
        try:
            name, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except Exception:
            return False, None
        entry = USERS.get(name)
        if entry is None or entry["password"] != password:
            return False, None
        return True, name

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        ok, user = self.authenticate()
        if not ok:
            return self.reply(401, {"error": "invalid credentials"},
                              {"WWW-Authenticate": 'Basic realm="kbr-test-token"'})
        query = parse_qs(url.query)
        if query.get("service", [""])[0] != ARGS.service:
            return self.reply(400, {"error": "unknown service"})
        access = []
        for scope in query.get("scope", []):
            parts = scope.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            kind, actions = parts[0], parts[-1]
            repo = ":".join(parts[1:-1])
            granted = allowed_actions(user, repo, actions.split(","))
            access.append({"type": kind, "name": repo, "actions": granted})
        now = int(time.time())
        claims = {
            "iss": ARGS.issuer,
            "sub": user or "",
            "aud": ARGS.service,
            "exp": now + ARGS.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        token = jwt.encode(claims, SIGNING_KEY, algorithm=ALG, headers={"x5c": X5C})
        with LOCK:
            ISSUED.append((user, query.get("scope", [])))
        self.reply(200, {"token": token, "access_token": token, "expires_in": ARGS.expires_in,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
