#!/usr/bin/env python3
"""What a page's renderer memory is made of: Chromium's own memory-infra dump (the allocators
chrome://tracing shows: partition_alloc, blink_gc (Oilpan: the DOM), v8, malloc, cc, skia,
font caches...) of every process of a Selenium-driven browser, after the page was open --seconds.

  scripts/dashboard/memdump.py --page dashboard --host .build/release/host --seconds 120

Needs trio and trio-websocket (dependencies of python3-selenium). Prints JSON: per process type,
each top-level allocator's size in MB, and the page renderer's private memory footprint as
Chromium counts it (`private_footprint_bytes` of the process totals) when present.
"""
import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure  # noqa: E402
import memory  # noqa: E402


async def dump(ws_url, collect_garbage=True):
    import trio
    from trio_websocket import open_websocket_url
    events = []
    async with open_websocket_url(ws_url, max_message_size=1 << 28) as ws:
        ident = 0

        async def call(method, params=None):
            nonlocal ident
            ident += 1
            await ws.send_message(json.dumps({"id": ident, "method": method, "params": params or {}}))
            mine = ident
            while True:
                message = json.loads(await ws.get_message())
                if message.get("method") == "Tracing.dataCollected":
                    events.extend(message["params"]["value"])
                if message.get("id") == mine:
                    return message
        await call("Tracing.start", {"traceConfig": {"includedCategories": ["disabled-by-default-memory-infra"],
                                                     "excludedCategories": ["*"],
                                                     "memoryDumpConfig": {"triggers": []}}})
        result = await call("Tracing.requestMemoryDump", {"deterministic": collect_garbage, "levelOfDetail": "detailed"})
        await ws.send_message(json.dumps({"id": 9999, "method": "Tracing.end"}))
        with trio.move_on_after(60):
            while True:
                message = json.loads(await ws.get_message())
                if message.get("method") == "Tracing.dataCollected":
                    events.extend(message["params"]["value"])
                if message.get("method") == "Tracing.tracingComplete":
                    break
        return result, events


def summarize(events, kinds):
    out = {}
    for e in events:
        if e.get("ph") != "v":
            continue
        pid = e["pid"]
        dumps = e.get("args", {}).get("dumps", {})
        allocators = dumps.get("allocators", {})
        totals = dumps.get("process_totals", {})
        kind = kinds.get(pid, "pid %d" % pid)
        entry = out.setdefault("%s (%d)" % (kind, pid), {})
        for name, value in allocators.items():
            if "/" in name:
                continue
            size = value.get("attrs", {}).get("size", {}).get("value")
            if size is not None:
                entry[name] = round(int(size, 16) / 2**20, 1)
        for key in ("private_footprint_bytes", "resident_set_bytes"):
            if key in totals:
                entry["_" + key.replace("_bytes", "_mb")] = round(int(totals[key], 16) / 2**20, 1)
    return {k: dict(sorted(v.items(), key=lambda kv: -kv[1])) for k, v in out.items()}


def main():
    import trio
    parser = argparse.ArgumentParser()
    parser.add_argument("--page", default="dashboard")
    parser.add_argument("--host")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--speed", type=float, default=20)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="tsh-dashboard-memdump-")
    url, host = memory.open_page(args.page, args.host, args.speed, work)
    driver = measure.browser()
    try:
        driver.get(url)
        time.sleep(args.seconds)
        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        ws_url = json.load(urllib.request.urlopen("http://%s/json/version" % address))["webSocketDebuggerUrl"]
        kinds = {}
        import chromemem
        for pid in chromemem.descendants(driver.service.process.pid):
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    kind = chromemem._kind(f.read())
                if kind:
                    kinds[pid] = kind
            except OSError:
                pass
        result, events = trio.run(dump, ws_url)
        print(json.dumps({"page": args.page, "seconds": args.seconds, "dump_ok": result.get("result", {}).get("success"),
                          "processes": summarize(events, kinds), "pss": chromemem.browser_memory(driver)}, indent=1))
    finally:
        driver.quit()
        if host is not None:
            measure.stop(host)


if __name__ == "__main__":
    sys.exit(main())
