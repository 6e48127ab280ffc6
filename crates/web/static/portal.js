// Progressive enhancement only: every page works without this file.
// A policy picker submits itself when changed.
document.querySelectorAll("select[data-autosubmit]").forEach((s) => {
  s.addEventListener("change", () => s.form && s.form.submit());
});
