import { $, api, ask, el, flash, onSubmit, pagedTable, t } from "./core.js";

// Only a superadmin may grant or change staff roles; the API enforces the same rule.
const superadmin = $("users-table").dataset.superadmin === "true";
const roles = superadmin ? ["user", "monitoring", "admin", "superadmin"] : ["user", "monitoring"];
const plans = ["free", "pro", "enterprise", "unlimited"];
// Role and plan names as the viewer reads them; the API keeps the English values.
const roleLabel = (r) => t(`js-role-${r}`);
const planLabel = (p) => t(`js-plan-${p}`);

const select = (options, label, value, onchange, ariaLabel) =>
  el("select", { onchange, "aria-label": ariaLabel },
    options.map((o) => el("option", { value: o, selected: o === value }, label(o))));

// Reloads even after a refusal, so a select never shows a value the server did not keep.
async function change(u, body, done) {
  try { await api("PATCH", `/api/admin/users/${u.id}`, body); flash(done, true); }
  catch (err) { flash(err.message); }
  table.reload();
}

function row(u) {
  const locked = (u.role === "admin" || u.role === "superadmin") && !superadmin;
  const who = { email: u.email };
  const setRole = (e) => change(u, { role: e.target.value }, t("js-users-role-set", { ...who, role: roleLabel(e.target.value) }));
  const setPlan = (e) => change(u, { plan: e.target.value }, t("js-users-plan-set", { ...who, plan: planLabel(e.target.value) }));
  const toggle = async () => {
    if (u.disabled) return change(u, { disabled: false }, t("js-users-enabled", who));
    if (!(await ask({ message: t("js-users-disable-confirm", who), yes: t("js-users-disable"), danger: true }))) return;
    change(u, { disabled: true }, t("js-users-disabled", who));
  };
  return el("tr", { "data-id": u.id },
    el("td", {}, u.email), el("td", {}, u.name),
    el("td", {}, locked ? roleLabel(u.role) : select(roles, roleLabel, u.role, setRole, t("js-users-role-of", who))),
    el("td", {}, select(plans, planLabel, u.plan, setPlan, t("js-users-plan-of", who))),
    el("td", {}, u.disabled
      ? el("button", { type: "button", disabled: locked, "aria-label": t("js-users-enable-label", who), onclick: toggle }, t("js-users-enable"))
      : el("button", { type: "button", class: "danger", disabled: locked, "aria-label": t("js-users-disable-label", who), onclick: toggle },
        t("js-users-disable"))));
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
  flash(t("js-users-created", { email: u.email, role: roleLabel(u.role), plan: planLabel(u.plan) }), true);
  table.reload();
});
