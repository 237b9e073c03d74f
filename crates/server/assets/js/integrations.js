// The integrations page: the owner's channels (with their status, a test and a log), and a
// guided form per type. Secrets are write-only: left empty on a change, the saved one stays.

import { $, api, ask, el, flash, outletScope, pagedTable, t, when } from "./core.js";

const form = $("integration-form");
let editing = null; // the integration in the form, or null for a new one
const FIELDS = ["name", "channel", "events", "outlet_ids", "format"];

function clearErrors() {
  for (const f of FIELDS) { $(`err-${f}`).textContent = ""; $(`err-${f}`).hidden = true; }
}

function showError(err) {
  const field = err.field || (err.status === 409 ? "name" : null);
  if (!field || !FIELDS.includes(field)) { flash(err.message); return; }
  const box = $(`err-${field}`);
  box.textContent = err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
  box.hidden = false;
  box.scrollIntoView({ block: "center" });
}

// ---- The form: one set of fields per type.

const type = () => form.elements.type.value;
function showType() {
  for (const part of form.querySelectorAll("[data-type]")) part.hidden = part.dataset.type !== type();
}
for (const radio of form.querySelectorAll("input[name=type]")) radio.addEventListener("change", showType);

const scope = outletScope(form);

const formatBox = $("integration-format");
for (const button of document.querySelectorAll("button[data-variable]")) {
  button.addEventListener("click", () => {
    const at = [formatBox.selectionStart ?? formatBox.value.length, formatBox.selectionEnd ?? formatBox.value.length];
    formatBox.setRangeText(`{{${button.dataset.variable}}}`, at[0], at[1], "end");
    formatBox.focus();
  });
}

// The channel as the API takes it; an empty secret is left out (a change keeps the saved one).
function channel() {
  const value = (id) => $(id).value.trim();
  const secret = (id) => value(id) || undefined;
  switch (type()) {
    case "telegram": return { type: "telegram", bot_token: secret("bot-token"), chat_id: value("chat-id") };
    case "discord": return { type: "discord", webhook_url: secret("discord-url") };
    case "slack": return { type: "slack", webhook_url: secret("slack-url") };
    case "email": return {
      type: "email", host: value("smtp-host"), port: Number(value("smtp-port") || 587), tls: $("smtp-tls").value,
      username: value("smtp-user") || null, password: secret("smtp-password"), from: value("email-from"),
      to: value("email-to").split(",").map((a) => a.trim()).filter(Boolean),
    };
    default: return { type: "webhook", url: value("hook-url") };
  }
}

function body() {
  return {
    name: $("integration-name").value.trim(),
    channel: channel(),
    events: [...form.querySelectorAll("input[name=event]:checked")].map((i) => i.value),
    outlet_ids: scope.ids(),
    format: formatBox.value,
    active: $("integration-active").checked,
  };
}

const heading = $("editor-heading");
heading.dataset.newText = heading.textContent;
function edit(item) {
  editing = item;
  form.reset();
  clearErrors();
  for (const id of ["bot-token", "discord-url", "slack-url", "smtp-password"]) $(id).value = "";
  if (item) {
    form.elements.type.value = item.type;
    const s = item.settings;
    $("chat-id").value = s.chat_id ?? "";
    $("smtp-host").value = s.host ?? "";
    $("smtp-port").value = s.port ?? 587;
    $("smtp-tls").value = s.tls ?? "starttls";
    $("smtp-user").value = s.username ?? "";
    $("email-from").value = s.from ?? "";
    $("email-to").value = (s.to ?? []).join(", ");
    $("hook-url").value = s.url ?? "";
    $("integration-name").value = item.name;
    for (const box of form.querySelectorAll("input[name=event]")) box.checked = item.events.includes(box.value);
    scope.set(item.all_outlets, item.outlet_ids);
    formatBox.value = item.format;
    $("integration-active").checked = item.active;
  }
  // A saved integration keeps its type, and its secret unless a new one is typed.
  for (const radio of form.querySelectorAll("input[name=type]")) radio.disabled = !!item && radio.value !== item.type;
  $("secret-kept").hidden = !item?.secret_hint;
  $("secret-kept").textContent = item?.secret_hint ? t("js-integrations-secret-kept", { hint: item.secret_hint }) : "";
  heading.textContent = item ? item.name : heading.dataset.newText;
  $("cancel-edit").hidden = !item;
  showType();
  scope.show();
}
$("cancel-edit").addEventListener("click", () => edit(null));
function openNew() {
  edit(null);
  form.scrollIntoView({ block: "start" });
  form.querySelector("input[name=type]:checked").focus();
}
$("new-integration").addEventListener("click", openNew);
$("empty-create").addEventListener("click", openNew);

// A custom webhook's signing secret, shown once.
function showSecret(secret) {
  const dialog = el("dialog", { class: "card", "aria-label": t("js-integrations-secret-title") },
    el("p", {}, t("js-integrations-secret-once")),
    el("div", { class: "secret-box" }, el("code", {}, secret)),
    el("div", { class: "actions" }, el("button", { type: "button", class: "primary", onclick: () => dialog.close() }, t("js-integrations-secret-done"))));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  flash("");
  clearErrors();
  try {
    if (editing) {
      const done = await api("PATCH", `/api/integrations/${editing.id}`, body());
      flash(t("js-integrations-saved", { name: done.name }), true);
    } else {
      const created = await api("POST", "/api/integrations", body());
      flash(t("js-integrations-saved", { name: created.integration.name }), true);
      if (created.secret) showSecret(created.secret);
    }
    edit(null);
    table.reload();
  } catch (err) { showError(err); } finally { button.disabled = false; }
});

// ---- The list.

async function setActive(item, box) {
  box.disabled = true;
  try {
    const done = await api("PATCH", `/api/integrations/${item.id}`, { active: box.checked });
    flash(t(done.active ? "js-integrations-resumed" : "js-integrations-paused", { name: done.name }), true);
    table.reload();
  } catch (err) {
    box.checked = !box.checked;
    flash(err.message);
  } finally { box.disabled = false; }
}

async function sendTest(item) {
  try {
    await api("POST", `/api/integrations/${item.id}/test`);
    flash(t("js-integrations-test-queued", { name: item.name }), true);
    openLog(item);
  } catch (err) { flash(err.message); }
}

// Telegram only: replies in the chat go back to the customer (the server asks Telegram to
// post the bot's messages to it).
async function setReplies(item, button) {
  button.disabled = true;
  try {
    const done = await api(item.replies ? "DELETE" : "PUT", `/api/integrations/${item.id}/replies`);
    flash(t(done.replies ? "js-integrations-replies-enabled" : "js-integrations-replies-disabled", { name: done.name }), true);
    table.reload();
  } catch (err) {
    flash(err.message);
  } finally { button.disabled = false; }
}

async function remove(item) {
  const sure = await ask({ message: t("js-integrations-delete-confirm", { name: item.name }), yes: t("js-integrations-delete"), danger: true });
  if (!sure) return;
  try {
    await api("DELETE", `/api/integrations/${item.id}`);
    if (editing?.id === item.id) edit(null);
    if (logged?.id === item.id) { logged = null; $("log-card").hidden = true; }
    flash(t("js-integrations-deleted", { name: item.name }), true);
    table.reload();
  } catch (err) { flash(err.message); }
}

const eventLabel = (e) => t(`js-integrations-event-${e.replace(/[._]/g, "-")}`);
function statusCell(item, extra) {
  const badge = el("span", { class: `badge integration-${item.status}` }, t(`js-integrations-status-${item.status}`));
  return el("td", { class: "text-cell" }, badge, extra, item.status === "error" ? el("div", { class: "muted last-error" }, item.last_error) : null);
}

const table = pagedTable({
  url: "/api/integrations",
  tbody: document.querySelector("#integrations-table tbody"),
  empty: $("empty"),
  pager: $("pager"),
  row: (item) => {
    const toggle = el("input", { type: "checkbox", class: "active-toggle", checked: item.active, "aria-label": t("js-integrations-active-label", { name: item.name }) });
    toggle.addEventListener("change", () => setActive(item, toggle));
    const button = (cls, key, fn) => el("button", { type: "button", class: cls, "aria-label": t(`${key}-label`, { name: item.name }), onclick: fn }, t(key));
    return el("tr", { "data-id": item.id, "data-status": item.status },
      el("td", {}, item.name),
      el("td", {}, el("span", { class: "badge" }, t(`js-integrations-type-${item.type}`))),
      el("td", { class: "text-cell" }, item.events.map(eventLabel).join(", ")),
      statusCell(item, item.replies ? el("span", { class: "badge replies-on" }, t("js-integrations-replies-badge")) : null),
      el("td", {}, el("label", { class: "check" }, toggle, t(item.active ? "js-auto-replies-on" : "js-auto-replies-off"))),
      el("td", { class: "actions" },
        button("test", "js-integrations-test", () => sendTest(item)),
        button("log", "js-integrations-log", () => openLog(item)),
        item.type === "telegram"
          ? button("replies", item.replies ? "js-integrations-replies-off" : "js-integrations-replies-on", (e) => setReplies(item, e.currentTarget))
          : null,
        button("edit", "js-integrations-edit", () => { edit(item); form.scrollIntoView({ block: "start" }); $("integration-name").focus(); }),
        button("danger", "js-integrations-delete", () => remove(item))));
  },
});

// ---- The log of one integration.

let logged = null;
const logTable = pagedTable({
  url: () => logged && `/api/integrations/${logged.id}/log`,
  tbody: document.querySelector("#log-table tbody"),
  empty: $("log-empty"),
  pager: $("log-pager"),
  row: (f) => el("tr", { "data-status": f.status },
    el("td", {}, when(f.created_at)),
    el("td", {}, f.event === "integration.test" ? t("js-integrations-event-test") : eventLabel(f.event)),
    el("td", {}, el("span", { class: `badge delivery-${f.status}` }, t(`js-integrations-forward-${f.status}`))),
    el("td", {}, String(f.attempts)),
    el("td", { class: "text-cell" }, f.last_error, f.status === "pending" && f.attempts > 0
      ? el("div", { class: "muted" }, t("js-integrations-next-try", { when: when(f.next_attempt_at) })) : null)),
});
function openLog(item) {
  logged = item;
  $("log-heading").textContent = t("js-integrations-log-of", { name: item.name });
  $("log-card").hidden = false;
  logTable.reload();
  $("log-heading").focus();
}
$("log-refresh").addEventListener("click", () => { logTable.reload(); table.reload(); });

edit(null);
