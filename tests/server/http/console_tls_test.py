"""The web console over HTTPS with client certificates (issue 16, item 3).

usage: /usr/bin/python3 console_tls_test.py LANTERN SOURCE_DIR

Makes a development CA, a server certificate and three client
certificates with openssl, starts the real `lantern serve` with mutual TLS,
an access file and --console_listen 127.0.0.1:0, makes a decision over
gRPC as an assessor, then calls the console's API over HTTPS:

  - without a client certificate the handshake fails;
  - each caller is the principal its certificate names, with the roles of
    the access file (as on gRPC);
  - a data officer reads the decision whole, an auditor without the
    personal data, an assessor only its own decisions;
  - a search the caller's roles do not allow is HTTP 403 naming the roles
    that would do;
  - SIGHUP re-reads the console's certificate, key and client CA: after
    the files are replaced with ones from a new CA, new connections get
    the new server certificate, a client of the new CA is admitted and
    one of the old CA refused; a SIGHUP with a key that cannot be used
    keeps the console as it was, saying so.

Exits 1 saying what failed.
"""
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

PURPOSE = "Console TLS test: audit"
PRINCIPALS = {
    "intake": ("spiffe://lantern.test/intake", "assessor"),
    "audit": ("spiffe://lantern.test/audit", "auditor"),
    "officer": ("spiffe://lantern.test/officer", "data_officer"),
}


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


def openssl(pki, *args):
    result = subprocess.run(["openssl"] + list(args), cwd=pki,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise Failure("openssl %s: %s" % (" ".join(args), result.stderr))


def make_pki(pki):
    os.makedirs(pki)
    openssl(pki, "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj",
            "/CN=lantern-test-ca", "-keyout", "ca.key", "-out", "ca.pem")

    def issue(name, subject, extensions):
        openssl(pki, "req", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-subj", subject,
                "-keyout", name + ".key", "-out", name + ".csr")
        with open(os.path.join(pki, name + ".ext"), "w") as f:
            f.write(extensions)
        openssl(pki, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
                "-CAkey", "ca.key", "-CAcreateserial", "-days", "30",
                "-extfile", name + ".ext", "-out", name + ".pem")

    issue("server", "/CN=localhost",
          "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
          "extendedKeyUsage=serverAuth\n")
    lines = ["principals:"]
    for name, (uri, role) in PRINCIPALS.items():
        issue(name, "/CN=" + name,
              "subjectAltName=URI:%s\nextendedKeyUsage=clientAuth\n" % uri)
        lines.append("  %s: [%s]" % (uri, role))
    with open(os.path.join(pki, "access.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")


def start_server(lantern, src, tmp, pki):
    out = open(os.path.join(tmp, "out"), "w")
    err = open(os.path.join(tmp, "err"), "w")
    server = subprocess.Popen(
        [lantern, "serve", "--listen", "127.0.0.1:0", "--metrics_listen", "",
         "--console_listen", "127.0.0.1:0", "--rules",
         os.path.join(src, "rules"), "--ledger",
         os.path.join(tmp, "ledger.db"),
         "--tls_cert", os.path.join(pki, "server.pem"),
         "--tls_key", os.path.join(pki, "server.key"),
         "--client_ca", os.path.join(pki, "ca.pem"),
         "--access", os.path.join(pki, "access.yaml")],
        stdout=out, stderr=err)
    grpc_addr = console = None
    for _ in range(1200):
        with open(os.path.join(tmp, "out")) as f:
            for line in f:
                if line.startswith("lantern serve: listening on "):
                    grpc_addr = line.split()[-1]
                if line.startswith("lantern serve: console on "):
                    console = line.split()[-1]
        if grpc_addr and console:
            return server, grpc_addr, console
        if server.poll() is not None:
            break
        time.sleep(0.1)
    server.kill()
    raise Failure("the server did not start")


def context(pki, name):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(pki, "ca.pem"))
    if name is not None:
        ctx.load_cert_chain(os.path.join(pki, name + ".pem"),
                            os.path.join(pki, name + ".key"))
    return ctx


def get(console, pki, name, path, params=None):
    url = console + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url,
                                     headers={"X-Lantern-Console": "1"})
    try:
        with urllib.request.urlopen(request, context=context(pki, name),
                                    timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def served_certificate(console, pki, name):
    """The DER certificate the console presents to client `name`."""
    host, port = console.split("//")[1].rstrip("/").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as raw:
        with context(pki, name).wrap_socket(raw,
                                            server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True)


def pem_to_der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def wait_for_line(tmp, text, after):
    """Waits for a line of the server's stderr containing `text` beyond
    byte `after`; returns the new end."""
    for _ in range(600):
        with open(os.path.join(tmp, "err")) as f:
            f.seek(after)
            tail = f.read()
        if text in tail:
            return after + len(tail)
        time.sleep(0.1)
    raise Failure("no %r on the server's stderr after SIGHUP" % text)


def check_reload(server, console, tmp, pki):
    """SIGHUP: the console's TLS files re-read (and kept when broken)."""
    before = served_certificate(console, pki, "officer")
    check(before == pem_to_der(os.path.join(pki, "server.pem")),
          "the console does not present the server certificate")
    old = os.path.join(tmp, "pki-old")
    shutil.copytree(pki, old)
    new = os.path.join(tmp, "pki-new")
    make_pki(new)
    for name in ("server.pem", "server.key", "ca.pem"):
        shutil.copy(os.path.join(new, name), os.path.join(pki, name))
    err_end = os.path.getsize(os.path.join(tmp, "err"))
    server.send_signal(signal.SIGHUP)
    err_end = wait_for_line(tmp, "console certificates re-read", err_end)
    after = served_certificate(console, new, "officer")
    check(after == pem_to_der(os.path.join(new, "server.pem")),
          "after SIGHUP the console still presents the old certificate")
    status, me = get(console, new, "officer", "api/whoami")
    check(status == 200 and me["principal"] == PRINCIPALS["officer"][0],
          "after SIGHUP a client of the new CA: %d %r" % (status, me))
    try:
        # The server is verified against the new CA; the client's
        # certificate is the old CA's.
        get(console, new, None, "api/whoami")
        raise Failure("after SIGHUP the console answered without a "
                      "client certificate")
    except (ssl.SSLError, ConnectionError, urllib.error.URLError):
        pass
    shutil.copy(os.path.join(new, "ca.pem"), os.path.join(old, "ca.pem"))
    try:
        get(console, old, "officer", "api/whoami")
        raise Failure("after SIGHUP the console admitted a client of the "
                      "old CA")
    except (ssl.SSLError, ConnectionError, urllib.error.URLError) as e:
        print("after SIGHUP, a client of the old CA: refused (%s)" % e)

    # A key that cannot be used: the console keeps the files it has.
    with open(os.path.join(pki, "server.key"), "w") as f:
        f.write("not a key\n")
    server.send_signal(signal.SIGHUP)
    wait_for_line(tmp, "console certificates kept as they were", err_end)
    status, me = get(console, new, "officer", "api/whoami")
    check(status == 200 and me["principal"] == PRINCIPALS["officer"][0],
          "after a SIGHUP with a broken key: %d %r" % (status, me))
    check(served_certificate(console, new, "officer") == after,
          "after a SIGHUP with a broken key the certificate changed")


def run(lantern, src, tmp):
    pki = os.path.join(tmp, "pki")
    make_pki(pki)
    server, addr, console = start_server(lantern, src, tmp, pki)
    try:
        check(console.startswith("https://127.0.0.1:"),
              "console line %r is not https" % console)
        with open(os.path.join(src, "rules", "examples",
                               "cse_hotel_older_partner.json")) as f:
            facts = json.load(f)
        result = subprocess.run(
            ["/usr/bin/python3", os.path.join(src, "scripts", "grpc_call.py"),
             "--ca", os.path.join(pki, "ca.pem"),
             "--cert", os.path.join(pki, "intake.pem"),
             "--key", os.path.join(pki, "intake.key"),
             "--server_name", "localhost", addr,
             "lantern.v1.RiskAssessment/Assess",
             json.dumps({"facts": facts, "asOf": "2024-05-04T12:00:00Z"})],
            capture_output=True, text=True, timeout=60)
        check(result.returncode == 0, "Assess: %s%s"
              % (result.stdout, result.stderr))
        decision = json.loads(result.stdout)["decisionId"]
        child = facts["child"]["reference"]

        try:
            get(console, pki, None, "api/whoami")
            raise Failure("the console answered a client without a "
                          "certificate")
        except (ssl.SSLError, ConnectionError, urllib.error.URLError) as e:
            print("without a certificate: refused (%s)" % e)

        for name, (uri, role) in PRINCIPALS.items():
            status, me = get(console, pki, name, "api/whoami")
            check(status == 200 and me["principal"] == uri and
                  me["roles"] == role, "whoami as %s: %d %r"
                  % (name, status, me))

        params = {"id": decision, "purpose": PURPOSE}
        status, whole = get(console, pki, "officer", "api/decision", params)
        check(status == 200, "data officer read: %d %r" % (status, whole))
        check(whole["decision"]["facts"]["child"]["reference"] == child,
              "the data officer does not see the child reference")

        status, cut = get(console, pki, "audit", "api/decision", params)
        check(status == 200, "auditor read: %d %r" % (status, cut))
        check(cut["decision"].get("facts", {}).get("child", {})
              .get("reference", "") == "",
              "the auditor sees the child reference: %r"
              % cut["decision"].get("facts"))
        check(cut["decision"]["assessment"]["grade"] ==
              whole["decision"]["assessment"]["grade"],
              "the auditor's answer lost the grade")

        status, own = get(console, pki, "intake", "api/decision", params)
        check(status == 200, "the assessor cannot read its own decision: "
              "%d %r" % (status, own))

        status, refused = get(console, pki, "intake", "api/search",
                              {"child": child, "purpose": PURPOSE})
        check(status == 403, "an assessor's search answered %d, not 403"
              % status)
        check("auditor" in refused["error"] and
              "data_officer" in refused["error"],
              "the refusal does not name the roles: %r" % refused)
        status, found = get(console, pki, "audit", "api/search",
                            {"child": child, "purpose": PURPOSE})
        check(status == 200, "an auditor's search: %d %r" % (status, found))
        check_reload(server, console, tmp, pki)
        print("PASS: HTTPS console at %s; 403 says: %s"
              % (console, refused["error"]))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise Failure("the server did not stop on SIGTERM")
    check(code == 0, "the server exited %d after SIGTERM" % code)


def main(argv):
    lantern, src = argv
    tmp = tempfile.mkdtemp()
    try:
        run(lantern, src, tmp)
        return 0
    except Failure as failure:
        print("FAIL: %s" % failure)
        err = os.path.join(tmp, "err")
        if os.path.exists(err):
            with open(err) as f:
                print("--- server stderr:\n" + f.read())
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
