// Language support by the names posts use (the fence's info string / the lang attribute).
import { python } from '@codemirror/lang-python';
import { javascript } from '@codemirror/lang-javascript';
import { sql } from '@codemirror/lang-sql';
import { java } from '@codemirror/lang-java';
import { StreamLanguage } from '@codemirror/language';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import { classHighlighter, highlightCode } from '@lezer/highlight';

const FACTORIES = {
  python: () => python(),
  py: () => python(),
  javascript: () => javascript(),
  js: () => javascript(),
  mjs: () => javascript(),
  typescript: () => javascript({ typescript: true }),
  ts: () => javascript({ typescript: true }),
  jsx: () => javascript({ jsx: true }),
  json: () => javascript(),
  sql: () => sql(),
  java: () => java(),
  bash: () => StreamLanguage.define(shell),
  sh: () => StreamLanguage.define(shell),
  shell: () => StreamLanguage.define(shell),
  console: () => StreamLanguage.define(shell),
};

const cache = new Map();

/** The CodeMirror LanguageSupport (or StreamLanguage) for a name, or null for plain text. */
export function languageFor(name) {
  const key = (name || '').toLowerCase().trim();
  if (!FACTORIES[key]) {
    return null;
  }
  if (!cache.has(key)) {
    cache.set(key, FACTORIES[key]());
  }
  return cache.get(key);
}

/** The Lezer parser of a language name, or null. */
function parserFor(name) {
  const support = languageFor(name);
  if (!support) return null;
  const language = support.language || support;
  return language.parser || null;
}

/**
 * Fills `target` with `code` highlighted as `lang`: text nodes and spans with `tok-*` classes
 * (the same classes the editor uses), so it never interprets the code as HTML.
 */
export function highlightInto(target, code, lang) {
  const parser = parserFor(lang);
  target.textContent = '';
  if (!parser) {
    target.textContent = code;
    return false;
  }
  const tree = parser.parse(code);
  highlightCode(
    code,
    tree,
    classHighlighter,
    (text, classes) => {
      if (classes) {
        const span = document.createElement('span');
        span.className = classes;
        span.textContent = text;
        target.appendChild(span);
      } else {
        target.appendChild(document.createTextNode(text));
      }
    },
    () => target.appendChild(document.createTextNode('\n')),
  );
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

/** Highlights plain `pre > code.language-X` blocks under `root` that are not inside a runner. */
export function highlightStaticBlocks(root) {
  for (const code of root.querySelectorAll('pre > code[class*="lang"]')) {
    if (code.closest('code-runner') || code.dataset.lpHighlighted) continue;
    const lang = languageOfCodeElement(code);
    if (highlightInto(code, code.textContent, lang)) {
      code.dataset.lpHighlighted = '';
      code.parentElement.classList.add('lp-highlighted');
    }
  }
}
