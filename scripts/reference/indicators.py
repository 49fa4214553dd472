#!/usr/bin/env python3
"""Reference values for the SDK's indicators (docs/SIGNALS.md §2) from independent
implementations: TA-Lib's RSI and ATR, numpy for the volume z-score (population std over the
n bars before the current one). Writes Tests/SDKTests/Reference/indicators.json.

    python3 -m venv /tmp/ta && /tmp/ta/bin/pip install TA-Lib numpy
    /tmp/ta/bin/python scripts/reference/indicators.py

The bars are a seeded random walk (numpy PCG64, seed 20261207) with a flat stretch (equal
closes and volumes) so the zero-change and equal-volume conventions are exercised.
"""
import json
import math
import os

import numpy as np
import talib

rng = np.random.Generator(np.random.PCG64(20261207))
n = 300
close = 100 + np.cumsum(rng.normal(0, 1, n))
close[120:140] = close[119]                     # flat: RSI's G + L = 0 after 14 equal closes
open_ = np.concatenate([[close[0]], close[:-1]])
high = np.maximum(open_, close) + rng.uniform(0, 1, n)
low = np.minimum(open_, close) - rng.uniform(0, 1, n)
high[120:140] = low[120:140] = close[120:140]
volume = rng.uniform(10, 1000, n)
volume[200] = 50_000                            # a spike
volume[240:262] = 77.0                          # equal volumes: no z-score

def nulls(values):
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else float(v) for v in values]

def zscores(v, window):
    out = []
    for i in range(len(v)):
        if i < window:
            out.append(None)
            continue
        prior = v[i - window:i]
        std = prior.std(ddof=0)
        out.append(None if np.all(prior == prior[0]) else float((v[i] - prior.mean()) / std))
    return out

reference = {
    "source": "scripts/reference/indicators.py (TA-Lib %s, numpy %s)" % (talib.__version__, np.__version__),
    "open": open_.tolist(), "high": high.tolist(), "low": low.tolist(), "close": close.tolist(), "volume": volume.tolist(),
    "rsi14": nulls(talib.RSI(close, timeperiod=14)),
    "rsi5": nulls(talib.RSI(close, timeperiod=5)),
    "atr14": nulls(talib.ATR(high, low, close, timeperiod=14)),
    "atr7": nulls(talib.ATR(high, low, close, timeperiod=7)),
    "volume_z20": zscores(volume, 20),
}
path = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "SDKTests", "Reference", "indicators.json")
with open(path, "w") as f:
    json.dump(reference, f, indent=0)
print("wrote", os.path.normpath(path))
