/**
 * All of stdin as text, without the one line end that closes its last line (`echo`, a heredoc): what
 * `--password-stdin` and `--number-stdin` read, each checking it is the one line it wants. Secrets and ID numbers come
 * this way because arguments show in `ps` to every user and stay in the shell's history.
 */
export async function stdinText(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}
