// A select marked data-autosubmit sends its form when changed (no inline handler: the Content-Security-Policy
// allows scripts from this host only).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.dataset.autosubmit !== undefined && field.form) {
    field.form.submit();
  }
});
