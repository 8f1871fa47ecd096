// ANSI escape handling for program output: SGR colours and styles become CSS classes, every other
// escape sequence is dropped. The result is plain text segments that the caller inserts as text
// nodes, so output is never interpreted as HTML.

const SEQUENCE = /\x1b(?:\[([0-9;:?]*)([\x20-\x2f]*)([\x40-\x7e])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[\x40-\x5f])/g;
// An escape cut off at the end of a chunk: kept until the next chunk completes it.
const PARTIAL = /\x1b(?:\[[0-9;:?\x20-\x2f]*|\][^\x07\x1b]*\x1b?)?$/;

/** Keeps SGR state across chunks of one stream. */
export class AnsiState {
  constructor() {
    this.fg = null; // class suffix or {rgb}
    this.bg = null;
    this.bold = false;
    this.dim = false;
    this.italic = false;
    this.underline = false;
    this.pending = '';
  }

  /** Splits a chunk into [{text, className, style}] segments; control characters are kept. */
  segments(chunk) {
    let text = this.pending + chunk;
    this.pending = '';
    const partial = PARTIAL.exec(text);
    if (partial) {
      this.pending = partial[0];
      text = text.slice(0, partial.index);
    }
    const out = [];
    let last = 0;
    SEQUENCE.lastIndex = 0;
    for (let m; (m = SEQUENCE.exec(text)); ) {
      if (m.index > last) {
        out.push(this.segment(text.slice(last, m.index)));
      }
      if (m[3] === 'm' && !m[2]) {
        this.sgr(m[1]);
      }
      last = SEQUENCE.lastIndex;
    }
    if (last < text.length) {
      out.push(this.segment(text.slice(last)));
    }
    return out;
  }

  segment(text) {
    const classes = [];
    const style = {};
    if (this.bold) classes.push('lp-ansi-bold');
    if (this.dim) classes.push('lp-ansi-dim');
    if (this.italic) classes.push('lp-ansi-italic');
    if (this.underline) classes.push('lp-ansi-underline');
    if (typeof this.fg === 'number') classes.push('lp-ansi-fg' + this.fg);
    else if (this.fg) style.color = this.fg.rgb;
    if (typeof this.bg === 'number') classes.push('lp-ansi-bg' + this.bg);
    else if (this.bg) style.backgroundColor = this.bg.rgb;
    return { text, className: classes.join(' '), style };
  }

  sgr(params) {
    const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i];
      if (c === 0) {
        Object.assign(this, { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false });
      } else if (c === 1) this.bold = true;
      else if (c === 2) this.dim = true;
      else if (c === 3) this.italic = true;
      else if (c === 4) this.underline = true;
      else if (c === 22) this.bold = this.dim = false;
      else if (c === 23) this.italic = false;
      else if (c === 24) this.underline = false;
      else if (c >= 30 && c <= 37) this.fg = c - 30;
      else if (c >= 90 && c <= 97) this.fg = c - 90 + 8;
      else if (c === 39) this.fg = null;
      else if (c >= 40 && c <= 47) this.bg = c - 40;
      else if (c >= 100 && c <= 107) this.bg = c - 100 + 8;
      else if (c === 49) this.bg = null;
      else if (c === 38 || c === 48) {
        const [colour, used] = extendedColour(codes, i + 1);
        if (c === 38) this.fg = colour;
        else this.bg = colour;
        i += used;
      }
    }
  }
}

// 38;5;N (256 colours) or 38;2;R;G;B; returns [colour, number of codes consumed].
function extendedColour(codes, at) {
  if (codes[at] === 5 && at + 1 < codes.length) {
    const n = clamp(codes[at + 1]);
    if (n < 16) return [n, 2];
    return [{ rgb: xterm256(n) }, 2];
  }
  if (codes[at] === 2 && at + 3 < codes.length) {
    return [{ rgb: `rgb(${clamp(codes[at + 1])}, ${clamp(codes[at + 2])}, ${clamp(codes[at + 3])})` }, 4];
  }
  return [null, codes.length - at];
}

function clamp(n) {
  return Math.max(0, Math.min(255, Number.isFinite(n) ? Math.trunc(n) : 0));
}

function xterm256(n) {
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v}, ${v}, ${v})`;
  }
  const i = n - 16;
  const level = (x) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)})`;
}
