// The chatbots page: the owner's flows, the editor (settings here, steps in chatbot_steps.js),
// the simulator that runs the flow being edited on typed messages, and the conversations with
// their hand-over controls.

import { $, api, ask, deviceEvents, el, flash, number, outletScope, pagedTable, t, when } from "./core.js";
import { addStep, flowSteps, loadSteps, setTemplates } from "./chatbot_steps.js";

const form = $("bot-form");
let editing = null; // the saved flow in the editor, or null for a new one
const bots = new Map(); // id → name, for the conversations list

// The fields a refusal (422) may name, each with the place its reason is shown.
const FIELDS = ["name", "trigger", "steps", "outlet_ids", "session_minutes", "end_keyword", "hand_over_minutes"];
const INPUTS = { name: "bot-name", trigger: "bot-keywords", session_minutes: "bot-session", end_keyword: "bot-end", hand_over_minutes: "bot-hand-over" };

function clearErrors() {
  for (const f of FIELDS) { $(`err-${f}`).textContent = ""; $(`err-${f}`).hidden = true; }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

function showError(err) {
  const field = err.field || (err.status === 409 ? "name" : null);
  if (!field || !FIELDS.includes(field)) { flash(err.message); return; }
  const box = $(`err-${field}`);
  box.textContent = err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
  box.hidden = false;
  if (INPUTS[field]) $(INPUTS[field]).setAttribute("aria-invalid", "true");
  box.scrollIntoView({ block: "center" });
}

// ---- Settings.

function showTrigger() { $("keyword-fields").hidden = form.elements.trigger.value !== "keywords"; }
for (const radio of form.querySelectorAll("input[name=trigger]")) radio.addEventListener("change", showTrigger);

// (The lists name the outlets, so they are drawn again once those are in.)
const scope = outletScope(form, async () => {
  await table.reload();
  sessions.reload();
});
const outlets = scope.names;

$("add-step").addEventListener("click", () => addStep($("new-step-type").value));

// The flow in the editor as the API takes it (create, replace, simulate).
function flowBody() {
  const f = form.elements;
  const kind = f.trigger.value;
  const trigger = kind === "keywords"
    ? { type: "keywords", keywords: $("bot-keywords").value.split(",").map((k) => k.trim()).filter(Boolean), match_type: $("bot-match").value }
    : { type: kind };
  return {
    name: $("bot-name").value.trim(),
    active: $("bot-active").checked,
    trigger,
    outlet_ids: scope.ids(),
    steps: flowSteps(),
    session_minutes: Number($("bot-session").value || 30),
    end_keyword: $("bot-end").value.trim(),
    hand_over_minutes: Number($("bot-hand-over").value || 60),
    in_groups: $("bot-groups").checked,
  };
}

function fill(bot) {
  const f = form.elements;
  $("bot-name").value = bot?.name ?? "";
  $("bot-active").checked = !!bot?.active;
  f.trigger.value = bot?.trigger.type ?? "keywords";
  $("bot-keywords").value = bot?.trigger.keywords?.join(", ") ?? "";
  $("bot-match").value = bot?.trigger.match_type ?? "exact";
  scope.set(!bot || bot.all_outlets, bot?.outlet_ids ?? []);
  $("bot-session").value = bot?.session_minutes ?? 30;
  $("bot-end").value = bot?.end_keyword ?? "#selesai";
  $("bot-hand-over").value = bot?.hand_over_minutes ?? 60;
  $("bot-groups").checked = !!bot?.in_groups;
  loadSteps(bot?.steps ?? []);
  showTrigger();
  clearErrors();
  resetSimulator();
}

const heading = $("editor-heading");
heading.dataset.newText = heading.textContent;
function edit(bot) {
  editing = bot;
  fill(bot);
  heading.textContent = bot ? bot.name : heading.dataset.newText;
  $("cancel-edit").hidden = !bot;
}
$("cancel-edit").addEventListener("click", () => edit(null));

function openNew() {
  edit(null);
  form.scrollIntoView({ block: "start" });
  $("bot-name").focus();
}
$("new-bot").addEventListener("click", openNew);
$("empty-create").addEventListener("click", openNew);

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  flash("");
  clearErrors();
  try {
    const done = editing
      ? await api("PUT", `/api/chatbots/${editing.id}`, flowBody())
      : await api("POST", "/api/chatbots", flowBody());
    flash(t("js-chatbots-saved", { name: done.name }), true);
    editing = done;
    heading.textContent = done.name;
    $("cancel-edit").hidden = false;
    table.reload();
  } catch (err) { showError(err); } finally { button.disabled = false; }
});

// ---- The list.

async function setActive(bot, box) {
  box.disabled = true;
  try {
    const done = await api("POST", `/api/chatbots/${bot.id}/${box.checked ? "activate" : "deactivate"}`);
    flash(t(done.active ? "js-chatbots-activated" : "js-chatbots-deactivated", { name: done.name }), true);
    if (editing?.id === done.id) { editing = done; $("bot-active").checked = done.active; }
    table.reload();
  } catch (err) {
    box.checked = !box.checked;
    flash(err.message);
  } finally { box.disabled = false; }
}

async function duplicate(bot) {
  try {
    const copy = await api("POST", `/api/chatbots/${bot.id}/duplicate`);
    flash(t("js-chatbots-duplicated", { name: copy.name }), true);
    table.reload();
  } catch (err) { flash(err.message); }
}

// The flow as a JSON file, to keep or to import elsewhere.
async function download(bot) {
  try {
    const flow = await api("GET", `/api/chatbots/${bot.id}/export`);
    const blob = new Blob([JSON.stringify(flow, null, 2)], { type: "application/json" });
    const link = el("a", { href: URL.createObjectURL(blob), download: `${bot.name.replace(/[^\w-]+/g, "-")}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  } catch (err) { flash(err.message); }
}

$("import-file").addEventListener("change", async (e) => {
  const file = e.target.files[0];
  e.target.value = "";
  if (!file) return;
  let flow;
  try { flow = JSON.parse(await file.text()); } catch { flash(t("js-chatbots-import-not-json", { file: file.name })); return; }
  try {
    const bot = await api("POST", "/api/chatbots/import", flow);
    flash(t("js-chatbots-imported", { name: bot.name }), true);
    table.reload();
    edit(bot);
  } catch (err) { flash(t("js-chatbots-import-refused", { file: file.name, reason: err.message })); }
});

async function remove(bot) {
  const sure = await ask({ message: t("js-chatbots-delete-confirm", { name: bot.name }), yes: t("js-chatbots-delete"), danger: true });
  if (!sure) return;
  try {
    await api("DELETE", `/api/chatbots/${bot.id}`);
    if (editing?.id === bot.id) edit(null);
    flash(t("js-chatbots-deleted", { name: bot.name }), true);
    table.reload();
    sessions.reload();
  } catch (err) { flash(err.message); }
}

function triggerCell(bot) {
  const tr = bot.trigger;
  if (tr.type !== "keywords") return el("td", {}, el("span", { class: "badge ok" }, t(`js-chatbots-trigger-${tr.type}`)));
  return el("td", { class: "rule-triggers" }, tr.keywords.slice(0, 8).map((w) => el("span", { class: "tag tag-teal" }, w)));
}
const outletNames = (bot) => (bot.all_outlets ? t("js-auto-replies-all-outlets") : bot.outlet_ids.map((id) => outlets.get(id) || `#${id}`).join(", "));

const table = pagedTable({
  url: "/api/chatbots",
  tbody: document.querySelector("#bots-table tbody"),
  empty: $("empty"),
  pager: $("pager"),
  row: (bot) => {
    bots.set(bot.id, bot.name);
    const toggle = el("input", { type: "checkbox", class: "active-toggle", checked: bot.active, "aria-label": t("js-chatbots-active-label", { name: bot.name }) });
    toggle.addEventListener("change", () => setActive(bot, toggle));
    const button = (cls, key, fn) => el("button", { type: "button", class: cls, "aria-label": t(`${key}-label`, { name: bot.name }), onclick: fn }, t(key));
    return el("tr", { "data-id": bot.id, "data-active": String(bot.active) },
      el("td", {}, bot.name),
      triggerCell(bot),
      el("td", { class: "rule-outlets" }, outletNames(bot)),
      el("td", {}, number(bot.steps.length)),
      el("td", {}, el("label", { class: "check" }, toggle, t(bot.active ? "js-auto-replies-on" : "js-auto-replies-off"))),
      el("td", { class: "actions" },
        button("edit", "js-chatbots-edit", () => { edit(bot); form.scrollIntoView({ block: "start" }); $("bot-name").focus(); }),
        button("copy", "js-chatbots-duplicate", () => duplicate(bot)),
        button("export", "js-chatbots-export", () => download(bot)),
        button("danger", "js-chatbots-delete", () => remove(bot))));
  },
});

// ---- The simulator: the flow as it is in the editor (saved or not), on the messages typed so
// far. Each message sends them all again: the simulation keeps nothing on the server.

let simMessages = [];
function resetSimulator() {
  simMessages = [];
  $("sim-log").replaceChildren();
  $("sim-variables").replaceChildren();
  $("sim-no-variables").hidden = false;
  $("sim-error").hidden = true;
}
$("sim-reset").addEventListener("click", () => { resetSimulator(); $("sim-text").focus(); });

const templateNames = new Map();
function replyBubble(reply) {
  const text = reply.type === "text" ? reply.text : t("js-chatbots-sim-template", { name: templateNames.get(reply.template_id) || `#${reply.template_id}` });
  return el("li", { class: "bot" }, el("div", { class: "bubble" }, text));
}
function endingNote(ending) {
  if (!ending) return null;
  const key = `js-chatbots-sim-${ending.type}`;
  return el("li", { class: "note muted" }, t(key, { seconds: ending.seconds ?? "", minutes: ending.minutes ?? "" }));
}

$("sim-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("sim-text").value;
  if (!text.trim()) return;
  const button = $("sim-form").querySelector("button[type=submit]");
  button.disabled = true;
  $("sim-error").hidden = true;
  try {
    const r = await api("POST", "/api/chatbots/simulate", { flow: flowBody(), messages: [...simMessages, text] });
    simMessages.push(text);
    $("sim-text").value = "";
    $("sim-log").replaceChildren(...r.turns.map((turn) => [
      el("li", { class: "customer" }, el("div", { class: "bubble" }, turn.message)),
      turn.replies.map(replyBubble),
      endingNote(turn.ending),
    ]).flat(2).filter(Boolean));
    $("sim-log").lastElementChild?.scrollIntoView({ block: "nearest" });
    const vars = Object.entries(r.variables);
    $("sim-variables").replaceChildren(...vars.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    $("sim-no-variables").hidden = vars.length > 0;
  } catch (err) {
    const box = $("sim-error");
    box.textContent = err.message;
    box.hidden = false;
  } finally { button.disabled = false; }
});

// ---- Conversations, with the hand-over controls.

async function control(session, action) {
  let path = `/api/chatbots/sessions/${session.id}/${action}`;
  if (action === "hand-over") {
    const answer = await ask({ message: t("js-chatbots-hand-over-ask", { number: session.peer }), yes: t("js-chatbots-hand-over"),
      fields: [{ name: "minutes", label: t("js-chatbots-quiet-minutes"), value: "60" }] });
    if (!answer) return;
    if (answer.minutes) path += `?minutes=${encodeURIComponent(answer.minutes)}`;
  } else if (action === "close") {
    const sure = await ask({ message: t("js-chatbots-close-ask", { number: session.peer }), yes: t("js-chatbots-close"), danger: true });
    if (!sure) return;
  }
  try {
    await api("POST", path);
    flash(t(`js-chatbots-${action}-done`, { number: session.peer }), true);
    sessions.reload();
  } catch (err) { flash(err.message); }
}

const sessions = pagedTable({
  url: "/api/chatbots/sessions",
  tbody: document.querySelector("#sessions-table tbody"),
  empty: $("sessions-empty"),
  pager: $("sessions-pager"),
  params: () => ({ status: $("session-status").value }),
  row: (s) => {
    const button = (action, cls) => el("button", { type: "button", class: cls, "aria-label": t(`js-chatbots-${action}-label`, { number: s.peer }),
      onclick: () => control(s, action) }, t(`js-chatbots-${action}`));
    const quiet = s.status === "handed_over" && s.handed_over_until ? el("div", { class: "muted" }, t("js-chatbots-quiet-until", { when: when(s.handed_over_until) })) : null;
    return el("tr", { "data-id": s.id, "data-status": s.status },
      el("td", {}, s.peer),
      el("td", {}, bots.get(s.chatbot_id) || `#${s.chatbot_id}`),
      el("td", {}, outlets.get(s.outlet_id) || `#${s.outlet_id}`),
      el("td", {}, el("span", { class: `badge session-${s.status}` }, t(`js-chatbots-status-${s.status}`)), quiet),
      el("td", {}, s.step || "—"),
      el("td", {}, when(s.last_activity_at)),
      el("td", { class: "actions" },
        s.status === "active" ? button("hand-over", "hand-over") : null,
        s.status === "handed_over" ? button("resume", "resume") : null,
        s.status !== "closed" ? button("close", "danger") : null));
  },
});
$("session-status").addEventListener("change", () => sessions.reload());
$("sessions-refresh").addEventListener("click", () => sessions.reload());
// A conversation handed over (by a step, a reply from the phone, or here) shows at once.
deviceEvents({ "chatbot.handed_over": () => sessions.reload() }, () => sessions.reload());

// ---- What the editor chooses from: the caller's templates (the outlets: `scope` above).

(async () => {
  try {
    const list = await api("GET", "/api/templates?per_page=200");
    for (const tp of list.items) templateNames.set(tp.id, tp.name);
    setTemplates(list.items);
  } catch (err) { flash(err.message); }
})();
edit(null);
