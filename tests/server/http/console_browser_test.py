"""The web console driven by headless Chromium (issue 16, item 3).

usage: /usr/bin/python3 console_browser_test.py LANTERN SOURCE_DIR ARTEFACTS_DIR

Starts the real `lantern serve` (temporary ledger, ports 0, the console
on 127.0.0.1:0), makes decisions over gRPC with scripts/grpc_call.py, then
drives Debian's chromium through chromedriver (python3-selenium):

  - the console's answers carry a Content-Security-Policy with no remote
    origin; an API call without the console's header, or to a Host that is
    not a loopback name, is refused;
  - a search without a purpose is refused with a message naming the
    purpose, and the refusal is in the access log;
  - a recorded decision renders with its grade, every fired rule and its
    citations as links;
  - Replay says IDENTICAL;
  - the inclusion proof verifies in the browser, and the same proof with
    its root, an audit path hash, or the head's timestamp altered does not;
  - a search by child reference lists that child's decisions;
  - the ruleset pages list the versions, a version's files, and the
    solver's difference of two versions (here the one version with
    itself: nothing differs);
  - the live view counts the decisions made, by grade;
  - no page logs a browser console error (the deliberate refusal's 400
    apart);
  - no page scrolls sideways on a 1366 x 768 laptop screen: on every page
    visited document.scrollingElement.scrollWidth <= clientWidth (long
    ids, digests, paths and citations wrap; wide tables scroll inside
    their own box). The decisions are made on a copy of an example whose
    child reference, and whose rules' citations, are longer than any
    line, so that the check can fail.

Screenshots are written to ARTEFACTS_DIR. Exits 1 saying what failed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

PURPOSE = "Console test: audit of a missing episode review"


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


def start_server(lantern, src, tmp):
    out = open(os.path.join(tmp, "out"), "w")
    err = open(os.path.join(tmp, "err"), "w")
    server = subprocess.Popen(
        [lantern, "serve", "--listen", "127.0.0.1:0", "--metrics_listen", "",
         "--console_listen", "127.0.0.1:0", "--rules",
         os.path.join(src, "rules"), "--ledger",
         os.path.join(tmp, "ledger.db")], stdout=out, stderr=err)
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
    with open(os.path.join(tmp, "err")) as f:
        raise Failure("the server did not start:\n" + f.read())


def grpc_call(src, addr, method, request):
    result = subprocess.run(
        ["/usr/bin/python3", os.path.join(src, "scripts", "grpc_call.py"),
         addr, method, json.dumps(request)], capture_output=True, text=True,
        timeout=60)
    if result.returncode != 0:
        raise Failure("%s: %s%s" % (method, result.stdout, result.stderr))
    return json.loads(result.stdout)


def assess(src, addr, example, as_of, change=None):
    with open(os.path.join(src, "rules", "examples", example)) as f:
        facts = json.load(f)
    if change is not None:
        change(facts)
    return grpc_call(src, addr, "lantern.v1.RiskAssessment/Assess",
                     {"facts": facts, "asOf": as_of})


def http(url, headers=None, method="GET"):
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def check_http_defences(console):
    status, headers, body = http(console)
    check(status == 200, "GET / answered %d" % status)
    csp = headers.get("Content-Security-Policy", "")
    check("default-src 'none'" in csp and "script-src 'self'" in csp,
          "no strict Content-Security-Policy: %r" % csp)
    check("http" not in csp and "*" not in csp,
          "the Content-Security-Policy allows a remote origin: %r" % csp)
    check(b"<script" in body and b"src=\"/console.js\"" in body,
          "the page does not load its own script")
    check(b"//" not in body.replace(b"<!DOCTYPE", b"").split(b"<body")[0]
          .replace(b"data:,", b""), "the page's head names a remote URL")
    status, _, body = http(console + "api/whoami")
    check(status == 400 and b"X-Lantern-Console" in body,
          "an API call without the console's header answered %d %r"
          % (status, body))
    status, _, body = http(console + "api/whoami",
                           {"X-Lantern-Console": "1"})
    check(status == 200 and json.loads(body)["principal"] == "local",
          "whoami: %d %r" % (status, body))
    port = console.rstrip("/").rsplit(":", 1)[1]
    status, _, _ = http(console + "api/whoami",
                        {"X-Lantern-Console": "1",
                         "Host": "rebound.example:" + port})
    check(status == 421, "a non-loopback Host answered %d, not 421" % status)


class Browser:
    def __init__(self, artefacts):
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in ("--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--window-size=1366,768",
                    "--user-data-dir=" + tempfile.mkdtemp()):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(
            service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_script_timeout(60)
        self.wait = WebDriverWait(self.driver, 60)
        self.artefacts = artefacts

    def errors(self, allowed=()):
        """The browser console's errors since the last call, minus those
        containing every string of one of `allowed`'s tuples."""
        found = []
        for entry in self.driver.get_log("browser"):
            if entry["level"] not in ("SEVERE", "ERROR"):
                continue
            if any(all(s in entry["message"] for s in a) for a in allowed):
                continue
            found.append(entry["message"])
        return found

    def no_errors(self, where, allowed=()):
        errors = self.errors(allowed)
        check(not errors, "browser console errors on %s: %s" % (where, errors))

    def shot(self, name, full=False):
        self.no_sideways_scroll(name)
        if full:
            height = self.driver.execute_script(
                "return document.documentElement.scrollHeight")
            self.driver.set_window_size(1366, max(768, min(height, 12000)))
        self.driver.save_screenshot(os.path.join(self.artefacts, name + ".png"))
        if full:
            self.driver.set_window_size(1366, 768)

    def no_sideways_scroll(self, where):
        """The page does not scroll sideways at the laptop width; else the
        failure names the outermost elements that stick out."""
        width, page, client, wide = self.driver.execute_script("""
          const s = document.scrollingElement;
          const edge = s.clientWidth + 0.5;
          const out = (e) => e.getBoundingClientRect().right > edge;
          const wide = [];
          if (s.scrollWidth > s.clientWidth) {
            for (const e of document.querySelectorAll("body *")) {
              if (out(e) && !out(e.parentElement) && wide.length < 5) {
                wide.push(e.tagName.toLowerCase() +
                    (e.id ? "#" + e.id : "") +
                    (e.className ? "." + String(e.className).split(" ").join(".") : "") +
                    " right=" + Math.round(e.getBoundingClientRect().right) +
                    " " + JSON.stringify(e.textContent.slice(0, 60)));
              }
            }
          }
          return [window.innerWidth, s.scrollWidth, s.clientWidth, wide];
        """)
        check(width == 1366, "the window is %d px wide, not 1366" % width)
        check(page <= client,
              "%s scrolls sideways at 1366 px: scrollWidth %d > clientWidth "
              "%d; sticking out: %s" % (where, page, client, wide))

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def text_of(self, element_id, condition):
        self.wait.until(EC.presence_of_element_located((By.ID, element_id)))
        self.wait.until(lambda d: condition(d.find_element(By.ID, element_id).text))
        return self.driver.find_element(By.ID, element_id).text

    def search(self, kind, term, purpose):
        self.find("input[name=kind][value=%s]" % kind).click()
        box = self.find("#search-term")
        box.clear()
        box.send_keys(term)
        purpose_box = self.find("#purpose")
        purpose_box.clear()
        if purpose:
            purpose_box.send_keys(purpose)
        self.find("#search-button").click()


def run(lantern, src, artefacts, tmp):
    shutil.rmtree(artefacts, ignore_errors=True)
    os.makedirs(artefacts)
    server, addr, console = start_server(lantern, src, tmp)
    browser = None
    try:
        check(console.startswith("http://127.0.0.1:"),
              "console line %r" % console)
        first = assess(src, addr, "cse_hotel_older_partner.json",
                       "2024-05-04T12:00:00Z")
        second = assess(src, addr, "cse_hotel_older_partner.json",
                        "2024-05-05T12:00:00Z")
        other = assess(src, addr, "young_child_missing.json",
                       "2024-05-04T12:00:00Z")
        child = "SG-2024-0388"

        # A child reference and a narrative without a place to break a
        # line, wider than the screen.
        long_child = "SG-2024-" + "0388" * 60

        def make_long(facts):
            facts["child"]["reference"] = long_child
            facts["narratives"][0]["text"] += (
                " Seen at https://example.org/" + "a1b2c3" * 60 + " twice.")
        long = assess(src, addr, "cse_hotel_older_partner.json",
                      "2024-05-04T12:00:00Z", make_long)
        check(first["firedRules"], "no rule fired; the test proves little")
        check_http_defences(console)

        browser = Browser(artefacts)
        driver = browser.driver
        driver.get(console)
        browser.text_of("whoami", lambda t: "local" in t)
        browser.no_errors("the search page")
        browser.shot("01-search")

        # A read without a purpose: refused, saying so.
        browser.search("decision", first["decisionId"], "")
        message = browser.text_of("message", lambda t: t != "")
        check("purpose" in message,
              "the refusal does not name the purpose: %r" % message)
        browser.shot("02-refused-without-purpose")
        browser.no_errors("the refused search",
                          allowed=[("/api/decision", "400")])
        # A refusal is logged without being waited for: look a while.
        refusals = []
        for _ in range(100):
            access = grpc_call(src, addr, "lantern.v1.Audit/ListAccess",
                               {"pageSize": 1000})
            refusals = [r for r in access.get("records", [])
                        if r.get("method") == "/lantern.v1.Audit/GetDecision"
                        and r.get("code") == 3 and not r.get("purpose")]
            if refusals:
                break
            time.sleep(0.1)
        check(refusals, "the refused read is not in the access log")

        # The decision page.
        browser.search("decision", first["decisionId"], PURPOSE)
        grade = browser.text_of("grade", lambda t: t != "")
        check(grade == first["grade"]["grade"],
              "grade %r on the page, %r over gRPC"
              % (grade, first["grade"]["grade"]))
        for rule in first["firedRules"]:
            cards = driver.find_elements(
                By.CSS_SELECTOR, "#fired-rules [data-rule='%s']" % rule["id"])
            check(cards, "fired rule %s is not on the page" % rule["id"])
            if "http" in rule.get("cite", ""):
                links = cards[0].find_elements(By.CSS_SELECTOR,
                                               ".cite a[href^='http']")
                check(links, "rule %s's citation has no link" % rule["id"])
                for link in links:
                    check(link.get_attribute("href").rstrip("/") in
                          rule["cite"].replace("\n", " ") or
                          link.text in rule["cite"],
                          "link %r is not in rule %s's citation"
                          % (link.get_attribute("href"), rule["id"]))
        check(driver.find_elements(By.CSS_SELECTOR, ".cite a[href^='http']"),
              "no citation link on the page")
        body = driver.find_element(By.TAG_NAME, "body").text
        for junk in ("undefined", "[object", "NaN"):
            check(junk not in body, "the decision page shows %r" % junk)
        check("\nnull\n" not in body and not body.startswith("null"),
              "the decision page shows null")
        browser.no_errors("the decision page")
        browser.shot("03-decision", full=True)

        # Replay and the proof, from the page.
        browser.find("#replay-button").click()
        outcome = browser.text_of("replay-outcome", lambda t: t != "")
        check(outcome == "IDENTICAL", "Replay says %r" % outcome)
        browser.find("#proof-button").click()
        outcome = browser.text_of("proof-outcome", lambda t: t != "")
        check(outcome == "VERIFIED", "the proof check says %r: %s"
              % (outcome, browser.find("#proof-status").text))
        browser.no_errors("Replay and proof")
        driver.execute_script(
            "document.getElementById('proof-outcome')"
            ".scrollIntoView({block: 'center'})")
        browser.shot("04-replay-and-proof")

        # The proof checker refuses altered proofs.
        results = driver.execute_async_script("""
          const [id, why, done] = arguments;
          (async () => {
            const flip = (text, at) => {
              const raw = atob(text);
              const i = at < 0 ? raw.length + at : at;
              return btoa(raw.slice(0, i) +
                  String.fromCharCode(raw.charCodeAt(i) ^ 1) + raw.slice(i + 1));
            };
            const fresh = () => window.lanternFetchProof(id, why);
            const out = {};
            out.untouched = await window.lanternVerifyProof(await fresh());
            let p = await fresh();
            p.head.rootHash = flip(p.head.rootHash, 0);
            out.root = await window.lanternVerifyProof(p);
            p = await fresh();
            if (p.proof.hashes.length > 0) {
              p.proof.hashes[0] = flip(p.proof.hashes[0], 5);
            } else {
              p.proof.leafHash = flip(p.proof.leafHash, 5);
              p.proof.leaf = "";
            }
            out.path = await window.lanternVerifyProof(p);
            p = await fresh();
            p.proof.leaf = flip(p.proof.leaf, -1);
            out.leaf = await window.lanternVerifyProof(p);
            p = await fresh();
            p.head.timestamp = p.head.timestamp.replace(/(\\d)Z$/,
                (m, d) => String((Number(d) + 1) % 10) + "Z");
            out.timestamp = await window.lanternVerifyProof(p);
            p = await fresh();
            p.head.signature = flip(p.head.signature, 10);
            out.signature = await window.lanternVerifyProof(p);
            done(out);
          })().catch((e) => done({error: String(e)}));
        """, second["decisionId"], PURPOSE)
        check("error" not in results, "proof script: %s" % results)
        check(results["untouched"]["ok"],
              "an untouched proof does not verify: %s" % results["untouched"])
        for tamper in ("root", "path", "leaf", "timestamp", "signature"):
            check(not results[tamper]["ok"],
                  "a proof with its %s altered verifies" % tamper)
        print("altered proofs refused: " + "; ".join(
            "%s: %s" % (t, results[t]["reason"])
            for t in ("root", "path", "leaf", "timestamp", "signature")))
        browser.no_errors("the altered proofs")

        # Search by child reference.
        driver.get(console + "#/")
        browser.search("child", child, PURPOSE)
        browser.wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, "#results table")))
        listed = [a.text for a in driver.find_elements(
            By.CSS_SELECTOR, "#results a")]
        check(listed == [second["decisionId"], first["decisionId"]],
              "child search lists %r, not the child's two decisions newest "
              "first" % listed)
        check(other["decisionId"] not in listed,
              "child search lists another child's decision")
        browser.no_errors("the child search")
        browser.shot("05-child-search")

        # The long child reference: its search and its decision page.
        driver.get(console + "#/")
        browser.search("child", long_child, PURPOSE)
        browser.wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, "#results table")))
        listed = [a.text for a in driver.find_elements(
            By.CSS_SELECTOR, "#results a")]
        check(listed == [long["decisionId"]],
              "the long child reference's search lists %r" % listed)
        browser.shot("05b-long-child-search")
        driver.find_element(By.CSS_SELECTOR, "#results a").click()
        browser.text_of("grade", lambda t: t != "")
        check(long_child in driver.find_element(By.TAG_NAME, "body").text,
              "the decision page does not show the long child reference")
        browser.no_errors("the long child's pages")
        browser.shot("05c-long-child-decision", full=True)

        # The live view counts the three decisions by grade.
        driver.get(console + "#/live")
        browser.text_of("live-heading", lambda t: "per hour" in t)
        rows = driver.find_elements(By.CSS_SELECTOR, "#view tbody tr")
        check(len(rows) == 24, "the live view has %d hours, not 24"
              % len(rows))
        header = [th.text for th in driver.find_elements(
            By.CSS_SELECTOR, "#view thead th")]
        shown = {}
        for row in rows:
            cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
            for grade, count in zip(header[1:5], cells[1:5]):
                shown[grade] = shown.get(grade, 0) + int(count)
        made = {}
        for answer in (first, second, other, long):
            grade = answer["grade"]["grade"]
            made[grade] = made.get(grade, 0) + 1
        check({g: n for g, n in shown.items() if n} == made,
              "the live view counts %r, the decisions made %r"
              % (shown, made))
        browser.no_errors("the live view")
        browser.shot("09-live")

        driver.get(console + "#/rulesets")
        browser.text_of("rulesets-heading", lambda t: "Ruleset" in t)
        browser.no_errors("the rulesets page")
        browser.shot("06-rulesets")
        active = first["ruleset"]
        browser.find("a[href='#/ruleset/%s']"
                     % urllib.parse.quote(active["digest"], safe="")).click()
        browser.text_of("ruleset-heading",
                        lambda t: active["version"] in t)
        files = driver.find_elements(By.CSS_SELECTOR, "#view details pre")
        check(files, "the ruleset page lists no files")
        browser.find("#view details summary").click()
        check(files[0].text.strip() != "", "a ruleset file shows no text")
        browser.no_errors("the ruleset page")
        browser.shot("07-ruleset-files")
        # One version only: compared with itself, nothing differs.
        driver.get(console + "#/rulesets")
        browser.wait.until(EC.element_to_be_clickable(
            (By.ID, "diff-button"))).click()
        status = browser.text_of(
            "diff-status", lambda t: not t.startswith("The solver is"))
        check(status.startswith("No answer differs"),
              "a version compared with itself: %r" % status)
        browser.no_errors("the ruleset difference")
        browser.shot("08-ruleset-diff")
        print("PASS: console at %s; screenshots in %s" % (console, artefacts))
    finally:
        if browser is not None:
            browser.driver.quit()
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            raise Failure("the server did not stop on SIGTERM")
    check(code == 0, "the server exited %d after SIGTERM" % code)


def main(argv):
    lantern, src, artefacts = argv
    tmp = tempfile.mkdtemp()
    try:
        run(lantern, src, artefacts, tmp)
        return 0
    except Failure as failure:
        print("FAIL: %s" % failure)
        with open(os.path.join(tmp, "err")) as f:
            print("--- server stderr:\n" + f.read())
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
