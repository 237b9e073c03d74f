import { $, api, ask, el, flash, number, onSubmit, pagedTable, t, when } from "./core.js";

// The viewer's outlets (filters, home outlet) and tags (filters, chips, bulk actions).
const outlets = new Map();
let tags = [];
const selected = new Set();

try {
  const list = await api("GET", "/api/outlets?per_page=200");
  for (const o of list.items) {
    outlets.set(o.id, o.name);
    $("filter-outlet").append(el("option", { value: o.id }, o.name));
    document.querySelector("#contact-form select[name=home_outlet_id]").append(el("option", { value: o.id }, o.name));
  }
} catch (err) { flash(err.message); }

const chip = (tag) => el("span", { class: `tag tag-${tag.color}` }, tag.name);

async function loadTags() {
  try { tags = await api("GET", "/api/tags"); } catch (err) { flash(err.message); return; }
  const keep = (select, first) => {
    const value = select.value;
    select.replaceChildren(...(first ? [first] : []), ...tags.map((tg) => el("option", { value: tg.id }, tg.name)));
    if ([...select.options].some((o) => o.value === value)) select.value = value;
  };
  keep($("filter-tag"), el("option", { value: "" }, t("js-contacts-any-tag")));
  keep($("bulk-tag"));
  $("tag-list").replaceChildren(...tags.map((tg) => el("li", {}, chip(tg),
    el("button", { type: "button", class: "link", "aria-label": t("js-contacts-tag-remove", { name: tg.name }),
      onclick: () => removeTag(tg) }, "×"))));
  $("tags-empty").hidden = tags.length > 0;
}

function status(c) {
  if (c.opted_out_at) return el("span", { class: "badge bad", title: c.opted_out_reason }, t("js-contacts-opted-out", { when: when(c.opted_out_at) }));
  if (c.blocked) return el("span", { class: "badge bad" }, t("js-contacts-blocked"));
  return el("span", { class: "badge ok" }, t("js-contacts-subscribed"));
}

function row(c) {
  const name = c.name || t("js-contacts-no-name");
  const box = el("input", { type: "checkbox", "aria-label": t("js-contacts-select", { name }), checked: selected.has(c.id),
    onchange: (e) => { e.target.checked ? selected.add(c.id) : selected.delete(c.id); showBulk(); } });
  const optIn = async () => {
    try { await api("POST", `/api/contacts/${c.id}/opt-in`); flash(t("js-contacts-opted-in", { name }), true); table.reload(); }
    catch (err) { flash(err.message); }
  };
  return el("tr", { "data-id": c.id },
    el("td", {}, box), el("td", {}, name), el("td", {}, c.wa_number), el("td", {}, c.email || "—"),
    el("td", { class: "tags-cell" }, c.tags.map(chip)),
    el("td", {}, c.home_outlet_id ? outlets.get(c.home_outlet_id) || `#${c.home_outlet_id}` : "—"),
    el("td", {}, status(c)),
    el("td", { class: "actions" },
      el("button", { type: "button", onclick: () => openContact(c) }, t("js-contacts-edit")),
      c.opted_out_at ? el("button", { type: "button", onclick: optIn }, t("js-contacts-opt-in")) : ""));
}

const filters = () => ({ tag_id: $("filter-tag").value, outlet_id: $("filter-outlet").value, opted_out: $("filter-status").value });
const table = pagedTable({
  url: "/api/contacts",
  params: filters,
  search: $("search"),
  tbody: document.querySelector("#contacts-table tbody"),
  empty: $("empty"),
  pager: $("pager"),
  row,
});

// The export link downloads what the list shows: the same filters, every page.
function updateExport() {
  const params = new URLSearchParams();
  const q = $("search").value.trim();
  if (q) params.set("q", q);
  for (const [k, v] of Object.entries(filters())) if (v) params.set(k, v);
  $("export").href = `/api/contacts/export${params.size ? `?${params}` : ""}`;
}
for (const id of ["filter-tag", "filter-outlet", "filter-status"]) {
  $(id).addEventListener("change", () => { updateExport(); table.reload(); });
}
$("search").addEventListener("input", updateExport);

function showBulk() {
  $("bulk").hidden = selected.size === 0;
  $("bulk-count").textContent = t("js-contacts-selected", { count: number(selected.size) });
}
$("select-page").addEventListener("change", (e) => {
  for (const box of document.querySelectorAll("#contacts-table tbody input[type=checkbox]")) {
    box.checked = e.target.checked;
    const id = Number(box.closest("tr").dataset.id);
    e.target.checked ? selected.add(id) : selected.delete(id);
  }
  showBulk();
});

async function bulk(action) {
  const body = { action, ids: [...selected] };
  if (action !== "delete") {
    if (!$("bulk-tag").value) { flash(t("js-contacts-choose-tag")); return; }
    body.tag_id = Number($("bulk-tag").value);
  } else {
    const sure = await ask({ message: t("js-contacts-delete-confirm", { count: number(selected.size) }), yes: t("js-contacts-delete"), danger: true });
    if (!sure) return;
  }
  try {
    const done = await api("POST", "/api/contacts/bulk", body);
    const count = number(done.changed);
    flash(t({ tag: "js-contacts-tagged", untag: "js-contacts-untagged", delete: "js-contacts-deleted" }[action], { count }), true);
    if (action === "delete") selected.clear();
    $("select-page").checked = false;
    showBulk();
    table.reload();
  } catch (err) { flash(err.message); }
}
$("bulk-add-tag").addEventListener("click", () => bulk("tag"));
$("bulk-remove-tag").addEventListener("click", () => bulk("untag"));
$("bulk-delete").addEventListener("click", () => bulk("delete"));

onSubmit($("tag-form"), async (data) => {
  const tag = await api("POST", "/api/tags", { name: data.name, color: data.color });
  $("tag-form").reset();
  flash(t("js-contacts-tag-added", { name: tag.name }), true);
  await loadTags();
});

async function removeTag(tag) {
  const sure = await ask({ message: t("js-contacts-tag-delete-confirm", { name: tag.name }), yes: t("js-contacts-delete"), danger: true });
  if (!sure) return;
  try { await api("DELETE", `/api/tags/${tag.id}`); flash(t("js-contacts-tag-deleted"), true); await loadTags(); table.reload(); }
  catch (err) { flash(err.message); }
}

// Adding and changing a contact, in one dialog.
const dialog = $("contact-dialog");
const form = $("contact-form");
let editing = null;
function openContact(c) {
  editing = c;
  form.reset();
  $("contact-error").hidden = true;
  $("contact-dialog-title").textContent = c ? t("js-contacts-dialog-edit") : t("js-contacts-dialog-add");
  if (c) {
    form.elements.name.value = c.name;
    form.elements.wa_number.value = c.wa_number;
    form.elements.email.value = c.email || "";
    // An outlet beyond the ones loaded keeps an option of its own, or saving would clear it.
    const select = form.elements.home_outlet_id;
    if (c.home_outlet_id && ![...select.options].some((o) => o.value === String(c.home_outlet_id))) {
      select.append(el("option", { value: c.home_outlet_id }, outlets.get(c.home_outlet_id) || `#${c.home_outlet_id}`));
    }
    select.value = c.home_outlet_id || "";
    form.elements.notes.value = c.notes;
    form.elements.fields.value = Object.entries(c.fields).map(([k, v]) => `${k} = ${v}`).join("\n");
    form.elements.blocked.checked = c.blocked;
  }
  dialog.showModal();
}
$("add-contact").addEventListener("click", () => openContact(null));
$("contact-cancel").addEventListener("click", () => dialog.close());

// "key = value" lines as an object; a line without "=" is an error naming it.
function parseFields(text) {
  const fields = {};
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const at = line.indexOf("=");
    if (at < 0) throw new Error(t("js-contacts-fields-line", { line: i + 1 }));
    fields[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  });
  return fields;
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = form.elements;
  const error = $("contact-error");
  try {
    const body = {
      name: f.name.value.trim(), wa_number: f.wa_number.value.trim(), email: f.email.value.trim() || null,
      home_outlet_id: f.home_outlet_id.value ? Number(f.home_outlet_id.value) : null,
      notes: f.notes.value.trim(), fields: parseFields(f.fields.value),
    };
    if (editing) await api("PATCH", `/api/contacts/${editing.id}`, { ...body, blocked: f.blocked.checked });
    else {
      const created = await api("POST", "/api/contacts", body);
      if (f.blocked.checked) await api("PATCH", `/api/contacts/${created.id}`, { blocked: true });
    }
    dialog.close();
    flash(t("js-contacts-saved"), true);
    table.reload();
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
    if (err.field && f[err.field]) f[err.field].focus();
  }
});

// Import: the file is checked first (a report, nothing saved), then applied as a whole.
const importDialog = $("import-dialog");
let checkedFile = null;
$("open-import").addEventListener("click", () => {
  $("import-form").reset();
  for (const id of ["import-progress", "import-report", "import-error", "import-apply"]) $(id).hidden = true;
  checkedFile = null;
  importDialog.showModal();
});
$("import-close").addEventListener("click", () => importDialog.close());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Uploads `file` for `mode` and follows the job until it ends, showing its progress.
async function runImport(file, mode) {
  const form = new FormData();
  form.append("mode", mode);
  form.append("file", file);
  $("import-error").hidden = true;
  $("import-progress").hidden = false;
  $("import-phase").textContent = t("js-import-reading");
  $("import-bar").removeAttribute("value");
  let job = await api("POST", "/api/contacts/imports", form);
  while (job.status === "running") {
    await sleep(250);
    job = await api("GET", `/api/contacts/imports/${job.id}`);
    if (job.rows_total > 0) {
      $("import-bar").max = job.rows_total;
      $("import-bar").value = job.rows_done;
      const key = job.phase === "applying" ? "js-import-applying" : job.phase === "checking" ? "js-import-checking" : "js-import-reading";
      $("import-phase").textContent = t(key, { done: number(job.rows_done), total: number(job.rows_total) });
    }
  }
  $("import-progress").hidden = true;
  if (job.status === "failed") throw new Error(job.error);
  return job.report;
}

function fieldLabel(field) {
  if (field.startsWith("fields.")) return t("js-import-field-custom", { key: field.slice(7) });
  return t(`js-import-field-${field}`);
}

function showReport(report) {
  const c = report.counts;
  $("import-counts").textContent = t("js-import-counts",
    { new: number(c.new), updated: number(c.updated), unchanged: number(c.unchanged), rejected: number(c.rejected) });
  document.querySelector("#import-columns tbody").replaceChildren(...report.columns.map((col) =>
    el("tr", {}, el("td", {}, col.header), el("td", {}, fieldLabel(col.field)))));
  document.querySelector("#import-rejected tbody").replaceChildren(...report.rejected.map((r) =>
    el("tr", {}, el("td", {}, number(r.line)), el("td", {}, r.value || "—"), el("td", { class: "text-cell" }, r.reason))));
  $("import-rejected-box").hidden = report.rejected.length === 0;
  const more = report.rejected_total - report.rejected.length;
  $("import-more").textContent = more > 0 ? t("js-import-more-rejected", { count: number(more) }) : "";
  $("import-report").hidden = false;
}

function importFailed(err) {
  $("import-progress").hidden = true;
  $("import-error").textContent = t("js-import-failed", { error: err.message });
  $("import-error").hidden = false;
}

$("import-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const file = $("import-file").files[0];
  if (!file) { flash(t("js-import-choose-file")); return; }
  $("import-check").disabled = true;
  $("import-apply").hidden = true;
  $("import-report").hidden = true;
  try {
    const report = await runImport(file, "check");
    showReport(report);
    const count = report.counts.new + report.counts.updated;
    checkedFile = count > 0 ? file : null;
    $("import-apply").hidden = count === 0;
    $("import-apply").textContent = t("js-import-apply-count", { count: number(count) });
    if (count === 0) $("import-counts").textContent += ` — ${t("js-import-nothing")}`;
  } catch (err) { importFailed(err); } finally { $("import-check").disabled = false; }
});

$("import-apply").addEventListener("click", async () => {
  if (!checkedFile) return;
  $("import-apply").disabled = true;
  try {
    const report = await runImport(checkedFile, "apply");
    importDialog.close();
    flash(t("js-import-done", { new: number(report.counts.new), updated: number(report.counts.updated) }), true);
    await loadTags();
    table.reload();
  } catch (err) { importFailed(err); } finally { $("import-apply").disabled = false; $("import-apply").hidden = true; }
});

await loadTags();
