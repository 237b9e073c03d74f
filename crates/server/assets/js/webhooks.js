import { $, api, ask, el, flash, number, onSubmit, pagedTable, poll, t, when } from "./core.js";

function showSecret(url, secret) {
  $("secret-url").textContent = url;
  $("secret-value").textContent = secret;
  $("new-secret").hidden = false;
}

// The exact JSON a delivery posted, so a receiver's parsing can be checked against it.
const dialog = $("payload-dialog");
$("payload-close").addEventListener("click", () => dialog.close());
function showPayload(d) {
  $("payload-id").textContent = `#${d.id}`;
  $("payload-meta").textContent = t("js-webhooks-payload-meta", { id: d.event_id, event: d.event, attempts: number(d.attempts) });
  $("payload-body").textContent = JSON.stringify(d.payload, null, 2);
  dialog.showModal();
}

// The delivery log of one webhook at a time (`logHook`), below the list.
let log = null, logStatus = "", logHook = null;

function deliveryRow(w, d) {
  const outcome = [d.last_status_code ? t("js-webhooks-http-status", { code: d.last_status_code }) : "",
    d.last_error && d.status !== "delivered" ? ` ${d.last_error}` : ""].join("").trim();
  const redeliver = async () => {
    try { await api("POST", `/api/webhooks/${w.id}/deliveries/${d.id}/redeliver`); flash(t("js-webhooks-redelivery-queued", { id: d.id }), true); log.reload(); }
    catch (err) { flash(err.message); }
  };
  return el("tr", { "data-id": d.id },
    el("td", {}, when(d.created_at)), el("td", {}, d.event),
    el("td", { class: `delivery-${d.status}` }, t(`js-webhooks-status-${d.status}`)), el("td", {}, number(d.attempts)),
    el("td", { class: "text-cell" }, outcome || "—"),
    el("td", {}, d.status === "pending" ? when(d.next_attempt_at) : "—"),
    el("td", { class: "actions" },
      el("button", { type: "button", onclick: () => showPayload(d) }, t("js-webhooks-payload")),
      ["delivered", "failed"].includes(d.status) ? el("button", { type: "button", onclick: redeliver }, t("js-webhooks-redeliver")) : ""));
}

function openLog(w) {
  logHook = w;
  $("log-card").hidden = false;
  $("log-url").textContent = w.url;
  log = pagedTable({
    url: `/api/webhooks/${w.id}/deliveries`,
    params: () => ({ status: logStatus }),
    tbody: document.querySelector("#deliveries-table tbody"),
    empty: $("log-empty"),
    pager: $("log-pager"),
    row: (d) => deliveryRow(w, d),
  });
}

$("log-status").addEventListener("change", (e) => { logStatus = e.target.value; log?.reload(); });
$("redeliver-failed").addEventListener("click", async () => {
  if (!logHook) return;
  try { const r = await api("POST", `/api/webhooks/${logHook.id}/redeliver-failed`); flash(t("js-webhooks-failed-queued", { count: number(r.queued) }), true); log?.reload(); }
  catch (err) { flash(err.message); }
});
// Retries happen in the background; keep the open log's attempts and statuses current.
poll(() => log?.reload(), 3000);

async function setActive(w, e) {
  try {
    await api("PATCH", `/api/webhooks/${w.id}`, { active: e.target.checked });
    flash(e.target.checked ? t("js-webhooks-on") : t("js-webhooks-paused"), true);
  } catch (err) { e.target.checked = !e.target.checked; flash(err.message); }
}

async function sendTest(w) {
  try { const d = await api("POST", `/api/webhooks/${w.id}/test`); flash(t("js-webhooks-test-queued", { id: d.id }), true); openLog(w); }
  catch (err) { flash(err.message); }
}

async function remove(w) {
  const sure = await ask({ message: t("js-webhooks-delete-confirm", { url: w.url }), yes: t("js-webhooks-delete"), danger: true });
  if (!sure) return;
  try { await api("DELETE", `/api/webhooks/${w.id}`); flash(t("js-webhooks-deleted"), true); $("log-card").hidden = true; log = null; table.reload(); }
  catch (err) { flash(err.message); }
}

const table = pagedTable({
  url: "/api/webhooks",
  tbody: document.querySelector("#webhooks-table tbody"),
  empty: $("empty"),
  pager: $("pager"),
  row: (w) => el("tr", { "data-id": w.id },
    el("td", { class: "text-cell" }, w.url), el("td", {}, w.events.join(", ")),
    el("td", {}, el("input", { type: "checkbox", checked: w.active, "aria-label": t("js-webhooks-active-for", { url: w.url }), onchange: (e) => setActive(w, e) })),
    el("td", {}, when(w.created_at)),
    el("td", { class: "actions" },
      el("button", { type: "button", onclick: () => openLog(w) }, t("js-webhooks-deliveries")),
      el("button", { type: "button", onclick: () => sendTest(w) }, t("js-webhooks-send-test")),
      el("button", { type: "button", onclick: async () => {
        try { showSecret(w.url, (await api("GET", `/api/webhooks/${w.id}/secret`)).secret); } catch (err) { flash(err.message); }
      } }, t("js-webhooks-secret")),
      el("button", { type: "button", class: "danger", onclick: () => remove(w) }, t("js-webhooks-delete")))),
});

const form = $("webhook-form");
onSubmit(form, async () => {
  const events = [...form.querySelectorAll("input[name=events]:checked")].map((i) => i.value);
  const created = await api("POST", "/api/webhooks", { url: form.elements.url.value.trim(), events });
  form.elements.url.value = "";
  showSecret(created.webhook.url, created.secret);
  flash(t("js-webhooks-added"), true);
  table.reload();
});
