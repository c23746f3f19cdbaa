#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A registry that misbehaves, for the bad-input tests (the test's own).

  /v2/                              200
  /v2/fake/huge/manifests/*         a 5 MiB manifest (netd refuses > 4 MiB)
  /v2/fake/lying/manifests/*        a manifest whose Docker-Content-Digest lies
  /v2/fake/flaky/...                503 for everything (retries, then a clear error)

usage: fake_registry.py PORT"""
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAN = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                  "digest": "sha256:" + "1" * 64, "size": 2}, "layers": []}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/v2/":
            return self.send(200, b"{}")
        if p.startswith("/v2/fake/huge/manifests/"):
            m = dict(MAN, annotations={"pad": "x" * (5 << 20)})
            return self.send(200, json.dumps(m).encode(), [("Content-Type", MAN["mediaType"])])
        if p.startswith("/v2/fake/lying/manifests/"):
            return self.send(200, json.dumps(MAN).encode(), [("Content-Type", MAN["mediaType"]),
                                                            ("Docker-Content-Digest", "sha256:" + "0" * 64)])
        if p.startswith("/v2/fake/flaky/"):
            return self.send(503, b'{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}')
        return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}')

    do_HEAD = do_GET


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
