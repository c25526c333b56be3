/// The dashboard's script: receives the snapshot and the pushed updates (server-sent events) and draws the
/// page with SVG; no library, no CDN.
enum DashboardScript {
    static let source = #"""
    (function () {
      'use strict';
      // The token comes in the URL's fragment (never sent to a server); it moves into a same-site cookie,
      // which the event stream sends, and leaves the address bar and the history.
      var token = new URLSearchParams(location.hash.slice(1)).get('token');
      if (token) {
        document.cookie = 'spate_dashboard_token=' + encodeURIComponent(token) + '; path=/; SameSite=Strict';
        history.replaceState(null, '', location.pathname);
      }
      var NS = 'http://www.w3.org/2000/svg';
      var COLORS = ['#0969da', '#2da44e', '#bf8700', '#cf222e', '#8250df', '#1b7c83', '#bc4c00', '#6e7781'];
      var MAX_BATCHES = 1000;
      var S = { app: '', intervalMs: 1000, startTime: 0, completed: [], active: {}, charts: {}, chartOrder: [],
                graph: { nodes: [], outputs: [] }, totalCompleted: 0, totalRecords: 0, lastCompleted: -1 };
      var pending = false;

      function schedule() { if (!pending) { pending = true; setTimeout(function () { pending = false; render(); }, 40); } }
      function el(tag, attrs, text) {
        var e = document.createElement(tag);
        for (var k in (attrs || {})) e.setAttribute(k, attrs[k]);
        if (text !== undefined) e.textContent = text;
        return e;
      }
      function sv(tag, attrs, text) {
        var e = document.createElementNS(NS, tag);
        for (var k in (attrs || {})) e.setAttribute(k, attrs[k]);
        if (text !== undefined) e.textContent = text;
        return e;
      }
      function num(v) {
        if (v === null || v === undefined || isNaN(v)) return '-';
        if (Math.abs(v - Math.round(v)) < 1e-9) return String(Math.round(v));
        return v.toFixed(Math.abs(v) >= 100 ? 0 : 2);
      }
      function ms(v) {
        if (v === null || v === undefined) return '-';
        return v >= 10000 ? (v / 1000).toFixed(1) + ' s' : v + ' ms';
      }
      function time(t) {
        if (t > 100000000000) return new Date(t).toLocaleTimeString('en-GB') + '.' + String(t % 1000).padStart(3, '0');
        return t + ' ms';
      }

      // ---- incoming frames ----
      function onSnapshot(s) {
        S.app = s.applicationID; S.intervalMs = s.batchIntervalMs; S.startTime = s.startTime;
        S.completed = s.completed.slice(-MAX_BATCHES);
        S.active = {};
        s.active.forEach(function (b) { S.active[b.batchTime] = b; });
        S.charts = {}; S.chartOrder = [];
        s.charts.forEach(onChart);
        S.graph = s.graph;
        S.totalCompleted = s.totalCompletedBatches; S.totalRecords = s.totalRecords;
        S.lastCompleted = S.completed.length ? S.completed[S.completed.length - 1].batchTime : -1;
      }
      function onBatch(b) {
        if (b.status === 'COMPLETED') {
          delete S.active[b.batchTime];
          if (b.batchTime > S.lastCompleted) {
            S.completed.push(b);
            if (S.completed.length > MAX_BATCHES) S.completed.splice(0, S.completed.length - MAX_BATCHES);
            S.lastCompleted = b.batchTime;
            S.totalCompleted += 1; S.totalRecords += b.numRecords;
          }
        } else if (b.batchTime > S.lastCompleted) {
          S.active[b.batchTime] = b;
        }
      }
      function onChart(c) {
        if (!(c.title in S.charts)) S.chartOrder.push(c.title);
        S.charts[c.title] = c;
      }
      function connect() {
        var status = document.getElementById('status');
        var source = new EventSource('api/dashboard/events');
        source.onopen = function () { status.textContent = 'live'; status.className = 'live'; };
        source.onerror = function () { status.textContent = 'reconnecting'; status.className = 'down'; };
        source.onmessage = function (event) {
          var f = JSON.parse(event.data);
          if (f.type === 'snapshot') onSnapshot(f.snapshot);
          else if (f.type === 'batch') onBatch(f.batch);
          else if (f.type === 'chart') onChart(f.chart);
          else if (f.type === 'graph') S.graph = f.graph;
          schedule();
        };
      }

      // ---- drawing ----
      function render() {
        document.getElementById('app').textContent = S.app;
        var summary = 'Batches of ' + ms(S.intervalMs) + ', ' + S.totalCompleted + ' completed, ' +
          S.totalRecords + ' records processed' + (S.startTime ? ', dashboard up since ' + new Date(S.startTime).toLocaleString('en-GB') : '') + '.';
        document.getElementById('summary').textContent = summary;
        renderCharts(); renderStats(); renderEventTime(); renderSources(); renderGraph(); renderBatches();
      }

      function renderCharts() {
        var box = document.getElementById('charts');
        if (!S.chartOrder.length) return;
        box.textContent = '';
        S.chartOrder.forEach(function (title) {
          var c = S.charts[title];
          var card = el('div', { 'class': 'card chart', 'data-title': c.title, 'data-kind': c.kind, 'data-batch-time': c.batchTime });
          var h = el('h3', {}, c.title + ' ');
          h.appendChild(el('span', { 'class': 'chart-time' }, 'batch ' + time(c.batchTime)));
          if (c.nonFinite) h.appendChild(el('span', { 'class': 'chart-skipped' }, ' (' + c.nonFinite + ' NaN/infinite left out)'));
          card.appendChild(h);
          if (c.kind === 'bar') card.appendChild(barChart(c.bars || []));
          else if (c.kind === 'line') lineChart(card, c.points || []);
          else card.appendChild(resultTable(c.columns || [], c.rows || []));
          box.appendChild(card);
        });
      }
      function barChart(bars) {
        var rowH = 22, labelW = 130, width = 440, plotW = width - labelW - 60;
        var svg = sv('svg', { width: width, height: Math.max(1, bars.length) * rowH + 4, 'class': 'bars' });
        var max = bars.reduce(function (m, b) { return Math.max(m, b.value); }, 0) || 1;
        if (!bars.length) svg.appendChild(sv('text', { x: 4, y: 14, 'class': 'axis' }, 'empty batch'));
        bars.forEach(function (b, i) {
          var g = sv('g', { 'class': 'bar', 'data-label': b.label, 'data-value': b.value, transform: 'translate(0,' + (i * rowH + 2) + ')' });
          var label = b.label.length > 18 ? b.label.slice(0, 17) + '…' : b.label;
          g.appendChild(sv('text', { x: labelW - 6, y: 14, 'text-anchor': 'end', 'class': 'label' }, label));
          var w = Math.max(1, b.value / max * plotW);
          g.appendChild(sv('rect', { x: labelW, y: 2, width: w, height: rowH - 6, rx: 2 }));
          g.appendChild(sv('text', { x: labelW + w + 4, y: 14, 'class': 'value' }, num(b.value)));
          svg.appendChild(g);
        });
        return svg;
      }
      function lineChart(card, points) {
        var names = [];
        points.forEach(function (p) { Object.keys(p.values).forEach(function (k) { if (names.indexOf(k) < 0) names.push(k); }); });
        var series = names.slice(0, COLORS.length).map(function (name) {
          return { name: name, pts: points.filter(function (p) { return name in p.values; }).map(function (p) { return [p.time, p.values[name]]; }) };
        });
        card.appendChild(timeline(series, 440, 150, num));
        var legend = el('div', { 'class': 'legend' });
        series.forEach(function (s, i) {
          var last = s.pts.length ? s.pts[s.pts.length - 1][1] : null;
          var span = el('span', { 'class': 'series', 'data-series': s.name, 'data-last': last === null ? '' : last });
          var sw = el('i'); sw.style.background = COLORS[i % COLORS.length];
          span.appendChild(sw); span.appendChild(document.createTextNode(s.name + ': ' + num(last)));
          legend.appendChild(span);
        });
        card.appendChild(legend);
      }
      function resultTable(columns, rows) {
        var t = el('table', { 'class': 'result-table' });
        var head = el('tr');
        columns.forEach(function (c) { head.appendChild(el('th', {}, c)); });
        t.appendChild(head);
        rows.forEach(function (r) {
          var tr = el('tr');
          r.forEach(function (v, i) { tr.appendChild(el('td', i > 0 ? { 'class': 'num' } : {}, v)); });
          t.appendChild(tr);
        });
        if (!rows.length) { var tr = el('tr'); tr.appendChild(el('td', { 'class': 'empty', colspan: Math.max(1, columns.length) }, 'empty batch')); t.appendChild(tr); }
        return t;
      }

      // A time series chart: series = [{name, pts: [[t, v], ...]}].
      function timeline(series, width, height, fmt) {
        var pad = { l: 48, r: 8, t: 8, b: 18 };
        var svg = sv('svg', { width: width, height: height, 'class': 'timeline' });
        var all = [];
        series.forEach(function (s) { all = all.concat(s.pts); });
        if (!all.length) { svg.appendChild(sv('text', { x: pad.l, y: height / 2, 'class': 'axis' }, 'no batches yet')); return svg; }
        var t0 = Math.min.apply(null, all.map(function (p) { return p[0]; }));
        var t1 = Math.max.apply(null, all.map(function (p) { return p[0]; }));
        var vmax = Math.max.apply(null, all.map(function (p) { return p[1]; }));
        var vmin = Math.min(0, Math.min.apply(null, all.map(function (p) { return p[1]; })));
        if (!(vmax > vmin)) vmax = vmin + 1;
        var x = function (t) { return pad.l + (t1 === t0 ? (width - pad.l - pad.r) : (t - t0) / (t1 - t0) * (width - pad.l - pad.r)); };
        var y = function (v) { return height - pad.b - (v - vmin) / (vmax - vmin) * (height - pad.t - pad.b); };
        svg.appendChild(sv('line', { x1: pad.l, y1: height - pad.b, x2: width - pad.r, y2: height - pad.b, stroke: '#d0d7de' }));
        svg.appendChild(sv('line', { x1: pad.l, y1: pad.t, x2: pad.l, y2: height - pad.b, stroke: '#d0d7de' }));
        svg.appendChild(sv('text', { x: pad.l - 4, y: pad.t + 8, 'text-anchor': 'end', 'class': 'axis' }, fmt(vmax)));
        svg.appendChild(sv('text', { x: pad.l - 4, y: height - pad.b, 'text-anchor': 'end', 'class': 'axis' }, fmt(vmin)));
        svg.appendChild(sv('text', { x: pad.l, y: height - 4, 'class': 'axis' }, time(t0)));
        svg.appendChild(sv('text', { x: width - pad.r, y: height - 4, 'text-anchor': 'end', 'class': 'axis' }, time(t1)));
        series.forEach(function (s, i) {
          var color = COLORS[i % COLORS.length];
          svg.appendChild(sv('polyline', { fill: 'none', stroke: color, 'stroke-width': 1.5,
            points: s.pts.map(function (p) { return x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1); }).join(' ') }));
          var last = s.pts[s.pts.length - 1];
          if (last) svg.appendChild(sv('circle', { cx: x(last[0]), cy: y(last[1]), r: 2.5, fill: color }));
        });
        return svg;
      }
      function histogram(values, width, height, fmt) {
        var svg = sv('svg', { width: width, height: height, 'class': 'histogram' });
        if (!values.length) return svg;
        var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values), bins = 10;
        var counts = new Array(bins).fill(0);
        values.forEach(function (v) { counts[hi === lo ? 0 : Math.min(bins - 1, Math.floor((v - lo) / (hi - lo) * bins))] += 1; });
        var cmax = Math.max.apply(null, counts), bw = (width - 10) / bins, plotH = height - 18;
        counts.forEach(function (c, i) {
          var h = c / cmax * (plotH - 4);
          var r = sv('rect', { x: 5 + i * bw + 1, y: plotH - h, width: bw - 2, height: h, fill: '#0969da', opacity: 0.75 });
          r.appendChild(sv('title', {}, c + ' batches'));
          svg.appendChild(r);
        });
        svg.appendChild(sv('text', { x: 5, y: height - 4, 'class': 'axis' }, fmt(lo)));
        svg.appendChild(sv('text', { x: width - 5, y: height - 4, 'text-anchor': 'end', 'class': 'axis' }, fmt(hi)));
        return svg;
      }

      function renderStats() {
        var rate = function (b) { return b.numRecords * 1000 / S.intervalMs; };
        var metrics = [
          { id: 'input-rate', name: 'Input rate', unit: ' records/s', get: rate, fmt: num },
          { id: 'scheduling-delay', name: 'Scheduling delay', get: function (b) { return b.schedulingDelayMs; }, fmt: ms },
          { id: 'processing-time', name: 'Processing time', get: function (b) { return b.processingTimeMs; }, fmt: ms },
          { id: 'total-delay', name: 'Total delay', get: function (b) { return b.totalDelayMs; }, fmt: ms }
        ];
        var body = document.querySelector('#stats tbody');
        body.textContent = '';
        metrics.forEach(function (m) {
          var pts = S.completed.filter(function (b) { return m.get(b) !== null && m.get(b) !== undefined; })
            .map(function (b) { return [b.batchTime, m.get(b)]; });
          var vals = pts.map(function (p) { return p[1]; });
          var avg = vals.length ? vals.reduce(function (a, v) { return a + v; }, 0) / vals.length : null;
          var tr = el('tr', { id: 'stat-' + m.id, 'data-avg': avg === null ? '' : avg, 'data-last': vals.length ? vals[vals.length - 1] : '' });
          var name = el('td', { 'class': 'stat-name' }, m.name);
          name.appendChild(el('span', { 'class': 'avg' }, 'avg ' + (avg === null ? '-' : (m.id === 'input-rate' ? num(avg) + m.unit : ms(Math.round(avg))))));
          tr.appendChild(name);
          var tl = el('td'); tl.appendChild(timeline([{ name: m.name, pts: pts }], 520, 110, m.fmt)); tr.appendChild(tl);
          var hg = el('td'); hg.appendChild(histogram(vals, 260, 110, m.fmt)); tr.appendChild(hg);
          body.appendChild(tr);
        });
      }

      // Per event-time stream its watermark and lag behind the batch time; late records per batch; per
      // event-time operator its open windows, sessions or buffered records.
      function renderEventTime() {
        var rows = [], series = function (field) {
          var out = {};
          S.completed.forEach(function (b) {
            Object.keys(b[field] || {}).forEach(function (k) { (out[k] = out[k] || []).push([b.batchTime, b[field][k]]); });
          });
          return out;
        };
        var marks = series('watermarks'), state = series('eventTimeState');
        Object.keys(marks).sort().forEach(function (n) {
          var pts = marks[n], last = pts[pts.length - 1], lag = last[0] - last[1];
          rows.push({ cls: 'watermark', key: n, name: 'Watermark of ' + n, last: last[1], lag: lag,
            text: time(last[1]) + ', lag ' + ms(lag), pts: pts.map(function (p) { return [p[0], p[0] - p[1]]; }), fmt: ms });
        });
        var late = S.completed.map(function (b) { return [b.batchTime, b.lateRecords || 0]; });
        if (rows.length || late.some(function (p) { return p[1] > 0; })) {
          var lastLate = late.length ? late[late.length - 1][1] : 0;
          rows.push({ cls: 'late-records', key: '', name: 'Late records per batch', last: lastLate, text: num(lastLate), pts: late, fmt: num });
        }
        Object.keys(state).sort().forEach(function (n) {
          var pts = state[n], last = pts[pts.length - 1][1];
          rows.push({ cls: 'event-time-state', key: n, name: 'Open state of ' + n, last: last, text: num(last), pts: pts, fmt: num });
        });
        var body = document.querySelector('#event-time tbody');
        body.textContent = '';
        rows.forEach(function (r) {
          var tr = el('tr', { 'class': r.cls, 'data-name': r.key, 'data-last': r.last, 'data-lag': r.lag === undefined ? '' : r.lag,
            'data-batch-time': r.pts[r.pts.length - 1][0] });
          tr.appendChild(el('td', { 'class': 'stat-name' }, r.name));
          tr.appendChild(el('td', { 'class': 'num' }, r.text));
          var tl = el('td'); tl.appendChild(timeline([{ name: r.name, pts: r.pts }], 520, 90, r.fmt)); tr.appendChild(tl);
          body.appendChild(tr);
        });
        if (!rows.length) { var tr = el('tr'); tr.appendChild(el('td', { colspan: 3, 'class': 'empty' }, 'no event-time streams (withWatermark)')); body.appendChild(tr); }
      }

      function renderSources() {
        var body = document.querySelector('#sources tbody');
        body.textContent = '';
        var sources = S.graph.nodes.filter(function (n) { return n.isSource; });
        var last = S.completed[S.completed.length - 1];
        sources.forEach(function (n) {
          var key = String(n.id);
          var total = 0;
          S.completed.forEach(function (b) { total += (b.streamIdToNumRecords[key] || 0); });
          var lastN = last ? (last.streamIdToNumRecords[key] || 0) : 0;
          var tr = el('tr', { 'class': 'source', 'data-source': n.name + '#' + n.id });
          tr.appendChild(el('td', {}, n.name + '#' + n.id));
          tr.appendChild(el('td', { 'class': 'num' }, String(lastN)));
          tr.appendChild(el('td', { 'class': 'num' }, num(lastN * 1000 / S.intervalMs) + ' records/s'));
          tr.appendChild(el('td', { 'class': 'num' }, S.completed.length ? num(total * 1000 / S.intervalMs / S.completed.length) + ' records/s' : '-'));
          var meta = last && last.streamIdToMetadata ? (last.streamIdToMetadata[key] || {}) : {};
          var details = Object.keys(meta).sort().map(function (k) { return k + ': ' + meta[k]; }).join('; ');
          tr.appendChild(el('td', { 'class': 'details' }, details || '-'));
          body.appendChild(tr);
        });
        if (!sources.length) { var tr = el('tr'); tr.appendChild(el('td', { colspan: 5, 'class': 'empty' }, 'no input streams yet')); body.appendChild(tr); }
      }

      function renderGraph() {
        var svg = document.getElementById('graph');
        svg.textContent = '';
        var nodes = S.graph.nodes, outputs = S.graph.outputs, depth = {}, byId = {};
        nodes.forEach(function (n) { byId[n.id] = n; });
        nodes.forEach(function (n) {
          depth[n.id] = n.parents.reduce(function (d, p) { return Math.max(d, (depth[p] === undefined ? 0 : depth[p]) + 1); }, 0);
        });
        var items = nodes.map(function (n) { return { key: 'n' + n.id, label: n.name + '#' + n.id, col: depth[n.id], parents: n.parents.map(function (p) { return 'n' + p; }), out: false }; });
        outputs.forEach(function (o) { items.push({ key: 'o' + o.id, label: o.name, col: (depth[o.node] || 0) + 1, parents: ['n' + o.node], out: true }); });
        var rows = {}, pos = {}, boxW = 150, boxH = 26, colW = 185, rowH = 40;
        items.forEach(function (it) { var r = rows[it.col] || 0; rows[it.col] = r + 1; pos[it.key] = { x: 10 + it.col * colW, y: 10 + r * rowH }; });
        var maxRows = Math.max.apply(null, [1].concat(Object.keys(rows).map(function (k) { return rows[k]; })));
        var maxCol = Math.max.apply(null, [0].concat(items.map(function (it) { return it.col; })));
        svg.setAttribute('width', 20 + maxCol * colW + boxW);
        svg.setAttribute('height', 20 + maxRows * rowH);
        items.forEach(function (it) {
          it.parents.forEach(function (p) {
            if (!pos[p]) return;
            svg.appendChild(sv('line', { x1: pos[p].x + boxW, y1: pos[p].y + boxH / 2, x2: pos[it.key].x, y2: pos[it.key].y + boxH / 2, stroke: '#8c959f' }));
          });
        });
        items.forEach(function (it) {
          var g = sv('g', { 'class': it.out ? 'graph-output' : 'graph-node', 'data-name': it.label });
          g.appendChild(sv('rect', { x: pos[it.key].x, y: pos[it.key].y, width: boxW, height: boxH, rx: 4,
            fill: it.out ? '#fff8c5' : (byId[it.key.slice(1)] && byId[it.key.slice(1)].isSource && !it.out ? '#dafbe1' : '#ddf4ff'), stroke: '#8c959f' }));
          var label = it.label.length > 24 ? it.label.slice(0, 23) + '…' : it.label;
          g.appendChild(sv('text', { x: pos[it.key].x + 6, y: pos[it.key].y + 17 }, label));
          svg.appendChild(g);
        });
      }

      function renderBatches() {
        var active = Object.keys(S.active).map(function (k) { return S.active[k]; }).sort(function (a, b) { return a.batchTime - b.batchTime; });
        document.getElementById('active-count').textContent = active.length;
        var ab = document.querySelector('#active tbody');
        ab.textContent = '';
        active.forEach(function (b) {
          var tr = el('tr', { 'data-batch-time': b.batchTime });
          tr.appendChild(el('td', {}, time(b.batchTime)));
          tr.appendChild(el('td', { 'class': 'num' }, String(b.numRecords)));
          tr.appendChild(el('td', {}, b.status.toLowerCase()));
          tr.appendChild(el('td', { 'class': 'num' }, ms(b.schedulingDelayMs)));
          ab.appendChild(tr);
        });
        document.getElementById('completed-count').textContent = S.completed.length;
        document.getElementById('completed-total').textContent = S.totalCompleted;
        var cb = document.querySelector('#completed tbody');
        cb.textContent = '';
        S.completed.slice(-100).reverse().forEach(function (b) {
          var tr = el('tr', { 'class': 'batch', 'data-batch-time': b.batchTime });
          tr.appendChild(el('td', {}, time(b.batchTime)));
          tr.appendChild(el('td', { 'class': 'num' }, String(b.numRecords)));
          tr.appendChild(el('td', { 'class': 'num' }, ms(b.schedulingDelayMs)));
          tr.appendChild(el('td', { 'class': 'num' }, ms(b.processingTimeMs)));
          tr.appendChild(el('td', { 'class': 'num' }, ms(b.totalDelayMs)));
          tr.appendChild(el('td', { 'class': 'ops' }, b.outputOperations.map(function (o) { return o.name + ' (' + o.durationMs + ' ms)'; }).join(', ')));
          tr.appendChild(el('td', { 'class': 'num' + (b.failedRecords ? ' failed' : '') }, String(b.failedRecords)));
          cb.appendChild(tr);
        });
      }

      render();
      connect();
    })();
    """#
}
