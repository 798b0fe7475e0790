// The cohort explorer's page logic: decodes the embedded columns, filters, counts, draws,
// pages, drills down and exports, in two views (flags; early warnings, in warnings.js). Plain
// JS, no library. Data reaches the DOM only through textContent and attributes, never as
// markup. explorer.rs wraps this file and warnings.js in one function: they share its scope.
  'use strict';

  var data = JSON.parse(document.getElementById('explorer-data').textContent);
  var D = data.dict, F = data.flags, L = data.labels;
  var PAGE_ROWS = 50;
  var SVG = 'http://www.w3.org/2000/svg';

  // ---- decoding (the encoding is `Wire` in explorer.rs) -----------------------------------
  var DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';
  var DIGIT = new Uint8Array(128);
  for (var d0 = 0; d0 < DIGITS.length; d0++) DIGIT[DIGITS.charCodeAt(d0)] = d0;
  function digitsValue(text, at, width) {
    var v = 0;
    for (var k = 0; k < width; k++) v = v * 64 + DIGIT[text.charCodeAt(at + k)];
    return v;
  }
  // A packed column: how many digits each number takes, then the numbers in base 64.
  function unpack(text) {
    var width = text.charCodeAt(0) - 48, n = (text.length - 1) / width, out = new Uint32Array(n);
    for (var i = 0; i < n; i++) out[i] = digitsValue(text, 1 + i * width, width);
    return out;
  }
  // Dictionary-coded values.
  function decoded(coded) {
    return Array.from(unpack(coded.code), function (k) { return coded.values[k]; });
  }
  // A list column: row i's items are items[start[i]] up to items[start[i + 1]].
  function lists(wire) {
    var len = unpack(wire.len), start = new Uint32Array(len.length + 1);
    for (var i = 0; i < len.length; i++) start[i + 1] = start[i] + len[i];
    return { start: start, items: unpack(wire.at) };
  }
  function itemsOf(list, i) { return Array.from(list.items.subarray(list.start[i], list.start[i + 1])); }

  var col = {
    household: unpack(F.household), programme: unpack(F.programme), region: unpack(F.region),
    reason: unpack(F.reason), severity: unpack(F.severity), status: unpack(F.status),
    first: unpack(F.first_flagged_on), since: unpack(F.since)
  };
  var N = col.household.length;
  // The finding columns are written only at the flags with a finding (or at every flag).
  (function () {
    var W = F.finding, rows = W.flag ? unpack(W.flag) : null;
    [['verdict', W.verdict], ['action', W.action], ['reviewer', W.reviewer], ['reviewed', W.reviewed_on]]
      .forEach(function (c) {
        var values = unpack(c[1]), column = new Uint32Array(N);
        for (var j = 0; j < values.length; j++) column[rows ? rows[j] : j] = values[j];
        col[c[0]] = column;
      });
  })();
  var score = Float64Array.from(decoded(F.score), function (s) { return s === null ? NaN : s; });
  var overpaid = Float64Array.from(decoded(F.overpaid), function (s) { return s === null ? NaN : s; });
  function formatYuan(v) {
    return isNaN(v) ? '' : v.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: 2 });
  }
  // What the selection has cost: each household once, at its largest estimate (as in totals).
  function overpaidTotal(rows) {
    var largest = new Map(), total = 0;
    for (var j = 0; j < rows.length; j++) {
      var i = rows[j], v = overpaid[i];
      if (!isNaN(v) && !(largest.get(col.household[i]) >= v)) largest.set(col.household[i], v);
    }
    largest.forEach(function (v) { total += v; });
    return total;
  }
  var flagMembers = lists(F.members), flagRecords = lists(F.records);

  // Evidence: a template with `|` where each value goes; in the values `~` and `width` digits
  // stand for a phrase.
  var E = F.evidence, templateOf = unpack(E.template);
  var shapes = E.templates.map(function (t) { return t.split('|'); });
  var evidenceValues = E.values.split('|'), valueStart = new Uint32Array(N + 1);
  for (var i = 0; i < N; i++) valueStart[i + 1] = valueStart[i] + shapes[templateOf[i]].length - 1;
  var PHRASE = new RegExp('~[\\w-]{' + E.width + '}', 'g');
  function phrase(code) { return E.phrases[digitsValue(code, 1, E.width)]; }
  function evidenceOf(flag) {
    var parts = shapes[templateOf[flag]], at = valueStart[flag], out = parts[0];
    for (var k = 1; k < parts.length; k++) out += evidenceValues[at + k - 1].replace(PHRASE, phrase) + parts[k];
    return out;
  }

  // Members (decoded when first needed): household by household, ids after the household's.
  var members = null;
  function memberTable() {
    if (members) return members;
    var W = data.members, count = unpack(W.count), idCode = unpack(W.id.code);
    var maskCode = unpack(W.masked_id.code), patterns = W.masked_id.pattern, tail = W.masked_id.tail;
    var n = idCode.length, M = { household: new Uint32Array(n), id: new Array(n), name: decoded(W.name),
      masked_id: new Array(n), head: unpack(W.head) };
    var m = 0, other = 0, at = 0;
    for (var h = 0; h < count.length; h++) for (var c = 0; c < count[h]; c++, m++) M.household[m] = h;
    for (m = 0; m < n; m++) {
      M.id[m] = idCode[m] ? D.household[M.household[m]] + W.id.suffix[idCode[m] - 1] : W.id.other[other++];
      var p = patterns[maskCode[m]];
      M.masked_id[m] = p[0] + '*'.repeat(p[1]) + tail.slice(at, at + p[2]);
      at += p[2];
    }
    members = M;
    return M;
  }
  var matchColumns = null;
  function matchesTable() {
    if (!matchColumns) {
      var W = data.matches;
      matchColumns = { household: unpack(W.household), member: unpack(W.member), record: unpack(W.record),
        source: unpack(W.source), comparison: unpack(W.comparison) };
    }
    return matchColumns;
  }

  function label(kind, code) {
    var table = L[kind];
    return (table && table[code]) || code;
  }
  function listOf(indices, dict) {
    return indices.map(function (k) { return dict[k]; }).join(';');
  }
  function memberIds(flag) { return listOf(itemsOf(flagMembers, flag), memberTable().id); }
  function recordIds(flag) { return listOf(itemsOf(flagRecords, flag), D.record); }
  // Scores as flags.csv prints them: up to four decimals, no trailing zeros.
  function formatScore(s) { return isNaN(s) ? '' : String(Number(s.toFixed(4))); }
  // ---- the filter dimensions --------------------------------------------------------------
  // A township is keyed by 12 digits (411526101000) as the workbooks name it; URLs and the
  // page show its 9 digits (411526101), and a fragment may use either.
  function townshipToken(key) { return /^\d{9}000$/.test(key) ? key.slice(0, 9) : key; }
  function townshipKey(token) { return /^\d{9}$/.test(token) ? token + '000' : token; }
  // Each row's county and township (indices into D.county, D.township) from its region.
  function placed(region) {
    var n = region.length, out = { county: new Uint32Array(n), township: new Uint32Array(n) };
    for (var i = 0; i < n; i++) {
      out.county[i] = data.regions.county[region[i]];
      out.township[i] = data.regions.township[region[i]];
    }
    return out;
  }
  // A filter: its fragment key, its options (`dict`), each row's option (`col`), and the kind
  // its labels are under. A dimension with `sets` is a list column: `col` indexes `sets`, each
  // a list of options, and a row passes when one of its options is selected.
  function dimension(key, dict, column, kind, more) {
    var dim = { key: key, dict: dict, col: column, kind: kind, selected: new Set(), index: new Map(),
      token: function (v) { return v; }, fromToken: function (t) { return t; } };
    Object.keys(more || {}).forEach(function (name) { dim[name] = more[name]; });
    dim.dict.forEach(function (value, k) { dim.index.set(value, k); });
    return dim;
  }
  function regionDims(at) {
    return [dimension('county', D.county, at.county, 'region'),
      dimension('township', D.township, at.township, 'region', { token: townshipToken, fromToken: townshipKey })];
  }
  var flagAt = placed(col.region), county = flagAt.county, township = flagAt.township;
  var DIMS = [
    dimension('reason', D.reason, col.reason, 'reason'),
    dimension('severity', D.severity, col.severity, 'severity'),
    dimension('programme', D.programme, col.programme, 'programme')
  ].concat(regionDims(flagAt), [
    dimension('status', D.status, col.status, 'status'),
    dimension('verdict', D.verdict, col.verdict, 'verdict', {
      token: function (v) { return v === '' ? 'none' : v; },
      fromToken: function (t) { return t === 'none' ? '' : t; } })
  ]);
  function valueLabel(dim, value) {
    if (dim.kind === 'region') {
      if (value === 'unassigned') return '未知区划';
      // Placed by the ID's county only (a warning off the roll): no township.
      return /^\d{6}$/.test(value) && dim.key === 'township' ? value + '（未知乡镇）' : dim.token(value);
    }
    if (dim.key === 'verdict' && value === '') return '未核查';
    return label(dim.kind, value);
  }
  function dimOf(view, key) {
    return view.dims.filter(function (dim) { return dim.key === key; })[0];
  }

  // ---- the views: flags, and early warnings (warnings.js) ---------------------------------
  var FLAGS = {
    key: 'flags', prefix: '', N: N, dims: DIMS, band: score, unit: '条核查对象', all: '全部核查对象',
    none: '没有符合条件的核查对象', descFirst: ['score', 'overpaid'],
    state: { low: 0, high: 1, sort: 'default', desc: false, page: 0, household: null },
    rowAttrs: function (i) { return { 'data-flag': String(i), 'data-household': D.household[col.household[i]] }; },
    onRow: function (i) { openDetail(col.household[i]); },
    csvColumns: data.columns, file: 'flags'
  };
  var WARNINGS = warningsView();
  var VIEWS = [FLAGS, WARNINGS], active = FLAGS;
  VIEWS.forEach(function (view) {
    view.selection = new Uint32Array(0);
    view.facets = [];
    view.permutations = {};
    view.filtersEl = document.querySelector('aside[data-view="' + view.key + '"]');
  });

  // ---- the URL fragment: the active view's filters, sort, page (and open household) -------
  var lastHash = null;
  function readHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ''));
    active = params.get('view') === 'warnings' ? WARNINGS : FLAGS;
    var state = active.state;
    active.dims.forEach(function (dim) {
      dim.selected.clear();
      (params.get(dim.key) || '').split(',').forEach(function (token) {
        var k = dim.index.get(dim.fromToken(token.trim()));
        if (token && k !== undefined) dim.selected.add(k);
      });
    });
    if (active === FLAGS) {
      var band = /^([0-9.]+)-([0-9.]+)$/.exec(params.get('score') || '');
      state.low = band ? Math.max(0, Math.min(1, parseFloat(band[1]))) : 0;
      state.high = band ? Math.max(0, Math.min(1, parseFloat(band[2]))) : 1;
      var household = params.get('household');
      var h = household === null ? -1 : D.household.indexOf(household);
      state.household = h >= 0 ? h : null;
    }
    var sort = /^(\w+)(?::(asc|desc))?$/.exec(params.get('sort') || '');
    state.sort = sort && active.sortKeys[sort[1]] ? sort[1] : 'default';
    state.desc = !!(sort && sort[2] === 'desc');
    state.page = Math.max(0, (parseInt(params.get('page'), 10) || 1) - 1);
  }
  function hashOfState() {
    var parts = active === FLAGS ? [] : ['view=' + active.key], state = active.state;
    active.dims.forEach(function (dim) {
      if (!dim.selected.size) return;
      var tokens = Array.from(dim.selected).sort(function (a, b) { return a - b; })
        .map(function (k) { return encodeURIComponent(dim.token(dim.dict[k])); });
      parts.push(dim.key + '=' + tokens.join(','));
    });
    if (state.low > 0 || state.high < 1) parts.push('score=' + state.low + '-' + state.high);
    if (state.sort !== 'default') parts.push('sort=' + state.sort + (state.desc ? ':desc' : ''));
    if (state.page > 0) parts.push('page=' + (state.page + 1));
    if (active === FLAGS && state.household !== null) {
      parts.push('household=' + encodeURIComponent(D.household[state.household]));
    }
    return parts.length ? '#' + parts.join('&') : '';
  }
  function writeHash() {
    var hash = hashOfState();
    lastHash = hash;
    if (hash === location.hash || (hash === '' && location.hash === '#')) return;
    try {
      history.replaceState(null, '', hash || location.pathname + location.search);
    } catch (e) {
      location.replace(hash || '#');
    }
  }
  window.addEventListener('hashchange', function () {
    if (location.hash === lastHash) return;
    readHash();
    update();
  });
  // The other view keeps its own filters; the county and township follow the analyst over.
  function switchView(view) {
    if (view === active) return;
    ['county', 'township'].forEach(function (key) { dimOf(view, key).selected = new Set(dimOf(active, key).selected); });
    view.state.page = 0;
    active = view;
    update();
  }

  // ---- selection ------------------------------------------------------------------------------
  function bin(s) { return isNaN(s) ? 0 : Math.min(9, Math.max(0, Math.floor(s * 10))); }
  function optionsOf(dim) { return dim.sets ? dim.sets.length : dim.dict.length; }
  function allowedValues(dim) {
    var a = new Uint8Array(optionsOf(dim));
    if (!dim.selected.size) a.fill(1);
    else if (dim.sets) dim.sets.forEach(function (set, c) { a[c] = set.some(function (k) { return dim.selected.has(k); }) ? 1 : 0; });
    else dim.selected.forEach(function (k) { a[k] = 1; });
    return a;
  }
  function select(view) {
    var dims = view.dims, nd = dims.length, cols = dims.map(function (d) { return d.col; });
    var allowed = dims.map(allowedValues), facets = dims.map(function (dim) { return new Uint32Array(optionsOf(dim)); });
    var histogram = new Uint32Array(10), band = view.band, n = view.N;
    var full = !band || (view.state.low <= 0 && view.state.high >= 1), low = view.state.low, high = view.state.high;
    var mask = new Uint8Array(n), count = 0;
    for (var i = 0; i < n; i++) {
      var fails = 0, failed = -1;
      for (var d = 0; d < nd; d++) {
        if (!allowed[d][cols[d][i]]) { fails++; failed = d; if (fails > 1) break; }
      }
      if (fails > 1) continue;
      var s = band ? band[i] : NaN, inBand = full || (s >= low && s <= high);
      // Each option counts the rows it would select with every other filter kept.
      if (fails === 0) {
        histogram[bin(s)]++;
        if (!inBand) continue;
        mask[i] = 1; count++;
        for (d = 0; d < nd; d++) facets[d][cols[d][i]]++;
      } else if (inBand) {
        facets[failed][cols[failed][i]]++;
      }
    }
    var order = permutation(view, view.state.sort), out = new Uint32Array(count), j = 0, k;
    if (view.state.desc) { for (k = n - 1; k >= 0; k--) if (mask[order[k]]) out[j++] = order[k]; }
    else { for (k = 0; k < n; k++) if (mask[order[k]]) out[j++] = order[k]; }
    view.selection = out;
    view.facets = facets;
    view.histogram = histogram;
  }
  // Rows per option: a list dimension's counts are per set of options.
  function optionCounts(dim, perValue) {
    if (!dim.sets) return perValue;
    var counts = new Uint32Array(dim.dict.length);
    dim.sets.forEach(function (set, c) { set.forEach(function (k) { counts[k] += perValue[c]; }); });
    return counts;
  }

  // ---- sorting: one permutation per key, made on first use -------------------------------
  function ranks(dict) {
    var order = dict.map(function (v, k) { return k; });
    order.sort(function (a, b) { return dict[a] < dict[b] ? -1 : dict[a] > dict[b] ? 1 : 0; });
    var rank = new Uint32Array(dict.length);
    order.forEach(function (k, r) { rank[k] = r; });
    return rank;
  }
  function byRank(column, dict) {
    var rank = ranks(dict);
    return function (i) { return rank[column[i]]; };
  }
  function byText(values) {
    var rank = ranks(values);
    return function (i) { return rank[i]; };
  }
  function byCode(column) { return function () { return function (i) { return column[i]; }; }; }
  FLAGS.sortKeys = {
    household: function () { return byRank(col.household, D.household); },
    programme: byCode(col.programme),
    township: function () { return byRank(township, D.township); },
    reason: byCode(col.reason),
    severity: byCode(col.severity),
    score: function () { return function (i) { return isNaN(score[i]) ? -1 : score[i]; }; },
    overpaid: function () { return function (i) { return isNaN(overpaid[i]) ? -1 : overpaid[i]; }; },
    status: byCode(col.status),
    first: function () { return byRank(col.first, D.date); },
    verdict: byCode(col.verdict)
  };
  function permutation(view, key) {
    if (!view.permutations[key]) {
      var n = view.N, p = new Uint32Array(n);
      for (var i = 0; i < n; i++) p[i] = i;
      if (key !== 'default') {
        var keyOf = view.sortKeys[key](), keys = new Float64Array(n);
        for (i = 0; i < n; i++) keys[i] = keyOf(i);
        p.sort(function (a, b) { return (keys[a] - keys[b]) || (a - b); });
      }
      view.permutations[key] = p;
    }
    return view.permutations[key];
  }
  // ---- DOM helpers ------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }
  function svgEl(tag, attrs, children) {
    var node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === 'text') node.textContent = value;
      else if (name.slice(0, 2) === 'on') node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? '' : value);
    });
  }
  function append(node, children) {
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function $(id) { return document.getElementById(id); }
  // ---- filters --------------------------------------------------------------------------
  function buildFilters(view) {
    var box = view.filtersEl, state = view.state;
    view.optionRows = [];
    view.dims.forEach(function (dim, d) {
      var fieldset = box.querySelector('fieldset[data-dim="' + dim.key + '"]');
      var options = fieldset.querySelector('.options');
      view.optionRows[d] = [];
      var order = dim.dict.map(function (v, k) { return k; });
      if (dim.kind === 'region') {
        order.sort(function (a, b) { return dim.dict[a] < dim.dict[b] ? -1 : 1; });
      }
      order.forEach(function (k) {
        var value = dim.dict[k];
        var input = el('input', { type: 'checkbox', 'data-dim': dim.key, 'data-view': view.key, value: dim.token(value),
          onchange: function () {
            if (input.checked) dim.selected.add(k); else dim.selected.delete(k);
            state.page = 0;
            update();
          } });
        var n = el('span', { class: 'n', text: '0' });
        var title = dim.kind === 'region' ? value : (value === '' ? 'none' : value);
        var row = el('label', { title: title }, [input, ' ' + valueLabel(dim, value) + ' ', n]);
        view.optionRows[d][k] = { input: input, n: n, row: row };
        options.appendChild(row);
      });
      var search = fieldset.querySelector('input.find');
      if (search) {
        if (dim.dict.length <= 12) search.hidden = true;
        search.addEventListener('input', function () {
          var text = search.value.trim();
          view.optionRows[d].forEach(function (o, k) {
            o.row.hidden = text !== '' && dim.token(dim.dict[k]).indexOf(text) < 0;
          });
        });
      }
      fieldset.querySelector('button.none').addEventListener('click', function () {
        dim.selected.clear();
        state.page = 0;
        update();
      });
    });
    $(view.prefix + 'reset').addEventListener('click', function () {
      view.dims.forEach(function (dim) { dim.selected.clear(); });
      state.low = 0; state.high = 1; state.page = 0;
      update();
    });
  }
  function buildBand() {
    var low = $('score-low'), high = $('score-high'), state = FLAGS.state;
    function band() {
      var a = parseFloat(low.value), b = parseFloat(high.value);
      state.low = Math.min(a, b); state.high = Math.max(a, b);
      state.page = 0;
      update();
    }
    low.addEventListener('change', band);
    high.addEventListener('change', band);
    low.addEventListener('input', function () { $('score-low-value').textContent = low.value; });
    high.addEventListener('input', function () { $('score-high-value').textContent = high.value; });
  }
  function renderFilters(view) {
    var state = view.state;
    view.dims.forEach(function (dim, d) {
      var counts = optionCounts(dim, view.facets[d]);
      view.optionRows[d].forEach(function (o, k) {
        o.input.checked = dim.selected.has(k);
        o.n.textContent = String(counts[k]);
        o.row.classList.toggle('zero', counts[k] === 0 && !dim.selected.has(k));
      });
    });
    if (view === FLAGS) {
      $('score-low').value = String(state.low);
      $('score-high').value = String(state.high);
      $('score-low-value').textContent = String(state.low);
      $('score-high-value').textContent = String(state.high);
    }
    var summary = [];
    view.dims.forEach(function (dim) {
      if (!dim.selected.size) return;
      var title = view.filtersEl.querySelector('fieldset[data-dim="' + dim.key + '"]').getAttribute('data-title');
      var values = Array.from(dim.selected).map(function (k) { return valueLabel(dim, dim.dict[k]); });
      summary.push(title + '：' + values.join('、'));
    });
    if (state.low > 0 || state.high < 1) summary.push('分数：' + state.low + '–' + state.high);
    $('active-filters').textContent = summary.length ? '筛选条件：' + summary.join('；') : '未筛选：' + view.all;
  }
  // ---- charts -----------------------------------------------------------------------------
  function barChart(box, items, onPick) {
    clear(box);
    var rowHeight = 20, labelWidth = 150, barWidth = 260, width = labelWidth + barWidth + 60;
    var max = Math.max(1, Math.max.apply(null, items.map(function (it) { return it.value; })));
    var chart = svgEl('svg', { viewBox: '0 0 ' + width + ' ' + (items.length * rowHeight + 4),
      class: 'chart', role: 'img', preserveAspectRatio: 'xMinYMin meet' });
    items.forEach(function (it, r) {
      var y = r * rowHeight + 2, w = Math.round(it.value * barWidth / max);
      var g = svgEl('g', { class: onPick ? 'pick' : null }, [
        svgEl('title', { text: it.title }),
        svgEl('text', { x: labelWidth - 6, y: y + 14, 'text-anchor': 'end', class: 'label', text: it.label }),
        svgEl('rect', { x: labelWidth, y: y + 3, width: Math.max(w, it.value ? 1 : 0), height: rowHeight - 6,
          class: it.selected ? 'bar on' : 'bar' }),
        svgEl('text', { x: labelWidth + w + 4, y: y + 14, class: 'value', text: String(it.value) })
      ]);
      if (onPick) g.addEventListener('click', function () { onPick(it); });
      chart.appendChild(g);
    });
    box.appendChild(chart);
  }
  function columnChart(box, groups, series) {
    clear(box);
    var height = 150, bottom = 34, left = 36, groupWidth = Math.max(24, Math.min(80, 440 / Math.max(1, groups.length)));
    var width = left + groups.length * groupWidth + 10;
    var max = 1;
    groups.forEach(function (g) { g.values.forEach(function (v) { max = Math.max(max, v); }); });
    var chart = svgEl('svg', { viewBox: '0 0 ' + width + ' ' + (height + bottom), class: 'chart', role: 'img' });
    chart.appendChild(svgEl('text', { x: left - 4, y: 10, 'text-anchor': 'end', class: 'value', text: String(max) }));
    chart.appendChild(svgEl('line', { x1: left, x2: width, y1: height, y2: height, class: 'axis' }));
    var barWidth = (groupWidth - 6) / series.length;
    groups.forEach(function (g, c) {
      var x0 = left + c * groupWidth + 3;
      g.values.forEach(function (v, s) {
        var h = Math.round(v * (height - 14) / max);
        chart.appendChild(svgEl('rect', { x: x0 + s * barWidth, y: height - h, width: Math.max(1, barWidth - 1),
          height: h, class: 'bar s' + s }, [svgEl('title', { text: g.title + ' ' + series[s] + '：' + v })]));
      });
      chart.appendChild(svgEl('text', { x: x0 + (groupWidth - 6) / 2, y: height + 14, 'text-anchor': 'middle',
        class: 'label small', text: g.label }));
    });
    box.appendChild(chart);
    if (series.length > 1) {
      box.appendChild(el('div', { class: 'legend' }, series.map(function (name, s) {
        return el('span', {}, [el('i', { class: 's' + s }), name]);
      })));
    }
  }
  function toggle(view, dim, k) {
    if (dim.selected.has(k)) dim.selected.delete(k); else dim.selected.add(k);
    view.state.page = 0;
    update();
  }
  // The selection's rows per option of one filter; a bar toggles its option.
  function dimChart(view, key, box) {
    var dim = dimOf(view, key), counts = new Uint32Array(optionsOf(dim)), sel = view.selection;
    for (var j = 0; j < sel.length; j++) counts[dim.col[sel[j]]]++;
    counts = optionCounts(dim, counts);
    barChart($(box), dim.dict.map(function (code, k) {
      return { label: valueLabel(dim, code), title: code, value: counts[k], selected: dim.selected.has(k), k: k };
    }).filter(function (it) { return it.value > 0 || it.selected; }), function (it) { toggle(view, dim, it.k); });
  }
  // By township, or by county when the run covers several and no one county is chosen; the
  // twelve largest, then the rest.
  function regionChart(view, box, title) {
    var countyDim = dimOf(view, 'county');
    var regionDim = countyDim.dict.length > 1 && countyDim.selected.size !== 1 ? countyDim : dimOf(view, 'township');
    var regionCol = regionDim.col, regionCounts = new Uint32Array(regionDim.dict.length), sel = view.selection;
    for (var j = 0; j < sel.length; j++) regionCounts[regionCol[sel[j]]]++;
    $(title).textContent = regionDim.key === 'county' ? '按县（市、区）' : '按乡镇（街道）';
    var regions = regionDim.dict.map(function (code, k) {
      return { label: valueLabel(regionDim, code), title: code, value: regionCounts[k], selected: regionDim.selected.has(k), k: k };
    }).filter(function (it) { return it.value > 0; });
    regions.sort(function (a, b) { return b.value - a.value || (a.title < b.title ? -1 : 1); });
    var shown = regions.slice(0, 12);
    if (regions.length > 12) {
      var rest = regions.slice(12).reduce(function (n, it) { return n + it.value; }, 0);
      shown.push({ label: '其余' + (regions.length - 12) + '个', title: '', value: rest, other: true });
    }
    barChart($(box), shown, function (it) { if (!it.other) toggle(view, regionDim, it.k); });
  }
  FLAGS.renderCharts = function () {
    dimChart(FLAGS, 'reason', 'chart-reason');
    regionChart(FLAGS, 'chart-region', 'chart-region-title');
    columnChart($('chart-score'), Array.from(FLAGS.histogram).map(function (v, b) {
      return { label: (b / 10).toFixed(1), title: (b / 10).toFixed(1) + '–' + ((b + 1) / 10).toFixed(1), values: [v] };
    }), ['核查对象']);

    var t = data.trend;
    columnChart($('chart-trend'), t.as_of.map(function (asOf, r) {
      return { label: asOf.slice(5), title: asOf + '（' + t.run_id[r] + '）',
        values: [t.flags[r], t.new[r], t.persisting[r], t.resolved[r]] };
    }), ['核查对象', '新增', '持续', '已解除']);
  };
  // ---- table ------------------------------------------------------------------------------
  FLAGS.columns = [
    { key: 'household', title: '户编号', cell: function (i) { return D.household[col.household[i]]; } },
    { key: 'programme', title: '救助类型', cell: function (i) { return label('programme', D.programme[col.programme[i]]); } },
    { key: 'township', title: '乡镇', cell: function (i) { return townshipToken(D.township[township[i]]); },
      hover: function (i) { return D.region[col.region[i]]; } },
    { key: 'reason', title: '核查原因', cell: function (i) { return label('reason', D.reason[col.reason[i]]); },
      hover: function (i) { return D.reason[col.reason[i]]; } },
    { key: 'severity', title: '严重程度', cell: function (i) { return label('severity', D.severity[col.severity[i]]); },
      hover: function (i) { return D.severity[col.severity[i]]; },
      class: function (i) { return 'sev-' + D.severity[col.severity[i]]; } },
    { key: 'score', title: '分数', cell: function (i) { return formatScore(score[i]); }, class: function () { return 'num'; } },
    { key: 'overpaid', title: '估算多发金额', cell: function (i) { return formatYuan(overpaid[i]); },
      hover: function (i) { return D.date[col.since[i]] ? '自' + D.date[col.since[i]] + '起' : ''; },
      class: function () { return 'num'; } },
    { key: 'status', title: '状态', cell: function (i) { return label('status', D.status[col.status[i]]); },
      hover: function (i) { return D.status[col.status[i]]; } },
    { key: 'first', title: '首次标记', cell: function (i) { return D.date[col.first[i]]; } },
    { key: 'verdict', title: '核查结论', cell: function (i) { var v = D.verdict[col.verdict[i]]; return v ? label('verdict', v) : '—'; },
      hover: function (i) { return D.verdict[col.verdict[i]]; } },
    { key: null, title: '证据', cell: evidenceOf, hover: evidenceOf, class: function () { return 'evidence'; } }
  ];
  function buildTable(view) {
    var row = $(view.key + '-head'), state = view.state;
    view.columns.forEach(function (c) {
      var th = el('th', { scope: 'col', 'data-sort': c.key, text: c.title });
      if (c.key) {
        th.classList.add('sortable');
        th.addEventListener('click', function () {
          if (state.sort === c.key) state.desc = !state.desc; else { state.sort = c.key; state.desc = view.descFirst.indexOf(c.key) >= 0; }
          state.page = 0;
          update();
        });
      }
      row.appendChild(th);
    });
    [['first-page', function () { state.page = 0; }], ['prev-page', function () { state.page--; }],
      ['next-page', function () { state.page++; }], ['last-page', function () { state.page = Infinity; }]]
      .forEach(function (b) {
        $(view.prefix + b[0]).addEventListener('click', function () { b[1](); renderTable(view); writeHash(); });
      });
  }
  function renderTable(view) {
    var state = view.state, selection = view.selection, p = view.prefix;
    var pages = Math.max(1, Math.ceil(selection.length / PAGE_ROWS));
    state.page = Math.max(0, Math.min(pages - 1, state.page));
    var body = clear($(view.key + '-body'));
    var start = state.page * PAGE_ROWS, end = Math.min(selection.length, start + PAGE_ROWS);
    for (var j = start; j < end; j++) {
      var i = selection[j];
      var tr = el('tr', view.rowAttrs(i));
      view.columns.forEach(function (c) {
        tr.appendChild(el('td', { text: c.cell(i), title: c.hover ? c.hover(i) : null, class: c.class ? c.class(i) : null }));
      });
      if (view.onRow) tr.addEventListener('click', view.onRow.bind(null, i));
      body.appendChild(tr);
    }
    document.querySelectorAll('#' + view.key + '-head th').forEach(function (th) {
      var key = th.getAttribute('data-sort');
      th.classList.toggle('asc', key === state.sort && !state.desc);
      th.classList.toggle('desc', key === state.sort && state.desc);
    });
    $(p + 'page-info').textContent = selection.length ? '第 ' + (start + 1) + '–' + end + ' 条，第 ' + (state.page + 1) + '/' + pages + ' 页' : view.none;
    $(p + 'first-page').disabled = $(p + 'prev-page').disabled = state.page === 0;
    $(p + 'next-page').disabled = $(p + 'last-page').disabled = state.page >= pages - 1;
  }
  // ---- household drill-down ----------------------------------------------------------------
  var byHousehold = null;
  function indexHouseholds() {
    if (byHousehold) return byHousehold;
    byHousehold = { flags: new Map(), members: new Map(), matches: new Map() };
    function add(map, key, value) { var list = map.get(key); if (list) list.push(value); else map.set(key, [value]); }
    for (var i = 0; i < N; i++) add(byHousehold.flags, col.household[i], i);
    var X = matchesTable();
    memberTable().household.forEach(function (h, m) { add(byHousehold.members, h, m); });
    X.household.forEach(function (h, m) { add(byHousehold.matches, h + ':' + X.record[m], m); });
    return byHousehold;
  }
  function openDetail(h) { FLAGS.state.household = h; renderDetail(); writeHash(); }
  function closeDetail() { FLAGS.state.household = null; renderDetail(); writeHash(); }
  function weight(w) { return w === null ? '—' : (w >= 0 ? '+' : '') + w.toFixed(2); }
  function renderDetail() {
    var panel = $('detail');
    if (active !== FLAGS || FLAGS.state.household === null) { panel.hidden = true; clear(panel); return; }
    var h = FLAGS.state.household, index = indexHouseholds(), M = memberTable();
    clear(panel);
    panel.hidden = false;
    var flags = index.flags.get(h) || [];
    var first = flags[0];
    panel.appendChild(el('div', { class: 'detail-head' }, [
      el('h2', { text: '户 ' + D.household[h] }),
      el('span', { class: 'meta', text: first === undefined ? '' :
        label('programme', D.programme[col.programme[first]]) + ' · 区划 ' + D.region[col.region[first]] }),
      el('button', { type: 'button', id: 'close-detail', text: '关闭', onclick: closeDetail })
    ]));
    var members = index.members.get(h) || [];
    panel.appendChild(el('h3', { text: '家庭成员' }));
    panel.appendChild(el('table', { class: 'members' }, [
      el('thead', {}, [el('tr', {}, ['成员编号', '姓名', '身份证号（脱敏）', '户主'].map(function (t) { return el('th', { text: t }); }))]),
      el('tbody', {}, members.map(function (m) {
        return el('tr', {}, [el('td', { text: M.id[m] }), el('td', { text: M.name[m] || '—' }),
          el('td', { class: 'masked', text: M.masked_id[m] || '—' }), el('td', { text: M.head[m] ? '是' : '' })]);
      }))
    ]));
    flags.forEach(function (i) {
      var reason = D.reason[col.reason[i]], verdict = D.verdict[col.verdict[i]];
      var section = el('section', { class: 'flag', 'data-flag': String(i) }, [
        el('h3', {}, [el('span', { title: reason, text: label('reason', reason) }), ' ',
          el('span', { class: 'sev-' + D.severity[col.severity[i]], title: D.severity[col.severity[i]],
            text: '严重程度' + label('severity', D.severity[col.severity[i]]) }), ' ',
          el('span', { class: 'status', title: D.status[col.status[i]], text: label('status', D.status[col.status[i]]) }),
          FLAGS.selection.indexOf(i) < 0 ? el('span', { class: 'outside', text: '（不在当前筛选中）' }) : null]),
        el('p', { class: 'evidence-full', text: evidenceOf(i) || '（假名化副本不含证据原文）' }),
        el('p', { class: 'meta', text: '涉及成员 ' + (memberIds(i) || '—') + ' · 记录 ' + (recordIds(i) || '—') +
          ' · 分数 ' + formatScore(score[i]) + ' · 首次标记 ' + D.date[col.first[i]] }),
        verdict ? el('p', { class: 'finding', text: '核查结论：' + label('verdict', verdict) +
          (D.action[col.action[i]] ? '，处理结果：' + label('action', D.action[col.action[i]]) : '') +
          (D.reviewer[col.reviewer[i]] ? '，核查人：' + D.reviewer[col.reviewer[i]] : '') +
          '，核查日期：' + D.date[col.reviewed[i]] }) : null
      ]);
      itemsOf(flagRecords, i).forEach(function (r) {
        (index.matches.get(h + ':' + r) || []).forEach(function (m) { section.appendChild(matchTable(m)); });
      });
      panel.appendChild(section);
    });
    panel.scrollTop = 0;
  }
  function matchTable(m) {
    var X = matchesTable(), M = memberTable(), c = data.comparisons[X.comparison[m]], member = X.member[m];
    var source = D.source[X.source[m]];
    var head = '记录 ' + D.record[X.record[m]] + '（' + label('source', source) + '）↔ 成员 ' +
      M.id[member] + (M.name[member] ? ' ' + M.name[member] : '') + '：' +
      label('decision', c.decision) + '，' + label('method', c.method) + '，匹配概率 ' +
      (c.score === null ? '—' : c.score.toFixed(6)) + (c.note ? '（暂缓：' + c.note + '）' : '');
    var rows = data.fields.map(function (field, f) {
      var level = c.levels[f];
      return el('tr', {}, [el('td', { text: label('field', field), title: field }),
        el('td', { class: 'level', text: level }),
        el('td', { text: label('level', field + ':' + level) }),
        el('td', { class: 'num', text: weight(c.weights[f]) })]);
    });
    rows.push(el('tr', { class: 'prior' }, [el('td', { text: '先验' }), el('td'), el('td', { text: '匹配在全部候选对中的稀有程度' }), el('td', { class: 'num', text: weight(c.prior) })]));
    rows.push(el('tr', { class: 'total' }, [el('td', { text: '合计' }), el('td'), el('td', { text: 'log2 几率；概率 = 1 / (1 + 2^-合计)' }), el('td', { class: 'num', text: weight(c.total) })]));
    return el('div', { class: 'match' }, [el('p', { text: head, title: c.method + ' / ' + c.decision }),
      el('table', { class: 'comparison' }, [
        el('thead', {}, [el('tr', {}, ['字段', '比对等级', '含义', '权重'].map(function (t) { return el('th', { text: t }); }))]),
        el('tbody', {}, rows)])]);
  }
  // ---- CSV export -----------------------------------------------------------------------------
  FLAGS.cells = {
    household_id: function (i) { return D.household[col.household[i]]; },
    programme: function (i) { return D.programme[col.programme[i]]; },
    region_code: function (i) { return D.region[col.region[i]]; },
    reason: function (i) { return D.reason[col.reason[i]]; },
    severity: function (i) { return D.severity[col.severity[i]]; },
    member_ids: memberIds,
    evidence: evidenceOf,
    record_ids: recordIds,
    score: function (i) { return formatScore(score[i]); },
    status: function (i) { return D.status[col.status[i]]; },
    first_flagged_on: function (i) { return D.date[col.first[i]]; },
    run_id: function () { return data.run.run_id; },
    verdict: function (i) { return D.verdict[col.verdict[i]]; },
    reviewer: function (i) { return D.reviewer[col.reviewer[i]]; },
    reviewed_on: function (i) { return D.date[col.reviewed[i]]; },
    since: function (i) { return D.date[col.since[i]]; },
    overpaid_yuan: function (i) { return isNaN(overpaid[i]) ? '' : overpaid[i].toFixed(2); }
  };
  function csvField(value) {
    var text = String(value);
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }
  // The active view's selection, with flags.csv's (or warnings.csv's) columns.
  function exportCsv() {
    var view = active, selection = view.selection;
    var cells = view.csvColumns.map(function (name) { return view.cells[name] || function () { return ''; }; });
    var lines = [view.csvColumns.map(csvField).join(',')];
    for (var j = 0; j < selection.length; j++) {
      var i = selection[j];
      lines.push(cells.map(function (cell) { return csvField(cell(i)); }).join(','));
    }
    var blob = new Blob(['\ufeff' + lines.join('\n') + '\n'], { type: 'text/csv;charset=utf-8' });
    var link = el('a', { href: URL.createObjectURL(blob), download: view.file + '-' + data.run.run_id + '-selection.csv' });
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 0);
  }

  // ---- main -------------------------------------------------------------------------------
  function update() {
    var started = performance.now(), view = active;
    VIEWS.forEach(function (v) {
      var on = v === view;
      $(v.key + '-view').hidden = !on;
      v.filtersEl.hidden = !on;
      $('view-' + v.key).classList.toggle('on', on);
      $('view-' + v.key).setAttribute('aria-pressed', String(on));
    });
    select(view);
    $('count').textContent = String(view.selection.length);
    $('total').textContent = String(view.N);
    $('unit').textContent = view.unit;
    $('overpaid-note').hidden = view !== FLAGS;
    if (view === FLAGS) $('overpaid').textContent = formatYuan(overpaidTotal(view.selection));
    renderFilters(view);
    view.renderCharts();
    renderTable(view);
    renderDetail();
    writeHash();
    document.body.setAttribute('data-view', view.key);
    document.body.setAttribute('data-update-ms', String(Math.round(performance.now() - started)));
  }
  $('export').addEventListener('click', exportCsv);
  $('copy-link').addEventListener('click', function () {
    var url = location.href;
    if (navigator.clipboard) navigator.clipboard.writeText(url).catch(function () {});
    $('copy-link').textContent = '已复制链接';
  });
  VIEWS.forEach(function (view) {
    $('view-' + view.key).addEventListener('click', function () { switchView(view); });
    buildFilters(view);
    buildTable(view);
  });
  buildBand();
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && FLAGS.state.household !== null) closeDetail(); });
  readHash();
  update();
  document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
  document.body.setAttribute('data-ready', 'true');
