/* Site behaviour: registry filter and the in-browser verifier. Evidence text is only ever
 * written with textContent; nothing here builds HTML from data. */
(function () {
  "use strict";
  const here = document.currentScript ? document.currentScript.src : "";
  const base = here.replace(/assets\/gsp\/gsp\.js(\?.*)?$/, "");

  function registryFilter() {
    const table = document.getElementById("gsp-registry");
    if (!table) return;
    const text = document.getElementById("gsp-filter-text");
    const status = document.getElementById("gsp-filter-status");
    const count = document.getElementById("gsp-filter-count");
    const rows = Array.from(table.tBodies[0].rows);
    const apply = () => {
      const q = (text.value || "").trim().toLowerCase();
      const s = status.value;
      let shown = 0;
      for (const r of rows) {
        const ok = (!s || r.dataset.status === s) && (!q || r.textContent.toLowerCase().includes(q));
        r.hidden = !ok;
        if (ok) shown += 1;
      }
      count.textContent = shown + " of " + rows.length + " shown";
    };
    text.addEventListener("input", apply);
    status.addEventListener("change", apply);
    const params = new URLSearchParams(location.search);
    if (params.get("status")) status.value = params.get("status");
    if (params.get("q")) text.value = params.get("q");
    apply();
  }

  function hex(buf) {
    return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function verifier() {
    const box = document.getElementById("gsp-verify");
    if (!box) return;
    const input = document.getElementById("gsp-file");
    const drop = document.getElementById("gsp-drop");
    const out = document.getElementById("gsp-result");
    const loaded = new Promise((resolve, reject) => {
      if (window.GSP_PUBLISHED) { resolve(window.GSP_PUBLISHED); return; }
      const s = document.createElement("script");
      s.src = base + "assets/gsp/published-hashes.js";
      s.onload = () => resolve(window.GSP_PUBLISHED || {});
      s.onerror = () => reject(new Error("published-hashes.js could not be loaded"));
      document.head.appendChild(s);
    });
    async function check(file) {
      const row = document.createElement("li");
      row.className = "gsp-verify-row";
      out.appendChild(row);
      row.textContent = "hashing " + file.name + " …";
      try {
        if (!(window.crypto && crypto.subtle)) throw new Error("WebCrypto is not available in this browser");
        const digest = hex(await crypto.subtle.digest("SHA-256", await file.arrayBuffer()));
        const published = await loaded;
        const hits = published[digest];
        row.dataset.sha256 = digest;
        if (hits && hits.length) {
          row.dataset.verdict = "match";
          row.className += " gsp-ok";
          row.textContent = "MATCH " + file.name + " sha256 " + digest + " is published as: " + hits.join(", ");
        } else {
          row.dataset.verdict = "nomatch";
          row.className += " gsp-bad";
          row.textContent = "NO MATCH " + file.name + " sha256 " + digest + " is not a hash this site published";
        }
      } catch (err) {
        row.dataset.verdict = "error";
        row.className += " gsp-bad";
        row.textContent = "ERROR " + file.name + ": " + err.message;
      }
    }
    const handle = (files) => { for (const f of files) check(f); };
    input.addEventListener("change", () => handle(input.files));
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("gsp-drag"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("gsp-drag"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("gsp-drag");
      handle(e.dataTransfer.files);
    });
  }

  function start() { registryFilter(); verifier(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
