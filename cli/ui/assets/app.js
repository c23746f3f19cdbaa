// SPDX-License-Identifier: Apache-2.0
// netctl ui's page: draws the SVG netctl renders (libgvc), redraws it when
// netd's events say something changed (Server-Sent Events from netctl),
// shows a container's endpoints, ports and DNS names on click, and lights up
// the hops of `GET /explain` on the picture. Same origin only; no library.
'use strict';

const state = { topology: null, drawing: null, again: false, selected: null, hops: [] };
// a page load leaves this mark; a test reads it to know the page never reloaded
window.__netdUiLoad = window.__netdUiLoad || (Date.now() + '-' + Math.random());

const $ = (sel) => document.querySelector(sel);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
function setStatus(text, bad) {
  const s = $('#status');
  s.textContent = text;
  s.dataset.state = bad ? 'error' : 'ok';
}

async function getJSON(url) {
  const r = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  const t = await r.text();
  let j = null;
  try { j = t ? JSON.parse(t) : null; } catch (e) { /* not JSON */ }
  if (!r.ok) throw new Error((j && j.message) || t || ('HTTP ' + r.status));
  return j;
}

// one drawing at a time; a change during a drawing asks for one more
async function redraw() {
  if (state.drawing) { state.again = true; return; }
  state.drawing = (async () => {
    try {
      const [svgResp, topo] = await Promise.all([
        fetch('/api/topology.svg', { credentials: 'same-origin', cache: 'no-store' }),
        getJSON('/api/topology'),
      ]);
      const svg = await svgResp.text();
      if (!svgResp.ok) throw new Error(svg);
      state.topology = topo;
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      const root = doc.documentElement;
      if (root.nodeName !== 'svg') throw new Error('netctl sent no SVG');
      const g = $('#graph');
      g.replaceChildren(document.importNode(root, true));
      g.dataset.generation = String(topo.Generation || 0);
      g.dataset.containers = countContainers(topo);
      wireClicks();
      highlight(state.hops);
      if (state.selected) select(state.selected.host, state.selected.id, false);
      setStatus('live · ' + new Date().toLocaleTimeString());
    } catch (e) {
      setStatus('error: ' + e.message, true);
    }
  })();
  await state.drawing;
  state.drawing = null;
  if (state.again) { state.again = false; redraw(); }
}

function countContainers(topo) {
  return (topo.Hosts || []).reduce((n, h) => n + (h.Containers || []).length, 0);
}

// cluster ids: "ctr:<id>" (host 0) or "ctr:<id>@<host>"; a kernel object's
// node shows what it is and the command that shows it
function wireClicks() {
  for (const g of document.querySelectorAll('#graph g.cluster')) {
    const m = /^ctr:([0-9a-f]{64})(?:@(\d+))?$/.exec(g.id);
    if (!m) continue;
    g.addEventListener('click', () => select(Number(m[2] || 0), m[1], true));
  }
  for (const g of document.querySelectorAll('#graph g.node.link, #graph g.node.port')) {
    g.style.cursor = 'pointer';
    g.addEventListener('click', (ev) => { ev.stopPropagation(); showObject(g); });
  }
}

// the topology's record of a drawn link: a network's, a host end, or a sandbox interface
function findLink(host, id) {
  const h = state.topology && state.topology.Hosts && state.topology.Hosts[host];
  if (!h) return null;
  for (const n of h.Networks || [])
    for (const l of n.Links || []) if (l.Name === id) return Object.assign({ Network: n.Name }, l);
  const ctrs = h.Containers || [], sbs = h.Sandboxes || [];
  for (const e of h.Endpoints || []) {
    if (e.HostLink && e.HostLink.Name === id) return Object.assign({ Endpoint: e.Name + ':' + e.IfName }, e.HostLink);
    const c = ctrs.find((x) => x.SandboxId === e.SandboxId), sb = sbs.find((x) => x.Id === e.SandboxId);
    const who = c ? c.Name : (sb && sb.Name) || e.SandboxId;
    if (e.Interface && who + ':' + e.IfName === id) return Object.assign({ Sandbox: e.SandboxId.slice(0, 12) }, e.Interface);
  }
  return null;
}

function showObject(g) {
  state.selected = null;
  for (const s of document.querySelectorAll('#graph g.selected')) s.classList.remove('selected');
  g.classList.add('selected');
  const m = /^(.*?)(?:@(\d+))?$/.exec(g.id);
  const a = g.querySelector('a');
  const tip = (a && (a.getAttributeNS('http://www.w3.org/1999/xlink', 'title') || a.getAttribute('xlink:title'))) || '';
  // "<id>  $ <command>" (graphviz writes the second space as a no-break space)
  const parts = tip.split(/\s+\$\s+/);
  const cmd = parts.length > 1 ? parts[1] : '';
  const rec = findLink(Number(m[2] || 0), m[1]);
  const box = $('#details');
  const t = el('table', { id: 'object' });
  for (const [k, v] of Object.entries(rec || {}))
    t.append(el('tr', {}, el('th', {}, k), el('td', {}, Array.isArray(v) ? v.join(', ') : String(v))));
  box.replaceChildren(el('h2', {}, m[1]), cmd ? el('p', {}, 'see it: ', el('code', { class: 'cmd' }, cmd)) : '', t);
}

async function select(host, id, scroll) {
  state.selected = { host, id };
  for (const g of document.querySelectorAll('#graph g.selected')) g.classList.remove('selected');
  const g = document.getElementById('ctr:' + id + (host ? '@' + host : ''));
  if (g) g.classList.add('selected');
  const box = $('#details');
  try {
    const c = await getJSON('/api/container?host=' + host + '&id=' + encodeURIComponent(id));
    box.replaceChildren(el('h2', {}, 'Container ' + (c.Name || '').replace(/^\//, '')), containerView(c, host));
    if (scroll) box.scrollIntoView({ block: 'nearest' });
  } catch (e) {
    box.replaceChildren(el('h2', {}, 'Details'), el('p', { class: 'err' }, e.message));
  }
}

function containerView(c, host) {
  const name = (c.Name || '').replace(/^\//, '');
  const nets = (c.NetworkSettings && c.NetworkSettings.Networks) || {};
  const topoHost = state.topology && state.topology.Hosts && state.topology.Hosts[host];
  const eps = (topoHost && topoHost.Endpoints || []).filter((e) => e.ContainerId === c.Id);
  const frag = document.createDocumentFragment();
  frag.append(el('p', {}, 'id ', el('code', {}, c.Id.slice(0, 12)), ' · ', (c.State && c.State.Status) || '',
    ' · image ', (c.Config && c.Config.Image) || ''));
  const t = el('table', { id: 'endpoints' }, el('tr', {}, el('th', {}, 'network'), el('th', {}, 'interface'),
    el('th', {}, 'address'), el('th', {}, 'DNS names')));
  for (const [net, n] of Object.entries(nets)) {
    const ep = eps.find((e) => e.Id === n.EndpointID);
    const ifc = ep ? ep.IfName + (ep.HostLink ? ' ⇄ ' + ep.HostLink.Name : '') : '';
    const dns = new Set([name, ...(n.Aliases || []), ...(n.DNSNames || []), c.Id.slice(0, 12)].filter(Boolean));
    t.append(el('tr', {}, el('td', {}, net), el('td', {}, ifc),
      el('td', {}, [n.IPAddress && n.IPAddress + '/' + n.IPPrefixLen, n.GlobalIPv6Address, n.MacAddress]
        .filter(Boolean).join('\n')),
      el('td', { class: 'dns' }, [...dns].join(', '))));
  }
  frag.append(el('h2', {}, 'Endpoints'), t);
  const ports = (c.NetworkSettings && c.NetworkSettings.Ports) || {};
  const pt = el('table', { id: 'ports' }, el('tr', {}, el('th', {}, 'container'), el('th', {}, 'published on')));
  for (const [p, binds] of Object.entries(ports))
    pt.append(el('tr', {}, el('td', {}, p), el('td', {}, (binds || []).map((b) => (b.HostIp || '*') + ':' + b.HostPort).join(', ') || '—')));
  frag.append(el('h2', {}, 'Ports'), pt);
  return frag;
}

// the picture's node ids are kernel object names ("br-3f2a…", "veth1a2b…",
// "<container>:eth0", "port:tcp/8080"); a hop's object ("vethab12 master
// br-3f2a", "eth0 of c1") lights every node it names as a word, a sandbox's
// interface when it names both the container and the interface
function highlight(hops) {
  for (const g of document.querySelectorAll('#graph g.hop')) g.classList.remove('hop');
  const nodes = [...document.querySelectorAll('#graph g.node, #graph g.cluster')];
  let lit = 0;
  for (const h of hops) {
    const obj = String(h.object || '');
    if (!obj) continue;
    const words = obj.split(/[\s,;()=]+/).filter(Boolean);
    for (const g of nodes) {
      const id = g.id.replace(/@\d+$/, '');
      const bare = id.replace(/^(ctr|sb|net):/, '');
      const [who, ifn] = bare.split(':');
      if (id === obj || words.includes(id) || words.includes(bare) ||
          (ifn && !id.startsWith('port:') && words.includes(who) && words.includes(ifn))) {
        if (!g.classList.contains('hop')) lit++;
        g.classList.add('hop');
      }
    }
  }
  return lit;
}

async function explain(ev) {
  ev.preventDefault();
  const f = new FormData($('#explain'));
  const q = new URLSearchParams();
  for (const k of ['src', 'dst', 'port', 'proto']) if (f.get(k)) q.set(k, f.get(k));
  const out = $('#explain-out');
  out.replaceChildren(el('p', { class: 'hint' }, 'asking netd…'));
  try {
    const r = await getJSON('/api/explain?' + q.toString());
    state.hops = r.hops || [];
    const n = highlight(state.hops);
    const v = r.verdict || {};
    const list = el('ol', {});
    for (const h of state.hops)
      list.append(el('li', {}, el('b', {}, h.kind || ''), ' ', el('code', {}, h.object || ''), ' — ', h.detail || ''));
    out.replaceChildren(el('p', { class: 'verdict-' + (v.result || '') }, (v.result || '?') + ': ' + (v.reason || '')),
      list, el('p', { class: 'hint' }, n + ' object(s) lit on the picture'));
  } catch (e) {
    state.hops = [];
    highlight([]);
    out.replaceChildren(el('p', { class: 'err' }, 'explain: ' + e.message));
  }
}

function listen() {
  const es = new EventSource('/api/events');
  es.addEventListener('change', (m) => {
    let d = {};
    try { d = JSON.parse(m.data); } catch (e) { /* keep going */ }
    if (d.event) {
      const log = $('#event-log');
      log.prepend(el('li', {}, d.event));
      while (log.children.length > 50) log.lastChild.remove();
    }
    redraw();
  });
  es.onerror = () => setStatus('reconnecting to netctl…', true);
}

document.addEventListener('DOMContentLoaded', () => {
  $('#explain').addEventListener('submit', explain);
  $('#explain-clear').addEventListener('click', () => { state.hops = []; highlight([]); $('#explain-out').replaceChildren(); });
  redraw();
  listen();
});
