// The output panel of one runner: renders run events as they arrive. Program output only ever
// becomes text nodes; the one HTML path (display events, already sanitized by the server) is
// cleaned again here by DOMPurify.
import DOMPurify from 'dompurify';
import { AnsiState } from './ansi.js';
import { highlightInto } from './languages.js';

// Client-side cap on the characters kept in the panel; the server has its own output limit.
const MAX_CHARS = 2_000_000;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/svg+xml', 'image/webp']);

export class Output {
  /** @param {HTMLElement} panel the aria-live region  @param {(path: string) => string} resolve */
  constructor(panel, resolve) {
    this.panel = panel;
    this.resolve = resolve;
    this.follow = true;
    // Follow new output while the reader is at the bottom; leave them be once they scroll up.
    panel.addEventListener('scroll', () => {
      this.follow = panel.scrollHeight - panel.scrollTop - panel.clientHeight < 40;
    });
    this.clear();
  }

  clear() {
    this.panel.textContent = '';
    this.panel.hidden = true;
    this.follow = true;
    this.last = null; // {kind, element}
    this.chars = 0;
    this.truncated = false;
    this.ansi = { stdout: new AnsiState(), stderr: new AnsiState() };
  }

  /** Renders one run event; returns false for events that are not output (run, done, error). */
  event(name, data) {
    switch (name) {
      case 'stdout':
      case 'stderr':
        this.stream(name, String(data.text ?? ''));
        return true;
      case 'display':
        this.display(data.mime || {});
        return true;
      case 'file':
        this.file(data);
        return true;
      case 'text':
        this.prose(String(data.text ?? ''));
        return true;
      case 'code':
        this.code(data.language || 'python', String(data.code ?? ''));
        return true;
      case 'notice':
        this.message('notice', String(data.message ?? ''));
        return true;
      default:
        return false;
    }
  }

  stream(kind, text) {
    if (!this.room(text.length)) return;
    const target = this.continued(kind, () => {
      const pre = el('pre', 'lp-stream lp-' + kind);
      pre.dataset.stream = kind;
      return pre;
    });
    for (const { text: t, className, style } of this.ansi[kind].segments(text)) {
      if (!t) continue;
      if (!className && !style.color && !style.backgroundColor) {
        target.appendChild(document.createTextNode(t));
      } else {
        const span = el('span', className);
        Object.assign(span.style, style);
        span.textContent = t;
        target.appendChild(span);
      }
    }
    this.scroll();
  }

  prose(text) {
    if (!this.room(text.length)) return;
    const target = this.continued('text', () => el('div', 'lp-text'));
    target.appendChild(document.createTextNode(text));
    this.scroll();
  }

  code(language, code) {
    if (!this.room(code.length)) return;
    const figure = el('figure', 'lp-code');
    const caption = el('figcaption', 'lp-code-caption');
    caption.textContent = 'Code run (' + language + ')';
    const pre = el('pre', 'lp-highlighted');
    const codeEl = el('code', 'language-' + language);
    highlightInto(codeEl, code, language);
    pre.appendChild(codeEl);
    figure.append(caption, pre);
    this.add('code', figure);
  }

  display(mime) {
    const box = el('div', 'lp-display');
    if (typeof mime['text/html'] === 'string') {
      box.classList.add('lp-display-html');
      box.appendChild(sanitizedFragment(mime['text/html']));
    } else if (typeof mime['image/png'] === 'string') {
      const img = el('img', 'lp-image');
      img.src = 'data:image/png;base64,' + mime['image/png'].replace(/[^A-Za-z0-9+/=]/g, '');
      img.alt = 'image output';
      box.appendChild(img);
    } else {
      const pre = el('pre', 'lp-stream lp-stdout');
      pre.textContent = String(mime['text/plain'] ?? '');
      box.appendChild(pre);
    }
    this.add('display', box);
  }

  file(f) {
    const name = String(f.name || 'file');
    const url = this.resolve(String(f.url || ''));
    const box = el('div', 'lp-file');
    if (IMAGE_TYPES.has(String(f.mime))) {
      const img = el('img', 'lp-image');
      img.alt = name;
      img.src = url;
      img.decoding = 'async';
      box.appendChild(img);
      img.addEventListener('load', () => this.scroll());
    }
    const link = el('a', 'lp-file-link');
    link.href = url;
    link.setAttribute('download', name);
    link.textContent = name;
    const size = el('span', 'lp-file-size');
    size.textContent = ' (' + humanSize(Number(f.size) || 0) + ')';
    const line = el('div', 'lp-file-line');
    line.append(link, size);
    box.appendChild(line);
    this.add('file', box);
  }

  /** A notice or an error, clearly styled. */
  message(kind, text) {
    const box = el('div', 'lp-message lp-' + kind);
    box.setAttribute('role', kind === 'error' ? 'alert' : 'note');
    const label = el('strong', 'lp-message-label');
    label.textContent = kind === 'error' ? 'Error: ' : 'Notice: ';
    box.append(label, document.createTextNode(text));
    this.add(kind, box);
  }

  add(kind, element) {
    this.panel.hidden = false;
    this.panel.appendChild(element);
    this.last = { kind, element };
    this.scroll();
  }

  /** The element to append to: the last one when it is of the same kind, else a new one. */
  continued(kind, make) {
    if (this.last && this.last.kind === kind) return this.last.element;
    const element = make();
    this.add(kind, element);
    return element;
  }

  room(n) {
    if (this.truncated) return false;
    this.chars += n;
    if (this.chars <= MAX_CHARS) return true;
    this.truncated = true;
    const mark = el('div', 'lp-truncated');
    mark.textContent = '… output truncated in the page (more than ' + MAX_CHARS.toLocaleString('en') + ' characters)';
    this.add('truncated', mark);
    return false;
  }

  scroll() {
    if (this.follow) {
      this.panel.scrollTop = this.panel.scrollHeight;
    }
  }
}

function el(tag, className) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}

export function humanSize(bytes) {
  if (bytes < 1024) return bytes + ' B';
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (v >= 10 ? Math.round(v) : v.toFixed(1)) + ' ' + units[i];
}

// What a display may never carry, even after the server's sanitizing: anything active, anything
// that loads, and the attributes (class, id, style) that would let output dress up as the page.
const PURIFY = {
  RETURN_DOM_FRAGMENT: true,
  FORBID_TAGS: ['style', 'link', 'meta', 'base', 'form', 'input', 'button', 'textarea', 'select', 'template'],
  FORBID_ATTR: ['class', 'id', 'style'],
};
let purifier;

/**
 * Cleans HTML with DOMPurify into a fragment of this document, belt and braces over the server's
 * jsoup sanitizing. Links open in a new tab without access to this page.
 */
export function sanitizedFragment(html) {
  if (!purifier) {
    purifier = DOMPurify(window);
    purifier.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        node.setAttribute('rel', 'noopener noreferrer nofollow');
        node.setAttribute('target', '_blank');
      }
    });
  }
  return document.importNode(purifier.sanitize(String(html), PURIFY), true);
}
