// Entry of /assets/livepost.js: defines <code-runner>. Kept small: it is the only script a page
// loads up front. The editor, DOMPurify and the language grammars are chunks loaded on demand.
import './livepost.css';
import { CodeRunner } from './code-runner.js';
import { Api, ApiError } from './api.js';
import { readEvents } from './sse.js';
import { sanitizedFragment } from './output.js';

if (!customElements.get('code-runner')) {
  customElements.define('code-runner', CodeRunner);
}

// Livepost's own pages arrive highlighted by the server. Code blocks that did not (a page that
// embeds runners, a block of a language the server does not know) are highlighted here, with
// the grammar chunks, once the browser is idle.
function highlightPage() {
  const plain = [...document.querySelectorAll('pre > code[class*="lang"]')].filter(
    (code) => code.firstElementChild === null && !code.hasAttribute('data-lp-highlighted'),
  );
  if (plain.length === 0) return;
  const later = window.requestIdleCallback || ((f) => setTimeout(f, 200));
  later(() => import('./languages.js').then((m) => m.highlightStaticBlocks(document)));
}
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', highlightPage, { once: true });
} else {
  highlightPage();
}

// The /chat page's conversation: a chunk of its own, loaded only where there is one. It gets the
// modules it shares with this entry as arguments: imported there, they would move into a chunk of
// their own that every post page then loads up front.
const chat = document.querySelector('livepost-chat');
if (chat) import('./chat.js').then((m) => m.start(chat, { Api, ApiError, readEvents, sanitizedFragment }));

export { CodeRunner };
