import Benchmark
import Foundation
import Spate
import SpateDashboard
import Synchronization

/// Median batch time of a keyed-count pipeline (200,000 events a batch, counts per user shown as a live
/// bar chart) with the dashboard serving no browser, and with 10 clients following its live event stream.
/// The bound: 10 connected browsers raise the median batch time by less than 5%.
enum DashboardOverhead {
    static let warmBatches = 5
    static let measuredBatches = 30
    static let input = Inputs.eventBatches(warmBatches + measuredBatches, seed: 9)

    static func configuration() -> Benchmark.Configuration {
        .init(metrics: [.wallClock, medianBatch, meanBatch], timeUnits: .milliseconds, warmupIterations: 0,
              scalingFactor: .one, maxDuration: .seconds(90), maxIterations: 10)
    }

    static func run(_ benchmark: Benchmark, clients: Int) async throws {
        let ssc = benchmarkContext()
        // 1,000,000 events a batch (each input event five times), so a batch takes tens of milliseconds and
        // the 1 ms resolution of batch times can show a 5% difference.
        let counts = ssc.queueStream(input)
            .flatMap { e in (0..<5).lazy.map { (e.0 &+ $0, e.1) } }
            .map { ($0.0 % 1000, 1) }.reduceByKey(+)
        counts.dashboard(.bar(title: "events per user bucket", topK: 20))
        counts.dashboard(.line(title: "buckets"))
        let dashboard = try await ssc.dashboard(port: 0)
        let followers = (0..<clients).map { _ in EventStreamFollower(port: dashboard.port) }
        // Batches at a steady pace, as a real clock would produce them, so the browsers get each update.
        try await measurePacedBatches(ssc, benchmark, warm: warmBatches, measured: measuredBatches, pause: .milliseconds(20))
        for f in followers { f.close() }
        await dashboard.stop()
    }
}

/// A browser stand-in: follows the dashboard's server-sent event stream on a plain socket and reads
/// (and drops) everything pushed, on its own thread.
final class EventStreamFollower: Sendable {
    private let fd: Int32

    init(port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return }
        let request = "GET /api/dashboard/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        let socketFD = self.fd
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while recv(socketFD, &buffer, buffer.count, 0) > 0 {}
        }
    }

    func close() { shutdown(fd, Int32(SHUT_RDWR)); _ = Glibc.close(fd) }
}
