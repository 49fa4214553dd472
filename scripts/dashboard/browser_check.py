#!/usr/bin/env python3
"""Drives the live dashboard in headless Chromium (Debian's chromium + chromium-driver,
python3-selenium) against a running host and checks what a person would look at:

- the page loads with no console errors;
- the screener and trading tables fill, and rows update as the feed moves;
- a candle chart and the equity curve render;
- the kill switch refuses a wrong token and takes effect with the right one.

Writes a screenshot of each view into --screenshots and prints one JSON object with the
checks, figures (first paint, messages, JS heap) and failures. Exit status 0 when every
check passed, 1 otherwise, 2 when the browser could not start.
"""
import argparse
import json
import os
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for trades and charts")
    parser.add_argument("--no-kill", action="store_true", help="do not engage the kill switch")
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)

    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
    except ImportError as error:
        print(json.dumps({"ok": False, "failures": ["selenium is not installed: %s" % error]}))
        return 2

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1300", "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    for binary in ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"):
        if os.path.exists(binary):
            options.binary_location = binary
            break
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = next((p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if os.path.exists(p)), None)
    try:
        driver = webdriver.Chrome(service=Service(driver_path) if driver_path else Service(), options=options)
    except Exception as error:  # noqa: BLE001 - report any start failure
        print(json.dumps({"ok": False, "failures": ["the browser did not start: %s" % error]}))
        return 2

    result = {"checks": {}, "figures": {}, "failures": [], "screenshots": []}

    def check(name, passed, detail=""):
        result["checks"][name] = bool(passed)
        if not passed:
            result["failures"].append(name + (": " + detail if detail else ""))

    def js(script):
        return driver.execute_script(script)

    def wait_for(script, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if js("return !!(" + script + ");"):
                    return True
            except Exception:  # noqa: BLE001 - the page may be mid-render
                pass
            time.sleep(0.25)
        return False

    def shot(name):
        path = os.path.join(args.screenshots, name + ".png")
        driver.save_screenshot(path)
        result["screenshots"].append(path)

    def view(name):
        driver.find_element(By.CSS_SELECTOR, 'nav button[data-view="%s"]' % name).click()
        time.sleep(0.3)

    try:
        started = time.time()
        driver.get(args.url)
        check("snapshot received", wait_for("window.__dash && window.__dash.snapshots > 0", 30))
        result["figures"]["first_rows_ms"] = js("return window.__dash.firstRowsAt")
        paint = js("var e = performance.getEntriesByName('first-contentful-paint')[0]; return e ? e.startTime : null;")
        result["figures"]["first_contentful_paint_ms"] = paint
        rows = js("return document.querySelectorAll('#screener tbody tr').length")
        result["figures"]["screener_rows"] = rows
        check("screener has a row per symbol", rows and rows >= 1, "rows=%s" % rows)
        check("screener rows show prices", wait_for(
            "Array.from(document.querySelectorAll('#screener tbody tr td:nth-child(2)')).some(td => td.textContent !== '–')", 30))
        before = js("return window.__dash.messages")
        prices_before = js("return Array.from(window.__dash.rows.values()).map(r => r.p).join(',')")
        moved = wait_for("Array.from(window.__dash.rows.values()).map(r => r.p).join(',') !== %s" % json.dumps(prices_before), 30)
        check("screener prices move with the feed", moved)
        check("rows flash on change", wait_for("document.querySelector('#screener tbody tr.flash')", 10))
        result["figures"]["messages_in_first_seconds"] = js("return window.__dash.messages") - before
        shot("screener")

        # Sorting and filtering.
        driver.find_element(By.CSS_SELECTOR, '#screener th[data-sort="p"]').click()
        check("sorting by price keeps every row", js("return document.querySelectorAll('#screener tbody tr').length") == rows)
        box = driver.find_element(By.ID, "filter")
        box.send_keys("btc")
        shown = js("return Array.from(document.querySelectorAll('#screener tbody tr')).filter(t => !t.hidden).map(t => t.dataset.s)")
        check("filter keeps only matching symbols", shown and all("btc" in s.lower() for s in shown), "shown=%s" % shown)
        box.clear()
        js("document.getElementById('filter').dispatchEvent(new Event('input'))")

        view("trading")
        check("trading view lists the instances", wait_for("document.querySelectorAll('#instances .instance').length > 0", 20))
        traded = wait_for("window.__dash.trading && window.__dash.trading.instances.some(i => i.positions.length > 0 || i.day.trades > 0)"
                          " || (window.__dash.stats && window.__dash.stats.trades > 0)", args.timeout)
        check("trading shows positions or trades as the feed moves", traded)
        shot("trading")

        view("charts")
        check("a candle chart renders", wait_for(
            "document.querySelector('#candles svg path.candles-up') && (document.querySelector('#candles svg path.candles-up').getAttribute('d') + document.querySelector('#candles svg path.candles-down').getAttribute('d')).length > 0", 30))
        check("the equity curve renders", wait_for("document.querySelector('#equity svg polyline.equity')", args.timeout))
        check("win rate by market fills", wait_for("document.querySelectorAll('#by-market tbody tr td.num').length > 0", 10))
        # Another timeframe.
        js("var s = document.getElementById('chart-tf'); s.value = '5m'; s.dispatchEvent(new Event('change'));")
        check("the candle chart follows the chosen timeframe", wait_for("(document.querySelector('#candles svg') || {}).textContent && document.querySelector('#candles svg').textContent.indexOf('5m') >= 0", 10))
        shot("charts")

        view("health")
        check("health lists the feed and the engine", wait_for("document.querySelectorAll('#feeds tbody tr').length > 0", 10))
        shot("health")

        if not args.no_kill:
            view("trading")
            check("the kill switch is offered when a token is configured", wait_for("document.getElementById('kill-token')", 10))
            check("the page holds no token", args.token not in driver.page_source)
            driver.find_element(By.ID, "kill-token").send_keys("wrong-token-0123456789")
            driver.find_element(By.ID, "kill-engage").click()
            check("a wrong token is refused", wait_for("document.getElementById('kill-result').textContent.indexOf('refused') >= 0", 15))
            time.sleep(1.5)
            check("a refused request changes nothing", not js("return window.__dash.trading.kill.engaged"))
            token_box = driver.find_element(By.ID, "kill-token")
            token_box.clear()
            token_box.send_keys(args.token)
            driver.find_element(By.ID, "kill-engage").click()
            check("the right token engages the kill switch", wait_for("window.__dash.trading.kill.engaged === true", 20))
            check("the header shows it", wait_for("document.getElementById('kill-badge').textContent.indexOf('ENGAGED') >= 0", 5))
            token_box.clear()
            shot("kill-switch")

        # The refused kill switch request above is the one error expected: Chromium logs the
        # 401 it provoked as a failed resource load.
        severe = [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"
                  and not ("/api/kill-switch" in entry.get("message", "") and "401" in entry.get("message", ""))]
        result["figures"]["console_errors"] = [entry.get("message") for entry in severe]
        check("no console errors", not severe, "; ".join(entry.get("message", "") for entry in severe))
        try:
            driver.execute_cdp_cmd("Performance.enable", {})
            metrics = {m["name"]: m["value"] for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
            result["figures"]["js_heap_used_mb"] = round(metrics.get("JSHeapUsedSize", 0) / 1e6, 2)
            result["figures"]["dom_nodes"] = metrics.get("Nodes")
        except Exception as error:  # noqa: BLE001 - figures only
            result["figures"]["metrics_error"] = str(error)
        result["figures"]["messages"] = js("return window.__dash.messages")
        result["figures"]["seconds"] = round(time.time() - started, 1)
    except Exception as error:  # noqa: BLE001 - any failure is reported, with a last screenshot
        result["failures"].append("driver error: %s" % error)
        try:
            shot("failure")
        except Exception:  # noqa: BLE001
            pass
    finally:
        driver.quit()
    result["ok"] = not result["failures"]
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
