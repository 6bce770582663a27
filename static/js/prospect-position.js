// The prospect form (templates/prospects/list.html): "use my position" puts the phone's position into the form's
// hidden latitude and longitude, and says how sure it is.
(() => {
  const button = document.querySelector("[data-prospect-position]");
  if (!button) return;
  const form = button.closest("form");
  const status = form.querySelector("[data-position-status]");
  const texts = button.dataset;
  const set = (name, value) => {
    const input = form.elements.namedItem(name);
    if (input) input.value = value;
  };
  button.addEventListener("click", () => {
    if (!navigator.geolocation) {
      status.textContent = texts.unavailable;
      return;
    }
    status.textContent = texts.locating;
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        button.disabled = false;
        const { latitude, longitude, accuracy } = position.coords;
        set("latitude", latitude.toFixed(7));
        set("longitude", longitude.toFixed(7));
        status.textContent = texts.taken.replace("{accuracy}", Math.round(accuracy));
      },
      () => {
        button.disabled = false;
        status.textContent = texts.failed;
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 },
    );
  });
})();
