import { api, flash, onSubmit } from "./core.js";

const form = document.getElementById("password-form");
onSubmit(form, async (data) => {
  await api("POST", "/api/me/password", data);
  form.reset();
  flash("Password changed. Your other sessions were logged out.", true);
});

document.getElementById("logout-all").addEventListener("click", async () => {
  if (!confirm("Log out of every browser, including this one?")) return;
  try { await api("POST", "/api/auth/logout-all"); location.href = "/login"; } catch (err) { flash(err.message); }
});
