/* h2map — the h2lane map component on Leaflet (installed from npm, never a CDN).
 *
 * Used by the dashboard (served from /static) and inlined by the CLI's --map files, so both
 * draw the same map: a basemap of the bundled OSM road graph (canvas), places, stations with
 * their fields in a popup, trucks grouped at their depots, orders, and plan routes drawn apart
 * by a pixel offset per route (they stay apart on a shared road at every zoom), highlighted on
 * hover and toggled one by one. Labels are placed by priority and hidden where they would
 * overprint a label placed before them, after every zoom and pan.
 *
 *   var m = H2Map.create(element, {basemap, places, stations, trucks, orders, routes, legend});
 *   m.setRoutes([...]); m.setRouteVisible(id, false); m.highlight(id); m.fit();
 */
(function (root) {
  'use strict';
  if (typeof L === 'undefined') { root.H2Map = null; return; } /* Leaflet not installed */
  var COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#8250df', '#bf8700', '#0a7ea4', '#e16f24',
    '#6e7781', '#bf3989', '#116329'];
  var ATTRIBUTION = '© OpenStreetMap contributors';
  var SPACING = 4; /* px between routes sharing a road */

  function esc(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  function num(v, digits) {
    if (v === null || v === undefined || v === '') return '–';
    return Number(v).toLocaleString('en', {maximumFractionDigits: digits === undefined ? 1 : digits});
  }

  /* The projected polyline shifted sideways by d pixels (mitred corners, mitre capped).
   * With ``ref`` (a screen direction) every segment shifts to the side ``ref`` points to, not
   * to the left of its own direction: a route that comes back on the road it went out on stays
   * on one side, so two trucks on a round trip never swap sides. */
  function offsetPoints(pts, d, ref) {
    var clean = [];
    for (var i = 0; i < pts.length; i++) {
      var last = clean[clean.length - 1];
      if (!last || Math.abs(last.x - pts[i].x) > 0.01 || Math.abs(last.y - pts[i].y) > 0.01) clean.push(pts[i]);
    }
    var n = clean.length;
    if (n < 2) return clean;
    var normals = [];
    for (i = 0; i < n - 1; i++) {
      var dx = clean[i + 1].x - clean[i].x, dy = clean[i + 1].y - clean[i].y;
      var len = Math.sqrt(dx * dx + dy * dy), nx0 = -dy / len, ny0 = dx / len;
      if (ref && nx0 * ref[0] + ny0 * ref[1] < 0) { nx0 = -nx0; ny0 = -ny0; }
      normals.push([nx0, ny0]);
    }
    var out = new Array(n);
    for (i = 0; i < n; i++) {
      var a = normals[Math.max(0, i - 1)], b = normals[Math.min(n - 2, i)];
      var nx = a[0] + b[0], ny = a[1] + b[1], l = Math.sqrt(nx * nx + ny * ny);
      if (l < 1e-6) { nx = b[0]; ny = b[1]; l = 1; }
      nx /= l; ny /= l;
      var k = d / Math.max(nx * b[0] + ny * b[1], 0.5);
      out[i] = L.point(clean[i].x + nx * k, clean[i].y + ny * k);
    }
    return out;
  }

  /* The screen direction across the routes' main axis (principal axis of their points). */
  function across(routes) {
    var sx = 0, sy = 0, m = 0, pts = [];
    routes.forEach(function (r) {
      (r.coords || []).forEach(function (c) { pts.push([c[1] * Math.cos(c[0] * Math.PI / 180), c[0]]); });
    });
    pts.forEach(function (p) { sx += p[0]; sy += p[1]; m++; });
    if (m < 2) return null;
    sx /= m; sy /= m;
    var xx = 0, xy = 0, yy = 0;
    pts.forEach(function (p) { var x = p[0] - sx, y = p[1] - sy; xx += x * x; xy += x * y; yy += y * y; });
    var angle = 0.5 * Math.atan2(2 * xy, xx - yy); /* major axis, east/north */
    var ex = Math.cos(angle), ny = Math.sin(angle);
    return [ny, ex]; /* perpendicular in screen coordinates (y grows southwards) */
  }

  var OffsetLine = L.Polyline.extend({
    _project: function () {
      L.Polyline.prototype._project.call(this);
      var d = this.options.offset || 0;
      if (!d) return;
      for (var i = 0; i < this._rings.length; i++) this._rings[i] = offsetPoints(this._rings[i], d, this.options.across);
      if (this._rawPxBounds) {
        var p = L.point(Math.abs(d), Math.abs(d));
        this._rawPxBounds = L.bounds(this._rawPxBounds.min.subtract(p), this._rawPxBounds.max.add(p));
        this._updateBounds();
      }
    },
    setOffset: function (d) {
      this.options.offset = d;
      return this.redraw();
    }
  });

  /* Two labels with one key (a place and a route's end there) show once: the first placed. */
  function where(p) { return p.lat.toFixed(3) + ',' + p.lon.toFixed(3); }

  /* Permanent labels placed by priority (lower first); a label that would overlap one placed
   * before it, or that is below its minimum zoom, is hidden until the view changes. */
  function Labels(map) {
    this.map = map;
    this.items = [];
    var self = this;
    /* after the frame: Leaflet moves the tooltips in its own handlers of the same events */
    map.on('zoomend moveend resize', function () { self.later(); });
  }
  Labels.prototype.later = function () {
    var self = this;
    if (this._frame) return;
    this._frame = requestAnimationFrame(function () { self._frame = null; self.update(); });
  };
  Labels.prototype.add = function (layer, text, priority, opts) {
    opts = opts || {};
    layer.bindTooltip(esc(text), {
      permanent: true, interactive: false, direction: opts.direction || 'right',
      offset: opts.offset || [8, 0], className: 'h2-label ' + (opts.className || '')
    });
    this.items.push({layer: layer, priority: priority, minZoom: opts.minZoom || 0, seq: this.items.length,
      key: opts.key || null});
  };
  Labels.prototype.remove = function (layers) {
    var drop = new Set(layers);
    this.items = this.items.filter(function (it) { return !drop.has(it.layer); });
  };
  /* Place labels in priority order: to the right of the marker, else to its left, else hidden
   * (overlapping a label placed before it, a map control, or the map's edge). */
  Labels.prototype.update = function () {
    var zoom = this.map.getZoom();
    var live = [];
    this.items.forEach(function (it) {
      var tt = it.layer.getTooltip && it.layer.getTooltip();
      var el = tt && tt.getElement && tt.getElement();
      if (!el || !it.layer._map) return;
      el.classList.remove('h2-hidden');
      el.style.marginLeft = '';
      live.push({it: it, el: el});
    });
    live.sort(function (a, b) { return a.it.priority - b.it.priority || a.it.seq - b.it.seq; });
    var rects = live.map(function (x) { return x.el.getBoundingClientRect(); });
    var box = this.map.getContainer().getBoundingClientRect();
    var placed = [];
    this.map.getContainer().querySelectorAll('.leaflet-control').forEach(function (c) {
      var r = c.getBoundingClientRect();
      if (r.width) placed.push({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
    });
    var free = function (r) {
      if (r.left < box.left || r.right > box.right || r.top < box.top || r.bottom > box.bottom) return false;
      for (var j = 0; j < placed.length; j++) {
        var q = placed[j];
        if (r.left < q.right + 2 && r.right > q.left - 2 && r.top < q.bottom + 1 && r.bottom > q.top - 1) return false;
      }
      return true;
    };
    var keys = {};
    for (var i = 0; i < live.length; i++) {
      var r = rects[i], key = live[i].it.key;
      if (zoom < live[i].it.minZoom || r.width === 0 || (key && keys[key])) { live[i].el.classList.add('h2-hidden'); continue; }
      var shift = r.width + 16;
      var left = {left: r.left - shift, right: r.right - shift, top: r.top, bottom: r.bottom};
      if (free(r)) placed.push(r);
      else if (free(left)) { live[i].el.style.marginLeft = -shift + 'px'; placed.push(left); }
      else { live[i].el.classList.add('h2-hidden'); continue; }
      if (key) keys[key] = true;
    }
  };

  function stationPopup(s) {
    var has = function (v) { return v !== null && v !== undefined && v !== ''; };
    var rows = [
      ['Capacity', has(s.capacity_kg_per_day) ? num(s.capacity_kg_per_day, 0) + ' kg/day' : null],
      ['Dispensers', has(s.dispensers) ? num(s.dispensers, 0) + (s.nozzle_flow_g_s ? ' × ' + num(s.nozzle_flow_g_s) + ' g/s' : '') : null],
      ['Pressure', has(s.pressure_mpa) ? num(s.pressure_mpa, 0) + ' MPa' : null],
      ['Price', has(s.price) ? num(s.price, 2) + ' CNY/kg' : null],
      ['Opening hours', has(s.opening_hours) ? s.opening_hours : null],
      ['Storage', has(s.storage_kg) ? num(s.storage_kg, 0) + ' kg' : null],
      ['Supplied by', has(s.supplied_by) ? s.supplied_by : null]
    ].concat(s.rows || []).filter(function (r) { return r[1] !== null; });
    return '<div class="h2-popup"><b>' + esc(s.name) + '</b>' + (s.id && s.id !== s.name ? '<br><small>' + esc(s.id) + '</small>' : '') +
      (rows.length ? '<table>' + rows.map(function (r) { return '<tr><th>' + esc(r[0]) + '</th><td>' + esc(r[1]) + '</td></tr>'; }).join('') + '</table>' : '') +
      '</div>';
  }

  function H2Map(el, opts) {
    opts = opts || {};
    this.opts = opts;
    this.canvas = L.canvas({padding: 0.3});
    this.svg = L.svg({padding: 0.3});
    var map = this.map = L.map(el, {preferCanvas: false, zoomSnap: 0.25, minZoom: 4, maxZoom: 16,
      renderer: this.svg, attributionControl: true});
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    map.attributionControl.addAttribution('Road data ' + ATTRIBUTION + ' (ODbL)');
    L.control.scale({imperial: false, position: 'bottomleft'}).addTo(map);
    this.labels = new Labels(map);
    this.groups = {
      roads: L.layerGroup().addTo(map),
      orders: L.layerGroup(),
      trucks: L.layerGroup().addTo(map),
      stations: L.layerGroup().addTo(map),
      places: L.layerGroup().addTo(map),
      routes: L.layerGroup().addTo(map)
    };
    this.routes = [];
    this.onHover = opts.onHover || null;
    map.setView([38.3, 114.5], 7);
    if (opts.basemap) this.setBasemap(opts.basemap);
    if (opts.places) this.setPlaces(opts.places);
    if (opts.stations) this.setStations(opts.stations);
    if (opts.trucks) this.setTrucks(opts.trucks);
    if (opts.orders) this.setOrders(opts.orders);
    if (opts.layers !== false) this._layerControl();
    if (opts.routes) this.setRoutes(opts.routes);
  }

  H2Map.prototype._layerControl = function () {
    var self = this;
    var all = {roads: 'Roads', stations: 'Stations', places: 'Places', trucks: 'Trucks', orders: 'Orders'};
    var names = {};
    (Array.isArray(this.opts.layers) ? this.opts.layers : Object.keys(all)).forEach(function (k) { names[k] = all[k]; });
    var Ctl = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create('details', 'leaflet-bar h2-layers');
        if (window.innerWidth > 600) div.open = true;
        div.innerHTML = '<summary>Layers</summary>' + Object.keys(names).map(function (k) {
          var on = self.map.hasLayer(self.groups[k]) ? ' checked' : '';
          return '<label><input type="checkbox" data-layer="' + k + '"' + on + '> ' + names[k] + '</label>';
        }).join('');
        L.DomEvent.disableClickPropagation(div);
        div.addEventListener('change', function (e) {
          var k = e.target.getAttribute('data-layer');
          if (!k) return;
          if (e.target.checked) self.groups[k].addTo(self.map); else self.map.removeLayer(self.groups[k]);
          self.labels.update();
        });
        return div;
      }
    });
    new Ctl({position: 'topright'}).addTo(this.map);
  };

  H2Map.prototype.setBasemap = function (geojson) {
    this.groups.roads.clearLayers();
    L.geoJSON(geojson, {
      renderer: this.canvas, interactive: false, smoothFactor: 1.5,
      style: function () { return {color: '#b8bfc8', weight: 1, opacity: 0.9}; }
    }).addTo(this.groups.roads);
  };

  H2Map.prototype.setPlaces = function (places) {
    var g = this.groups.places, self = this;
    this.labels.remove(g.getLayers());
    g.clearLayers();
    places.forEach(function (p) {
      var m = L.circleMarker([p.lat, p.lon], {radius: 3.5, color: '#1f2328', weight: 1.5,
        fillColor: '#fff', fillOpacity: 1, className: 'h2-place'}).addTo(g);
      self.labels.add(m, p.name, p.priority === undefined ? 2 : p.priority, {className: 'h2-place-label', key: where(p)});
    });
    this.labels.update();
  };

  H2Map.prototype.setStations = function (stations) {
    var g = this.groups.stations, self = this;
    this.labels.remove(g.getLayers());
    g.clearLayers();
    this.stationLayers = {};
    stations.forEach(function (s) {
      var m = L.marker([s.lat, s.lon], {
        icon: L.divIcon({className: 'h2-station' + (s.kind ? ' h2-station-' + s.kind : ''), iconSize: [11, 11], html: ''}),
        title: s.name, keyboard: false, riseOnHover: true
      }).bindPopup(stationPopup(s)).addTo(g);
      m.getElement && m.getElement() && m.getElement().setAttribute('data-station', s.id);
      self.stationLayers[s.id] = m;
      if (s.label !== false) self.labels.add(m, s.label || s.name, s.priority === undefined ? 4 : s.priority,
        {className: 'h2-station-label', minZoom: s.minZoom === undefined ? 8 : s.minZoom, offset: [8, 0]});
    });
    this.labels.update();
  };

  /* A number on each station's marker (e.g. its fills in the current plans); {} clears them. */
  H2Map.prototype.setStationBadges = function (counts) {
    var layers = this.stationLayers || {};
    Object.keys(layers).forEach(function (id) {
      var el = layers[id].getElement();
      if (!el) return;
      var n = counts[id];
      el.innerHTML = n ? '<span class="h2-badge" title="' + esc(n) + '">' + esc(n) + '</span>' : '';
    });
  };

  /* Trucks grouped by position (their depot): one marker per group, sized by count. */
  H2Map.prototype.setTrucks = function (trucks) {
    var g = this.groups.trucks;
    g.clearLayers();
    var groups = {};
    trucks.forEach(function (t) {
      var at = t.depot || t;
      if (at.lat === undefined || at.lat === null) return;
      var key = at.lat.toFixed(4) + ',' + at.lon.toFixed(4);
      (groups[key] = groups[key] || {lat: at.lat, lon: at.lon, name: at.name, ids: []}).ids.push(t.id);
    });
    var canvas = this.canvas;
    Object.keys(groups).forEach(function (k) {
      var d = groups[k], n = d.ids.length;
      var list = d.ids.slice(0, 12).join(', ') + (n > 12 ? ', …' : '');
      L.circleMarker([d.lat, d.lon], {renderer: canvas, radius: Math.min(18, 5 + 2 * Math.sqrt(n)),
        color: '#fff', weight: 2, fillColor: '#0a7ea4', fillOpacity: 0.85})
        .bindTooltip(esc((d.name || 'depot') + ': ' + n + ' truck' + (n === 1 ? '' : 's') + ' (' + list + ')'))
        .addTo(g);
    });
  };

  /* Orders as dashed lines origin → destination, one per pair with the count. */
  H2Map.prototype.setOrders = function (orders) {
    var g = this.groups.orders;
    g.clearLayers();
    var pairs = {};
    orders.forEach(function (o) {
      if (!o.origin || !o.destination) return;
      var key = o.origin.name + '→' + o.destination.name;
      (pairs[key] = pairs[key] || {a: o.origin, b: o.destination, ids: [], t: 0}).ids.push(o.id);
      pairs[key].t += Number(o.tonnes) || 0;
    });
    var canvas = this.canvas;
    Object.keys(pairs).forEach(function (k) {
      var p = pairs[k];
      L.polyline([[p.a.lat, p.a.lon], [p.b.lat, p.b.lon]], {renderer: canvas, color: '#8250df',
        weight: 1.5, dashArray: '4 4', opacity: 0.7})
        .bindTooltip(esc(k + ': ' + p.ids.length + ' order(s), ' + num(p.t, 0) + ' t'), {sticky: true})
        .addTo(g);
    });
  };

  /* routes: [{id, label, color, coords: [[lat, lon], …], stops: [{lat, lon, label, title}],
   *           ends: [{lat, lon, label}]}] */
  H2Map.prototype.setRoutes = function (routes) {
    var g = this.groups.routes, self = this;
    this.labels.remove(this._routeLabelled || []);
    this._routeLabelled = [];
    g.clearLayers();
    this.routes = [];
    var n = routes.length, ref = across(routes);
    routes.forEach(function (r, i) {
      var color = r.color || COLORS[i % COLORS.length];
      var offset = r.offset !== undefined ? r.offset : (n > 1 && self.opts.spread !== false ? (i - (n - 1) / 2) * SPACING : 0);
      var line = new OffsetLine(r.coords, {color: color, weight: r.weight || (n > 3 ? 3 : 4), opacity: r.opacity || 0.9, offset: offset,
        dashArray: r.dashArray || null, lineJoin: 'round', className: 'h2-route h2-route-' + i, across: ref});
      line.bindTooltip(esc(r.label || r.id), {sticky: true});
      var layer = L.featureGroup([line]);
      (r.stops || []).forEach(function (s) {
        var m = L.circleMarker([s.lat, s.lon], {radius: 6, color: color, weight: 3, fillColor: '#1a7f37',
          fillOpacity: 1, className: 'h2-stop'});
        if (s.title) m.bindPopup(esc(s.title));
        m.addTo(layer);
        if (s.label) { self.labels.add(m, s.label, 1, {className: 'h2-stop-label'}); self._routeLabelled.push(m); }
      });
      (r.ends || []).forEach(function (e) {
        var m = L.circleMarker([e.lat, e.lon], {radius: 6, color: color, weight: 3, fillColor: '#fff',
          fillOpacity: 1, className: 'h2-end'}).addTo(layer);
        if (e.label) { self.labels.add(m, e.label, 0, {className: 'h2-end-label', key: where(e)}); self._routeLabelled.push(m); }
      });
      layer.on('mouseover', function () { self.highlight(r.id); if (self.onHover) self.onHover(r.id); });
      layer.on('mouseout', function () { self.highlight(null); if (self.onHover) self.onHover(null); });
      layer.addTo(g);
      self.routes.push({id: r.id, label: r.label, color: color, layer: layer, line: line, visible: true,
        weight: r.weight || (n > 3 ? 3 : 4), opacity: r.opacity || 0.9});
    });
    if (this.opts.legend) this._routeLegend();
    this.labels.update();
  };

  H2Map.prototype.route = function (id) {
    for (var i = 0; i < this.routes.length; i++) if (this.routes[i].id === id) return this.routes[i];
    return null;
  };

  H2Map.prototype.setRouteVisible = function (id, on) {
    var r = this.route(id);
    if (!r) return;
    r.visible = on;
    if (on) r.layer.addTo(this.groups.routes); else this.groups.routes.removeLayer(r.layer);
    if (this._legendDiv) {
      var box = this._legendDiv.querySelector('input[data-route="' + CSS.escape(id) + '"]');
      if (box) box.checked = on;
    }
    this.labels.update();
  };

  H2Map.prototype.highlight = function (id) {
    this.routes.forEach(function (r) {
      var on = id === null || r.id === id;
      r.line.setStyle({weight: id !== null && r.id === id ? r.weight + 3 : r.weight, opacity: on ? r.opacity : 0.3});
      if (id !== null && r.id === id && r.visible) r.layer.bringToFront();
    });
    if (this._legendDiv) {
      this._legendDiv.querySelectorAll('label').forEach(function (l) {
        l.classList.toggle('h2-hot', l.getAttribute('data-route') === id);
      });
    }
  };

  H2Map.prototype._routeLegend = function () {
    var self = this;
    if (this._legend) this.map.removeControl(this._legend);
    var Ctl = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create('div', 'leaflet-bar h2-legend');
        div.innerHTML = '<b>Routes</b>' + self.routes.map(function (r) {
          return '<label data-route="' + esc(r.id) + '"><input type="checkbox" checked data-route="' + esc(r.id) +
            '"><i style="background:' + r.color + '"></i>' + esc(r.label || r.id) + '</label>';
        }).join('');
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        div.addEventListener('change', function (e) {
          var id = e.target.getAttribute('data-route');
          if (id !== null) self.setRouteVisible(id, e.target.checked);
        });
        div.addEventListener('mouseover', function (e) {
          var l = e.target.closest('label');
          if (l) self.highlight(l.getAttribute('data-route'));
        });
        div.addEventListener('mouseleave', function () { self.highlight(null); });
        self._legendDiv = div;
        return div;
      }
    });
    this._legend = new Ctl({position: 'topright'}).addTo(this.map);
  };

  /* Fit the routes, else the stations and places. */
  H2Map.prototype.fit = function (padding) {
    var b = L.latLngBounds([]);
    this.routes.forEach(function (r) { if (r.visible) b.extend(r.layer.getBounds()); });
    if (!b.isValid()) {
      ['stations', 'places', 'trucks'].forEach(function (k) {
        this.groups[k].eachLayer(function (l) { if (l.getLatLng) b.extend(l.getLatLng()); });
      }, this);
    }
    var corner = this.map.getContainer().querySelector('.leaflet-top.leaflet-right');
    var size = this.map.getSize();
    var right = size.x < 500 ? 24 : Math.min(corner ? corner.offsetWidth + 16 : 24, size.x * 0.35);
    if (b.isValid()) this.map.fitBounds(b, padding ? {padding: padding} : {paddingTopLeft: [24, 24], paddingBottomRight: [right, 24]});
    this.labels.update();
  };

  root.H2Map = {
    create: function (el, opts) { return new H2Map(el, opts); },
    COLORS: COLORS, esc: esc, num: num, offsetPoints: offsetPoints, stationPopup: stationPopup
  };
})(typeof window !== 'undefined' ? window : this);
