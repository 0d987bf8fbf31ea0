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


  /* ---- Transparency log: checkpoint signature (Ed25519, C2SP signed-note), witness
   * cosignatures (cosignature/v1) and the RFC 9162 §2.1.4.2 consistency proof from the previous
   * release's checkpoint, all with WebCrypto. The data comes from assets/gsp/log-data.js (a
   * script, so it works from file://); the key can be pinned by pasting a verifier key. */
  const enc = new TextEncoder();

  function b64(text) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) throw new Error("malformed base64");
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  }

  function cat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) { out.set(p, off); off += p.length; }
    return out;
  }

  function same(a, b) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  async function nodeHash(left, right) {
    return sha256(cat(Uint8Array.of(1), left, right));
  }

  async function parseVkey(text, wantAlg) {
    const t = text.trim();
    const i = t.indexOf("+");
    const j = i < 0 ? -1 : t.indexOf("+", i + 1);
    if (j < 0) throw new Error("verifier key: expected <name>+<hash>+<base64 key>");
    const [name, hashHex, blobText] = [t.slice(0, i), t.slice(i + 1, j), t.slice(j + 1)];
    const blob = b64(blobText);
    if (blob.length !== 33 || blob[0] !== wantAlg) throw new Error("verifier key " + name + ": wrong type or length");
    const hash = (await sha256(cat(enc.encode(name + "\n"), blob))).slice(0, 4);
    if (hex(hash) !== hashHex) throw new Error("verifier key " + name + ": key hash does not match name and key");
    return { name, hash, key: blob.slice(1) };
  }

  function parseNote(text) {
    const cut = text.lastIndexOf("\n\n");
    if (cut < 0 || !text.endsWith("\n")) throw new Error("GSP-E402 checkpoint: not a signed note");
    const body = text.slice(0, cut + 1);
    const sigs = text.slice(cut + 2, -1).split("\n").map((line) => {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new Error("GSP-E402 checkpoint: malformed signature line");
      const blob = b64(m[2]);
      return { name: m[1], hash: blob.slice(0, 4), blob: blob.slice(4) };
    });
    const lines = body.slice(0, -1).split("\n");
    if (lines.length < 3 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new Error("GSP-E402 checkpoint: malformed body");
    const root = b64(lines[2]);
    if (root.length !== 32) throw new Error("GSP-E402 checkpoint: root hash is not 32 bytes");
    return { body, sigs, origin: lines[0], size: BigInt(lines[1]), root };
  }

  async function ed25519(key, sig, msg) {
    const k = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, ["verify"]);
    return crypto.subtle.verify({ name: "Ed25519" }, k, sig, msg);
  }

  async function openCheckpoint(text, logKey, witnesses, quorum, label) {
    const note = parseNote(text);
    if (note.origin !== logKey.name) throw new Error("GSP-E414 " + label + ": origin " + note.origin + " is not the log " + logKey.name);
    const mine = note.sigs.filter((s) => s.name === logKey.name && same(s.hash, logKey.hash));
    if (!mine.length) throw new Error("GSP-E401 " + label + ": no signature by " + logKey.name);
    for (const s of mine) {
      if (!(await ed25519(logKey.key, s.blob, enc.encode(note.body)))) {
        throw new Error("GSP-E401 " + label + ": the log signature does not verify");
      }
    }
    const cosigners = [];
    for (const w of witnesses) {
      for (const s of note.sigs.filter((x) => x.name === w.name && same(x.hash, w.hash))) {
        if (s.blob.length !== 72) continue;
        const t = new DataView(s.blob.buffer, s.blob.byteOffset, 8).getBigUint64(0);
        const msg = enc.encode("cosignature/v1\ntime " + t.toString() + "\n" + note.body);
        if (await ed25519(w.key, s.blob.slice(8), msg)) cosigners.push(w.name);
      }
    }
    const unique = Array.from(new Set(cosigners)).sort();
    if (unique.length < quorum) {
      throw new Error("GSP-E411 " + label + ": " + unique.length + " of the required " + quorum + " witness cosignatures verify");
    }
    note.cosigners = unique;
    return note;
  }

  /* RFC 9162 §2.1.4.2, with BigInt sizes (bit operations on Numbers are 32-bit). */
  async function verifyConsistency(m, n, oldRoot, newRoot, proof) {
    if (m > n) return false;
    if (m === n) return proof.length === 0 && same(oldRoot, newRoot);
    if (m === 0n) return proof.length === 0 && same(oldRoot, await sha256(new Uint8Array(0)));
    if (!proof.length) return false;
    const path = (m & (m - 1n)) === 0n ? [oldRoot, ...proof] : proof.slice();
    let fn = m - 1n;
    let sn = n - 1n;
    while (fn & 1n) { fn >>= 1n; sn >>= 1n; }
    let fr = path[0];
    let sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0n) return false;
      if ((fn & 1n) || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while (!(fn & 1n) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n && same(fr, oldRoot) && same(sr, newRoot);
  }

  async function checkLog(data, pinned) {
    const steps = [];
    const step = (id, ok, text) => steps.push({ id, ok, text });
    if (!(window.crypto && crypto.subtle)) throw new Error("WebCrypto is not available in this browser");
    const keyText = pinned || data.log_key;
    const logKey = await parseVkey(keyText, 1);
    const witnesses = [];
    for (const w of data.witnesses || []) witnesses.push(await parseVkey(w, 4));
    const quorum = data.witness_quorum || 0;
    step("key", true, "log key " + logKey.name + " (" + (pinned ? "pinned by you" : "as published by this site: " + data.key_source) + ")");
    let cp;
    try {
      cp = await openCheckpoint(data.checkpoint, logKey, witnesses, quorum, "checkpoint");
      step("checkpoint", true, "checkpoint signature verifies: size " + cp.size + ", root " + hex(cp.root));
      if (witnesses.length) step("witnesses", true, cp.cosigners.length + " of " + witnesses.length + " witnesses cosigned (" + quorum + " required): " + (cp.cosigners.join(", ") || "none"));
    } catch (err) {
      step("checkpoint", false, err.message);
      return steps;
    }
    const c = data.consistency;
    if (!c) {
      step("consistency", true, "no previous release's checkpoint: nothing to prove (first log-backed release)");
      return steps;
    }
    try {
      if (c.format !== "glyphserpack-log-consistency/1") throw new Error("GSP-E409 unknown consistency proof format");
      if (c.new_checkpoint !== data.checkpoint) throw new Error("GSP-E409 the proof is for another checkpoint than log/checkpoint");
      const old = await openCheckpoint(c.old_checkpoint, logKey, [], 0, "previous checkpoint");
      if (cp.size < old.size) throw new Error("GSP-E408 the log shrank from " + old.size + " to " + cp.size + " entries");
      const proof = c.proof.map(b64);
      if (!(await verifyConsistency(old.size, cp.size, old.root, cp.root, proof))) {
        throw new Error("GSP-E409 history rewritten: the size-" + cp.size + " log does not extend the previous release's size-" + old.size + " checkpoint");
      }
      step("consistency", true, "the log extends the previous release's checkpoint (size " + old.size + " → " + cp.size + ", " + proof.length + " proof hashes)");
    } catch (err) {
      step("consistency", false, err.message);
    }
    return steps;
  }

  function logVerifier() {
    const box = document.getElementById("gsp-log");
    if (!box) return;
    const out = document.getElementById("gsp-log-result");
    const pin = document.getElementById("gsp-log-key");
    const button = document.getElementById("gsp-log-check");
    const loaded = new Promise((resolve) => {
      if (window.GSP_LOG !== undefined) { resolve(window.GSP_LOG); return; }
      const s = document.createElement("script");
      s.src = base + "assets/gsp/log-data.js";
      s.onload = () => resolve(window.GSP_LOG || null);
      s.onerror = () => resolve(null);
      document.head.appendChild(s);
    });
    async function run() {
      out.textContent = "";
      box.dataset.verdict = "running";
      const data = await loaded;
      if (!data) {
        box.dataset.verdict = "none";
        const li = document.createElement("li"); // a list holds only items (WCAG 1.3.1)
        li.textContent = "This site was built without a transparency log: its statuses are not log-backed.";
        out.appendChild(li);
        return;
      }
      let steps;
      try {
        steps = await checkLog(data, (pin.value || "").trim());
      } catch (err) {
        steps = [{ id: "key", ok: false, text: err.message }];
      }
      for (const s of steps) {
        const li = document.createElement("li");
        li.dataset.step = s.id;
        li.dataset.ok = String(s.ok);
        li.className = "gsp-verify-row " + (s.ok ? "gsp-ok" : "gsp-bad");
        li.textContent = (s.ok ? "OK " : "FAIL ") + s.text;
        out.appendChild(li);
      }
      box.dataset.verdict = steps.every((s) => s.ok) ? "ok" : "fail";
    }
    button.addEventListener("click", run);
    run();
  }

  /* Material wraps each plain Markdown table in a scrolling box in the browser, after the
   * HTML is built, so the box cannot be labelled in a template. Keyboard users must reach a box
   * that scrolls (WCAG 2.1.1, axe scrollable-region-focusable): make each one a focusable,
   * named region, named after the heading above it. Idempotent; reruns on Material's
   * document$ in case it re-renders the content. */
  function scrollRegions() {
    for (const box of document.querySelectorAll(".md-typeset__scrollwrap:not([tabindex])")) {
      let h = box.previousElementSibling;
      while (h && !/^H[1-6]$/.test(h.tagName)) h = h.previousElementSibling;
      const title = h ? h.textContent.replace(/\u00b6/g, "").trim() : document.title;
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", "Table: " + title);
    }
  }

  function start() {
    scrollRegions();
    if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(scrollRegions);
    registryFilter(); verifier(); logVerifier();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
