// After each reading: "Right", or "Wrong? It is a [0-9]". Either posts the image the page sent and the true
// label to /api/feedback (with an id made per reading, so a double click is stored once), then refreshes the
// panel: examples per digit and the personal model's status (from /api/feedback/stats).
"use strict";
(() => {
  const rightEl = document.getElementById("right");
  const truthEl = document.getElementById("truth");
  const statusEl = document.getElementById("feedback-status");
  const countsEl = document.getElementById("counts");
  const personalEl = document.getElementById("personal");
  const digitButtons = [];
  const countCells = [];
  let reading = null;  // {image, label, id} of the answer on screen

  const headRow = countsEl.previousElementSibling || countsEl.parentElement.rows[0];
  for (let d = 0; d < 10; d++) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = String(d);
    b.disabled = true;
    b.dataset.digit = String(d);
    b.addEventListener("click", () => teach(d));
    truthEl.appendChild(b);
    digitButtons.push(b);
    const th = document.createElement("th");
    th.textContent = String(d);
    headRow.appendChild(th);
    const td = document.createElement("td");
    td.textContent = "0";
    countsEl.appendChild(td);
    countCells.push(td);
  }
  rightEl.addEventListener("click", () => reading && teach(reading.label));

  function newId() {  // crypto.randomUUID needs a secure context; getRandomValues does not
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function enable(on) {
    rightEl.disabled = !on;
    digitButtons.forEach((b) => { b.disabled = !on; });
  }

  document.addEventListener("digitlab:reading", (e) => {
    const result = e.detail;
    reading = result && result.image ? { image: result.image, label: result.label, id: newId() } : null;
    enable(!!reading);
    statusEl.textContent = reading ? `read as ${reading.label}: right, or which digit is it?`
                                   : "after a reading, say whether it was right";
  });

  async function teach(label) {
    if (!reading) return;
    const mine = reading;
    enable(false);
    statusEl.textContent = "storing...";
    try {
      const response = await fetch("/api/feedback", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ image: mine.image, label, id: mine.id }),
      });
      const body = await response.json();
      if (!response.ok) {
        statusEl.textContent = `not stored: ${body.error || response.status}`;
        enable(reading === mine);
        return;
      }
      statusEl.textContent = label === body.predicted
        ? `thanks: kept as a ${label} (example ${body.id})`
        : `thanks: kept as a ${label}, read as ${body.predicted} (example ${body.id})`;
      statusEl.dataset.stored = String(body.id);
      showCounts(body.counts);
      refresh();
    } catch (err) {
      statusEl.textContent = "the server did not answer; not stored";
      enable(reading === mine);
    }
  }

  function showCounts(counts) {
    counts.forEach((n, d) => { countCells[d].textContent = String(n); });
  }

  let timer = null;
  async function refresh() {
    try {
      const response = await fetch("/api/feedback/stats");
      if (!response.ok) return;
      const stats = await response.json();
      showCounts(stats.counts);
      const p = stats.personal_model;
      const text = {
        off: "personal model: off (start the server with --learn to train one)",
        collecting: `personal model: fine-tunes after ${p.next_in} more example(s)`,
        training: "personal model: fine-tuning in the background...",
        ready: `personal model: in use (${p.message})`,
        failed: `personal model: last fine-tune failed, the model in use is unchanged (${p.message})`,
      }[p.status] || `personal model: ${p.status}`;
      personalEl.textContent = text;
      personalEl.dataset.status = p.status;
      clearTimeout(timer);
      if (p.status === "training") timer = setTimeout(refresh, 3000);
    } catch (err) { /* the panel stays as it was */ }
  }
  refresh();
})();
