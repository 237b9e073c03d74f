import { api, ask, flash, onSubmit, t } from "./core.js";

// A new language or time zone shows on the whole page: reload it.
onSubmit(document.getElementById("preferences-form"), async (data) => {
  await api("PATCH", "/api/me", { language: data.language, time_zone: data.time_zone });
  location.reload();
});

const form = document.getElementById("password-form");
onSubmit(form, async (data) => {
  await api("POST", "/api/me/password", data);
  form.reset();
  flash(t("js-profile-password-changed"), true);
});

document.getElementById("logout-all").addEventListener("click", async () => {
  const sure = await ask({ message: t("js-profile-logout-all-confirm"), yes: t("js-profile-logout-all"), danger: true });
  if (!sure) return;
  try { await api("POST", "/api/auth/logout-all"); location.href = "/login"; } catch (err) { flash(err.message); }
});
