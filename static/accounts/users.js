/* Users page: "Copy link" puts the invitation link on the clipboard (selects it where the clipboard API is missing). */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy-target"));
    var status = button.parentNode.querySelector("[data-copy-status]");
    var text = source ? source.textContent.trim() : "";
    function say(message) { if (status) { status.textContent = message; } }
    function select() {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      say("Selected — press Ctrl-C (⌘-C) to copy.");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say("Copied."); }, select);
    } else {
      select();
    }
  });
})();
