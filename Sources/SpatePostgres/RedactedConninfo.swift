import CLibPQ

/// A libpq connection string with its password taken out, for error messages and logs.
///
/// Parsed by libpq itself (`PQconninfoParse`), so both forms it accepts, `key=value` and
/// `postgresql://user:password@host/db?password=...`, are read exactly as libpq reads them; the result lists the
/// options that were set, in libpq's `key=value` form, with `password=***` where a password was given.
enum RedactedConninfo {
    static func redact(_ conninfo: String) -> String {
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &error) else {
            if let error { PQfreemem(error) }
            // Unparsable: show nothing of it, it may hold the password in a form libpq does not read.
            return "<unparsable connection string>"
        }
        defer { PQconninfoFree(options) }
        var parts: [String] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                let key = String(cString: keyword)
                parts.append(key == "password" ? "password=***" : "\(key)=\(quoted(String(cString: value)))")
            }
            option += 1
        }
        return parts.joined(separator: " ")
    }

    /// libpq's quoting of a value: single quotes when it is empty or holds a blank, a quote or a backslash.
    private static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "'" || $0 == "\\" }) else { return value }
        return "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
