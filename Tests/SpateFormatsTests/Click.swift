import Foundation
import SpateFormats

/// The test record, as the Python side (Fixtures/interop.py) writes it in every format.
struct Click: Codable, Hashable, Sendable {
    enum Kind: String, Codable, Sendable { case VIEW, BUY }
    var page: String
    var userID: Int64
    var amount: Double
    var tags: [String]
    var kind: Kind
    var referrer: String?
    var counts: [String: Int32]

    enum CodingKeys: String, CodingKey {
        case page, userID = "user_id", amount, tags, kind, referrer, counts
    }

    /// interop.py's RECORDS.
    static let pythonRecords = [
        Click(page: "/home", userID: 1, amount: 0.5, tags: ["a", "b"], kind: .VIEW, referrer: nil, counts: ["x": 1]),
        Click(page: "/caf\u{e9} \"quoted\"\n", userID: -9_007_199_254_740_993, amount: -1.25e-3, tags: [], kind: .BUY,
              referrer: "https://e.x/?q=1", counts: [:]),
        Click(page: "", userID: Int64.max, amount: 1e300, tags: ["\u{2603}", "emoji \u{1F600}"], kind: .VIEW,
              referrer: "", counts: ["a": Int32.min, "b": Int32.max]),
    ]

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let schemaID: Int32 = 42
    static let schema: AvroSchema = {
        let text = try! String(contentsOf: fixtures.appendingPathComponent("click.avsc"), encoding: .utf8)
        return try! AvroSchema(json: text)
    }()

    /// The generated message with the same fields.
    var message: Spate_Test_Click {
        var m = Spate_Test_Click()
        m.page = page
        m.userID = userID
        m.amount = amount
        m.tags = tags
        m.kind = kind == .BUY ? .buy : .view
        if let referrer { m.referrer = referrer }
        m.counts = counts
        return m
    }

    init(page: String, userID: Int64, amount: Double, tags: [String], kind: Kind, referrer: String?, counts: [String: Int32]) {
        (self.page, self.userID, self.amount, self.tags, self.kind, self.referrer, self.counts) =
            (page, userID, amount, tags, kind, referrer, counts)
    }

    init(_ m: Spate_Test_Click) {
        self.init(page: m.page, userID: m.userID, amount: m.amount, tags: m.tags, kind: m.kind == .buy ? .BUY : .VIEW,
                  referrer: m.hasReferrer ? m.referrer : nil, counts: m.counts)
    }
}
