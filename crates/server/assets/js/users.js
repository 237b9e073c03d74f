import { $, api, el, flash, onSubmit, pagedTable } from "./core.js";

// Only a superadmin may grant or change staff roles; the API enforces the same rule.
const superadmin = $("users-table").dataset.superadmin === "true";
const roles = superadmin ? ["user", "monitoring", "admin", "superadmin"] : ["user", "monitoring"];
const plans = ["free", "pro", "enterprise", "unlimited"];

const select = (options, value, onchange, disabled) =>
  el("select", { onchange, disabled }, options.map((o) => el("option", { value: o, selected: o === value }, o)));

// Reloads even after a refusal, so a select never shows a value the server did not keep.
async function change(u, body, what) {
  try { await api("PATCH", `/api/admin/users/${u.id}`, body); flash(`${u.email}: ${what}.`, true); }
  catch (err) { flash(err.message); }
  table.reload();
}

function row(u) {
  const locked = (u.role === "admin" || u.role === "superadmin") && !superadmin;
  return el("tr", { "data-id": u.id },
    el("td", {}, u.email), el("td", {}, u.name),
    el("td", {}, locked ? u.role : select(roles, u.role, (e) => change(u, { role: e.target.value }, `role set to ${e.target.value}`))),
    el("td", {}, select(plans, u.plan, (e) => change(u, { plan: e.target.value }, `plan set to ${e.target.value}`))),
    el("td", {}, el("button", {
      type: "button", class: u.disabled ? "" : "danger", disabled: locked,
      onclick: () => {
        if (!u.disabled && !confirm(`Disable ${u.email}? They are logged out at once.`)) return;
        change(u, { disabled: !u.disabled }, u.disabled ? "enabled" : "disabled");
      },
    }, u.disabled ? "Enable" : "Disable")));
}

const table = pagedTable({
  url: "/api/admin/users",
  tbody: document.querySelector("#users-table tbody"),
  empty: $("empty"),
  pager: $("pager"),
  search: $("search"),
  row,
});

const form = $("user-form");
onSubmit(form, async (data) => {
  const u = await api("POST", "/api/admin/users", data);
  form.reset();
  flash(`Created ${u.email} (${u.role}, ${u.plan}).`, true);
  table.reload();
});
