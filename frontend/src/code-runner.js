// <code-runner artifact="SLUG/ID" lang="python" mode="code|prompt" [title] [readonly] [server]
//              [session="TOKEN" runs="PATH"]>   (a chat artifact: runs go to PATH in the
//                                                 conversation's session, which the runner never
//                                                 deletes; edits are not kept)
//   <pre><code class="language-python">CODE</code></pre>
// </code-runner>
//   [<div data-precomputed>...</div> and any other children after the pre: left in place]
// </code-runner>
// Adds Run / Stop / Reset / Copy / Link around the code block, runs the code on the Livepost
// server (sessions API + SSE event stream) and shows the output as it arrives. The code block
// stays as the server rendered it (highlighted) until the reader first focuses, edits or runs it:
// only then is the CodeMirror editor loaded (its own chunk), so a page's first paint carries no
// editor. A reader's edits are kept per artifact in localStorage (see edits.js).
import { Api, ApiError } from './api.js';
import { Edits } from './edits.js';
import { Output } from './output.js';

const loadEditorModule = () => import('./editor.js');

const STATUS_TEXT = {
  ok: 'Done',
  error: 'Finished with an error',
  timeout: 'Timed out',
  interrupted: 'Interrupted',
  killed: 'Killed (state lost)',
};

let ids = 0;
const MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const RUN_HINT = (MAC ? '⌘' : 'Ctrl') + '+Enter runs';

export class CodeRunner extends HTMLElement {
  connectedCallback() {
    if (this.upgraded) return;
    const pre = this.querySelector(':scope > pre') || this.querySelector('pre');
    if (!pre) return; // nothing to run: leave the markup alone
    this.upgraded = true;
    this.api = new Api(this.getAttribute('server'));
    this.prompt = this.getAttribute('mode') === 'prompt';
    this.original = trimFinalNewline(pre.textContent);
    this.edits = new Edits(this.getAttribute('server'), this.getAttribute('artifact') || '', this.original);
    // A chat's artifact runs in its conversation's session, which belongs to the conversation.
    this.shared = this.hasAttribute('session');
    this.session = this.getAttribute('session') || null;
    this.runsPath = this.getAttribute('runs') || undefined;
    this.runs = 0;
    this.running = false;
    this.build(pre);
    // Leaving the page frees the session's sandbox now instead of at idle expiry.
    this.onPageHide = () => {
      if (this.shared) return;
      if (this.session) this.api.deleteSession(this.session, { keepalive: true }).catch(() => {});
      this.session = null;
    };
    window.addEventListener('pagehide', this.onPageHide);
    this.restoreEdits();
  }

  /** Brings back the code of a shared link (it wins) or of the reader's last visit. */
  restoreEdits() {
    if (this.shared) return;
    const linked = this.hasAttribute('readonly') ? null : this.edits.fromLocation();
    const saved = linked ?? (this.hasAttribute('readonly') ? null : this.edits.load());
    if (saved === null) return;
    this.plainCode = saved;
    this.plainText.textContent = saved; // plain until the editor (with its colours) loads
    this.markEdited();
    if (linked !== null) {
      this.edits.save(linked);
      Edits.clearLocation();
      this.setState('idle', 'Code from a link');
      requestAnimationFrame(() => this.scrollIntoView({ block: 'center' }));
    } else {
      this.setState('idle', 'Your edited code (Reset brings back the original)');
    }
    this.ensureEditor();
  }

  disconnectedCallback() {
    if (this.controller) this.controller.abort();
    clearInterval(this.ticker);
  }

  build(pre) {
    const id = 'lp-runner-' + ++ids;
    const lang = this.getAttribute('lang') || 'python';
    const title = this.getAttribute('title');
    this.classList.add('lp-ready');
    if (this.prompt) this.classList.add('lp-prompt');

    // The bar (title, buttons, status) comes first: Tab reaches Run before the editor, where Tab
    // indents (Escape, then Tab, leaves it).
    const box = el('div', 'lp-runner');
    const bar = el('div', 'lp-bar');
    if (title && !this.querySelector(':scope > h1, :scope > h2, :scope > h3, :scope > h4, :scope > h5, :scope > h6, :scope > header, :scope > .lp-title')) {
      const heading = el('div', 'lp-title');
      heading.id = id + '-title';
      heading.textContent = title;
      bar.appendChild(heading);
    }
    const editorHost = el('div', 'lp-editor');
    const hint = el('span', 'lp-visually-hidden');
    hint.id = id + '-hint';
    hint.textContent = 'Tab indents; press Escape, then Tab, to leave the editor. ' + RUN_HINT + '.';
    const buttons = el('div', 'lp-buttons');
    buttons.setAttribute('role', 'toolbar');
    buttons.setAttribute('aria-label', (title || 'Code') + ' controls');
    this.runButton = button('lp-run', this.prompt ? 'Ask' : 'Run', 'Run the code (Ctrl+Enter)', () => this.run());
    this.runButton.setAttribute('aria-keyshortcuts', 'Control+Enter Meta+Enter');
    this.stopButton = button('lp-stop', 'Stop', 'Stop the running code', () => this.stop());
    this.stopButton.disabled = true;
    this.resetButton = button('lp-reset', 'Reset', 'Reset: forget the state and your edits, restore the original code', () => this.reset());
    this.copyButton = button('lp-copy', 'Copy', 'Copy the code to the clipboard', () => this.copy());
    this.linkButton = button('lp-link', 'Link', 'Copy a link to this code, with your edits', () => this.copyLink());
    this.editedMark = el('span', 'lp-edited');
    this.editedMark.textContent = 'edited';
    this.editedMark.title = 'You changed this code; it is kept in this browser. Reset restores the original.';
    this.editedMark.hidden = true;
    if (this.shared) {
      this.resetButton.title = 'Reset: restore the code Claude ran (the sandbox keeps its state)';
      this.linkButton.hidden = true;
    }
    buttons.append(this.runButton, this.stopButton, this.resetButton, this.copyButton, this.linkButton, this.editedMark);
    this.statusLine = el('div', 'lp-status');
    this.statusLine.setAttribute('role', 'status');
    this.statusText = el('span', 'lp-status-text');
    this.statusTime = el('span', 'lp-status-time');
    this.statusTime.setAttribute('aria-hidden', 'true'); // ticks every 100 ms: not for screen readers
    this.statusCount = el('span', 'lp-status-count');
    this.statusLine.append(this.statusText, this.statusTime, this.statusCount);
    bar.append(buttons, this.statusLine);
    const panel = el('div', 'lp-output');
    panel.id = id + '-output';
    panel.setAttribute('role', 'log');
    panel.setAttribute('aria-live', 'polite');
    panel.setAttribute('aria-label', (title ? title + ': ' : '') + 'output');
    panel.tabIndex = 0; // scrollable: reachable by keyboard
    box.append(bar, editorHost, hint, panel);
    pre.replaceWith(box);
    // The server's highlighted block is the code view until the editor loads.
    this.plainCode = this.original;
    this.plainView = pre;
    this.plainText = pre.querySelector('code') || pre;
    pre.classList.add('lp-plain');
    pre.tabIndex = 0;
    this.editorOptions = {
      lang,
      readonly: this.hasAttribute('readonly'),
      prose: this.prompt,
      label: (this.prompt ? 'Prompt' : 'Code') + (title ? ': ' + title : '') + (this.hasAttribute('readonly') ? ' (read-only)' : ''),
      describedBy: hint.id,
      onRun: () => this.run(),
      onChange: (text) => this.changed(text),
    };
    pre.setAttribute('aria-label', this.editorOptions.label);
    pre.setAttribute('aria-describedby', hint.id);
    editorHost.appendChild(pre);
    this.editorHost = editorHost;
    const wake = () => this.ensureEditor({ focus: true });
    pre.addEventListener('focus', wake);
    pre.addEventListener('pointerdown', wake);
    pre.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.run();
      }
    });
    this.output = new Output(panel, (path) => this.api.url(path));
    this.setState('idle', RUN_HINT);
  }

  /**
   * Loads CodeMirror (once) and swaps it in for the plain code view; resolves to the editor.
   * The reader's caret lands in the editor when they had focused the plain view.
   */
  ensureEditor({ focus = false } = {}) {
    if (focus) this.focusWanted = true;
    if (!this.editorPromise) {
      this.dataset.editor = 'loading';
      this.editorPromise = loadEditorModule().then(
        (m) => {
          this.editorModule = m;
          const hadFocus = document.activeElement === this.plainView;
          this.plainView.remove();
          this.editor = m.createEditor(this.editorHost, { ...this.editorOptions, code: this.plainCode });
          this.dataset.editor = 'ready';
          if (hadFocus || this.focusWanted) this.editor.focus();
          return this.editor;
        },
        (e) => {
          // Offline or a stale page after a deploy: the plain view stays, Run still works.
          this.editorPromise = null;
          this.dataset.editor = 'failed';
          console.warn('livepost: could not load the editor', e);
          return null;
        },
      );
    }
    return this.editorPromise;
  }

  /** The code (or prompt): the editor's, or the plain view's before the editor has loaded. */
  get code() {
    return this.editor ? this.editorModule.textOf(this.editor) : this.plainCode;
  }

  /** Replaces the code (undoable in the editor); for pages that drive a runner from script. */
  set code(text) {
    text = String(text);
    if (this.editor) {
      this.editorModule.setText(this.editor, text);
    } else {
      this.plainCode = text;
      this.plainText.textContent = text;
      this.changed(text);
    }
  }

  /** The reader changed the code: keep it for a reload, and say whether it is edited. */
  changed(text) {
    if (!this.shared) this.edits.save(text);
    this.markEdited();
  }

  markEdited() {
    const edited = this.code !== this.original;
    this.editedMark.hidden = !edited;
    this.toggleAttribute('data-edited', edited);
  }

  async run() {
    if (this.running) return;
    this.ensureEditor(); // in the background: Run uses the code as it is now
    this.setRunning(true);
    this.output.clear();
    for (const old of this.querySelectorAll(':scope > .lp-precomputed, :scope > [data-precomputed]')) {
      old.hidden = true;
    }
    const body = this.prompt ? { prompt: this.code } : { code: this.code };
    const started = performance.now();
    const generation = (this.generation = (this.generation || 0) + 1);
    this.stopRequested = false;
    this.tick(started);
    let finished = false;
    try {
      let fresh = false;
      if (!this.session) {
        if (!(await this.newSession(generation))) return;
        fresh = true;
      }
      try {
        await this.stream(body);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404 && e.code === 'session_not_found') || fresh) throw e;
        this.session = null;
        if (!(await this.newSession(generation))) return;
        this.runs = 0;
        this.output.message('notice', 'The session expired; started a new one, earlier state is gone.');
        await this.stream(body);
      }
      finished = this.ended;
      if (!finished) {
        this.output.message('error', 'The connection closed before the run finished.');
        this.setState('failed', 'Connection lost');
      }
    } catch (e) {
      if (generation !== this.generation) {
        // Reset during the run: its state line and output were already replaced.
      } else if (e && e.name === 'AbortError') {
        this.setState('failed', 'Stopped');
      } else {
        this.fail(e);
      }
    } finally {
      if (generation === this.generation) {
        clearInterval(this.ticker);
        this.statusTime.textContent = '';
        this.controller = null;
        this.setRunning(false);
      }
    }
  }

  /** Creates the session; false when the reader pressed Reset meanwhile (the run is dropped). */
  async newSession(generation) {
    const { session } = await this.api.createSession(this.getAttribute('artifact'));
    if (generation !== this.generation) {
      this.api.deleteSession(session).catch(() => {});
      return false;
    }
    this.session = session;
    return true;
  }

  async stream(body) {
    this.ended = false;
    this.started = false;
    this.queued = false;
    this.controller = new AbortController();
    await this.api.run(this.session, body, (name, data) => this.event(name, data), this.controller.signal, this.runsPath);
  }

  event(name, data) {
    if (this.queued && name !== 'queued') {
      this.queued = false;
      this.setState('running', 'Running');
    }
    if (this.output.event(name, data)) return;
    if (name === 'queued') {
      // Every sandbox of the server is busy: the run waits in line for one (a few seconds at most).
      this.queued = true;
      const place = Number(data.position) || 1;
      this.setState('running', place === 1 ? 'Waiting for a free sandbox: next in line' : `Waiting for a free sandbox: ${place} in line`);
    } else if (name === 'run') {
      this.runs++;
      this.started = true;
      this.setState('running', 'Running');
      if (this.stopRequested) this.stop(); // Stop was pressed before the session existed
    } else if (name === 'input') {
      this.askInput(data);
    } else if (name === 'done') {
      this.output.endInput();
      this.ended = true;
      const status = STATUS_TEXT[data.status] ? data.status : 'error';
      let text = STATUS_TEXT[status];
      if (status === 'ok' || status === 'error') text += ' in ' + duration(data.durationMs);
      if (status === 'error' && data.exitCode != null && data.exitCode !== 1) text += ' (exit code ' + data.exitCode + ')';
      this.setState(status, text);
    } else if (name === 'error') {
      this.output.endInput();
      this.ended = true;
      this.output.message('error', String(data.message || data.code || 'The run failed.'));
      this.setState('failed', 'Error: ' + (data.code || 'failed'));
    }
  }

  /** The code waits for standard input: a field in the output, sent line by line. */
  askInput(data) {
    const session = this.session;
    // One request at a time, in order: a partial line must arrive before the EOF after it.
    const send = (body) => (this.stdinChain = (this.stdinChain || Promise.resolve()).catch(() => {}).then(() => this.api.stdin(session, body)));
    this.output.askInput(String(data.prompt ?? ''), {
      line: (text) =>
        send({ text }).catch((e) => this.output.message('error', 'Could not send the input: ' + e.message)),
      eof: () => send({ eof: true }).catch(() => {}),
    });
    this.setState('running', 'Waiting for input');
  }

  fail(e) {
    let message;
    if (e instanceof ApiError) {
      if (e.status === 409) message = 'A run of this session is already in progress (in another tab?). Wait for it or press Stop.';
      else if (e.status === 429 || e.status === 503) message = e.message + (e.retryAfter ? ` Try again in ${e.retryAfter} s.` : '');
      else if (e.status === 0) message = e.message;
      else message = e.message;
    } else {
      // A fetch body read that breaks mid-stream is a TypeError ("network error").
      message = 'The connection to the server was lost: ' + (e && e.message ? e.message : String(e));
    }
    this.output.message('error', message);
    this.setState('failed', e instanceof ApiError && e.status !== 0 ? 'Error' : 'Connection lost');
  }

  async stop() {
    if (!this.running) return;
    if (!this.started) {
      this.stopRequested = true;
      this.stopButton.disabled = true;
      return;
    }
    this.stopRequested = false;
    this.stopButton.disabled = true;
    this.output.endInput();
    this.setState('running', 'Stopping');
    try {
      await this.api.interrupt(this.session);
    } catch (e) {
      this.output.message('error', 'Could not stop the run: ' + e.message);
    }
  }

  /** Shows output that came with the code (a chat artifact's), as if a run had printed it. */
  showOutput(events) {
    for (const e of events || []) this.output.event(e.event, e.data || {});
  }

  async reset() {
    // A chat artifact's session is its conversation's: Reset brings back Claude's code only.
    const session = this.shared ? null : this.session;
    if (!this.shared) this.session = null;
    this.runs = 0;
    this.generation = (this.generation || 0) + 1; // the run in progress, if any, is forgotten
    if (this.controller) {
      this.controller.abort();
      this.controller = null;
    }
    clearInterval(this.ticker);
    this.statusTime.textContent = '';
    this.setRunning(false);
    this.code = this.original;
    this.edits.forget();
    this.markEdited();
    this.output.clear();
    for (const old of this.querySelectorAll(':scope > .lp-precomputed, :scope > [data-precomputed]')) {
      old.hidden = false;
    }
    this.setState('idle', this.shared ? 'Reset: the code Claude ran' : 'Reset: fresh state, original code');
    if (session) {
      try {
        await this.api.deleteSession(session);
      } catch {
        // an expired session is gone anyway
      }
    }
  }

  async copy() {
    await this.toClipboard(this.code, this.copyButton, 'Copy', 'Copied', 'Copied', 'Copy failed: select the code and copy it by hand');
  }

  /** Copies a link to this page with the reader's code for this runner in the fragment. */
  async copyLink() {
    const link = this.edits.link(this.code);
    this.lastLink = link;
    await this.toClipboard(link, this.linkButton, 'Link', 'Copied', 'Link copied', 'Copy failed: the link is ' + link);
  }

  async toClipboard(text, btn, label, doneLabel, done, failed) {
    let ok = true;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
      } else {
        copyFallback(text);
      }
    } catch {
      try {
        copyFallback(text);
      } catch {
        ok = false;
      }
    }
    btn.textContent = ok ? doneLabel : label;
    this.statusNote(ok ? done : failed);
    clearTimeout(btn.flashTimer);
    btn.flashTimer = setTimeout(() => (btn.textContent = label), 1500);
  }

  statusNote(text) {
    if (!this.running) {
      this.statusText.textContent = text;
      this.statusCount.textContent = '';
    }
  }

  setRunning(running) {
    const hadFocus = document.activeElement;
    this.running = running;
    this.runButton.disabled = running;
    this.stopButton.disabled = !running;
    // No aria-busy here: it would silence the output's live region until the run ends.
    // Keep keyboard focus on a usable button when the focused one becomes disabled.
    if (running && hadFocus === this.runButton) this.stopButton.focus();
    if (!running && hadFocus === this.stopButton) this.runButton.focus();
  }

  setState(state, text) {
    this.dataset.state = state;
    this.statusLine.dataset.state = state;
    this.statusText.textContent = text;
    this.statusCount.textContent = text && this.runs > 0 && state !== 'idle' ? ` · run ${this.runs}` : '';
  }

  tick(started) {
    clearInterval(this.ticker);
    this.setState('running', 'Starting');
    const show = () => (this.statusTime.textContent = ' ' + ((performance.now() - started) / 1000).toFixed(1) + ' s');
    show();
    this.ticker = setInterval(show, 100);
  }
}

function el(tag, className) {
  const e = document.createElement(tag);
  e.className = className;
  return e;
}

function button(className, label, title, onClick) {
  const b = el('button', 'lp-button ' + className);
  b.type = 'button';
  b.textContent = label;
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}

function duration(ms) {
  if (typeof ms !== 'number') return '?';
  return ms < 1000 ? Math.round(ms) + ' ms' : (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
}

function trimFinalNewline(s) {
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

function copyFallback(text) {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy refused');
}
