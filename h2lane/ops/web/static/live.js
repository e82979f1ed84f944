/* The dashboard's Live view: trucks and stations as they report, alarms and incidents.
 * It follows /api/v1/stream (Server-Sent Events read through fetch, so the token stays in a
 * header) and redraws at most once per animation frame, however many states arrive. */
(function () {
  'use strict';
  var h = window.h2lane;
  if (!h) return;
  var LEVEL_COLOR = {warning: '#bf8700', critical: '#d1242f', emergency: '#8b0000'};
  var live = h.live = {trucks: {}, stations: {}, alarms: {}, incidents: {}, layer: null, markers: {},
    dirty: false, changed: {}, panelAt: 0, panelDirty: true, events: 0, connected: false, abort: null};
  var PANEL_MS = 250; /* the list redraws at most 4 times a second; the map every frame */

  function esc(s) { return h.esc(s); }
  function clock(iso) { return iso ? String(iso).slice(5, 19).replace('T', ' ') : '–'; }
  function leaflet() { return h.state.map ? h.state.map.map : null; }

  var RANK = {warning: 1, critical: 2, emergency: 3};
  function recomputeLevels() { /* each device's highest open alarm level */
    var levels = {};
    Object.keys(live.alarms).forEach(function (id) {
      var a = live.alarms[id];
      if (a.state !== 'resolved' && (!levels[a.device] || RANK[a.level] > RANK[levels[a.device]])) levels[a.device] = a.level;
    });
    live.levels = levels;
  }
  function levelOf(device) { return (live.levels || {})[device] || null; }

  /* --- map layer: one canvas circle per device, moved in place -------------------------- */
  function ensureLayer() {
    var map = leaflet();
    if (!map) return null;
    if (!live.layer) {
      live.renderer = L.canvas({padding: 0.2});
      live.layer = L.layerGroup();
    }
    if (!map.hasLayer(live.layer)) live.layer.addTo(map);
    return live.layer;
  }
  function tooltip(id, kind) {
    var st = (kind === 'truck' ? live.trucks : live.stations)[id] || {};
    var level = levelOf(id);
    return kind === 'truck'
      ? esc(id) + ': ' + h.num(st.h2_kg) + ' kg H2, ' + h.num(st.speed_kmh, 0) + ' km/h' + (level ? ' · ' + level : '')
      : esc(id) + (level ? ' · ' + level : '') + ': ' + Object.keys(st.detectors || {}).map(function (t) {
        return esc(t) + ' ' + (st.detectors[t] === null ? 'fault' : h.num(st.detectors[t], 2) + ' %');
      }).join(', ');
  }
  function drawDevice(id, st, kind) {
    var layer = ensureLayer();
    if (!layer || (kind === 'truck' && st.lat === undefined)) return;
    var pos = kind === 'truck' ? [st.lat, st.lon] : stationPos(id);
    if (!pos) return;
    var level = levelOf(id) || '';
    var m = live.markers[id];
    if (!m) {
      m = live.markers[id] = L.circleMarker(pos, {renderer: live.renderer, radius: 4, weight: 1.5,
        color: '#fff', fillOpacity: 0.95});
      m.bindTooltip(function () { return tooltip(id, kind); }, {direction: 'top'});
      m._h2level = null;
      layer.addLayer(m);
    } else {
      var at = m.getLatLng();
      if (at.lat !== pos[0] || at.lng !== pos[1]) m.setLatLng(pos);
    }
    if (m._h2level !== level) { /* restyle only when the alarm level changes */
      m._h2level = level;
      var big = kind === 'truck' ? 6 : 10, small = kind === 'truck' ? 4 : 7;
      m.setStyle({fillColor: level ? LEVEL_COLOR[level] : (kind === 'truck' ? '#1f6feb' : '#1a7f37'),
        radius: level ? big : small});
    }
  }
  function stationPos(id) {
    var s = (h.state.scenario && h.state.scenario.stations || []).find(function (x) { return x.id === id; });
    return s ? [s.lat, s.lon] : null;
  }

  /* --- the panel --------------------------------------------------------------------------- */
  function canRespond() { return ['admin', 'dispatcher', 'station-operator'].indexOf(h.state.me && h.state.me.role) >= 0; }
  function render(now) {
    live.dirty = false;
    var changed = live.changed;
    live.changed = {};
    Object.keys(changed).forEach(function (id) {
      var kind = changed[id];
      if (kind === '*') { /* an alarm changed: restyle every device it may touch */
        recomputeLevels();
        Object.keys(live.trucks).forEach(function (t) { drawDevice(t, live.trucks[t], 'truck'); });
        Object.keys(live.stations).forEach(function (t) { drawDevice(t, live.stations[t], 'station'); });
      } else {
        drawDevice(id, (kind === 'truck' ? live.trucks : live.stations)[id], kind);
      }
    });
    if (h.state.view !== 'live' || !live.panelDirty) return;
    if (now - live.panelAt < PANEL_MS) { schedule(); return; }
    live.panelAt = now;
    live.panelDirty = false;
    var open = Object.keys(live.alarms).map(function (k) { return live.alarms[k]; })
      .filter(function (a) { return a.state !== 'resolved'; })
      .sort(function (a, b) { return b.id - a.id; });
    var count = function (lv) { return open.filter(function (a) { return a.level === lv; }).length; };
    var incidents = Object.keys(live.incidents).map(function (k) { return live.incidents[k]; })
      .filter(function (i) { return i.state === 'open'; });
    var box = document.getElementById('live-body');
    if (!box) return;
    box.innerHTML =
      '<div class="cards">' +
      '<div class="card"><span>stream</span><b id="live-conn">' + (live.connected ? 'live' : 'connecting') + '</b></div>' +
      '<div class="card"><span>trucks</span><b id="live-trucks">' + Object.keys(live.trucks).length + '</b></div>' +
      '<div class="card"><span>stations</span><b>' + Object.keys(live.stations).length + '</b></div>' +
      ['warning', 'critical', 'emergency'].map(function (lv) {
        return '<div class="card"><span>' + lv + '</span><b style="color:' + LEVEL_COLOR[lv] + '">' + count(lv) + '</b></div>';
      }).join('') + '</div>' +
      '<h3>Open incidents</h3>' + (incidents.length ? '<ul id="incidents">' + incidents.map(function (i) {
        return '<li class="lv-' + esc(i.level) + '"><b>' + esc(i.title) + '</b> · opened ' + clock(i.opened_at) +
          ' · <a href="/api/v1/incidents/' + i.id + '/report" data-report="' + i.id + '">report</a></li>';
      }).join('') + '</ul>' : '<p class="muted">None.</p>') +
      '<h3>Alarms</h3>' + (open.length ? '<table class="list" id="alarms"><tr><th>level</th><th>device</th><th>raised</th><th>message</th><th></th></tr>' +
        open.map(function (a) {
          var act = !canRespond() ? '' : a.state === 'active'
            ? '<button type="button" data-ack="' + a.id + '">Ack</button>'
            : '<button type="button" data-resolve="' + a.id + '">Resolve</button>';
          return '<tr class="alarm lv-' + esc(a.level) + '" data-alarm="' + a.id + '" data-rule="' + esc(a.rule) + '"><td><b style="color:' + LEVEL_COLOR[a.level] + '">' +
            esc(a.level) + '</b>' + (a.state === 'acknowledged' ? ' ✓' : '') + '</td><td>' + esc(a.device) + (a.subject ? ' ' + esc(a.subject) : '') +
            '</td><td>' + clock(a.raised_at) + '</td><td class="small">' + esc(a.message) + (a.cleared_at ? ' <i>(cleared)</i>' : '') + '</td><td>' + act + '</td></tr>';
        }).join('') + '</table>' : '<p class="muted">No open alarm.</p>');
  }
  function schedule() {
    if (live.dirty) return;
    live.dirty = true;
    requestAnimationFrame(render);
  }

  /* --- the stream ---------------------------------------------------------------------------- */
  function touch(id, kind) {
    if (live.changed[id] !== '*') live.changed[id] = kind;
    live.panelDirty = true;
  }
  function handle(ev) {
    live.events += 1;
    if (ev.type === 'state') {
      (ev.kind === 'truck' ? live.trucks : live.stations)[ev.device] = ev.state;
      touch(ev.device, ev.kind);
    } else if (ev.type === 'alarm') {
      live.alarms[ev.alarm.id] = ev.alarm;
      live.changed['*'] = '*';
      live.panelDirty = true;
    } else if (ev.type === 'incident') {
      live.incidents[ev.incident.id] = ev.incident;
      live.panelDirty = true;
    }
    if (ev.type === 'alarm' && ev.action === 'raise' && ev.alarm.incident_id) refreshIncidents();
    schedule();
  }
  function connect() {
    if (live.abort) return;
    var ctl = live.abort = new AbortController();
    fetch('/api/v1/stream', {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('h2lane.token')}, signal: ctl.signal})
      .then(function (r) {
        if (!r.ok) throw new Error('stream ' + r.status);
        live.connected = true; live.panelDirty = true; schedule();
        var reader = r.body.getReader(), dec = new TextDecoder(), buf = '';
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) throw new Error('stream ended');
            buf += dec.decode(chunk.value, {stream: true});
            var parts = buf.split('\n\n');
            buf = parts.pop();
            parts.forEach(function (block) {
              var data = block.split('\n').filter(function (l) { return l.indexOf('data:') === 0; })
                .map(function (l) { return l.slice(5); }).join('\n');
              if (data) handle(JSON.parse(data));
            });
            return pump();
          });
        }
        return pump();
      })
      .catch(function () {
        live.connected = false; live.abort = null; live.panelDirty = true; schedule();
        if (ctl.signal.aborted) return;
        setTimeout(connect, 2000); /* reconnect; the next load refreshes what was missed */
      });
  }
  function refreshIncidents() {
    return h.api('/api/v1/incidents?state=open&limit=100').then(function (b) {
      b.items.forEach(function (i) { live.incidents[i.id] = i; }); live.panelDirty = true; schedule();
    });
  }
  function load() {
    return Promise.all([
      h.api('/api/v1/live/states'),
      h.api('/api/v1/alarms?state=active&limit=1000'),
      h.api('/api/v1/alarms?state=acknowledged&limit=1000'),
      refreshIncidents()
    ]).then(function (res) {
      res[0].items.forEach(function (s) { (s.kind === 'truck' ? live.trucks : live.stations)[s.device] = s.state; });
      res[1].items.concat(res[2].items).forEach(function (a) { live.alarms[a.id] = a; });
      live.changed['*'] = '*';
      live.panelDirty = true;
      schedule();
    });
  }

  h.viewLive = function () {
    var panel = document.getElementById('panel');
    panel.innerHTML = '<h2>Live operations</h2><p class="muted small">Positions, hydrogen and gas detectors as they report; ' +
      'alarms by the rules of <code>/api/v1/alarm-rules</code>. Colours: blue truck, green station, ' +
      '<b style="color:#bf8700">warning</b>, <b style="color:#d1242f">critical</b>, <b style="color:#8b0000">emergency</b>.</p>' +
      '<div id="live-body"></div>';
    panel.onclick = function (e) {
      var ack = e.target.getAttribute('data-ack'), res = e.target.getAttribute('data-resolve');
      if (!ack && !res) return;
      e.target.disabled = true;
      h.api('/api/v1/alarms/' + (ack || res) + (ack ? '/ack' : '/resolve'), {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: '{}'})
        .then(function (a) { live.alarms[a.id] = a; live.changed['*'] = '*'; live.panelDirty = true; schedule(); })
        .catch(function (err) { h.notice(err.message, 'error'); e.target.disabled = false; });
    };
    ensureLayer();
    live.panelDirty = true;
    load().then(connect);
    schedule();
  };
  window.addEventListener('hashchange', function () {
    if (!/^#live/.test(location.hash) && live.layer && leaflet()) leaflet().removeLayer(live.layer);
  });
})();
