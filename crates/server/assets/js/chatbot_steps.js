// The step editor of the chatbots page: the flow as a numbered list of steps, each with its
// fields and "then go to" choices. The editor keeps every step under a stable `key` and its
// arrows as keys, so renaming or moving a step keeps what points at it; `flowSteps()` gives
// the steps back as the API takes them (ids, the first the start).

import { $, el, t } from "./core.js";

// What each type keeps and where it may go (a required target has no "end here").
const TARGETS = {
  send: ["next"], ask: ["next", "on_fail"], branch: ["otherwise"], set_variable: ["next"], http: ["next", "on_error"],
  delay: ["next"], business_hours: ["open", "closed"], hand_over: [], end: [],
};
const REQUIRED = new Set(["otherwise", "open", "closed"]);
const FRESH = {
  send: () => ({ source: "text", text: "", template_id: null }),
  ask: () => ({ prompt: "", variable: "", check: "", options: "", pattern: "", retry_message: "", max_retries: 3 }),
  branch: () => ({ variable: "", cases: [{ op: "equals", value: "", min: "", max: "", next: "" }] }),
  set_variable: () => ({ variable: "", value: "" }),
  http: () => ({ method: "GET", url: "", body: "", timeout_secs: 5, save: [] }),
  delay: () => ({ seconds: 5 }),
  business_hours: () => ({ days: [1, 2, 3, 4, 5], start_min: 480, end_min: 1020 }),
  hand_over: () => ({ message: "", minutes: 60 }),
  end: () => ({ message: "" }),
};

const list = $("step-list");
let steps = [];
let counter = 0;
let templates = [];

export function setTemplates(items) {
  templates = items;
  render();
}

const freshKey = () => `k${++counter}`;

// A step id not yet used: "step-3" for the third.
function freshId() {
  const used = new Set(steps.map((s) => s.id));
  let n = steps.length + 1;
  while (used.has(`step-${n}`)) n += 1;
  return `step-${n}`;
}

// The steps of a saved flow (or none) into the editor.
export function loadSteps(apiSteps) {
  counter = 0;
  const keyOf = new Map(apiSteps.map((s) => [s.id, freshKey()]));
  const key = (id) => (id ? keyOf.get(id) || "" : "");
  steps = apiSteps.map((s) => {
    const step = { key: keyOf.get(s.id), id: s.id, type: s.type, ...FRESH[s.type]() };
    for (const f of TARGETS[s.type]) step[f] = key(s[f]);
    switch (s.type) {
      case "send":
        Object.assign(step, { source: s.template_id ? "template" : "text", text: s.text || "", template_id: s.template_id ?? null });
        break;
      case "ask": {
        const v = s.validation || {};
        Object.assign(step, { prompt: s.prompt, variable: s.variable, check: v.type || "", options: (v.options || []).join(", "),
          pattern: v.pattern || "", retry_message: s.retry_message || "", max_retries: s.max_retries ?? 3 });
        break;
      }
      case "branch":
        step.variable = s.variable || "";
        step.cases = s.cases.map((c) => ({ op: c.op, value: c.value ?? c.pattern ?? "", min: c.min ?? "", max: c.max ?? "", next: key(c.next) }));
        break;
      case "set_variable": Object.assign(step, { variable: s.variable, value: s.value }); break;
      case "http":
        Object.assign(step, { method: s.method, url: s.url, body: s.body || "", timeout_secs: s.timeout_secs, save: s.save.map((x) => ({ ...x })) });
        break;
      case "delay": step.seconds = s.seconds; break;
      case "business_hours": Object.assign(step, s.hours); break;
      case "hand_over": Object.assign(step, { message: s.message || "", minutes: s.minutes }); break;
      case "end": step.message = s.message || ""; break;
    }
    return step;
  });
  render();
}

// The steps as the API takes them.
export function flowSteps() {
  const idOf = new Map(steps.map((s) => [s.key, s.id.trim()]));
  const opt = (text) => (text.trim() ? text : null);
  const num = (v) => (v === "" || v == null ? null : Number(v));
  return steps.map((s) => {
    const out = { id: s.id.trim(), type: s.type };
    for (const f of TARGETS[s.type]) {
      if (f === "on_fail" && !s.check) continue; // (not shown: no answer is refused)
      if (s[f]) out[f] = idOf.get(s[f]);
      else if (REQUIRED.has(f)) out[f] = "";
    }
    switch (s.type) {
      case "send":
        if (s.source === "template") out.template_id = s.template_id;
        else out.text = s.text;
        break;
      case "ask":
        Object.assign(out, { prompt: s.prompt, variable: s.variable.trim(), retry_message: opt(s.retry_message), max_retries: s.max_retries === "" ? 3 : Number(s.max_retries) });
        if (s.check === "options") out.validation = { type: "options", options: s.options.split(",").map((o) => o.trim()).filter(Boolean) };
        else if (s.check === "regex") out.validation = { type: "regex", pattern: s.pattern };
        else if (s.check) out.validation = { type: s.check };
        break;
      case "branch":
        out.variable = opt(s.variable.trim());
        out.cases = s.cases.map((c) => {
          const go = c.next ? idOf.get(c.next) : "";
          if (c.op === "range") return { op: "range", min: num(c.min), max: num(c.max), next: go };
          return c.op === "regex" ? { op: "regex", pattern: c.value, next: go } : { op: c.op, value: c.value, next: go };
        });
        break;
      case "set_variable": Object.assign(out, { variable: s.variable.trim(), value: s.value }); break;
      case "http":
        Object.assign(out, { method: s.method, url: s.url.trim(), body: opt(s.body),
          timeout_secs: Number(s.timeout_secs), save: s.save.filter((x) => x.pointer || x.variable) });
        break;
      case "delay": out.seconds = Number(s.seconds); break;
      case "business_hours": out.hours = { days: s.days, start_min: s.start_min, end_min: s.end_min }; break;
      case "hand_over": Object.assign(out, { message: opt(s.message), minutes: Number(s.minutes) }); break;
      case "end": out.message = opt(s.message); break;
    }
    return out;
  });
}

// A new step at the end. The step before it, where it ended the flow, now goes on to it, so a
// flow built top to bottom needs no arrows set by hand.
export function addStep(type) {
  const step = { key: freshKey(), id: freshId(), type, ...FRESH[type]() };
  for (const f of TARGETS[type]) step[f] = "";
  const last = steps[steps.length - 1];
  if (last && TARGETS[last.type].includes("next") && !last.next) last.next = step.key;
  steps.push(step);
  render();
  list.lastElementChild?.querySelector("textarea, input:not([name=step-id]), select")?.focus();
}

function move(i, by) {
  const j = i + by;
  if (j < 0 || j >= steps.length) return;
  [steps[i], steps[j]] = [steps[j], steps[i]];
  render();
  // The same button again, or the other one where it is now disabled (first or last place).
  const moved = list.children[j];
  const same = moved?.querySelector(by < 0 ? "button.up" : "button.down");
  (same && !same.disabled ? same : moved?.querySelector(by < 0 ? "button.down" : "button.up"))?.focus();
}

function remove(i) {
  const [gone] = steps.splice(i, 1);
  for (const s of steps) {
    for (const f of TARGETS[s.type]) if (s[f] === gone.key) s[f] = "";
    for (const c of s.cases || []) if (c.next === gone.key) c.next = "";
  }
  render();
  (list.children[Math.min(i, steps.length - 1)]?.querySelector("button.remove-step") ?? $("add-step")).focus();
}

// ---- Fields, each writing into the step as it is typed.

function input(step, prop, attrs = {}) {
  const node = el(attrs.rows ? "textarea" : "input", { name: prop, maxlength: 4096, ...attrs });
  node.value = step[prop] ?? "";
  node.addEventListener("input", () => { step[prop] = node.value; });
  return node;
}
const field = (label, node, cls) => el("label", { class: cls }, label, node);

function choice(step, prop, options, onChange) {
  const node = el("select", { name: prop }, options.map(([value, label]) => el("option", { value }, label)));
  node.value = step[prop] ?? "";
  node.addEventListener("change", () => { step[prop] = node.value; onChange?.(); });
  return node;
}

// "Then go to": another step, or (where allowed) the end of the conversation.
function target(holder, prop, label, required) {
  const first = required ? ["", t("js-chatbots-choose-step")] : ["", t("js-chatbots-go-end")];
  const options = [first, ...steps.map((s, i) => [s.key, `${i + 1}. ${s.id}`])];
  return field(label, choice(holder, prop, options), "go-to");
}

function textFields(step) {
  switch (step.type) {
    case "send": {
      const name = `send-source-${step.key}`;
      const radio = (value, label) => {
        const node = el("input", { type: "radio", name, value, checked: step.source === value });
        node.addEventListener("change", () => { step.source = value; render(); });
        return el("label", { class: "check" }, node, label);
      };
      const pick = choice(step, "template_id", [["", t("js-chatbots-choose-template")], ...templates.map((tp) => [String(tp.id), tp.name])]);
      pick.value = step.template_id ? String(step.template_id) : "";
      pick.addEventListener("change", () => { step.template_id = pick.value ? Number(pick.value) : null; });
      return [
        el("div", { class: "choice", role: "radiogroup", "aria-label": t("js-chatbots-send-what") },
          radio("text", t("js-chatbots-send-text")), radio("template", t("js-chatbots-send-template"))),
        step.source === "template" ? field(t("js-chatbots-template"), pick)
          : field(t("js-chatbots-message"), input(step, "text", { rows: 3, placeholder: t("js-chatbots-message-example") })),
      ];
    }
    case "ask": {
      const checks = [["", t("js-chatbots-check-none")], ["options", t("js-chatbots-check-options")], ["number", t("js-chatbots-check-number")],
        ["email", t("js-chatbots-check-email")], ["regex", t("js-chatbots-check-regex")]];
      return [
        field(t("js-chatbots-question"), input(step, "prompt", { rows: 3, placeholder: t("js-chatbots-question-example") })),
        field(t("js-chatbots-variable"), input(step, "variable", { maxlength: 40, placeholder: t("js-chatbots-variable-example") })),
        el("p", { class: "muted" }, t("js-chatbots-variable-help")),
        field(t("js-chatbots-check"), choice(step, "check", checks, render)),
        step.check === "options" ? field(t("js-chatbots-options"), input(step, "options", { placeholder: "1, 2, 3" })) : null,
        step.check === "regex" ? field(t("js-chatbots-pattern"), input(step, "pattern", { maxlength: 500 })) : null,
        ...(step.check ? [
          field(t("js-chatbots-retry"), input(step, "retry_message", { rows: 2, placeholder: t("js-chatbots-retry-example") })),
          field(t("js-chatbots-retries"), input(step, "max_retries", { type: "number", min: 0, max: 10 }), "narrow"),
        ] : []),
      ];
    }
    case "branch":
      return [
        field(t("js-chatbots-branch-on"), input(step, "variable", { maxlength: 40, placeholder: t("js-chatbots-branch-on-example") })),
        el("p", { class: "muted" }, t("js-chatbots-branch-help")),
        el("ul", { class: "flow-cases" }, step.cases.map((c, i) => caseRow(step, c, i))),
        el("button", { type: "button", class: "add-case", onclick: () => {
          step.cases.push({ op: "equals", value: "", min: "", max: "", next: "" });
          render();
        } }, t("js-chatbots-add-case")),
      ];
    case "set_variable":
      return [
        field(t("js-chatbots-variable"), input(step, "variable", { maxlength: 40 })),
        field(t("js-chatbots-value"), input(step, "value", { placeholder: t("js-chatbots-value-example") })),
      ];
    case "http":
      return [
        el("div", { class: "pacing-fields" },
          field(t("js-chatbots-method"), choice(step, "method", [["GET", "GET"], ["POST", "POST"]], render)),
          field(t("js-chatbots-timeout"), input(step, "timeout_secs", { type: "number", min: 1, max: 10 }))),
        field(t("js-chatbots-url"), input(step, "url", { type: "url", maxlength: 2000, placeholder: "https://" })),
        step.method === "POST" ? field(t("js-chatbots-body"), input(step, "body", { rows: 3 })) : null,
        el("p", { class: "muted" }, t("js-chatbots-save-help")),
        el("ul", { class: "flow-cases" }, step.save.map((x, i) => el("li", {},
          field(t("js-chatbots-pointer"), input(x, "pointer", { maxlength: 200, placeholder: "/data/status" })),
          field(t("js-chatbots-variable"), input(x, "variable", { maxlength: 40 })),
          el("button", { type: "button", class: "link", "aria-label": t("js-chatbots-remove-save"), onclick: () => { step.save.splice(i, 1); render(); } }, "×")))),
        el("button", { type: "button", onclick: () => { step.save.push({ pointer: "", variable: "" }); render(); } }, t("js-chatbots-add-save")),
      ];
    case "delay":
      return [field(t("js-chatbots-seconds"), input(step, "seconds", { type: "number", min: 1, max: 600 }), "narrow")];
    case "business_hours": {
      const time = (prop) => {
        const node = el("input", { type: "time" });
        node.value = `${String(Math.floor(step[prop] / 60)).padStart(2, "0")}:${String(step[prop] % 60).padStart(2, "0")}`;
        node.addEventListener("input", () => {
          const [h, m] = (node.value || "00:00").split(":").map(Number);
          step[prop] = h * 60 + m;
        });
        return node;
      };
      const day = (d) => {
        const box = el("input", { type: "checkbox", checked: step.days.includes(d) });
        box.addEventListener("change", () => {
          step.days = box.checked ? [...step.days, d].sort() : step.days.filter((x) => x !== d);
        });
        return el("label", { class: "check" }, box, t(`js-blast-day-${d}`));
      };
      return [
        el("fieldset", { class: "week-days" }, el("legend", {}, t("js-chatbots-days")), [1, 2, 3, 4, 5, 6, 7].map(day)),
        el("div", { class: "pacing-fields" }, field(t("js-chatbots-from"), time("start_min")), field(t("js-chatbots-until"), time("end_min"))),
      ];
    }
    case "hand_over":
      return [
        field(t("js-chatbots-message"), input(step, "message", { rows: 2, placeholder: t("js-chatbots-hand-over-example") })),
        field(t("js-chatbots-quiet-minutes"), input(step, "minutes", { type: "number", min: 1, max: 10080 }), "narrow"),
        el("p", { class: "muted" }, t("js-chatbots-hand-over-help")),
      ];
    case "end":
      return [field(t("js-chatbots-last-message"), input(step, "message", { rows: 2, placeholder: t("js-chatbots-end-example") }))];
  }
  return [];
}

function caseRow(step, c, i) {
  const ops = [["equals", t("js-chatbots-op-equals")], ["contains", t("js-chatbots-op-contains")], ["range", t("js-chatbots-op-range")], ["regex", t("js-chatbots-op-regex")]];
  const value = c.op === "range"
    ? [field(t("js-chatbots-min"), input(c, "min", { type: "number" })), field(t("js-chatbots-max"), input(c, "max", { type: "number" }))]
    : field(t("js-chatbots-case-value"), input(c, "value", { maxlength: 500 }));
  return el("li", { class: "flow-case" },
    field(t("js-chatbots-when-answer", { n: i + 1 }), choice(c, "op", ops, render)),
    value,
    target(c, "next", t("js-chatbots-go-to"), true),
    step.cases.length > 1
      ? el("button", { type: "button", class: "link", "aria-label": t("js-chatbots-remove-case", { n: i + 1 }), onclick: () => { step.cases.splice(i, 1); render(); } }, "×")
      : null);
}

const TARGET_LABELS = {
  next: "js-chatbots-then", on_fail: "js-chatbots-on-fail", on_error: "js-chatbots-on-error", otherwise: "js-chatbots-otherwise",
  open: "js-chatbots-open", closed: "js-chatbots-closed",
};

function stepItem(step, i) {
  const id = el("input", { name: "step-id", maxlength: 40, required: true });
  id.value = step.id;
  id.addEventListener("input", () => { step.id = id.value; });
  // The "go to" lists name it: their texts change, nothing is rebuilt (the focus stays).
  id.addEventListener("input", relabel);
  const label = t(`js-chatbots-type-${step.type}`);
  return el("li", { class: "flow-step", "data-type": step.type, "data-id": step.id, "data-key": step.key },
    el("div", { class: "flow-step-head" },
      el("h3", {}, `${i + 1}. ${label}`, i === 0 ? el("span", { class: "badge ok" }, t("js-chatbots-start")) : null),
      field(t("js-chatbots-step-name"), id, "step-id"),
      el("div", { class: "step-buttons" },
        el("button", { type: "button", class: "up", disabled: i === 0, "aria-label": t("js-chatbots-move-up", { n: i + 1 }), onclick: () => move(i, -1) }, "↑"),
        el("button", { type: "button", class: "down", disabled: i === steps.length - 1, "aria-label": t("js-chatbots-move-down", { n: i + 1 }), onclick: () => move(i, 1) }, "↓"),
        el("button", { type: "button", class: "danger remove-step", "aria-label": t("js-chatbots-remove-step", { n: i + 1 }), onclick: () => remove(i) }, t("js-chatbots-remove")))),
    el("div", { class: "flow-step-body" }, textFields(step),
      // (Where to go when the answers keep not fitting matters only when some are refused.)
      TARGETS[step.type].filter((f) => f !== "on_fail" || step.check)
        .map((f) => target(step, f, t(TARGET_LABELS[f]), REQUIRED.has(f)))));
}

// Every "go to" option of step `key` shows its number and name.
function relabel() {
  steps.forEach((s, i) => {
    for (const option of list.querySelectorAll(`option[value="${s.key}"]`)) option.textContent = `${i + 1}. ${s.id}`;
  });
}

// Rebuilds the list (a step added, moved, removed or changed in kind of field); the field that
// had the focus gets it back.
function render() {
  const had = document.activeElement?.closest("li.flow-step") ? document.activeElement : null;
  const where = had && [had.closest("li.flow-step").dataset.key, had.name, [...had.closest("li.flow-step").querySelectorAll(`[name="${had.name}"]`)].indexOf(had)];
  list.replaceChildren(...steps.map(stepItem));
  $("no-steps").hidden = steps.length > 0;
  if (where) list.querySelector(`li[data-key="${where[0]}"]`)?.querySelectorAll(`[name="${where[1]}"]`)[where[2]]?.focus();
}
