// The drawing page: draw on #pad, send the drawing to POST /predict, show
// the answer.  No library and nothing from the internet: the server's
// Content-Security-Policy allows this origin only.
"use strict";

const pad = document.getElementById("pad");
const pen = pad.getContext("2d");
const PEN_WIDTH = pad.width / 14;  // a pen stroke about as thick, for its size, as the data's

let model = null;        // GET /api/model
let inked = false;       // anything drawn since the last clear?
let drawing = false;     // a pointer is down
let busy = false;        // a request is on its way
let again = false;       // the drawing changed while it was

function clearPad() {
  pen.fillStyle = "#fff";
  pen.fillRect(0, 0, pad.width, pad.height);
  inked = false;
  showNothing();
}

function point(event) {  // the pointer in canvas pixels, whatever size the canvas is shown at
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width,
          (event.clientY - box.top) * pad.height / box.height];
}

pad.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  drawing = true;
  const [x, y] = point(event);
  pen.strokeStyle = pen.fillStyle = "#000";
  pen.lineWidth = PEN_WIDTH;
  pen.lineCap = pen.lineJoin = "round";
  pen.beginPath();
  pen.arc(x, y, PEN_WIDTH / 2, 0, 2 * Math.PI);  // a dot, even if the pointer never moves
  pen.fill();
  pen.beginPath();
  pen.moveTo(x, y);
  inked = true;
  predictSoon();
});

pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  for (const e of event.getCoalescedEvents ? event.getCoalescedEvents() : [event]) {
    const [x, y] = point(e);
    pen.lineTo(x, y);
  }
  pen.stroke();
  const [x, y] = point(event);
  pen.beginPath();
  pen.moveTo(x, y);
  predictSoon();
});

for (const type of ["pointerup", "pointercancel"]) {
  pad.addEventListener(type, () => {
    if (!drawing) return;
    drawing = false;
    predictSoon();
  });
}

pad.addEventListener("keydown", (event) => {
  if (/^[0-9]$/.test(event.key)) {  // write the digit in the page's font
    event.preventDefault();
    clearPad();
    pen.fillStyle = "#000";
    pen.font = `bold ${Math.round(pad.height * 0.7)}px sans-serif`;
    pen.textAlign = "center";
    pen.textBaseline = "middle";
    pen.fillText(event.key, pad.width / 2, pad.height / 2);
    inked = true;
    predictSoon();
  } else if (["Escape", "Delete", "Backspace"].includes(event.key)) {
    event.preventDefault();
    clearPad();
  }
});

document.getElementById("clear").addEventListener("click", () => {
  clearPad();
  pad.focus();
});

// One request at a time; a drawing that changed meanwhile is sent when it returns.
function predictSoon() {
  if (busy) { again = true; return; }
  if (!inked) return;
  busy = true;
  again = false;
  document.body.dataset.busy = "true";
  fetch("/predict", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({image: pad.toDataURL("image/png")}),
  })
    .then(async (response) => {
      const answer = await response.json();
      if (!inked) return;  // cleared while the request was out
      if (response.ok) show(answer);
      else status(answer.error || `the server answered ${response.status}`);
    })
    .catch((error) => status(`no answer from the server (${error.message})`))
    .finally(() => {
      busy = false;
      if (again) predictSoon();
      else document.body.dataset.busy = "false";  // the answer shown is the drawing's
    });
}

function status(text) {
  document.getElementById("status").textContent = text;
}

// ---------------------------------------------------------------- the answer

function buildBars(classes) {
  const bars = document.getElementById("bars");
  bars.replaceChildren(...classes.map((label) => {
    const item = document.createElement("li");
    item.dataset.class = String(label);
    item.innerHTML = '<span class="label"></span><span class="track"><span class="fill"></span></span><span class="value"></span>';
    item.querySelector(".label").textContent = String(label);
    return item;
  }));
}

function showNothing() {
  document.getElementById("prediction").textContent = "–";
  document.getElementById("confidence").textContent = "Draw a digit.";
  for (const item of document.querySelectorAll("#bars li")) {
    item.classList.remove("top");
    item.dataset.probability = "0";
    item.querySelector(".fill").style.width = "0";
    item.querySelector(".value").textContent = "";
  }
  paintGrid(document.getElementById("seen"), null);
  for (const canvas of document.querySelectorAll("#hidden canvas")) paintGrid(canvas, null);
  status("");
}

function show(answer) {
  const top = answer.probabilities.indexOf(Math.max(...answer.probabilities));
  document.getElementById("prediction").textContent = String(answer.prediction);
  document.getElementById("confidence").textContent =
    `with probability ${(100 * answer.probabilities[top]).toFixed(1)} %`;
  document.querySelectorAll("#bars li").forEach((item, index) => {
    const p = answer.probabilities[index];
    item.classList.toggle("top", index === top);
    item.dataset.probability = String(p);
    item.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    item.querySelector(".value").textContent = `${(100 * p).toFixed(1)} %`;
  });
  paintGrid(document.getElementById("seen"), answer.seen);
  (answer.hidden || []).forEach((layer, index) => {
    const canvas = document.querySelectorAll("#hidden canvas")[index];
    if (canvas) paintGrid(canvas, asGrid(layer));
  });
  status("");
}

function asGrid(values) {  // a layer's units as a near-square grid, row by row
  const columns = Math.ceil(Math.sqrt(values.length));
  const rows = [];
  for (let i = 0; i < values.length; i += columns) rows.push(values.slice(i, i + columns));
  return rows;
}

function paintGrid(canvas, rows) {  // grey levels 0..1 (clipped) as square cells
  const paint = canvas.getContext("2d");
  paint.fillStyle = "#000";
  paint.fillRect(0, 0, canvas.width, canvas.height);
  if (!rows) return;
  const n = Math.max(rows.length, ...rows.map((row) => row.length));
  const cell = canvas.width / n;
  rows.forEach((row, i) => row.forEach((value, j) => {
    const level = Math.round(255 * Math.min(1, Math.max(0, value)));
    paint.fillStyle = `rgb(${level},${level},${level})`;
    paint.fillRect(j * cell, i * cell, Math.ceil(cell), Math.ceil(cell));
  }));
}

// ---------------------------------------------------------------- start

fetch("/api/model")
  .then((response) => response.json())
  .then((description) => {
    model = description;
    const sizes = model.hidden_layer_sizes;
    document.getElementById("about").textContent =
      `A network with ${sizes.length ? sizes.join("-") + " hidden units" : "no hidden units shown"}` +
      ` reads your digit as an image of ${model.side}x${model.side} pixels (the "${model.layout}" layout).`;
    buildBars(model.classes);
    const hidden = document.getElementById("hidden");
    hidden.replaceChildren(...sizes.map((size, index) => {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 160;
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `Activations of hidden layer ${index + 1} (${size} units)`);
      return canvas;
    }));
    document.getElementById("hidden-note").hidden = sizes.length === 0;
    document.getElementById("hidden-title").hidden = sizes.length === 0;
    clearPad();
    document.body.dataset.ready = "true";
  })
  .catch((error) => status(`the model could not be loaded (${error.message})`));
