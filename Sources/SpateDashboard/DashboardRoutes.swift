import Hummingbird
import NIOCore

/// The dashboard's HTTP routes: the page, its push stream (server-sent events), Spark's streaming REST API
/// and Prometheus' `/metrics`.
enum DashboardRoutes {
    static func router(
        listener: StreamingJobProgressListener, token: String?, loopback: Bool
    ) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: NotFoundMiddleware())
        if loopback { router.add(middleware: HostCheckMiddleware()) }
        if let token { router.add(middleware: TokenMiddleware(token: token)) }

        router.get("/") { _, _ in JSONResponse.text(DashboardPage.html, contentType: "text/html; charset=utf-8") }
        router.get("/dashboard.js") { _, _ in
            JSONResponse.text(DashboardScript.source, contentType: "text/javascript; charset=utf-8")
        }
        router.get("/api/dashboard/state") { _, _ in JSONResponse.ok(listener.snapshot()) }
        router.get("/api/dashboard/events") { _, _ in events(listener) }
        router.get("/metrics") { _, _ in
            JSONResponse.text(listener.metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        addSparkAPI(to: router, listener: listener)
        return router
    }

    /// `text/event-stream`: the snapshot, then every update. The client's frames wait in its own bounded
    /// buffer; its connection closing (a failed write) unsubscribes it.
    static func events(_ listener: StreamingJobProgressListener) -> Response {
        let (id, snapshot, frames) = listener.subscribe()
        let broadcaster = listener.broadcaster
        let first = StreamingJobProgressListener.encode(UpdateFrame(type: "snapshot", snapshot: snapshot))
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store", .connection: "keep-alive"],
            body: ResponseBody { writer in
                defer { broadcaster.unsubscribe(id) }
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                try await writer.write(first)
                for await frame in frames { try await writer.write(frame) }
                try await writer.finish(nil)
            })
    }

    static func addSparkAPI(to router: Router<BasicRequestContext>, listener: StreamingJobProgressListener) {
        let app = listener.applicationID
        router.get("/api/v1/applications") { _, _ in
            JSONResponse.ok([SparkStreamingAPI.Application(id: app, name: "Spate")])
        }
        let base = "/api/v1/applications/:app/streaming"
        // Every streaming route answers 404 for another application id; the batch routes also for an unknown batch.
        func appRoute(_ path: String, _ body: @escaping @Sendable (Request, BasicRequestContext) -> Response) {
            router.get("\(base)\(path)") { request, context in
                context.parameters.get("app") == app ? body(request, context) : unknownApp(context)
            }
        }
        func batchRoute(_ path: String, _ body: @escaping @Sendable (BatchData) -> Response) {
            appRoute("/batches/:batch\(path)") { _, context in
                guard let time = context.parameters.get("batch", as: Int.self), let batch = listener.batch(time) else {
                    return unknownBatch(context)
                }
                return body(batch)
            }
        }
        appRoute("/statistics") { _, _ in JSONResponse.ok(StreamingStatisticsReport.make(listener.snapshot())) }
        appRoute("/batches") { request, _ in
            let snapshot = listener.snapshot()
            let wanted = request.uri.queryParameters.getAll("status").map { $0.uppercased() }
            let all = (snapshot.active + snapshot.completed).sorted { $0.batchTime > $1.batchTime }
            let outputs = snapshot.graph.outputs.count
            return JSONResponse.ok(all.filter { wanted.isEmpty || wanted.contains($0.status) }.map {
                SparkStreamingAPI.BatchInfo($0, batchDuration: snapshot.batchIntervalMs, totalOutputOps: outputs)
            })
        }
        batchRoute("") { batch in
            JSONResponse.ok(SparkStreamingAPI.BatchInfo(
                batch, batchDuration: listener.batchIntervalMs,
                totalOutputOps: listener.snapshot().graph.outputs.count))
        }
        batchRoute("/operations") { batch in
            JSONResponse.ok(batch.outputOperations.map {
                SparkStreamingAPI.OutputOperationInfo(
                    outputOpId: $0.id, name: $0.name, description: $0.name, startTime: nil, endTime: nil,
                    duration: $0.durationMs, failureReason: nil)
            })
        }
    }

    private static func unknownApp(_ context: BasicRequestContext) -> Response {
        JSONResponse.error(.notFound, "no such application: \(context.parameters.get("app") ?? "")")
    }

    private static func unknownBatch(_ context: BasicRequestContext) -> Response {
        JSONResponse.error(
            .notFound, "no such batch: \(context.parameters.get("batch") ?? "") (batches are named by their "
                + "time in milliseconds; the last \(StreamingJobProgressListener.retainedBatches) are kept)")
    }
}
