import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Request context of the CLOB/Gamma fakes: keeps the connection's channel so a test can make the
/// server drop a connection without answering (the "outcome unknown" case).
package struct FakeRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

/// Runs one Hummingbird application on 127.0.0.1 with an OS-chosen port.
package final class FakeHTTPHost: Sendable {
    package typealias Handler = @Sendable (Request, FakeRequestContext) async throws -> Response

    private struct State {
        var task: Task<Void, any Error>?
        var group: ServiceGroup?
        var port: Int?
    }

    private let state = Mutex(State())
    private let name: String
    private let logger: Logger

    package init(name: String, logger: Logger) {
        self.name = name
        self.logger = logger
    }

    package var port: Int? { state.withLock { $0.port } }

    /// Starts listening and returns the bound port.
    package func start(handler: @escaping Handler) async throws -> Int {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: CallbackResponder(callback: handler),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: name),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task { try await group.run() }
        state.withLock {
            $0.task = task
            $0.group = group
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw FakeServerError(message: "\(name) did not start listening")
        }
        state.withLock { $0.port = port }
        return port
    }

    /// Shuts the server down gracefully and waits for it to finish.
    package func stop() async {
        let (task, group) = state.withLock { state -> (Task<Void, any Error>?, ServiceGroup?) in
            defer {
                state.task = nil
                state.group = nil
            }
            return (state.task, state.group)
        }
        await group?.triggerGracefulShutdown()
        _ = try? await task?.value
    }
}

/// A fake server failed to start or was misused.
public struct FakeServerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { "FakeServerError: \(message)" }
}

package enum FakeHTTPJSON {
    /// Serializes a JSON object/array built from Foundation values (keys sorted for stable output).
    package static func data(_ object: Any) -> ByteBuffer {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return ByteBuffer(bytes: data)
    }

    package static func string(_ object: Any) -> String {
        String(decoding: data(object).readableBytesView, as: UTF8.self)
    }

    package static func response(_ status: HTTPResponse.Status, _ object: Any, headers extra: [(String, String)] = []) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        for (name, value) in extra {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: data(object)))
    }

    package static func parse(_ buffer: ByteBuffer) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView), options: [.fragmentsAllowed])
    }
}

extension Decimal {
    /// Plain decimal text (`0.5`, `12`, no exponent), as venues write amounts in JSON strings.
    package var plainText: String { NSDecimalNumber(decimal: self).stringValue }
}
