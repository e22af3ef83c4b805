/* Campus Inspect: scan the next label from inside the app.
   The phone's own BarcodeDetector where it reads QR codes, else the vendored ZXing polyfill
   (static/vendor/barcode-detector, loaded only when needed, its wasm from our own server),
   else the typed-code form that is always on the page. Only our own /q/<code> URLs and bare
   codes are followed. */
(function () {
  "use strict";

  var CODE_RE = /^[0-9A-Za-z][0-9A-Za-z -]{2,30}$/;
  var polyfill = null;

  function loadPolyfill(box) {
    if (polyfill) { return polyfill; }
    polyfill = new Promise(function (resolve, reject) {
      if (window.BarcodeDetectionAPI) { resolve(); return; }
      var s = document.createElement("script");
      s.src = box.dataset.barcodeJs;
      s.onload = function () { resolve(); };
      s.onerror = function () { polyfill = null; reject(new Error("polyfill")); };
      document.head.appendChild(s);
    }).then(function () {
      var wasmUrl = new URL(box.dataset.wasmUrl, document.baseURI).href;
      window.BarcodeDetectionAPI.prepareZXingModule({
        overrides: {
          locateFile: function (path, prefix) { return path.endsWith(".wasm") ? wasmUrl : prefix + path; }
        }
      });
    });
    return polyfill;
  }

  function makeDetector(box) {
    var native = window.BarcodeDetector;
    var api = window.BarcodeDetectionAPI;
    if (native && (!api || native !== api.BarcodeDetector)) {
      return native.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) { return new native({ formats: ["qr_code"] }); }
        throw new Error("no qr");
      }).catch(function () { return ponyfill(box); });
    }
    return ponyfill(box);
  }

  function ponyfill(box) {
    return loadPolyfill(box).then(function () {
      return new window.BarcodeDetectionAPI.BarcodeDetector({ formats: ["qr_code"] });
    });
  }

  /* The path to open for a decoded value, or null if it is not one of our labels. */
  function target(box, raw) {
    var text = String(raw || "").trim();
    var prefix = box.dataset.qPrefix || "/q/";
    if (CODE_RE.test(text) && text.indexOf("/") < 0) {
      return prefix + encodeURIComponent(text.replace(/[\s-]/g, ""));
    }
    var url;
    try { url = new URL(text); } catch (e) { return null; }
    var ours = [window.location.origin];
    try { ours.push(new URL(box.dataset.baseUrl).origin); } catch (e) { /* no base URL */ }
    if (ours.indexOf(url.origin) < 0 || url.pathname.indexOf(prefix) !== 0) { return null; }
    var code = decodeURIComponent(url.pathname.slice(prefix.length));
    return CODE_RE.test(code) && code.indexOf("/") < 0 ? prefix + encodeURIComponent(code) : null;
  }

  function setup(box) {
    var start = box.querySelector("[data-scan-start]");
    var stop = box.querySelector("[data-scan-stop]");
    var view = box.querySelector("[data-scan-view]");
    var video = box.querySelector("[data-scan-video]");
    var msg = box.querySelector("[data-scan-msg]");
    var stream = null, timer = null, running = false;

    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
    start.hidden = false;

    function say(key) { msg.textContent = msg.dataset[key] || ""; }

    function halt() {
      running = false;
      if (timer) { clearTimeout(timer); timer = null; }
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
      video.srcObject = null;
      view.hidden = true;
      start.hidden = false;
    }

    function fail() {
      halt();
      say("textFailed");
      var input = document.getElementById("code");
      if (input) { input.focus(); }
    }

    function loop(detector) {
      if (!running) { return; }
      detector.detect(video).then(function (found) {
        for (var i = 0; i < found.length; i++) {
          var path = target(box, found[i].rawValue);
          if (path) { halt(); window.location.assign(path); return; }
          say("textForeign");
        }
        timer = setTimeout(function () { loop(detector); }, 200);
      }).catch(function () { timer = setTimeout(function () { loop(detector); }, 400); });
    }

    start.addEventListener("click", function () {
      say("textStarting");
      start.hidden = true;
      running = true;
      Promise.all([
        makeDetector(box),
        navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      ]).then(function (both) {
        stream = both[1];
        if (!running) { halt(); return; }
        video.srcObject = stream;
        view.hidden = false;
        return video.play().then(function () { say("textAim"); loop(both[0]); });
      }).catch(fail);
    });
    stop.addEventListener("click", function () { halt(); msg.textContent = ""; });
    document.addEventListener("visibilitychange", function () { if (document.hidden && running) { halt(); } });
    window.addEventListener("pagehide", halt);
  }

  function init() {
    var boxes = document.querySelectorAll("[data-scanner]");
    for (var i = 0; i < boxes.length; i++) { setup(boxes[i]); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
  window.CampusInspectScan = { target: target };
})();
