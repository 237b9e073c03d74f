import { $, api, el, flash, onSubmit, pagedTable, when } from "./core.js";

async function revoke(k) {
  if (!confirm(`Revoke "${k.name}"? Systems using it stop working at once.`)) return;
  try { await api("DELETE", `/api/keys/${k.id}`); flash(`Revoked "${k.name}".`, true); table.reload(); }
  catch (err) { flash(err.message); }
}

const table = pagedTable({
  url: "/api/keys",
  tbody: document.querySelector("#keys-table tbody"),
  empty: $("empty"),
  pager: $("pager"),
  row: (k) => el("tr", { "data-id": k.id },
    el("td", {}, k.name), el("td", {}, el("code", {}, `${k.prefix}…`)),
    el("td", {}, k.requests_in), el("td", {}, k.messages_out),
    el("td", {}, when(k.last_used_at)), el("td", {}, when(k.created_at)),
    el("td", {}, k.revoked_at
      ? el("span", { class: "badge bad" }, "revoked")
      : el("button", { type: "button", class: "danger", onclick: () => revoke(k) }, "Revoke"))),
});

// The secret is shown once, here; the list only ever has its prefix.
const form = $("key-form");
onSubmit(form, async (data) => {
  const created = await api("POST", "/api/keys", { name: data.name });
  form.reset();
  $("secret-value").textContent = created.secret;
  $("new-secret").hidden = false;
  table.reload();
});
