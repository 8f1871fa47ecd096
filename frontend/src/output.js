// The output panel of one runner: renders run events as they arrive. Program output only ever
// becomes text nodes; the one HTML path (display events, already sanitized by the server) is
// cleaned again here by DOMPurify.
// DOMPurify and the highlighter are chunks of their own, loaded with the first output that needs
// them: most runs print text, and a page's first paint should not carry them.
import { AnsiState } from './ansi.js';

const loadPurify = () => import('dompurify').then((m) => m.default);
const loadLanguages = () => import('./languages.js');

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
    this.endInput();
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
    codeEl.textContent = code;
    loadLanguages().then((m) => m.highlightInto(codeEl, code, language));
    pre.appendChild(codeEl);
    figure.append(caption, pre);
    this.add('code', figure);
  }

  display(mime) {
    const box = el('div', 'lp-display');
    if (typeof mime['text/html'] === 'string') {
      box.classList.add('lp-display-html');
      const html = mime['text/html'];
      sanitizedFragment(html).then(
        (fragment) => {
          box.appendChild(fragment);
          this.scroll();
        },
        () => (box.textContent = String(mime['text/plain'] ?? '')),
      );
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

  /**
   * Standard input: a field at the end of the output. Enter sends the line (echoed into the
   * output as the program would see it); Ctrl+D, or Ctrl/Cmd+Enter on an empty field, or the
   * "End input" button ends the input (EOF).
   */
  askInput(prompt, { line, eof }) {
    this.endInput();
    const form = el('form', 'lp-input');
    const field = el('input', 'lp-input-field');
    field.type = 'text';
    field.autocomplete = 'off';
    field.spellcheck = false;
    field.setAttribute('aria-label', prompt ? 'Input: ' + prompt.trim() : 'Input for the running code');
    const end = el('button', 'lp-button lp-eof');
    end.type = 'button';
    end.textContent = 'End input';
    end.title = 'Send end-of-file (Ctrl+D)';
    const finish = (text, isEof) => {
      this.endInput();
      if (isEof) {
        eof();
      } else {
        this.echo(text);
        line(text);
      }
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      finish(field.value + '\n', false);
    });
    field.addEventListener('keydown', (e) => {
      const mod = e.ctrlKey || e.metaKey;
      if ((mod && (e.key === 'd' || e.key === 'D')) || (mod && e.key === 'Enter' && field.value === '')) {
        e.preventDefault();
        if (field.value !== '') finish(field.value, false); // like a terminal: the partial line first
        finish('', true);
      }
    });
    end.addEventListener('click', () => finish('', true));
    form.append(field, end);
    this.panel.hidden = false;
    this.panel.appendChild(form);
    this.inputForm = form;
    this.scroll();
    field.focus({ preventScroll: true });
  }

  /** Removes the input field, if any (the run ended, was stopped, or the input was sent). */
  endInput() {
    if (this.inputForm) {
      this.inputForm.remove();
      this.inputForm = null;
    }
  }

  /** What the reader typed, shown in the program's output where it was read. */
  echo(text) {
    if (!this.room(text.length)) return;
    const target = this.continued('stdout', () => {
      const pre = el('pre', 'lp-stream lp-stdout');
      pre.dataset.stream = 'stdout';
      return pre;
    });
    const span = el('span', 'lp-stdin');
    span.textContent = text;
    target.appendChild(span);
    this.scroll();
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
    // The input field, while there, stays last: output the code writes meanwhile goes above it.
    this.panel.insertBefore(element, this.inputForm || null);
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
 * jsoup sanitizing. Links open in a new tab without access to this page. Resolves once DOMPurify
 * has loaded (one chunk, loaded once).
 */
export async function sanitizedFragment(html) {
  if (!purifier) {
    purifier = loadPurify().then((DOMPurify) => {
      const p = DOMPurify(window);
      p.addHook('afterSanitizeAttributes', (node) => {
        if (node.tagName === 'A') {
          node.setAttribute('rel', 'noopener noreferrer nofollow');
          node.setAttribute('target', '_blank');
        }
      });
      return p;
    });
  }
  const p = await purifier;
  return document.importNode(p.sanitize(String(html), PURIFY), true);
}
