import Hummingbird

/// Answers unknown routes (and routes whose parameters name nothing) with a 404 JSON body instead of an
/// empty response, so API clients can tell a wrong path from a broken server.
struct NotFoundMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return JSONResponse.error(
                .notFound, error.body ?? "no such route: \(request.method) \(request.uri.path)")
        }
    }
}
