// Draw on the canvas (mouse, pen or touch, through pointer events); while drawing, send the canvas
// to /api/predict at most every DEBOUNCE_MS and show the answer. Late answers to older drawings are ignored.
"use strict";
const DEBOUNCE_MS = 150;
const canvas = document.getElementById("canvas");
const ctx = canvas.getContext("2d");
const labelEl = document.getElementById("label");
const statusEl = document.getElementById("status");
const seenEl = document.getElementById("seen");
const barsEl = document.getElementById("bars");

// An empty 28x28 frame (black, as the model's inputs are) for the "what the model saw" box when there is no answer,
// so the box keeps its size and never shows a broken image.
const EMPTY_FRAME = (() => {
  const c = document.createElement("canvas");
  c.width = c.height = 28;
  const g = c.getContext("2d");
  g.fillStyle = "#000";
  g.fillRect(0, 0, 28, 28);
  return c.toDataURL("image/png");
})();

const bars = [];
for (let d = 0; d < 10; d++) {
  const li = document.createElement("li");
  li.innerHTML = `<span>${d}</span><span class="track"><span class="fill"></span></span><span class="pct">0%</span>`;
  barsEl.appendChild(li);
  bars.push(li);
}

function clearCanvas() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#000";
  ctx.lineWidth = 18;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  show(null);
  say("draw a digit");
}

function say(text, isError = false) {
  // the server puts the page's language's messages in DIGITLAB_MESSAGES (English: none)
  statusEl.textContent = (window.DIGITLAB_MESSAGES || {})[text] || text;
  statusEl.classList.toggle("error", isError);
}

let drawing = false, last = null, sequence = 0, timer = null;

function point(e) {
  const r = canvas.getBoundingClientRect();
  return { x: (e.clientX - r.left) * canvas.width / r.width, y: (e.clientY - r.top) * canvas.height / r.height };
}

canvas.addEventListener("pointerdown", (e) => {
  drawing = true;
  canvas.setPointerCapture(e.pointerId);
  last = point(e);
  ctx.beginPath();
  ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
  ctx.fillStyle = "#000";
  ctx.fill();
  schedule();
});
canvas.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  const p = point(e);
  ctx.beginPath();
  ctx.moveTo(last.x, last.y);
  ctx.lineTo(p.x, p.y);
  ctx.stroke();
  last = p;
  schedule();
});
for (const type of ["pointerup", "pointercancel"]) {
  canvas.addEventListener(type, () => {
    if (!drawing) return;
    drawing = false;
    clearTimeout(timer);
    timer = null;
    send(canvas.toDataURL("image/png"));
  });
}

function schedule() {
  if (timer === null) timer = setTimeout(() => { timer = null; send(canvas.toDataURL("image/png")); }, DEBOUNCE_MS);
}

async function send(dataUrl) {
  const mine = ++sequence;
  say("reading...");
  try {
    const response = await fetch("/api/predict", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ image: dataUrl }),
    });
    const body = await response.json().catch(() => ({}));
    if (mine !== sequence) return;  // a newer drawing has been sent since
    if (!response.ok) {
      show(null);
      say(body.error || `the server answered ${response.status}`, true);  // the server's own words
      return;
    }
    body.image = dataUrl;  // what was sent, for feedback.js
    show(body);
    say(body.unsure ? `unsure: only ${(100 * body.confidence).toFixed(1)}% sure, write it larger or clearer?`
                    : `${(100 * body.confidence).toFixed(1)}% sure`, body.unsure);
  } catch (err) {
    if (mine === sequence) say("the server did not answer", true);
  }
}

function show(result) {
  document.dispatchEvent(new CustomEvent("digitlab:reading", { detail: result }));  // feedback.js listens
  labelEl.textContent = result ? String(result.label) : "?";
  labelEl.dataset.label = result ? String(result.label) : "";
  labelEl.classList.toggle("unsure", !!result && result.unsure);
  seenEl.src = result ? result.preprocessed : EMPTY_FRAME;
  bars.forEach((li, d) => {
    const p = result ? result.probabilities[d] : 0;
    li.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    li.querySelector(".pct").textContent = `${(100 * p).toFixed(1)}%`;
    li.classList.toggle("top", !!result && d === result.label);
  });
}

document.getElementById("clear").addEventListener("click", clearCanvas);
document.getElementById("upload").addEventListener("change", (e) => {
  const file = e.target.files[0];
  if (!file) return;
  const reader = new FileReader();
  reader.onload = () => {
    const img = new Image();
    img.onload = () => {  // show the photo on the canvas, then send the file itself
      clearCanvas();
      const s = Math.min(canvas.width / img.width, canvas.height / img.height);
      ctx.drawImage(img, (canvas.width - img.width * s) / 2, (canvas.height - img.height * s) / 2, img.width * s, img.height * s);
      send(reader.result);
    };
    img.onerror = () => {  // the browser cannot show it: the server still says what is wrong with it
      clearCanvas();
      send(reader.result);
    };
    img.src = reader.result;
  };
  reader.readAsDataURL(file);
  e.target.value = "";
});
clearCanvas();
