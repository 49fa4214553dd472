#!/usr/bin/env python3
"""Reference smart candles (docs/SIGNALS.md §1, §2, §4, §7) for SDK/Swift/SmartCandles.swift,
written from the definitions, not from the Swift code. Writes
Tests/SDKTests/Reference/smart_candles.json:

    python3 scripts/reference/smart_candles.py

Standard library only. The event stream is synthetic (random.Random(20261208)) for one
ETH-like symbol over ~2.5 hours across a UTC midnight: trades of all three cohorts (some
with an unknown aggressor, some exactly on a bucket boundary, some delayed past their bucket's
end but within the settle delay), quotes, L2 snapshots and deltas (best-first, and once
shuffled), iceberg exhaustions, gaps of several minutes (with and without quotes and L2
messages), a stretch without L2 messages longer than the settle delay, and a few rows that
arrive after their bucket became final (late: excluded everywhere). `advance` events carry the
host's clock (the local timestamp of the last row processed).

The expected candles are computed in batch from the whole stream rather than by replaying a
builder: each quantity is evaluated from its definition over the set of rows that count.
Conventions where SIGNALS.md is silent follow the list at the top of SmartCandles.swift:
- a row (trade, quote, iceberg) is late when, at its arrival, the bucket containing its
  exchange time in any of the timeframes and in the 1-minute VPIN bars has end <= the largest
  clock - settle seen; it then counts nowhere; L2 messages always apply to the book;
- a timeframe's candles start at its first bucket holding a non-late trade;
- unknown-aggressor trades count in volume/quote volume/trades/VWAP/VPIN bar volume only;
- OFI over consecutive non-late quotes in arrival order; a quote with qb + qa = 0 is left out
  of I1 and microprice;
- the book at a candle's end is the book just before the first L2 message (in arrival order)
  timed at or after that end, if one arrives before the candle is final, else the book when
  the candle becomes final; I10 null when both sides' sizes sum to 0, walls null when a side
  is empty.
"""
import json
import math
import os
import random
import statistics

NS = 1_000_000_000
MINUTE = 60 * NS
DAY = 86_400 * NS
T0 = 1710025500 * NS                 # 2024-03-09T23:05:00Z
DURATION = 150 * MINUTE              # to 01:35 on 2024-03-10
SETTLE = 2 * NS
TIMEFRAMES = [MINUTE, 5 * MINUTE]
PARAMS = {
    "whale_notional": 50_000.0,
    "dolphin_notional": 5_000.0,
    "vpin_bucket": 40.0,
    "vpin_window": 50,
    "sigma_window": 50,
    "wall_bps": 50.0,
    "depth_levels": 10,
}
W, D = PARAMS["whale_notional"], PARAMS["dolphin_notional"]
TICK = 0.5

rng = random.Random(20261208)


def minute(m, s=0.0):
    """T0 + m minutes + s seconds, ns."""
    return T0 + m * MINUTE + int(round(s * NS))


# Gaps (relative minutes from T0):
TRADE_GAPS = [(35.0, 42.5), (53.33, 58.67)]   # 23:40–23:47:30 (no rows at all), 23:58:20–00:03:40 (no trades)
QUIET_GAPS = [(35.0, 42.5)]                   # no quotes / L2 messages either
BOOK_GAPS = [(35.0, 42.5), (85.0, 89.2)]      # 00:30–00:34:12: no L2 messages while trading goes on


def in_gaps(t, gaps):
    return any(minute(a) <= t < minute(b) for a, b in gaps)


# ---------------------------------------------------------------------------------------------
# The synthetic stream
# ---------------------------------------------------------------------------------------------

raw = []   # (local_ts, seq, event)
seq = 0


def emit(local, event):
    global seq
    raw.append((local, seq, event))
    seq += 1


def latency():
    return rng.randint(1, 40) * 1_000_000


# Fair mid: a random walk on a 1-second grid.
mid_path = []
mid = 2000.0
for i in range(DURATION // NS + 1):
    mid += rng.gauss(0, 0.35)
    mid_path.append(mid)


def fair_mid(t):
    return mid_path[min(len(mid_path) - 1, max(0, (t - T0) // NS))]


# Trades: ~15 per minute.
t = T0 + 700_000_000
while t < T0 + DURATION:
    if not in_gaps(t, TRADE_GAPS):
        m = fair_mid(t)
        price = round(m + rng.gauss(0, 0.4), 2)
        u = rng.random()
        if u < 0.08:
            notional = rng.uniform(W, 6 * W)
        elif u < 0.35:
            notional = rng.uniform(D, W)
        else:
            notional = rng.uniform(20, D)
        amount = round(notional / price, 4)
        buyer = rng.random() < 0.5 + (0.15 if price > m else -0.15)
        if rng.random() < 0.03:
            buyer = None
        lat = latency()
        if rng.random() < 0.04:
            lat = rng.randint(500, 1800) * 1_000_000      # delayed, within the 2 s settle
        emit(t + lat, {"type": "trade", "time": t, "price": price, "amount": amount, "buyer": buyer})
    t += int(rng.expovariate(15 / 60) * NS) + 1_000_000

# A few trades exactly on bucket boundaries (start of a minute / of a 5-minute bucket).
for m in (10, 20, 65, 100, 125):
    t = minute(m)
    emit(t + latency(), {"type": "trade", "time": t, "price": round(fair_mid(t), 2), "amount": 1.5, "buyer": True})

# Delayed but within settle: exchange time 0.4 s before a minute's end, arriving 1.5 s after it.
for m in (15, 30, 70, 110):
    t = minute(m, -0.4)
    emit(minute(m, 1.0), {"type": "advance", "clock": minute(m, 1.0)})   # past the end, before end + settle
    emit(minute(m, 1.5), {"type": "trade", "time": t, "price": round(fair_mid(t) + 0.3, 2), "amount": 30.0, "buyer": False})

# Late: the bucket is final (an advance at end + 2.5 s) before these rows arrive.
LATE = []
for m, kind in ((25, "trade"), (75, "trade"), (95, "quote"), (105, "iceberg")):
    t = minute(m, -0.3)
    emit(minute(m, 2.5), {"type": "advance", "clock": minute(m, 2.5)})
    if kind == "trade":
        ev = {"type": "trade", "time": t, "price": round(fair_mid(t) + 5, 2), "amount": 77.0, "buyer": True}
    elif kind == "quote":
        ev = {"type": "quote", "time": t, "bid_price": 1.0, "bid_size": 999.0, "ask_price": 9999.0, "ask_size": 1.0}
    else:
        ev = {"type": "iceberg", "time": t, "hidden": 123.0, "whale": True}
    emit(minute(m, 3.0), ev)
    LATE.append(ev)

# Quotes: ~25 per minute; sometimes unchanged prices with new sizes.
t = T0 + 300_000_000
last = None
while t < T0 + DURATION:
    if not in_gaps(t, QUIET_GAPS):
        m = fair_mid(t)
        bid = math.floor(m / TICK) * TICK
        ask = bid + TICK
        if last is not None and rng.random() < 0.3:
            bid, ask = last
        bs, asz = round(rng.uniform(0.1, 40), 3), round(rng.uniform(0.1, 40), 3)
        emit(t + latency(), {"type": "quote", "time": t, "bid_price": bid, "bid_size": bs, "ask_price": ask, "ask_size": asz})
        last = (bid, ask)
    t += int(rng.expovariate(25 / 60) * NS) + 1_000_000
# One quote with both sizes 0 (left out of I1 and microprice, still in OFI).
t = minute(47, 10)
emit(t + latency(), {"type": "quote", "time": t, "bid_price": 1999.5, "bid_size": 0.0, "ask_price": 2000.0, "ask_size": 0.0})


# L2: snapshots and deltas on a 0.5 grid around the fair mid.
def level_size():
    u = rng.random()
    if u < 0.1:
        return round(rng.uniform(25, 120), 3)       # whale walls near 2000
    if u < 0.45:
        return round(rng.uniform(2.5, 25), 3)       # dolphin
    return round(rng.uniform(0.01, 2.5), 3)


gen_book = {"bid": {}, "ask": {}}


def snapshot_rows(t, levels, shuffled=False):
    m = fair_mid(t)
    best_bid = math.floor(m / TICK) * TICK
    gen_book["bid"] = {best_bid - i * TICK: level_size() for i in range(levels)}
    gen_book["ask"] = {best_bid + (i + 1) * TICK: level_size() for i in range(levels)}
    rows = [[1, p, s] for p, s in sorted(gen_book["bid"].items(), reverse=True)]
    rows += [[0, p, s] for p, s in sorted(gen_book["ask"].items())]
    if shuffled:
        rng.shuffle(rows)
    return rows


def delta_rows(t):
    m = fair_mid(t)
    rows = []
    # keep the book uncrossed around the fair mid
    for p in [p for p in gen_book["bid"] if p >= m]:
        del gen_book["bid"][p]
        rows.append([1, p, 0.0])
    for p in [p for p in gen_book["ask"] if p <= m]:
        del gen_book["ask"][p]
        rows.append([0, p, 0.0])
    for _ in range(rng.randint(1, 4)):
        side = rng.choice(["bid", "ask"])
        k = min(int(rng.expovariate(1 / 6)), 60)
        p = (math.floor(m / TICK) - k) * TICK if side == "bid" else (math.floor(m / TICK) + 1 + k) * TICK
        size = 0.0 if rng.random() < 0.2 else level_size()
        if size == 0.0:
            gen_book[side].pop(p, None)
        else:
            gen_book[side][p] = size
        rows.append([1 if side == "bid" else 0, p, size])
    return rows


t = T0 + 100_000_000
emit(t + latency(), {"type": "book", "time": t, "snapshot": True, "rows": snapshot_rows(t, 150)})
snapshots = {minute(60, 3.3): False, minute(110, 30.0): True}   # a best-first and a shuffled re-snapshot
t = T0 + 500_000_000
while t < T0 + DURATION:
    due = [s for s in snapshots if s <= t]
    for s in due:
        emit(s + latency(), {"type": "book", "time": s, "snapshot": True, "rows": snapshot_rows(s, 120, snapshots.pop(s))})
    if not in_gaps(t, BOOK_GAPS):
        emit(t + latency(), {"type": "book", "time": t, "snapshot": False, "rows": delta_rows(t)})
    t += int(rng.expovariate(12 / 60) * NS) + 1_000_000

# Iceberg exhaustions, ~1 per 4 minutes, whale or dolphin.
t = T0 + 30 * NS
while t < T0 + DURATION:
    if not in_gaps(t, TRADE_GAPS):
        whale = rng.random() < 0.4
        emit(t + latency(), {"type": "iceberg", "time": t, "hidden": round(rng.uniform(1, 60), 3), "whale": whale})
    t += int(rng.expovariate(1 / 240) * NS) + 1_000_000

# Merge order by local timestamp; the clock advances (to the last row's local timestamp) at
# least every 2.5 s of local time, and at the end of the data.
raw.sort(key=lambda r: (r[0], r[1]))
events = []
clock = None
for local, _, ev in raw:
    events.append(ev)
    if ev["type"] == "advance":
        clock = ev["clock"]
    elif clock is None or local >= clock + 2_500_000_000:
        events.append({"type": "advance", "clock": local})
        clock = local
if events[-1]["type"] != "advance":
    events.append({"type": "advance", "clock": raw[-1][0]})


# ---------------------------------------------------------------------------------------------
# The expected candles, from the definitions
# ---------------------------------------------------------------------------------------------

def floor_to(t, step):
    return t - t % step      # Python's % is a floor modulo: correct for negative t too


TRACKED = sorted(set(TIMEFRAMES) | {MINUTE})

# 1. Which rows count: the horizon (max clock - settle) at each row's arrival.
horizon = None
counted = []           # (arrival index, event) of trades/quotes/icebergs that count
late_rows = 0
book_msgs = []         # (arrival index, event)
advances = []          # (arrival index, clock - settle)
for i, ev in enumerate(events):
    kind = ev["type"]
    if kind == "advance":
        h = ev["clock"] - SETTLE
        horizon = h if horizon is None else max(horizon, h)
        advances.append((i, horizon))
    elif kind == "book":
        book_msgs.append((i, ev))
    else:
        t = ev["time"]
        if horizon is not None and any(floor_to(t, tf) + tf <= horizon for tf in TRACKED):
            late_rows += 1
        else:
            counted.append((i, ev))
final_horizon = horizon
trades = [(i, e) for i, e in counted if e["type"] == "trade"]
quotes = [(i, e) for i, e in counted if e["type"] == "quote"]
icebergs = [(i, e) for i, e in counted if e["type"] == "iceberg"]
assert all(any(e is l for _, e in counted) is False for l in LATE), "a planned late row was counted"


# 2. The book: features before each L2 message and at each advance (the book as it is then).
def book_features(bids, asks):
    if bids is None:
        return None, None, None
    n = PARAMS["depth_levels"]
    top_b = sum(s for p, s in sorted(bids.items(), key=lambda x: -x[0])[:n])
    top_a = sum(s for p, s in sorted(asks.items())[:n])
    i10 = (top_b - top_a) / (top_b + top_a) if top_b + top_a > 0 else None
    if not bids or not asks:
        return i10, None, None
    mid = (max(bids) + min(asks)) / 2
    whale = dolphin = 0.0
    for p, s in list(bids.items()) + list(asks.items()):
        if abs(p - mid) * 1e4 <= PARAMS["wall_bps"] * mid:
            if p * s >= W:
                whale += s
            elif p * s >= D:
                dolphin += s
    return i10, whale, dolphin


bids = asks = None
features_before = {}     # arrival index of an L2 message -> features of the book before it
features_at = {}         # arrival index of an advance -> features of the book then
for i, ev in enumerate(events):
    if ev["type"] == "book":
        features_before[i] = book_features(bids, asks)
        if ev["snapshot"] or bids is None:
            bids, asks = {}, {}
        if ev["snapshot"]:
            bids.clear()
            asks.clear()
        for side, p, s in ev["rows"]:
            book = bids if side == 1 else asks
            if s == 0:
                book.pop(p, None)
            else:
                book[p] = s
    elif ev["type"] == "advance":
        features_at[i] = book_features(bids, asks)


def book_at_end(end):
    final_at = next(i for i, h in advances if h >= end)
    for i, ev in book_msgs:
        if i >= final_at:
            break
        if ev["time"] >= end:
            return features_before[i]
    return features_at[final_at]


# 3. VPIN from 1-minute bars.
def phi(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


vpin_after = []   # (bar end, vpin after the bar)
first_minute = min(floor_to(e["time"], MINUTE) for _, e in trades)
bars = []
s = first_minute
while s + MINUTE <= final_horizon:
    inside = [e for _, e in trades if s <= e["time"] < s + MINUTE]
    close = inside[-1]["price"] if inside else bars[-1][0]
    bars.append((close, sum(e["amount"] for e in inside), s + MINUTE))
    s += MINUTE
V, N, SW = PARAMS["vpin_bucket"], PARAMS["vpin_window"], PARAMS["sigma_window"]
dps, full, cur = [], [], [0.0, 0.0, 0.0]      # cur = filled, buy, sell
vpin = None
for k, (close, vol, end) in enumerate(bars):
    if k > 0:
        dp = close - bars[k - 1][0]
        if len(dps) >= SW:
            sigma = statistics.pstdev(dps[-SW:])
            share = 0.5 if sigma == 0 else phi(dp / sigma)
            rest = vol
            while rest > 0:
                x = min(rest, V - cur[0])
                cur[0] += x
                cur[1] += x * share
                cur[2] += x * (1 - share)
                rest -= x
                if V - cur[0] <= 1e-9 * V:
                    full.append(abs(cur[2] - cur[1]))
                    cur = [0.0, 0.0, 0.0]
                    if len(full) >= N:
                        vpin = sum(full[-N:]) / (N * V)
        dps.append(dp)
    vpin_after.append((end, vpin))


def vpin_at(end):
    value = None
    for e, v in vpin_after:
        if e <= end:
            value = v
    return value


# 4. Indicators (§2) on a list of bars.
def rsi(closes, n=14):
    out = [None] * len(closes)
    g = l = 0.0
    for i in range(1, len(closes)):
        d = closes[i] - closes[i - 1]
        gain, loss = max(d, 0.0), max(-d, 0.0)
        if i <= n:
            g += gain
            l += loss
            if i < n:
                continue
            g, l = g / n, l / n
        else:
            g = (g * (n - 1) + gain) / n
            l = (l * (n - 1) + loss) / n
        out[i] = 0.0 if g + l == 0 else 100 * g / (g + l)
    return out


def atr(highs, lows, closes, n=14):
    out = [None] * len(closes)
    trs = [max(highs[i] - lows[i], abs(highs[i] - closes[i - 1]), abs(lows[i] - closes[i - 1])) for i in range(1, len(closes))]
    value = None
    for j, tr in enumerate(trs):
        if j + 1 < n:
            continue
        value = sum(trs[:n]) / n if j + 1 == n else (value * (n - 1) + tr) / n
        out[j + 1] = value
    return out


def zscores(volumes, n=20):
    out = [None] * len(volumes)
    for i in range(n, len(volumes)):
        prior = volumes[i - n:i]
        if len(set(prior)) > 1:
            out[i] = (volumes[i] - statistics.fmean(prior)) / statistics.pstdev(prior)
    return out


# 5. The candles of each timeframe.
def iso(ns):
    import datetime
    return datetime.datetime.fromtimestamp(ns // NS, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# OFI terms of the counted quotes in arrival order.
ofi_terms = []
prev = None
for _, q in quotes:
    if prev is None:
        e = 0.0
    else:
        e = ((q["bid_size"] if q["bid_price"] >= prev["bid_price"] else 0.0)
             - (prev["bid_size"] if q["bid_price"] <= prev["bid_price"] else 0.0)
             - (q["ask_size"] if q["ask_price"] <= prev["ask_price"] else 0.0)
             + (prev["ask_size"] if q["ask_price"] >= prev["ask_price"] else 0.0))
    ofi_terms.append((q, e))
    prev = q

candles = []
for tf in TIMEFRAMES:
    rows = []
    start = min(floor_to(e["time"], tf) for _, e in trades)
    cvd = {"whale": 0.0, "dolphin": 0.0, "minnow": 0.0}
    prev_close = None
    while start + tf <= final_horizon:
        end = start + tf
        inside = [e for _, e in trades if start <= e["time"] < end]
        r = {"timeframe": tf, "start": start, "candle_time": iso(start)}
        if inside:
            prices = [e["price"] for e in inside]
            r["open"], r["high"], r["low"], r["close"] = prices[0], max(prices), min(prices), prices[-1]
        else:
            r["open"] = r["high"] = r["low"] = r["close"] = prev_close
        prev_close = r["close"]
        r["volume"] = sum(e["amount"] for e in inside) if inside else 0.0
        r["quote_volume"] = sum(e["price"] * e["amount"] for e in inside) if inside else 0.0
        r["buy_volume"] = sum(e["amount"] for e in inside if e["buyer"] is True) + 0.0
        r["sell_volume"] = sum(e["amount"] for e in inside if e["buyer"] is False) + 0.0
        r["trades"] = len(inside)
        r["vwap"] = r["quote_volume"] / r["volume"] if inside else r["close"]
        day = floor_to(start, DAY)
        session = [e for _, e in trades if floor_to(e["time"], DAY) == day and e["time"] < end]
        r["session_vwap"] = (sum(e["price"] * e["amount"] for e in session) / sum(e["amount"] for e in session)) if session else None
        r["vwap_deviation"] = (r["close"] - r["session_vwap"]) / r["session_vwap"] if session else None
        for cohort in ("whale", "dolphin", "minnow"):
            delta = 0.0
            for e in inside:
                notional = e["price"] * e["amount"]
                c = "whale" if notional >= W else "dolphin" if notional >= D else "minnow"
                if c == cohort and e["buyer"] is not None:
                    delta += e["amount"] if e["buyer"] else -e["amount"]
            cvd[cohort] += delta
            r["flow_%s_delta" % cohort] = delta
            r["flow_%s_cvd" % cohort] = cvd[cohort]
        qs = [(q, e) for q, e in ofi_terms if start <= q["time"] < end]
        r["ofi"] = sum(e for _, e in qs) + 0.0
        sized = [q for q, _ in qs if q["bid_size"] + q["ask_size"] != 0]
        i1 = [(q["bid_size"] - q["ask_size"]) / (q["bid_size"] + q["ask_size"]) for q in sized]
        r["i1_last"] = i1[-1] if i1 else None
        r["i1_mean"] = sum(i1) / len(i1) if i1 else None
        if sized:
            q = sized[-1]
            r["microprice"] = (q["bid_price"] * q["ask_size"] + q["ask_price"] * q["bid_size"]) / (q["ask_size"] + q["bid_size"])
        else:
            r["microprice"] = None
        r["i10"], r["wall_whale_vol"], r["wall_dolphin_vol"] = book_at_end(end)
        r["vpin"] = vpin_at(end)
        ice = [e for _, e in icebergs if start <= e["time"] < end]
        r["absorbed_whale_vol"] = sum(e["hidden"] for e in ice if e["whale"]) + 0.0
        r["absorbed_dolphin_vol"] = sum(e["hidden"] for e in ice if not e["whale"]) + 0.0
        r["absorbed_total_vol"] = r["absorbed_whale_vol"] + r["absorbed_dolphin_vol"]
        rows.append(r)
        start = end
    for r, v in zip(rows, rsi([r["close"] for r in rows])):
        r["rsi_14"] = v
    for r, v in zip(rows, atr([r["high"] for r in rows], [r["low"] for r in rows], [r["close"] for r in rows])):
        r["atr_14"] = v
    for r, v in zip(rows, zscores([r["volume"] for r in rows])):
        r["volume_z_20"] = v
    candles += rows
candles.sort(key=lambda r: (r["start"] + r["timeframe"], r["timeframe"]))

# What the stream exercises (guards against a generator change losing a case).
one_minute = [r for r in candles if r["timeframe"] == MINUTE]
assert late_rows == len(LATE), late_rows
for m in (15, 30, 70, 110):   # the delayed-within-settle trades count
    assert any(e["time"] == minute(m, -0.4) for _, e in trades)
assert sum(1 for r in one_minute if r["trades"] == 0) >= 10
assert any(r["vpin"] is not None for r in one_minute) and len(one_minute) >= 120
assert any(r["session_vwap"] is None for r in one_minute)   # new day before its first trade
assert any(r["wall_whale_vol"] for r in candles) and any(r["wall_dolphin_vol"] for r in candles)
assert any(r["absorbed_whale_vol"] for r in candles) and any(r["absorbed_dolphin_vol"] for r in candles)
assert all(any(r["flow_%s_delta" % c] for r in candles) for c in ("whale", "dolphin", "minnow"))

reference = {
    "source": "scripts/reference/smart_candles.py (independent Python implementation of docs/SIGNALS.md §1, §2, §4)",
    "parameters": PARAMS,
    "timeframes": TIMEFRAMES,
    "settle": SETTLE,
    "late_rows": late_rows,
    "events": events,
    "candles": candles,
}
path = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "SDKTests", "Reference", "smart_candles.json")
with open(path, "w") as f:
    f.write("{\n")
    for key in ("source", "parameters", "timeframes", "settle", "late_rows"):
        f.write("%s: %s,\n" % (json.dumps(key), json.dumps(reference[key])))
    for key in ("events", "candles"):
        f.write('%s: [\n' % json.dumps(key))
        f.write(",\n".join(json.dumps(x, separators=(",", ":")) for x in reference[key]))
        f.write("\n]%s\n" % ("," if key == "events" else ""))
    f.write("}\n")
print("wrote", os.path.normpath(path), "events", len(events), "candles", len(candles), "late", late_rows,
      "bytes", os.path.getsize(path))
