// Site-wide behaviour without inline handlers (the Content Security Policy forbids them).
// <select data-autosubmit> submits its form when changed.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLElement && field.matches("[data-autosubmit]") && field.form) {
    field.form.requestSubmit();
  }
});
