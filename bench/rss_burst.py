#!/usr/bin/python3
"""Resident memory of `lantern serve` before, during and after bursts.

Starts the server (port 0, a fresh ledger in a temporary directory, the
shipped rules), records --decisions decisions, then runs two bursts, each
from --concurrency threads at once, and prints the server's RSS (VmRSS
from /proc) at rest before the burst, the highest seen during it (sampled
every 10 ms) and at rest after it:
  - ListDecisions of page size 1000 over every recorded decision (each
    thread pages to the end);
  - Assess: each thread sends --assess_per_thread requests.

  /usr/bin/python3 bench/rss_burst.py --lantern build/server/lantern

Needs Debian's python3-grpcio and python3-protobuf (scripts/setup.sh);
calls through server reflection (scripts/grpc_call.py), so no stubs.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
import grpc  # noqa: E402
import grpc_call  # noqa: E402
from google.protobuf import json_format  # noqa: E402


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def stub(channel, service, method):
    pool = grpc_call.load_symbol(channel, service)
    m = pool.FindServiceByName(service).FindMethodByName(method)
    req = grpc_call.message_class(m.input_type)
    resp = grpc_call.message_class(m.output_type)
    call = channel.unary_unary("/%s/%s" % (service, method),
                               request_serializer=req.SerializeToString,
                               response_deserializer=resp.FromString)
    return req, call


def burst(pid, concurrency, work, settle_s):
    """RSS at rest before, the peak while `work` runs in `concurrency`
    threads, and RSS at 1 s and `settle_s` after the last one finished."""
    before = rss_mb(pid)
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - start
    done.set()
    sampler.join()
    time.sleep(1)
    after_1s = rss_mb(pid)
    time.sleep(settle_s - 1)
    return before, peak[0], after_1s, rss_mb(pid), elapsed


def main():
    here = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    parser = argparse.ArgumentParser()
    parser.add_argument("--lantern", default=os.path.join(
        here, "build/server/lantern"))
    parser.add_argument("--rules", default=os.path.join(here, "rules"))
    parser.add_argument("--decisions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--assess_per_thread", type=int, default=100)
    parser.add_argument("--settle_s", type=int, default=10)
    args = parser.parse_args()

    with open(os.path.join(args.rules, "examples",
                           "county_lines_runner.json")) as f:
        facts = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [args.lantern, "serve", "--listen=127.0.0.1:0",
             "--rules=" + args.rules, "--ledger=" + tmp + "/ledger.db"],
            stdout=subprocess.PIPE, stderr=open(tmp + "/server.log", "w"),
            text=True)
        try:
            line = server.stdout.readline()
            address = line.strip().rsplit(" ", 1)[-1]
            channel = grpc.insecure_channel(
                address, options=[("grpc.max_receive_message_length",
                                   64 << 20)])
            assess_req, assess = stub(channel, "lantern.v1.RiskAssessment",
                                      "Assess")
            list_req, list_decisions = stub(channel, "lantern.v1.Audit",
                                            "ListDecisions")
            request = json_format.ParseDict({"facts": facts}, assess_req())
            start_rss = rss_mb(server.pid)
            fill = threading.Semaphore(0)

            def fill_some(n):
                for _ in range(n):
                    assess(request, timeout=60)
                fill.release()

            per = args.decisions // 8
            for _ in range(8):
                threading.Thread(target=fill_some, args=(per,)).start()
            for _ in range(8):
                fill.acquire()
            time.sleep(args.settle_s)

            def list_all():
                token = ""
                items = 0
                while True:
                    page = list_decisions(list_req(page_size=1000,
                                                   page_token=token),
                                          timeout=120)
                    items += len(page.decisions)
                    token = page.next_page_token
                    if not token:
                        break
                assert items == per * 8, items

            def assess_some():
                for _ in range(args.assess_per_thread):
                    assess(request, timeout=60)

            print("lantern serve at start: %.0f MB RSS; %d decisions "
                  "recorded" % (start_rss, per * 8))
            for name, work in (
                    ("%d x ListDecisions (page 1000, to the end)" %
                     args.concurrency, list_all),
                    ("%d x %d Assess" % (args.concurrency,
                                         args.assess_per_thread),
                     assess_some)):
                before, peak, after_1s, after, elapsed = burst(
                    server.pid, args.concurrency, work, args.settle_s)
                print("%s: before %.0f MB, peak %.0f MB, 1 s after %.0f MB, "
                      "%d s after %.0f MB (burst %.1f s)" %
                      (name, before, peak, after_1s, args.settle_s, after,
                       elapsed))
            channel.close()
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
