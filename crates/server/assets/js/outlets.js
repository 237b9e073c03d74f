import { $, api, el, flash, onSubmit, pagedTable } from "./core.js";

// Staff see every tenant's outlets, so they get an owner column (the template adds its header).
const staff = $("outlets-table").dataset.staff === "true";

async function edit(o) {
  const name = prompt("Outlet name", o.name);
  if (name === null) return;
  const number = prompt("WhatsApp number", o.wa_number);
  if (number === null) return;
  try { await api("PATCH", `/api/outlets/${o.id}`, { name, wa_number: number }); flash("Outlet saved.", true); table.reload(); }
  catch (err) { flash(err.message); }
}

async function remove(o) {
  if (!confirm(`Delete outlet "${o.name}" (${o.wa_number})? This cannot be undone.`)) return;
  try { await api("DELETE", `/api/outlets/${o.id}`); flash("Outlet deleted.", true); table.reload(); }
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
      el("button", { type: "button", onclick: () => edit(o) }, "Edit"),
      el("button", { type: "button", class: "danger", onclick: () => remove(o) }, "Delete")))),
});

const form = $("outlet-form");
onSubmit(form, async (data) => {
  const body = { name: data.name, city: data.city, wa_number: data.wa_number };
  if (data.owner_id) body.owner_id = Number(data.owner_id);
  const o = await api("POST", "/api/outlets", body);
  form.reset();
  flash(`Outlet "${o.name}" added with number ${o.wa_number}.`, true);
  table.reload();
});
