import Binance
import BinanceFakes
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HostCore
import Logging
import Synchronization
import Testing
import VenueKit

/// Runs `body` with a started fake Binance venue, stopping it afterwards whatever happens.
/// `nowMs` fixes the fake's clock (weight windows that must not roll over during a slow run).
func withFakeBinance(_ configuration: FakeBinanceVenue.Configuration = .init(autoStep: false), nowMs: (@Sendable () -> Int64)? = nil,
                     _ body: (FakeBinanceVenue, FakeBinanceVenue.URLs) async throws -> Void) async throws {
    let venue = nowMs.map { FakeBinanceVenue(configuration: configuration, logger: Logger(label: "test.binance.fake"), nowMs: $0) }
        ?? FakeBinanceVenue(configuration: configuration, logger: Logger(label: "test.binance.fake"))
    try await venue.start()
    let urls = try #require(venue.urls)
    do {
        try await body(venue, urls)
    } catch {
        await venue.stop()
        throw error
    }
    await venue.stop()
}

/// A REST client pointed at a fake, with short backoff so retry tests stay quick.
func fakeRESTClient(_ urls: FakeBinanceVenue.URLs, budget: RequestWeightBudget.Configuration = .init(),
                    counters: VenueCounters? = nil) -> BinanceREST {
    BinanceREST(configuration: .init(baseURL: urls.rest, timeout: .seconds(5), budget: budget, maxAttempts: 4,
                                     backoff: BackoffPolicy(base: .milliseconds(20), max: .milliseconds(100))),
                counters: counters, logger: Logger(label: "test.binance.rest"))
}

/// The error a call throws, or nil (recording an issue for any other error type).
func binanceRESTError(_ body: () async throws -> Void) async -> BinanceRESTError? {
    do {
        try await body()
    } catch let error as BinanceRESTError {
        return error
    } catch {
        Issue.record("expected a BinanceRESTError, got \(error)")
    }
    return nil
}

/// A WebSocket client on the kit's ``ReconnectingWebSocket`` that keeps every text frame it
/// receives and every connection event, for tests of the fake's streams.
final class FakeStreamProbe: Sendable {
    private let frames = Mutex<[String]>([])
    private let events = Mutex<[ConnectionEvent]>([])
    private let outbox = Mutex<Outbox?>(nil)
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// Connects to `url` (reconnecting quickly when the server closes) and sends `initialFrames` on every connect.
    init(url: String, initialFrames: [String] = []) {
        let hooks = SocketHooks(
            keepAlive: .none,
            opened: { [self] box in
                outbox.withLock { $0 = box }
                return (initialFrames, 0)
            },
            closed: { [self] in outbox.withLock { $0 = nil } },
            makeReceiver: { [self] in { text, _ in self.frames.withLock { $0.append(text) } } },
            event: { [self] event in events.withLock { $0.append(event) } }
        )
        let socket = ReconnectingWebSocket(url: url, shard: 0, heartbeat: HeartbeatPolicy(interval: .seconds(30), staleAfter: .seconds(60)),
                                           backoff: BackoffPolicy(base: .milliseconds(20), max: .milliseconds(100)),
                                           logger: Logger(label: "test.binance.probe"), hooks: hooks)
        task.withLock { $0 = Task { await socket.run() } }
    }

    var received: [String] { frames.withLock { $0 } }
    var connectionEvents: [ConnectionEvent] { events.withLock { $0 } }
    var connects: Int { connectionEvents.filter { if case .connected = $0 { true } else { false } }.count }
    var disconnects: Int { connectionEvents.filter { if case .disconnected = $0 { true } else { false } }.count }

    /// Sends a text frame once a connection is open (the server may register it before the
    /// client's side is ready); false when none opened within 20 s.
    @discardableResult
    func send(_ text: String) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let box = outbox.withLock({ $0 }) {
                box.send(text)
                return true
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Frames received from index `start` on.
    func received(from start: Int) -> [String] {
        frames.withLock { Array($0[min(start, $0.count)...]) }
    }

    /// Waits until `condition` holds (checked every 10 ms) or `timeout` passes; returns whether it held.
    @discardableResult
    func wait(timeout: Duration = .seconds(20), until condition: (FakeStreamProbe) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }

    func stop() async {
        let running = task.withLock { $0 }
        running?.cancel()
        await running?.value
    }
}

/// Waits until `condition` holds (every 10 ms) or `timeout` passes.
@discardableResult
func eventually(timeout: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// Parses one stream frame with the production parser.
func parseStreamFrame(_ text: String) throws -> BinanceStreamMessage? {
    var parser = BinanceStreamParser()
    var copy = text
    return try copy.withUTF8 { bytes in
        Result { () throws(StreamParseError) -> BinanceStreamMessage? in try parser.parse(UnsafeRawBufferPointer(bytes)) }
    }.get()
}

/// The depth updates among `frames`, in order.
func depthUpdates(_ frames: [String]) throws -> [BinanceDepthUpdate] {
    try frames.compactMap { frame in
        if case .depthUpdate(let update)? = try parseStreamFrame(frame) { return update }
        return nil
    }
}

/// A minimal blocking WebSocket client on a POSIX socket, for what the kit's client hides
/// (protocol ping frames, a refused upgrade).
final class RawWebSocket {
    private let fd: Int32
    /// The HTTP status line of the upgrade answer, e.g. `HTTP/1.1 101 Switching Protocols`.
    private(set) var statusLine = ""

    init(port: Int, target: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawSocketError(message: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw RawSocketError(message: "connect() failed")
        }
        let request = "GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        setTimeout(.seconds(5))
        var head: [UInt8] = []
        while !head.ends(with: [13, 10, 13, 10]) {
            guard let byte = readExactly(1)?.first else { break }
            head.append(byte)
        }
        statusLine = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
    }

    deinit { Glibc.close(fd) }

    /// The next frame's opcode and payload; nil on timeout or end of stream.
    func readFrame(timeout: Duration) -> (opcode: UInt8, payload: [UInt8])? {
        setTimeout(timeout)
        guard let header = readExactly(2) else { return nil }
        var length = Int(header[1] & 0x7F)
        if length == 126 {
            guard let extended = readExactly(2) else { return nil }
            length = Int(extended[0]) << 8 | Int(extended[1])
        } else if length == 127 {
            guard let extended = readExactly(8) else { return nil }
            length = extended.reduce(0) { $0 << 8 | Int($1) }
        }
        guard let payload = length == 0 ? [] : readExactly(length) else { return nil }
        return (header[0] & 0x0F, payload)
    }

    private func setTimeout(_ duration: Duration) {
        let c = duration.components
        var tv = timeval(tv_sec: Int(c.seconds), tv_usec: Int(c.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    private func readExactly(_ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + filled, count - filled, 0) }
            guard n > 0 else { return nil }
            filled += n
        }
        return out
    }
}

struct RawSocketError: Error { var message: String }

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

/// Runs blocking work (a raw socket) on its own thread, so it never holds one of the few
/// cooperative-pool threads the fake server's handlers need.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
