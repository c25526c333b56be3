import Foundation
import Logging
import Metrics

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One AWS JSON-protocol service (Kinesis speaks JSON 1.1, DynamoDB JSON 1.0) at one endpoint: each call is a
/// signed `POST /` with the operation in `X-Amz-Target`, retried with backoff when throttled, on a 5xx or when
/// the connection fails, and turned into a typed error otherwise. HTTP(S) goes through Foundation's
/// `URLSession` (libcurl on Linux, on threads of its own: a call never holds a cooperative thread while it
/// waits).
struct AWSJSONClient: Sendable {
    /// The service's documented protocol: its `X-Amz-Target` prefix and JSON content type.
    struct Service: Sendable {
        let signingName: String
        let targetPrefix: String
        let contentType: String

        static let kinesis = Service(
            signingName: "kinesis", targetPrefix: "Kinesis_20131202", contentType: "application/x-amz-json-1.1")
        static let dynamoDB = Service(
            signingName: "dynamodb", targetPrefix: "DynamoDB_20120810", contentType: "application/x-amz-json-1.0")
    }

    let service: Service
    let url: URL
    let host: String
    let signer: SigV4Signer
    let retry: AWSRetry
    let timeout: Duration
    let logger: Logger

    /// A client of `service` at `endpoint` (nil: AWS's regional endpoint).
    init(service: Service, region: String, endpoint: String?, credentials: AWSCredentials, retry: AWSRetry,
         timeout: Duration, logger: Logger) throws {
        let text = endpoint ?? "https://\(service.signingName).\(region).amazonaws.com"
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else { throw KinesisError.invalidEndpoint(text) }
        self.service = service
        self.url = url
        self.host = url.port.map { "\(host):\($0)" } ?? host
        self.signer = SigV4Signer(credentials: credentials, region: region, service: service.signingName)
        self.retry = retry
        self.timeout = timeout
        self.logger = logger
    }

    /// The endpoint as errors name it.
    var endpoint: String { url.absoluteString }

    /// Calls `operation` with `request` and decodes its answer; throws `KinesisError.service` for an error
    /// retrying does not fix, `KinesisError.unavailable` once the retries are used up.
    func call<Request: Encodable, Response: Decodable>(
        _ operation: String, _ request: Request, as: Response.Type = Response.self
    ) async throws -> Response {
        let body = try Array(JSONEncoder().encode(request))
        var lastReason = ""
        for attempt in 1...retry.maxAttempts {
            if attempt > 1 {
                Counter(label: "spate_kinesis_retries_total", dimensions: [("operation", operation)]).increment()
                try await Task.sleep(for: retry.backoff(attempt: attempt - 1))
            }
            let status: Int, answer: Data
            do {
                (status, answer) = try await send(operation, body)
            } catch let error as CancellationError {
                throw error
            } catch {
                lastReason = "\(error)"
                logger.debug("AWS request failed; retrying", metadata: [
                    "operation": "\(operation)", "attempt": "\(attempt)", "error": "\(error)"])
                continue
            }
            if (200..<300).contains(status) {
                return try JSONDecoder().decode(Response.self, from: answer)
            }
            let (code, message) = Self.errorParts(answer)
            guard AWSRetry.isRetryable(code: code, status: status) else {
                throw KinesisError.service(operation: operation, code: code, message: message, status: status)
            }
            lastReason = "HTTP \(status) \(code) \(message)"
            logger.debug("AWS request throttled or failed on the server; retrying", metadata: [
                "operation": "\(operation)", "attempt": "\(attempt)", "status": "\(status)", "code": "\(code)"])
        }
        throw KinesisError.unavailable(operation: operation, endpoint: endpoint, attempts: retry.maxAttempts,
                                       reason: lastReason)
    }

    /// One signed POST; the status and the body.
    private func send(_ operation: String, _ body: [UInt8]) async throws -> (Int, Data) {
        var request = URLRequest(url: url, timeoutInterval: timeout / .seconds(1))
        request.httpMethod = "POST"
        // `host` is signed as the transport sends it (host, and the port when not the scheme's default).
        let headers = [("host", host), ("content-type", service.contentType),
                       ("x-amz-target", "\(service.targetPrefix).\(operation)")]
        let signed = signer.sign(method: "POST", path: url.path, headers: headers, body: body, date: Date())
        for (name, value) in headers.dropFirst() + signed { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(body)
        let (answer, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, answer)
    }

    /// The error code (`__type` after its `#`) and message of an AWS error answer.
    static func errorParts(_ body: Data) -> (String, String) {
        struct Answer: Decodable {
            var __type: String?
            var message: String?
            var Message: String?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: body) else {
            return ("Unknown", String(decoding: body.prefix(200), as: UTF8.self))
        }
        let code = answer.__type.map { $0.split(separator: "#").last.map(String.init) ?? $0 } ?? "Unknown"
        return (code, answer.message ?? answer.Message ?? "")
    }
}
