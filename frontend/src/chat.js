// The /chat page: <livepost-chat> holds one conversation with Claude per browser tab (kept in
// sessionStorage, so a reload of the tab brings it back; the server forgets it at idle expiry).
// An answer streams in as text (shown plain as it comes, then as sanitized Markdown once the
// stretch is complete) and artifacts: <code-runner> elements that run in the conversation's
// session, so re-runs see the files Claude made. A chunk of its own, loaded only on this page.
// The modules it shares with livepost.js come from there (see index.js).
let Api, ApiError, readEvents, sanitizedFragment;

const STORE = 'livepost-chat';

export function start(root, shared) {
  ({ Api, ApiError, readEvents, sanitizedFragment } = shared);
  if (root.chat) return root.chat;
  root.chat = new Chat(root);
  return root.chat;
}

class Chat {
  constructor(root) {
    this.root = root;
    this.api = new Api('');
    this.log = root.querySelector('.lp-chat-log');
    this.form = root.querySelector('.lp-chat-form');
    this.input = root.querySelector('textarea');
    this.sendButton = root.querySelector('.lp-chat-send');
    this.stopButton = root.querySelector('.lp-chat-stop');
    this.newButton = root.querySelector('.lp-chat-new');
    this.status = root.querySelector('.lp-chat-status');
    this.state = load();
    this.busy = false;
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send();
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.send();
      }
    });
    this.stopButton.addEventListener('click', () => this.stop());
    this.newButton.addEventListener('click', () => this.restart());
    for (const turn of this.state.turns) this.renderTurn(turn);
    const q = new URLSearchParams(location.search).get('q');
    if (q && !this.input.value) this.input.value = q;
    // Once read, the question leaves the address, or every reload would type it in again.
    if (q !== null) history.replaceState(history.state, '', location.pathname + location.hash);
    this.setBusy(false);
    root.dataset.ready = 'true';
  }

  save() {
    try {
      sessionStorage.setItem(STORE, JSON.stringify(this.state));
    } catch {
      // full or unavailable: the conversation still works, it just does not survive a reload
    }
  }

  setBusy(busy, text) {
    this.busy = busy;
    this.input.disabled = busy;
    this.sendButton.disabled = busy;
    this.stopButton.disabled = !busy;
    this.status.textContent = text || '';
    this.root.dataset.busy = String(busy);
  }

  async send() {
    const message = this.input.value.trim();
    if (this.busy || !message) return;
    this.setBusy(true, 'Claude is answering…');
    const turn = { question: message, parts: [], status: 'running' };
    this.state.turns.push(turn);
    const view = this.renderTurn(turn);
    this.input.value = '';
    try {
      if (!this.state.conversation) await this.create();
      try {
        await this.stream(turn, view);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404 && e.code === 'conversation_not_found')) throw e;
        // The server forgot the conversation (idle expiry, restart): Claude starts afresh.
        this.note(view, e.message + ' A new conversation was started for this message.');
        await this.create();
        await this.stream(turn, view);
      }
      if (turn.status === 'running') {
        turn.status = 'failed';
        this.note(view, 'The connection closed before the answer was complete.', 'error');
      }
    } catch (e) {
      turn.status = 'failed';
      turn.error = e && e.message ? e.message : String(e);
      if (e && e.name === 'AbortError') turn.error = 'Stopped.';
      this.note(view, turn.error, 'error');
    } finally {
      this.save();
      this.setBusy(false, turn.status === 'done' ? '' : turn.error || '');
      this.input.focus();
    }
  }

  async create() {
    const res = await this.api.fetch('/api/chat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: '{}',
    });
    const { conversation } = await res.json();
    this.state.conversation = conversation;
    this.state.answers = 0;
    this.save();
  }

  async stream(turn, view) {
    const id = this.state.conversation;
    turn.conversation = id;
    this.controller = new AbortController();
    const res = await this.api.fetch(`/api/chat/${encodeURIComponent(id)}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ message: turn.question }),
      signal: this.controller.signal,
      cache: 'no-store',
    });
    let text = null; // the stretch of text arriving now: {part, element}
    await readEvents(res.body, ({ event, data }) => {
      let d;
      try {
        d = JSON.parse(data);
      } catch {
        return;
      }
      if (event === 'text') {
        if (!text) {
          const part = { type: 'text', text: '' };
          turn.parts.push(part);
          text = { part, element: this.textElement(view) };
        }
        text.part.text += String(d.text ?? '');
        text.element.textContent = text.part.text;
      } else if (event === 'markdown') {
        if (text) {
          text.part.html = String(d.html ?? '');
          showMarkdown(text.element, text.part.html);
          text = null;
          this.save();
        }
      } else if (event === 'artifact') {
        text = null;
        const part = { type: 'artifact', ...d };
        turn.parts.push(part);
        this.artifactElement(view, part, id);
        this.save();
      } else if (event === 'notice') {
        const part = { type: 'notice', message: String(d.message ?? '') };
        turn.parts.push(part);
        this.note(view, part.message);
      } else if (event === 'done') {
        turn.status = 'done';
        turn.answer = ++this.state.answers;
        turn.usage = d.usage;
        this.finishTurn(turn, view);
      } else if (event === 'error') {
        turn.status = 'failed';
        turn.error = String(d.message || d.code || 'The answer failed.');
        turn.errorCode = d.code;
        this.note(view, turn.error, 'error');
      }
    });
  }

  async stop() {
    if (!this.busy || !this.state.conversation) return;
    this.status.textContent = 'Stopping…';
    try {
      await this.api.fetch(`/api/sessions/${encodeURIComponent(this.state.conversation)}/interrupt`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
    } catch {
      if (this.controller) this.controller.abort();
    }
  }

  async restart() {
    if (this.controller) this.controller.abort();
    const id = this.state.conversation;
    this.state = { conversation: null, answers: 0, turns: [] };
    this.save();
    this.log.textContent = '';
    this.setBusy(false, 'New conversation');
    if (id) {
      this.api.fetch(`/api/chat/${encodeURIComponent(id)}`, { method: 'DELETE' }).catch(() => {});
    }
  }

  renderTurn(turn) {
    const item = el('li', 'lp-chat-turn');
    const q = el('div', 'lp-chat-question');
    q.textContent = turn.question;
    const a = el('div', 'lp-chat-answer');
    item.append(q, a);
    this.log.appendChild(item);
    const view = { item, answer: a };
    for (const part of turn.parts) {
      if (part.type === 'text') {
        const e = this.textElement(view);
        if (part.html != null) showMarkdown(e, part.html);
        else e.textContent = part.text;
      } else if (part.type === 'artifact') {
        this.artifactElement(view, part, turn.conversation);
      } else if (part.type === 'notice') {
        this.note(view, part.message);
      }
    }
    if (turn.status === 'done') this.finishTurn(turn, view);
    else if (turn.error) this.note(view, turn.error, 'error');
    return view;
  }

  textElement(view) {
    const e = el('div', 'lp-chat-text');
    view.answer.appendChild(e);
    return e;
  }

  artifactElement(view, part, conversation) {
    const runner = document.createElement('code-runner');
    runner.setAttribute('artifact', 'chat/' + part.id);
    runner.setAttribute('lang', part.language || 'python');
    runner.setAttribute('title', part.path ? part.path.replace(/^.*\//, '') : part.language === 'bash' ? 'Command' : 'Code');
    runner.setAttribute('session', conversation || '');
    runner.setAttribute('runs', part.runs);
    runner.dataset.artifact = part.id;
    const pre = document.createElement('pre');
    const code = document.createElement('code');
    code.className = 'language-' + (part.language || 'python');
    code.textContent = part.code;
    pre.appendChild(code);
    runner.appendChild(pre);
    view.answer.appendChild(runner); // upgraded here: the element is defined by livepost.js
    if (runner.showOutput) runner.showOutput(part.output);
    return runner;
  }

  note(view, message, kind = 'notice') {
    const p = el('p', 'lp-chat-' + kind);
    p.textContent = message;
    view.answer.appendChild(p);
  }

  finishTurn(turn, view) {
    const bar = el('div', 'lp-chat-answer-bar');
    const copy = el('button', 'lp-button lp-chat-copy');
    copy.type = 'button';
    copy.textContent = 'Copy as post snippet';
    copy.title = 'Copy this answer as Markdown with ::code-runner artifacts, ready to paste into a post';
    copy.addEventListener('click', () => this.copySnippet(turn, view, copy));
    bar.appendChild(copy);
    view.answer.appendChild(bar);
  }

  async copySnippet(turn, view, button) {
    let snippet;
    try {
      const res = await this.api.fetch(
        `/api/chat/${encodeURIComponent(turn.conversation)}/answers/${turn.answer}/snippet`,
        { headers: { Accept: 'text/markdown' } },
      );
      snippet = await res.text();
    } catch (e) {
      this.note(view, 'Could not make the snippet: ' + e.message, 'error');
      return;
    }
    let box = view.item.querySelector('.lp-chat-snippet');
    if (!box) {
      box = el('details', 'lp-chat-snippet');
      box.open = true;
      const summary = document.createElement('summary');
      summary.textContent = 'Post snippet';
      const area = document.createElement('textarea');
      area.readOnly = true;
      area.rows = 8;
      box.append(summary, area);
      view.answer.appendChild(box);
    }
    box.querySelector('textarea').value = snippet;
    let copied = true;
    try {
      await navigator.clipboard.writeText(snippet);
    } catch {
      copied = false;
    }
    button.textContent = copied ? 'Copied' : 'Select the snippet below and copy it';
    setTimeout(() => (button.textContent = 'Copy as post snippet'), 2000);
  }
}

function load() {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORE) || 'null');
    if (s && Array.isArray(s.turns)) return s;
  } catch {
    // a broken copy: start afresh
  }
  return { conversation: null, answers: 0, turns: [] };
}

function showMarkdown(element, html) {
  // Sanitized by the server (jsoup) and again here (DOMPurify).
  return sanitizedFragment(html).then((fragment) => {
    element.textContent = '';
    element.appendChild(fragment);
    element.classList.add('lp-chat-markdown');
  });
}

function el(tag, className) {
  const e = document.createElement(tag);
  e.className = className;
  return e;
}
