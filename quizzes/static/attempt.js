/* Attempt page. No inline scripts (CSP).
   - The page may hold every question of the attempt (one panel each, the others hidden): the
     buttons then move between panels here, without asking the server.
   - Each answer is saved as it changes by a small JSON POST (slot, question version, its fields),
     queued in localStorage while the network is away and sent again.
   - Without this script, or for a question not in the page, the buttons post the form as before.
   - Countdown: at zero the form is sent with go=timeout (this answer saved, then graded). */
(function () {
  "use strict";
  var form = document.getElementById("attempt-form");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave-url");
  var summaryUrl = form.getAttribute("data-summary-url");
  var attemptId = form.getAttribute("data-attempt");
  var total = parseInt(form.getAttribute("data-total") || "0", 10);
  var status = document.getElementById("save-status");
  var tokenField = form.querySelector("input[name='csrf_token']");
  var slotField = form.querySelector("input[name='slot']");
  var nextButton = document.getElementById("go-next");
  var prevButton = document.getElementById("go-prev");
  var sending = {};
  var current = parseInt(form.getAttribute("data-slot"), 10);

  function key(slot) { return "quiz-unsent-" + attemptId + "-" + slot; }
  function panel(slot) { return document.getElementById("panel-" + slot); }

  function show(message, ok) {
    status.hidden = !message;
    status.textContent = message || "";
    status.className = "save-status" + (ok ? " ok" : "");
  }

  function fields(slot) {
    /* The panel's answer: {slot, v, name: value or [values]} */
    var box = panel(slot), out = { slot: slot, v: parseInt(box.getAttribute("data-v"), 10) };
    box.querySelectorAll("input[name^='q'], select[name^='q'], textarea[name^='q']").forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      if (out[el.name] === undefined) { out[el.name] = el.value; }
      else { out[el.name] = [].concat(out[el.name], [el.value]); }
    });
    return out;
  }

  function pending() {
    for (var s = 1; s <= total; s += 1) {
      if (window.localStorage.getItem(key(s))) { return true; }
    }
    return false;
  }

  function send(slot) {
    var body = JSON.stringify(fields(slot));
    window.localStorage.setItem(key(slot), body);
    if (sending[slot]) { return; }
    sending[slot] = true;
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {
        "Content-Type": "application/json", "Accept": "application/json",
        "X-CSRFToken": tokenField ? tokenField.value : "", "X-Requested-With": "fetch"
      }
    }).then(function (response) {
      return response.json().catch(function () {
        return { ok: false, message: "Chưa lưu được (phiên làm việc có thể đã hết hạn). Hãy tải lại trang." };
      }).then(function (data) { return { status: response.status, data: data }; });
    }).then(function (r) {
      sending[slot] = false;
      if (r.data.ok) {
        if (window.localStorage.getItem(key(slot)) === body) { window.localStorage.removeItem(key(slot)); }
        else { send(slot); return; }
        show("Đã lưu.", true);
        var nav = document.getElementById("nav-" + r.data.slot);
        if (nav) { nav.classList.toggle("answered", !!r.data.answered); }
      } else if (r.data.closed) {
        /* Submitted (another tab, the countdown) or past the deadline: this answer was not stored.
           Say so, stop taking answers, and go to the result, which shows the same message again. */
        window.localStorage.removeItem(key(slot));
        show(r.data.message, false);
        form.querySelectorAll("input, select, textarea, button").forEach(function (el) { el.disabled = true; });
        if (r.data.redirect) { window.location.assign(r.data.redirect); }
      } else {
        show(r.data.message || "Chưa lưu được câu trả lời.", false);
      }
    }).catch(function () {
      sending[slot] = false;
      show("Chưa lưu / mất kết nối — câu trả lời sẽ được gửi lại khi có mạng.", false);
    });
  }

  function restore(slot) {
    /* An answer given while offline (not confirmed by the server) is put back and sent again. */
    var saved = window.localStorage.getItem(key(slot));
    if (!saved || !panel(slot)) { return; }
    var answer;
    try { answer = JSON.parse(saved); } catch (e) { answer = null; }
    if (!answer || Array.isArray(answer)) { window.localStorage.removeItem(key(slot)); return; }
    panel(slot).querySelectorAll("input[name^='q'], select[name^='q']").forEach(function (el) {
      var wanted = [].concat(answer[el.name] === undefined ? [] : answer[el.name]).map(String);
      if (el.type === "radio" || el.type === "checkbox") { el.checked = wanted.indexOf(el.value) >= 0; }
      else if (wanted.length) { el.value = wanted[0]; }
    });
    show("Chưa lưu / mất kết nối — câu trả lời đang chờ gửi lại.", false);
    send(slot);
  }

  function moveTo(slot) {
    /* Show question ``slot`` of the page; false when it is not in the page (the form goes to the server). */
    var target = panel(slot);
    if (!target) { return false; }
    panel(current).hidden = true;
    target.hidden = false;
    var old = document.getElementById("nav-" + current);
    if (old) { old.classList.remove("current"); old.removeAttribute("aria-current"); }
    var now = document.getElementById("nav-" + slot);
    if (now) { now.classList.add("current"); now.setAttribute("aria-current", "step"); }
    current = slot;
    form.setAttribute("data-slot", String(slot));
    form.action = form.action.replace(/\/q\/\d+/, "/q/" + slot);
    if (slotField) { slotField.value = String(slot); }
    if (prevButton) { prevButton.hidden = slot <= 1; }
    if (nextButton) {
      nextButton.textContent = nextButton.getAttribute(slot < total ? "data-next" : "data-last");
    }
    document.title = document.title.replace(/\d+ \/ \d+/, slot + " / " + total);
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname.replace(/\/q\/\d+/, "/q/" + slot) + "?all=1");
    }
    var counter = target.querySelector(".q-counter");
    if (counter) { counter.focus(); }
    window.scrollTo(0, 0);
    return true;
  }

  form.addEventListener("change", function (event) {
    var box = event.target && event.target.closest ? event.target.closest(".q-panel") : null;
    if (box && event.target.name && event.target.name.charAt(0) === "q") {
      send(parseInt(box.getAttribute("data-slot"), 10));
    }
  });
  form.addEventListener("click", function (event) {
    var button = event.target && event.target.closest ? event.target.closest("button[name='go']") : null;
    if (!button) { return; }
    var go = button.value, target = null;
    if (go === "next") { target = current + 1; }
    else if (go === "prev") { target = current - 1; }
    else if (/^\d+$/.test(go)) { target = parseInt(go, 10); }
    if (go === "summary" || (go === "next" && current >= total)) {
      if (!pending()) { event.preventDefault(); window.location.assign(summaryUrl); }
      return;  /* an answer still waiting: the form saves it on its way to the summary */
    }
    if (target !== null && target >= 1 && target <= total && moveTo(target)) { event.preventDefault(); }
  });
  form.addEventListener("submit", function () { window.localStorage.removeItem(key(current)); });
  window.addEventListener("online", function () {
    for (var s = 1; s <= total; s += 1) { if (window.localStorage.getItem(key(s)) && panel(s)) { send(s); } }
  });
  window.addEventListener("offline", function () { show("Chưa lưu / mất kết nối.", false); });
  for (var s = 1; s <= total; s += 1) { restore(s); }

  var timer = document.getElementById("quiz-timer");
  var value = document.getElementById("quiz-timer-value");
  if (timer && value) {
    var end = Date.now() + parseInt(timer.getAttribute("data-remaining"), 10) * 1000;
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var sec = left % 60;
      value.textContent = Math.floor(left / 60) + " phút " + (sec < 10 ? "0" : "") + sec + " giây";
      timer.classList.toggle("low", left <= 120);
      if (left === 0) {
        window.clearInterval(handle);
        var go = document.createElement("input");
        go.type = "hidden"; go.name = "go"; go.value = "timeout";
        form.appendChild(go);
        window.localStorage.removeItem(key(current));
        form.submit();
      }
    };
    var handle = window.setInterval(tick, 1000);
  }
}());
