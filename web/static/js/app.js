// Kontor's small progressive enhancements. Every page works without this
// file; it only adds comfort when JavaScript runs. It is loaded with `defer`
// from /static/, as the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  var root = document.documentElement;
  // Lets the stylesheet show controls that only work with JavaScript.
  root.classList.add("js");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx requests carry the CSRF token as a header, as forms carry it as the
  // hidden _csrf field.
  if (window.htmx) {
    window.htmx.on("htmx:configRequest", function (evt) {
      var token = csrfToken();
      if (token) {
        evt.detail.headers["X-CSRF-Token"] = token;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // "Go back" links fall back to their href when there is no history.
    document.querySelectorAll("[data-history-back]").forEach(function (link) {
      link.addEventListener("click", function (evt) {
        if (window.history.length > 1) {
          evt.preventDefault();
          window.history.back();
        }
      });
    });

    // A "copy" button copies the value of the input it names (data-copy) and
    // says so in its live region (data-copy-status).
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var id = button.getAttribute("data-copy");
      var input = document.getElementById(id);
      var status = document.querySelector('[data-copy-status="' + id + '"]');
      if (!input) {
        return;
      }
      function said(text) {
        if (status) {
          status.textContent = text;
        }
      }
      button.addEventListener("click", function () {
        input.focus();
        input.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(input.value).then(function () {
            said("Copied.");
          }, function () {
            said("Could not copy: the key is selected, copy it with Ctrl+C or ⌘C.");
          });
          return;
        }
        var ok = false;
        try {
          ok = document.execCommand("copy");
        } catch (e) {
          ok = false;
        }
        said(ok ? "Copied." : "The key is selected: copy it with Ctrl+C or ⌘C.");
      });
    });

    // The phone's Menu (a <details> that works without this) also closes with
    // Escape, handing focus back to its button, and with a click outside it.
    var menu = document.querySelector("details.nav-menu");
    if (menu) {
      document.addEventListener("keydown", function (evt) {
        if (evt.key === "Escape" && menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
      document.addEventListener("click", function (evt) {
        if (menu.open && !menu.contains(evt.target)) {
          menu.open = false;
        }
      });
    }

    // A form summary of errors takes focus, so keyboard and screen-reader
    // users start at the list of problems.
    var summary = document.getElementById("form-errors");
    if (summary) {
      summary.focus();
    }
  });
})();
