// p81 admin UI behaviour: copy buttons, confirmations and the external-organizations toggle.
// Every page works without this script; it only adds convenience.
(function () {
  "use strict";

  function copyText(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    // http:// pages (development) have no Clipboard API; fall back to a selection copy.
    input.focus();
    input.select();
    var copied = document.execCommand && document.execCommand("copy");
    return copied ? Promise.resolve() : Promise.reject(new Error("copy command failed"));
  }

  function showResult(button, text) {
    var original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = text;
    button.classList.toggle("copied", text === "Copied");
    window.setTimeout(function () {
      button.textContent = original;
      button.classList.remove("copied");
    }, 2000);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) {
      return;
    }
    var input = document.getElementById(button.dataset.copyTarget);
    if (!input) {
      return;
    }
    copyText(input).then(
      function () { showResult(button, "Copied"); },
      function () { input.select(); showResult(button, "Press Ctrl+C"); }
    );
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  function bindToggle(container) {
    var checkbox = document.getElementById(container.dataset.shownBy);
    if (!checkbox) {
      return;
    }
    var update = function () {
      // Keep the field visible when it carries an error, so the message is seen.
      container.hidden = !checkbox.checked && !container.querySelector(".has-error");
    };
    checkbox.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-shown-by]").forEach(bindToggle);
  });
})();
