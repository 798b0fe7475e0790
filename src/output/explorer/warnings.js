  // The view 预警线索: early warnings (should_cover 应纳未纳, should_raise 应增未增), decoded from
  // `WarningWire` (explorer/warnings.rs), with the same kinds of filters as the flags (county
  // and township share their dictionaries), its sort keys, table, charts and CSV cells. Part
  // of explorer.js's function (explorer.rs joins them): its helpers are in scope here.
  function warningsView() {
    var W = data.warnings, n = unpack(W.kind).length;
    var w = { kind: unpack(W.kind), region: unpack(W.region), status: unpack(W.status),
      first: unpack(W.first_warned_on), household: decoded(W.household) };
    var at = placed(w.region);
    // A warning's signals are a list: its filter codes each distinct list (`sets`).
    var signalLists = lists(W.signals), sets = [], setCode = new Map(), signalSet = new Uint32Array(n);
    for (var i = 0; i < n; i++) {
      var signals = itemsOf(signalLists, i), key = signals.join(',');
      if (!setCode.has(key)) { setCode.set(key, sets.length); sets.push(signals); }
      signalSet[i] = setCode.get(key);
    }
    function signalsOf(i, sep, name) {
      return sets[signalSet[i]].map(function (k) { return name(D.signal[k]); }).join(sep);
    }
    function code(column, dict) { return function (i) { return dict[column[i]]; }; }
    var kind = code(w.kind, D.warning), status = code(w.status, D.warning_status), region = code(w.region, D.region);
    var view = {
      key: 'warnings', prefix: 'warnings-', N: n, band: null, unit: '条预警线索', all: '全部预警线索',
      none: '没有符合条件的预警线索', descFirst: ['first'],
      state: { low: 0, high: 1, sort: 'default', desc: false, page: 0 },
      dims: [
        dimension('warning', D.warning, w.kind, 'warning'),
        dimension('signal', D.signal, signalSet, 'signal', { sets: sets })
      ].concat(regionDims(at), [dimension('status', D.warning_status, w.status, 'warning_status')]),
      rowAttrs: function (i) { return { 'data-warning': W.warning_id[i], 'data-kind': kind(i) }; },
      csvColumns: data.warning_columns, file: 'warnings'
    };
    view.sortKeys = {
      id: function () { return byText(W.warning_id); },
      warning: byCode(w.kind),
      name: function () { return byText(W.name); },
      township: function () { return byRank(at.township, D.township); },
      household: function () { return byText(w.household); },
      status: byCode(w.status),
      first: function () { return byRank(w.first, D.date); }
    };
    function dash(text) { return text || '—'; }
    view.columns = [
      { key: 'id', title: '预警编号', cell: function (i) { return W.warning_id[i]; } },
      { key: 'warning', title: '预警类型', cell: function (i) { return label('warning', kind(i)); }, hover: kind },
      { key: 'name', title: '姓名', cell: function (i) { return dash(W.name[i]); } },
      { key: null, title: '身份证号（脱敏）', cell: function (i) { return dash(W.masked_id[i]); },
        class: function () { return 'masked'; } },
      { key: 'township', title: '乡镇', cell: function (i) { return valueLabel(dimOf(view, 'township'), D.township[at.township[i]]); },
        hover: region },
      { key: 'household', title: '所在低保户', cell: function (i) { return dash(w.household[i]); } },
      { key: null, title: '预警信号', cell: function (i) { return signalsOf(i, '、', function (s) { return label('signal', s); }); },
        hover: function (i) { return signalsOf(i, ';', String); } },
      { key: 'status', title: '状态', cell: function (i) { return label('warning_status', status(i)); }, hover: status },
      { key: 'first', title: '首次预警', cell: function (i) { return D.date[w.first[i]]; } },
      { key: null, title: '预警依据', cell: function (i) { return dash(W.evidence[i]); },
        hover: function (i) { return W.evidence[i]; }, class: function () { return 'evidence'; } }
    ];
    // warnings.csv's columns, with the masked ID where that file has the person key.
    view.cells = {
      warning: kind,
      masked_id: function (i) { return W.masked_id[i]; },
      name: function (i) { return W.name[i]; },
      region_code: region,
      household_id: function (i) { return w.household[i]; },
      signals: function (i) { return signalsOf(i, ';', String); },
      evidence: function (i) { return W.evidence[i]; },
      status: status,
      first_warned_on: function (i) { return D.date[w.first[i]]; },
      run_id: function () { return data.run.run_id; },
      warning_id: function (i) { return W.warning_id[i]; }
    };
    view.renderCharts = function () {
      dimChart(view, 'warning', 'chart-warning');
      dimChart(view, 'signal', 'chart-signal');
      regionChart(view, 'chart-warning-region', 'chart-warning-region-title');
      dimChart(view, 'status', 'chart-warning-status');
    };
    return view;
  }
