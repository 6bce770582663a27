// Visits typed with no network (外勤 in a basement, a lift, the countryside) are kept in this browser's
// localStorage by the visit form (visit-check-in.js) and sent here when the network returns, on any page.
//
// They go to the API (POST /api/v1/visits/, then /api/v1/visits/{id}/photos/) with the session's CSRF token and
// an Idempotency-Key chosen when the visit was kept: a send whose answer was lost is sent again with the same key
// and the server answers it without a second visit, and each photo has a key of its own. An answer that refuses
// the visit (400) is kept aside with its reason rather than sent for ever; a signed-out session (401/403) or a
// server error waits for the next chance.
(() => {
  const STORE = "crm.offlineVisits.v1";
  let sending = null;

  const load = () => {
    try {
      return JSON.parse(localStorage.getItem(STORE) || "[]");
    } catch {
      return [];
    }
  };
  const save = (items) => localStorage.setItem(STORE, JSON.stringify(items));
  const update = (key, changes) => save(load().map((item) => (item.key === key ? { ...item, ...changes } : item)));
  const remove = (key) => save(load().filter((item) => item.key !== key));

  function csrfToken() {
    const cookie = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
    if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function newKey() {
    // crypto.randomUUID needs a secure context, which an intranet served over http is not.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  function dataUrlToBlob(url) {
    const [head, body] = url.split(",");
    const type = head.slice(5, head.indexOf(";"));
    const bytes = atob(body);
    const array = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i += 1) array[i] = bytes.charCodeAt(i);
    return new Blob([array], { type });
  }

  function reasonOf(body) {
    if (!body || typeof body !== "object") return "";
    return Object.entries(body)
      .map(([field, messages]) => `${field}: ${[].concat(messages).join(" ")}`)
      .join("; ");
  }

  async function post(url, key, body, json) {
    const headers = { "X-CSRFToken": csrfToken(), "Idempotency-Key": key, Accept: "application/json" };
    if (json) headers["Content-Type"] = "application/json";
    return fetch(url, { method: "POST", credentials: "same-origin", headers, body });
  }

  // Sends one kept visit, then its photos; true when it is done with (sent, or refused and set aside).
  async function sendOne(item) {
    let { visitId } = item;
    if (!visitId) {
      const answer = await post(item.api, item.key, JSON.stringify(item.fields), true);
      if (answer.status === 400 || answer.status === 404 || answer.status === 422) {
        update(item.key, { refused: reasonOf(await answer.json().catch(() => null)) || String(answer.status) });
        return true;
      }
      if (!answer.ok) return false;
      const body = await answer.json();
      visitId = body.id;
      update(item.key, { visitId, verification: body.verification || "" });
    }
    const photos = item.photos || [];
    for (let index = item.photosSent || 0; index < photos.length; index += 1) {
      const form = new FormData();
      form.append("photo", dataUrlToBlob(photos[index]), `photo-${index + 1}.jpg`);
      const answer = await post(`${item.api}${visitId}/photos/`, `${item.key}-photo-${index}`, form, false);
      // A photo refused (not an image, too large) is dropped: the visit itself is saved.
      if (!answer.ok && answer.status !== 400) return false;
      update(item.key, { photosSent: index + 1 });
    }
    remove(item.key);
    return true;
  }

  async function sendAll() {
    if (!navigator.onLine) return 0;
    let sent = 0;
    for (const item of load().filter((kept) => !kept.refused)) {
      try {
        if (!(await sendOne(item))) break;
        if (!load().some((kept) => kept.key === item.key)) sent += 1;
      } catch {
        break; // the network went again: the rest waits for the next "online"
      }
    }
    return sent;
  }

  function send() {
    // One sending at a time in this page; another tab sending too is harmless (the keys).
    if (!sending) {
      sending = sendAll().finally(() => {
        sending = null;
      });
      sending.then((sent) => document.dispatchEvent(new CustomEvent("offline-visits:sent", { detail: { sent } })));
    }
    return sending;
  }

  function keep(item) {
    const kept = { key: newKey(), keptAt: new Date().toISOString(), photosSent: 0, ...item };
    save([...load(), kept]);
    return kept;
  }

  window.crmOfflineVisits = { keep, send, pending: () => load().filter((item) => !item.refused), refused: () => load().filter((item) => item.refused) };
  window.addEventListener("online", send);
  send();
})();
