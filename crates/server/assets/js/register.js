import { api, onSubmit } from "./core.js";

onSubmit(document.getElementById("register-form"), async (data) => {
  await api("POST", "/api/auth/register", data);
  location.href = "/dashboard";
});
