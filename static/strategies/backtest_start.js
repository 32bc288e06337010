/* Backtest start form: choosing another strategy shows its parameters at once (the button does it without JS). */
(function () {
  "use strict";
  var select = document.getElementById("pick-strategy");
  if (!select) { return; }
  select.addEventListener("change", function () { select.form.submit(); });
})();
