/**
 * Control characters (C0 and C1, hence ANSI escape sequences) in text that came from objects (names,
 * annotation values, messages quoting them) would drive the terminal that shows a CLI line, a log line
 * or an Event: clear the screen, hide a line, fake another. They are shown escaped instead.
 */

// Tab is the one control character kept; newlines are escaped too: one problem stays one line.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/** `text` with every control character but tab written as `\xNN` (`\u001b[2J` → `\x1b[2J`). */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
