// Live Markdown preview: POST the textarea to the server, which returns sanitized HTML.
(function () {
  "use strict";
  var area = document.querySelector("[data-preview-url]");
  var box = document.getElementById("preview");
  if (!area || !box || !window.fetch) { return; }
  var form = area.form;
  var timer = null;
  var last = null;
  function refresh() {
    if (area.value === last) { return; }
    last = area.value;
    var data = new FormData();
    var token = form.querySelector("input[name=csrf_token]");
    if (token) { data.append("csrf_token", token.value); }
    data.append(area.name, area.value);
    fetch(area.getAttribute("data-preview-url"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { box.innerHTML = html; box.hidden = false; })
      .catch(function () { /* keep the last preview; the "Xem trước" button still works */ });
  }
  area.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  refresh();
})();
