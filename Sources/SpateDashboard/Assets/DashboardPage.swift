/// The dashboard's page: plain HTML and CSS, no external resources (the machine may have no internet).
/// `dashboard.js` (``DashboardScript``) draws everything into it.
enum DashboardPage {
    static let html = #"""
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Spate Streaming</title>
    <link rel="icon" href="data:,">
    <style>
    :root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#f6f8fa; --accent:#0969da; --bar:#2da44e; --warn:#cf222e; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: #fff; }
    header { display: flex; align-items: baseline; gap: 16px; padding: 12px 20px; background: #24292f; color: #fff; }
    header h1 { font-size: 18px; margin: 0; }
    header .app { color: #afb8c1; }
    #status { margin-left: auto; padding: 2px 10px; border-radius: 10px; background: #6e7781; font-size: 12px; }
    #status.live { background: var(--bar); }
    #status.down { background: var(--warn); }
    main { padding: 12px 20px 40px; }
    h2 { font-size: 16px; margin: 22px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
    #summary { color: var(--muted); }
    .cards { display: flex; flex-wrap: wrap; gap: 14px; }
    .card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; background: #fff; }
    .chart { width: 470px; }
    .chart h3 { margin: 0 0 4px; font-size: 14px; }
    .chart .chart-time { color: var(--muted); font-size: 12px; }
    svg text { font-size: 11px; fill: var(--fg); }
    svg .axis { fill: var(--muted); }
    .bar rect { fill: var(--bar); }
    table { border-collapse: collapse; }
    th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
    th { background: var(--bg); font-weight: 600; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    .stat-name { width: 170px; }
    .stat-name .avg { display: block; color: var(--muted); font-size: 12px; }
    .ops { color: var(--muted); font-size: 12px; }
    .legend span { margin-right: 10px; font-size: 12px; }
    .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 3px; }
    .empty { color: var(--muted); font-style: italic; }
    .failed { color: var(--warn); }
    </style>
    </head>
    <body>
    <header><h1>Spate Streaming</h1><span class="app" id="app"></span><span id="status">connecting</span></header>
    <main>
    <p id="summary">Waiting for the first batch.</p>
    <h2>Results</h2>
    <div id="charts" class="cards"><p class="empty">No result charts yet: add <code>dstream.dashboard(.bar(title: "..."))</code>.</p></div>
    <h2>Streaming statistics</h2>
    <table id="stats"><thead><tr><th>Metric</th><th>Timeline</th><th>Histogram</th></tr></thead><tbody></tbody></table>
    <h2>Event time</h2>
    <table id="event-time"><thead><tr><th>Figure</th><th>Last batch</th><th>Timeline (watermark: lag behind the batch time)</th></tr></thead><tbody></tbody></table>
    <h2>Input streams</h2>
    <table id="sources"><thead><tr><th>Input stream</th><th>Records (last batch)</th><th>Rate (last batch)</th><th>Avg rate</th><th>Details (last batch)</th></tr></thead><tbody></tbody></table>
    <h2>Operator graph</h2>
    <div class="card"><svg id="graph" width="300" height="60"></svg></div>
    <h2>Active batches (<span id="active-count">0</span>)</h2>
    <table id="active"><thead><tr><th>Batch time</th><th>Records</th><th>Status</th><th>Scheduling delay</th></tr></thead><tbody></tbody></table>
    <h2>Completed batches (last <span id="completed-count">0</span> of <span id="completed-total">0</span>)</h2>
    <table id="completed"><thead><tr><th>Batch time</th><th>Records</th><th>Scheduling delay</th><th>Processing time</th><th>Total delay</th><th>Output operations</th><th>Failed records</th></tr></thead><tbody></tbody></table>
    </main>
    <script src="dashboard.js"></script>
    </body>
    </html>
    """#
}
