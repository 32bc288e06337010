/* Performance filters: changing the mode or the strategies re-submits with the current range button. */
(function () {
  "use strict";
  var form = document.getElementById("performance-filters");
  if (!form) { return; }
  function submitWithCurrentRange() {
    var current = form.querySelector("button.range-btn.active[name=range]");
    if (form.requestSubmit) { form.requestSubmit(current || undefined); } else { form.submit(); }
  }
  var mode = form.querySelector("select[name=mode]");
  if (mode) { mode.addEventListener("change", submitWithCurrentRange); }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=strategy]"), function (box) {
    box.addEventListener("change", function () {
      var checked = form.querySelectorAll("input[name=strategy]:checked");
      if (checked.length > 3) { box.checked = false; return; }  // at most three overlaid
      if (checked.length > 0) { submitWithCurrentRange(); }
    });
  });
})();
