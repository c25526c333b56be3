import Hummingbird

/// Refuses requests whose `Host` header does not name this machine, for a dashboard listening on loopback.
///
/// A loopback dashboard without a token is open to any program on the machine, and, through DNS rebinding, to
/// any web page a browser on the machine opens: the page's own host name is made to resolve to 127.0.0.1, and
/// the browser then sends the page's requests here with that name as `Host`. Answering only to loopback names
/// (`localhost`, `127.x.x.x`, `[::1]`) closes that door.
struct HostCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // HTTP/1.1's Host header arrives as the request's authority (a valid name: the unwrap cannot fail).
        guard let authority = request.head.authority ?? request.headers[.init("Host")!], Self.isLoopback(authority: authority) else {
            return JSONResponse.error(
                .misdirectedRequest, "this dashboard listens on loopback and answers only to localhost, 127.0.0.1 "
                    + "or [::1]: open it by one of those names (to serve other names, listen on another host "
                    + "with a token: dashboard(port:host:token:))")
        }
        return try await next(request, context)
    }

    /// Whether an HTTP authority (`host[:port]`) names a loopback address.
    static func isLoopback(authority: String) -> Bool {
        var host = Substring(authority)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            host = host[host.startIndex...close]
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        return LoopbackAddress.isLoopback(String(host))
    }
}

/// Loopback host names and addresses, parsed strictly (`127.example.com` is not loopback).
enum LoopbackAddress {
    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased()
        if name == "localhost" || name == "localhost." || name == "::1" || name == "[::1]" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        for octet in octets {
            guard octet.count <= 3, octet.allSatisfy(\.isASCII), UInt8(octet) != nil else { return false }
        }
        return octets[0] == "127"
    }
}
