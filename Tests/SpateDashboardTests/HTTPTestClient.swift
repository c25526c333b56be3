import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A minimal HTTP/1.1 client over a socket, so the tests see exactly what a browser or curl would.
enum HTTPTestClient {
    struct Reply: Sendable {
        let status: Int
        let head: String
        let body: String
        func header(_ name: String) -> String? {
            head.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
    }

    static func get(port: Int, _ path: String, headers: [String: String] = [:]) async throws -> Reply {
        let channel = try await connect(port: port)
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request(path, headers: headers, close: true)))
            var raw = ByteBuffer()
            for try await var chunk in inbound { raw.writeBuffer(&chunk) }
            let text = String(buffer: raw)
            let parts = text.components(separatedBy: "\r\n\r\n")
            let head = parts.first ?? ""
            let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
            return Reply(status: status, head: head, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
        }
    }

    static func connect(port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    static func request(_ path: String, headers: [String: String], close: Bool) -> String {
        var text = "GET \(path) HTTP/1.1\r\n"
        if !headers.keys.contains(where: { $0.lowercased() == "host" }) { text += "Host: 127.0.0.1\r\n" }
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        if close { text += "Connection: close\r\n" }
        return text + "\r\n"
    }
}

/// A page's event stream: the `data:` frames of `GET /api/dashboard/events`, read in the background.
final class EventStreamClient: Sendable {
    let frames: AsyncStream<String>
    private let reader: Task<Void, Never>

    init(port: Int, path: String = "/api/dashboard/events") async throws {
        let channel = try await HTTPTestClient.connect(port: port)
        let (frames, sink) = AsyncStream.makeStream(of: String.self)
        self.frames = frames
        reader = Task {
            try? await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: HTTPTestClient.request(path, headers: [:], close: false)))
                var pending = ""
                for try await chunk in inbound {
                    pending += String(buffer: chunk)
                    for line in Self.completeLines(&pending) where line.hasPrefix("data: ") {
                        sink.yield(String(line.dropFirst("data: ".count)))
                    }
                }
            }
            sink.finish()
        }
    }

    /// Takes the complete lines off the front of `text`.
    static func completeLines(_ text: inout String) -> [String] {
        // "\r\n" is one Character in Swift: treat it as a line end too (chunk headers end with it).
        let isEnd: (Character) -> Bool = { $0 == "\n" || $0 == "\r\n" }
        guard let last = text.lastIndex(where: isEnd) else { return [] }
        let lines = text[..<last].split(whereSeparator: isEnd).map(String.init)
        text = String(text[text.index(after: last)...])
        return lines
    }

    func close() { reader.cancel() }
}
