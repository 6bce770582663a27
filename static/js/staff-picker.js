// Staff pickers: every input marked data-staff-picker (teams/forms.py `staff_picker`) becomes a combobox that asks
// data-staff-url (teams:staff-search, the staff of the user's territory) as the user types and lists "姓名 (username)";
// arrow keys and Enter, or a tap, choose one, and the field gets the username. "many" fields hold several usernames:
// the word being typed is the one searched and replaced. Without script the inputs take usernames as typed, with
// the page's <datalist> of suggestions, which this removes so that the two lists do not stack.
(function () {
  "use strict";
  const LAST_WORD = /[^\s,，、;；]*$/;
  const WAIT_MS = 150;
  let made = 0;

  function setUp(input) {
    const many = input.dataset.staffPicker === "many";
    const id = "staff-picker-" + ++made;
    let people = [];
    let active = -1;
    let timer = null;
    let asked = 0;

    input.removeAttribute("list");
    const wrapper = document.createElement("div");
    wrapper.className = "position-relative";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);
    const box = document.createElement("ul");
    box.id = id;
    box.className = "list-group position-absolute top-100 start-0 end-0 shadow staff-picker-list";
    box.setAttribute("role", "listbox");
    box.hidden = true;
    box.style.zIndex = "1050";
    box.style.maxHeight = "min(60vh, 24rem)";
    box.style.overflowY = "auto";
    wrapper.appendChild(box);
    let chosen = null;
    if (!many) {
      chosen = document.createElement("div");
      chosen.className = "form-text mt-0 staff-picker-chosen";
      chosen.setAttribute("aria-live", "polite");
      wrapper.appendChild(chosen);
    }
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);

    function word() {
      return many ? input.value.match(LAST_WORD)[0] : input.value.trim();
    }

    function search(query) {
      const url = input.dataset.staffUrl + "?q=" + encodeURIComponent(query);
      return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          // signed out meanwhile: the login page, not JSON; the field still takes a username as typed
          const json = response.ok && (response.headers.get("Content-Type") || "").indexOf("json") >= 0;
          return json ? response.json() : { results: [], more: false };
        })
        .catch(function () {
          return { results: [], more: false };
        });
    }

    function close() {
      box.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function describe(person) {
      return [person.name, person.role, person.region].filter(Boolean).join(" · ");
    }

    function note(text) {
      const item = document.createElement("li");
      item.className = "list-group-item small text-muted py-2";
      item.setAttribute("role", "presentation");
      item.textContent = text;
      box.appendChild(item);
    }

    function show(answer) {
      people = answer.results;
      active = -1;
      box.replaceChildren();
      people.forEach(function (person, index) {
        const item = document.createElement("li");
        item.id = id + "-" + index;
        item.className = "list-group-item list-group-item-action py-2";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.username = person.username;
        item.style.cursor = "pointer";
        const label = document.createElement("div");
        label.textContent = person.label;
        const where = document.createElement("div");
        where.className = "small text-body-secondary";
        where.textContent = [person.role, person.region].filter(Boolean).join(" · ");
        item.append(label, where);
        box.appendChild(item);
      });
      if (!people.length) note(input.dataset.staffEmpty);
      else if (answer.more) note(input.dataset.staffMore);
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function ask() {
      const query = word();
      const mine = ++asked;
      search(query).then(function (answer) {
        if (mine !== asked || document.activeElement !== input) return; // a later question is on its way
        show(answer);
      });
    }

    function highlight(index) {
      const items = box.querySelectorAll("[role=option]");
      items.forEach(function (item, at) {
        item.classList.toggle("active", at === index);
        item.setAttribute("aria-selected", at === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      const person = people[index];
      if (!person) return;
      if (many) {
        const typed = word();
        input.value = input.value.slice(0, input.value.length - typed.length) + person.username + " ";
      } else {
        input.value = person.username;
        chosen.textContent = describe(person);
      }
      asked++;
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
      input.focus();
    }

    input.addEventListener("input", function () {
      if (chosen) chosen.textContent = "";
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
    });
    // a tap or a click on the field lists the people to choose from, as the arrow key does
    input.addEventListener("click", function () {
      if (box.hidden) ask();
    });
    input.addEventListener("keydown", function (event) {
      const open = !box.hidden && people.length > 0;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (box.hidden) {
          ask();
        } else if (open) {
          const step = event.key === "ArrowDown" ? 1 : -1;
          highlight((active + step + people.length) % people.length);
        }
      } else if (event.key === "Enter" && open) {
        event.preventDefault(); // choosing a person does not send the form
        choose(active >= 0 ? active : 0);
      } else if (event.key === "Escape" && !box.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      asked++;
      close();
    });
    // keep the focus in the field while a person is pressed, so that the click chooses before the blur closes
    box.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    box.addEventListener("click", function (event) {
      const item = event.target.closest("[role=option]");
      if (item) choose(Array.prototype.indexOf.call(box.querySelectorAll("[role=option]"), item));
    });

    // who a username already in the field is (a team's holders, a manager named in the link)
    const given = input.value.trim();
    if (chosen && given) {
      search(given).then(function (answer) {
        const person = answer.results[0];
        if (person && person.username === given && input.value.trim() === given) chosen.textContent = describe(person);
      });
    }
  }

  document.querySelectorAll("input[data-staff-picker]").forEach(setUp);
})();
