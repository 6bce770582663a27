// A form is sent once: a second click or Enter while the first submission is on its way does nothing (a slow
// phone network would otherwise log the same visit twice). Buttons are not disabled, so that the one clicked still
// sends its name and value. Coming back to the page (the back button) makes its forms sendable again.
document.addEventListener("submit", (event) => {
  const form = event.target;
  // A form that opens its answer elsewhere (a download in a new tab) leaves this page as it is: not held.
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post" || form.target) return;
  if (form.dataset.submitting) {
    event.preventDefault();
    return;
  }
  form.dataset.submitting = "true";
});
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-submitting]")) delete form.dataset.submitting;
});
