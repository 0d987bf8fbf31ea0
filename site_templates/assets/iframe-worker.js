/* Offline Worker shim for file:// (replaces Material's unpkg.com iframe-worker polyfill).
 * Chromium refuses `new Worker(file://...)`; this runs the worker script inside a hidden,
 * same-origin iframe instead and relays messages both ways. Only active on file://. */
(function () {
  "use strict";
  if (location.protocol !== "file:" || typeof window === "undefined") return;
  class IframeWorker extends EventTarget {
    constructor(url) {
      super();
      this.onmessage = null;
      this.onerror = null;
      const src = new URL(url, location.href).href;
      const frame = document.createElement("iframe");
      frame.setAttribute("aria-hidden", "true");
      frame.tabIndex = -1;
      frame.style.display = "none";
      (document.body || document.documentElement).appendChild(frame);
      const win = frame.contentWindow;
      const doc = frame.contentDocument;
      const load = (href) => new Promise((resolve, reject) => {
        const s = doc.createElement("script");
        s.src = href;
        s.onload = () => resolve();
        s.onerror = () => reject(new Error("cannot load " + href));
        (doc.head || doc.documentElement).appendChild(s);
      });
      win.postMessage = (data) => setTimeout(() => this._emit(data), 0);
      win.importScripts = (...urls) => urls.reduce((p, u) => p.then(() => load(new URL(u, src).href)), Promise.resolve());
      this._win = win;
      this._queue = [];
      this._ready = false;
      load(src).then(() => {
        this._ready = true;
        this._queue.splice(0).forEach((d) => this._deliver(d));
      }, (err) => {
        const ev = new ErrorEvent("error", { message: String(err) });
        if (typeof this.onerror === "function") this.onerror(ev);
        this.dispatchEvent(ev);
      });
    }
    _emit(data) {
      const ev = new MessageEvent("message", { data: data });
      if (typeof this.onmessage === "function") this.onmessage(ev);
      this.dispatchEvent(ev);
    }
    _deliver(data) {
      setTimeout(() => this._win.dispatchEvent(new this._win.MessageEvent("message", { data: data })), 0);
    }
    postMessage(data) {
      if (this._ready) this._deliver(data); else this._queue.push(data);
    }
    terminate() {}
  }
  window.Worker = IframeWorker;
})();
