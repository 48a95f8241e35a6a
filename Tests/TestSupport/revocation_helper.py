#!/usr/bin/env python3
"""Revocation fixtures the openssl command line cannot make, for smimekit's tests.

  revocation_helper.py serve CONTROL_DIR
      An HTTP server on 127.0.0.1 (a port the system picks; printed as
      "PORT n" on the first line of stdout) that serves CRLs and issuer
      certificates from files and answers OCSP requests (POST, and GET with the
      request in the path) with responses built by the `cryptography` package.
      What it serves is read from CONTROL_DIR/state.json on every request, so a
      test can change it while the server runs; each request is appended to
      CONTROL_DIR/requests.log as "METHOD PATH".

  revocation_helper.py indirect-crl --signer-cert C --signer-key K --number N
                                    --out FILE --entry SERIAL:ISSUER_CERT ...
      An indirect CRL (issuingDistributionPoint indirectCRL) signed by C whose
      entries name their certificate issuer (certificateIssuer).

state.json:
  {"files": {"/crl/int.crl": "/path/file.der", ...},
   "hang": ["/ocsp/slow", ...],                  # accept, read, never answer
   "redirect": {"/crl/x.crl": "https://elsewhere/x.crl"},
   "ocsp": {"/ocsp/int": {"issuer": "cert.pem", "responder": "cert.pem",
                          "responder_key": "key.pem",
                          "this_update": -60, "next_update": 3600 or null,
                          "certs": {"SERIALHEX": {"cert": "cert.pem",
                                                  "status": "good|revoked|unknown"}}}}}
"""
import base64
import datetime
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp


def load_cert(path):
    data = open(path, "rb").read()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def load_key(path):
    return serialization.load_pem_private_key(open(path, "rb").read(), password=None)


def now():
    return datetime.datetime.utcnow().replace(microsecond=0)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    control = "."

    def log_message(self, fmt, *args):
        pass

    def state(self):
        try:
            with open(os.path.join(self.control, "state.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def record(self):
        with open(os.path.join(self.control, "requests.log"), "a") as f:
            f.write("%s %s\n" % (self.command, self.path))

    def reply(self, code, body=b"", ctype="application/octet-stream", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def hang_if_asked(self, state):
        for prefix in state.get("hang", []):
            if self.path.startswith(prefix):
                time.sleep(120)
                return True
        return False

    def do_GET(self):
        self.record()
        state = self.state()
        if self.hang_if_asked(state):
            return
        if self.path in state.get("redirect", {}):
            return self.reply(302, headers=[("Location", state["redirect"][self.path])])
        for prefix, conf in state.get("ocsp", {}).items():
            if self.path.startswith(prefix + "/"):
                der = base64.b64decode(urllib.parse.unquote(self.path[len(prefix) + 1:]))
                return self.ocsp(conf, der)
        path = state.get("files", {}).get(self.path)
        if path is None:
            return self.reply(404, b"not here", "text/plain")
        body = open(path, "rb").read()
        ctype = "application/pkix-crl" if self.path.endswith(".crl") else "application/pkix-cert"
        return self.reply(200, body, ctype)

    def do_POST(self):
        self.record()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        state = self.state()
        if self.hang_if_asked(state):
            return
        conf = state.get("ocsp", {}).get(self.path)
        if conf is None:
            return self.reply(404, b"not here", "text/plain")
        return self.ocsp(conf, body)

    def ocsp(self, conf, der):
        try:
            request = ocsp.load_der_ocsp_request(der)
        except ValueError:
            return self.send_ocsp(ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST))
        serial = format(request.serial_number, "X")
        entry = conf.get("certs", {}).get(serial)
        if entry is None:
            return self.send_ocsp(ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED))
        t = now()
        this_update = t + datetime.timedelta(seconds=conf.get("this_update", -60))
        nu = conf.get("next_update", 3600)
        next_update = None if nu is None else t + datetime.timedelta(seconds=nu)
        status = entry.get("status", "good")
        cert_status = {"good": ocsp.OCSPCertStatus.GOOD, "revoked": ocsp.OCSPCertStatus.REVOKED,
                       "unknown": ocsp.OCSPCertStatus.UNKNOWN}[status]
        responder = load_cert(conf["responder"])
        builder = ocsp.OCSPResponseBuilder().add_response(
            cert=load_cert(entry["cert"]), issuer=load_cert(conf["issuer"]), algorithm=hashes.SHA1(),
            cert_status=cert_status, this_update=this_update, next_update=next_update,
            revocation_time=(t - datetime.timedelta(hours=2)) if status == "revoked" else None,
            revocation_reason=x509.ReasonFlags.key_compromise if status == "revoked" else None,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, responder)
        builder = builder.certificates([responder])
        response = builder.sign(load_key(conf["responder_key"]), hashes.SHA256())
        return self.send_ocsp(response)

    def send_ocsp(self, response):
        self.reply(200, response.public_bytes(serialization.Encoding.DER), "application/ocsp-response")


def serve(control):
    Handler.control = control
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    # Stop when the test that started us goes away (stdin closes).
    def watch():
        sys.stdin.read()
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()
    server.serve_forever()


def indirect_crl(args):
    opts = {"entry": []}
    i = 0
    while i < len(args):
        key = args[i].lstrip("-").replace("-", "_")
        if key == "entry":
            opts["entry"].append(args[i + 1])
        else:
            opts[key] = args[i + 1]
        i += 2
    signer = load_cert(opts["signer_cert"])
    key = load_key(opts["signer_key"])
    t = now()
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(signer.subject)
               .last_update(t - datetime.timedelta(hours=1))
               .next_update(t + datetime.timedelta(days=1))
               .add_extension(x509.CRLNumber(int(opts.get("number", "1"))), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
               .add_extension(x509.IssuingDistributionPoint(
                   full_name=None, relative_name=None, only_contains_user_certs=False,
                   only_contains_ca_certs=False, only_some_reasons=None, indirect_crl=True,
                   only_contains_attribute_certs=False), critical=True))
    for entry in opts["entry"]:
        serial, issuer_path = entry.split(":", 1)
        issuer = load_cert(issuer_path)
        revoked = (x509.RevokedCertificateBuilder()
                   .serial_number(int(serial, 16))
                   .revocation_date(t - datetime.timedelta(hours=2))
                   .add_extension(x509.CertificateIssuer([x509.DirectoryName(issuer.subject)]), critical=True)
                   .build())
        builder = builder.add_revoked_certificate(revoked)
    crl = builder.sign(key, hashes.SHA256())
    with open(opts["out"], "wb") as f:
        f.write(crl.public_bytes(serialization.Encoding.DER))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    elif len(sys.argv) >= 2 and sys.argv[1] == "indirect-crl":
        indirect_crl(sys.argv[2:])
    else:
        sys.exit(__doc__)
