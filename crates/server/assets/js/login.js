import { api, onSubmit } from "./core.js";

onSubmit(document.getElementById("login-form"), async (data) => {
  await api("POST", "/api/auth/login", { email: data.email, password: data.password });
  location.href = "/dashboard";
});
