import Foundation

/// Signs HTTP requests with AWS Signature Version 4 (the documented algorithm: a canonical request, a string
/// to sign over its SHA-256, and an HMAC-SHA256 key derived from the secret, the date, the region and the
/// service), as every AWS API and moto require.
struct SigV4Signer: Sendable {
    let credentials: AWSCredentials
    let region: String
    let service: String

    /// The headers to add to a request (`X-Amz-Date`, `X-Amz-Security-Token` for temporary credentials, and
    /// `Authorization`), signing `headers` (which must include `host`), the method, path, query and body.
    /// `path` and `query` are given as sent (URI-encoded; the query's parameters already sorted).
    func sign(
        method: String, path: String, query: String = "", headers: [(String, String)], body: [UInt8], date: Date
    ) -> [(String, String)] {
        let amzDate = Self.timestamp(date)
        let day = String(amzDate.prefix(8))
        var added = [("x-amz-date", amzDate)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        let all = (headers + added).map { ($0.0.lowercased(), Self.trimmed($0.1)) }.sorted { $0.0 < $1.0 }
        let signedHeaders = all.map(\.0).joined(separator: ";")
        let canonical = [
            method, path.isEmpty ? "/" : path, query,
            all.map { "\($0.0):\($0.1)\n" }.joined(), signedHeaders, SHA256.hex(SHA256.hash(body)),
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", amzDate, scope, SHA256.hex(SHA256.hash(Array(canonical.utf8)))]
            .joined(separator: "\n")
        var key = Array("AWS4\(credentials.secretAccessKey)".utf8)
        for part in [day, region, service, "aws4_request"] { key = SHA256.hmac(key: key, Array(part.utf8)) }
        let signature = SHA256.hex(SHA256.hmac(key: key, Array(toSign.utf8)))
        let authorization = "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return added + [("authorization", authorization)]
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(c.year ?? 1970)\(two(c.month))\(two(c.day))T\(two(c.hour))\(two(c.minute))\(two(c.second))Z"
    }

    /// A header value with its ends trimmed and inner runs of spaces collapsed, as canonical headers want.
    private static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
    }
}
