// The operator console: the alarm queue (with the card of the elder calling) is polled twice a second by htmx (and replaced when it changed);
// when a newer alarm or call arrives the console beeps (Web Audio, once the operator has switched the sound on: browsers allow sound only after a click).
(function () {
  "use strict";
  var newest = {};
  var soundOn = false;
  var context = null;

  function beep() {
    if (!soundOn || !context) { return; }
    var oscillator = context.createOscillator();
    var gain = context.createGain();
    oscillator.frequency.value = 880;
    gain.gain.value = 0.2;
    oscillator.connect(gain);
    gain.connect(context.destination);
    oscillator.start();
    oscillator.stop(context.currentTime + 0.4);
  }

  function top(queue, attribute) {
    var ids = Array.prototype.map.call(queue.querySelectorAll("[" + attribute + "]"), function (row) {
      return parseInt(row.getAttribute(attribute), 10);
    });
    return ids.length ? Math.max.apply(null, ids) : 0;
  }

  function check() {
    var queue = document.getElementById("alarm-queue");
    if (!queue) { return; }
    var arrived = false;
    ["data-alarm", "data-call"].forEach(function (attribute) {
      var latest = top(queue, attribute);
      if (newest[attribute] !== undefined && latest > newest[attribute]) { arrived = true; }
      newest[attribute] = newest[attribute] === undefined ? latest : Math.max(newest[attribute], latest);
    });
    if (arrived) {
      beep();
      queue.classList.add("flash");
      document.title = "● " + document.title.replace(/^● /, "");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    check();
    var toggle = document.querySelector("[data-sound-toggle]");
    if (toggle) {
      toggle.addEventListener("click", function () {
        soundOn = !soundOn;
        toggle.setAttribute("aria-pressed", soundOn ? "true" : "false");
        if (soundOn && !context) {
          var Ctx = window.AudioContext || window.webkitAudioContext;
          context = Ctx ? new Ctx() : null;
        }
        beep();
      });
    }
  });
  document.addEventListener("htmx:afterSwap", check);
})();
