import { $, api, ask, el, flash, number, pagedTable, t, when } from "./core.js";

const form = $("template-form");
const body = $("template-body");
const bodyError = $("body-error");
const nameError = $("name-error");
const previewBox = $("preview-text");
const contactSelect = $("preview-contact");
const fileInput = $("template-file");
const mediaBox = $("template-media");
const mediaError = $("media-error");
let editing = null; // the template being changed, or null for a new one
// The file shown in the editor: the saved one ({kind, mime, file_name, size, url}) or one
// chosen and not yet uploaded (also `file`, and a data: URL for an image).
let media = null;

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
  for (const box of [bodyError, nameError, mediaError]) { box.textContent = ""; box.hidden = true; }
  body.removeAttribute("aria-invalid");
}

function showMediaError(message) {
  mediaError.textContent = message;
  mediaError.hidden = false;
}

const kib = (size) => t("js-templates-kib", { size: number(Math.max(1, Math.round(size / 1024))) });
// What the browser says a file is: a JPEG, PNG or WebP goes as an image (the server checks its
// bytes), anything else as a document.
const looksLikeImage = (file) => /^image\//.test(file.type) || /\.(jpe?g|png|webp|gif)$/i.test(file.name);

// The attached file in the editor and in the preview: a thumbnail for an image (from the
// server, or read locally before it is saved), name and size for a document.
function showMedia() {
  const thumb = $("media-thumb"), shownImage = $("preview-image");
  mediaBox.hidden = !media;
  $("preview-media").hidden = !media;
  if (!media) {
    for (const img of [thumb, shownImage]) { img.hidden = true; img.removeAttribute("src"); }
    $("media-about").textContent = "";
    $("preview-document").textContent = "";
    updateBubbles();
    return;
  }
  const image = media.kind === "image";
  const about = t(image ? "js-templates-media-image" : "js-templates-media-document", { name: media.file_name, size: kib(media.size) });
  $("media-about").textContent = media.file ? `${about} · ${t("js-templates-media-new")}` : about;
  for (const img of [thumb, shownImage]) {
    img.hidden = !image || !media.url;
    if (image && media.url) { img.src = media.url; img.alt = media.file_name; } else img.removeAttribute("src");
  }
  $("preview-document").textContent = image ? "" : `📄 ${media.file_name} (${kib(media.size)})`;
  updateBubbles();
}

// In `caption` mode the text sits under the media in one bubble; in `separate` it follows.
function updateBubbles() {
  const together = !!media && form.elements.caption_mode.value === "caption";
  $("preview-media").classList.toggle("with-caption", together);
  previewBox.classList.toggle("caption", together);
}
form.elements.caption_mode.addEventListener("change", updateBubbles);

fileInput.addEventListener("change", () => {
  const file = fileInput.files[0];
  mediaError.hidden = true;
  if (!file) { media = editing?.media ? saved(editing) : null; showMedia(); return; }
  const image = looksLikeImage(file);
  media = { kind: image ? "image" : "document", file_name: file.name, size: file.size, file, url: null };
  showMedia();
  if (image) {
    const chosen = media;
    const reader = new FileReader();
    reader.onload = () => { if (media === chosen) { chosen.url = reader.result; showMedia(); } };
    reader.readAsDataURL(file);
  }
});

// A saved template's media as the editor shows it; the URL changes when the file does.
function saved(tpl) {
  return tpl.media ? { ...tpl.media, url: `/api/templates/${tpl.id}/media?v=${tpl.updated_at}` } : null;
}

$("media-remove").addEventListener("click", async () => {
  if (media?.file || !editing) {
    // Chosen, not saved yet: just let go of it.
    fileInput.value = "";
    media = editing ? saved(editing) : null;
    showMedia();
    return;
  }
  const sure = await ask({
    message: t("js-templates-media-remove-confirm", { name: media.file_name, template: editing.name }),
    yes: t("js-templates-media-remove"),
    danger: true,
  });
  if (!sure) return;
  try {
    editing = await api("DELETE", `/api/templates/${editing.id}/media`);
    media = null;
    showMedia();
    flash(t("js-templates-media-removed", { name: editing.name }), true);
    table.reload();
  } catch (err) { showMediaError(err.message); }
});

async function uploadMedia(id) {
  const data = new FormData();
  data.append("file", media.file, media.file_name);
  data.append("kind", media.kind);
  return api("PUT", `/api/templates/${id}/media`, data);
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
  media = null;
  showMedia();
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
  fileInput.value = "";
  media = saved(tpl);
  showMedia();
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
    let done = editing
      ? await api("PATCH", `/api/templates/${editing.id}`, data)
      : await api("POST", "/api/templates", data);
    if (media?.file) {
      try {
        done = await uploadMedia(done.id);
      } catch (err) {
        // The text is saved: keep editing it, with the reason the file was refused.
        table.reload();
        edit(done);
        showMediaError(t("js-templates-media-failed", { reason: err.message }));
        return;
      }
    }
    flash(t("js-templates-saved", { name: done.name }), true);
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
    el("td", { class: "text-cell" }, tpl.body.length > 120 ? `${tpl.body.slice(0, 120)}…` : tpl.body,
      tpl.media ? [" ", el("span", { class: "badge", title: tpl.media.file_name }, t(`js-templates-has-${tpl.media.kind}`))] : []),
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
