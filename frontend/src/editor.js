// The CodeMirror 6 editor of one runner: highlighting for its language, auto-indent, Tab to
// indent (Escape then Tab leaves the editor), undo/redo, bracket matching, line numbers, and
// Mod-Enter to run.
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection, highlightSpecialChars } from '@codemirror/view';
import { Compartment, EditorState, Prec } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, indentOnInput, syntaxHighlighting, foldKeymap } from '@codemirror/language';
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete';
import { highlightSelectionMatches } from '@codemirror/search';
import { classHighlighter } from '@lezer/highlight';
import { loadLanguage } from './languages.js';

/**
 * Creates an editor in `parent`.
 * @param {{code: string, lang: string, readonly: boolean, prose: boolean, label: string, describedBy: string, onRun: () => void, onChange?: (text: string) => void}} options
 */
export function createEditor(parent, { code, lang, readonly, prose, label, describedBy, onRun, onChange }) {
  const language = new Compartment();
  const extensions = [
    prose ? [] : [lineNumbers(), highlightActiveLineGutter()],
    highlightSpecialChars(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    syntaxHighlighting(classHighlighter),
    Prec.highest(
      keymap.of([
        { key: 'Mod-Enter', run: () => (onRun(), true) },
      ]),
    ),
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...foldKeymap, indentWithTab]),
    EditorState.tabSize.of(4),
    EditorView.contentAttributes.of({ 'aria-label': label, 'aria-describedby': describedBy }),
  ];
  extensions.push(language.of([]));
  if (onChange) {
    extensions.push(EditorView.updateListener.of((u) => u.docChanged && onChange(u.state.doc.toString())));
  }
  if (prose) {
    extensions.push(EditorView.lineWrapping);
  }
  if (readonly) {
    // Still focusable and selectable (keyboard users can copy and press Mod-Enter), never changed.
    extensions.push(EditorState.readOnly.of(true), EditorView.contentAttributes.of({ 'aria-readonly': 'true' }));
  }
  const view = new EditorView({ parent, state: EditorState.create({ doc: code, extensions }) });
  if (!prose) {
    loadLanguage(lang).then((support) => support && view.dispatch({ effects: language.reconfigure(support) }));
  }
  return view;
}

/** The editor's text. */
export function textOf(view) {
  return view.state.doc.toString();
}

/** Replaces the editor's text as one change (so Undo can bring the edited code back). */
export function setText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}
