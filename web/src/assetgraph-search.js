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
// multiple), limit (hits per page), concepts (concept IRIs, space
// separated, the search starts filtered by; also the `filters` property),
// content-type (only these content types: "image", "image video"), modal
// (shown only by `open()`, over the page).
//
// Inline, the picker is part of the page. With `modal`, `open()` shows it in
// a modal dialog and returns a Promise of the chosen assets, or undefined
// when the person cancels (Cancel, Escape); `open()` works inline as well,
// resolving at the next choice.
//
// The concepts a search stands for are chips: those the words resolved to
// and those the user picked (a suggested concept, a facet). A chip can be
// removed, widened to a broader concept or narrowed to a narrower one; once
// the user acts on one, the words' concepts become filters too, and only
// the words no concept accounts for stay a text query.
//
// Events (bubbling, composed): assetgraph-select {assets}, assetgraph-cancel,
// assetgraph-error {status, problem}, assetgraph-token-expired (after which
// the request is tried once more with a token from getToken).

const CONTEXT = ["territory", "channel", "usage", "audience", "industry", "at"];
const DEFAULT_LIMIT = 24;

const STYLE = `
dialog { position: static; display: block; border: 0; padding: 0; margin: 0; width: auto; max-width: none;
        color: inherit; background: transparent; }
dialog:not([open]) { display: none; }
dialog:modal { position: fixed; width: min(1100px, 94vw); max-height: 90vh; overflow: auto; margin: auto;
        padding: 1.25rem; border-radius: 10px; background: var(--assetgraph-surface, #fff);
        box-shadow: 0 12px 40px rgb(0 0 0 / .3); }
dialog::backdrop { background: rgb(0 0 0 / .45); }
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
.chip { position: relative; display: inline-flex; align-items: center; border-radius: 999px;
        background: var(--assetgraph-accent-soft, #e3efff); font-size: 12px; }
.chip button { border: 0; background: none; padding: .15rem .35rem .15rem .65rem; font-size: 12px; border-radius: 999px; }
.chip button.remove { padding: .15rem .55rem .15rem .2rem; font-weight: 700; }
.chip.words { outline: 1px dashed var(--assetgraph-accent, #2563eb); outline-offset: -1px; }
.menu { position: absolute; top: 100%; left: 0; z-index: 3; min-width: 12rem; margin-top: 2px; padding: .3rem 0;
        background: var(--assetgraph-surface, #fff); border: 1px solid var(--assetgraph-border, #b8c0c8);
        border-radius: 6px; box-shadow: 0 4px 12px rgb(0 0 0 / .12); }
.menu[hidden] { display: none; }
.menu p { margin: .2rem .7rem; font-size: 11px; color: var(--assetgraph-muted, #5b6570); }
.menu button { display: block; width: 100%; text-align: left; border-radius: 0; padding: .25rem .9rem; }
.menu button:focus, .menu button:hover { background: var(--assetgraph-accent-soft, #e3efff); }
.layout { display: flex; gap: 1rem; align-items: flex-start; }
.layout > .results { flex: 1; min-width: 0; }
.facets { flex: 0 0 var(--assetgraph-facets-width, 13rem); font-size: 13px; }
.facets[hidden] { display: none; }
.facets h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; margin: .8rem 0 .2rem;
        color: var(--assetgraph-muted, #5b6570); }
.facets ul { list-style: none; margin: 0; padding-left: .8rem; }
.facets > ul, .facets section > ul { padding-left: 0; }
.facets button { border: 0; background: none; padding: .1rem .2rem; text-align: left; font-size: 13px; }
.facets button:hover, .facets button:focus { text-decoration: underline; }
.facets button[aria-pressed=true] { font-weight: 700; color: var(--assetgraph-accent, #2563eb); }
.facets .count { color: var(--assetgraph-muted, #5b6570); font-size: 11px; margin-left: .25rem; }
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
<dialog part="dialog" aria-label="Choose assets">
<div class="bar" part="bar">
  <input part="input" role="combobox" aria-autocomplete="list" aria-expanded="false"
         aria-controls="suggestions" aria-label="Search assets" placeholder="Search by meaning…" autocomplete="off">
  <ul id="suggestions" role="listbox" aria-label="Suggestions" part="suggestions" hidden></ul>
</div>
<div class="chips" part="chips" role="group" aria-label="Concepts searched for"></div>
<p class="status" part="status" role="status" aria-live="polite"></p>
<div class="layout">
  <nav class="facets" part="facets" aria-label="Refine by concept" hidden></nav>
  <div class="results"><ul class="grid" part="grid" role="listbox" aria-label="Results"></ul></div>
</div>
<div class="actions" part="actions">
  <button type="button" class="more" part="more" hidden>More</button>
  <button type="button" class="cancel" part="cancel">Cancel</button>
  <button type="button" class="primary select" part="select" disabled>Use selected</button>
</div>
</dialog>
`;

export class AssetgraphSearch extends HTMLElement {
  static observedAttributes = ["endpoint", "lang", "mode", "limit", "concepts", "content-type", "modal", ...CONTEXT];

  /** The host's function that returns a browser token (may be async). */
  getToken = null;

  #root;
  #els;
  #hits = [];
  #selected = new Map();
  #query = "";
  /** Concepts the search is filtered by: {iri, label}. */
  #filters = [];
  /** The concepts the words resolved to in the last answer. */
  #resolved = [];
  #correctedQuery = null;
  /** The titles of the concept schemes, by IRI and language, read once. */
  #schemeTitles = null;
  #total = 0;
  #suggestions = [];
  #active = -1;
  #typing = null;
  /** Counts the searches and closings: a late suggestion answer is dropped. */
  #turn = 0;
  #searching = null;
  /** Resolves the Promise of `open()`, at the next choice or cancel. */
  #pending = null;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
    this.#root.innerHTML = `<style>${STYLE}</style>${MARKUP}`;
    const $ = (selector) => this.#root.querySelector(selector);
    this.#els = {
      input: $("input"),
      list: $("#suggestions"),
      dialog: $("dialog"),
      chips: $(".chips"),
      facets: $(".facets"),
      status: $(".status"),
      grid: $(".grid"),
      more: $(".more"),
      cancel: $(".cancel"),
      select: $(".select"),
    };
    this.#wire();
  }

  connectedCallback() {
    this.#placeDialog();
  }

  /** Inline, the dialog is simply open in the page; modal, it waits for `open()`. */
  #placeDialog() {
    const { dialog } = this.#els;
    if (this.hasAttribute("modal")) {
      if (dialog.open && !dialog.matches(":modal")) dialog.close();
    } else if (!dialog.open) {
      dialog.show();
    }
  }

  /**
   * Shows the picker (over the page when `modal`) and resolves with the
   * chosen assets, or undefined when the person cancels.
   */
  open() {
    const { dialog, input } = this.#els;
    if (this.hasAttribute("modal") && !dialog.open) dialog.showModal();
    input.focus();
    this.#pending?.(undefined);
    return new Promise((resolve) => (this.#pending = resolve));
  }

  /** Hides a modal picker, as Cancel does. */
  close() {
    this.#finish("assetgraph-cancel", {}, undefined);
  }

  #finish(type, detail, result) {
    this.#emit(type, detail);
    this.#pending?.(result);
    this.#pending = null;
    if (this.hasAttribute("modal") && this.#els.dialog.open) this.#els.dialog.close();
  }

  attributeChangedCallback(name, before, after) {
    if (before === after) return;
    if (name === "modal") {
      this.#placeDialog();
    } else if (name === "concepts") {
      this.filters = (after || "").split(/\s+/).filter(Boolean);
    } else if (this.#searched() && (CONTEXT.includes(name) || name === "lang" || name === "content-type")) {
      // A new context shows what is cleared for it: the search runs again.
      this.#run();
    }
  }

  /** The concept IRIs the search is filtered by. */
  get filters() {
    return this.#filters.map((f) => f.iri);
  }

  set filters(iris) {
    this.#filters = [...new Set(iris)].map((iri) => ({ iri, label: labelOf(iri) }));
    if (this.#searched()) this.#run();
  }

  get endpoint() {
    return (this.getAttribute("endpoint") || window.location.origin).replace(/\/$/, "");
  }

  /** The assets chosen so far. */
  get selected() {
    return [...this.#selected.values()];
  }

  /** Searches for `text` (within the concept filters) and shows the first page. */
  search(text) {
    this.#query = text.trim();
    this.#els.input.value = this.#query;
    return this.#run();
  }

  #searched() {
    return this.#query !== "" || this.#filters.length > 0;
  }

  async #run(offset = 0) {
    if (!this.#searched()) return;
    this.#closeSuggestions();
    const params = this.#params({ offset, limit: this.getAttribute("limit") || DEFAULT_LIMIT });
    if (this.#query) params.set("q", this.#query);
    for (const filter of this.#filters) params.append("concept", filter.iri);
    for (const type of (this.getAttribute("content-type") || "").split(/\s+/).filter(Boolean)) {
      params.append("content_type", type);
    }
    this.#searching?.abort();
    this.#searching = new AbortController();
    this.#els.status.textContent = "Searching…";
    this.#schemeTitles ??= this.#readSchemeTitles();
    const answer = await this.#get(`/api/search?${params}`, this.#searching.signal);
    if (!answer) return;
    const titles = await this.#schemeTitles;
    if (!titles) this.#schemeTitles = null; // asked again next time
    this.#hits = offset === 0 ? answer.hits : this.#hits.concat(answer.hits);
    this.#total = answer.total;
    this.#resolved = answer.concepts.filter((c) => !this.#filters.some((f) => f.iri === c.iri));
    this.#correctedQuery = answer.did_you_mean ?? null;
    this.#renderChips();
    this.#renderFacets(answer.facets?.schemes ?? [], titles);
    this.#renderHits(offset === 0);
    const shown = this.#hits.length;
    this.#els.status.textContent =
      answer.total === 0
        ? `No asset cleared for this context matches “${this.#describe()}”.`
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
    input.addEventListener("blur", () => this.#closeSuggestions());
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
    more.addEventListener("click", () => this.#run(this.#hits.length));
    cancel.addEventListener("click", () => this.close());
    select.addEventListener("click", () => this.#finish("assetgraph-select", { assets: this.selected }, this.selected));
    // Escape in a modal picker: the dialog's own cancel, as Cancel.
    this.#els.dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      this.close();
    });
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
    } else if (event.key === "Escape" && open) {
      // Escape closes the suggestions first, and only them.
      event.preventDefault();
      event.stopPropagation();
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
    const turn = this.#turn;
    const answer = await this.#get(`/api/suggest?${this.#params({ q: text.trim(), limit: 8 }, false)}`);
    // Typed on, searched or left since: this answer is not wanted any more.
    if (!answer || this.#els.input.value !== text || turn !== this.#turn) return;
    this.#suggestions = [
      ...answer.concepts.map((c) => ({ label: c.label, iri: c.iri, kind: "concept" })),
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

  /** A suggested concept becomes a filter; a suggested title is searched. */
  #choose(index) {
    const chosen = this.#suggestions[index];
    if (!chosen) return;
    if (chosen.kind !== "concept") return this.search(chosen.label);
    this.#addFilter({ iri: chosen.iri, label: chosen.label });
    this.search("");
  }

  #addFilter(concept) {
    if (!this.#filters.some((f) => f.iri === concept.iri)) this.#filters.push(concept);
  }

  /** What the search stands for, in words, for the status line. */
  #describe() {
    return [this.#query, ...this.#filters.map((f) => f.label)].filter(Boolean).join(" + ");
  }

  #closeSuggestions() {
    this.#turn += 1;
    clearTimeout(this.#typing);
    this.#els.list.hidden = true;
    this.#els.input.setAttribute("aria-expanded", "false");
    this.#els.input.removeAttribute("aria-activedescendant");
    this.#active = -1;
  }

  #renderChips() {
    const chips = [
      ...this.#resolved.map((c) => ({ iri: c.iri, label: c.label, words: true })),
      ...this.#filters.map((f) => ({ ...f, words: false })),
    ];
    this.#els.chips.replaceChildren(...chips.map((concept) => this.#chip(concept)));
  }

  /** One chip: its label opens the wider and narrower concepts; × removes it. */
  #chip(concept) {
    const chip = document.createElement("span");
    chip.className = concept.words ? "chip words" : "chip";
    chip.setAttribute("part", "chip");
    chip.dataset.iri = concept.iri;
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = concept.label;
    open.title = concept.words ? `${concept.iri} (from your words)` : concept.iri;
    open.setAttribute("aria-haspopup", "menu");
    open.setAttribute("aria-expanded", "false");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", `Remove ${concept.label}`);
    const menu = document.createElement("div");
    menu.className = "menu";
    menu.setAttribute("role", "menu");
    menu.setAttribute("part", "chip-menu");
    menu.hidden = true;
    open.addEventListener("click", () => this.#toggleMenu(concept, open, menu));
    remove.addEventListener("click", () => this.#replace(concept.iri, []));
    menu.addEventListener("keydown", (event) => this.#onMenuKey(event, open, menu));
    chip.append(open, remove, menu);
    return chip;
  }

  async #toggleMenu(concept, button, menu) {
    if (!menu.hidden) return this.#closeMenu(button, menu);
    const params = new URLSearchParams({ iri: concept.iri });
    const lang = this.getAttribute("lang");
    if (lang) params.set("lang", lang);
    const about = await this.#get(`/api/concepts?${params}`);
    if (!about) return;
    const item = (target, verb) => {
      const entry = document.createElement("button");
      entry.type = "button";
      entry.setAttribute("role", "menuitem");
      entry.textContent = target.label || labelOf(target.iri);
      entry.setAttribute("aria-label", `${verb} to ${entry.textContent}`);
      entry.addEventListener("click", () => this.#replace(concept.iri, [{ iri: target.iri, label: entry.textContent }]));
      return entry;
    };
    const heading = (text) => Object.assign(document.createElement("p"), { textContent: text });
    const broader = about.broader ?? [];
    const narrower = about.narrower ?? [];
    menu.replaceChildren(
      ...(broader.length ? [heading("Widen to"), ...broader.map((b) => item(b, "Widen"))] : []),
      ...(narrower.length ? [heading("Narrow to"), ...narrower.map((n) => item(n, "Narrow"))] : []),
      ...(broader.length + narrower.length === 0 ? [heading("No wider or narrower concept")] : []),
    );
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    menu.querySelector("button")?.focus();
  }

  #closeMenu(button, menu) {
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }

  #onMenuKey(event, button, menu) {
    const items = [...menu.querySelectorAll("button")];
    const at = items.indexOf(this.#root.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      this.#closeMenu(button, menu);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      items[(at + step + items.length) % items.length]?.focus();
    }
  }

  /**
   * Replaces one chip's concept by others (none: removes it). The words'
   * concepts become filters first, and the words they account for leave
   * the text query, so that what the chips show is what is searched.
   */
  #replace(iri, by) {
    let words = this.#correctedQuery ?? this.#query;
    for (const concept of this.#resolved) {
      words = withoutPhrase(words, concept.label);
      const matched = this.#resolvedMatched(concept);
      if (matched) words = withoutPhrase(words, matched);
      this.#addFilter({ iri: concept.iri, label: concept.label });
    }
    const at = this.#filters.findIndex((f) => f.iri === iri);
    this.#filters.splice(at < 0 ? this.#filters.length : at, at < 0 ? 0 : 1);
    for (const concept of by) this.#addFilter(concept);
    this.#resolved = [];
    this.#query = words.trim();
    this.#els.input.value = this.#query;
    if (this.#searched()) return this.#run();
    this.#clearResults();
  }

  #resolvedMatched(concept) {
    return concept.matched && concept.matched !== concept.label ? concept.matched : null;
  }

  #clearResults() {
    this.#hits = [];
    this.#els.chips.replaceChildren();
    this.#els.grid.replaceChildren();
    this.#els.facets.hidden = true;
    this.#els.more.hidden = true;
    this.#els.status.textContent = "";
  }

  /**
   * The schemes' titles from the taxonomies the caller may read, or null;
   * without them (a refusal, an expired token) the tree names schemes by
   * their IRIs until the next search reads them.
   */
  async #readSchemeTitles() {
    const answer = await this.#get("/api/taxonomies", undefined, { quiet: true });
    if (!answer?.projects) return null;
    return new Map(answer.projects.flatMap((p) => p.schemes ?? []).map((s) => [s.iri, s.title ?? {}]));
  }

  /** The facet tree: per scheme, its concepts under their broader ones. */
  #renderFacets(schemes, titles) {
    const { facets } = this.#els;
    facets.replaceChildren(...schemes.map((scheme) => this.#schemeFacet(scheme, titles)));
    facets.hidden = schemes.length === 0;
  }

  #schemeFacet(scheme, titles) {
    const section = document.createElement("section");
    const title = document.createElement("h3");
    const titled = titles?.get(scheme.scheme) ?? {};
    title.textContent = titled[this.getAttribute("lang") || "en"] ?? titled.en ?? Object.values(titled)[0] ?? labelOf(scheme.scheme);
    const present = new Set(scheme.concepts.map((c) => c.iri));
    const children = new Map();
    const roots = [];
    for (const concept of scheme.concepts) {
      const parents = concept.broader.filter((b) => present.has(b));
      if (parents.length === 0) roots.push(concept);
      for (const parent of parents) children.set(parent, [...(children.get(parent) ?? []), concept]);
    }
    const branch = (concepts, seen) => {
      const list = document.createElement("ul");
      for (const concept of concepts) {
        if (seen.has(concept.iri)) continue;
        const item = document.createElement("li");
        const pick = document.createElement("button");
        pick.type = "button";
        pick.setAttribute("part", "facet");
        pick.dataset.iri = concept.iri;
        pick.setAttribute("aria-pressed", String(this.#filters.some((f) => f.iri === concept.iri)));
        pick.append(concept.label);
        const count = Object.assign(document.createElement("span"), { className: "count", textContent: concept.count });
        pick.append(count);
        pick.setAttribute("aria-label", `${concept.label}, ${concept.count} assets`);
        pick.addEventListener("click", () => {
          this.#addFilter({ iri: concept.iri, label: concept.label });
          this.#run();
        });
        item.append(pick);
        const below = children.get(concept.iri);
        if (below) item.append(branch(below, new Set([...seen, concept.iri])));
        list.append(item);
      }
      return list;
    };
    section.append(title, branch(roots, new Set()));
    return section;
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
    why.textContent = [hit.content_type, this.#why(hit)].filter(Boolean).join(" · ");
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

  /** Why a hit is there, in a few words. */
  #why(hit) {
    if (hit.concepts.length) return `via ${hit.concepts.map((c) => c.label).join(", ")}`;
    if (!this.#query) return `in ${this.#filters.map((f) => f.label).join(" + ")}`;
    return hit.matched.join(", ");
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

  /**
   * A GET with the host's token; problems become events, never throws. An
   * expired token is said with `assetgraph-token-expired`, whose listener
   * can drop the host's cached token; the request is then tried once more
   * with what `getToken` gives next. `quiet`: a failure is only a null
   * (for what the picker can do without).
   */
  async #get(path, signal, { quiet = false, retried = false } = {}) {
    try {
      const headers = { Accept: "application/json" };
      const token = this.getToken ? await this.getToken() : null;
      if (token) headers.Authorization = `Bearer ${token}`;
      const response = await fetch(this.endpoint + path, { headers, signal });
      const body = await response.json().catch(() => null);
      if (response.ok) return body;
      if (quiet) return null;
      if (response.status === 401 && body?.type?.endsWith("/token-expired")) {
        this.#emit("assetgraph-token-expired", { problem: body });
        if (!retried && this.getToken) return this.#get(path, signal, { retried: true });
      } else {
        this.#emit("assetgraph-error", { status: response.status, problem: body });
      }
      this.#els.status.textContent = body?.detail || `The search failed (${response.status}).`;
    } catch (error) {
      if (error.name === "AbortError" || quiet) return null;
      this.#emit("assetgraph-error", { status: 0, problem: { detail: String(error) } });
      this.#els.status.textContent = "The search service cannot be reached.";
    }
    return null;
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }
}

/** A readable name from an IRI's last segment, until its label is known. */
function labelOf(iri) {
  const last = decodeURIComponent(iri.replace(/[/#]+$/, "").split(/[/#:]/).pop() || iri);
  const words = last.replace(/[-_]+/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `text` without `phrase` (whole words, any case). */
function withoutPhrase(text, phrase) {
  const escaped = phrase.trim().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  if (!escaped) return text;
  return text.replace(new RegExp(`(^|\\s)${escaped}(?=\\s|$)`, "iu"), " ").replace(/\s+/g, " ").trim();
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
