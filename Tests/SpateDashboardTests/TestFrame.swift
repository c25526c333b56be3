import Foundation
@testable import SpateDashboard

/// An update frame as the page decodes it.
struct TestFrame: Decodable {
    let type: String
    let batch: BatchData?
    let chart: ChartFrame?
    let graph: GraphData?
    let snapshot: DashboardSnapshot?

    init(_ json: String) throws { self = try JSONDecoder().decode(TestFrame.self, from: Data(json.utf8)) }
}

/// The next frame that satisfies `match`, skipping others; nil if the stream ends first.
func nextFrame(
    _ frames: inout AsyncStream<String>.Iterator, where match: (TestFrame) -> Bool
) async throws -> TestFrame? {
    while let json = await frames.next() {
        let frame = try TestFrame(json)
        if match(frame) { return frame }
    }
    return nil
}

func decode<T: Decodable>(_ type: T.Type, _ body: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(body.utf8))
}
