// Registry pages, progressive enhancement only (everything works without JavaScript):
// - a refused form puts the cursor in the first field with a message;
// - a long checkbox list (recipients) is filtered as the user types, diacritics optional.
(function () {
  "use strict";
  var firstError = document.querySelector('[aria-invalid="true"]');
  if (firstError) { firstError.focus(); }

  var fold = function (text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/gi, "d").toLowerCase();
  };
  document.querySelectorAll("input[data-filter-for]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter-for"));
    if (!list) { return; }
    input.addEventListener("input", function () {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      list.querySelectorAll("li").forEach(function (item) {
        var text = fold(item.textContent);
        var checked = item.querySelector("input:checked");
        item.hidden = !checked && !words.every(function (w) { return text.indexOf(w) >= 0; });
      });
    });
  });
})();
