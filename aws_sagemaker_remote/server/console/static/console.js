// The jobs console's one script: copy buttons, and following a running job's logs.
"use strict";

function setUpCopyButtons() {
  for (const button of document.querySelectorAll("button.copy")) {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      try {
        await navigator.clipboard.writeText(source.textContent);
        button.textContent = "Copied";
      } catch (error) {
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      }
      setTimeout(() => { button.textContent = "Copy JSON"; }, 2000);
    });
  }
}

function streamColumn(container, stream, label) {
  for (const column of container.querySelectorAll(".stream")) {
    if (column.dataset.stream === stream) return column;
  }
  const waiting = container.querySelector(".waiting");
  if (waiting) waiting.remove();
  const column = document.createElement("div");
  column.className = "stream";
  column.dataset.stream = stream;
  column.dataset.cursor = "";
  const title = document.createElement("h3");
  title.textContent = label;
  const pre = document.createElement("pre");
  pre.className = "log";
  column.append(title, pre);
  container.append(column);
  return column;
}

function followLogs() {
  const container = document.querySelector(".streams[data-logs]");
  if (!container || container.dataset.active !== "1") return;
  const every = Number(container.dataset.pollMs) || 1000;
  const poll = async () => {
    const after = {};
    for (const column of container.querySelectorAll(".stream")) {
      after[column.dataset.stream] = column.dataset.cursor;
    }
    let update;
    try {
      const answer = await fetch(container.dataset.logs + "?after=" +
        encodeURIComponent(JSON.stringify(after)), { cache: "no-store" });
      if (!answer.ok) throw new Error(answer.status);
      update = await answer.json();
    } catch (error) {
      setTimeout(poll, 3000);  // the server restarting: try again, a little later
      return;
    }
    for (const [stream, part] of Object.entries(update.streams)) {
      const column = streamColumn(container, stream, part.label);
      const pre = column.querySelector("pre.log");
      if (part.lines.length) {
        const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.append(document.createTextNode(part.lines.join("\n") + "\n"));
        if (atBottom) pre.scrollTop = pre.scrollHeight;
      }
      column.dataset.cursor = part.cursor;
    }
    if (update.active) {
      setTimeout(poll, every);
    } else {
      container.dataset.active = "0";
      location.reload();  // the ended job's times, reason and outputs
    }
  };
  setTimeout(poll, every);
}

document.addEventListener("DOMContentLoaded", () => {
  setUpCopyButtons();
  followLogs();
});
