import Foundation
import Hummingbird

/// Lets a request through only with the dashboard's token, sent as `Authorization: Bearer <token>` (API
/// clients) or in the `spate_dashboard_token` cookie (the page sets it from its URL's fragment,
/// `/#token=<token>`). Required when the dashboard listens beyond loopback: it shows the program, its data and
/// its timings.
///
/// The token never travels in a query string: URLs with queries end up in browser history, proxy and server
/// logs and `Referer` headers; a fragment is never sent to any server. A request that still uses `?token=` is
/// refused with a message that says what to send instead. The page and its script carry no data and load
/// without the token.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    /// The cookie the page stores the token in.
    static var cookieName: String { "spate_dashboard_token" }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if Self.publicPaths.contains(request.uri.path) { return try await next(request, context) }
        if request.uri.queryParameters["token"] != nil {
            return JSONResponse.error(
                .unauthorized, "the token is not accepted in the query string (it would be logged): send "
                    + "Authorization: Bearer <token>, or open the page as /#token=<token>")
        }
        guard let given = Self.presented(in: request), Self.equal(given, token) else {
            return JSONResponse.error(
                .unauthorized, "this dashboard needs its token: send Authorization: Bearer <token>, or open the "
                    + "page as /#token=<token>")
        }
        return try await next(request, context)
    }

    static var publicPaths: Set<String> { ["/", "/dashboard.js"] }

    /// The token the request carries: the bearer token, else the cookie's.
    static func presented(in request: Request) -> String? {
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            return String(header.dropFirst("Bearer ".count))
        }
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName else { continue }
                return String(parts[1]).removingPercentEncoding
            }
        }
        return nil
    }

    /// Compares in time independent of where the strings differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = x.count ^ y.count
        for i in 0..<Swift.min(x.count, y.count) { diff |= Int(x[i] ^ y[i]) }
        return diff == 0
    }
}
