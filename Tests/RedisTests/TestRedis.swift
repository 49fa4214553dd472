import Foundation
import HostRedis
import Testing

/// The Redis server scripts/test.sh starts (TSH_TEST_REDIS_URL). Without one the Redis tests are
/// skipped with the reason printed — except under CI=true, where they run and fail.
enum TestRedis {
    static let environment = ProcessInfo.processInfo.environment
    static let url = environment["TSH_TEST_REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let isCI = environment["CI"] == "true"
    static let enabled: Bool = {
        if url == nil && !isCI {
            print("RedisTests: Redis tests skipped: TSH_TEST_REDIS_URL is not set (scripts/test.sh starts a server)")
        }
        return url != nil || isCI
    }()

    static func serverURL() throws -> RedisURL {
        try RedisURL(parsing: try #require(url, "no Redis server: run the suite with scripts/test.sh (it starts one on loopback)"))
    }

    /// A key prefix no other test uses.
    static func prefix() -> String { "t" + UUID().uuidString.prefix(8).lowercased() + ":" }

    /// Polls `condition` every 20 ms for up to `seconds`.
    static func eventually(_ seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(20_000)
        }
        return try condition()
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A redis-server of the test's own (to kill and restart), on a free loopback port.
final class OwnRedisServer {
    let port: Int
    let binary: String
    private var process: Process?

    init() throws {
        let env = ProcessInfo.processInfo.environment
        binary = env["TSH_TEST_REDIS_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/bin/redis-server"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw Failure(description: "no redis-server at \(binary): run the suite with scripts/test.sh")
        }
        port = TestRedis.freePort()
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    var url: RedisURL { RedisURL(host: "127.0.0.1", port: port) }

    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--daemonize", "no"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let ready = TestRedis.eventually(10) { (try? RedisConnection(url: url, timeout: .milliseconds(200))) != nil }
        if !ready { throw Failure(description: "redis-server on port \(port) did not accept connections within 10 s") }
    }

    func kill() {
        guard let p = process else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        _ = TestRedis.eventually(10) { !p.isRunning }
        process = nil
    }

    deinit { kill() }
}
