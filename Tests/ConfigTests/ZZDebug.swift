import HostConfig
import Testing
@Test func zzDebug() {
    for y in ["version: 1\ninstances:\n  - id: a\n    symbols: [BTCUSDT\n", "version: 1\nversion: 1\n", "a: [\n", "version: 2\nhost: {metrics_port: 0, log_levl: info, password: x}\nfeed: {source: binance, start_prices: {XRP: -1}}\ninstances:\n  - id: Bad_Id\n    plugin: p.so\n    symbols: []\n  - id: ok\n    symbols: [BTCUSDT]\n    params: {a: [1], b: ~, secret: x}\n    risk: {max_open_orders: 1.5, max_position: 1e400, price_band_bps: '1e-3'}\n", "version: 1\ninstances: [{id: a, plugin: p.so, symbols: [BTCUSDT], risk: {max_position: '1e-3', max_trades_per_day: 0x10}}]\n"] {
        do { let c = try StrategyConfigLoader.parse(y, file: "d.yaml"); print("OK", c.instances.map(\.risk)) } catch { print(error.description); print("--") }
    }
}
