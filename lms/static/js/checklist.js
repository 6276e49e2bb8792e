/* Lists of checkboxes (macros.html: checklist): a filter box that ignores accents ("nguyen van"
   finds "Nguyễn Văn"), "Chọn tất cả" / "Bỏ chọn tất cả" for the names shown, and a live count.
   Without this script the list is plain checkboxes and still works. Texts come from #ui-strings. */
(function () {
  "use strict";

  var strings = document.getElementById("ui-strings");

  function text(name, fallback) {
    return (strings && strings.dataset[name]) || fallback;
  }

  function fold(value) {
    return value.normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d").toLowerCase().replace(/\s+/g, " ").trim();
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function setup(box) {
    var items = Array.prototype.slice.call(box.querySelectorAll(".checklist-items > li"))
      .filter(function (li) { return li.querySelector("input[type=checkbox]"); });
    var boxes = items.map(function (li) { return li.querySelector("input[type=checkbox]"); });
    var keys = items.map(function (li) { return fold(li.textContent); });
    var tools = box.querySelector("[data-checklist-tools]");
    var filter = box.querySelector("[data-checklist-filter]");
    var count = box.querySelector("[data-checklist-count]");
    var empty = box.querySelector("[data-checklist-empty]");
    var query = "";

    function visible() {
      return boxes.filter(function (cb, i) { return !items[i].hidden; });
    }

    function update() {
      if (!count) { return; }
      var chosen = boxes.filter(function (cb) { return cb.checked; }).length;
      var message = fill(text("chosen", "{n} / {total}"), { n: chosen, total: boxes.length });
      if (query) {
        message += " " + fill(text("shown", "{shown}"), { shown: visible().length, q: filter.value.trim() });
      }
      count.textContent = message;
    }

    function applyFilter() {
      query = fold(filter.value);
      var words = query ? query.split(" ") : [];
      var shown = 0;
      items.forEach(function (li, i) {
        var match = words.every(function (w) { return keys[i].indexOf(w) !== -1; });
        li.hidden = !match;
        if (match) { shown += 1; }
      });
      if (empty) { empty.hidden = shown !== 0; }
      update();
    }

    function setVisible(checked) {
      visible().forEach(function (cb) { cb.checked = checked; });
      update();
    }

    if (tools) {
      tools.hidden = false;
      filter.addEventListener("input", applyFilter);
      filter.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); }  // filtering, not sending the form
      });
      tools.querySelector("[data-checklist-all]").addEventListener("click", function () { setVisible(true); });
      tools.querySelector("[data-checklist-none]").addEventListener("click", function () { setVisible(false); });
      if (filter.value) { applyFilter(); }
    }
    box.addEventListener("change", function (event) {
      if (event.target.type === "checkbox") { update(); }
    });
    update();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-checklist]"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
