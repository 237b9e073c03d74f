// The broadcast page (issue 13): compose (content from a template or a text, an image or
// document, a preview for any contact; outlets by health; recipients by tags, chosen contacts,
// all, pasted numbers or a file, with a live count after exclusions; pacing; schedule), review
// and confirm; then the history with live progress from the event stream (`blast.progress`:
// counters, ETA, why it waits, paused outlets), the actions, each outlet's share, the
// per-recipient report, and the recurring blasts with their stop button.
import { $, api, ask, el, flash, number, onTyped, pager, poll, t, when } from "./core.js";

const form = $("blast-form");
const wantedOutlet = Number(new URLSearchParams(location.search).get("outlet")) || null;
const timeZone = document.querySelector('meta[name="time-zone"]')?.content || "UTC";
const outletNames = new Map();
let templates = [];

const radio = (name) => form.querySelector(`input[name=${name}]:checked`)?.value;
const debounce = (fn, ms) => { let timer; return () => { clearTimeout(timer); timer = setTimeout(fn, ms); }; };

// ---- Errors at their field ------------------------------------------------------------------

// The box for an API error's field (`pacing.gap_min_secs` → `err-pacing-gap_min_secs`).
function errorBox(field) {
  if (!field) return null;
  if (field === "body" && radio("source") === "template") return $("err-template_id");
  if (field === "file" || field.startsWith("media")) return $("err-media");
  const exact = $(`err-${field.replace(/\./g, "-")}`);
  if (exact) return exact;
  if (field.startsWith("schedule")) return $("err-schedule");
  if (field.startsWith("recipients")) return $("err-recipients");
  return null;
}

function showError(err, focus = true) {
  const box = errorBox(err.field);
  if (!box) { flash(err.message); return; }
  box.textContent = err.message;
  box.hidden = false;
  if (box.closest("details")) box.closest("details").open = true;
  const input = document.querySelector(`[aria-describedby~="${box.id}"]`);
  if (input && input.matches("input, select, textarea")) {
    input.setAttribute("aria-invalid", "true");
    if (focus) input.focus();
  }
}

function clearErrors() {
  for (const box of form.querySelectorAll(".field-error")) { box.textContent = ""; box.hidden = true; }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

// ---- Content: a template or a text, with an optional image or document ------------------------

function showSource() {
  const template = radio("source") === "template";
  $("template-field").hidden = !template;
  $("no-templates").hidden = !template || templates.length > 0;
  $("body-field").hidden = template;
  showTemplateMedia();
  liveSoon();
}
for (const r of form.querySelectorAll("input[name=source]")) r.addEventListener("change", showSource);

function content() {
  if (radio("source") === "template") {
    const id = Number($("template-select").value);
    return id ? { template_id: id, body: null } : { template_id: null, body: null };
  }
  return { template_id: null, body: $("blast-body").value };
}

const chosenTemplate = () => (radio("source") === "template" ? templates.find((x) => x.id === Number($("template-select").value)) : null);
const contentText = () => (radio("source") === "template" ? chosenTemplate()?.body || "" : $("blast-body").value);

const kib = (size) => t("js-blast-kib", { size: number(Math.max(1, Math.round(size / 1024))) });
// What the browser says a file is: a JPEG, PNG or WebP goes as an image (the server checks its
// bytes), anything else as a document.
const looksLikeImage = (file) => /^image\//.test(file.type) || /\.(jpe?g|png|webp|gif)$/i.test(file.name);
const mediaText = (m) => t(m.kind === "image" ? "js-blast-media-image" : "js-blast-media-document", { name: m.file_name, size: kib(m.size) });
const captionText = (mode) => t(mode === "separate" ? "js-blast-caption-separate" : "js-blast-caption-caption");

// The file chosen here ({kind, file_name, size, file, url}), uploaded once the blast exists.
let media = null;

// A template's own file goes with every message made from it (the blast takes it over).
function templateMedia() {
  const tpl = chosenTemplate();
  return tpl?.media ? { ...tpl.media, url: `/api/templates/${tpl.id}/media?v=${tpl.updated_at}` } : null;
}

function showTemplateMedia() {
  const m = templateMedia();
  $("template-media-note").hidden = !m;
  $("template-media-note").textContent = m ? t("js-blast-template-media", { media: mediaText(m), how: captionText(m.caption_mode) }) : "";
  showMedia();
}

// The file in the preview: the one chosen here, else the template's.
function shownMedia() {
  if (media) return { ...media, caption_mode: $("caption-mode").value };
  return templateMedia();
}

function showMedia() {
  $("blast-media").hidden = !media;
  $("media-about").textContent = media ? mediaText(media) : "";
  const thumb = $("media-thumb");
  thumb.hidden = !media?.url;
  if (media?.url) { thumb.src = media.url; thumb.alt = media.file_name; } else thumb.removeAttribute("src");
  const m = shownMedia();
  const image = m?.kind === "image";
  $("preview-media").hidden = !m;
  $("preview-image").hidden = !image || !m.url;
  if (image && m.url) { $("preview-image").src = m.url; $("preview-image").alt = m.file_name; } else $("preview-image").removeAttribute("src");
  $("preview-document").textContent = m && !image ? `📄 ${m.file_name} (${kib(m.size)})` : "";
  // In `caption` mode the text sits under the media in one bubble; in `separate` it follows.
  const together = !!m && m.caption_mode !== "separate";
  $("preview-media").classList.toggle("with-caption", together);
  $("preview-text").classList.toggle("caption", together);
}

$("blast-file").addEventListener("change", () => {
  const file = $("blast-file").files[0];
  $("err-media").hidden = true;
  if (!file) { media = null; showMedia(); return; }
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
$("media-remove").addEventListener("click", () => {
  $("blast-file").value = "";
  media = null;
  showMedia();
  $("blast-file").focus();
});
$("caption-mode").addEventListener("change", showMedia);

async function uploadMedia(id) {
  const data = new FormData();
  data.append("file", media.file, media.file_name);
  data.append("caption_mode", $("caption-mode").value);
  return api("PUT", `/api/blasts/${id}/media`, data);
}

$("blast-body").addEventListener("input", () => liveSoon());
$("template-select").addEventListener("change", () => { showTemplateMedia(); liveSoon(); });

// ---- The preview for a chosen contact -----------------------------------------------------------

const contactLabel = (c) => (c.name ? `${c.name} (${c.wa_number})` : c.wa_number);
const previewContact = () => Number($("preview-contact").value) || null;

function previewOptions() {
  const keep = previewContact();
  const group = $("preview-chosen");
  group.replaceChildren(...[...chosenContacts.values()].map((c) => el("option", { value: c.id }, contactLabel(c))));
  group.hidden = group.children.length === 0;
  if (keep && !$("preview-contact").querySelector(`option[value="${keep}"]`)) $("preview-contact").value = "";
  else if (keep) $("preview-contact").value = String(keep);
}

onTyped($("preview-search"), async (q) => {
  const group = $("preview-found");
  if (!q) { group.replaceChildren(); group.hidden = true; return; }
  try {
    const found = await api("GET", `/api/contacts?${new URLSearchParams({ q, per_page: 10 })}`);
    group.replaceChildren(...found.items.map((c) => el("option", { value: c.id }, contactLabel(c))));
    group.hidden = found.items.length === 0;
    if (found.items.length === 0) { $("preview-who").textContent = t("js-blast-contact-none-found"); return; }
    $("preview-contact").value = String(found.items[0].id);
    live();
  } catch (err) { flash(err.message); }
});
$("preview-contact").addEventListener("change", () => { $("err-contact_id").hidden = true; live(); });

// Whose sample it is: a contact, the first recipient, or (with nobody chosen yet) made-up values.
function showWho(contact, madeUp = false) {
  $("preview-who").textContent = contact ? t("js-blast-preview-who", { who: contactLabel(contact) })
    : t(madeUp ? "js-blast-preview-made-up" : "js-blast-preview-first");
}

// ---- Outlets, healthy first; a problem one says why and links to Rescan QR -------------------

async function loadOutlets() {
  let data;
  try { data = await api("GET", "/api/outlets/status?per_page=200&sort=health"); } catch (err) { flash(err.message); return; }
  const checked = new Set(chosenOutlets());
  const first = $("outlet-list").children.length === 0;
  const list = [...data.outlets].sort((a, b) => (b.healthy - a.healthy) || a.name.localeCompare(b.name));
  $("outlet-list").replaceChildren(...list.map((o) => {
    outletNames.set(o.id, o.name);
    const on = first ? (wantedOutlet ? o.id === wantedOutlet : o.healthy) : checked.has(o.id);
    const reason = o.unlinked_reason || o.status_reason || (o.db_status ? t(`js-device-${o.db_status}`) : t("js-os-no-device"));
    return el("li", { class: `outlet-choice ${o.healthy ? "healthy" : "problem"}`, "data-outlet": o.id },
      el("label", { class: "check" },
        el("input", { type: "checkbox", name: "outlet", value: o.id, checked: on && o.healthy, disabled: !o.healthy }),
        el("span", {}, o.name, o.city ? el("span", { class: "muted" }, ` · ${o.city}`) : null)),
      o.healthy
        ? el("span", { class: "badge ok" }, t("js-blast-outlet-ready"))
        : el("span", { class: "outlet-problem" }, el("span", { class: "badge bad" }, t("js-blast-outlet-problem")), " ",
          el("span", { class: "reason" }, reason), " ",
          el("a", { href: "/outlet-status" }, t("js-blast-rescan"))));
  }));
  $("no-outlets").hidden = data.outlets.length > 0;
  if (first && wantedOutlet) {
    const wanted = data.outlets.find((o) => o.id === wantedOutlet);
    if (wanted && !wanted.healthy) flash(t("js-blast-wanted-outlet-down", { name: wanted.name }));
  }
  showChosen();
}

const chosenOutlets = () => [...$("outlet-list").querySelectorAll("input[name=outlet]:checked")].map((i) => Number(i.value));

function showChosen() {
  const healthy = $("outlet-list").querySelectorAll("input[name=outlet]:not(:disabled)").length;
  $("outlets-chosen").textContent = t("js-blast-outlets-chosen", { count: number(chosenOutlets().length), healthy: number(healthy) });
}
$("outlet-list").addEventListener("change", () => { showChosen(); liveSoon(); });
$("all-healthy").addEventListener("click", () => {
  for (const box of $("outlet-list").querySelectorAll("input[name=outlet]:not(:disabled)")) box.checked = true;
  showChosen();
  liveSoon();
});

// ---- Recipients with a live count after exclusions -------------------------------------------

const chosenContacts = new Map(); // id → contact, in the order chosen
let recipientsFile = null;

function showAudience() {
  const by = radio("audience");
  $("tags-field").hidden = by !== "tags";
  $("no-tags").hidden = by !== "tags" || $("tags-field").children.length > 0;
  $("contacts-field").hidden = by !== "contacts";
  $("numbers-field").hidden = by !== "numbers";
  $("file-field").hidden = by !== "file";
  liveSoon();
}
for (const r of form.querySelectorAll("input[name=audience]")) r.addEventListener("change", showAudience);
$("tags-field").addEventListener("change", () => liveSoon());
$("blast-numbers").addEventListener("input", () => liveSoon());

// Chosen contacts: found by name or number, shown as chips that can be taken off again.
let contactResults = [];
function showResults() {
  $("contact-results").replaceChildren(...contactResults.map((c) => {
    const chosen = chosenContacts.has(c.id);
    return el("li", {}, el("button", {
      type: "button", class: "chip", "data-id": c.id, disabled: chosen,
      onclick: () => addContact(c),
    }, t(chosen ? "js-blast-contact-chosen" : "js-blast-contact-add", { name: contactLabel(c) })));
  }));
}

function showChosenContacts() {
  $("chosen-contacts").replaceChildren(...[...chosenContacts.values()].map((c) => el("li", { class: "chip", "data-id": c.id },
    el("span", {}, contactLabel(c)),
    el("button", { type: "button", class: "link remove", "aria-label": t("js-blast-contact-remove", { name: contactLabel(c) }),
      onclick: () => removeContact(c.id) }, "×"))));
  $("no-chosen").hidden = chosenContacts.size > 0;
  showResults();
  previewOptions();
}

function addContact(c) {
  chosenContacts.set(c.id, c);
  $("err-contact_ids").hidden = true;
  showChosenContacts();
  $("contact-search").focus(); // (the button pressed is now disabled)
  liveSoon();
}

function removeContact(id) {
  chosenContacts.delete(id);
  showChosenContacts();
  $("contact-search").focus();
  liveSoon();
}

onTyped($("contact-search"), async (q) => {
  if (!q) { contactResults = []; showResults(); $("contact-results-empty").hidden = true; return; }
  try {
    const found = await api("GET", `/api/contacts?${new URLSearchParams({ q, per_page: 10 })}`);
    contactResults = found.items;
    showResults();
    $("contact-results-empty").hidden = found.items.length > 0;
  } catch (err) { flash(err.message); }
});

$("recipients-file").addEventListener("change", () => {
  recipientsFile = $("recipients-file").files[0] || null;
  $("err-recipients_file").hidden = true;
  $("file-chosen").textContent = recipientsFile ? t("js-blast-file-chosen", { name: recipientsFile.name, size: kib(recipientsFile.size) }) : "";
  liveSoon();
});

function recipients() {
  const by = radio("audience");
  if (by === "all") return { all_contacts: true };
  if (by === "numbers") return { numbers: $("blast-numbers").value.split(/[\n,;]+/).map((n) => n.trim()).filter(Boolean) };
  if (by === "contacts") return { contact_ids: [...chosenContacts.keys()] };
  if (by === "file") return {};
  return { tag_ids: [...$("tags-field").querySelectorAll("input:checked")].map((i) => Number(i.value)) };
}

const withFile = () => radio("audience") === "file" && !!recipientsFile;
const hasRecipients = (r) => withFile() || r.all_contacts || (r.numbers || r.tag_ids || r.contact_ids || []).length > 0;

// The request to `url`: JSON, or with the recipients' file as multipart (`request` + `recipients_file`).
function send(url, req) {
  if (!withFile()) return api("POST", url, req);
  const data = new FormData();
  data.append("request", JSON.stringify(req));
  data.append("recipients_file", recipientsFile, recipientsFile.name);
  return api("POST", url, data);
}

function pacing() {
  const n = (id) => ($(id).value === "" ? null : Number($(id).value));
  return {
    gap_min_secs: n("gap-min"), gap_max_secs: n("gap-max"), daily_cap: n("daily-cap"),
    window_start: $("window-start").value || null, window_end: $("window-end").value || null,
    skip_recent_duplicates: $("skip-recent").checked,
  };
}

// "+07:00": the viewer's time zone's offset at a local wall time.
function offsetAt(local) {
  const at = new Date(Date.parse(`${local}Z`));
  const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" })
    .formatToParts(at).find((p) => p.type === "timeZoneName")?.value || "GMT";
  const m = name.match(/([+-]\d{2}):?(\d{2})?/);
  return m ? `${m[1]}:${m[2] || "00"}` : "+00:00";
}
const rfc3339 = (local) => (local ? `${local.length === 16 ? `${local}:00` : local}${offsetAt(local.length === 16 ? `${local}:00` : local)}` : null);

function schedule() {
  const every = $("every").value;
  const rule = { every };
  if (every === "weekly") rule.days = [...form.querySelectorAll("input[name=day]:checked")].map((d) => Number(d.value));
  if (every === "monthly") rule.day = Number($("month-day").value);
  const ends = $("ends-at").value;
  return {
    rule, time: $("schedule-time").value,
    ends_at: ends ? rfc3339(`${ends}T23:59:59`) : null,
    max_runs: $("max-runs").value ? Number($("max-runs").value) : null,
  };
}

// The whole request as the form stands.
function request() {
  const start = radio("start");
  const req = {
    name: $("blast-name").value.trim(), ...content(), outlet_ids: chosenOutlets(),
    recipients: recipients(), pacing: pacing(), start,
  };
  if (start === "at") req.start_at = rfc3339($("start-at").value);
  if (start === "recurring") req.schedule = schedule();
  return req;
}

function skippedText(skipped, duplicates) {
  const parts = Object.entries(skipped || {}).map(([reason, n]) => t("js-blast-skipped-part", { count: number(n), reason: reasonText(reason) }));
  if (duplicates) parts.push(t("js-blast-duplicates", { count: number(duplicates) }));
  return parts.join(", ");
}

const previewUrl = (contact) => `/api/blasts/preview${contact ? `?contact_id=${contact}` : ""}`;

// The live count and preview, after every change: the count needs no name or content yet (it
// asks with stand-ins for whatever is missing); the sample is the blast's own text for the
// contact chosen in the preview (or its first recipient), else the text alone while there is
// no audience to count yet.
let liveAsked = 0;
async function live() {
  const box = $("recipient-count");
  const mine = ++liveAsked;
  const req = request();
  const text = contentText();
  const contact = previewContact();
  let p = null;
  if (!hasRecipients(req.recipients)) { box.textContent = t("js-blast-choose-recipients"); delete box.dataset.count; }
  else if (req.outlet_ids.length === 0) { box.textContent = t("js-blast-choose-outlets"); delete box.dataset.count; }
  else {
    req.name = req.name || t("js-blast-untitled");
    if (!req.template_id && !(req.body || "").trim()) { req.template_id = null; req.body = "-"; }
    req.start = "draft";
    delete req.start_at;
    delete req.schedule;
    box.textContent = t("js-blast-counting");
    try {
      p = await send(previewUrl(contact), req);
      if (mine !== liveAsked) return;
      for (const id of ["err-recipients", "err-recipients_file", "err-contact_ids", "err-contact_id"]) $(id).hidden = true;
      const skipped = skippedText(p.skipped, p.duplicates);
      box.textContent = t("js-blast-count", { count: number(p.recipients), outlets: number(p.per_outlet.length) })
        + (skipped ? ` ${t("js-blast-count-skipped", { skipped })}` : "");
      box.dataset.count = p.recipients;
    } catch (err) {
      if (mine !== liveAsked) return;
      box.textContent = "";
      delete box.dataset.count;
      if (["outlet_ids", "contact_id", "body", "template_id"].includes(err.field) || err.field?.startsWith("recipients") || err.field?.startsWith("pacing")) showError(err, false);
      else box.textContent = err.message;
    }
  }
  const shown = $("preview-text");
  if (!text.trim()) { shown.classList.remove("stale"); shown.textContent = t("js-blast-preview-empty"); $("preview-who").textContent = ""; return; }
  // (An API without `sample_contact` renders its first recipient, whoever was asked for.)
  if (p && p.sample != null && (p.sample_contact !== undefined || !contact)) {
    for (const id of ["err-body", "err-template_id"]) $(id).hidden = true;
    $("blast-body").removeAttribute("aria-invalid");
    shown.classList.remove("stale");
    shown.textContent = p.sample;
    showWho(p.sample_contact || null);
    return;
  }
  const asked = { body: text };
  if (contact) asked.contact_id = contact;
  try {
    const answer = await api("POST", "/api/templates/preview", asked);
    if (mine !== liveAsked) return;
    shown.classList.remove("stale");
    shown.textContent = answer.text;
    showWho(contact ? knownContact(contact) : null, !p);
    if (radio("source") === "text") { $("err-body").hidden = true; $("blast-body").removeAttribute("aria-invalid"); }
  } catch (err) {
    if (mine !== liveAsked) return;
    shown.classList.add("stale");
    if (radio("source") === "text") showError({ field: "body", message: err.message }, false);
  }
}
const liveSoon = debounce(live, 350);
for (const id of ["gap-min", "gap-max", "daily-cap", "window-start", "window-end"]) {
  $(id).addEventListener("change", () => { for (const b of form.querySelectorAll("details .field-error")) b.hidden = true; liveSoon(); });
}

// A contact the page has seen (chosen, or found for the preview), by id.
function knownContact(id) {
  if (chosenContacts.has(id)) return chosenContacts.get(id);
  const option = $("preview-contact").querySelector(`option[value="${id}"]`);
  return option ? { name: "", wa_number: option.textContent } : null;
}

// ---- Schedule -------------------------------------------------------------------------------

function showStart() {
  const start = radio("start");
  $("at-field").hidden = start !== "at";
  $("recurring-field").hidden = start !== "recurring";
  const every = $("every").value;
  $("week-days").hidden = every !== "weekly";
  $("month-day-field").hidden = every !== "monthly";
}
for (const r of form.querySelectorAll("input[name=start]")) r.addEventListener("change", showStart);
$("every").addEventListener("change", showStart);

// ---- Review, then confirm -------------------------------------------------------------------

let reviewed = null; // {request, preview}

// What was reviewed is what is sent: any change to the form after the review asks for a new one.
for (const type of ["input", "change"]) {
  $("blast-form").addEventListener(type, () => {
    if (!reviewed) return;
    reviewed = null;
    $("review-box").hidden = true;
  });
}

function whenText(req) {
  if (req.start === "now") return t("js-blast-when-now");
  if (req.start === "draft") return t("js-blast-when-draft");
  if (req.start === "at") return t("js-blast-when-at", { when: when(req.start_at) });
  const rule = req.schedule.rule;
  const days = rule.every === "weekly" ? rule.days.map((d) => t(`js-blast-day-${d}`)).join(", ") : "";
  return t(`js-blast-when-${rule.every}`, { time: req.schedule.time, days, day: rule.day ?? "" });
}

function pacingText(p) {
  const window = p.window_start === p.window_end ? t("js-blast-any-time") : `${p.window_start}–${p.window_end}`;
  return t("js-blast-pacing-summary", { min: p.gap_min_secs, max: p.gap_max_secs, cap: number(p.daily_cap), window });
}

// Where "choose whom to send to" is said: at the chooser in use.
const recipientsField = () => ({ contacts: "contact_ids", file: "recipients_file" })[radio("audience")] || "recipients";

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearErrors();
  flash("");
  $("review-box").hidden = true;
  const req = request();
  if (req.outlet_ids.length === 0) { showError({ field: "outlet_ids", message: t("js-blast-choose-outlets") }); return; }
  if (!hasRecipients(req.recipients)) {
    const key = { contact_ids: "js-blast-choose-contacts", recipients_file: "js-blast-choose-file" }[recipientsField()] || "js-blast-choose-recipients";
    showError({ field: recipientsField(), message: t(key) });
    return;
  }
  if (withFile() && req.start === "recurring") { showError({ field: "recipients_file", message: t("js-blast-file-not-recurring") }); return; }
  // A file is attached to a draft (the API takes it only then), which then starts or stays.
  if (media && req.start === "recurring") { showError({ field: "media", message: t("js-blast-media-not-later") }); return; }
  if (req.start === "at" && !req.start_at) { showError({ field: "start_at", message: t("js-blast-choose-time") }); return; }
  const button = $("review");
  button.disabled = true;
  try {
    const contact = previewContact();
    const preview = await send(previewUrl(contact), req);
    reviewed = { request: req, preview };
    const item = (term, ...value) => [el("dt", {}, term), el("dd", {}, ...value)];
    const skipped = skippedText(preview.skipped, preview.duplicates);
    const m = shownMedia();
    const who = preview.sample_contact ? t("js-blast-preview-who", { who: contactLabel(preview.sample_contact) }) : null;
    $("review-list").replaceChildren(
      ...item(t("js-blast-review-name"), req.name),
      ...item(t("js-blast-review-content"), el("div", { class: "bubble" }, preview.sample || $("preview-text").textContent),
        who ? el("div", { class: "muted" }, who) : null),
      ...(m ? item(t("js-blast-review-media"), el("span", { class: "review-media" },
        m.kind === "image" && m.url ? el("img", { src: m.url, alt: m.file_name }) : null,
        `${mediaText(m)} · ${captionText(m.caption_mode)}`,
        media ? null : el("span", { class: "muted" }, ` (${t("js-blast-media-from-template")})`))) : []),
      ...item(t("js-blast-review-outlets"), el("ul", {}, preview.per_outlet.map((o) =>
        el("li", {}, t("js-blast-review-outlet", { name: o.name, count: number(o.recipients) }))))),
      ...item(t("js-blast-review-recipients"), t("js-blast-count", { count: number(preview.recipients), outlets: number(preview.per_outlet.length) }),
        withFile() ? el("div", { class: "muted" }, t("js-blast-review-file", { name: recipientsFile.name })) : null,
        skipped ? el("div", { class: "muted" }, t("js-blast-count-skipped", { skipped })) : null),
      ...item(t("js-blast-review-pacing"), pacingText({ ...pacing(), gap_min_secs: $("gap-min").value, gap_max_secs: $("gap-max").value })),
      ...item(t("js-blast-review-when"), whenText(req)),
    );
    $("confirm").textContent = t(`js-blast-confirm-${req.start}`);
    $("review-box").hidden = false;
    $("review-box").focus();
  } catch (err) { showError(err); } finally { button.disabled = false; }
});

$("review-back").addEventListener("click", () => { $("review-box").hidden = true; $("review").focus(); });

// With a file of its own the blast is made as a draft, the file attached, then started (when
// asked to start now) or scheduled (at a time); a file refused leaves no blast behind that
// could go out without it.
async function createBlast(req) {
  if (!media) return send("/api/blasts", req);
  const created = await send("/api/blasts", { ...req, start: "draft" });
  const id = created.blast.id;
  try {
    await uploadMedia(id);
  } catch (err) {
    await api("POST", `/api/blasts/${id}/cancel`).catch(() => null);
    loadHistory();
    err.message = t("js-blast-media-failed", { reason: err.message });
    // A text too long for a caption is said at the caption choice (shorten it, or send apart).
    err.field = ["caption_mode", "body"].includes(err.field) ? "caption_mode" : "media";
    throw err;
  }
  if (req.start === "now") created.blast = await api("POST", `/api/blasts/${id}/start`);
  if (req.start === "at") created.blast = await api("POST", `/api/blasts/${id}/schedule`, { start_at: req.start_at });
  return created;
}

function resetForm() {
  $("blast-name").value = "";
  $("blast-file").value = "";
  media = null;
  showMedia();
}

$("confirm").addEventListener("click", async () => {
  if (!reviewed) return;
  const { request: req, preview } = reviewed;
  const sure = await ask({
    message: t(`js-blast-ask-${req.start}`, { name: req.name, count: number(preview.recipients), outlets: number(preview.per_outlet.length) }),
    yes: t(`js-blast-confirm-${req.start}`),
  });
  if (!sure) return;
  $("confirm").disabled = true;
  try {
    const created = await createBlast(req);
    $("review-box").hidden = true;
    reviewed = null;
    resetForm();
    if (created.schedule) {
      flash(t("js-blast-schedule-made", { name: created.schedule.name, when: when(created.schedule.next_run_at) }), true);
      loadSchedules();
    } else {
      flash(t("js-blast-made", { name: created.blast.name }), true);
      openDetail(created.blast.id);
    }
    loadHistory();
  } catch (err) {
    $("review-box").hidden = true;
    showError(err);
  } finally { $("confirm").disabled = false; }
});

// ---- History with live progress ---------------------------------------------------------------

const rows = new Map(); // blast id → what to update in its row
let historyPage = 1;
const active = (status) => ["running", "scheduled", "paused"].includes(status);

function statusBadge(status) {
  const tone = status === "completed" ? "ok" : ["failed", "cancelled"].includes(status) ? "bad" : "";
  return el("span", { class: `badge blast-status ${tone}`, "data-status": status }, t(`js-blast-status-${status}`));
}

const done = (c) => c.total - c.pending - c.queued;
const countersText = (c) => t("js-blast-counters", {
  queued: number(c.queued), sent: number(c.sent), delivered: number(c.delivered),
  read: number(c.read), failed: number(c.failed), skipped: number(c.skipped),
});

// A clock time as the viewer reads it: "14:05" today, with the day otherwise.
const lang = document.documentElement.lang === "id" ? "id-ID" : "en-GB";
const dayOf = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
const clockOnly = new Intl.DateTimeFormat(lang, { timeZone, hour: "2-digit", minute: "2-digit" });
const clockWithDay = new Intl.DateTimeFormat(lang, { timeZone, weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
function clockText(at) {
  const date = new Date(at);
  return dayOf.format(date) === dayOf.format(new Date()) ? clockOnly.format(date) : clockWithDay.format(date);
}
// The same as words to put after a verb: "at 14:05", "tomorrow at 08:00", "on Mon 30 Nov at 08:00".
const dayMs = 86_400_000;
function atText(at) {
  const date = new Date(at);
  const time = clockOnly.format(date);
  const day = dayOf.format(date);
  if (day === dayOf.format(new Date())) return t("js-blast-at-today", { time });
  if (day === dayOf.format(new Date(Date.now() + dayMs))) return t("js-blast-at-tomorrow", { time });
  return t("js-blast-at-day", { day: new Intl.DateTimeFormat(lang, { timeZone, weekday: "short", day: "numeric", month: "short" }).format(date), time });
}

// "about 12 min left, done at 14:05".
function etaText(eta) {
  if (!eta) return "";
  const ms = new Date(eta).getTime() - Date.now();
  const at = atText(eta);
  if (ms < 60_000) return t("js-blast-eta-soon", { at });
  const minutes = Math.round(ms / 60_000);
  let left;
  if (minutes < 60) left = t("js-blast-left-minutes", { minutes: number(minutes) });
  else if (minutes < 48 * 60) left = t("js-blast-left-hours", { hours: number(Math.floor(minutes / 60)), minutes: number(minutes % 60) });
  else left = t("js-blast-left-days", { days: number(Math.round(minutes / 1440)) });
  return t("js-blast-eta-left", { left, at });
}

// Why the whole blast sends nothing right now: outside its hours, its daily cap, no phone.
function waitingText(waiting) {
  if (!waiting) return "";
  const key = `js-blast-waiting-${waiting.reason}${waiting.until ? "" : "-open"}`;
  const text = t(key, { at: waiting.until ? atText(waiting.until) : "" });
  return text === key ? waiting.reason : text;
}

// When the pending recipients should all be handed over at the blast's average gap, shared by
// its outlets: only for an API that gives no estimate of its own.
function estimate(blast, outlets) {
  if (blast.eta !== undefined) return blast.eta;
  if (blast.status !== "running" || blast.counters.pending === 0) return null;
  const gap = (blast.pacing.gap_min_secs + blast.pacing.gap_max_secs) / 2;
  return Date.now() + (blast.counters.pending * gap * 1000) / Math.max(1, outlets);
}

function progressParts(blast, eta) {
  const c = blast.counters;
  const bar = el("progress", { max: Math.max(1, c.total), value: done(c), "aria-label": t("js-blast-progress-of", { name: blast.name }) });
  const text = el("span", { class: "blast-counters" }, countersText(c));
  const running = blast.status === "running";
  const share = el("span", { class: "muted" }, t("js-blast-done-of", { done: number(done(c)), total: number(c.total) }),
    running && eta ? ` · ${etaText(eta)}` : "");
  const waiting = running && blast.waiting ? el("span", { class: "waiting" }, waitingText(blast.waiting)) : null;
  const paused = active(blast.status) && blast.paused?.length
    ? el("span", { class: "paused-note" }, t("js-blast-paused-outlets", { names: blast.paused.map((x) => x.outlet_name).join(", ") }))
    : null;
  return [bar, share, waiting, paused, text];
}

function row(blast) {
  const outlets = (blast.outlets?.outlet_ids || []).length;
  const badge = statusBadge(blast.status);
  const tr = el("tr", { "data-id": blast.id, "data-status": blast.status },
    el("td", {}, blast.name, blast.schedule_id ? el("span", { class: "muted" }, ` · ${t("js-blast-recurring")}`) : null,
      blast.media ? el("span", { class: "muted" }, ` · ${t(blast.media.kind === "image" ? "js-blast-with-image" : "js-blast-with-document")}`) : null),
    el("td", {}, badge),
    el("td", { class: "progress-cell" }, ...progressParts(blast, estimate(blast, outlets))),
    el("td", {}, when(blast.created_at)),
    el("td", { class: "actions" }, el("button", { type: "button", class: "open",
      "aria-label": t("js-blast-open-label", { name: blast.name }), onclick: () => openDetail(blast.id) }, t("js-blast-open"))));
  rows.set(blast.id, { tr, blast, outlets });
  return tr;
}

// The live fields of a `blast.progress` event over what was shown (an older server sends only
// the status and counters).
function withProgress(blast, p) {
  const next = { ...blast, status: p.status, counters: p.counters };
  if ("eta" in p) next.eta = p.eta;
  if ("waiting" in p) next.waiting = p.waiting;
  if (Array.isArray(p.paused)) {
    const paused = new Map(p.paused.map((x) => [x.outlet_id, x.reason]));
    next.paused = p.paused;
    if (blast.shares) next.shares = blast.shares.map((s) => ({ ...s, paused_reason: paused.get(s.outlet_id) ?? null }));
  }
  return next;
}

function updateRow(p) {
  const r = rows.get(p.blast_id);
  if (!r || !r.tr.isConnected) return false;
  if (p.status !== r.blast.status) return false; // its actions and filters change: reload
  const blast = withProgress(r.blast, p);
  r.tr.querySelector(".progress-cell").replaceChildren(...progressParts(blast, estimate(blast, r.outlets)));
  r.blast = blast;
  return true;
}

let historyLoading = null;
function loadHistory() {
  if (historyLoading) return historyLoading;
  historyLoading = (async () => {
    try {
      const params = new URLSearchParams({ page: historyPage, per_page: 25 });
      if ($("status-filter").value) params.set("status", $("status-filter").value);
      const data = await api("GET", `/api/blasts?${params}`);
      rows.clear();
      document.querySelector("#blasts-table tbody").replaceChildren(...data.items.map(row));
      $("empty").hidden = data.items.length > 0;
      $("empty").textContent = t($("status-filter").value ? "js-blast-empty-status" : "js-blast-empty");
      pager($("pager"), data, (p) => { historyPage = p; loadHistory(); });
    } catch (err) { flash(err.message); } finally { historyLoading = null; }
  })();
  return historyLoading;
}
$("status-filter").addEventListener("change", () => { historyPage = 1; loadHistory(); });
const historySoon = debounce(loadHistory, 200);

// ---- Recurring blasts: their rule, next run, runs; stopped after a question -------------------

let schedulesPage = 1;
const hhmm = (m) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

function ruleText(s) {
  const rule = s.recurrence;
  const days = rule.every === "weekly" ? (rule.days || []).map((d) => t(`js-blast-day-${d}`)).join(", ") : "";
  const text = t(`js-blast-when-${rule.every}`, { time: hhmm(s.time_min), days, day: rule.day ?? "" });
  return s.ends_at ? `${text} · ${t("js-blast-until", { when: when(s.ends_at) })}` : text;
}

async function stopSchedule(s) {
  const sure = await ask({ message: t("js-blast-stop-schedule-question", { name: s.name }), yes: t("js-blast-stop-schedule-yes"), danger: true });
  if (!sure) return;
  try {
    await api("POST", `/api/blasts/schedules/${s.id}/stop`);
    flash(t("js-blast-schedule-stopped", { name: s.name }), true);
    loadSchedules();
    if (detail) loadDetail();
  } catch (err) { flash(err.message); }
}

async function loadSchedules() {
  try {
    const data = await api("GET", `/api/blasts/schedules?${new URLSearchParams({ page: schedulesPage, per_page: 10 })}`);
    document.querySelector("#schedules-table tbody").replaceChildren(...data.items.map((s) => el("tr", { "data-id": s.id, "data-active": String(s.active) },
      el("td", {}, s.name),
      el("td", { class: "text-cell" }, ruleText(s)),
      el("td", {}, s.active && s.next_run_at ? when(s.next_run_at) : "—"),
      el("td", {}, s.max_runs ? t("js-blast-runs-of", { runs: number(s.runs), max: number(s.max_runs) }) : number(s.runs)),
      el("td", {}, el("span", { class: `badge ${s.active ? "ok" : ""}` }, t(s.active ? "js-blast-schedule-active" : "js-blast-schedule-ended"))),
      el("td", { class: "actions" }, s.active ? el("button", { type: "button", class: "danger stop",
        "aria-label": t("js-blast-stop-label", { name: s.name }), onclick: () => stopSchedule(s) }, t("js-blast-stop")) : null))));
    $("schedules-empty").hidden = data.items.length > 0;
    pager($("schedules-pager"), data, (p) => { schedulesPage = p; loadSchedules(); });
  } catch (err) { flash(err.message); }
}

// ---- One blast: progress, why it waits, actions, shares, report --------------------------------

let detail = null; // the BlastView shown
let recipientPage = 1;

const rescanLink = (name) => el("a", { href: "/outlet-status", "aria-label": t("js-blast-rescan-label", { name }) }, t("js-blast-rescan"));
// A share waits for its phone: Rescan QR helps; an outlet deleted does not come back.
const rescanHelps = (reason) => reason !== "outlet_deleted";

function showDetail(view) {
  detail = view;
  const c = view.counters;
  const running = view.status === "running";
  $("detail").hidden = false;
  $("detail").dataset.id = view.id;
  $("detail").dataset.status = view.status;
  $("detail-name").textContent = view.name;
  $("detail-status").replaceWith(Object.assign(statusBadge(view.status), { id: "detail-status" }));
  $("detail-bar").max = Math.max(1, c.total);
  $("detail-bar").value = done(c);
  $("detail-progress").textContent = `${t("js-blast-done-of", { done: number(done(c)), total: number(c.total) })} — ${countersText(c)}`;
  const eta = running ? estimate(view, view.shares.length) : null;
  $("detail-eta").textContent = eta ? etaText(eta)
    : view.finished_at ? t("js-blast-finished", { when: when(view.finished_at) })
      : view.start_at && view.status === "scheduled" ? t("js-blast-starts", { when: when(view.start_at) }) : "";
  $("detail-waiting").hidden = !(running && view.waiting);
  $("detail-waiting").textContent = running && view.waiting ? waitingText(view.waiting) : "";
  const paused = active(view.status) ? view.shares.filter((s) => s.paused_reason && s.pending > 0) : [];
  $("detail-paused").hidden = paused.length === 0;
  $("detail-paused").replaceChildren(...paused.map((s) => el("li", { "data-outlet": s.outlet_id },
    t("js-blast-outlet-paused", { name: s.outlet_name, reason: pauseText(s.paused_reason) }), " ",
    rescanHelps(s.paused_reason) ? rescanLink(s.outlet_name) : null)));
  $("detail-media").hidden = !view.media;
  $("detail-media").textContent = view.media ? `${t("js-blast-review-media")}: ${mediaText(view.media)} · ${captionText(view.media.caption_mode)}` : "";
  const can = {
    start: ["draft", "scheduled"].includes(view.status), pause: running, resume: view.status === "paused",
    cancel: ["draft", "scheduled", "running", "paused"].includes(view.status), duplicate: true,
    "resend-failed": c.failed > 0 && !active(view.status), "stop-schedule": !!view.schedule_id,
  };
  for (const b of $("detail-actions").querySelectorAll("button")) b.hidden = !can[b.dataset.action];
  document.querySelector("#shares-table tbody").replaceChildren(...view.shares.map((s) => el("tr", { "data-outlet": s.outlet_id },
    el("td", {}, s.outlet_name),
    el("td", {}, number(s.pending)),
    el("td", {}, s.pending > 0 && running && !s.paused_reason && !view.waiting ? clockText(s.next_send_at) : "—"),
    el("td", {}, s.paused_reason && s.pending > 0
      ? el("span", {}, el("span", { class: "badge bad" }, pauseText(s.paused_reason)), " ", rescanHelps(s.paused_reason) ? rescanLink(s.outlet_name) : null)
      : el("span", { class: "badge ok" }, s.pending > 0 ? t("js-blast-share-sending") : t("js-blast-share-done"))))));
  const status = $("recipient-filter").value;
  $("csv").href = `/api/blasts/${view.id}/recipients.csv${status ? `?status=${status}` : ""}`;
}

function pauseText(reason) {
  const key = `js-blast-pause-${reason}`;
  const text = t(key);
  return text === key ? reason : text;
}

// "invalid_number (line 4)" (a file's refused row) → "not a valid number (line 4)".
function reasonText(reason) {
  if (!reason) return "";
  const [, code, line] = reason.match(/^(\w+)(?: \(line (\d+)\))?$/) || [null, reason, null];
  const key = `js-blast-reason-${code}`;
  const text = t(key) === key ? code : t(key);
  return line ? `${text} ${t("js-blast-reason-line", { line })}` : text;
}

async function loadDetail() {
  if (!detail) return;
  try { showDetail(await api("GET", `/api/blasts/${detail.id}`)); } catch (err) { flash(err.message); }
}

async function openDetail(id) {
  try {
    const view = await api("GET", `/api/blasts/${id}`);
    recipientPage = 1;
    $("recipient-filter").value = "";
    showDetail(view);
    await loadRecipients();
    $("detail").scrollIntoView({ behavior: "smooth", block: "start" });
    $("detail").focus({ preventScroll: true });
  } catch (err) { flash(err.message); }
}

$("detail-close").addEventListener("click", () => { detail = null; $("detail").hidden = true; });

async function loadRecipients() {
  if (!detail) return;
  const params = new URLSearchParams({ page: recipientPage, per_page: 25 });
  const status = $("recipient-filter").value;
  if (status) params.set("status", status);
  try {
    const data = await api("GET", `/api/blasts/${detail.id}/recipients?${params}`);
    document.querySelector("#recipients-table tbody").replaceChildren(...data.items.map((r) => el("tr", { "data-status": r.status },
      el("td", {}, r.wa_number),
      el("td", {}, el("span", { class: `status-${r.status}` }, t(`js-blast-recipient-${r.status}`))),
      el("td", { class: "text-cell" }, reasonText(r.reason) || "—"),
      el("td", {}, r.outlet_id ? outletNames.get(r.outlet_id) || `#${r.outlet_id}` : "—"),
      el("td", {}, when(r.updated_at)))));
    $("recipients-empty").hidden = data.items.length > 0;
    pager($("recipients-pager"), data, (p) => { recipientPage = p; loadRecipients(); });
  } catch (err) { flash(err.message); }
}
$("recipient-filter").addEventListener("change", () => {
  recipientPage = 1;
  if (detail) $("csv").href = `/api/blasts/${detail.id}/recipients.csv${$("recipient-filter").value ? `?status=${$("recipient-filter").value}` : ""}`;
  loadRecipients();
});
const recipientsSoon = debounce(loadRecipients, 1000);

async function act(action) {
  if (!detail) return;
  const view = detail;
  if (action === "cancel") {
    const sure = await ask({ message: t("js-blast-cancel-question", { name: view.name }), yes: t("js-blast-cancel-yes"), danger: true });
    if (!sure) return;
  }
  if (action === "stop-schedule") {
    const sure = await ask({ message: t("js-blast-stop-schedule-question", { name: view.name }), yes: t("js-blast-stop-schedule-yes"), danger: true });
    if (!sure) return;
  }
  try {
    if (action === "stop-schedule") {
      await api("POST", `/api/blasts/schedules/${view.schedule_id}/stop`);
      flash(t("js-blast-schedule-stopped", { name: view.name }), true);
      loadSchedules();
      return;
    }
    const answer = await api("POST", `/api/blasts/${view.id}/${action}`);
    if (action === "duplicate" || action === "resend-failed") {
      flash(t(action === "duplicate" ? "js-blast-duplicated" : "js-blast-resent", { name: answer.blast.name }), true);
      await openDetail(answer.blast.id);
    } else {
      flash(t(`js-blast-done-${action}`, { name: view.name }), true);
      showDetail(answer);
      loadRecipients();
    }
    loadHistory();
  } catch (err) { flash(err.message); }
}
for (const b of $("detail-actions").querySelectorAll("button")) b.addEventListener("click", () => act(b.dataset.action));

// ---- Live: the event stream while the tab is visible, polling as the fallback ------------------

let source = null, streaming = false;

function onProgress(p) {
  if (!updateRow(p)) historySoon();
  if (detail && detail.id === p.blast_id) {
    if (p.status !== detail.status) loadDetail();
    else showDetail(withProgress(detail, p));
    recipientsSoon();
  }
}

function openStream() {
  if (source || document.hidden) return;
  source = new EventSource("/api/events");
  source.addEventListener("blast.progress", (e) => onProgress(JSON.parse(e.data)));
  source.addEventListener("lagged", () => { historySoon(); loadDetail(); });
  source.addEventListener("device.status", debounce(() => { loadOutlets(); loadDetail(); }, 300));
  source.addEventListener("open", () => { streaming = true; });
  source.addEventListener("error", () => {
    streaming = false;
    if (source?.readyState !== EventSource.CLOSED) return; // the browser retries by itself
    source = null;
    setTimeout(openStream, 5000);
  });
}

function closeStream() {
  source?.close();
  source = null;
  streaming = false;
}

// A hidden tab keeps no stream open; showing it again catches up at once (poll runs too).
document.addEventListener("visibilitychange", () => {
  if (document.hidden) closeStream();
  else openStream();
});

// Every few seconds while visible: the open blast's shares (their next send and pause reasons
// are not on the stream), and the list when the stream is down.
poll(() => {
  if (detail && (active(detail.status) || detail.counters.queued > 0)) loadDetail();
  if (!streaming && [...rows.values()].some((r) => active(r.blast.status) || r.blast.counters.queued > 0)) loadHistory();
}, () => Number($("detail").dataset.refreshMs) || 5000);

// ---- Start ----------------------------------------------------------------------------------

async function loadChoices() {
  const [tpl, tags] = await Promise.all([
    api("GET", "/api/templates?per_page=200").catch((err) => { flash(err.message); return { items: [] }; }),
    api("GET", "/api/tags").catch((err) => { flash(err.message); return []; }),
  ]);
  templates = tpl.items;
  $("template-select").append(...templates.map((x) => el("option", { value: x.id },
    x.media ? `${x.name} · ${t(x.media.kind === "image" ? "js-blast-with-image" : "js-blast-with-document")}` : x.name)));
  $("tags-field").replaceChildren(...tags.map((tag) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "tag", value: tag.id }), el("span", { class: `tag tag-${tag.color}` }, tag.name))));
}

showStart();
showChosenContacts();
await Promise.all([loadChoices(), loadOutlets(), loadHistory(), loadSchedules()]);
if (templates.length === 0) form.querySelector("input[name=source][value=text]").checked = true;
showSource();
showAudience();
openStream();
