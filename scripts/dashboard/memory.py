#!/usr/bin/env python3
"""The browser's memory with one page open for --minutes, sampled every --interval seconds.

  scripts/dashboard/memory.py --page dashboard --host .build/release/host --minutes 60
  scripts/dashboard/memory.py --page blank --minutes 5      # Chromium's floor: about:blank
  scripts/dashboard/memory.py --page static --minutes 5     # a static 200-row table, no script

`dashboard` starts the release host on the simulated 200-symbol feed of measure.py (200 events/s
x --speed) with the dashboard and opens its page. The metric is chromemem.py's: PSS summed over
all the browser's processes (shared pages charged once), with the page's renderer apart.
Prints one JSON line per sample to stderr as it goes, and the whole run as JSON on stdout.
"""
import argparse
import json
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chromemem  # noqa: E402
import measure  # noqa: E402


def static_page(path):
    """A page like the screener with its 200 rows, but static: no script, no updates."""
    rows = "".join(
        "<tr><td>S%03dUSDT</td><td class=num>%d.1234</td><td class=num>+0.12%%</td><td><span class=chip>pm &#9650; 3s</span></td>"
        "<td class=num>buy 0.42</td><td>1.0 / 0.9</td><td class=num>0.55</td><td><span class=chip>mover: flat</span></td><td></td><td class=num>1s</td></tr>"
        % (i, 100 + i) for i in range(measure.SYMBOLS))
    with open(path, "w") as f:
        f.write("<!DOCTYPE html><html><head><meta charset=utf-8><title>static</title>"
                "<style>table{border-collapse:collapse;width:100%}td{padding:3px 8px;border-bottom:1px solid #ddd}"
                ".num{text-align:right}.chip{background:#eef;padding:0 5px}</style></head><body><table><tbody>"
                + rows + "</tbody></table></body></html>")
    return "file://" + path


def open_page(page, host_binary, speed, work):
    """The URL of the page to measure (dashboard, blank, static or a URL) and, for the dashboard,
    the release host serving it on 200 simulated symbols at 200 x speed events/s (or None)."""
    if page == "dashboard":
        cfg = os.path.join(work, "config.yaml")
        with open(cfg, "w") as f:
            f.write(measure.config(os.path.join(work, "data")))
        port = measure.free_port()
        return "http://127.0.0.1:%d/" % port, measure.start_host(host_binary, cfg, port, speed)
    if page == "blank":
        return "about:blank", None
    if page == "static":
        return static_page(os.path.join(work, "static.html")), None
    return page, None


def main():
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    parser = argparse.ArgumentParser()
    parser.add_argument("--page", default="dashboard", help="dashboard, blank, static, or a URL")
    parser.add_argument("--host", help="the release host binary (for --page dashboard)")
    parser.add_argument("--minutes", type=float, default=15)
    parser.add_argument("--interval", type=float, default=60)
    parser.add_argument("--speed", type=float, default=20, help="feed speed: 200 events/s x speed over 200 symbols")
    parser.add_argument("--view", default="screener", help="the dashboard's view left open: screener, trading, charts, health")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="tsh-dashboard-memory-")
    result = {"page": args.page, "minutes": args.minutes, "metric": "PSS (smaps_rollup) summed over the browser's processes"}
    url, host = open_page(args.page, args.host, args.speed, work)
    if args.page == "dashboard":
        result["events_per_second"] = 200 * args.speed
    driver = measure.browser()
    try:
        driver.get(url)
        if args.page == "dashboard" and args.view != "screener":
            driver.execute_script("document.querySelector('nav button[data-view=%s]').click()" % args.view)
        driver.execute_cdp_cmd("Performance.enable", {})
        samples = []
        start = time.time()
        end = start + args.minutes * 60
        while True:
            metrics = {m["name"]: m["value"] for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
            sample = {"t_s": round(time.time() - start), "js_heap_mb": round(metrics["JSHeapUsedSize"] / 1e6, 1),
                      "dom_nodes": metrics.get("Nodes"), "layout_objects": metrics.get("LayoutObjects"),
                      **chromemem.browser_memory(driver)}
            messages = driver.execute_script("return window.__dash ? window.__dash.messages : null")
            if messages is not None:
                sample["messages"] = messages
            samples.append(sample)
            print(json.dumps(sample), file=sys.stderr, flush=True)
            if time.time() >= end:
                break
            time.sleep(min(args.interval, max(1, end - time.time())))
        result["samples"] = samples
        if host is not None:
            result["host_alive"] = host.poll() is None
    finally:
        driver.quit()
        if host is not None:
            measure.stop(host)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.exit(main())
