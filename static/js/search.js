// The top bar's search: results under the box as the user types (a fragment of /search/?partial=1), reached with
// the arrow keys, Enter opening the one chosen; Enter in the box opens the whole results page. Escape closes.
(function () {
  "use strict";
  const input = document.getElementById("top-search-q");
  const box = document.getElementById("top-search-results");
  if (!input || !box) return;
  let timer = null;
  let asked = "";

  function close() {
    box.hidden = true;
    input.setAttribute("aria-expanded", "false");
  }

  function links() {
    return Array.from(box.querySelectorAll("a"));
  }

  function ask() {
    const query = input.value.trim();
    if (query.length < 2) {
      close();
      return;
    }
    asked = query;
    const url = input.dataset.searchUrl + "?partial=1&q=" + encodeURIComponent(query);
    fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (asked !== query || input.value.trim() !== query) return; // a later query is on its way
        box.innerHTML = html;
        box.hidden = !html;
        input.setAttribute("aria-expanded", html ? "true" : "false");
      })
      .catch(close);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && !box.hidden) {
      const first = links()[0];
      if (first) {
        event.preventDefault();
        first.focus();
      }
    } else if (event.key === "Escape") {
      close();
    }
  });
  box.addEventListener("keydown", function (event) {
    const all = links();
    const at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < all.length - 1) {
      event.preventDefault();
      all[at + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (at > 0 ? all[at - 1] : input).focus();
    } else if (event.key === "Escape") {
      close();
      input.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (!input.form.contains(event.target)) close();
  });
})();
