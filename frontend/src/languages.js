// Language support by the names posts use (the fence's info string / the lang attribute). Each
// language is its own chunk, loaded when a page first needs it, so a page of Python posts does
// not download the Java, SQL and JavaScript grammars.
import { classHighlighter, highlightCode } from '@lezer/highlight';

const shell = () =>
  Promise.all([import('@codemirror/language'), import('@codemirror/legacy-modes/mode/shell')]).then(
    ([{ StreamLanguage }, { shell: mode }]) => StreamLanguage.define(mode),
  );
const js = (config) => () => import('@codemirror/lang-javascript').then((m) => m.javascript(config));

const LOADERS = {
  python: () => import('@codemirror/lang-python').then((m) => m.python()),
  javascript: js({}),
  typescript: js({ typescript: true }),
  jsx: js({ jsx: true }),
  tsx: js({ jsx: true, typescript: true }),
  sql: () => import('@codemirror/lang-sql').then((m) => m.sql()),
  java: () => import('@codemirror/lang-java').then((m) => m.java()),
  shell,
};
const ALIASES = { py: 'python', python3: 'python', js: 'javascript', mjs: 'javascript', json: 'javascript', node: 'javascript', nodejs: 'javascript', sqlite: 'sql', jshell: 'java', ts: 'typescript', bash: 'shell', sh: 'shell', zsh: 'shell', console: 'shell' };

const cache = new Map();

/** The CodeMirror language support for a name (a Promise), resolving to null for plain text. */
export function loadLanguage(name) {
  let key = (name || '').toLowerCase().trim();
  key = ALIASES[key] || key;
  if (!LOADERS[key]) {
    return Promise.resolve(null);
  }
  if (!cache.has(key)) {
    cache.set(
      key,
      LOADERS[key]().catch((e) => {
        console.warn('livepost: could not load the ' + key + ' highlighter', e);
        return null;
      }),
    );
  }
  return cache.get(key);
}

/**
 * Fills `target` with `code` highlighted as `lang`: text nodes and spans with `tok-*` classes (the
 * same classes the editor uses), so the code is never interpreted as HTML. The plain text is there
 * at once; the colours follow when the language has loaded. Resolves to whether it highlighted.
 */
export async function highlightInto(target, code, lang) {
  target.textContent = code;
  const support = await loadLanguage(lang);
  const parser = support && (support.language || support).parser;
  if (!parser) {
    return false;
  }
  const fragment = document.createDocumentFragment();
  highlightCode(
    code,
    parser.parse(code),
    classHighlighter,
    (text, classes) => {
      if (classes) {
        const span = document.createElement('span');
        span.className = classes;
        span.textContent = text;
        fragment.appendChild(span);
      } else {
        fragment.appendChild(document.createTextNode(text));
      }
    },
    () => fragment.appendChild(document.createTextNode('\n')),
  );
  target.replaceChildren(fragment);
  return true;
}

/** The language of a `code` element from its `language-X` class, or ''. */
export function languageOfCodeElement(code) {
  for (const c of code.classList) {
    if (c.startsWith('language-')) return c.slice('language-'.length);
    if (c.startsWith('lang-')) return c.slice('lang-'.length);
  }
  return '';
}

/**
 * Highlights the `pre > code.language-X` blocks under `root` that arrived plain (no element
 * children: the server highlights Livepost's own pages), runners' code views included. A runner's
 * view that the reader already replaced with the editor is gone from the page and skipped.
 */
export function highlightStaticBlocks(root) {
  for (const code of root.querySelectorAll('pre > code[class*="lang"]')) {
    if (code.firstElementChild !== null || code.hasAttribute('data-lp-highlighted')) continue;
    const runner = code.closest('code-runner');
    if (runner && runner.hasAttribute('data-edited')) continue; // shows the reader's code
    code.setAttribute('data-lp-highlighted', '');
    if (!runner) code.parentElement.classList.add('lp-highlighted');
    highlightInto(code, code.textContent, languageOfCodeElement(code));
  }
}
