#!/usr/bin/env python3
"""Measures the dashboard's targets against a release host (see scripts/dashboard/measure.sh):

1. first paint with 200 symbols on the screener: first contentful paint and the moment the
   snapshot's rows are in the table (performance.now() from navigation start), median of runs;
2. the host's CPU for pushed updates: CPU time (utime + stime from /proc) of the host over the
   same window with no dashboard, with the dashboard and no page, and with one page open, on a
   simulated market of 200 symbols at 20 events/s per symbol (pushes coalesce to <= 10/s per symbol);
3. the browser's memory with the page open for --minutes: JS heap, DOM nodes, and PSS (shared
   pages charged once) of the page's renderer and of all the browser's processes (chromemem.py).
   scripts/dashboard/memory.py measures the memory alone, also of a blank or static page.

Prints one JSON object. Needs chromium, chromium-driver and python3-selenium.
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chromemem  # noqa: E402

SYMBOLS = 200
TICK = os.sysconf("SC_CLK_TCK")


def config(data_dir):
    names = ["S%03dUSDT" % i for i in range(SYMBOLS)]
    return "\n".join([
        "version: 1",
        "host: {data_dir: %s, log_level: error, record: false}" % data_dir,
        "feed:",
        "  source: simulated",
        "  seed: 3",
        "  events: 0",
        "  symbols: [%s]" % ", ".join(names),
        "instances:",
        "  - id: mover",
        "    plugin: price_move_trigger.so",
        "    kind: price_move",
        "    mode: paper",
        '    symbols: ["*"]',
        "",
    ])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def start_host(binary, cfg, port, speed):
    args = [binary, "run", "--config", cfg, "--speed", str(speed), "--quiet"]
    if port:
        args += ["--dashboard-port", str(port)]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if port:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=1).read()
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.3)
    else:
        time.sleep(3)
    return process


def stop(process):
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def measure_page(args, result, driver, port):
    """First paint of fresh pages, then the first page's memory while it stays open."""
    # First paint: fresh page loads while the host runs at full rate.
    paints, rows = [], []
    for _ in range(args.paints):
        other = browser()
        other.get("http://127.0.0.1:%d/" % port)
        deadline = time.time() + 30
        while time.time() < deadline and not other.execute_script("return window.__dash && window.__dash.firstRowsAt != null"):
            time.sleep(0.05)
        rows.append(other.execute_script("return window.__dash.firstRowsAt"))
        paints.append(other.execute_script("var e = performance.getEntriesByName('first-contentful-paint')[0]; return e ? e.startTime : null;"))
        other.quit()
    result["first_contentful_paint_ms"] = {"median": statistics.median(p for p in paints if p is not None), "all": paints}
    result["rows_rendered_ms"] = {"median": statistics.median(r for r in rows if r is not None), "all": rows}
    result["screener_rows"] = driver.execute_script("return document.querySelectorAll('#screener tbody tr').length")
    # Memory: the first page stays open.
    driver.execute_cdp_cmd("Performance.enable", {})
    samples = []
    end = time.time() + args.minutes * 60
    while True:
        metrics = {m["name"]: m["value"] for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
        samples.append({"t_s": round(args.minutes * 60 - (end - time.time())), "js_heap_mb": round(metrics["JSHeapUsedSize"] / 1e6, 1),
                        "dom_nodes": metrics.get("Nodes"), **chromemem.browser_memory(driver)})
        if time.time() >= end:
            break
        time.sleep(min(60, max(1, end - time.time())))
    result["browser_memory"] = samples
    result["messages_received"] = driver.execute_script("return window.__dash.messages")


def main():
    # A SIGTERM ends the run like ^C: the finally clauses stop the host and the browser.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--window", type=float, default=30, help="seconds of CPU measurement per case")
    parser.add_argument("--minutes", type=float, default=10, help="minutes the page stays open for the memory figure")
    parser.add_argument("--paints", type=int, default=5)
    parser.add_argument("--speed", type=float, default=20, help="feed speed: 200 events/s x speed over 200 symbols")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="tsh-dashboard-measure-")
    result = {"symbols": SYMBOLS, "events_per_second": 200 * args.speed, "window_s": args.window}

    def run_case(name, with_dashboard, page):
        data = os.path.join(work, name)
        cfg = os.path.join(work, name + ".yaml")
        with open(cfg, "w") as f:
            f.write(config(data))
        port = free_port() if with_dashboard else None
        host = start_host(args.host, cfg, port, args.speed)
        driver = None
        try:
            if page:
                driver = browser()
                driver.get("http://127.0.0.1:%d/" % port)
                time.sleep(3)
            time.sleep(2)
            before, t0 = cpu_seconds(host.pid), time.time()
            time.sleep(args.window)
            used = cpu_seconds(host.pid) - before
            elapsed = time.time() - t0
            figures = {"host_cpu_percent_of_one_core": round(100 * used / elapsed, 2)}
            if driver:
                figures["messages"] = driver.execute_script("return window.__dash.messages")
            return figures, host, driver, port
        except Exception:
            stop(host)
            if driver:
                driver.quit()
            raise

    cases = {}
    for name, dash, page in (("no_dashboard", False, False), ("dashboard_no_page", True, False), ("dashboard_one_page", True, True)):
        figures, host, driver, port = run_case(name, dash, page)
        cases[name] = figures
        try:
            if name == "dashboard_one_page":
                measure_page(args, result, driver, port)
        finally:
            if driver:
                driver.quit()
            stop(host)
    result["cases"] = cases

    base = cases["no_dashboard"]["host_cpu_percent_of_one_core"]
    result["dashboard_cpu_cost_percent_of_one_core"] = {
        "no_page": round(cases["dashboard_no_page"]["host_cpu_percent_of_one_core"] - base, 2),
        "one_page": round(cases["dashboard_one_page"]["host_cpu_percent_of_one_core"] - base, 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.exit(main())
