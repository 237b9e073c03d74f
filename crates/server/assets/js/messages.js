import { $, api, el, flash, onSubmit, onTyped, pagedTable, poll, t, when } from "./core.js";

// A message status as the viewer reads it; the API's word when the catalogue has none.
const statusLabel = (status) => {
  const key = `js-messages-status-${status}`;
  const label = t(key);
  return label === key ? status : label;
};

// Outlet names for the table, and the choice of sender for the form.
const outlets = new Map();
try {
  const list = await api("GET", "/api/outlets?per_page=200");
  for (const o of list.items) {
    outlets.set(o.id, o.name);
    $("outlet-select").append(el("option", { value: o.id }, `${o.name} (${o.wa_number})`));
  }
} catch (err) { flash(err.message); }

// The arrow is for the eye; a screen reader hears the direction's name.
function directionCell(direction) {
  const label = t(direction === "out" ? "js-messages-direction-out" : "js-messages-direction-in");
  return el("td", { title: label },
    el("span", { "aria-hidden": "true" }, direction === "out" ? "→" : "←"),
    el("span", { class: "visually-hidden" }, label));
}

// What wrote an outgoing message by itself (an auto-reply rule, a chatbot), as a small mark.
function originBadge(origin) {
  if (!origin) return null;
  const key = `js-messages-origin-${origin}`;
  const label = t(key);
  return [el("span", { class: "badge origin", "data-origin": origin }, label === key ? origin : label), " "];
}

let direction = "", status = "";
const table = pagedTable({
  url: "/api/messages",
  params: () => ({ direction, status }),
  tbody: document.querySelector("#messages-table tbody"),
  empty: $("empty"),
  pager: $("pager"),
  row: (m) => el("tr", { "data-id": m.id },
    el("td", {}, when(m.created_at)), el("td", {}, outlets.get(m.outlet_id) || `#${m.outlet_id}`),
    directionCell(m.direction), el("td", {}, m.peer),
    el("td", { class: "text-cell" }, originBadge(m.origin), m.body),
    el("td", { class: `status-${m.status}`, title: m.error || "" }, statusLabel(m.status), m.error ? ` — ${m.error}` : "")),
});
$("direction-filter").addEventListener("change", (e) => { direction = e.target.value; table.reload(); });
$("status-filter").addEventListener("change", (e) => { status = e.target.value; table.reload(); });
// A sent message moves pending → sent → delivered → read within seconds; follow it.
poll(table.reload, 3000);

const typeSelect = $("type-select");
typeSelect.addEventListener("change", () => {
  const media = typeSelect.value !== "text";
  $("text-field").hidden = media;
  $("file-field").hidden = !media;
  $("caption-field").hidden = !media;
  // A template is text: media goes without one.
  if (media && $("template-select").value) { $("template-select").value = ""; $("template-preview-box").hidden = true; }
});

// A contact picked by name fills the number (and the template's variables); a template
// replaces the text, previewed for that contact as it will be sent.
const contactOptions = new Map();
let contactId = null;
const templates = new Map();
try {
  const list = await api("GET", "/api/templates?per_page=200");
  for (const tp of list.items) {
    templates.set(String(tp.id), tp);
    $("template-select").append(el("option", { value: tp.id }, tp.name));
  }
} catch (err) { flash(err.message); }

const contactLabel = (c) => `${c.name || c.wa_number} — ${c.wa_number}`;
onTyped($("contact-search"), async (q) => {
  const picked = contactOptions.get($("contact-search").value);
  if (picked) return;
  try {
    const list = await api("GET", `/api/contacts?${new URLSearchParams({ q, per_page: 20 })}`);
    contactOptions.clear();
    $("contact-options").replaceChildren(...list.items.map((c) => {
      contactOptions.set(contactLabel(c), c);
      return el("option", { value: contactLabel(c) });
    }));
  } catch (err) { flash(err.message); }
});
$("contact-search").addEventListener("input", () => {
  const c = contactOptions.get($("contact-search").value);
  contactId = c ? c.id : null;
  if (c) { form.elements.to.value = c.wa_number; preview(); }
});

async function preview() {
  const tp = templates.get($("template-select").value);
  $("template-preview-box").hidden = !tp;
  $("text-field").hidden = !!tp || typeSelect.value !== "text";
  if (!tp) return;
  try {
    const shown = await api("POST", "/api/templates/preview", { body: tp.body, contact_id: contactId ?? undefined });
    $("template-preview").textContent = shown.text;
  } catch (err) { $("template-preview").textContent = err.message; }
}
$("template-select").addEventListener("change", () => {
  if ($("template-select").value) { typeSelect.value = "text"; typeSelect.dispatchEvent(new Event("change")); }
  preview();
});

const form = $("send-form");
onSubmit(form, async (data) => {
  let body;
  if (data.template_id) {
    body = { outlet_id: Number(data.outlet_id), to: data.to, template_id: Number(data.template_id) };
    if (contactId) body.contact_id = contactId;
  } else if (data.type === "text") {
    body = { outlet_id: Number(data.outlet_id), to: data.to, text: data.text };
  } else {
    const file = form.elements.file.files[0];
    if (!file) throw new Error(t("js-messages-choose-file"));
    body = new FormData();
    for (const k of ["outlet_id", "to", "type", "caption"]) body.append(k, data[k] || "");
    body.append("file", file);
  }
  const m = await api("POST", "/api/messages", body);
  form.elements.text.value = "";
  form.elements.caption.value = "";
  form.elements.file.value = "";
  flash(t("js-messages-queued", { id: m.id, peer: m.peer, status: statusLabel(m.status) }), true);
  table.reload();
});
