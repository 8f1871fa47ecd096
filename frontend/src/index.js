// Entry of /assets/livepost.js: defines <code-runner>. Kept small: it is the only script a page
// loads up front. The editor, DOMPurify and the language grammars are chunks loaded on demand.
import './livepost.css';
import { CodeRunner } from './code-runner.js';

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

export { CodeRunner };
