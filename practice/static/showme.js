/* "Chỉ cho tôi": plays the page's steps as a sequence of highlighted fields.
 *
 * The steps are the list #guide-steps (each <li data-target="element id">words</li>), which is also
 * shown as plain text beside the replica, so the page works the same without JavaScript. For each
 * step the field is highlighted and a small box next to it says what to do, with the buttons
 * "Bước trước", "Bước tiếp" and "Dừng" (ordinary buttons: Tab and Enter work; Escape stops). The
 * words are in an aria-live region for screen readers. No library, nothing loaded from outside.
 */
(function () {
  "use strict";
  var list = document.getElementById("guide-steps");
  var controls = document.getElementById("guide-controls");
  var play = document.getElementById("guide-play");
  if (!list || !controls || !play) { return; }
  var steps = Array.prototype.slice.call(list.querySelectorAll("li[data-target]")).filter(function (li) {
    return document.getElementById(li.getAttribute("data-target"));
  });
  if (!steps.length) { return; }
  controls.hidden = false;
  var bubble = null;
  var current = -1;

  function button(label, cls, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (cls) { b.className = cls; }
    b.addEventListener("click", onClick);
    return b;
  }

  function targetOf(li) {
    var el = document.getElementById(li.getAttribute("data-target"));
    if (el && el.tagName !== "FIELDSET" && el.closest(".field")) { return el.closest(".field"); }
    return el;
  }

  function clear() {
    var old = document.querySelectorAll(".guide-highlight, .guide-current");
    for (var i = 0; i < old.length; i++) { old[i].classList.remove("guide-highlight", "guide-current"); }
    if (bubble) { bubble.remove(); bubble = null; }
  }

  function show(index) {
    clear();
    current = index;
    var li = steps[index];
    var el = targetOf(li);
    li.classList.add("guide-current");
    el.classList.add("guide-highlight");
    bubble = document.createElement("div");
    bubble.className = "guide-bubble";
    bubble.setAttribute("role", "group");
    bubble.setAttribute("aria-label", play.textContent);
    var words = document.createElement("p");
    words.setAttribute("aria-live", "polite");
    words.textContent = li.textContent;
    var count = document.createElement("p");
    count.className = "guide-count";
    count.textContent = play.getAttribute("data-of").replace("{n}", index + 1).replace("{t}", steps.length);
    var row = document.createElement("div");
    row.className = "guide-buttons";
    var last = index === steps.length - 1;
    var next = button(play.getAttribute(last ? "data-done" : "data-next"), "primary", function () {
      if (last) { end(); } else { show(current + 1); }
    });
    if (index > 0) { row.appendChild(button(play.getAttribute("data-prev"), "", function () { show(current - 1); })); }
    row.appendChild(next);
    row.appendChild(button(play.getAttribute("data-stop"), "", end));
    bubble.appendChild(words);
    bubble.appendChild(row);
    bubble.appendChild(count);
    document.body.appendChild(bubble);
    var box = el.getBoundingClientRect();
    bubble.style.left = Math.max(8, Math.min(box.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - bubble.offsetWidth - 8)) + "px";
    bubble.style.top = (box.bottom + window.scrollY + 10) + "px";
    el.scrollIntoView({ block: "center" });
    next.focus({ preventScroll: true });
  }

  function end() {
    clear();
    current = -1;
    play.focus();
  }

  play.addEventListener("click", function () { show(0); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && current >= 0) { end(); }
  });
}());
