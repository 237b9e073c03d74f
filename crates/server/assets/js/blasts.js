// The broadcast page (issue 13): compose (content from a template or a text with a preview for
// a sample contact, outlets by health, recipients with a live count after exclusions, pacing,
// schedule), review and confirm; then the history with live progress from the event stream
// (`blast.progress`), the actions, each outlet's share and the per-recipient report.
import { $, api, ask, el, flash, number, pager, poll, t, when } from "./core.js";

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

// ---- Content: a template or a text, previewed for a sample contact ---------------------------

function showSource() {
  const template = radio("source") === "template";
  $("template-field").hidden = !template;
  $("no-templates").hidden = !template || templates.length > 0;
  $("body-field").hidden = template;
  textPreview();
  countSoon();
}
for (const r of form.querySelectorAll("input[name=source]")) r.addEventListener("change", showSource);

function content() {
  if (radio("source") === "template") {
    const id = Number($("template-select").value);
    return id ? { template_id: id, body: null } : { template_id: null, body: null };
  }
  return { template_id: null, body: $("blast-body").value };
}

function contentText() {
  if (radio("source") === "template") return templates.find((x) => x.id === Number($("template-select").value))?.body || "";
  return $("blast-body").value;
}

let previewAsked = 0;
async function textPreview() {
  const text = contentText();
  const mine = ++previewAsked;
  const box = $("preview-text");
  if (!text.trim()) { box.classList.remove("stale"); box.textContent = t("js-blast-preview-empty"); return; }
  const request = { body: text };
  if ($("preview-contact").value) request.contact_id = Number($("preview-contact").value);
  try {
    const shown = await api("POST", "/api/templates/preview", request);
    if (mine !== previewAsked) return;
    box.classList.remove("stale");
    box.textContent = shown.text;
    const err = errorBox(radio("source") === "template" ? "template_id" : "body");
    if (err) { err.hidden = true; }
    $("blast-body").removeAttribute("aria-invalid");
  } catch (err) {
    if (mine !== previewAsked) return;
    box.classList.add("stale");
    if (radio("source") === "text") showError({ field: "body", message: err.message }, false);
  }
}
const textPreviewSoon = debounce(textPreview, 300);
$("blast-body").addEventListener("input", () => { textPreviewSoon(); countSoon(); });
$("template-select").addEventListener("change", () => { textPreview(); countSoon(); });
$("preview-contact").addEventListener("change", textPreview);

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
$("outlet-list").addEventListener("change", () => { showChosen(); countSoon(); });
$("all-healthy").addEventListener("click", () => {
  for (const box of $("outlet-list").querySelectorAll("input[name=outlet]:not(:disabled)")) box.checked = true;
  showChosen();
  countSoon();
});

// ---- Recipients with a live count after exclusions -------------------------------------------

function showAudience() {
  const by = radio("audience");
  $("tags-field").hidden = by !== "tags";
  $("no-tags").hidden = by !== "tags" || $("tags-field").children.length > 0;
  $("numbers-field").hidden = by !== "numbers";
  countSoon();
}
for (const r of form.querySelectorAll("input[name=audience]")) r.addEventListener("change", showAudience);
$("tags-field").addEventListener("change", () => countSoon());
$("blast-numbers").addEventListener("input", () => countSoon());

function recipients() {
  const by = radio("audience");
  if (by === "all") return { all_contacts: true };
  if (by === "numbers") return { numbers: $("blast-numbers").value.split(/[\n,;]+/).map((n) => n.trim()).filter(Boolean) };
  return { tag_ids: [...$("tags-field").querySelectorAll("input:checked")].map((i) => Number(i.value)) };
}

const hasRecipients = (r) => r.all_contacts || (r.numbers || r.tag_ids || []).length > 0;

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

// The count needs no name or content yet: it asks with stand-ins for whatever is missing.
let countAsked = 0;
async function count() {
  const box = $("recipient-count");
  const mine = ++countAsked;
  const req = request();
  if (!hasRecipients(req.recipients)) { box.textContent = t("js-blast-choose-recipients"); return; }
  if (req.outlet_ids.length === 0) { box.textContent = t("js-blast-choose-outlets"); return; }
  req.name = req.name || t("js-blast-untitled");
  if (!req.template_id && !(req.body || "").trim()) { req.template_id = null; req.body = "-"; }
  req.start = "draft";
  delete req.start_at;
  delete req.schedule;
  box.textContent = t("js-blast-counting");
  try {
    const p = await api("POST", "/api/blasts/preview", req);
    if (mine !== countAsked) return;
    $("err-recipients").hidden = true;
    const skipped = skippedText(p.skipped, p.duplicates);
    box.textContent = t("js-blast-count", { count: number(p.recipients), outlets: number(p.per_outlet.length) })
      + (skipped ? ` ${t("js-blast-count-skipped", { skipped })}` : "");
    box.dataset.count = p.recipients;
  } catch (err) {
    if (mine !== countAsked) return;
    box.textContent = "";
    delete box.dataset.count;
    if (["recipients", "outlet_ids"].includes(err.field) || err.field?.startsWith("pacing")) showError(err, false);
    else box.textContent = err.message;
  }
}
const countSoon = debounce(count, 400);
for (const id of ["gap-min", "gap-max", "daily-cap", "window-start", "window-end"]) {
  $(id).addEventListener("change", () => { for (const b of form.querySelectorAll("details .field-error")) b.hidden = true; countSoon(); });
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

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearErrors();
  flash("");
  $("review-box").hidden = true;
  const req = request();
  if (req.outlet_ids.length === 0) { showError({ field: "outlet_ids", message: t("js-blast-choose-outlets") }); return; }
  if (!hasRecipients(req.recipients)) { showError({ field: "recipients", message: t("js-blast-choose-recipients") }); return; }
  if (req.start === "at" && !req.start_at) { showError({ field: "start_at", message: t("js-blast-choose-time") }); return; }
  const button = $("review");
  button.disabled = true;
  try {
    const preview = await api("POST", "/api/blasts/preview", req);
    reviewed = { request: req, preview };
    const item = (term, ...value) => [el("dt", {}, term), el("dd", {}, ...value)];
    const skipped = skippedText(preview.skipped, preview.duplicates);
    $("review-list").replaceChildren(
      ...item(t("js-blast-review-name"), req.name),
      ...item(t("js-blast-review-content"), el("div", { class: "bubble" }, preview.sample || $("preview-text").textContent)),
      ...item(t("js-blast-review-outlets"), el("ul", {}, preview.per_outlet.map((o) =>
        el("li", {}, t("js-blast-review-outlet", { name: o.name, count: number(o.recipients) }))))),
      ...item(t("js-blast-review-recipients"), t("js-blast-count", { count: number(preview.recipients), outlets: number(preview.per_outlet.length) }),
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
    const created = await api("POST", "/api/blasts", req);
    $("review-box").hidden = true;
    reviewed = null;
    $("blast-name").value = "";
    if (created.schedule) {
      flash(t("js-blast-schedule-made", { name: created.schedule.name, when: when(created.schedule.next_run_at) }), true);
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

// When the pending recipients should all be handed over at the blast's average gap, shared by
// its outlets; the API's own estimate is used where it gives one.
function estimate(blast, outlets) {
  if (blast.status !== "running" || blast.counters.pending === 0) return null;
  const gap = (blast.pacing.gap_min_secs + blast.pacing.gap_max_secs) / 2;
  return Date.now() + (blast.counters.pending * gap * 1000) / Math.max(1, outlets);
}

function progressParts(blast, eta) {
  const c = blast.counters;
  const bar = el("progress", { max: Math.max(1, c.total), value: done(c), "aria-label": t("js-blast-progress-of", { name: blast.name }) });
  const text = el("span", { class: "blast-counters" }, countersText(c));
  const share = el("span", { class: "muted" }, t("js-blast-done-of", { done: number(done(c)), total: number(c.total) }),
    eta ? ` · ${t("js-blast-eta", { when: when(eta) })}` : "");
  return { bar, text, share };
}

function row(blast) {
  const outlets = (blast.outlets?.outlet_ids || []).length;
  const parts = progressParts(blast, estimate(blast, outlets));
  const badge = statusBadge(blast.status);
  const tr = el("tr", { "data-id": blast.id, "data-status": blast.status },
    el("td", {}, blast.name, blast.schedule_id ? el("span", { class: "muted" }, ` · ${t("js-blast-recurring")}`) : null),
    el("td", {}, badge),
    el("td", { class: "progress-cell" }, parts.bar, parts.share, parts.text),
    el("td", {}, when(blast.created_at)),
    el("td", { class: "actions" }, el("button", { type: "button", class: "open",
      "aria-label": t("js-blast-open-label", { name: blast.name }), onclick: () => openDetail(blast.id) }, t("js-blast-open"))));
  rows.set(blast.id, { tr, blast, outlets });
  return tr;
}

function updateRow(p) {
  const r = rows.get(p.blast_id);
  if (!r || !r.tr.isConnected) return false;
  const blast = { ...r.blast, status: p.status, counters: p.counters };
  if (p.status !== r.blast.status) return false; // its actions and filters change: reload
  const parts = progressParts(blast, estimate(blast, r.outlets));
  r.tr.querySelector(".progress-cell").replaceChildren(parts.bar, parts.share, parts.text);
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
      pager($("pager"), data, (p) => { historyPage = p; loadHistory(); });
    } catch (err) { flash(err.message); } finally { historyLoading = null; }
  })();
  return historyLoading;
}
$("status-filter").addEventListener("change", () => { historyPage = 1; loadHistory(); });
const historySoon = debounce(loadHistory, 200);

// ---- One blast: progress, actions, shares, report ---------------------------------------------

let detail = null; // the BlastView shown
let recipientPage = 1;

function showDetail(view) {
  detail = view;
  const c = view.counters;
  $("detail").hidden = false;
  $("detail").dataset.id = view.id;
  $("detail").dataset.status = view.status;
  $("detail-name").textContent = view.name;
  $("detail-status").replaceWith(Object.assign(statusBadge(view.status), { id: "detail-status" }));
  $("detail-bar").max = Math.max(1, c.total);
  $("detail-bar").value = done(c);
  $("detail-progress").textContent = `${t("js-blast-done-of", { done: number(done(c)), total: number(c.total) })} — ${countersText(c)}`;
  const eta = view.eta || estimate(view, view.shares.length);
  $("detail-eta").textContent = eta ? t("js-blast-eta", { when: when(eta) })
    : view.finished_at ? t("js-blast-finished", { when: when(view.finished_at) })
      : view.start_at && view.status === "scheduled" ? t("js-blast-starts", { when: when(view.start_at) }) : "";
  const can = {
    start: ["draft", "scheduled"].includes(view.status), pause: view.status === "running", resume: view.status === "paused",
    cancel: ["draft", "scheduled", "running", "paused"].includes(view.status), duplicate: true,
    "resend-failed": c.failed > 0 && !active(view.status), "stop-schedule": !!view.schedule_id,
  };
  for (const b of $("detail-actions").querySelectorAll("button")) b.hidden = !can[b.dataset.action];
  document.querySelector("#shares-table tbody").replaceChildren(...view.shares.map((s) => el("tr", {},
    el("td", {}, s.outlet_name),
    el("td", {}, number(s.pending)),
    el("td", {}, s.pending > 0 && view.status === "running" && !s.paused_reason ? when(s.next_send_at) : "—"),
    el("td", {}, s.paused_reason
      ? el("span", {}, el("span", { class: "badge bad" }, pauseText(s.paused_reason)), " ", el("a", { href: "/outlet-status" }, t("js-blast-rescan")))
      : el("span", { class: "badge ok" }, s.pending > 0 ? t("js-blast-share-sending") : t("js-blast-share-done"))))));
  const status = $("recipient-filter").value;
  $("csv").href = `/api/blasts/${view.id}/recipients.csv${status ? `?status=${status}` : ""}`;
}

function pauseText(reason) {
  const key = `js-blast-pause-${reason}`;
  const text = t(key);
  return text === key ? reason : text;
}

function reasonText(reason) {
  if (!reason) return "";
  const key = `js-blast-reason-${reason}`;
  const text = t(key);
  return text === key ? reason : text;
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
    else showDetail({ ...detail, counters: p.counters, eta: detail.eta });
    recipientsSoon();
  }
}

function openStream() {
  if (source || document.hidden) return;
  source = new EventSource("/api/events");
  source.addEventListener("blast.progress", (e) => onProgress(JSON.parse(e.data)));
  source.addEventListener("lagged", () => { historySoon(); loadDetail(); });
  source.addEventListener("device.status", debounce(loadOutlets, 300));
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
  const [tpl, tags, contacts] = await Promise.all([
    api("GET", "/api/templates?per_page=200").catch((err) => { flash(err.message); return { items: [] }; }),
    api("GET", "/api/tags").catch((err) => { flash(err.message); return []; }),
    api("GET", "/api/contacts?per_page=100").catch((err) => { flash(err.message); return { items: [] }; }),
  ]);
  templates = tpl.items;
  $("template-select").append(...templates.map((x) => el("option", { value: x.id }, x.name)));
  $("tags-field").replaceChildren(...tags.map((tag) => el("label", { class: "check" },
    el("input", { type: "checkbox", name: "tag", value: tag.id }), el("span", { class: `tag tag-${tag.color}` }, tag.name))));
  $("preview-contact").append(...contacts.items.map((c) =>
    el("option", { value: c.id }, c.name ? `${c.name} (${c.wa_number})` : c.wa_number)));
}

showStart();
await Promise.all([loadChoices(), loadOutlets(), loadHistory()]);
if (templates.length === 0) form.querySelector("input[name=source][value=text]").checked = true;
showSource();
showAudience();
openStream();
