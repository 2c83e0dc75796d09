// <assetgraph-search>: the assetgraph search as a custom element, for the
// asset pickers of DAM and portal pages.
//
// It holds no key. The host page gives it a `getToken` function that asks
// the host's own server for a short-lived browser token (POST /api/tokens,
// minted with an admin key on the server side); without one it sends no
// Authorization header, which is right for a service with no keys (the
// demo). Everything it draws lives in an open shadow root: the host's
// styles reach it only through CSS custom properties and ::part().
//
// Attributes: endpoint (the service's URL, default this page's origin),
// lang, territory, channel, usage, audience, industry, at (the rights
// context: only assets cleared for it are shown), mode (single or
// multiple), limit (hits per page).
//
// Events (bubbling, composed): assetgraph-select {assets}, assetgraph-cancel,
// assetgraph-error {status, problem}, assetgraph-token-expired.

const CONTEXT = ["territory", "channel", "usage", "audience", "industry", "at"];

const STYLE = `
:host { display: block; font: 14px/1.4 var(--assetgraph-font, system-ui, sans-serif);
        color: var(--assetgraph-text, #1d232a); }
.bar { display: flex; gap: .5rem; align-items: center; position: relative; }
input[role=combobox] { flex: 1; font: inherit; padding: .5rem .75rem; border-radius: 6px;
        border: 1px solid var(--assetgraph-border, #b8c0c8); }
#suggestions { position: absolute; top: 100%; left: 0; right: 0; z-index: 2; margin: 2px 0 0; padding: 0;
        list-style: none; background: var(--assetgraph-surface, #fff); border: 1px solid var(--assetgraph-border, #b8c0c8);
        border-radius: 6px; box-shadow: 0 4px 12px rgb(0 0 0 / .12); }
#suggestions[hidden] { display: none; }
#suggestions li { padding: .35rem .75rem; cursor: pointer; }
#suggestions li[aria-selected=true] { background: var(--assetgraph-accent-soft, #e3efff); }
.chips { display: flex; flex-wrap: wrap; gap: .35rem; margin: .6rem 0 0; }
.chip { border-radius: 999px; padding: .1rem .6rem; background: var(--assetgraph-accent-soft, #e3efff); font-size: 12px; }
.status { margin: .6rem 0; color: var(--assetgraph-muted, #5b6570); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(var(--assetgraph-card-width, 180px), 1fr));
        gap: .75rem; padding: 0; margin: 0; list-style: none; }
.card { border: 2px solid transparent; border-radius: 8px; background: var(--assetgraph-surface, #fff);
        box-shadow: 0 1px 3px rgb(0 0 0 / .15); overflow: hidden; cursor: pointer; }
.card:focus { outline: 3px solid var(--assetgraph-accent, #2563eb); outline-offset: 1px; }
.card[aria-selected=true] { border-color: var(--assetgraph-accent, #2563eb); }
.preview { aspect-ratio: 4 / 3; width: 100%; object-fit: cover; background: var(--assetgraph-muted-soft, #eef1f4); display: block; }
.body { padding: .4rem .6rem .6rem; }
.title { font-weight: 600; margin: 0 0 .25rem; }
.why { font-size: 12px; color: var(--assetgraph-muted, #5b6570); margin: 0; }
.badges { display: flex; flex-wrap: wrap; gap: .25rem; margin-top: .3rem; }
.badge { font-size: 11px; border-radius: 4px; padding: 0 .35rem; background: #fff4d6; color: #6b4e00; }
.actions { display: flex; justify-content: flex-end; gap: .5rem; margin-top: .75rem; }
button { font: inherit; padding: .4rem .9rem; border-radius: 6px; border: 1px solid var(--assetgraph-border, #b8c0c8);
         background: var(--assetgraph-surface, #fff); cursor: pointer; }
button.primary { background: var(--assetgraph-accent, #2563eb); color: #fff; border-color: transparent; }
button:disabled { opacity: .5; cursor: default; }
`;

const MARKUP = `
<div class="bar" part="bar">
  <input part="input" role="combobox" aria-autocomplete="list" aria-expanded="false"
         aria-controls="suggestions" aria-label="Search assets" placeholder="Search by meaning…" autocomplete="off">
  <ul id="suggestions" role="listbox" aria-label="Suggestions" part="suggestions" hidden></ul>
</div>
<div class="chips" part="chips" aria-label="Concepts the search found"></div>
<p class="status" part="status" role="status" aria-live="polite"></p>
<ul class="grid" part="grid" role="listbox" aria-label="Results"></ul>
<div class="actions" part="actions">
  <button type="button" class="more" part="more" hidden>More</button>
  <button type="button" class="cancel" part="cancel">Cancel</button>
  <button type="button" class="primary select" part="select" disabled>Use selected</button>
</div>
`;

export class AssetgraphSearch extends HTMLElement {
  static observedAttributes = ["endpoint", "lang", "mode", "limit", ...CONTEXT];

  /** The host's function that returns a browser token (may be async). */
  getToken = null;

  #root;
  #els;
  #hits = [];
  #selected = new Map();
  #query = "";
  #total = 0;
  #suggestions = [];
  #active = -1;
  #typing = null;
  #searching = null;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
    this.#root.innerHTML = `<style>${STYLE}</style>${MARKUP}`;
    const $ = (selector) => this.#root.querySelector(selector);
    this.#els = {
      input: $("input"),
      list: $("#suggestions"),
      chips: $(".chips"),
      status: $(".status"),
      grid: $(".grid"),
      more: $(".more"),
      cancel: $(".cancel"),
      select: $(".select"),
    };
    this.#wire();
  }

  attributeChangedCallback(name, before, after) {
    // A new context shows what is cleared for it: the search runs again.
    if (before !== after && this.#query && (CONTEXT.includes(name) || name === "lang")) {
      this.search(this.#query);
    }
  }

  get endpoint() {
    return (this.getAttribute("endpoint") || window.location.origin).replace(/\/$/, "");
  }

  /** The assets chosen so far. */
  get selected() {
    return [...this.#selected.values()];
  }

  /** Searches for `text` and shows the first page. */
  async search(text, offset = 0) {
    this.#query = text.trim();
    if (!this.#query) return;
    this.#closeSuggestions();
    const params = this.#params({ q: this.#query, offset, limit: this.getAttribute("limit") || 24 });
    this.#searching?.abort();
    this.#searching = new AbortController();
    this.#els.status.textContent = "Searching…";
    const answer = await this.#get(`/api/search?${params}`, this.#searching.signal);
    if (!answer) return;
    this.#hits = offset === 0 ? answer.hits : this.#hits.concat(answer.hits);
    this.#total = answer.total;
    this.#renderChips(answer.concepts);
    this.#renderHits(offset === 0);
    const shown = this.#hits.length;
    this.#els.status.textContent =
      answer.total === 0
        ? `No asset cleared for this context matches “${this.#query}”.`
        : `${answer.total} ${answer.total === 1 ? "asset" : "assets"} cleared` +
          (shown < answer.total ? `, ${shown} shown` : "") +
          (answer.did_you_mean ? ` — showing results for “${answer.did_you_mean}”` : "");
    this.#els.more.hidden = shown >= answer.total;
  }

  #wire() {
    const { input, list, grid, more, cancel, select } = this.#els;
    input.addEventListener("input", () => {
      clearTimeout(this.#typing);
      this.#typing = setTimeout(() => this.#suggest(input.value), 150);
    });
    input.addEventListener("keydown", (event) => this.#onInputKey(event));
    list.addEventListener("mousedown", (event) => {
      const option = event.target.closest("li[role=option]");
      if (option) {
        event.preventDefault();
        this.#choose(Number(option.dataset.index));
      }
    });
    grid.addEventListener("click", (event) => {
      const card = event.target.closest(".card");
      if (card) this.#toggle(card);
    });
    grid.addEventListener("keydown", (event) => this.#onGridKey(event));
    more.addEventListener("click", () => this.search(this.#query, this.#hits.length));
    cancel.addEventListener("click", () => this.#emit("assetgraph-cancel", {}));
    select.addEventListener("click", () => this.#emit("assetgraph-select", { assets: this.selected }));
  }

  #onInputKey(event) {
    const open = !this.#els.list.hidden && this.#suggestions.length > 0;
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      this.#highlight(Math.min(this.#active + 1, this.#suggestions.length - 1));
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      this.#highlight(Math.max(this.#active - 1, 0));
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (open && this.#active >= 0) this.#choose(this.#active);
      else this.search(this.#els.input.value);
    } else if (event.key === "Escape") {
      this.#closeSuggestions();
    }
  }

  #onGridKey(event) {
    const cards = [...this.#els.grid.querySelectorAll(".card")];
    const at = cards.indexOf(this.#root.activeElement);
    if (at < 0) return;
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: this.#columns(), ArrowUp: -this.#columns() }[event.key];
    if (step) {
      event.preventDefault();
      cards[Math.max(0, Math.min(cards.length - 1, at + step))].focus();
    } else if (event.key === " " || event.key === "Enter") {
      event.preventDefault();
      this.#toggle(cards[at]);
    }
  }

  #columns() {
    const style = getComputedStyle(this.#els.grid).gridTemplateColumns;
    return Math.max(1, style.split(" ").length);
  }

  async #suggest(text) {
    if (text.trim().length < 2) return this.#closeSuggestions();
    const answer = await this.#get(`/api/suggest?${this.#params({ q: text.trim(), limit: 8 }, false)}`);
    if (!answer || this.#els.input.value !== text) return;
    this.#suggestions = [
      ...answer.concepts.map((c) => ({ label: c.label, kind: "concept" })),
      ...answer.assets.map((a) => ({ label: a.title, kind: "asset" })),
    ];
    const { list, input } = this.#els;
    list.replaceChildren(
      ...this.#suggestions.map((s, i) => {
        const li = document.createElement("li");
        li.id = `suggestion-${i}`;
        li.setAttribute("role", "option");
        li.setAttribute("part", "suggestion");
        li.dataset.index = i;
        li.textContent = s.label;
        return li;
      }),
    );
    list.hidden = this.#suggestions.length === 0;
    input.setAttribute("aria-expanded", String(!list.hidden));
    this.#active = -1;
  }

  #highlight(index) {
    this.#active = index;
    this.#els.list.querySelectorAll("li").forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    this.#els.input.setAttribute("aria-activedescendant", `suggestion-${index}`);
  }

  #choose(index) {
    const chosen = this.#suggestions[index];
    if (!chosen) return;
    this.#els.input.value = chosen.label;
    this.search(chosen.label);
  }

  #closeSuggestions() {
    this.#els.list.hidden = true;
    this.#els.input.setAttribute("aria-expanded", "false");
    this.#els.input.removeAttribute("aria-activedescendant");
    this.#active = -1;
  }

  #renderChips(concepts) {
    this.#els.chips.replaceChildren(
      ...concepts.map((concept) => {
        const chip = document.createElement("span");
        chip.className = "chip";
        chip.setAttribute("part", "chip");
        chip.title = concept.iri;
        chip.textContent = concept.label;
        return chip;
      }),
    );
  }

  #renderHits(fresh) {
    const { grid } = this.#els;
    if (fresh) grid.replaceChildren();
    const from = fresh ? 0 : grid.children.length;
    for (const hit of this.#hits.slice(from)) grid.append(this.#card(hit));
    grid.setAttribute("aria-multiselectable", String(this.getAttribute("mode") === "multiple"));
  }

  #card(hit) {
    const card = document.createElement("li");
    card.className = "card";
    card.setAttribute("part", "card");
    card.setAttribute("role", "option");
    card.setAttribute("aria-selected", String(this.#selected.has(hit.id)));
    card.tabIndex = 0;
    card.dataset.id = hit.id;
    const image = document.createElement(hit.preview?.url ? "img" : "div");
    image.className = "preview";
    image.setAttribute("part", "preview");
    if (hit.preview?.url) {
      image.src = hit.preview.url;
      image.alt = "";
      image.loading = "lazy";
    }
    const body = document.createElement("div");
    body.className = "body";
    const title = document.createElement("p");
    title.className = "title";
    title.textContent = hit.title || hit.id;
    const why = document.createElement("p");
    why.className = "why";
    why.textContent = hit.concepts.length ? `via ${hit.concepts.map((c) => c.label).join(", ")}` : hit.matched.join(", ");
    const badges = document.createElement("div");
    badges.className = "badges";
    for (const badge of hit.badges) {
      const span = document.createElement("span");
      span.className = "badge";
      span.setAttribute("part", "badge");
      span.textContent = badgeText(badge);
      badges.append(span);
    }
    body.append(title, why, badges);
    card.append(image, body);
    return card;
  }

  #toggle(card) {
    const hit = this.#hits.find((h) => h.id === card.dataset.id);
    if (!hit) return;
    const multiple = this.getAttribute("mode") === "multiple";
    if (this.#selected.has(hit.id)) {
      this.#selected.delete(hit.id);
    } else {
      if (!multiple) this.#selected.clear();
      this.#selected.set(hit.id, {
        id: hit.id,
        iri: hit.iri,
        title: hit.title,
        preview: hit.preview ?? null,
        licence: hit.licence,
      });
    }
    this.#els.grid
      .querySelectorAll(".card")
      .forEach((c) => c.setAttribute("aria-selected", String(this.#selected.has(c.dataset.id))));
    this.#els.select.disabled = this.#selected.size === 0;
  }

  #params(values, withContext = true) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(values)) params.set(name, value);
    const lang = this.getAttribute("lang");
    if (lang) params.set("lang", lang);
    if (withContext) {
      for (const name of CONTEXT) {
        const value = this.getAttribute(name);
        if (value) params.set(name, value);
      }
    }
    return params;
  }

  /** A GET with the host's token; problems become events, never throws. */
  async #get(path, signal) {
    try {
      const headers = { Accept: "application/json" };
      const token = this.getToken ? await this.getToken() : null;
      if (token) headers.Authorization = `Bearer ${token}`;
      const response = await fetch(this.endpoint + path, { headers, signal });
      const body = await response.json().catch(() => null);
      if (response.ok) return body;
      if (response.status === 401 && body?.type?.endsWith("/token-expired")) {
        this.#emit("assetgraph-token-expired", { problem: body });
      } else {
        this.#emit("assetgraph-error", { status: response.status, problem: body });
      }
      this.#els.status.textContent = body?.detail || `The search failed (${response.status}).`;
    } catch (error) {
      if (error.name === "AbortError") return null;
      this.#emit("assetgraph-error", { status: 0, problem: { detail: String(error) } });
      this.#els.status.textContent = "The search service cannot be reached.";
    }
    return null;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

/** What a result card says of a badge. */
function badgeText(badge) {
  switch (badge.kind) {
    case "editorial-only":
      return "Editorial only";
    case "expires-soon": {
      const days = Math.ceil((Date.parse(badge.date) - Date.now()) / 86_400_000);
      return Number.isFinite(days) ? `Expires in ${Math.max(days, 0)} d` : "Expires soon";
    }
    case "blocked":
      return `Blocked here: ${badge.reason}`;
    case "downloads-left":
      return `${badge.count} downloads left`;
    default:
      return badge.kind;
  }
}

if (!customElements.get("assetgraph-search")) {
  customElements.define("assetgraph-search", AssetgraphSearch);
}
