import Spate
import SpateStreamSQL

/// One word of a line: the row type whose property names the query's column, as the guide's `Record`.
struct Record: Codable, Sendable {
    let word: String
}

/// The guide's SqlNetworkWordCount: the lines split into words on spaces, each batch's words a table
/// (`batch`, one `word` column), counted by SQL: `SELECT word, COUNT(*) AS total FROM batch GROUP BY word`.
///
/// A function of the input stream, so the example's tests (Tests/ExampleTests) run the same pipeline on pushed
/// batches with SpateTesting instead of a socket.
func sqlWordCounts(_ lines: DStream<String>) -> DStream<(String, Int)> {
    lines
        .flatMap { $0.split(separator: " ").map { Record(word: String($0)) } }
        .sql("SELECT word, COUNT(*) AS total FROM batch GROUP BY word") { row in (row.text(0), row.integer(1)) }
}

/// A batch's counts as Spark's `DataFrame.show()` prints them: a boxed table of the first `limit` rows,
/// right-aligned, most frequent first.
func show(_ counts: [(String, Int)], limit: Int = 20) -> String {
    let rows = counts.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    let shown = rows.prefix(limit).map { [$0.0, String($0.1)] }
    let header = ["word", "total"]
    let widths = (0..<2).map { c in ([header] + shown).map { $0[c].count }.max() ?? 0 }
    let rule = "+" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "+") + "+"
    func line(_ cells: [String]) -> String {
        "|" + zip(cells, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }.joined(separator: "|") + "|"
    }
    var out = [rule, line(header), rule] + shown.map(line) + [rule]
    if rows.count > limit { out.append("only showing top \(limit) rows") }
    return out.joined(separator: "\n")
}
