/* The h2lane dashboard: sign in with a token, the map, plan, dispatch and station views.
 * Everything comes from the service's API (/api/v1); nothing leaves this server. */
(function () {
  'use strict';
  var TOKEN_KEY = 'h2lane.token';
  var NO_MAP = 'The map library is not installed on the server (run `npm ci` in h2lane/ops/web; ' +
    'scripts/test.sh and scripts/demo.sh do); the views work without the map.';
  var esc = function (s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  };
  var num = function (v, d) {
    if (v === null || v === undefined || v === '' || isNaN(v)) return '–';
    return Number(v).toLocaleString('en', {maximumFractionDigits: d === undefined ? 1 : d});
  };
  var COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#8250df', '#bf8700', '#0a7ea4', '#e16f24',
    '#6e7781', '#bf3989', '#116329'];
  var $ = function (sel) { return document.querySelector(sel); };
  var panel = $('#panel');
  var state = {scenario: null, plans: [], docs: {}, view: 'map', planId: null, route: 0, map: null,
    hidden: {}, sel: {}};

  /* --- time: plan documents carry China time (+08:00); show it as written ------------------ */
  function clock(iso) { return iso ? String(iso).slice(5, 16).replace('T', ' ') : '–'; }
  function ms(iso) { return iso ? Date.parse(iso) : NaN; }
  function addMin(iso, min) { return ms(iso) + (Number(min) || 0) * 60000; }
  function fromMs(t) { /* epoch ms → 'MM-DD HH:MM' in China time */
    var d = new Date(t + 8 * 3600000);
    var p = function (n) { return (n < 10 ? '0' : '') + n; };
    return p(d.getUTCMonth() + 1) + '-' + p(d.getUTCDate()) + ' ' + p(d.getUTCHours()) + ':' + p(d.getUTCMinutes());
  }
  function hm(min) {
    min = Math.round(Number(min) || 0);
    return min >= 60 ? Math.floor(min / 60) + ' h ' + (min % 60 ? min % 60 + ' min' : '') : min + ' min';
  }

  /* --- API --------------------------------------------------------------------------------- */
  function token() { return sessionStorage.getItem(TOKEN_KEY); }
  function api(path, opts) {
    opts = opts || {};
    var headers = Object.assign({Authorization: 'Bearer ' + token()}, opts.headers || {});
    return fetch(path, Object.assign({}, opts, {headers: headers})).then(function (r) {
      if (r.status === 401) { signOut('Your token is no longer valid: sign in again.'); throw new Error('401'); }
      return r.json().then(function (body) {
        if (!r.ok && r.status !== 202) {
          var e = new Error(body.message || ('HTTP ' + r.status)); e.status = r.status; throw e;
        }
        return body;
      });
    });
  }
  function notice(text, kind) {
    var n = $('#notice');
    n.textContent = text || '';
    n.className = kind || '';
    n.hidden = !text;
  }

  /* --- sign in ----------------------------------------------------------------------------- */
  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('#signin').hidden = false;
    $('#signout').hidden = true;
    $('#who').textContent = '';
    $('#signin-error').textContent = message || '';
  }
  $('#signout').addEventListener('click', function () { signOut(''); });
  $('#signin-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var t = $('#token').value.trim();
    fetch('/api/v1/me', {headers: {Authorization: 'Bearer ' + t}}).then(function (r) {
      return r.json().then(function (b) {
        if (!r.ok) { $('#signin-error').textContent = b.message || 'Sign-in failed.'; return; }
        sessionStorage.setItem(TOKEN_KEY, t);
        $('#token').value = '';
        start(b);
      });
    }).catch(function () { $('#signin-error').textContent = 'The server does not answer.'; });
  });

  function start(me, loaded) {
    $('#signin').hidden = true;
    $('#signout').hidden = false;
    $('#who').textContent = me.name + ' · ' + me.role;
    state.me = me;
    (loaded || loadAll()).then(route);
  }

  /* --- data -------------------------------------------------------------------------------- */
  function loadAll() {
    panel.innerHTML = '<p class="muted">Loading the scenario…</p>';
    var scen = api('/api/v1/dashboard/scenario');
    var roads = state.map ? api('/api/v1/map/basemap') : Promise.resolve(null);
    return Promise.all([scen, roads, loadPlans()]).then(function (res) {
      state.scenario = res[0];
      if (state.map) {
        if (res[1]) state.map.setBasemap(res[1]);
        state.map.setPlaces(res[0].places.map(function (p) {
          return {name: p.name, lat: p.lat, lon: p.lon, priority: /port|xiaoyi|beijing|tianjin$/i.test(p.name) ? 2 : 3};
        }));
        state.map.setStations(res[0].stations);
        state.map.setTrucks(res[0].trucks);
        state.map.setOrders(res[0].orders);
        state.map.fit();
      }
      /* painted: two animation frames after the layers were added (Leaflet's canvas draws on
       * the next frame); milliseconds since the navigation started */
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          window.h2lane.firstRender = performance.now();
          document.body.setAttribute('data-ready', 'true');
        });
      });
    }).catch(function (e) { if (e.message !== '401') notice(e.message, 'error'); });
  }
  function loadPlans() {
    return api('/api/v1/plans?limit=100').then(function (b) { state.plans = b.items; return b.items; });
  }
  function planDoc(id) {
    if (state.docs[id]) return Promise.resolve(state.docs[id]);
    return api('/api/v1/plans/' + encodeURIComponent(id)).then(function (job) {
      if (job.status !== 'done') throw new Error('Plan ' + id + ' is ' + job.status + (job.error ? ': ' + job.error.message : '') + '.');
      var doc = job.result;
      /* routes without their own geometry (VRP documents) go on the roads the service finds */
      if (!doc.routes.some(function (r) { return !r.geometry; })) { state.docs[id] = doc; return doc; }
      return api('/api/v1/map/plans/' + encodeURIComponent(id)).then(function (lines) {
        lines.routes.forEach(function (l) { if (doc.routes[l.route]) doc.routes[l.route].roadLine = l.coordinates; });
      }).catch(function () { /* straight lines between the points then */ }).then(function () {
        state.docs[id] = doc;
        return doc;
      });
    });
  }

  /* --- routing between views (#view/planId) ------------------------------------------------ */
  function route() {
    if (!token() || !state.scenario) return;
    var parts = (location.hash.replace(/^#/, '') || 'map').split('/');
    state.view = ['map', 'plan', 'dispatch', 'stations', 'live'].indexOf(parts[0]) >= 0 ? parts[0] : 'map';
    if (parts[1]) state.sel[state.view] = decodeURIComponent(parts[1]);
    state.planId = state.sel[state.view] || null;
    document.querySelectorAll('#nav a').forEach(function (a) {
      a.classList.toggle('active', a.getAttribute('data-view') === state.view);
    });
    if (state.map) state.map.setStationBadges({});
    var viewLive = function () { if (window.h2lane.viewLive) window.h2lane.viewLive(); };
    ({map: viewOverview, plan: viewPlan, dispatch: viewDispatch, stations: viewStations, live: viewLive})[state.view]();
  }
  window.addEventListener('hashchange', route);

  function donePlans() { return state.plans.filter(function (p) { return p.status === 'done'; }); }
  function planPicker(prefer) {
    var plans = donePlans().slice().sort(function (a, b) { return (b.kind === prefer) - (a.kind === prefer); });
    if (!plans.length) return '<p class="muted">No finished plan yet: create one in the overview.</p>';
    if (!state.planId || !plans.some(function (p) { return p.id === state.planId; })) state.planId = state.sel[state.view] = plans[0].id;
    return '<label class="pick">Plan <select id="plan-select">' + plans.map(function (p) {
      return '<option value="' + esc(p.id) + '"' + (p.id === state.planId ? ' selected' : '') + '>' +
        esc(p.kind + ' · ' + describe(p) + ' · ' + String(p.created_at).slice(5, 16).replace('T', ' ')) + '</option>';
    }).join('') + '</select></label>';
  }
  function describe(job) {
    var r = job.request || {};
    if (job.kind === 'trip') return (r.from || '?') + ' → ' + (r.to || '?') + (r.round_trip ? ' ⇄' : '');
    if (job.kind === 'dispatch') return 'fleet ' + (r.scenario || 'of the scenario');
    return r.instance || 'vrp';
  }
  function bindPicker(view) {
    var sel = $('#plan-select');
    if (sel) sel.addEventListener('change', function () { location.hash = view + '/' + encodeURIComponent(sel.value); });
  }

  /* --- overview ---------------------------------------------------------------------------- */
  function viewOverview() {
    var s = state.scenario;
    if (state.map) state.map.setRoutes([]);
    var canPlan = state.me && (state.me.role === 'admin' || state.me.role === 'dispatcher');
    panel.innerHTML = '<h2>' + esc(s.scenario) + '</h2>' +
      '<div class="cards">' + card('Stations', s.stations.length) + card('Trucks', s.trucks.length) +
      card('Orders', s.orders.length) + card('Places', s.places.length) + '</div>' +
      (canPlan ? newPlanForm() : '') +
      '<h3>Plans</h3><table class="list" id="plans"><thead><tr><th>kind</th><th>what</th><th>status</th><th>created</th></tr></thead><tbody>' +
      state.plans.map(function (p) {
        var view = p.kind === 'trip' ? 'plan' : 'dispatch';
        var link = p.status === 'done' ? '<a href="#' + view + '/' + esc(p.id) + '">' + esc(describe(p)) + '</a>' : esc(describe(p));
        return '<tr><td>' + esc(p.kind) + '</td><td>' + link + '</td><td><span class="st st-' + esc(p.status) + '">' +
          esc(p.status) + (p.status === 'running' ? ' ' + Math.round(100 * p.progress) + '%' : '') + '</span></td><td>' +
          esc(String(p.created_at).slice(5, 16).replace('T', ' ')) + '</td></tr>';
      }).join('') + '</tbody></table>' + (state.plans.length ? '' : '<p class="muted">No plan jobs yet.</p>');
    if (canPlan) bindNewPlan();
    /* jobs still queued or running: refresh the list until they finish (not while the form is open) */
    clearTimeout(state.refresh);
    if (state.plans.some(function (p) { return p.status === 'queued' || p.status === 'running'; })) {
      state.refresh = setTimeout(function again() {
        var form = $('.newplan');
        if (state.view !== 'map') return;
        if (form && form.open) { state.refresh = setTimeout(again, 3000); return; }
        loadPlans().then(function () { if (state.view === 'map') viewOverview(); });
      }, 3000);
    }
  }
  function card(label, value, unit) {
    return '<div class="card"><span>' + esc(label) + '</span><b>' + esc(value) + '</b>' + (unit ? '<small>' + esc(unit) + '</small>' : '') + '</div>';
  }
  function newPlanForm() {
    var names = state.scenario.places.map(function (p) { return '<option>' + esc(p.name) + '</option>'; }).join('');
    return '<details class="newplan"><summary>New plan</summary><form id="newplan">' +
      '<label>Kind <select name="kind"><option value="trip">trip</option><option value="dispatch">dispatch (the scenario’s orders)</option></select></label>' +
      '<label>From <select name="from">' + names + '</select></label>' +
      '<label>To <select name="to">' + names.replace('<option>Tianjin Port</option>', '<option selected>Tianjin Port</option>') + '</select></label>' +
      '<label><input type="checkbox" name="round_trip" checked> round trip</label>' +
      '<button type="submit">Queue</button> <span id="newplan-status" class="muted"></span></form></details>';
  }
  function bindNewPlan() {
    $('#newplan').addEventListener('submit', function (e) {
      e.preventDefault();
      var f = e.target, kind = f.kind.value;
      var req = kind === 'trip' ? {from: f.from.value, to: f.to.value, round_trip: f.round_trip.checked} : {};
      $('#newplan-status').textContent = 'queued…';
      api('/api/v1/plans', {method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({kind: kind, request: req})}).then(function (job) {
        return waitJob(job.id, function (j) { $('#newplan-status').textContent = j.status + ' ' + Math.round(100 * j.progress) + '%'; });
      }).then(function (j) {
        return loadPlans().then(function () {
          if (j.status === 'done') location.hash = (kind === 'trip' ? 'plan/' : 'dispatch/') + j.id;
          else { $('#newplan-status').textContent = j.error ? j.error.message : j.status; }
        });
      }).catch(function (err) { $('#newplan-status').textContent = err.message; });
    });
  }
  function waitJob(id, tick) {
    return new Promise(function (resolve, reject) {
      (function poll() {
        api('/api/v1/plans/' + encodeURIComponent(id)).then(function (j) {
          tick(j);
          if (j.status === 'done' || j.status === 'failed') resolve(j); else setTimeout(poll, 700);
        }).catch(reject);
      })();
    });
  }

  /* --- routes on the map ------------------------------------------------------------------- */
  function routeCoords(r) {
    var feats = (r.geometry && r.geometry.features) || [];
    for (var i = 0; i < feats.length; i++) {
      if ((feats[i].properties || {}).kind === 'route' || feats[i].geometry.type === 'LineString') {
        return feats[i].geometry.coordinates.map(function (c) { return [c[1], c[0]]; });
      }
    }
    if (r.roadLine && r.roadLine.length > 1) return r.roadLine;
    var pts = [];
    r.legs.forEach(function (l) {
      if (l.origin.lat !== null) pts.push([l.origin.lat, l.origin.lon]);
      r.stops.filter(function (s) { return s.leg === l.index && s.lat !== null; })
        .forEach(function (s) { pts.push([s.lat, s.lon]); });
      if (l.destination.lat !== null) pts.push([l.destination.lat, l.destination.lon]);
    });
    return pts;
  }
  function mapRoute(r, i, labelled) {
    var ends = [], seen = {};
    r.legs.forEach(function (l) {
      [[l.origin, l.depart], [l.destination, l.arrive]].forEach(function (x) {
        var p = x[0];
        if (p.lat === null || p.lat === undefined) return;
        var k = p.lat + ',' + p.lon;
        if (!seen[k]) { seen[k] = {lat: p.lat, lon: p.lon, name: p.name, times: []}; ends.push(seen[k]); }
        if (x[1] && seen[k].times.indexOf(clock(x[1])) < 0) seen[k].times.push(clock(x[1]));
      });
    });
    return {
      id: r.truck_id || ('route ' + (i + 1)), color: COLORS[i % COLORS.length],
      label: (r.truck_id || 'route ' + (i + 1)) + (r.orders && r.orders.length ? ' (' + r.orders.join(', ') + ')' : ''),
      coords: routeCoords(r),
      stops: r.stops.filter(function (s) { return s.lat !== null; }).map(function (s, k) {
        var name = s.name || s.station_id;
        var room = window.innerWidth < 600 ? 10 : 20;
        var text = (k + 1) + '. ' + (name.length > room ? name.slice(0, room - 2) + '…' : name) + ' +' + num(s.refuel_kg) + ' kg ' + clock(s.arrive).slice(6);
        return {lat: s.lat, lon: s.lon, label: labelled ? text : null,
          title: (r.truck_id ? r.truck_id + ': ' : '') + (k + 1) + '. ' + name + ' +' + num(s.refuel_kg) + ' kg, arrive ' + clock(s.arrive) + ', wait ' + hm(s.wait_min) + ', fill ' + hm(s.refuel_min)};
      }),
      ends: ends.map(function (e) { return {lat: e.lat, lon: e.lon, label: labelled ? e.name + ' ' + e.times.join(' / ') : null}; })
    };
  }

  /* --- plan view: itinerary timeline, tank chart, KPIs ------------------------------------- */
  function viewPlan() {
    panel.innerHTML = '<h2>Plan</h2>' + planPicker('trip') + '<div id="plan-body"></div>';
    bindPicker('plan');
    if (!donePlans().length) return;
    var id = state.planId;
    planDoc(id).then(function (doc) {
      if (state.route >= doc.routes.length) state.route = 0;
      var r = doc.routes[state.route];
      var body = $('#plan-body');
      body.innerHTML = (doc.routes.length > 1 ? '<label class="pick">Truck <select id="route-select">' +
        doc.routes.map(function (x, i) { return '<option value="' + i + '"' + (i === state.route ? ' selected' : '') + '>' + esc(x.truck_id || 'route ' + (i + 1)) + '</option>'; }).join('') +
        '</select></label>' : '') +
        '<div class="cards">' + card('Distance', num(r.distance_km, 0), 'km') + card('Duration', num(r.duration_h), 'h') +
        card('Hydrogen', num(r.h2_kg), 'kg') + card('Cost', num(r.cost, 0), doc.currency || 'CNY') + '</div>' +
        '<h3>Emissions of the ' + (doc.routes.length > 1 ? 'whole plan' : 'trip') + ' <small class="muted">ISO 14083, well-to-wheel</small></h3><div id="kpis" class="cards"><p class="muted">computing…</p></div>' +
        '<h3>Itinerary <small class="muted">China time (UTC+08:00)</small></h3>' + timeline(r) +
        '<h3>Tank level along the route</h3>' + tankChart(r) +
        notices(doc, r);
      var rs = $('#route-select');
      if (rs) rs.addEventListener('change', function () { state.route = Number(rs.value); viewPlan(); });
      if (state.map) { state.map.setRoutes([mapRoute(r, state.route, true)]); state.map.fit(); }
      kpis(id);
    }).catch(function (e) { $('#plan-body').innerHTML = '<p class="error">' + esc(e.message) + '</p>'; });
  }
  /* The plan's notices for this route (a dispatch prefixes each with its truck). */
  function notices(doc, r) {
    var list = (doc.notices || []).filter(function (n) {
      return doc.routes.length < 2 || !r.truck_id || n.indexOf(r.truck_id + ':') === 0 ||
        !doc.routes.some(function (x) { return x.truck_id && n.indexOf(x.truck_id + ':') === 0; });
    });
    return list.length ? '<h3>Notices</h3><ul>' + list.map(function (n) { return '<li>' + esc(n) + '</li>'; }).join('') + '</ul>' : '';
  }
  function kpis(id) {
    api('/api/v1/dashboard/plans/' + encodeURIComponent(id) + '/kpis').then(function (k) {
      var box = $('#kpis');
      if (!box || state.planId !== id) return;
      box.innerHTML = card('Transport work', num(k.tkm, 0), 't·km') + card('Hydrogen', num(k.h2_kg), 'kg H2') +
        card('CO2e well-to-wheel', num(k.wtw_kg / 1000, 2), 't') +
        card('Avoided vs diesel', num(k.avoided_kg / 1000, 2), 't (' + num(100 * k.avoided_share, 0) + ' %)') +
        '<p class="muted small">' + esc(k.method + '; hydrogen ' + (k.hydrogen || '') + '; diesel baseline ' + num(k.diesel_baseline_wtw_kg / 1000, 2) + ' t; allocation ' + k.allocation) + '</p>';
    }).catch(function (e) { var box = $('#kpis'); if (box) box.innerHTML = '<p class="error">' + esc(e.message) + '</p>'; });
  }
  function timeline(r) {
    var ev = [];
    r.legs.forEach(function (l, i) {
      if (i === 0) ev.push({t: ms(l.depart), k: 4, cls: 'depart', what: 'Depart ' + l.origin.name,
        detail: (l.loaded ? 'loaded ' + num(l.tonnes) + ' t' : 'empty') + (l.order_id ? ', order ' + l.order_id : '')});
      else ev.push({t: ms(l.depart), k: 4, cls: 'leg', what: 'Leave ' + l.origin.name,
        detail: num(l.distance_km, 0) + ' km ' + (l.loaded ? 'loaded ' + num(l.tonnes) + ' t' : 'empty') + (l.order_id ? ', order ' + l.order_id : '')});
      var last = i === r.legs.length - 1;
      ev.push({t: ms(l.arrive), k: 1, cls: last ? 'arrive' : 'waypoint', what: (last ? 'Arrive ' : 'Reach ') + l.destination.name,
        detail: num(l.distance_km, 0) + ' km leg, ' + num(l.h2_kg) + ' kg H2'});
    });
    r.stops.forEach(function (s) {
      var rest = s.rest_min > 0.5 ? ', rest ' + hm(s.rest_min) + (s.rest ? ' (' + s.rest.replace('-', ' ') + ')' : '') : '';
      ev.push({t: ms(s.arrive), k: 2, cls: 'stop', what: 'Refuel at ' + (s.name || s.station_id),
        detail: 'arrive ' + clock(s.arrive) + ', wait ' + hm(s.wait_min) + ', +' + num(s.refuel_kg) + ' kg in ' + hm(s.refuel_min) + rest +
          ', depart ' + clock(s.depart) + ' · tank ' + num(s.arrive_kg) + ' → ' + num(s.depart_kg) + ' kg · ' + num(s.cost, 0) + ' CNY'});
    });
    r.breaks.forEach(function (b) {
      if (b.station_id) return; /* a break taken at a refuelling stop is shown with the stop */
      ev.push({t: ms(b.start), k: 2, cls: b.kind === 'daily-rest' ? 'rest' : 'break',
        what: (b.kind === 'daily-rest' ? 'Daily rest ' : 'Break ') + hm(b.minutes),
        detail: (b.waypoint || 'roadside') + ', km ' + num(b.km_from_start, 0)});
    });
    (r.schedule || []).forEach(function (s) {
      if (s.event !== 'pickup' && s.event !== 'delivery') return;
      ev.push({t: ms(s.time), k: s.event === 'pickup' ? 3 : 1.5, cls: s.event, what: (s.event === 'pickup' ? 'Pick up ' : 'Deliver ') + s.order_id,
        detail: s.place + (s.due ? ', due ' + clock(s.due) + (s.on_time === false ? ' — late' : '') : '')});
    });
    ev.sort(function (a, b) { return (a.t - b.t) || (a.k - b.k); });
    return '<ol class="timeline" id="timeline">' + ev.map(function (e) {
      return '<li class="ev ev-' + e.cls + '"><time>' + (isNaN(e.t) ? '–' : fromMs(e.t)) + '</time><b>' + esc(e.what) +
        '</b><span>' + esc(e.detail) + '</span></li>';
    }).join('') + '</ol>';
  }
  /* (km from start, kg in the tank): the documented levels at each stop, the legs' own
   * consumption (kg ÷ km) in between. */
  function tankProfile(r) {
    var tank = r.truck ? r.truck.tank_kg : null;
    var level = r.start_kg !== null && r.start_kg !== undefined ? r.start_kg : tank;
    if (level === null || level === undefined) return null;
    var pts = [[0, level]], km = 0, start = 0;
    r.legs.forEach(function (l, i) {
      var rate = l.distance_km > 0 ? l.h2_kg / l.distance_km : 0;
      r.stops.filter(function (s) { return s.leg === i; })
        .sort(function (a, b) { return a.km_from_start - b.km_from_start; })
        .forEach(function (s) {
          pts.push([s.km_from_start, s.arrive_kg], [s.km_from_start, s.depart_kg]);
          level = s.depart_kg; km = s.km_from_start;
        });
      start += l.distance_km;
      level -= rate * (start - km);
      km = start;
      pts.push([km, level]);
    });
    return {pts: pts, tank: tank, km: km};
  }
  function tankChart(r) {
    var p = tankProfile(r);
    if (!p) return '<p class="muted">No tank data in this plan.</p>';
    var W = 600, H = 190, L0 = 40, R = 10, T = 16, B = 28;
    var maxKg = Math.max(p.tank || 0, Math.max.apply(null, p.pts.map(function (x) { return x[1]; })));
    var x = function (km) { return L0 + (W - L0 - R) * km / Math.max(p.km, 1); };
    var y = function (kg) { return T + (H - T - B) * (1 - kg / Math.max(maxKg, 1)); };
    var path = p.pts.map(function (q, i) { return (i ? 'L' : 'M') + x(q[0]).toFixed(1) + ' ' + y(q[1]).toFixed(1); }).join('');
    var ticks = '', step = niceStep(p.km / 6);
    for (var k = 0; k <= p.km + 1e-6; k += step) {
      ticks += '<line x1="' + x(k) + '" x2="' + x(k) + '" y1="' + (H - B) + '" y2="' + (H - B + 4) + '"/><text x="' + x(k) + '" y="' + (H - B + 16) + '" text-anchor="middle">' + num(k, 0) + '</text>';
    }
    var ystep = niceStep(maxKg / 4);
    for (var g = 0; g <= maxKg + 1e-6; g += ystep) {
      ticks += '<line class="grid" x1="' + L0 + '" x2="' + (W - R) + '" y1="' + y(g) + '" y2="' + y(g) + '"/><text x="' + (L0 - 5) + '" y="' + (y(g) + 4) + '" text-anchor="end">' + num(g, 0) + '</text>';
    }
    var dots = r.stops.map(function (s) {
      return '<circle cx="' + x(s.km_from_start) + '" cy="' + y(s.depart_kg) + '" r="3.5"><title>' + esc((s.name || s.station_id) + ': ' + num(s.arrive_kg) + ' → ' + num(s.depart_kg) + ' kg') + '</title></circle>';
    }).join('');
    var tankLine = p.tank ? '<line class="cap" x1="' + L0 + '" x2="' + (W - R) + '" y1="' + y(p.tank) + '" y2="' + y(p.tank) + '"><title>tank ' + p.tank + ' kg</title></line><text x="' + (W - R) + '" y="' + (y(p.tank) - 4) + '" text-anchor="end">tank ' + num(p.tank, 0) + ' kg</text>' : '';
    return '<svg class="chart" id="tank-chart" viewBox="0 0 ' + W + ' ' + H + '" role="img" aria-label="tank level in kg along the route in km">' +
      ticks + tankLine + '<path class="level" d="' + path + '"/>' + dots +
      '<text x="' + (W - R) + '" y="' + (H - 2) + '" text-anchor="end">km</text><text x="4" y="' + (T + 2) + '">kg</text></svg>';
  }
  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
    var m = raw / p;
    return p * (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10);
  }

  /* --- dispatch view: Gantt per truck, toggles ---------------------------------------------- */
  function viewDispatch() {
    panel.innerHTML = '<h2>Dispatch</h2>' + planPicker('dispatch') + '<div id="dispatch-body"></div>';
    bindPicker('dispatch');
    if (!donePlans().length) return;
    var id = state.planId;
    planDoc(id).then(function (doc) {
      var hidden = state.hidden[id] = state.hidden[id] || {};
      var body = $('#dispatch-body');
      body.innerHTML = '<div class="cards">' + card('Trucks', doc.trucks_used) + card('Orders served', doc.orders_served + ' / ' + (doc.orders_served + doc.orders_unassigned)) +
        card('Distance', num(doc.distance_km, 0), 'km') + card('Hydrogen', num(doc.h2_kg, 0), 'kg') + '</div>' +
        '<h3>Trucks <small class="muted">China time; hover to highlight, untick to hide on the map</small></h3>' +
        '<div id="gantt" style="--lab:' + labelWidth(doc) + 'px">' + gantt(doc, hidden) + '</div>' +
        '<p class="legend"><i class="g-loaded"></i>loaded <i class="g-empty"></i>empty <i class="g-fill"></i>refuel ' +
        '<i class="g-wait"></i>wait <i class="g-rest"></i>break / rest</p>' +
        (doc.unassigned && doc.unassigned.length ? '<h3>Not served</h3><ul>' + doc.unassigned.map(function (u) { return '<li>' + esc((u.order_id || u.id || '') + ': ' + u.reason) + '</li>'; }).join('') + '</ul>' : '') +
        '<div id="kpis" class="cards"></div>';
      if (state.map) {
        state.map.onHover = function (rid) { hot(rid); };
        state.map.setRoutes(doc.routes.map(function (r, i) { return mapRoute(r, i, false); }));
        Object.keys(hidden).forEach(function (rid) { if (hidden[rid]) state.map.setRouteVisible(rid, false); });
        state.map.fit();
      }
      body.addEventListener('change', function (e) {
        var rid = e.target.getAttribute('data-truck');
        if (rid === null) return;
        hidden[rid] = !e.target.checked;
        e.target.closest('.g-row').classList.toggle('off', hidden[rid]);
        if (state.map) state.map.setRouteVisible(rid, e.target.checked);
      });
      body.addEventListener('mouseover', function (e) {
        var row = e.target.closest('.g-row');
        var rid = row ? row.getAttribute('data-route') : null;
        if (state.map) state.map.highlight(rid); hot(rid);
      });
      body.addEventListener('mouseleave', function () { if (state.map) state.map.highlight(null); hot(null); });
    }).catch(function (e) { $('#dispatch-body').innerHTML = '<p class="error">' + esc(e.message) + '</p>'; });
  }
  function labelWidth(doc) { /* room for the longest truck id beside its tick box */
    var n = Math.max.apply(null, doc.routes.map(function (r, i) { return String(r.truck_id || 'route ' + (i + 1)).length; }));
    return Math.min(150, Math.max(64, 34 + 7 * n));
  }
  function hot(rid) {
    document.querySelectorAll('.g-row').forEach(function (r) { r.classList.toggle('hot', r.getAttribute('data-route') === rid); });
  }
  function gantt(doc, hidden) {
    var t0 = Infinity, t1 = -Infinity;
    doc.routes.forEach(function (r) {
      r.legs.forEach(function (l) { t0 = Math.min(t0, ms(l.depart)); t1 = Math.max(t1, ms(l.arrive)); });
    });
    if (!isFinite(t0) || !isFinite(t1) || t1 <= t0) return '<p class="muted">This plan has no clock times (a benchmark instance).</p>';
    var span = t1 - t0;
    var pct = function (t) { return (100 * (t - t0) / span).toFixed(3) + '%'; };
    var w = function (a, b) { return (100 * Math.max(b - a, 0) / span).toFixed(3) + '%'; };
    var seg = function (cls, a, b, title) {
      return '<span class="g-seg ' + cls + '" style="left:' + pct(a) + ';width:' + w(a, b) + '" title="' + esc(title) + '"></span>';
    };
    var step = [1, 2, 3, 6, 12, 24, 48][[1, 2, 3, 6, 12, 24, 48].findIndex(function (h) { return span / (h * 3600000) <= 10; })] || 96;
    var first = Math.ceil((t0 + 8 * 3600000) / (step * 3600000)) * step * 3600000 - 8 * 3600000;
    var axis = '';
    for (var t = first; t <= t1; t += step * 3600000) {
      axis += '<span class="g-tick" style="left:' + pct(t) + '">' + esc(fromMs(t).slice(step >= 24 ? 0 : 6, step >= 24 ? 5 : 11)) + '</span>';
    }
    var rows = doc.routes.map(function (r, i) {
      var rid = r.truck_id || ('route ' + (i + 1));
      var bars = '';
      r.legs.forEach(function (l) {
        bars += seg(l.loaded ? 'g-loaded' : 'g-empty', ms(l.depart), ms(l.arrive),
          l.origin.name + ' → ' + l.destination.name + ' ' + clock(l.depart) + '–' + clock(l.arrive) + (l.order_id ? ' (' + l.order_id + ')' : ''));
      });
      r.stops.forEach(function (s) {
        var a = ms(s.arrive), f = addMin(s.arrive, s.wait_min), g = f + s.refuel_min * 60000;
        if (s.wait_min > 0.5) bars += seg('g-wait', a, f, 'wait ' + hm(s.wait_min) + ' at ' + (s.name || s.station_id));
        bars += seg('g-fill', f, g, (s.name || s.station_id) + ' +' + num(s.refuel_kg) + ' kg, ' + hm(s.refuel_min));
        if (s.rest_min > 0.5) bars += seg('g-rest', g, g + s.rest_min * 60000, 'rest ' + hm(s.rest_min) + ' at ' + (s.name || s.station_id));
      });
      r.breaks.forEach(function (b) {
        if (!b.station_id) bars += seg('g-rest', ms(b.start), ms(b.start) + b.minutes * 60000, b.kind + ' ' + hm(b.minutes));
      });
      return '<div class="g-row' + (hidden[rid] ? ' off' : '') + '" data-route="' + esc(rid) + '"><label title="' + esc(rid) + '"><input type="checkbox" data-truck="' + esc(rid) + '"' +
        (hidden[rid] ? '' : ' checked') + '><i style="background:' + COLORS[i % COLORS.length] + '"></i>' + esc(rid) +
        '</label><div class="g-track" style="--c:' + COLORS[i % COLORS.length] + '">' + bars + '</div></div>';
    }).join('');
    return '<div class="g-axis"><span></span><div class="g-track">' + axis + '</div></div>' + rows;
  }

  /* --- stations view: list, load per hour --------------------------------------------------- */
  function viewStations() {
    var s = state.scenario;
    if (state.map) state.map.setRoutes([]);
    panel.innerHTML = '<h2>Stations</h2><h3>Load from the current plans <small class="muted">fills per hour, China time</small></h3>' +
      '<p class="muted small">The number on a station is its fills in these plans.</p><div id="load"><p class="muted">loading…</p></div><h3>Stations</h3><table class="list" id="station-list"><thead><tr><th>station</th>' +
      '<th>kg/day</th><th>disp.</th><th>CNY/kg</th><th>hours</th></tr></thead><tbody>' +
      s.stations.map(function (x) {
        return '<tr data-station="' + esc(x.id) + '"><td><a href="#stations" data-fly="' + esc(x.id) + '">' + esc(x.name) + '</a></td><td>' + num(x.capacity_kg_per_day, 0) +
          '</td><td>' + num(x.dispensers, 0) + '</td><td>' + num(x.price, 2) + '</td><td>' + esc(x.opening_hours) + '</td></tr>';
      }).join('') + '</tbody></table>';
    panel.querySelectorAll('[data-fly]').forEach(function (a) {
      a.addEventListener('click', function (e) {
        e.preventDefault();
        var m = state.map && state.map.stationLayers[a.getAttribute('data-fly')];
        if (m) { state.map.map.setView(m.getLatLng(), 9); m.openPopup(); }
      });
    });
    api('/api/v1/dashboard/station-load').then(function (load) {
      var box = $('#load');
      if (!load.stations.length) { box.innerHTML = '<p class="muted">No refuelling stop in the ' + load.plans.length + ' current plan(s).</p>'; return; }
      var max = Math.max.apply(null, load.stations.map(function (r) { return Math.max.apply(null, r.fills); }));
      if (state.map && state.view === 'stations') {
        var counts = {};
        load.stations.forEach(function (r) { counts[r.station_id] = r.fills.reduce(function (a, b) { return a + b; }, 0); });
        state.map.setStationBadges(counts);
      }
      var head = '<tr><th></th>' + Array.from({length: 24}, function (_, h) { return '<th>' + (h % 3 === 0 ? h : '') + '</th>'; }).join('') + '<th>fills</th></tr>';
      box.innerHTML = '<table class="heat" id="load-table">' + head + load.stations.map(function (r) {
        var total = r.fills.reduce(function (a, b) { return a + b; }, 0);
        return '<tr><th title="' + esc(r.name) + '">' + esc(r.name) + '</th>' + r.fills.map(function (f, h) {
          var a = f ? 0.15 + 0.85 * f / max : 0;
          return '<td style="background:rgba(31,111,235,' + a.toFixed(2) + ')" title="' + esc(r.name + ' ' + h + ':00–' + (h + 1) + ':00: ' + f + ' fill(s), ' + num(r.kg[h]) + ' kg') + '">' + (f || '') + '</td>';
        }).join('') + '<td class="tot">' + total + '</td></tr>';
      }).join('') + '</table><p class="muted small">' + load.plans.length + ' plan(s); busiest hour at one station in one plan: ' +
        Math.max.apply(null, load.stations.map(function (r) { return r.peak; })) + ' fill(s).</p>';
    }).catch(function (e) { $('#load').innerHTML = '<p class="error">' + esc(e.message) + '</p>'; });
  }

  /* --- start ------------------------------------------------------------------------------- */
  window.h2lane = {state: state, api: api, esc: esc, num: num, notice: notice}; /* live.js uses these */
  if (window.H2Map) state.map = window.H2Map.create($('#map'), {layers: true});
  else { notice(NO_MAP, 'error'); document.body.classList.add('nomap'); }
  if (token()) { /* who and what in parallel: one round trip less before the first render */
    var loading = loadAll();
    api('/api/v1/me').then(function (me) { start(me, loading); }).catch(function () {});
  } else {
    signOut('');
  }
})();
