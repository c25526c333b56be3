import Foundation
import Hummingbird

/// Builds the dashboard's responses: JSON bodies, and errors as JSON (`{"error": ..., "status": ...}`).
enum JSONResponse {
    /// A JSON body; a value that cannot be encoded is a 500 with the reason, never a silent `null`.
    static func ok(_ value: some Encodable) -> Response {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            return Self.error(.internalServerError, "the response could not be encoded as JSON: \(error)")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = SparkStreamingAPI.ErrorBody(error: message, status: status.code)
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ text: String, contentType: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType, .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
