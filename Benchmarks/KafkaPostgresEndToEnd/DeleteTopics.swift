import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deletes `topics` through the Kafka protocol's DeleteTopics v1, sent to the first of `brokers` (a single
/// broker, as `scripts/kafka.sh` runs, is its own controller). SpateKafka has no public call for this, and the
/// benchmark must not leave its millions of records behind: the local broker (noida-db) keeps every record in
/// memory and keeps rewriting one data file with all of them, which slows it down for every later run and test.
/// Returns each topic's Kafka error code (0: deleted, 3: no such topic).
func deleteTopics(_ topics: [String], brokers: String, timeoutMs: Int32 = 30_000) throws -> [String: Int16] {
    guard !topics.isEmpty else { return [:] }
    let first = brokers.split(separator: ",").first.map(String.init) ?? brokers
    guard let colon = first.lastIndex(of: ":") else { throw Failure("broker '\(first)' is not host:port") }
    let host = String(first[..<colon]), port = String(first[first.index(after: colon)...])

    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    #if canImport(Glibc)
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    #else
    hints.ai_socktype = SOCK_STREAM
    #endif
    var info: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, port, &hints, &info) == 0, let info else { throw Failure("cannot resolve \(first)") }
    defer { freeaddrinfo(info) }
    let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
    guard fd >= 0 else { throw Failure("socket: \(errno)") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: Int(timeoutMs / 1000) + 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else { throw Failure("connect to \(first): \(errno)") }

    var body = Data()
    func int16(_ v: Int16) { withUnsafeBytes(of: v.bigEndian) { body.append(contentsOf: $0) } }
    func int32(_ v: Int32) { withUnsafeBytes(of: v.bigEndian) { body.append(contentsOf: $0) } }
    func string(_ s: String) { int16(Int16(s.utf8.count)); body.append(contentsOf: Array(s.utf8)) }
    int16(20); int16(1); int32(1); string("spate-e2e")  // DeleteTopics v1, correlation id 1, client id
    int32(Int32(topics.count))
    for t in topics { string(t) }
    int32(timeoutMs)
    var request = Data()
    withUnsafeBytes(of: Int32(body.count).bigEndian) { request.append(contentsOf: $0) }
    request.append(body)
    try request.withUnsafeBytes { raw in
        var sent = 0
        while sent < raw.count {
            let n = send(fd, raw.baseAddress! + sent, raw.count - sent, 0)
            guard n > 0 else { throw Failure("send: \(errno)") }
            sent += n
        }
    }

    func read(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            guard n > 0 else { throw Failure("recv: \(n == 0 ? "connection closed" : "errno \(errno)")") }
            got += n
        }
        return out
    }
    let sizeBytes = try read(4)
    let size = Int(sizeBytes.reduce(0) { $0 << 8 | UInt32($1) })
    let response = try read(size)
    var pos = 0
    func i16() -> Int16 { defer { pos += 2 }; return Int16(bitPattern: UInt16(response[pos]) << 8 | UInt16(response[pos + 1])) }
    func i32() -> Int32 { defer { pos += 4 }; return Int32(bitPattern: response[pos..<pos + 4].reduce(0) { $0 << 8 | UInt32($1) }) }
    _ = i32(); _ = i32()  // correlation id, throttle time
    var codes: [String: Int16] = [:]
    for _ in 0..<Int(i32()) {
        let length = Int(i16())
        let name = String(decoding: response[pos..<pos + length], as: UTF8.self)
        pos += length
        codes[name] = i16()
    }
    return codes
}
