// The header search box as an ARIA combobox (WAI-ARIA APG "list autocomplete"): htmx fetches the
// listbox of suggestions as the shopper types; this script does the rest a listbox needs. Up and
// Down move through the options (aria-activedescendant, so focus stays in the box and the shopper
// can keep typing), Enter follows the chosen option, Escape closes the list, and the status line
// says how many suggestions came. A file of its own because the Content-Security-Policy allows no
// inline script. Without it (or without JavaScript) the box is a plain search form.
(function () {
  "use strict";

  function setUp(input) {
    var form = input.form;
    var status = document.getElementById(input.getAttribute("aria-controls") + "-status");
    var active = -1;

    function listbox() {
      return document.getElementById(input.getAttribute("aria-controls"));
    }
    function options() {
      var list = listbox();
      return list ? Array.prototype.slice.call(list.querySelectorAll('[role="option"]')) : [];
    }
    function highlight(index) {
      var all = options();
      active = index;
      all.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0 && all[index]) {
        input.setAttribute("aria-activedescendant", all[index].id);
        all[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function show(open) {
      var list = listbox();
      var has = open && options().length > 0 && input.value.trim() !== "";
      if (list) list.hidden = !has;
      input.setAttribute("aria-expanded", has ? "true" : "false");
      if (!has) highlight(-1);
      return has;
    }
    function follow(option) {
      if (option && option.dataset.href) window.location.assign(option.dataset.href);
    }

    input.addEventListener("keydown", function (event) {
      var all = options();
      var open = input.getAttribute("aria-expanded") === "true";
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!all.length) return;
        event.preventDefault();
        if (!open) show(true);
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight(active < 0 ? (step > 0 ? 0 : all.length - 1) : (active + step + all.length) % all.length);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault(); // the chosen suggestion, not the form
        follow(all[active]);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        show(false);
      }
    });
    input.addEventListener("blur", function () {
      show(false);
    });
    input.addEventListener("focus", function () {
      show(true);
    });
    // a press on an option must not take the focus (blur would close the list before the click)
    form.addEventListener("mousedown", function (event) {
      if (event.target.closest('[role="option"]')) event.preventDefault();
    });
    form.addEventListener("click", function (event) {
      follow(event.target.closest('[role="option"]'));
    });
    // htmx swaps in a new listbox (a child of the form): open it and say what came
    new MutationObserver(function () {
      active = -1;
      var open = show(document.activeElement === input);
      if (status) {
        var n = options().length;
        status.textContent = !input.value.trim()
          ? ""
          : open
            ? n + (n === 1 ? " suggestion" : " suggestions") + ": use the up and down arrows to choose one."
            : "No suggestions.";
      }
    }).observe(form, { childList: true });
  }

  document.querySelectorAll('input[role="combobox"][data-suggest]').forEach(setUp);
})();
