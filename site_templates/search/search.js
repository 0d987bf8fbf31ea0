/* Registry search (glyphserpack/registry/search.py writes the index this reads).
 *
 * The index is static and sharded: manifest.json (facets, shard map), post/<i>.json (postings
 * for a range of sorted keys) and rows/<k>.json (rows by ordinal). A query fetches the manifest,
 * the postings shards of its words and filters, and the rows files of the page it shows; no
 * file is large, and nothing is fetched from anywhere but this site. The query and filters live
 * in the URL (?q=…&status=…&page=…), so a link restores them and back/forward step through them.
 * Row text is only ever written with textContent: nothing here builds HTML from index data.
 */
(function () {
  "use strict";
  const box = document.getElementById("gsp-search");
  if (!box) return;
  const FACETS = ["product", "version", "profile", "status", "adapter"];
  const PAGE = 50;
  const PREFIX_SHARDS = 4;
  const indexUrl = new URL(box.dataset.index, document.baseURI);
  const rootUrl = new URL(box.dataset.root, document.baseURI);
  const form = document.getElementById("gsp-search-form");
  const input = document.getElementById("gsp-search-q");
  const statusLine = document.getElementById("gsp-search-message");
  const output = document.getElementById("gsp-search-output");
  const cache = new Map();
  let generation = 0;

  function load(rel) {
    if (!cache.has(rel)) {
      cache.set(rel, fetch(new URL(rel, indexUrl)).then((r) => {
        if (!r.ok) throw new Error(rel + ": HTTP " + r.status);
        return r.json();
      }));
    }
    return cache.get(rel);
  }

  /* Code point order: how Python and SQLite sorted the keys (JS's < compares UTF-16 units). */
  function cmp(a, b) {
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const x = a.codePointAt(i);
      const y = b.codePointAt(j);
      if (x !== y) return x < y ? -1 : 1;
      i += x > 0xffff ? 2 : 1;
      j += y > 0xffff ? 2 : 1;
    }
    if (i < a.length) return 1;
    return j < b.length ? -1 : 0;
  }

  function normalize(text) {
    return text.normalize("NFKC").toLowerCase();
  }

  /* The same words search.py indexes: runs of letters and digits, cut at token_max. */
  function words(text, max) {
    return (normalize(text).match(/[\p{L}\p{N}]+/gu) || []).map((w) => Array.from(w).slice(0, max).join(""));
  }

  /* Shards whose key range meets [lo, hi]: shard i holds keys from postings[i] to postings[i+1]. */
  function shardsFor(m, lo, hi) {
    const firsts = m.postings;
    let a = 0;
    let b = firsts.length;
    while (a < b) { // first shard whose successor starts at or after lo
      const mid = (a + b) >> 1;
      if (mid + 1 < firsts.length && cmp(firsts[mid + 1], lo) < 0) a = mid + 1; else b = mid;
    }
    const out = [];
    for (let i = a; i < firsts.length && cmp(firsts[i], hi) <= 0; i++) out.push(i);
    return out;
  }

  /* Sorted ordinals of the rows with key `key` (or, with prefix, any key starting with it). */
  async function postings(m, key, prefix) {
    let shards = shardsFor(m, key, prefix ? key + "\u{10FFFF}" : key);
    if (prefix && shards.length > PREFIX_SHARDS) {
      prefix = false;
      shards = shardsFor(m, key, key);
    }
    const parts = await Promise.all(shards.map((i) => load("post/" + i + ".json")));
    const out = [];
    for (const part of parts) {
      for (const [k, gaps] of part) {
        if (prefix ? !k.startsWith(key) : k !== key) continue;
        let ord = 0;
        gaps.forEach((g, n) => { ord = n === 0 ? g : ord + g; out.push(ord); });
      }
    }
    out.sort((x, y) => x - y);
    return out.filter((x, n) => n === 0 || out[n - 1] !== x);
  }

  function intersect(a, b) {
    const out = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) { out.push(a[i]); i++; j++; } else if (a[i] < b[j]) i++; else j++;
    }
    return out;
  }

  function stateFrom(search) {
    const p = new URLSearchParams(search);
    const s = { q: p.get("query") || "", page: Math.max(1, parseInt(p.get("page") || "1", 10) || 1) };
    for (const f of FACETS) s[f] = p.get(f) || "";
    return s;
  }

  function query(s) {
    const p = new URLSearchParams();
    if (s.q) p.set("query", s.q);
    for (const f of FACETS) if (s[f]) p.set(f, s[f]);
    if (s.page > 1) p.set("page", String(s.page));
    const text = p.toString();
    return text ? "?" + text : location.pathname;
  }

  function fillForm(s) {
    input.value = s.q;
    for (const f of FACETS) {
      const select = form.elements.namedItem(f);
      if (s[f] && !Array.from(select.options).some((o) => o.value === s[f])) {
        select.add(new Option(s[f] + " (0)", s[f]));
      }
      select.value = s[f];
    }
  }

  async function matches(m, s) {
    const lists = [];
    const q = s.q.trim();
    if (q) {
      const byId = await postings(m, "#" + normalize(q), false);
      if (byId.length) {
        lists.push(byId);
      } else {
        const ws = words(q, m.token_max);
        if (!ws.length) lists.push([]);
        for (let n = 0; n < ws.length; n++) lists.push(await postings(m, ws[n], n === ws.length - 1));
      }
    }
    for (const f of FACETS) if (s[f]) lists.push(await postings(m, "=" + f + "=" + s[f], false));
    if (!lists.length) return null; // everything
    lists.sort((x, y) => x.length - y.length);
    return lists.reduce(intersect);
  }

  function cell(tr, text, tag) {
    const td = document.createElement(tag || "td");
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function pageLink(s, page, label, rel) {
    const a = document.createElement("a");
    a.href = query(Object.assign({}, s, { page: page }));
    a.textContent = label;
    a.rel = rel;
    a.addEventListener("click", (e) => { e.preventDefault(); go(Object.assign({}, s, { page: page })); });
    return a;
  }

  function render(m, s, hits, rows, total) {
    output.replaceChildren();
    const pages = Math.max(1, Math.ceil(total / PAGE));
    if (!total) {
      statusLine.textContent = "No results." + (s.q || FACETS.some((f) => s[f]) ? " Try fewer words or filters." : "");
      return;
    }
    const first = (s.page - 1) * PAGE + 1;
    statusLine.textContent = total + (total === 1 ? " result" : " results") + ", showing " + first + "\u2013" +
      (first + rows.length - 1) + " (page " + s.page + " of " + pages + ").";
    const wrap = document.createElement("div");
    wrap.className = "gsp-search-scroll";
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", "Search results, page " + s.page + " of " + pages);
    const table = document.createElement("table");
    table.id = "gsp-search-table";
    const head = table.createTHead().insertRow();
    for (const h of ["ID", "Title", "Kind", "Product", "Version", "Profile", "Status", "Adapter", "Issued"]) {
      cell(head, h, "th").scope = "col";
    }
    const body = table.createTBody();
    const at = Object.fromEntries(m.fields.map((f, n) => [f, n]));
    for (const row of rows) {
      const tr = body.insertRow();
      tr.dataset.id = row[at.id];
      const a = document.createElement("a");
      a.href = new URL(row[at.url], rootUrl).href;
      a.textContent = row[at.id];
      cell(tr, "").appendChild(a);
      for (const f of ["title", "kind", "product", "version", "profile", "status", "adapter", "issued"]) cell(tr, row[at[f]]);
    }
    wrap.appendChild(table);
    output.appendChild(wrap);
    if (pages > 1) {
      const nav = document.createElement("nav");
      nav.setAttribute("aria-label", "Result pages");
      nav.className = "gsp-search-pages";
      if (s.page > 1) nav.appendChild(pageLink(s, s.page - 1, "Previous page", "prev"));
      if (s.page < pages) nav.appendChild(pageLink(s, s.page + 1, "Next page", "next"));
      output.appendChild(nav);
    }
  }

  async function run(s) {
    const mine = ++generation;
    box.dataset.state = "busy";
    statusLine.textContent = "Searching\u2026";
    try {
      const m = await load("manifest.json");
      const hits = await matches(m, s);
      const total = hits ? hits.length : m.rows;
      s.page = Math.min(s.page, Math.max(1, Math.ceil(total / PAGE)));
      const start = (s.page - 1) * PAGE;
      const ords = [];
      for (let n = start; n < Math.min(start + PAGE, total); n++) ords.push(hits ? hits[n] : n);
      const per = m.rows_per_shard;
      const rows = await Promise.all(ords.map((o) => load("rows/" + Math.floor(o / per) + ".json").then((sh) => sh[o % per])));
      if (mine === generation) {
        render(m, s, hits, rows, total);
        box.dataset.total = String(total);
        box.dataset.state = "ready";
      }
    } catch (err) {
      if (mine === generation) {
        output.replaceChildren();
        statusLine.textContent = "The search index could not be read: " + err.message;
        box.dataset.state = "failed";
      }
    }
  }

  function go(s) {
    history.pushState(null, "", query(s));
    fillForm(s);
    run(s);
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const s = { q: input.value, page: 1 };
    for (const f of FACETS) s[f] = form.elements.namedItem(f).value;
    go(s);
  });
  window.addEventListener("popstate", () => {
    const s = stateFrom(location.search);
    fillForm(s);
    run(s);
  });
  const initial = stateFrom(location.search);
  fillForm(initial);
  run(initial);
})();
