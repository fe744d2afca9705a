import { parse } from 'shell-quote';

/**
 * Splits a shell command line into words, with shell-quote: blanks separate, quotes group,
 * backslashes escape, a `#` starting a word starts a comment (what follows is dropped). Nothing is
 * expanded: `$NAME` and `${NAME}` stay a `$NAME` word, a glob stays its pattern, and operators
 * (`&&`, `|`, `>`, ...) come back as words of their own. An unclosed quote runs to the end.
 * (shell-quote also ends a word at a `#` inside it, e.g. `a#b`, where a shell would not.)
 */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const entry of parse(text, (name) => `$${name}`)) {
    if (typeof entry === 'string') words.push(entry);
    else if ('comment' in entry) break;
    else if (entry.op === 'glob') words.push(entry.pattern);
    else words.push(entry.op);
  }
  return words;
}
