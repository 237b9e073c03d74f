import { $, api, ask, el, flash, number, pagedTable, t, when } from "./core.js";

const form = $("template-form");
const body = $("template-body");
const bodyError = $("body-error");
const nameError = $("name-error");
const previewBox = $("preview-text");
const contactSelect = $("preview-contact");
let editing = null; // the template being changed, or null for a new one

// A refusal shown at its field (the body's names the line and column); others in the flash.
function showError(err) {
  const box = err.field === "body" ? bodyError : err.field === "name" ? nameError : null;
  if (!box) { flash(err.message); return; }
  // The message starts with the field's name, which the place it is shown already says.
  box.textContent = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
  box.hidden = false;
  if (box === bodyError) body.setAttribute("aria-invalid", "true");
}

function clearErrors() {
  for (const box of [bodyError, nameError]) { box.textContent = ""; box.hidden = true; }
  body.removeAttribute("aria-invalid");
}

// The live preview: one request after typing stops, and only the newest answer is shown.
let asked = 0, timer = null;
async function preview() {
  const text = body.value;
  const mine = ++asked;
  if (!text.trim()) {
    clearErrors();
    previewBox.classList.remove("stale");
    previewBox.textContent = t("js-templates-preview-empty");
    return;
  }
  const request = { body: text };
  if (contactSelect.value) request.contact_id = Number(contactSelect.value);
  try {
    const shown = await api("POST", "/api/templates/preview", request);
    if (mine !== asked) return;
    clearErrors();
    previewBox.classList.remove("stale");
    previewBox.textContent = shown.text;
  } catch (err) {
    if (mine !== asked) return;
    previewBox.classList.add("stale"); // the last good preview, until the body is fixed
    showError(err);
  }
}
function schedulePreview() {
  clearTimeout(timer);
  timer = setTimeout(preview, 300);
}
body.addEventListener("input", schedulePreview);
contactSelect.addEventListener("change", preview);

// The variable buttons put `{{name}}` where the cursor is.
for (const button of document.querySelectorAll("button[data-variable]")) {
  button.addEventListener("click", () => {
    const insert = `{{${button.dataset.variable}}}`;
    const [start, end] = [body.selectionStart ?? body.value.length, body.selectionEnd ?? body.value.length];
    body.setRangeText(insert, start, end, "end");
    body.focus();
    schedulePreview();
  });
}

function resetEditor() {
  editing = null;
  form.reset();
  clearErrors();
  $("editor-heading").textContent = $("editor-heading").dataset.newText;
  $("cancel-edit").hidden = true;
  preview();
}
$("editor-heading").dataset.newText = $("editor-heading").textContent;
$("cancel-edit").addEventListener("click", resetEditor);

function edit(tpl) {
  editing = tpl;
  form.elements.name.value = tpl.name;
  form.elements.category.value = tpl.category;
  form.elements.caption_mode.value = tpl.caption_mode;
  body.value = tpl.body;
  $("editor-heading").textContent = tpl.name;
  $("cancel-edit").hidden = false;
  clearErrors();
  preview();
  form.scrollIntoView({ behavior: "smooth", block: "start" });
  form.elements.name.focus();
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  flash("");
  clearErrors();
  const data = {
    name: form.elements.name.value.trim(),
    category: form.elements.category.value,
    caption_mode: form.elements.caption_mode.value,
    body: body.value,
  };
  try {
    const saved = editing
      ? await api("PATCH", `/api/templates/${editing.id}`, data)
      : await api("POST", "/api/templates", data);
    flash(t("js-templates-saved", { name: saved.name }), true);
    resetEditor();
    table.reload();
  } catch (err) { showError(err); } finally { button.disabled = false; }
});

async function remove(tpl) {
  const sure = await ask({ message: t("js-templates-delete-confirm", { name: tpl.name }), yes: t("js-templates-delete"), danger: true });
  if (!sure) return;
  try {
    await api("DELETE", `/api/templates/${tpl.id}`);
    if (editing?.id === tpl.id) resetEditor();
    flash(t("js-templates-deleted", { name: tpl.name }), true);
    table.reload();
  } catch (err) { flash(err.message); }
}

const search = $("search");
const category = $("category-filter");
const table = pagedTable({
  url: "/api/templates",
  tbody: document.querySelector("#templates-table tbody"),
  empty: $("empty"),
  pager: $("pager"),
  search,
  params: () => ({ category: category.value }),
  row: (tpl) => el("tr", { "data-id": tpl.id },
    el("td", {}, tpl.name),
    el("td", {}, el("span", { class: "badge" }, t(`js-templates-category-${tpl.category}`))),
    el("td", { class: "text-cell" }, tpl.body.length > 120 ? `${tpl.body.slice(0, 120)}…` : tpl.body),
    el("td", {}, t("js-templates-used", { count: number(tpl.usage_count) })),
    el("td", {}, when(tpl.updated_at)),
    el("td", { class: "actions" },
      el("button", { type: "button", "aria-label": t("js-templates-edit-label", { name: tpl.name }), onclick: () => edit(tpl) }, t("js-templates-edit")),
      el("button", { type: "button", class: "danger", "aria-label": t("js-templates-delete-label", { name: tpl.name }), onclick: () => remove(tpl) },
        t("js-templates-delete")))),
});
category.addEventListener("change", () => table.reload());

// The caller's contacts to preview with (the first page, by name).
(async () => {
  try {
    const contacts = await api("GET", "/api/contacts?per_page=100");
    for (const c of contacts.items) {
      contactSelect.append(el("option", { value: c.id }, c.name ? `${c.name} (${c.wa_number})` : c.wa_number));
    }
  } catch (err) { flash(err.message); }
})();
preview();
