// The visit form on the phone (templates/teams/visit_form.html):
// - "check in" / "check out" reads the browser's position with its accuracy into the form's hidden fields and
//   says whether the visit will be verified on site (the server decides when saving; the hint uses the same
//   radius and accuracy limit);
// - photos taken with the camera are made at most 1600 px on their longer side, JPEG, before they are sent;
// - with no network, saving keeps the visit in this browser (offline-visits.js sends it when the network returns).
(() => {
  const form = document.querySelector("[data-visit-form]");
  const template = document.querySelector('template[data-i18n="visit-check-in"]');
  if (!form || !template) return;
  const texts = template.dataset;
  const format = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
  const status = form.querySelector("[data-check-in-status]");
  const radius = Number(form.dataset.radiusM);
  const accuracyLimit = Number(form.dataset.accuracyLimitM);
  const customer = form.dataset.customerLatitude
    ? [Number(form.dataset.customerLatitude), Number(form.dataset.customerLongitude)]
    : null;
  const MAX_SIDE = 1600;
  const JPEG_QUALITY = 0.85;

  // The same great-circle distance as teams.rules.distance_m (haversine, mean Earth radius).
  function distanceM([lat1, lon1], [lat2, lon2]) {
    const rad = Math.PI / 180;
    const h =
      Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function setField(name, value) {
    const input = form.elements.namedItem(name);
    if (input) input.value = value;
  }

  function checkIn(button) {
    const prefix = button.dataset.checkIn === "checkout" ? "checkout_" : "";
    if (!navigator.geolocation) {
      status.textContent = texts.noGeolocation;
      return;
    }
    status.textContent = texts.locating;
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        button.disabled = false;
        const { latitude, longitude, accuracy } = position.coords;
        setField(`${prefix}latitude`, latitude.toFixed(7));
        setField(`${prefix}longitude`, longitude.toFixed(7));
        setField(`${prefix}accuracy_m`, Number.isFinite(accuracy) ? accuracy.toFixed(1) : "");
        const said = [format(texts.taken, { accuracy: Math.round(accuracy) })];
        let state = "unverified";
        if (prefix) {
          said.push(texts.checkedOut);
          state = "checked-out";
        } else if (!customer) {
          said.push(texts.noLocation);
        } else {
          const distance = distanceM([latitude, longitude], customer);
          said.push(format(texts.distance, { distance: Math.round(distance) }));
          if (!(accuracy <= accuracyLimit)) said.push(format(texts.inaccurate, { limit: accuracyLimit }));
          else if (distance > radius) said.push(format(texts.tooFar, { radius }));
          else {
            said.push(texts.willVerify);
            state = "verified";
          }
        }
        status.textContent = said.join(" ");
        status.dataset.state = state;
        button.classList.replace("btn-outline-primary", "btn-outline-success");
      },
      (error) => {
        button.disabled = false;
        status.textContent = error.code === error.PERMISSION_DENIED ? texts.denied : texts.failed;
        status.dataset.state = "failed";
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 },
    );
  }

  for (const button of form.querySelectorAll("[data-check-in]")) {
    button.addEventListener("click", () => checkIn(button));
  }

  // -- photos ----------------------------------------------------------------------------------------------------
  const photoInput = form.querySelector("[data-visit-photos]");
  const previews = form.querySelector("[data-photo-previews]");
  const photoError = form.querySelector("[data-photo-error]");
  let resizing = Promise.resolve();

  function canvasOf(bitmap, maxSide) {
    const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  async function resized(file, index) {
    // createImageBitmap reads the file without an object URL (the page's CSP allows no blob: images) and turns the
    // photo upright by its EXIF orientation.
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const canvas = canvasOf(bitmap, MAX_SIDE);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
    const preview = document.createElement("img");
    preview.src = canvasOf(bitmap, 160).toDataURL("image/jpeg", 0.7);
    preview.alt = file.name;
    preview.className = "visit-photo-thumb rounded border";
    previews.append(preview);
    bitmap.close();
    return new File([blob], `photo-${index + 1}.jpg`, { type: "image/jpeg" });
  }

  async function resizeAll() {
    const chosen = Array.from(photoInput.files);
    if (!chosen.length || typeof DataTransfer === "undefined") return;
    const kept = new DataTransfer();
    previews.querySelectorAll("img[data-new]").forEach((img) => img.remove());
    photoError.textContent = "";
    for (const [index, file] of chosen.entries()) {
      try {
        kept.items.add(await resized(file, index));
        previews.lastElementChild.dataset.new = "true";
      } catch {
        photoError.textContent = `${file.name}: ${texts.notImage}`;
      }
    }
    photoInput.files = kept.files;
  }

  if (photoInput) {
    photoInput.addEventListener("change", () => {
      resizing = resizeAll();
    });
  }

  const fileToDataUrl = (file) =>
    new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = reject;
      reader.readAsDataURL(file);
    });

  // -- saving ----------------------------------------------------------------------------------------------------
  const MULTIPLE = new Set(["key_persons", "staff_present", "plans"]);
  const NUMBERS = new Set(["latitude", "longitude", "accuracy_m", "key_persons", "plans"]);
  const SKIPPED = new Set(["csrfmiddlewaretoken", "next", "version", "photos"]);

  // The form's values as the API takes them (the form and the API name the same fields the same way).
  function apiFields() {
    const fields = { customer: form.dataset.customer };
    for (const [name, value] of new FormData(form).entries()) {
      if (SKIPPED.has(name) || value === "") continue;
      const typed = NUMBERS.has(name) ? Number(value) : value;
      if (MULTIPLE.has(name)) (fields[name] = fields[name] || []).push(typed);
      else fields[name] = typed;
    }
    return fields;
  }

  const queueBox = document.querySelector("[data-offline-queue]");
  function say(text, kind = "info") {
    if (!queueBox || !text) return;
    queueBox.textContent = text;
    queueBox.className = `alert alert-${kind}`;
  }

  async function keepOffline() {
    const photos = await Promise.all(Array.from(photoInput ? photoInput.files : []).map(fileToDataUrl));
    try {
      window.crmOfflineVisits.keep({ api: form.dataset.apiVisits, fields: apiFields(), photos });
    } catch {
      say(texts.full, "danger");
      return;
    }
    form.reset();
    // A hidden input's value is its default, which reset keeps: the check-in is cleared by hand.
    for (const name of ["latitude", "longitude", "accuracy_m"]) setField(name, "");
    previews.querySelectorAll("img[data-new]").forEach((img) => img.remove());
    if (status) status.textContent = "";
    for (const button of form.querySelectorAll("[data-check-in]")) {
      button.classList.replace("btn-outline-success", "btn-outline-primary");
    }
    say(texts.queued, "warning");
    queueBox.scrollIntoView({ block: "nearest" });
  }

  form.addEventListener("submit", (event) => {
    // The form is sent by this handler once the photos are made smaller; submit-once.js has marked it as being
    // sent, so a second tap meanwhile does nothing.
    event.preventDefault();
    resizing.then(async () => {
      if (form.dataset.new === "true" && !navigator.onLine && window.crmOfflineVisits) {
        await keepOffline();
        delete form.dataset.submitting; // kept, not sent: the form may take the next visit
        return;
      }
      HTMLFormElement.prototype.submit.call(form);
    });
  });

  function showQueue() {
    if (!window.crmOfflineVisits) return;
    const pending = window.crmOfflineVisits.pending().length;
    const refused = window.crmOfflineVisits.refused();
    if (refused.length) say(format(texts.refused, { reason: refused[refused.length - 1].refused }), "danger");
    else if (pending) say(format(texts.pending, { count: pending }), "warning");
  }
  document.addEventListener("offline-visits:sent", (event) => {
    if (event.detail.sent) say(format(texts.sent, { count: event.detail.sent }), "success");
    else showQueue();
  });
  window.addEventListener("load", showQueue);
})();
