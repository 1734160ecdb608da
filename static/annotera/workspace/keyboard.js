// Keyboard-first tagging. Shortcuts never fire into a focused control (button, select, input,
// text area): Space on a button presses the button, arrows on a select change the select. Esc
// (or clicking a turn) hands the keyboard back to the workspace.
import { $, audio, state } from "./state.js";
import { acceptAll, addShift, adjustTurn, proposeCorrection, rejectAll, setIntensity, submit, toggleLabel, undo } from "./edits.js";
import { seek, togglePlay } from "./player.js";
import { blockAt, select } from "./transcript.js";
import { zoom } from "./waveform.js";

const CONTROLS = ["INPUT", "TEXTAREA", "SELECT", "BUTTON", "SUMMARY", "A"];

export function installKeyboard() {
  document.addEventListener("keydown", (event) => {
    if (!state.data || document.querySelector("dialog[open]")) return;
    const key = event.key;
    if (CONTROLS.includes(event.target.tagName) || event.target.isContentEditable) {
      if (key === "Escape") { event.preventDefault(); blockAt(state.current)?.focus(); }
      return;
    }
    const ctrl = event.ctrlKey || event.metaKey;
    if (ctrl && key.toLowerCase() === "z") { event.preventDefault(); undo(event.shiftKey); return; }
    if (ctrl && key === "Enter") { event.preventDefault(); submit(); return; }
    if (key === " ") { event.preventDefault(); togglePlay(); return; }
    // Commands use arrows, Enter, punctuation or Shift+letter, so every plain letter is free for the
    // taxonomy's label hotkeys (the taxonomy editor refuses the reserved ones).
    if (key === "ArrowDown") { event.preventDefault(); select(state.current + 1, !audio.paused, true, "page"); return; }
    if (key === "ArrowUp") { event.preventDefault(); select(state.current - 1, !audio.paused, true, "page"); return; }
    if (key === "ArrowRight" || key === "ArrowLeft") { event.preventDefault(); seek(audio.currentTime + (key === "ArrowRight" ? 1 : -1) * (event.shiftKey ? 5 : 0.5)); return; }
    if (key === "Enter") { event.preventDefault(); select(state.current, true, true); return; }
    if (key === "[") { adjustTurn("start"); return; }
    if (key === "]") { adjustTurn("end"); return; }
    if (event.shiftKey && !ctrl && !event.altKey) {
      const command = { S: () => addShift(state.current), X: () => proposeCorrection("split", { at: Math.round(audio.currentTime * 100) / 100 }),
        M: () => proposeCorrection("merge", {}), A: () => acceptAll(state.current), R: () => rejectAll(state.current) }[key.toUpperCase()];
      if (command) { event.preventDefault(); command(); return; }
    }
    if (key === "?") { $("ws-help").showModal(); return; }
    if (key === "+" || key === "=") { zoom(0.5); return; }
    if (key === "-") { zoom(2); return; }
    if (/^[0-9]$/.test(key)) { setIntensity(state.current, Number(key)); return; }
    if (ctrl || event.altKey) return;
    const label = state.data.taxonomy.labels.find((l) => l.hotkey && l.hotkey.toLowerCase() === key.toLowerCase());
    if (label) toggleLabel(state.current, label.key);
  });
}
