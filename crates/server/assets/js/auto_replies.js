import { $, api, ask, el, flash, number, outletScope, pagedTable, t, when } from "./core.js";

const form = $("rule-form");
const triggerInput = $("trigger-input");
const triggerList = $("trigger-list");
const replyBox = $("rule-reply");
const templateSelect = $("rule-template");
let editing = null; // the rule being changed, or null for a new one
let triggers = []; // the triggers in the editor, in order

// The fields a refusal (422) may name, each with the place its reason is shown.
const FIELDS = ["name", "triggers", "priority", "reply", "template_id", "outlet_ids", "business_hours", "outside_hours_reply", "cooldown_secs"];

function clearErrors() {
  for (const f of FIELDS) { $(`err-${f}`).textContent = ""; $(`err-${f}`).hidden = true; }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

// A refusal shown at its field (an invalid regular expression says why); others in the flash.
function showError(err) {
  // A second rule with the same name is a conflict without a field: it belongs to the name.
  const field = err.field || (err.status === 409 ? "name" : null);
  const box = field && FIELDS.includes(field) ? $(`err-${field}`) : null;
  if (!box) { flash(err.message); return; }
  // The message starts with the field's name, which the place it is shown already says.
  box.textContent = err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
  box.hidden = false;
  const input = { name: "rule-name", triggers: "trigger-input", priority: "rule-priority", reply: "rule-reply", template_id: "rule-template",
    outside_hours_reply: "rule-outside", cooldown_secs: "rule-cooldown" }[field];
  if (input) $(input).setAttribute("aria-invalid", "true");
  box.scrollIntoView({ block: "center" });
}

// ---- Triggers: chips added one by one, each removable.

function showTriggers() {
  triggerList.replaceChildren(...triggers.map((word, i) => el("li", {},
    el("span", { class: "tag tag-teal" }, word),
    el("button", { type: "button", class: "link", "aria-label": t("js-auto-replies-trigger-remove", { trigger: word }),
      onclick: () => { triggers.splice(i, 1); showTriggers(); } }, "×"))));
}

function addTrigger() {
  const word = triggerInput.value.trim();
  if (!word) return;
  if (!triggers.includes(word)) triggers.push(word);
  triggerInput.value = "";
  showTriggers();
}
$("trigger-add").addEventListener("click", () => { addTrigger(); triggerInput.focus(); });
triggerInput.addEventListener("keydown", (e) => {
  if (e.key === "Enter") { e.preventDefault(); addTrigger(); }
});

// A welcome rule answers the first message from a number whatever it says: no triggers.
function showWelcome() { $("trigger-fields").hidden = $("rule-welcome").checked; }
$("rule-welcome").addEventListener("change", showWelcome);

// ---- The reply: a text of one's own (with variables) or a template.

function showReplySource() {
  const template = form.elements.reply_source.value === "template";
  $("reply-text-field").hidden = template;
  $("reply-template-field").hidden = !template;
}
for (const radio of form.querySelectorAll("input[name=reply_source]")) radio.addEventListener("change", showReplySource);

// The variable buttons put `{{name}}` where the cursor is.
for (const button of document.querySelectorAll("button[data-variable]")) {
  button.addEventListener("click", () => {
    const insert = `{{${button.dataset.variable}}}`;
    const [start, end] = [replyBox.selectionStart ?? replyBox.value.length, replyBox.selectionEnd ?? replyBox.value.length];
    replyBox.setRangeText(insert, start, end, "end");
    replyBox.focus();
  });
}

// ---- Outlets: every one, or those ticked.

// (The tester offers them too; the list names them, so it is drawn again once they are in.)
const scope = outletScope(form, (items) => {
  for (const o of items) $("test-outlet").append(el("option", { value: o.id }, o.name));
  table.reload();
});
const outlets = scope.names;

// ---- Business hours.

const toMinutes = (hhmm) => { const [h, m] = hhmm.split(":").map(Number); return h * 60 + m; };
const toTime = (min) => `${String(Math.floor(min / 60)).padStart(2, "0")}:${String(min % 60).padStart(2, "0")}`;
function showHours() { $("hours-fields").hidden = !$("hours-on").checked; }
$("hours-on").addEventListener("change", showHours);

// ---- The editor.

function resetEditor() {
  editing = null;
  form.reset();
  triggers = [];
  showTriggers();
  showWelcome();
  showReplySource();
  scope.show();
  showHours();
  clearErrors();
  $("editor-heading").textContent = $("editor-heading").dataset.newText;
  $("cancel-edit").hidden = true;
}
$("editor-heading").dataset.newText = $("editor-heading").textContent;
$("cancel-edit").addEventListener("click", resetEditor);

function openNew() {
  resetEditor();
  form.scrollIntoView({ block: "start" });
  $("rule-name").focus();
}
$("new-rule").addEventListener("click", openNew);
$("empty-create").addEventListener("click", openNew);

function edit(rule) {
  resetEditor();
  editing = rule;
  const f = form.elements;
  f.name.value = rule.name;
  f.priority.value = rule.priority;
  $("rule-welcome").checked = rule.is_welcome;
  triggers = [...rule.triggers];
  showTriggers();
  f.match_type.value = rule.match_type;
  $("rule-case").checked = rule.case_sensitive;
  f.reply_source.value = rule.template_id ? "template" : "text";
  replyBox.value = rule.reply || "";
  templateSelect.value = rule.template_id ? String(rule.template_id) : "";
  scope.set(rule.all_outlets, rule.outlet_ids);
  $("hours-on").checked = !!rule.business_hours;
  if (rule.business_hours) {
    for (const box of form.querySelectorAll("input[name=day]")) box.checked = rule.business_hours.days.includes(Number(box.value));
    $("hours-from").value = toTime(rule.business_hours.start_min);
    $("hours-to").value = toTime(rule.business_hours.end_min);
  }
  $("rule-outside").value = rule.outside_hours_reply || "";
  $("rule-cooldown").value = Math.round(rule.cooldown_secs / 60);
  $("rule-active").checked = rule.active;
  $("rule-groups").checked = rule.in_groups;
  showWelcome();
  showReplySource();
  showHours();
  $("editor-heading").textContent = rule.name;
  $("cancel-edit").hidden = false;
  form.scrollIntoView({ block: "start" });
  $("rule-name").focus();
}

// The rule as the API takes it; the same body creates or (as PATCH) replaces every setting.
function ruleBody() {
  addTrigger(); // a word typed but not yet added counts
  const f = form.elements;
  const welcome = $("rule-welcome").checked;
  const template = f.reply_source.value === "template";
  const hours = $("hours-on").checked;
  const outside = $("rule-outside").value.trim();
  return {
    name: f.name.value.trim(),
    triggers: welcome ? [] : triggers,
    match_type: f.match_type.value,
    case_sensitive: $("rule-case").checked,
    priority: Number(f.priority.value || 0),
    reply: template || !replyBox.value.trim() ? null : replyBox.value,
    template_id: template && templateSelect.value ? Number(templateSelect.value) : null,
    outlet_ids: scope.ids(),
    business_hours: hours
      ? { days: [...form.querySelectorAll("input[name=day]:checked")].map((i) => Number(i.value)),
        start_min: toMinutes($("hours-from").value || "00:00"), end_min: toMinutes($("hours-to").value || "00:00") }
      : null,
    outside_hours_reply: hours && outside ? outside : null,
    cooldown_secs: Math.round(Number($("rule-cooldown").value || 0) * 60),
    is_welcome: welcome,
    active: $("rule-active").checked,
    in_groups: $("rule-groups").checked,
  };
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  flash("");
  clearErrors();
  const body = ruleBody();
  // Choosing "template" without one: say so at the field, as the API would for an empty reply.
  if (form.elements.reply_source.value === "template" && !body.template_id) {
    showError({ field: "template_id", message: t("js-auto-replies-template-required") });
    button.disabled = false;
    return;
  }
  if (!editing) {
    // A new rule leaves out what it does not use rather than sending nulls.
    for (const k of ["reply", "template_id", "business_hours", "outside_hours_reply"]) if (body[k] === null) delete body[k];
  }
  try {
    const done = editing
      ? await api("PATCH", `/api/auto-replies/${editing.id}`, body)
      : await api("POST", "/api/auto-replies", body);
    flash(t("js-auto-replies-saved", { name: done.name }), true);
    resetEditor();
    table.reload();
  } catch (err) { showError(err); } finally { button.disabled = false; }
});

async function remove(rule) {
  const sure = await ask({ message: t("js-auto-replies-delete-confirm", { name: rule.name }), yes: t("js-auto-replies-delete"), danger: true });
  if (!sure) return;
  try {
    await api("DELETE", `/api/auto-replies/${rule.id}`);
    if (editing?.id === rule.id) resetEditor();
    flash(t("js-auto-replies-deleted", { name: rule.name }), true);
    table.reload();
  } catch (err) { flash(err.message); }
}

async function setActive(rule, box) {
  box.disabled = true;
  try {
    const done = await api("PATCH", `/api/auto-replies/${rule.id}`, { active: box.checked });
    flash(t(done.active ? "js-auto-replies-activated" : "js-auto-replies-deactivated", { name: done.name }), true);
    table.reload();
  } catch (err) {
    box.checked = !box.checked;
    flash(err.message);
  } finally { box.disabled = false; }
}

// ---- The list.

const matchLabel = (type) => t(`js-auto-replies-match-${type}`);
// The triggers as chips, and under them how they match.
function triggersCell(rule) {
  if (rule.is_welcome) return el("td", { class: "rule-triggers" }, el("span", { class: "badge ok" }, t("js-auto-replies-welcome")));
  const shown = rule.triggers.slice(0, 8).map((w) => el("span", { class: "tag tag-teal" }, w));
  const more = rule.triggers.length > 8 ? t("js-auto-replies-more-triggers", { count: number(rule.triggers.length - 8) }) : null;
  return el("td", { class: "rule-triggers" }, el("div", {}, shown, more),
    el("div", { class: "muted match" }, matchLabel(rule.match_type), rule.case_sensitive ? [" · ", t("js-auto-replies-case")] : []));
}
function outletsCell(rule) {
  if (rule.all_outlets) return el("td", {}, t("js-auto-replies-all-outlets"));
  return el("td", { class: "rule-outlets" }, rule.outlet_ids.map((id) => outlets.get(id) || `#${id}`).join(", "));
}

const table = pagedTable({
  url: "/api/auto-replies",
  tbody: document.querySelector("#rules-table tbody"),
  empty: $("empty"),
  pager: $("pager"),
  row: (rule) => {
    const toggle = el("input", { type: "checkbox", class: "active-toggle", checked: rule.active,
      "aria-label": t("js-auto-replies-active-label", { name: rule.name }) });
    toggle.addEventListener("change", () => setActive(rule, toggle));
    return el("tr", { "data-id": rule.id, "data-active": String(rule.active) },
      el("td", {}, rule.name),
      triggersCell(rule),
      outletsCell(rule),
      el("td", {}, number(rule.priority)),
      el("td", {}, el("label", { class: "check" }, toggle, t(rule.active ? "js-auto-replies-on" : "js-auto-replies-off"))),
      el("td", { class: "used" }, el("span", { class: "count" }, number(rule.trigger_count)),
        el("div", { class: "muted last" }, rule.last_triggered_at
          ? t("js-auto-replies-last", { when: when(rule.last_triggered_at) }) : t("js-auto-replies-never"))),
      el("td", { class: "actions" },
        el("button", { type: "button", class: "edit", "aria-label": t("js-auto-replies-edit-label", { name: rule.name }), onclick: () => edit(rule) }, t("js-auto-replies-edit")),
        el("button", { type: "button", class: "danger", "aria-label": t("js-auto-replies-delete-label", { name: rule.name }), onclick: () => remove(rule) },
          t("js-auto-replies-delete"))));
  },
});

// ---- The tester: which rule answers a typed message, and with what. Writes nothing.

const testForm = $("tester-form");
testForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const button = testForm.querySelector("button[type=submit]");
  button.disabled = true;
  $("test-error").hidden = true;
  $("test-text").removeAttribute("aria-invalid");
  const request = { text: $("test-text").value, first_message: $("test-first").checked };
  if ($("test-outlet").value) request.outlet_id = Number($("test-outlet").value);
  try {
    const r = await api("POST", "/api/auto-replies/test", request);
    const box = $("test-result");
    box.hidden = false;
    box.dataset.rule = r.rule_id ?? "";
    const reply = $("test-reply");
    if (!r.rule_id) {
      $("test-verdict").textContent = t("js-auto-replies-test-none");
      reply.hidden = true;
      reply.textContent = "";
      return;
    }
    const verdict = r.trigger
      ? t("js-auto-replies-test-match", { name: r.rule_name, trigger: r.trigger })
      : t("js-auto-replies-test-welcome", { name: r.rule_name });
    const silent = r.reply == null;
    const extra = r.outside_hours
      ? t(silent ? "js-auto-replies-test-outside-silent" : "js-auto-replies-test-outside")
      : silent ? t("js-auto-replies-test-silent") : "";
    $("test-verdict").textContent = extra ? `${verdict} ${extra}` : verdict;
    reply.hidden = silent;
    reply.textContent = silent ? "" : r.reply;
    if (!silent && r.media) reply.prepend(el("span", { class: "badge" }, `📎 ${r.media.file_name}`), " ");
  } catch (err) {
    const box = $("test-error");
    box.textContent = err.field === "text" && err.message.startsWith("text: ") ? err.message.slice(6) : err.message;
    box.hidden = false;
    if (err.field === "text") $("test-text").setAttribute("aria-invalid", "true");
  } finally { button.disabled = false; }
});

// ---- What the editor chooses from: the caller's templates (the outlets: `scope` above).

(async () => {
  try {
    const list = await api("GET", "/api/templates?per_page=200");
    for (const tp of list.items) templateSelect.append(el("option", { value: tp.id }, tp.name));
    $("no-templates").hidden = list.items.length > 0;
  } catch (err) { flash(err.message); }
})();
resetEditor();
