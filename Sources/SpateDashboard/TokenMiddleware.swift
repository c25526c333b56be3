import Hummingbird

/// Lets a request through only with the dashboard's token, as `?token=` or `Authorization: Bearer`.
/// Required when the dashboard listens beyond loopback: it shows the program, its data and its timings.
/// The page and its script carry no data and load without it; the page sends the token from its own URL.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if Self.publicPaths.contains(request.uri.path) { return try await next(request, context) }
        var given = request.uri.queryParameters["token"].map(String.init)
        if given == nil, let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            given = String(header.dropFirst("Bearer ".count))
        }
        guard let given, Self.equal(given, token) else {
            return JSONResponse.error(
                .unauthorized, "this dashboard needs its token: add ?token=<token> to the URL or send "
                    + "Authorization: Bearer <token>")
        }
        return try await next(request, context)
    }

    static var publicPaths: Set<String> { ["/", "/dashboard.js"] }

    /// Compares in time independent of where the strings differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = x.count ^ y.count
        for i in 0..<Swift.min(x.count, y.count) { diff |= Int(x[i] ^ y[i]) }
        return diff == 0
    }
}
