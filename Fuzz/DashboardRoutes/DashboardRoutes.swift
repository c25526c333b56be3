// Fuzzes the dashboard's HTTP routes in process: a request (method, path with query string, headers) built
// from the input goes to the router of a dashboard whose context has run two batches, with and without a
// token. Never a trap; every answer has a valid status, and every answer to an /api/ path (but the event
// stream) is JSON with a JSON content type, as a browser or Spark's REST clients expect.
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Spate
@testable import SpateDashboard

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let input = FuzzRequest(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    let responder = input.withToken ? fixture.tokenRouter : fixture.openRouter
    let answer = blocking { await respond(responder, input.request) }
    check(answer, input)
    return 0
}

/// A request decoded from fuzz bytes: byte 0 picks the method and the router; the first line is the path
/// (with its query string), every further line a header `Name: value`. Bytes a real HTTP/1 parser would
/// refuse in a request target (controls, space) are dropped, so the router sees what a server hands it.
struct FuzzRequest {
    let request: HTTPRequest
    let withToken: Bool

    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let selector = bytes.first else { return nil }
        let methods: [HTTPRequest.Method] = [.get, .get, .get, .head, .post, .put, .delete, .options]
        let lines = bytes.dropFirst().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let target = (lines.first.map(Array.init) ?? []).filter { $0 > 0x20 && $0 < 0x7F }
        var path = String(decoding: target, as: UTF8.self)
        if !path.hasPrefix("/") { path = "/" + path }
        var fields = HTTPFields()
        var authority = "localhost"
        for line in lines.dropFirst() {
            let text = String(decoding: line.filter { $0 == 0x09 || ($0 >= 0x20 && $0 < 0x7F) }, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":"), let name = HTTPField.Name(String(text[..<colon])) else { continue }
            let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name.canonicalName == "host" { authority = value } else { fields.append(HTTPField(name: name, value: value)) }
        }
        request = HTTPRequest(
            method: methods[Int(selector) % methods.count], scheme: "http",
            authority: selector & 0x40 == 0 ? authority : nil, path: path, headerFields: fields)
        withToken = selector & 0x80 != 0
    }
}

/// What the router answered: status, headers and (up to a bound) the body.
struct Answer: Sendable {
    let path: String
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: [UInt8]
}

func respond(_ responder: RouterResponder<BasicRequestContext>, _ head: HTTPRequest) async -> Answer {
    let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
    let context = BasicRequestContext(
        source: ApplicationRequestContextSource(channel: fixture.channel, logger: fixture.logger))
    var response: Response
    do {
        response = try await responder.respond(to: request, context: context)
    } catch let error as any HTTPResponseError {
        // What Hummingbird's server sends for an error thrown out of the router.
        do { response = try error.response(from: request, context: context) } catch {
            response = Response(status: .internalServerError)
        }
    } catch {
        response = Response(status: .internalServerError)
    }
    let collector = BodyCollector()
    let streaming = response.headers[.contentType]?.hasPrefix("text/event-stream") == true
    try? await response.body.write(CollectingWriter(collector: collector, maximumWrites: streaming ? 2 : .max))
    return Answer(path: request.uri.path, status: response.status, headers: response.headers, body: collector.bytes)
}

func check(_ answer: Answer, _ input: FuzzRequest) {
    let what = "\(input.request.method) \(input.request.path ?? "") -> \(answer.status.code)"
    guard (100...599).contains(answer.status.code) else { fatalError("invalid status: \(what)") }
    guard answer.path.hasPrefix("/api/") else { return }
    let type = answer.headers[.contentType] ?? ""
    if answer.path == "/api/dashboard/events" && answer.status == .ok && type.hasPrefix("text/event-stream") { return }
    if input.request.method == .head { return }
    guard type.hasPrefix("application/json") else { fatalError("an API answer that is not JSON (\(type)): \(what)") }
    guard (try? JSONSerialization.jsonObject(with: Data(answer.body), options: [.fragmentsAllowed])) != nil else {
        fatalError("an API answer whose body is not JSON: \(what): \(String(decoding: answer.body, as: UTF8.self))")
    }
}
