// digest serve: live reload. Injected into HTML responses by the dev server only.
(() => {
  "use strict";
  const me = document.currentScript;
  const server = me.dataset.server;
  let epoch = Number(me.dataset.epoch);
  const here = location.pathname.replace(/index\.html$/, "");
  const OVERLAY = "digest-error-overlay";

  function showErrors(errors) {
    let box = document.getElementById(OVERLAY);
    if (!box) {
      box = document.createElement("div");
      box.id = OVERLAY;
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,0,0,.92);" +
        "color:#fff;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;padding:2rem";
      document.body.appendChild(box);
    }
    box.textContent = "";
    const title = document.createElement("h2");
    title.textContent = "digest: the site did not build";
    title.style.cssText = "margin:0 0 1rem;font:bold 18px system-ui,sans-serif;color:#ffb4b4";
    const list = document.createElement("pre");
    list.style.cssText = "white-space:pre-wrap;margin:0";
    list.textContent = errors.join("\n");
    const note = document.createElement("p");
    note.textContent = "Showing the last good build underneath. Fix the file and save: this message goes away.";
    note.style.cssText = "font:14px system-ui,sans-serif;color:#ddd";
    box.append(title, list, note);
  }

  function clearErrors() {
    const box = document.getElementById(OVERLAY);
    if (box) box.remove();
  }

  function swapStylesheets() {
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      const url = new URL(link.href);
      url.searchParams.set("digest-reload", String(Date.now()));
      const fresh = link.cloneNode();
      fresh.href = url.toString();
      fresh.onload = () => link.remove();
      link.after(fresh);
    }
  }

  // The page's own resources: while they stay the same, a new version of the page is swapped
  // in place (no navigation: the scroll position and the page's state stay, and only the HTML
  // is fetched). A page that runs scripts of its own (search) is reloaded instead.
  const RESOURCES = 'link[rel="stylesheet"], link[rel="modulepreload"], style, script:not([type="application/ld+json"])';
  const OURS = `script[src$="livereload.js"][data-server]`;
  let wanted = 0;

  function resources(doc) {
    return [...doc.querySelectorAll(RESOURCES)]
      .filter((node) => !node.matches(OURS))
      .map((node) => {
        const link = node.getAttribute("href") || node.getAttribute("src");
        if (!link) return node.outerHTML;
        const url = new URL(link, location.href);
        url.searchParams.delete("digest-reload"); // (a stylesheet swapped in place)
        return `${node.tagName} ${node.getAttribute("rel") || node.getAttribute("type") || ""} ${url}`;
      })
      .join("\n");
  }

  async function refresh() {
    const mine = ++wanted;
    try {
      const response = await fetch(location.href, { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const next = new DOMParser().parseFromString(await response.text(), "text/html");
      if (mine !== wanted) return; // a newer build's page is on its way
      const ownScripts = (doc) => [...doc.querySelectorAll("script:not([type='application/ld+json'])")].some((s) => !s.matches(OURS));
      if (ownScripts(document) || ownScripts(next) || resources(document) !== resources(next)) {
        location.reload();
        return;
      }
      for (const node of next.querySelectorAll(OURS)) node.remove();
      for (const node of [...document.head.children]) {
        if (!node.matches(RESOURCES)) node.remove();
      }
      const anchor = document.head.firstChild;
      for (const node of [...next.head.children]) {
        if (!node.matches(RESOURCES)) document.head.insertBefore(document.adoptNode(node), anchor);
      }
      document.documentElement.lang = next.documentElement.lang;
      const live = document.querySelector(OURS);
      const body = document.adoptNode(next.body);
      if (live) body.append(live); // (the running script stays in the page)
      document.body.replaceWith(body);
    } catch (error) {
      location.reload();
    }
  }

  function apply(message) {
    if (message.errors && message.errors.length) {
      showErrors(message.errors);
      return;
    }
    clearErrors();
    if (message.reload) {
      location.reload();
      return;
    }
    if (!(message.epoch > epoch)) return;
    epoch = message.epoch;
    const changed = message.changed || [];
    if (message.follow && message.follow !== here) {
      location.assign(message.follow);
    } else if (changed.includes(here)) {
      refresh();
    } else if (changed.some((url) => url.endsWith(".css"))) {
      swapStylesheets(); // also when other pages changed in the same build (a save of several files)
    }
  }

  function connect() {
    const source = new EventSource(`/__digest__/events?server=${encodeURIComponent(server)}&epoch=${epoch}`);
    source.onmessage = (event) => apply(JSON.parse(event.data));
  }
  connect();
})();
