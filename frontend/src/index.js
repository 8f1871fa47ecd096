// Entry of /assets/livepost.js: defines <code-runner> and highlights the page's plain code blocks.
import './livepost.css';
import { CodeRunner } from './code-runner.js';
import { highlightStaticBlocks } from './languages.js';

if (!customElements.get('code-runner')) {
  customElements.define('code-runner', CodeRunner);
}

function highlightPage() {
  highlightStaticBlocks(document);
}
if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', highlightPage, { once: true });
} else {
  highlightPage();
}

export { CodeRunner };
