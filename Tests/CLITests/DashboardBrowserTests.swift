import Foundation
import Synchronization
import Testing

/// The live dashboard in a real browser: headless Chromium (Debian's `chromium` and
/// `chromium-driver`, driven by `scripts/dashboard/browser_check.py` with python3-selenium;
/// `scripts/test.sh` installs them when root) against the host running the simulated main job
/// (last_second.so on simulated up/down windows) at 100× speed with `--dashboard-port`.
/// Screenshots of each view go to a directory named in the test's output and are copied to
/// `.build/dashboard-screenshots`.
struct DashboardBrowserTests {
    static let python = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
    static let browserInstalled = FileManager.default.fileExists(atPath: "/usr/bin/chromium")
        && (FileManager.default.fileExists(atPath: "/usr/bin/chromedriver") || FileManager.default.fileExists(atPath: "/usr/lib/chromium/chromedriver"))
    /// CI must run it (scripts/test.sh installs the browser); elsewhere it needs the browser.
    static let enabled = browserInstalled || ProcessInfo.processInfo.environment["CI"] != nil

    static func config(data: URL) -> String {
        // The README's main job, endless, so the page sees windows open, trade and settle.
        let original = (try? String(contentsOf: HostCommandLineTests.root.appendingPathComponent("strategies/last_second.yaml"), encoding: .utf8)) ?? ""
        return original
            .replacingOccurrences(of: "data_dir: ./data", with: "data_dir: \(data.path)")
            .replacingOccurrences(of: "windows: 16 ", with: "windows: 0  ")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CocoaError(.fileReadUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts connections on the port (the dashboard binds once it serves).
    static func waitForPort(_ port: Int, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if connected { return true }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return false
    }

    @Test("the dashboard in headless Chromium: no console errors, tables fill and move, charts render, the kill switch needs the token",
          .enabled(if: enabled, "needs chromium and chromium-driver (scripts/test.sh installs them when root)"),
          .timeLimit(.minutes(10)))
    func dashboardInChromium() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        let config = dir.appendingPathComponent("last_second.yaml")
        try Self.config(data: data).write(to: config, atomically: true, encoding: .utf8)
        let screenshots = dir.appendingPathComponent("screenshots")
        let token = "t-" + UUID().uuidString
        let port = try Self.freePort()

        let host = Process()
        host.executableURL = URL(fileURLWithPath: HostCommandLineTests.host)
        host.arguments = ["run", "--config", config.path, "--speed", "100", "--seconds", "400", "--dashboard-port", "\(port)", "--quiet"]
        var environment = ProcessInfo.processInfo.environment
        environment["TSH_DASHBOARD_TOKEN"] = token
        host.environment = environment
        host.currentDirectoryURL = HostCommandLineTests.root
        let hostLog = dir.appendingPathComponent("host.log")
        FileManager.default.createFile(atPath: hostLog.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: hostLog)
        host.standardOutput = logHandle
        host.standardError = logHandle
        try host.run()
        defer {
            if host.isRunning { kill(host.processIdentifier, SIGINT) }
            host.waitUntilExit()
        }
        let url = URL(string: "http://127.0.0.1:\(port)/")!
        try #require(Self.waitForPort(port, timeout: 90), "the dashboard did not answer: \((try? String(contentsOf: hostLog, encoding: .utf8)) ?? "")")

        let driver = Process()
        driver.executableURL = URL(fileURLWithPath: Self.python.hasPrefix("/") ? Self.python : "/usr/bin/env")
        driver.arguments = (Self.python.hasPrefix("/") ? [] : [Self.python])
            + [HostCommandLineTests.root.appendingPathComponent("scripts/dashboard/browser_check.py").path,
               "--url", url.absoluteString, "--token", token, "--screenshots", screenshots.path, "--timeout", "150"]
        let out = Pipe()
        let err = Pipe()
        driver.standardOutput = out
        driver.standardError = err
        try driver.run()
        let errData = Mutex(Data())
        let reader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        driver.waitUntilExit()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        let report = String(decoding: stdout, as: UTF8.self)

        // For people to look at.
        let keep = HostCommandLineTests.root.appendingPathComponent(".build/dashboard-screenshots")
        try? FileManager.default.removeItem(at: keep)
        try? FileManager.default.copyItem(at: screenshots, to: keep)
        print("dashboard screenshots: \(screenshots.path) (copied to \(keep.path))")
        print("browser check: \(report)")

        #expect(driver.terminationStatus == 0, "\(report)\n\(String(decoding: errData.withLock { $0 }, as: UTF8.self))")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any], "\(report)")
        #expect((result["failures"] as? [String]) == [])
        for view in ["screener", "trading", "charts", "health", "kill-switch"] {
            #expect(FileManager.default.fileExists(atPath: keep.appendingPathComponent(view + ".png").path), "no screenshot of \(view)")
        }
        // The engaged kill switch was persisted through the host's mechanism.
        kill(host.processIdentifier, SIGINT)
        host.waitUntilExit()
        let status = try HostCommandLineTests.run(["kill-switch", "status", "--data-dir", data.path])
        #expect(status.stdout.contains("HALTED"), "\(status.stdout)\(status.stderr)")
    }
}
