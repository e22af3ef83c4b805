/* Campus Inspect service worker. Served by /sw.js (inspect_app/pwa.py), which writes in the
   cache version, the app shell and the queue script's URL. */
"use strict";
var VERSION = "__VERSION__";
var SHELL = "__SHELL__";
var SHELL_CACHE = "shell-" + VERSION;
var PAGES = "pages-" + VERSION;
var TIMEOUT = 4000;
var PACK_AGE = 15 * 60 * 1000;

importScripts("__QUEUE__"); /* offline.js: the same queue the pages use, for Background Sync */

self.addEventListener("install", function (event) {
  /* one by one: a file that fails now is fetched and kept on first use instead */
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return Promise.all(SHELL.map(function (u) { return cache.add(u).catch(function () {}); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== SHELL_CACHE && k !== PAGES; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (r) { clearTimeout(timer); resolve(r); },
      function (e) { clearTimeout(timer); reject(e); });
  });
}

function keep(request, response) {
  if (response.ok && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    caches.open(PAGES).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

/* Pages: the network first, for at most TIMEOUT; then the kept copy; then the offline page. */
function page(request) {
  var net = fetch(request);
  return withTimeout(net, TIMEOUT).then(function (r) { return keep(request, r); })
    .catch(function () {
      return caches.match(request, {ignoreVary: true}).then(function (hit) {
        return hit || net.then(function (r) { return keep(request, r); }).catch(function () {
          return caches.match("/offline", {ignoreVary: true}).then(function (off) {
            return off || Response.error();
          });
        });
      });
    });
}

/* Versioned static files never change: the cache first. */
function asset(request) {
  return caches.match(request, {ignoreVary: true}).then(function (hit) {
    return hit || fetch(request).then(function (r) {
      if (r.ok) { var copy = r.clone(); caches.open(SHELL_CACHE).then(function (c) { c.put(request, copy); }); }
      return r;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  var url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin ||
      url.pathname.indexOf("/api/") === 0 || req.headers.get("HX-Request")) {
    return; /* API calls, htmx fragments and writes go to the network, never to a cache */
  }
  if (url.pathname.indexOf("/static/") === 0 || url.pathname === "/manifest.webmanifest") {
    event.respondWith(asset(req));
  } else if (req.mode === "navigate") {
    event.respondWith(page(req));
  }
});

/* Keep the pages of the user's checkpoints (GET /api/v1/offline-pack), in the background. */
function pack(force) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match("/__pack").then(function (stamp) {
      return stamp ? stamp.json() : {};
    }).then(function (info) {
      if (!force && info.at && Date.now() - info.at < PACK_AGE) { return null; }
      return fetch("/api/v1/offline-pack", {credentials: "same-origin"}).then(function (r) {
        if (!r.ok) { return null; }
        return r.json().then(function (body) {
          var urls = ["/"].concat(body.urls.slice(0, body.limit));
          var next = Promise.resolve();
          urls.forEach(function (u) { /* one at a time: a cheap phone on a weak signal */
            next = next.then(function () {
              return fetch(u, {credentials: "same-origin", redirect: "follow"}).then(function (res) {
                if (res.ok && !res.redirected) { return cache.put(u, res); }
              }).catch(function () {});
            });
          });
          return next.then(function () {
            return cache.put("/__pack", new Response(JSON.stringify({at: Date.now(), n: urls.length}),
              {headers: {"Content-Type": "application/json"}}));
          });
        });
      });
    });
  }).catch(function () {});
}

self.addEventListener("message", function (event) {
  var msg = event.data || {};
  if (msg.type === "pack") { /* forget: another person signed in on this phone */
    event.waitUntil((msg.forget ? caches.delete(PAGES) : Promise.resolve()).then(function () {
      return pack(msg.force);
    }));
  }
});

self.addEventListener("sync", function (event) {
  if (event.tag === "ci-queue" && self.CIQueue) {
    event.waitUntil(self.CIQueue.flush().then(function () {
      return self.clients.matchAll().then(function (list) {
        list.forEach(function (c) { c.postMessage({type: "queue"}); });
      });
    }));
  }
});
