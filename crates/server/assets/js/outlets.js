import { $, api, ask, el, flash, onSubmit, pagedTable, t } from "./core.js";

// Staff see every tenant's outlets, so they get an owner column (the template adds its header).
const staff = $("outlets-table").dataset.staff === "true";

async function edit(o) {
  const changed = await ask({
    message: t("js-outlets-edit-title", { name: o.name }),
    yes: t("js-save"),
    fields: [
      { name: "name", label: t("js-outlets-prompt-name"), value: o.name },
      { name: "wa_number", label: t("js-outlets-prompt-wa-number"), value: o.wa_number },
    ],
  });
  if (!changed) return;
  try { await api("PATCH", `/api/outlets/${o.id}`, changed); flash(t("js-outlets-saved"), true); table.reload(); }
  catch (err) { flash(err.message); }
}

async function remove(o) {
  const sure = await ask({ message: t("js-outlets-delete-confirm", { name: o.name, number: o.wa_number }),
    yes: t("js-outlets-delete"), danger: true });
  if (!sure) return;
  try { await api("DELETE", `/api/outlets/${o.id}`); flash(t("js-outlets-deleted"), true); table.reload(); }
  catch (err) { flash(err.message); }
}

const table = pagedTable({
  url: "/api/outlets",
  tbody: document.querySelector("#outlets-table tbody"),
  empty: $("empty"),
  pager: $("pager"),
  search: $("search"),
  row: (o) => el("tr", { "data-id": o.id },
    el("td", {}, o.name), el("td", {}, o.city), el("td", {}, o.wa_number),
    staff ? el("td", {}, o.owner_email) : null,
    el("td", {}, el("div", { class: "actions" },
      el("button", { type: "button", onclick: () => edit(o) }, t("js-outlets-edit")),
      el("button", { type: "button", class: "danger", onclick: () => remove(o) }, t("js-outlets-delete"))))),
});

const form = $("outlet-form");
onSubmit(form, async (data) => {
  const body = { name: data.name, city: data.city, wa_number: data.wa_number };
  if (data.owner_id) body.owner_id = Number(data.owner_id);
  const o = await api("POST", "/api/outlets", body);
  form.reset();
  flash(t("js-outlets-added", { name: o.name, number: o.wa_number }), true);
  table.reload();
});
