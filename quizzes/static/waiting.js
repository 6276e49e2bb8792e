/* The waiting room: the start button opens by itself at the quiz's time (the server said how many
   seconds are left; the browser's own clock is not trusted), and the page tells the server now and
   then that it is still open (IT staff see how many are waiting). No inline scripts (CSP). */
(function () {
  "use strict";
  var form = document.getElementById("waiting-room");
  if (!form) { return; }
  var button = form.querySelector("button[type=submit]");
  var token = form.querySelector("input[name='csrf_token']");
  var status = document.getElementById("waiting-status");
  var opensAt = Date.now() + parseInt(form.getAttribute("data-opens-in"), 10) * 1000;
  var every = parseInt(form.getAttribute("data-heartbeat"), 10) * 1000;

  function open() {
    button.disabled = false;
    status.textContent = "Đã đến giờ thi. Hãy bấm «Bắt đầu làm bài».";
    button.focus();
  }

  function check() {
    if (Date.now() >= opensAt) { window.clearInterval(timer); open(); }
  }

  function ping() {
    fetch(form.getAttribute("data-ping-url"), {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token ? token.value : "" }
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (typeof data.opens_in === "number") { opensAt = Date.now() + data.opens_in * 1000; }
    }).catch(function () { /* offline for a moment: the countdown goes on */ })
      .then(function () { schedule(); });
  }

  function schedule() {
    /* spread over the waiting pages, so they do not all call at the same second */
    if (Date.now() < opensAt) { window.setTimeout(ping, every * (0.75 + Math.random() * 0.5)); }
  }

  var timer = window.setInterval(check, 500);
  schedule();
}());
