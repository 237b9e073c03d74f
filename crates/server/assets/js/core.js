// Shared by every page module: the JSON API, flash messages, safe element building, forms,
// paged tables, device events and timers that respect a hidden tab.

export const $ = (id) => document.getElementById(id);

// The page's texts in the viewer's language (base.html embeds them; ids start with `js-`).
const messages = JSON.parse(document.getElementById("messages")?.textContent || "{}");

// The text `key`, with `{name}` filled from `vars`.
export function t(key, vars = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}

// Dates, times and numbers as the viewer reads them: their language, their time zone.
const lang = document.documentElement.lang === "id" ? "id-ID" : "en-GB";
const timeZone = document.querySelector('meta[name="time-zone"]')?.content || undefined;
const dateTime = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", timeZone });
export const number = (n) => new Intl.NumberFormat(lang).format(n);
// Rupiah as Indonesians write them in either language: "Rp 20.000" (as domain::Rupiah does).
const idr = new Intl.NumberFormat("id-ID", { maximumFractionDigits: 0 });
export const rupiah = (n) => `${n < 0 ? "-" : ""}Rp ${idr.format(Math.abs(n))}`;

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

// Calls the JSON API with the session's CSRF token; a non-2xx answer throws its message.
export async function api(method, url, body) {
  const opts = { method, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" };
  if (body instanceof FormData) {
    opts.body = body; // the browser sets the multipart boundary
  } else if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(url, opts);
  // The login and register forms show their own 401 ("wrong e-mail or password").
  if (res.status === 401 && !url.startsWith("/api/auth/")) {
    location.href = "/login";
    throw new Error(t("js-session-ended"));
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(data?.error?.message || t("js-request-failed", { status: res.status }));
    err.status = res.status;
    err.code = data?.error?.code;
    err.field = data?.error?.field;
    throw err;
  }
  return data;
}

// On a phone a table shows each row as a card whose cells name their column (app.css): label
// the cells from the header whenever a table's rows change.
function labelCells(table) {
  const heads = [...table.querySelectorAll("thead th")]
    .map((th) => (th.querySelector(".visually-hidden") ? "" : th.textContent.trim()));
  for (const tr of table.querySelectorAll("tbody tr")) {
    [...tr.children].forEach((td, i) => { if (heads[i] && !td.dataset.label) td.dataset.label = heads[i]; });
  }
}
for (const table of document.querySelectorAll(".table-wrap table")) {
  labelCells(table);
  new MutationObserver(() => labelCells(table)).observe(table, { childList: true, subtree: true });
}

// A question in a modal dialog, never confirm() or prompt(): the page behind is inert while it
// is open, Escape or Cancel answers no. Resolves `true`/`false`; with `fields` ([{name, label,
// value}]) it asks for those values and resolves them as an object, or `null`.
export function ask({ message, yes, danger = false, fields }) {
  return new Promise((resolve) => {
    const inputs = (fields || []).map((f) => el("input", { name: f.name, value: f.value ?? "" }));
    const dialog = el("dialog", { class: "card", "aria-label": message });
    const form = el("form", { method: "dialog" },
      el("p", {}, message),
      (fields || []).map((f, i) => el("label", {}, f.label, inputs[i])),
      el("div", { class: "actions" },
        el("button", { type: "button", onclick: () => dialog.close("no") }, t("js-cancel")),
        el("button", { type: "submit", value: "yes", class: danger ? "danger" : "primary" }, yes)));
    dialog.append(form);
    dialog.addEventListener("close", () => {
      const confirmed = dialog.returnValue === "yes";
      dialog.remove();
      if (!fields) resolve(confirmed);
      else resolve(confirmed ? Object.fromEntries(inputs.map((i) => [i.name, i.value.trim()])) : null);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function flash(message, ok) {
  const box = $("flash");
  if (!box) return;
  box.textContent = message;
  box.classList.toggle("ok", !!ok);
  box.hidden = !message;
}

// Builds an element; children may be strings (always inserted as text, never as HTML), and
// `on...` attributes become listeners, so no inline handler ever meets the CSP.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) node.append(c instanceof Node ? c : String(c));
  return node;
}

export const when = (at) => (at ? dateTime.format(new Date(at)) : t("js-never"));

export function formData(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) out[k] = typeof v === "string" ? v.trim() : v;
  return out;
}

// Submits a form through `action`, disabling the button meanwhile and showing errors.
export function onSubmit(form, action) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    flash("");
    try { await action(formData(form)); } catch (err) { flash(err.message); } finally { button.disabled = false; }
  });
}

// Runs `fn` after the user stops typing in `input` for a moment, so a search is one request.
export function onTyped(input, fn) {
  let timer;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(input.value.trim()), 250);
  });
}

// "n total · page p of P" (or "n shown", `counted` = "shown") with Previous/Next buttons that
// call `go(page)`.
export function pager(box, { total, page, per_page }, go, counted = "total") {
  const pages = Math.max(1, Math.ceil(total / per_page));
  const summary = t(counted === "shown" ? "js-pager-shown" : "js-pager-total", { total: number(total), page, pages });
  box.replaceChildren(
    el("span", {}, summary),
    el("button", { type: "button", disabled: page <= 1, onclick: () => go(page - 1) }, t("js-previous")),
    el("button", { type: "button", disabled: page >= pages, onclick: () => go(page + 1) }, t("js-next")),
  );
}

// A paged, searchable table fed by a list endpoint returning {items,total,page,per_page}.
// `url` may be a function, read at each load; while it gives nothing, nothing is loaded.
export function pagedTable({ url, tbody, row, empty, pager: box, search, params: extra }) {
  let page = 1, q = "", loads = 0;
  async function load() {
    const path = typeof url === "function" ? url() : url;
    if (!path) return;
    // Two loads under way (a quick second click): only the later one's answer is shown.
    const mine = ++loads;
    try {
      const params = new URLSearchParams({ page, per_page: 25 });
      if (q) params.set("q", q);
      for (const [k, v] of Object.entries(extra ? extra() : {})) if (v) params.set(k, v);
      const data = await api("GET", `${path}?${params}`);
      if (mine !== loads) return;
      tbody.replaceChildren(...data.items.map(row));
      empty.hidden = data.items.length > 0;
      pager(box, data, (p) => { page = p; load(); });
    } catch (err) { flash(err.message); }
  }
  if (search) onTyped(search, (value) => { q = value; page = 1; load(); });
  load();
  return { reload: load };
}

// Runs `fn` every `every` ms (a number, or a function read before each wait) while the tab is
// visible. A hidden tab makes no requests at all; when it shows again `fn` runs at once, so
// the page is current the moment someone looks. Returns a function that stops it for good.
export function poll(fn, every) {
  let timer = null;
  const wait = () => (typeof every === "function" ? every() : every);
  const schedule = () => { timer = setTimeout(() => { fn(); schedule(); }, wait()); };
  const onVisibility = () => {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else if (timer === null) { // not on a repeated "visible", which would double the requests
      fn();
      schedule();
    }
  };
  document.addEventListener("visibilitychange", onVisibility);
  if (!document.hidden) schedule();
  return () => {
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  };
}

// "Last updated N s ago" in `node`; call the returned `loaded()` after each successful load.
export function ageTicker(node) {
  let last = 0;
  const tick = () => {
    if (last) node.textContent = t("js-updated-seconds-ago", { seconds: Math.round((Date.now() - last) / 1000) });
  };
  poll(tick, 1000);
  return () => { last = Date.now(); tick(); };
}

// Listens to the device events of `/api/events` (`handlers`: event name → function of the
// parsed data). EventSource retries a dropped connection by itself but gives up for good
// after an error answer (a restart, a proxy), so then a new one is opened with a growing
// delay; `onReconnect` runs once it is back, since events may have been missed meanwhile.
export function deviceEvents(handlers, onReconnect) {
  let delay = 2000, source, lost = false;
  const open = () => {
    source = new EventSource("/api/events");
    for (const [name, fn] of Object.entries(handlers)) {
      source.addEventListener(name, (e) => fn(e.data ? JSON.parse(e.data) : null));
    }
    source.addEventListener("open", () => {
      delay = 2000;
      if (lost) onReconnect?.();
      lost = false;
    });
    source.addEventListener("error", () => {
      lost = true;
      if (source.readyState !== EventSource.CLOSED) return;
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 60000);
    });
  };
  open();
}

// The "all my outlets or chosen ones" part of a form (templates/outlet_scope.html). Loads the
// caller's outlets as choices, then calls `loaded(outlets)`. `names` maps an outlet's id to its
// name; `ids()` reads the choice as the API takes it (none: every outlet); `set(all, ids)`
// shows a saved one; `show()` after a form reset.
export function outletScope(form, loaded) {
  const names = new Map();
  const box = $("outlet-choices");
  const show = () => {
    const chosen = form.elements.outlet_scope.value === "chosen";
    box.hidden = !chosen || names.size === 0;
    $("no-outlets").hidden = !chosen || names.size > 0;
  };
  for (const radio of form.querySelectorAll("input[name=outlet_scope]")) radio.addEventListener("change", show);
  (async () => {
    try {
      const list = await api("GET", "/api/outlets?per_page=200");
      for (const o of list.items) {
        names.set(o.id, o.name);
        box.append(el("label", { class: "check" }, el("input", { type: "checkbox", name: "outlet", value: o.id }), o.name));
      }
      show();
      loaded?.(list.items);
    } catch (err) { flash(err.message); }
  })();
  return {
    names,
    show,
    ids: () => (form.elements.outlet_scope.value === "chosen"
      ? [...box.querySelectorAll("input:checked")].map((i) => Number(i.value)) : []),
    set(all, ids) {
      form.elements.outlet_scope.value = all ? "all" : "chosen";
      for (const input of box.querySelectorAll("input")) input.checked = ids.includes(Number(input.value));
      show();
    },
  };
}
