/* Campus Inspect offline: registers the service worker, and keeps what is submitted without
   signal in a queue on the phone (IndexedDB) until it is sent through the JSON API with its
   client-made UUID, so a retry never makes a second record. The contract for forms is in
   static/offline.md. Also loaded by the service worker (without a document) for Background Sync. */
(function (self) {
  "use strict";
  var STORE = "queue", nav = self.navigator, doc = self.document, token = null, who = null;

  function idb() {
    return new Promise(function (ok, fail) {
      var r = indexedDB.open("campus-inspect", 1);
      r.onupgradeneeded = function () { r.result.createObjectStore(STORE, {keyPath: "id"}); };
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { fail(r.error); };
    });
  }
  function tx(mode, fn) {
    return idb().then(function (db) {
      return new Promise(function (ok, fail) {
        var t = db.transaction(STORE, mode), req = fn(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); ok(req.result); };
        t.onerror = t.onabort = function () { db.close(); fail(t.error); };
      });
    });
  }
  function all() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (list) {
      return list.sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; });
    });
  }
  function put(e) { return tx("readwrite", function (s) { return s.put(e); }); }
  function del(id) { return tx("readwrite", function (s) { return s.delete(id); }); }

  function uuid() {
    if (self.crypto.randomUUID) { return self.crypto.randomUUID(); }
    var b = self.crypto.getRandomValues(new Uint8Array(16)), h = "";
    b[6] = b[6] & 15 | 64; b[8] = b[8] & 63 | 128;
    b.forEach(function (x, i) { h += ([4, 6, 8, 10].indexOf(i) >= 0 ? "-" : "") + (x + 256).toString(16).slice(1); });
    return h;
  }

  /* A request with the session's CSRF token; an expired token is renewed once. */
  function me() {
    return fetch("/api/v1/me", {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      if (r.status === 401) { throw {auth: true}; }
      if (!r.ok) { throw {net: true}; }
      return r.json();
    }, function () { throw {net: true}; }).then(function (b) { who = b.username; token = b.csrf_token; });
  }
  function call(url, method, body, again) {
    return (token ? Promise.resolve() : me()).then(function () {
      var h = {"X-CSRFToken": token, "Accept": "application/json"}, data = body;
      if (!(body instanceof FormData)) { h["Content-Type"] = "application/json"; data = JSON.stringify(body); }
      return fetch(url, {method: method, body: data, headers: h, credentials: "same-origin"})
        .catch(function () { throw {net: true}; });
    }).then(function (r) {
      if (r.ok) { return r; }
      if (r.status === 401) { throw {auth: true}; }
      if (r.status >= 500 || r.status === 429) { throw {net: true}; }
      return r.json().catch(function () { return {}; }).then(function (b) {
        if (b.error === "csrf_failed") {
          token = null;
          if (!again) { return call(url, method, body, true); }
          throw {net: true};
        }
        var fields = b.fields ? Object.keys(b.fields).map(function (k) { return b.fields[k]; }) : [];
        throw {status: r.status, message: [b.message || "HTTP " + r.status].concat(fields).join(" ")};
      });
    });
  }

  function setPath(obj, path, value) {
    var keys = path.split("."), last = keys.pop();
    keys.forEach(function (k) { obj = obj[k] = obj[k] || {}; });
    if (/\[\]$/.test(last)) { last = last.slice(0, -2); (obj[last] = obj[last] || []).push(value); }
    else { obj[last] = value; }
  }

  function send(e) {
    if (e.user && e.user !== who) { return Promise.resolve(); } /* another person's */
    var json = JSON.parse(JSON.stringify(e.json)), chain = Promise.resolve();
    (e.photos || []).forEach(function (p) {
      chain = chain.then(function () {
        var f = new FormData();
        f.append("id", p.id);
        f.append("file", p.blob, p.name || "photo.jpg");
        return call("/api/v1/photos", "POST", f);
      }).then(function () { setPath(json, p.field, p.id); });
    });
    return chain.then(function () { return call(e.url, e.method || "POST", json); })
      .then(function () { return del(e.id); }, function (err) {
        if (err.net) { throw err; }
        if (err.auth) { throw err; }
        e.state = "failed";
        e.error = err.message || "";
        return put(e);
      });
  }

  /* Send everything waiting, oldest first; stops at the first sign of no signal. */
  var running = null;
  function flush() {
    if (running) { return running; }
    function run() {
      token = who = null;
      return all().then(function (list) {
        list = list.filter(function (e) { return e.state !== "failed"; });
        var chain = list.length ? me() : Promise.resolve();
        list.forEach(function (e) { chain = chain.then(function () { return send(e); }); });
        return chain.catch(function (err) {
          if (err && err.auth) { /* the session ended: keep them, ask to sign in */
            return all().then(function (left) {
              return Promise.all(left.map(function (e) {
                if (e.state !== "failed") { e.state = "auth"; return put(e); }
              }));
            });
          }
        });
      }).catch(function () {});
    }
    running = (nav.locks ? nav.locks.request("ci-queue", run) : run()).then(function () {
      running = null; return render();
    });
    return running;
  }

  function add(e) {
    e.created_at = new Date().toISOString();
    e.state = "pending";
    return put(e).then(render).then(function () {
      if (nav.serviceWorker) {
        nav.serviceWorker.ready.then(function (r) { return r.sync && r.sync.register("ci-queue"); })
          .catch(function () {});
      }
      if (nav.onLine) { flush(); }
    });
  }

  self.CIQueue = {all: all, add: add, flush: flush, put: put, del: del, uuid: uuid};
  function render() { return self.CIQueue.render ? self.CIQueue.render() : null; }
  if (!doc) { return; }

  /* ---- pages ---- */
  var $ = function (s, root) { return (root || doc).querySelector(s); };
  var badge, panel, T = {}, used, ls = self.localStorage;
  try { used = JSON.parse(ls.getItem("ci-used") || "[]"); } catch (x) { used = []; }

  function use(id) {
    if (id && used.indexOf(id) < 0) { used = used.concat(id).slice(-200); ls.setItem("ci-used", JSON.stringify(used)); }
  }
  function idField(form) { return form.elements[form.hasAttribute("data-stamp-time") ? "check_id" : (form.dataset.offlineId || "id")]; }
  function isOurs(form) { return form.matches && form.matches("form[data-stamp-time][data-checkpoint], form[data-offline]"); }

  function checkPayload(form, btn) {
    var allOk = !!btn && btn.name === "all_ok", items = {}, notes = {}, photos = [], el = form.elements;
    form.querySelectorAll("input[type=radio][name^='item-']").forEach(function (r) {
      var k = r.name.slice(5);
      if (!items[k] || (r.checked && !allOk)) { items[k] = r.checked && !allOk ? r.value : "ok"; }
    });
    if (!allOk) {
      form.querySelectorAll("input[name^='note-']").forEach(function (i) {
        if (i.value.trim()) { notes[i.name.slice(5)] = i.value.trim(); }
      });
      form.querySelectorAll("input[type=file][name^='photo-']").forEach(function (i) {
        var k = i.name.slice(6), f = i.files[0];
        if (f && items[k] === "fault") { photos.push({field: "photos." + k, blob: f, name: f.name, id: uuid()}); }
      });
    }
    return {url: "/api/v1/checks", photos: photos, json: {
      id: el.check_id.value, checkpoint: form.dataset.checkpoint,
      observed_at: el.observed_at.value || self.CampusInspect.localIso(new Date()),
      items: items, note: el.note ? el.note.value : "", item_notes: notes, source: "offline"}};
  }

  function genericPayload(form, btn) {
    var json = {}, photos = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrf_token") { return; }
      if (el.type === "file") {
        Array.prototype.forEach.call(el.files, function (f) {
          photos.push({field: el.dataset.photoField || "photos[]", blob: f, name: f.name, id: uuid()});
        });
        return;
      }
      if (/^(checkbox|radio)$/.test(el.type) && !el.checked) { return; }
      if ((el.type === "submit" || el.tagName === "BUTTON") && el !== btn) { return; }
      var k = el.dataset.json || el.name, v = el.type === "checkbox" && el.value === "on" ? true : el.value;
      json[k] = k in json ? [].concat(json[k], v) : v;
    });
    json.id = idField(form).value;
    var t = form.dataset.offlineTime;
    if (t && !json[t]) { json[t] = self.CampusInspect.localIso(new Date()); }
    return {url: form.dataset.offline, photos: photos, json: json};
  }

  function queueForm(form, btn) {
    if (form.dataset.queued) { return; }
    form.dataset.queued = "1";
    var e = form.hasAttribute("data-offline") ? genericPayload(form, btn) : checkPayload(form, btn);
    var h1 = $("h1");
    e.id = e.json.id;
    e.method = "POST";
    e.user = badge && badge.dataset.user;
    e.label = (h1 ? h1.textContent.trim() : doc.title);
    use(e.id);
    var tpl = $("template[data-offline-saved]", form), card;
    if (tpl) { card = tpl.content.cloneNode(true).firstElementChild; } else {
      card = doc.createElement("section");
      card.className = "card logged queued";
      [["p", "big", T.saved], ["p", "", T.savedBody]].forEach(function (x) {
        var n = card.appendChild(doc.createElement(x[0]));
        n.className = x[1]; n.textContent = x[2];
      });
      var a = card.appendChild(doc.createElement("a"));
      a.className = "btn wide"; a.href = "/"; a.textContent = T.next;
    }
    card.setAttribute("role", "status");
    add(e).then(function () { form.replaceWith(card); }, function () { delete form.dataset.queued; });
  }

  doc.addEventListener("click", function (ev) {
    var b = ev.target.closest && ev.target.closest("button");
    if (b && b.form) { b.form._ciBtn = b; }
  }, true);
  doc.addEventListener("submit", function (ev) {
    var form = ev.target, btn = ev.submitter || form._ciBtn;
    if (!isOurs(form)) { return; }
    form._ciBtn = btn;
    use(idField(form).value);
    if (!nav.onLine) { ev.preventDefault(); ev.stopPropagation(); queueForm(form, btn); }
  }, true);
  /* Online, but the request never arrived (lie-fi): queue what was sent. */
  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    doc.addEventListener(name, function (ev) {
      var form = ev.target;
      if (isOurs(form) && form.isConnected) { queueForm(form, form._ciBtn); }
    });
  });

  function el(tag, cls, text) {
    var n = doc.createElement(tag);
    if (cls) { n.className = cls; }
    if (text) { n.textContent = text; }
    return n;
  }
  self.CIQueue.render = function () {
    return all().then(function (list) {
      badge.hidden = !list.length;
      $(".n", badge).textContent = list.length;
      var failed = list.some(function (e) { return e.state === "failed"; });
      var auth = list.some(function (e) { return e.state === "auth"; });
      badge.classList.toggle("bad", failed || auth);
      $("[data-queue-auth]", panel).hidden = !auth;
      var ul = $("[data-queue-list]", panel);
      ul.textContent = "";
      list.forEach(function (e) {
        var li = ul.appendChild(el("li", "queue-" + e.state));
        li.appendChild(el("strong", "", e.label));
        li.appendChild(el("span", "meta", new Date(e.created_at).toLocaleString(doc.documentElement.lang) +
          " · " + (e.state === "failed" ? T.failed + ": " + e.error : T.pending)));
        if (e.state === "failed") {
          var d = li.appendChild(el("button", "link", T.discard));
          d.type = "button";
          d.onclick = function () { if (self.confirm(T.confirm)) { del(e.id).then(render); } };
        }
      });
      if (!list.length) { panel.hidden = true; } else if (failed || auth) { panel.hidden = false; }
      badge.setAttribute("aria-expanded", String(!panel.hidden));
    });
  };

  function start() {
    badge = $("#queue-badge");
    panel = $("#queue-panel");
    if (!badge || !panel) { return; }
    Object.keys(panel.dataset).forEach(function (k) { if (k.indexOf("t") === 0) { T[k.charAt(1).toLowerCase() + k.slice(2)] = panel.dataset[k]; } });
    badge.onclick = function () { panel.hidden = !panel.hidden; badge.setAttribute("aria-expanded", String(!panel.hidden)); };
    $("[data-queue-send]", panel).onclick = flush;
    doc.querySelectorAll("form[data-stamp-time][data-checkpoint], form[data-offline]").forEach(function (form) {
      var f = idField(form);
      if (f && used.indexOf(f.value) >= 0) { f.value = uuid(); } /* a kept page: a new visit */
      if (window.htmx && !form.hasAttribute("hx-request")) { form.setAttribute("hx-request", '{"timeout": 15000}'); }
    });
    var ua = nav.userAgent, hint = $("#ios-hint");
    if (hint && (/iPhone|iPad|iPod/.test(ua) || (nav.platform === "MacIntel" && nav.maxTouchPoints > 1)) &&
        !/CriOS|FxiOS|EdgiOS|OPiOS/.test(ua) && !nav.standalone && !ls.getItem("ci-ios-hint")) {
      hint.hidden = false;
      $("button", hint).onclick = function () { hint.hidden = true; ls.setItem("ci-ios-hint", "1"); };
    }
    render();
    if (nav.serviceWorker) {
      /* after the page is up: installing the shell must not slow the first visit down */
      var reg = function () { nav.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () {}); };
      if (doc.readyState === "complete") { setTimeout(reg, 500); } else { self.addEventListener("load", function () { setTimeout(reg, 500); }); }
      nav.serviceWorker.addEventListener("message", function (m) { if (m.data && m.data.type === "queue") { render(); } });
      var user = badge.dataset.user || "", last = ls.getItem("ci-user") || "";
      if (user && nav.onLine) { /* a kept page may show whoever was signed in when it was kept */
        nav.serviceWorker.ready.then(function (r) {
          r.active.postMessage({type: "pack", force: user !== last, forget: !!last && user !== last});
          ls.setItem("ci-user", user);
        });
      }
    }
    if (nav.onLine) { flush(); }
  }
  self.addEventListener("online", flush);
  doc.addEventListener("visibilitychange", function () { if (doc.visibilityState === "visible" && nav.onLine) { flush(); } });
  if (doc.readyState === "loading") { doc.addEventListener("DOMContentLoaded", start); } else { start(); }
})(self);
