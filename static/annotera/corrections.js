// Before/after pictures of proposed corrections: the call's waveform around the turn(s), the turn
// now (grey fill) and what the correction makes of it (dashed orange outline).
const decode = (b64) => { const raw = atob(b64); const out = new Int8Array(raw.length); for (let i = 0; i < raw.length; i++) out[i] = (raw.charCodeAt(i) << 24) >> 24; return out; };

async function draw(canvas) {
  const diff = JSON.parse(canvas.dataset.diff), spans = [...diff.before, ...diff.after];
  const start = Math.max(0, Math.min(...spans.map((s) => s[0])) - 1), end = Math.max(...spans.map((s) => s[1])) + 1;
  const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height, x = (t) => ((t - start) / (end - start)) * w;
  diff.before.forEach(([s, e]) => { ctx.fillStyle = "rgba(102,112,133,0.25)"; ctx.fillRect(x(s), 0, x(e) - x(s), h); });
  try {
    const response = await fetch(`${canvas.dataset.peaks}?start=${start.toFixed(3)}&end=${end.toFixed(3)}&buckets=${w}`);
    if (response.ok) {
      const peaks = await response.json(), band = h / peaks.data.length;
      peaks.data.forEach((b64, c) => {
        const data = decode(b64), mid = band * c + band / 2;
        ctx.fillStyle = "#344054";
        for (let i = 0; i < data.length / 2; i++) ctx.fillRect(i, mid - (data[2 * i + 1] / 127) * band / 2, 1, Math.max(1, ((data[2 * i + 1] - data[2 * i]) / 127) * band / 2));
      });
    }
  } catch (error) { /* the outlines still show the change */ }
  ctx.setLineDash([4, 3]); ctx.strokeStyle = "#b54708"; ctx.lineWidth = 2;
  diff.after.forEach(([s, e]) => ctx.strokeRect(x(s) + 1, 2, x(e) - x(s) - 2, h - 4));
}

document.querySelectorAll("canvas.diff").forEach(draw);
