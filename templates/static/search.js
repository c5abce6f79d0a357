// The search page: Pagefind's JavaScript API driving the theme's own form, filters and results.
// The query lives in the address (?q=...&Year=2024), so a search can be shared and reloaded.
const root = document.querySelector("[data-search]");
const form = root.querySelector("form");
const input = form.querySelector("input[type=search]");
const sort = root.querySelector("[data-search-sort]");
const panel = root.querySelector("[data-search-filters]");
const status = root.querySelector("[data-search-status]");
const list = root.querySelector("[data-search-results]");
const more = root.querySelector("[data-search-more]");
const PAGE = 10;
const EXCERPT = 24; // words
const clear = element("button", { type: "button", class: "search-clear" }, "Clear filters");
// Han and kana are indexed one character at a time (see digest/search.py): split queries alike.
const CJK = "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff";
const pair = new RegExp(`(?<=[${CJK}])(?=[${CJK}])`, "g");
const joined = new RegExp(`(?<=[${CJK}](?:</?mark>)?) (?=(?:</?mark>)?[${CJK}])`, "g");
let pagefind = null;
let shown = [];
let count = 0;
let run = 0;

function say(text) {
  status.textContent = text;
}

function chosen() {
  const filters = {};
  for (const box of panel.querySelectorAll("input[type=checkbox]:checked")) {
    (filters[box.name] ||= []).push(box.value);
  }
  return filters;
}

function remember(query, filters) {
  const params = new URLSearchParams();
  if (query) params.set("q", query);
  for (const [name, values] of Object.entries(filters)) for (const v of values) params.append(name, v);
  if (sort.value !== "relevance") params.set("sort", sort.value);
  const search = params.toString();
  history.replaceState(null, "", search ? `?${search}` : location.pathname);
}

function element(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

function filterPanel(available, selected) {
  panel.replaceChildren();
  const names = Object.keys(available).sort((a, b) => (a === "Year") - (b === "Year"));
  for (const name of names) {
    const values = Object.entries(available[name]).sort((a, b) =>
      name === "Year" ? b[0].localeCompare(a[0]) : a[0].localeCompare(b[0]),
    );
    if (!values.length) continue;
    const details = element("details", { class: "search-filter" });
    if (selected[name]) details.open = true;
    details.append(element("summary", {}, name));
    const fieldset = element("fieldset");
    fieldset.append(element("legend", { class: "visually-hidden" }, name));
    for (const [value, n] of values) {
      const label = element("label");
      const box = element("input", { type: "checkbox", name, value });
      box.checked = (selected[name] || []).includes(value);
      // (the total, then how many of the results found have it: see showCounts)
      label.append(box, ` ${value} `, element("span", { class: "count" }, `(${n})`), element("span", { class: "hits" }));
      fieldset.append(label);
    }
    details.append(fieldset);
    panel.append(details);
  }
  clear.hidden = !Object.keys(selected).length;
  panel.append(clear);
  panel.hidden = !names.length;
}

// How many of the results have each value, from Pagefind's own counts for the query and the
// other filters picked (none while nothing is searched).
function showCounts(counts) {
  for (const label of panel.querySelectorAll("label")) {
    const box = label.querySelector("input");
    const hits = label.querySelector(".hits");
    const n = counts ? (counts[box.name] || {})[box.value] || 0 : null;
    hits.textContent = n === null ? "" : ` · ${n} found`;
    label.classList.toggle("none", n === 0 && !box.checked);
  }
}

function escaped(word) {
  return word.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function wordsOf(text) {
  return (text || "").replace(pair, " ").split(/\s+/).filter(Boolean);
}

// The words around the best match in the key points and body: not in the title and summary,
// which the result shows above it, nor in the tags and synonyms the document ends with
// (`tail`, see digest/search.py). None when nothing matched there.
function excerpt(data) {
  const all = data.content.split(/\s+/).filter(Boolean);
  const from = wordsOf(data.meta.title).length + wordsOf(data.meta.summary).length;
  const to = all.length - Number(data.meta.tail || 0);
  const inside = (data.weighted_locations || []).filter((l) => l.location >= from && l.location < to);
  if (!inside.length) return "";
  const best = inside.reduce((a, b) => (b.weight > a.weight ? b : a));
  const start = Math.max(from, Math.min(best.location - 6, to - EXCERPT));
  const end = Math.min(to, start + EXCERPT);
  const marked = new Set(inside.map((l) => l.location));
  const shown = [];
  for (let i = start; i < end; i++) shown.push(marked.has(i) ? `<mark>${escaped(all[i])}</mark>` : escaped(all[i]));
  return `${start > from ? "… " : ""}${shown.join(" ")}${end < to ? " …" : ""}`;
}

function result(data) {
  const meta = data.meta;
  const item = element("li");
  const article = element("article", { class: "card search-result" });
  const title = element("h2", { class: "card-title" });
  title.append(element("a", { href: data.url }, meta.title));
  article.append(title);
  const line = element("p", { class: "meta" });
  line.append(element("time", { datetime: meta.datetime }, meta.date));
  if (meta.source) line.append(" · ", element("span", { class: "source" }, meta.source));
  if (meta.draft) line.append(" · ", element("strong", { class: "draft" }, "Draft"));
  article.append(line);
  article.append(element("p", { class: "summary" }, meta.summary));
  const text = excerpt(data);
  if (text) {
    const node = element("p", { class: "excerpt" });
    node.innerHTML = text.replace(joined, "");
    article.append(node);
  }
  let tags = [];
  try {
    tags = JSON.parse(meta.tags || "[]");
  } catch {
    tags = [];
  }
  if (tags.length) {
    const ul = element("ul", { class: "tags", "aria-label": "Tags" });
    for (const [label, url] of tags) {
      const li = element("li");
      li.append(element("a", { class: "tag", href: root.dataset.base + url.replace(/^\//, "") }, label));
      ul.append(li);
    }
    article.append(ul);
  }
  item.append(article);
  return item;
}

async function page(from) {
  const next = shown.slice(from, from + PAGE);
  const data = await Promise.all(next.map((r) => (r.data ? r.data() : r)));
  return data.map(result);
}

async function showMore(mine) {
  const first = list.children.length;
  const items = await page(first);
  if (mine !== run) return;
  list.append(...items);
  more.hidden = list.children.length >= shown.length;
  if (items.length) items[0].querySelector("a").focus();
}

// The index (pagefind/; a very large digest's in pagefind/0/, pagefind/1/, ..., merged) is
// loaded once a search needs it (a query, a filter) or the reader is about to type.
const indexed = Boolean(root.dataset.indexed);
const folders = (root.dataset.indexes || "").split(" ").filter(Boolean).map((n) => `${n}/`);
let merged = false; // several indexes: Pagefind merges their results by score only
const SORT_CAP = 300;
let loading = null;
let filtersLoaded = null;

function load() {
  loading ||= (async () => {
    const [first = "", ...others] = folders;
    const bundle = await import(`${root.dataset.bundle}${first}pagefind.js`);
    await bundle.options({ baseUrl: root.dataset.base, excerptLength: 24 });
    await bundle.init();
    await Promise.all(others.map((n) => bundle.mergeIndex(`${root.dataset.bundle}${n}`, { baseUrl: root.dataset.base })));
    merged = others.length > 0;
    pagefind = bundle;
  })();
  return loading;
}

function nothing() {
  say("There is nothing to search yet: no briefs are published.");
}

async function search() {
  const mine = ++run;
  const query = input.value.trim();
  const filters = chosen();
  remember(query, filters);
  if (!indexed) return nothing();
  const anyFilter = Object.keys(filters).length > 0;
  clear.hidden = !anyFilter;
  if (!query && !anyFilter) {
    list.replaceChildren();
    more.hidden = true;
    shown = [];
    showCounts(null);
    say(`Type a word or pick a filter to search ${count} briefs.`);
    return;
  }
  try {
    await load();
  } catch {
    return nothing();
  }
  if (mine !== run) return;
  const options = { filters: Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, { any: v }])) };
  // (`newest` ascends from the newest brief: see digest/search/documents.py)
  if (sort.value === "newest" || !query) options.sort = { newest: "asc" };
  const found = await pagefind.search(query ? query.replace(pair, " ") : null, options);
  if (mine !== run) return;
  shown = found.results;
  if (merged && options.sort) {
    // Each index sorted its own results; Pagefind merges them by their places in their own
    // orders, each index's newest first, so the newest of all are among the first: put them in order.
    const data = await Promise.all(shown.slice(0, SORT_CAP).map((r) => r.data()));
    if (mine !== run) return;
    shown = data.sort((a, b) => b.meta.datetime.localeCompare(a.meta.datetime));
  }
  const items = await page(0);
  if (mine !== run) return;
  // The new results and their count replace the old ones at once.
  list.replaceChildren(...items);
  more.hidden = items.length >= shown.length;
  const n = found.results.length;
  const capped = shown.length < n ? ` Newest first among the ${shown.length} best matches.` : "";
  const picked = Object.values(filters).flat();
  const words = (query ? ` for “${query}”` : "") + (picked.length ? ` in ${picked.join(", ")}` : "");
  say(n ? `${n} ${n === 1 ? "brief" : "briefs"} found${words}.${capped}` : `No briefs found${words}.`);
  if (!filtersLoaded) {
    // Pagefind counts only the filters whose files it has: they are loaded once the first
    // results are on the page (after the next paint), then counted for this search.
    filtersLoaded = new Promise((painted) => requestAnimationFrame(() => setTimeout(painted, 0))).then(() =>
      pagefind.filters(),
    );
    await filtersLoaded;
    if (mine !== run) return;
    const again = await pagefind.search(query ? query.replace(pair, " ") : null, options);
    if (mine !== run) return;
    showCounts(again.filters);
  } else {
    await filtersLoaded;
    if (mine === run) showCounts(found.filters);
  }
}

async function start() {
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  sort.value = params.get("sort") === "newest" ? "newest" : "relevance";
  const selected = {};
  for (const [k, v] of params) if (k !== "q" && k !== "sort") (selected[k] ||= []).push(v);
  if (!indexed) return nothing();
  // The filters and their counts come with the page: no filter file is loaded until a
  // search picks a filter.
  const available = JSON.parse(root.querySelector("[data-search-counts]").textContent);
  count = Object.values(available.Year || {}).reduce((a, b) => a + b, 0);
  filterPanel(available, selected);
  await search();
}

let timer = 0;
input.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(search, 150);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  search();
});
panel.addEventListener("change", search);
sort.addEventListener("change", search);
more.addEventListener("click", () => showMore(run));
clear.addEventListener("click", () => {
  for (const box of panel.querySelectorAll("input[type=checkbox]:checked")) box.checked = false;
  search();
  input.focus();
});
input.addEventListener("focus", () => indexed && load().catch(() => {}), { once: true });
start();
