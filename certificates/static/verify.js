// Hash the chosen PDF in the browser (crypto.subtle) and compare it with the issued SHA-256.
// The server-side upload still works without JavaScript.
(function () {
  "use strict";
  var form = document.getElementById("pdf-check");
  if (!form || !window.crypto || !window.crypto.subtle) { return; }
  var input = form.querySelector("input[type=file]");
  var out = document.getElementById("client-result");
  var known = [form.dataset.expected].concat((form.dataset.previous || "").split(" ")).filter(Boolean);
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }
  input.addEventListener("change", function () {
    var file = input.files && input.files[0];
    if (!file) { out.textContent = ""; return; }
    file.arrayBuffer().then(function (data) {
      return window.crypto.subtle.digest("SHA-256", data);
    }).then(function (digest) {
      var sha = hex(digest);
      out.textContent = known.indexOf(sha) >= 0
        ? "Tệp giống hệt bản đã cấp (SHA-256 " + sha + ")."
        : "Tệp KHÁC bản đã cấp (SHA-256 " + sha + ").";
    });
  });
}());
