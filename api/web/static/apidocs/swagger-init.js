// Swagger UI over this service's OpenAPI description. A file rather than an inline script, so the
// page's Content-Security-Policy can allow scripts from this service only.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,  // no badge fetched from validator.swagger.io
  presets: [SwaggerUIBundle.presets.apis],
});
