// Starts the vendored Swagger UI on /api/openapi.json. A classic script (the bundle defines a
// global), kept out of the page so the CSP needs no inline script.
window.SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#api-docs",
  deepLinking: true,
  // "Try it out" sends the browser's own cookie; writes also need the X-CSRF-Token header,
  // which the user can paste under "Authorize".
  withCredentials: true,
  validatorUrl: null,
});
